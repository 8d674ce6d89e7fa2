"""Formatting a file, and proving on every run that nothing but whitespace changed.

`format_text` lays the text out (layout.py) and then checks, as black does,
that the result is the same program: the same tokens in the same order (so
every branch of every conditional, every macro and every `$1` is the same),
the same comments, and the same syntax tree for the target. If any check
fails the text is not changed and a `FormatError` says why; a file with
syntax errors is not formatted at all.
"""

from __future__ import annotations

from collections import Counter

import attrs

from ..diagnostics import Diagnostic
from .layout import ALL_FEATURES, Style, layout


class FormatError(Exception):
    """The layout would change the program (a bug in stapkit): the file is left alone."""


@attrs.frozen
class FormatResult:
    text: str  # the formatted text (the input when it could not be formatted)
    changed: bool
    syntax_errors: tuple[Diagnostic, ...] = ()  # not formatted: it does not parse


def format_text(text: str, path: str = "<string>", style: Style = Style(), options=None) -> FormatResult:
    from ..syntax.parser import ParseOptions, parse_text

    # Guru-only syntax (embedded C, @const, ...) is still syntax: format it, do not judge it.
    # The branches the target does not take are not parsed here: the layout keeps every
    # token, so they are the same program before and after (check_same_program).
    options = attrs.evolve(options or ParseOptions(guru=True), check_all_branches=False)
    before = parse_text(text, path, options)
    if before.has_errors:
        errors = tuple(d for d in before.diagnostics if d.severity.value == "error")
        return FormatResult(text, False, errors)
    from ..syntax.lexer import lex

    lexed = lex(text, version=ALL_FEATURES)
    out = layout(text, style, lexed)
    if out == text:
        return FormatResult(text, False)
    check_same_program(text, out, before, path, options, lexed)
    return FormatResult(out, True)


def check_same_program(text: str, out: str, before, path: str, options, lexed=None) -> None:
    """Raise FormatError unless `out` is `text` with other whitespace."""
    from ..syntax import ast
    from ..syntax.lexer import lex
    from ..syntax.parser import parse_text

    a = lexed if lexed is not None else lex(text, version=ALL_FEATURES)
    b = lex(out, version=ALL_FEATURES)
    tokens_a = [(t.kind, t.text) for t in a.tokens]
    tokens_b = [(t.kind, t.text) for t in b.tokens]
    if tokens_a != tokens_b:
        where = next((i for i, (x, y) in enumerate(zip(tokens_a, tokens_b)) if x != y), min(len(tokens_a),
                                                                                          len(tokens_b)))
        raise FormatError(f"{path}: formatting would change token {where + 1} "
                          f"({tokens_a[where:where + 1]} -> {tokens_b[where:where + 1]}); the file is left as it was")
    if Counter(_comment(c.text) for c in a.comments) != Counter(_comment(c.text) for c in b.comments):
        raise FormatError(f"{path}: formatting would change a comment; the file is left as it was")
    if _gluing_unchanged(a.tokens, b.tokens):
        # The parser reads whitespace in one place only: between the pieces of a
        # probe point's name (`syscall.*` glued, `syscall. *` not).  Same tokens and
        # the same whitespace there: the same tree for every target, without parsing again.
        return
    after = parse_text(out, path, options)
    if after.has_errors or not ast.trees_equal(before.script, after.script):
        raise FormatError(f"{path}: the formatted text would not parse to the same syntax tree; "
                          "the file is left as it was")


def _gluing_unchanged(a, b) -> bool:
    """Is there whitespace between the same consecutive name pieces in both token lists?"""
    from ..syntax.feeder import _NAME_PIECES
    from ..syntax.tokens import WS_BEFORE

    for i in range(1, len(a)):
        if a[i].kind in _NAME_PIECES and (a[i - 1].kind in _NAME_PIECES or a[i - 1].kind == "ARG_NUM"):
            if (a[i].flags & WS_BEFORE) != (b[i].flags & WS_BEFORE):
                return False
    return True


def _comment(text: str) -> str:
    """A comment's words: blanks at the ends of its lines are not part of it (they are trimmed)."""
    return "\n".join(line.rstrip() for line in text.split("\n")).rstrip()
