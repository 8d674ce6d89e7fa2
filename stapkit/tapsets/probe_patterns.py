"""Probe-point patterns: stap's wildcard rules, offline (`stapkit db list PATTERN`).

A pattern is what `stap -l PATTERN` takes and what a probe point may be
written as: dotted components, each a name with an optional literal argument.
These rules were read from elaborate.cxx (`match_node::find_and_build`,
`match_key::globmatch`) and parse.cxx, and checked against stap 4.8's own
`stap -l` (the observed outputs are the expected values of
tests/tapsets/test_probe_patterns.py):

* `*` inside a component name matches any run of characters of that one
  component (`zz.*` lists `zz.a` and `zz.ab`, never `zz.a.b`; `zz.*a` lists
  `zz.a`, not `zz.xay`).  stap compares names with fnmatch, but its parser
  admits only `*` inside a name: `?` and `[` are parse errors there (`?` and
  `!` are the optional/sufficient marks after the last component).
* `**` inside a name also crosses dots.  stap tries `foo**bar` as `foo*bar`
  (one component) and as `foo*` followed by `**bar`, so `zz**` lists `zz`
  itself, `zzz.q` and every `zz.…`; a component that is just `**` needs at
  least one component (`zz.**` does not list `zz`).  The components `**`
  spans carry no argument; an argument written on the `**` component belongs
  to the last one (`timer.**(1)` matches `timer.ms(number)`, not
  `timer.ms(number).randomize(number)`).  `***` is `**`.
* A component's argument must agree in kind: no argument, a string or a
  number.  stap never converts: `timer.ms("5")` does not match
  `timer.ms(number)`, and `begin("1")` does not match `begin(number)`.
* Braces `{a,b}` stand for a whole component (`zz.a{b,c}` is a parse error)
  and hold full probe points, dots and nested braces included:
  `zz.{a.b,b}`, `zz.{a,{b,ab}}`.  They expand into the cartesian product,
  first component outermost (`zz.{a,b}.{return,b}!` tries `zz.a.return`,
  `zz.a.b`, `zz.b.return`, `zz.b.b` in that order).  An empty alternative
  (`{a,}`, `{}`) is an error.  Braces inside a string argument are text.
* A pattern may be a comma-separated list, as a probe's point list is.
  `?` (optional) and `!` (sufficient: once it resolves, the alternatives after
  it are skipped, so `zz.{a,b}!` lists only `zz.a`) may come once, after the
  last component; inside braces they may only mark the last component.
* Names are case-sensitive.  Whitespace may separate tokens (`zz . a`,
  `timer.ms( 5 )`) but not the pieces of one name.

`stap -l` lists only complete names (aliases and built-in families whose
arguments are given) that resolve on the machine; stapkit lists the names it
is given.  One stap quirk is left to the caller: when a wildcard at some
position matches nothing, stap retries the rest of the point as an alias
suffix, so with `probe pp = procfs("x") {}` stap 4.8 lists `pp.*` as
`procfs("x").read` and `procfs("x").write` (suffix expansion needs the
aliases' expansions, which this module does not know).

As a stapkit extension, an argument may be written as its kind, `string` or
`number`, so patterns and names can be family patterns:
`kernel.function(string).return`.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Sequence
from typing import NamedTuple

import attrs

STRING = "string"
NUMBER = "number"

# Limits that keep hostile input from exhausting the stack or memory; real patterns
# stay far below them.
MAX_BRACE_DEPTH = 100
MAX_EXPANSIONS = 100_000


class PatternError(ValueError):
    """A malformed pattern: unbalanced braces, parentheses or quotes, a bad name.

    `column` is 1-based, in characters of the pattern text.
    """

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"{message} (column {column})")
        self.message = message
        self.column = column


@attrs.frozen
class PatternComponent:
    """One component of a brace-free point: `function("vfs_*")`, `ms(5)`, `return`."""

    name: str  # may hold `*` wildcards
    kind: str | None  # None, "string" or "number"
    value: str | int | None  # the literal; None for no argument or a bare kind
    text: str  # as written, whitespace around the argument trimmed

    @property
    def key(self) -> str:
        """The component as families are spelled: `ms(number)`, `return`."""
        return self.name if self.kind is None else f"{self.name}({self.kind})"


@attrs.frozen
class ParsedPoint:
    """A brace-free probe point and its mark."""

    components: tuple[PatternComponent, ...]
    optional: bool  # `?` (also set by `!`)
    sufficient: bool  # `!`

    @property
    def key(self) -> str:
        """The dotted spelling with arguments reduced to their kinds."""
        return ".".join(c.key for c in self.components)


# ---------------------------------------------------------------------------
# Tokens

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<name>(?:[A-Za-z_$][A-Za-z0-9_$]*|\*)+)   # a glued run of identifiers and `*`
  | (?P<string>"(?:[^"\\\n]|\\[^\n])*")
  | (?P<number>[0-9][A-Za-z0-9]*)                 # lexed greedily, checked later (stap does too)
  | (?P<punct>[.,{}()?!-])
    """,
    re.VERBOSE,
)

# Escapes stap keeps verbatim in a string token; any other `\c` becomes `c`.
_KEPT_ESCAPES = frozenset("abtnvfr\\01234567x")


# The internal records are NamedTuples: cheaper to define at import than attrs classes.
class _Token(NamedTuple):
    kind: str  # "name", "string", "number", "punct", "end"
    text: str
    column: int  # 1-based
    start: int  # offset
    end: int


def _tokens(text: str) -> list[_Token]:
    tokens = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            if text[pos] == '"':
                raise PatternError("unterminated string (no closing quote)", pos + 1)
            raise PatternError(f"unexpected character {text[pos]!r}", pos + 1)
        kind = m.lastgroup
        assert kind is not None
        if kind != "space":
            tokens.append(_Token(kind, m.group(), pos + 1, pos, m.end()))
        pos = m.end()
    tokens.append(_Token("end", "", len(text) + 1, len(text), len(text)))
    return tokens


def string_value(token: str) -> str:
    """The value of a string literal token as written in a probe point (quotes and escapes undone)."""
    body = token[1:-1]
    out = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append(c + nxt if nxt in _KEPT_ESCAPES else nxt)
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _number_value(text: str, negative: bool, column: int) -> int:
    """stap reads a number with strtoull(s, 0): decimal, 0x hex or leading-0 octal."""
    try:
        if text[:2] in ("0x", "0X"):
            value = int(text[2:], 16) if text[2:] else None
        elif text.startswith("0") and len(text) > 1:
            value = int(text[1:], 8)
        else:
            value = int(text, 10)
    except ValueError:
        value = None
    limit = 2**63 if negative else 2**64 - 1
    if value is None or value > limit:
        raise PatternError(f"number invalid or out of range: {text}", column)
    return -value if negative else value


# ---------------------------------------------------------------------------
# Parser: a list of points, each a list of components or brace groups


class _Braces(NamedTuple):
    points: tuple[_Point, ...]
    column: int


class _Point(NamedTuple):
    items: tuple[PatternComponent | _Braces, ...]
    mark: str | None  # "?", "!" or None
    mark_column: int


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0
        self.depth = 0  # braces open around the current position

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def at(self, punct: str) -> bool:
        token = self.peek()
        return token.kind == "punct" and token.text == punct

    def fail(self, message: str, token: _Token | None = None) -> PatternError:
        token = token or self.peek()
        return PatternError(message, token.column)

    def describe(self, token: _Token) -> str:
        return "the end of the pattern" if token.kind == "end" else repr(token.text)

    def parse(self) -> tuple[_Point, ...]:
        points = self.point_list()
        token = self.peek()
        if token.kind != "end":
            if token.text == "}":
                raise self.fail("'}' without a matching '{'")
            if token.text in ("?", "!"):
                raise self.fail("'?' or '!' respecified")
            raise self.fail(f"unexpected {self.describe(token)} after a probe point")
        return points

    def point_list(self) -> tuple[_Point, ...]:
        points = [self.point()]
        while self.at(","):
            self.take()
            points.append(self.point())
        return tuple(points)

    def point(self) -> _Point:
        items = [self.component()]
        while self.at(".") or self.at("{"):
            if self.at("{"):  # `a{b,c}`: braces glued to a name
                raise self.fail("braces must stand for a whole component")
            self.take()
            items.append(self.component())
        mark, mark_column = None, 0
        if self.at("?") or self.at("!"):
            token = self.take()
            mark, mark_column = token.text, token.column
            if self.at("?") or self.at("!"):
                raise self.fail("'?' or '!' respecified")
            if not (self.at(",") or self.at("}") or self.peek().kind == "end"):
                raise PatternError("'?' or '!' must only come after the last component", mark_column)
        return _Point(tuple(items), mark, mark_column)

    def component(self) -> PatternComponent | _Braces:
        token = self.peek()
        if token.kind == "punct" and token.text == "{":
            self.take()
            self.depth += 1
            if self.depth > MAX_BRACE_DEPTH:
                raise self.fail(f"braces nested more than {MAX_BRACE_DEPTH} deep", token)
            if self.at("}"):
                raise self.fail("empty braces: expected a probe point")
            points = self.point_list()
            if not self.at("}"):
                raise self.fail(f"expected ',' or '}}' (to close the '{{' at column {token.column}), "
                                f"found {self.describe(self.peek())}")
            self.take()
            self.depth -= 1
            if self.peek().kind in ("name", "string", "number") or self.at("(") or self.at("{"):
                raise self.fail("braces must stand for a whole component")
            return _Braces(points, token.column)
        if token.kind != "name":
            raise self.fail(f"expected a component name, '*' or '{{', found {self.describe(token)}")
        self.take()
        name = token.text
        if self.peek().kind == "name":
            # two names with whitespace between them: stap glues only touching pieces
            raise self.fail(f"unexpected {self.describe(self.peek())}: a name cannot hold whitespace")
        if not self.at("("):
            return PatternComponent(name, None, None, name)
        open_paren = self.take()
        kind, value = self.argument()
        if not self.at(")"):
            raise self.fail(f"expected ')' (to close the '(' at column {open_paren.column}), "
                            f"found {self.describe(self.peek())}")
        close = self.take()
        arg_text = self.text[open_paren.end:close.start].strip()
        return PatternComponent(name, kind, value, f"{name}({arg_text})")

    def argument(self) -> tuple[str, str | int | None]:
        token = self.peek()
        if token.kind == "string":
            parts = []
            while self.peek().kind == "string":  # adjacent strings are glued, as stap does
                parts.append(string_value(self.take().text))
            return STRING, "".join(parts)
        negative = False
        if token.kind == "punct" and token.text == "-":
            self.take()
            negative = True
            token = self.peek()
        if token.kind == "number":
            self.take()
            return NUMBER, _number_value(token.text, negative, token.column)
        if not negative and token.kind == "name" and token.text in (STRING, NUMBER):
            self.take()
            return token.text, None  # stapkit extension: the kind itself
        raise self.fail(f"expected a literal string or number, found {self.describe(token)}")


# ---------------------------------------------------------------------------
# Brace expansion


def _expand_point(point: _Point) -> list[tuple[tuple[PatternComponent, ...], str | None]]:
    """Every brace-free point of `point`, in stap's order, with its mark."""
    choices: list[list[tuple[tuple[PatternComponent, ...], str | None]]] = []
    last = len(point.items) - 1
    for index, item in enumerate(point.items):
        if isinstance(item, PatternComponent):
            choices.append([((item,), None)])
            continue
        options = []
        for inner in item.points:
            for comps, mark in _expand_point(inner):
                if mark is not None and index != last:
                    raise PatternError("'?' or '!' must only come after the last component",
                                       inner.mark_column or item.column)
                options.append((comps, mark))
        choices.append(options)
    total = 1
    for options in choices:
        total *= len(options)
    if total > MAX_EXPANSIONS:
        raise PatternError(f"the braces expand to more than {MAX_EXPANSIONS} probe points",
                           next(i.column for i in point.items if isinstance(i, _Braces)))
    out = []
    for combo in itertools.product(*choices):
        comps = tuple(c for part, _ in combo for c in part)
        inner_mark = combo[-1][1]
        if inner_mark is not None and point.mark is not None:
            raise PatternError("'?' or '!' respecified", point.mark_column)
        out.append((comps, inner_mark or point.mark))
    return out


def _expanded(pattern: str) -> list[ParsedPoint]:
    points = _Parser(pattern).parse()
    out = []
    for point in points:
        for comps, mark in _expand_point(point):
            out.append(ParsedPoint(comps, optional=mark is not None, sufficient=mark == "!"))
    return out


def _spell(point: ParsedPoint) -> str:
    mark = "!" if point.sufficient else "?" if point.optional else ""
    return ".".join(c.text for c in point.components) + mark


def expand_braces(pattern: str) -> list[str]:
    """The brace-free points a pattern stands for, in stap's order.

    `syscall.{open,close}.return` gives `syscall.open.return`,
    `syscall.close.return`; a top-level list `a,b` gives both; a mark stays
    on each point (`zz.{a,b}!` gives `zz.a!`, `zz.b!`).  Components keep
    their arguments as written; whitespace between tokens is dropped.
    """
    return [_spell(p) for p in _expanded(pattern)]


def split_pattern(text: str) -> list[str]:
    """The top-level components of one probe point, as written.

    Dots inside string arguments and inside braces do not split:
    `process("/usr/bin/a.b").function("x")` gives
    `['process("/usr/bin/a.b")', 'function("x")']`, and `zz.{a.b,c}.d` gives
    `['zz', '{a.b,c}', 'd']`.  A final `?`/`!` is not part of any component.
    A comma-separated list is an error (expand it with `expand_braces`).
    """
    parser = _Parser(text)
    points = parser.parse()
    if len(points) != 1:
        comma = next(t for t in parser.tokens if t.kind == "punct" and t.text == ","
                     and _depth_at(parser.tokens, t) == 0)
        raise PatternError("a list of probe points, not one point", comma.column)
    out = []
    for item in points[0].items:
        if isinstance(item, PatternComponent):
            out.append(item.text)
        else:
            out.append(_braces_text(text, parser.tokens, item))
    return out


def _depth_at(tokens: list[_Token], target: _Token) -> int:
    depth = 0
    for t in tokens:
        if t is target:
            return depth
        if t.kind == "punct" and t.text == "{":
            depth += 1
        elif t.kind == "punct" and t.text == "}":
            depth -= 1
    return depth


def _braces_text(text: str, tokens: list[_Token], braces: _Braces) -> str:
    start = braces.column - 1
    depth = 0
    for t in tokens:
        if t.start < start or t.kind != "punct":
            continue
        if t.text == "{":
            depth += 1
        elif t.text == "}":
            depth -= 1
            if depth == 0:
                return text[start:t.end]
    raise AssertionError("unbalanced braces after a successful parse")


def parse_point(text: str) -> ParsedPoint:
    """One brace-free probe point, its components and mark.

    `kernel.function("vfs_read").return?` gives three components
    (`kernel`, `function` with the string `vfs_read`, `return`), optional.
    """
    points = _expanded(text)
    if len(points) != 1 or "{" in _structural(text):
        raise PatternError("expected one probe point without braces", 1)
    return points[0]


def _structural(text: str) -> str:
    """The text with string literals blanked, to look for braces outside them."""
    return re.sub(r'"(?:[^"\\\n]|\\[^\n])*"', '""', text)


# ---------------------------------------------------------------------------
# Matching

# A lone `*` stays within one component; `**` may cross dots but never an
# argument (the components it spans have none).  Names are canonical keys
# (`ms(number)`), so parentheses mark arguments.
_ONE = "[^.()]*"
_MANY = "[^()]*"


def _component_regex(component: PatternComponent) -> str:
    parts = []
    for run in re.findall(r"\*+|[^*]+", component.name):
        if run.startswith("*"):
            parts.append(_MANY if len(run) > 1 else _ONE)
        else:
            parts.append(re.escape(run))
    if component.kind is not None:
        parts.append(re.escape(f"({component.kind})"))
    return "".join(parts)


class _Alternative(NamedTuple):
    prefix: str  # literal start of every name it can match (for bisecting sorted names)
    regex: re.Pattern[str]
    sufficient: bool


@functools.lru_cache(maxsize=256)
def _compile(pattern: str) -> tuple[_Alternative, ...]:
    out = []
    for point in _expanded(pattern):
        key = point.key
        cut = min((i for i in (key.find("*"), key.find("(")) if i >= 0), default=len(key))
        regex = re.compile(r"\.".join(_component_regex(c) for c in point.components))
        out.append(_Alternative(key[:cut], regex, point.sufficient))
    return tuple(out)


@functools.lru_cache(maxsize=4096)
def _key_with_arguments(name: str) -> str:
    return parse_point(name).key


def _key(name: str) -> str:
    """A name as a canonical key: arguments become their kinds."""
    return _key_with_arguments(name) if "(" in name else name


def matches(pattern: str, name: str) -> bool:
    """Does the pattern match this complete dotted name?

    `name` is an alias name (`socket.sendmsg.return`) or a point with
    arguments, literal or as kinds (`timer.ms(5)`, `kernel.function(string)`);
    arguments are compared by kind only.  Alias suffixes are not tried: the
    pattern must match the whole name.  `!` is read as `?` here (which of
    several names a `!` stops at depends on the list: see `match_names`).
    """
    key = _key(name)
    return any(alt.regex.fullmatch(key) for alt in _compile(pattern))


def match_names(pattern: str, names: Sequence[str]) -> list[str]:
    """The names the pattern matches, in the order given.

    `names` must be sorted (as `sorted()` sorts them): each alternative of the
    pattern looks only at the names that start with its literal prefix.  An
    alternative marked `!` that matches something ends the search, as stap
    skips the points after a sufficient one that resolves.
    """
    chosen: set[int] = set()
    for alt in _compile(pattern):
        lo = bisect.bisect_left(names, alt.prefix)
        hi = bisect.bisect_left(names, _successor(alt.prefix)) if alt.prefix else len(names)
        found = False
        for i in range(lo, hi):
            if alt.regex.fullmatch(_key(names[i])):
                chosen.add(i)
                found = True
        if found and alt.sufficient:
            break
    return [names[i] for i in sorted(chosen)]


def _successor(prefix: str) -> str:
    """The smallest string greater than every string that starts with `prefix`."""
    last = ord(prefix[-1])
    if last == 0x10FFFF:  # no greater character: fall back to the one before
        return _successor(prefix[:-1]) if len(prefix) > 1 else "\U0010ffff" * 2
    return prefix[:-1] + chr(last + 1)
