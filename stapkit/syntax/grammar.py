"""Loading the Lark grammar (stap_grammar/stap.lark) and compiling its LALR tables.

Lark computes the LALR(1) automaton; stapkit drives it itself (parser.py),
with callbacks that build the AST directly.  The tables are compiled into a
compact form: for each state, a terminal maps to the next state (shift) or
to a `Reduction`.  A reduction's callback does what Lark's parse-tree
builder would do — inline a `?rule` with one child, put None where an
optional `[x]` is absent, splice the children of the helper rules Lark
makes for `x*` and `x+` — and then calls the AstBuilder method named after
the rule (or its `-> alias`).  Reductions that only pass a single child up
(`?expr: ternary`) call nothing at all.

Building the automaton takes most of a second, so Lark's result is cached in
the user cache directory (platformdirs) and loads in tens of milliseconds.
The cache is written to a temporary file and renamed, so parallel workers
never read half a file.
"""

from __future__ import annotations

import os
import tempfile
import threading
from importlib import resources
from pathlib import Path
from typing import Callable, NamedTuple

from lark import Lark
from lark.lexer import Lexer
from lark.parsers.lalr_analysis import Shift

from .build import AstBuilder

START_RULES = ("item", "block")


class Reduction(NamedTuple):
    size: int  # how many values the rule pops
    origin: str  # the nonterminal it produces (for the goto table)
    callback: Callable | None  # None: pass the single child up unchanged


class _Splice(list):
    """Children of a helper rule (`x*`, `x+`), to be spliced into the parent's."""


class _TokensComeFromStapkit(Lexer):
    """Lark needs a lexer class; stapkit feeds the parser its own tokens."""

    def __init__(self, lexer_conf):
        pass

    def lex(self, data):  # pragma: no cover - never called
        raise NotImplementedError


def grammar_text() -> str:
    local = Path(__file__).resolve().parents[2] / "stap_grammar" / "stap.lark"
    if local.is_file():
        return local.read_text(encoding="utf-8")
    return resources.files("stap_grammar").joinpath("stap.lark").read_text(encoding="utf-8")


def _cache_file() -> Path | None:
    if os.environ.get("STAPKIT_NO_GRAMMAR_CACHE"):
        return None
    try:
        import platformdirs

        directory = Path(platformdirs.user_cache_dir("stapkit"))
        directory.mkdir(parents=True, exist_ok=True)
        return directory / "stap-grammar.lark-cache"
    except Exception:
        return None


def load_lark() -> Lark:
    text = grammar_text()
    options = dict(parser="lalr", lexer=_TokensComeFromStapkit, start=list(START_RULES),
                   maybe_placeholders=True)
    cache = _cache_file()
    if cache is None:
        return Lark(text, **options)
    if cache.exists():
        return Lark(text, cache=str(cache), **options)
    # Write the cache under a temporary name, then move it in place.
    fd, tmp = tempfile.mkstemp(dir=cache.parent, prefix=".stap-grammar-")
    os.close(fd)
    os.unlink(tmp)
    lark = Lark(text, cache=tmp, **options)
    try:
        os.replace(tmp, cache)
    except OSError:
        pass
    return lark


class Tables:
    """The compiled automaton and an AstBuilder (one per thread: the builder has state)."""

    def __init__(self):
        self.builder = AstBuilder()
        lark = load_lark()
        reductions = {rule: _reduction(rule, self.builder) for rule in lark.rules}
        # action[state][terminal]: int = shift to that state, Reduction = reduce
        self.action: dict[int, dict[str, int | Reduction]] = {}
        # goto[state][nonterminal]: the state after a reduction
        self.goto: dict[int, dict[str, int]] = {}
        self.start_state = {}
        self.end_state = {}
        parse_table = None
        for start in START_RULES:
            conf = lark.parse_interactive(None, start=start).parser_state.parse_conf
            parse_table = conf.parse_table
            self.start_state[start] = conf.start_state
            self.end_state[start] = conf.end_state
        for state, actions in parse_table.states.items():
            row = {}
            gotos = {}
            for symbol, (kind, arg) in actions.items():
                if kind is Shift:
                    if symbol.isupper() or symbol == "$END":
                        row[symbol] = arg
                    else:
                        gotos[symbol] = arg
                else:
                    row[symbol] = reductions[arg]
            self.action[state] = row
            self.goto[state] = gotos
        # States inside a block, where a statement or the closing brace may come:
        # error recovery unwinds to one of them.
        self.block_states = frozenset(
            state for state, row in self.action.items()
            if type(row.get("RBRACE")) is int and type(row.get("IF")) is int
        )


def _reduction(rule, builder: AstBuilder) -> Reduction:
    """The Reduction for a grammar rule (see the module docstring)."""
    name = rule.alias or rule.origin.name
    expansion = rule.expansion
    size = len(expansion)
    empty = rule.options.empty_indices
    if empty:
        bits = "".join("1" if b else "0" for b in empty)
        nones = [len(run) for run in bits.split("0")]
    else:
        nones = [0] * (size + 1)
    splice = [not sym.is_term and sym.name.startswith("_") for sym in expansion]
    inline_single = rule.options.expand1 and not rule.alias
    helper = name.startswith("_")
    plain = not any(nones) and not any(splice)

    if inline_single and size == 1 and plain and not helper:
        return Reduction(size, rule.origin.name, None)

    if plain:
        def children_of(values):
            return values
    else:
        steps = [(i, splice[i], nones[i]) for i in range(size)]
        trailing = nones[size]

        def children_of(values):
            out = []
            for i, spliced, before in steps:
                if before:
                    out.extend([None] * before)
                if spliced:
                    out.extend(values[i])
                else:
                    out.append(values[i])
            if trailing:
                out.extend([None] * trailing)
            return out

    if helper:
        def callback(values):
            return _Splice(children_of(values))
        return Reduction(size, rule.origin.name, callback)

    method = getattr(builder, name, None)
    if method is None:
        raise RuntimeError(f"stap.lark rule '{name}' has no AstBuilder method")

    if inline_single:
        def callback(values):
            children = children_of(values)
            if len(children) == 1:
                return children[0]
            return method(*children)
    else:
        def callback(values):
            return method(*children_of(values))
    return Reduction(size, rule.origin.name, callback)


_local = threading.local()


def tables() -> Tables:
    t = getattr(_local, "tables", None)
    if t is None:
        t = _local.tables = Tables()
    return t
