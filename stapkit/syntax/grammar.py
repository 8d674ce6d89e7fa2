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

Building the automaton takes most of a second, and importing Lark a tenth of
one, so the compiled tables are cached in the user cache directory
(platformdirs), keyed by the grammar's hash: a process loads them in a few
milliseconds without importing Lark.  The cache is written to a temporary
file and renamed, so parallel workers never read half a file.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import threading
from pathlib import Path
from typing import Callable, NamedTuple

from .build import AstBuilder

START_RULES = ("item", "block")


class Reduction(NamedTuple):
    size: int  # how many values the rule pops
    origin: str  # the nonterminal it produces (for the goto table)
    callback: Callable | None  # None: pass the single child up unchanged
    spread: bool = False  # call callback(*values) rather than callback(values)


class _Splice(list):
    """Children of a helper rule (`x*`, `x+`), to be spliced into the parent's."""


def _lexer_class():
    """The lexer class Lark insists on (stapkit feeds the parser its own tokens).

    Made on demand, so that importing this module does not import Lark.
    """
    global _LEXER_CLASS
    if _LEXER_CLASS is None:
        from lark.lexer import Lexer

        class TokensComeFromStapkit(Lexer):
            def __init__(self, lexer_conf):
                pass

            def lex(self, data):  # pragma: no cover - never called
                raise NotImplementedError

        _LEXER_CLASS = TokensComeFromStapkit
    return _LEXER_CLASS


_LEXER_CLASS = None


def __getattr__(name: str):
    if name == "_TokensComeFromStapkit":  # for tests that build a Lark parser themselves
        return _lexer_class()
    raise AttributeError(name)


def grammar_text() -> str:
    local = Path(__file__).resolve().parents[2] / "stap_grammar" / "stap.lark"
    if local.is_file():
        return local.read_text(encoding="utf-8")
    from importlib import resources

    return resources.files("stap_grammar").joinpath("stap.lark").read_text(encoding="utf-8")


# Bump when the layout of the cached tables changes.
_TABLE_FORMAT = 1


def _cache_dir() -> Path | None:
    if os.environ.get("STAPKIT_NO_GRAMMAR_CACHE"):
        return None
    try:
        import platformdirs

        directory = Path(platformdirs.user_cache_dir("stapkit"))
        directory.mkdir(parents=True, exist_ok=True)
        return directory
    except Exception:
        return None


def _write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file and rename it, so no reader sees half a file."""
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-" + path.name)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError:
        pass


def compile_tables(text: str) -> dict:
    """Run Lark's LALR analysis and keep what the parser needs, as plain data.

    The result: "action" maps each state to {terminal: next state (int) or
    -(rule index + 1) for a reduction}, "goto" maps each state to
    {nonterminal: next state}, "rules" describes each rule (see _reduction),
    and "start"/"end" give the start and accepting state of each start rule.
    """
    from lark import Lark
    from lark.parsers.lalr_analysis import Shift

    lark = Lark(text, parser="lalr", lexer=_lexer_class(), start=list(START_RULES),
                maybe_placeholders=True)
    rules = list(lark.rules)
    index = {rule: i for i, rule in enumerate(rules)}
    start, end = {}, {}
    parse_table = None
    for name in START_RULES:
        conf = lark.parse_interactive(None, start=name).parser_state.parse_conf
        parse_table = conf.parse_table
        start[name] = int(conf.start_state)
        end[name] = int(conf.end_state)
    action: dict[int, dict[str, int]] = {}
    goto: dict[int, dict[str, int]] = {}
    for state, actions in parse_table.states.items():
        state = int(state)
        row, gotos = {}, {}
        for symbol, (kind, arg) in actions.items():
            symbol = str(symbol)  # plain strings: the cache must load without Lark
            if kind is Shift:
                if symbol.isupper() or symbol == "$END":
                    row[symbol] = arg
                else:
                    gotos[symbol] = arg
            else:
                row[symbol] = -(index[arg] + 1)
        action[state] = row
        goto[state] = gotos
    described = []
    for rule in rules:
        empty = rule.options.empty_indices
        size = len(rule.expansion)
        if empty:
            bits = "".join("1" if b else "0" for b in empty)
            nones = tuple(len(run) for run in bits.split("0"))
        else:
            nones = (0,) * (size + 1)
        described.append((
            str(rule.alias or rule.origin.name),  # the AstBuilder method to call
            str(rule.origin.name),  # the nonterminal produced (for the goto table)
            size,
            nones,  # how many None placeholders go before each child, and after the last
            tuple(not sym.is_term and sym.name.startswith("_") for sym in rule.expansion),  # children to splice
            bool(rule.options.expand1 and not rule.alias),  # `?rule`: one child passes up as it is
        ))
    return {"format": _TABLE_FORMAT, "action": action, "goto": goto, "rules": described,
            "start": start, "end": end}


def load_tables_data() -> dict:
    """The compiled tables, from the cache when the grammar has not changed."""
    text = grammar_text()
    digest = hashlib.sha256(f"{_TABLE_FORMAT}\n{text}".encode()).hexdigest()[:16]
    directory = _cache_dir()
    path = directory / f"stap-grammar-{digest}.pickle" if directory else None
    if path is not None:
        try:
            with open(path, "rb") as f:
                data = pickle.load(f)
            if data.get("format") == _TABLE_FORMAT:
                return data
        except (OSError, pickle.PickleError, EOFError, AttributeError, ValueError):
            pass
    data = compile_tables(text)
    if path is not None:
        _write_atomically(path, pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
    return data


class Tables:
    """The compiled automaton and an AstBuilder (one per thread: the builder has state)."""

    def __init__(self):
        self.builder = AstBuilder()
        data = load_tables_data()
        reductions = [_reduction(rule, self.builder) for rule in data["rules"]]
        # action[state][terminal]: int = shift to that state, Reduction = reduce
        self.action: dict[int, dict[str, int | Reduction]] = {
            state: {terminal: (step if step >= 0 else reductions[-step - 1]) for terminal, step in row.items()}
            for state, row in data["action"].items()
        }
        # goto[state][nonterminal]: the state after a reduction
        self.goto: dict[int, dict[str, int]] = data["goto"]
        # (state below, top state, lookahead) -> top state after its unit reductions (parser.py)
        self.unit_chains: dict[tuple[int, int, str], int] = {}
        self.start_state = data["start"]
        self.end_state = data["end"]
        # States inside a block, where a statement or the closing brace may come:
        # error recovery unwinds to one of them.
        self.block_states = frozenset(
            state for state, row in self.action.items()
            if type(row.get("RBRACE")) is int and type(row.get("IF")) is int
        )

    @functools.cached_property
    def recognizer(self) -> Recognizer:
        """The flat tables of the syntax-only check, made when it first runs (4 ms: only the
        formatter's parse asks for them, not every command that parses)."""
        return Recognizer(self.action, self.goto)


class Recognizer:
    """The automaton recast for recognising only (parser.py's _grammar_accepts), in flat tables.

    A recogniser builds nothing, so a reduction is only its size and the goto
    column of its nonterminal (a list: the state under the popped ones -> the
    new top state).  rows[state][terminal] is the state to shift to (>= 0),
    or ~r for reduction r: for r < singles a reduction of size 1, whose goto
    column is single_columns[r], else reductions[r - singles] = (size, column),
    of size 2 or more (the grammar has no empty rule).

    stap reads an expression after `return` unless `;` or `}` follows, and the
    grammar has `return` alone as a statement: in the rows of the states
    entered by shifting `return` (an LR state has one entering symbol), the
    reductions on any other terminal are left out, so such a `return` is
    refused.
    """

    def __init__(self, action: dict[int, dict[str, int | Reduction]], goto: dict[int, dict[str, int]]):
        states = len(action)
        columns: dict[str, list[int | None]] = {}
        for state, gotos in goto.items():
            for nonterminal, target in gotos.items():
                columns.setdefault(nonterminal, [None] * states)[state] = target
        used = {(step.size, step.origin) for row in action.values() for step in row.values()
                if type(step) is not int}
        singles = sorted(origin for size, origin in used if size == 1)
        others = sorted((size, origin) for size, origin in used if size != 1)
        if any(size == 0 for size, _ in others):
            # The recogniser pops `size - 1` states under the top one, and bounds its stack by
            # the tokens it shifted: both hold only for a grammar without empty rules.
            raise ValueError("the grammar has an empty rule: the syntax-only recogniser cannot run on it")
        number = {(1, origin): r for r, origin in enumerate(singles)}
        number.update({key: len(singles) + r for r, key in enumerate(others)})
        self.singles = len(singles)
        self.single_columns = [columns[origin] for origin in singles]
        self.reductions = [(size, columns[origin]) for size, origin in others]
        after_return = {row["RETURN"] for row in action.values() if type(row.get("RETURN")) is int}
        # (state below, top state, terminal) -> top state after its chain of size-1 reductions
        self.chains: dict[tuple[int, int, str], int] = {}
        self.rows: list[dict[str, int]] = []
        for state in range(states):
            row = {}
            for terminal, step in action[state].items():
                if type(step) is int:
                    row[terminal] = step
                elif state not in after_return or terminal in ("SEMI", "RBRACE"):
                    row[terminal] = ~number[step.size, step.origin]
            self.rows.append(row)


def _reduction(rule: tuple, builder: AstBuilder) -> Reduction:
    """The Reduction for a rule described by compile_tables (see the module docstring)."""
    name, origin, size, nones, splice, inline_single = rule
    helper = name.startswith("_")
    plain = not any(nones) and not any(splice)

    if inline_single and size == 1 and plain and not helper:
        return Reduction(size, origin, None)

    if helper:
        # Lark's helpers for `x*` / `x+` are left-recursive (`h: x | h x`, or
        # with separators `h: x | h "," x`): extend the list made so far in
        # place, so a long list costs one append per element.
        if size >= 2 and splice[0] and not any(splice[1:]) and not any(nones):
            def grow(values):
                items = values[0]
                items.extend(values[1:])
                return items
            return Reduction(size, origin, grow)
        if plain:
            return Reduction(size, origin, _Splice)

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
        return Reduction(size, origin, callback)

    method = getattr(builder, name, None)
    if method is None:
        raise RuntimeError(f"stap.lark rule '{name}' has no AstBuilder method")

    if plain and not inline_single:
        return Reduction(size, origin, method, True)
    if inline_single:
        def callback(values):
            children = children_of(values)
            if len(children) == 1:
                return children[0]
            return method(*children)
    else:
        def callback(values):
            return method(*children_of(values))
    return Reduction(size, origin, callback)


_local = threading.local()


def tables() -> Tables:
    t = getattr(_local, "tables", None)
    if t is None:
        t = _local.tables = Tables()
    return t
