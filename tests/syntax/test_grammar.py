"""The grammar's LALR conflicts are exactly the intended ones, resolved as shift.

stap's parser is greedy: it takes the longest statement it can.  Lark
resolves a shift/reduce conflict as shift, which gives the same result, and
logs each conflict at debug level.  This test lists them so that a grammar
change that adds a new ambiguity fails here instead of changing the language.
"""

from __future__ import annotations

import io
import logging
import re

from lark import Lark, logger

from stapkit.syntax.grammar import START_RULES, _TokensComeFromStapkit, grammar_text

# (terminal, the rule the parser could have reduced instead) -> why shifting is right
EXPECTED = {
    "ELSE": "dangling else: `else` goes with the nearest `if`",
    "SEMI": "one `;` after a statement belongs to it",
    "MINUS": "`x = 1` newline `-1` is `x = 1 - 1` (error::pass1)",
    "PLUS": "likewise for `+`",
    "AMP": "likewise for `&`",
    "LSQB": "`a[1]` is an array element; `x` newline `[k] in a` continues x",
    "LPAR": "`f (x)` is a call",
    "INC": "`a` newline `++b` is `a++` then `b`",
    "DEC": "`a--b` is `a--` then `b`",
    "STRING": "adjacent strings are one string",
    "ARG_STR": "an @N argument glues to an adjacent string",
}


def grammar_conflicts() -> set[tuple[str, str]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        Lark(grammar_text(), parser="lalr", lexer=_TokensComeFromStapkit, start=list(START_RULES),
             maybe_placeholders=True, debug=True)
    finally:
        logger.setLevel(level)
        logger.removeHandler(handler)
    conflicts = set()
    lines = stream.getvalue().splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"Shift/Reduce conflict for terminal (\w+)", line)
        if m:
            rule = lines[i + 1].strip(" *") if i + 1 < len(lines) else ""
            conflicts.add((m.group(1), rule.split(":")[0].strip("<> ")))
        assert "Reduce/Reduce" not in line, line
    return conflicts


def test_only_the_intended_shift_reduce_conflicts():
    conflicts = grammar_conflicts()
    terminals = {terminal for terminal, _ in conflicts}
    # `return` may be followed by an expression: every expression start conflicts there.
    return_conflicts = {t for t, rule in conflicts if rule == "statement" and t not in EXPECTED}
    unexpected = terminals - set(EXPECTED) - return_conflicts
    assert not unexpected, f"new grammar conflicts: {sorted(unexpected)}"
    for terminal in return_conflicts:
        assert (terminal, "statement") in conflicts
