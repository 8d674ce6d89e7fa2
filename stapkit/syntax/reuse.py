"""Reusing the parse of top-level declarations an edit did not touch (for the language server).

The parser reads a file one declaration at a time (feeder.split_declarations),
and an error-free parse of a declaration depends only on its tokens (kinds,
texts, flags, and where each lies relative to the first), on how the file is
read (guru mode, language version) and on nothing else: no other declaration,
no text outside its tokens.  So a `DeclarationReuse` kept from one version of
a document to the next remembers each declaration's tree by those tokens, and
the next parse takes the tree from it instead of running the parser again.
A declaration that moved (text was inserted or removed before it) gets a copy
whose spans are moved by the same amount (`relocated`); one that did not move
gets the very same tree objects.

What is never reused, and so always parsed again:
* a declaration whose parse reported anything (the parser's recovery reads
  the text around the tokens, and messages may name lines);
* a declaration with a token that came out of a macro or a script argument
  (its tokens carry where they came from, which the key does not compare).

The result is exactly what parsing gives (tests/lsp/test_incremental.py
compares them on random edits of real scripts).  A reuse object serves one
document, one parse at a time (the language server checks a document on one
thread at a time); it keeps the declarations of the last two parses only, so
it never grows with the number of edits.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Callable

import attrs

from ..diagnostics import Span
from . import ast

_SCALARS = frozenset({str, int, bool, float, type(None)})
_new_span = tuple.__new__
_new_node = object.__new__
_put = object.__setattr__


class DeclarationReuse:
    """The parsed declarations of one document's last parses, by their tokens (see the module)."""

    def __init__(self) -> None:
        # key (_key) -> (the tree, where the declaration started in the text it was parsed from)
        self._previous: dict[_Key, tuple[ast.Node, int]] = {}
        self._current: dict[_Key, tuple[ast.Node, int]] = {}
        self._retired: dict | None = None  # the parse before last's, until `release`
        self.reused = 0  # declarations taken from an earlier parse, in the last parse (for tests and logs)
        self.parsed = 0  # declarations parsed, in the last parse

    def begin(self) -> None:
        """A new parse of the document starts: what the last one parsed becomes the reusable set.

        The trees of the parse before are let go by `release` (freeing a file's trees takes a
        few milliseconds: the server does it once the diagnostics are out), or at the next parse.
        """
        if self._current:
            self._retired = self._previous
            self._previous = self._current
        self._current = {}
        self.reused = self.parsed = 0

    def release(self) -> None:
        """Let go of the trees no parse will reuse any more (see `begin`)."""
        self._retired = None

    def parser(self, parse_declaration: Callable, guru: bool, version: tuple[int, ...],
               version_origin: str, *, trees: bool = True) -> Callable:
        """`parse_declaration` (chunk -> (node, diagnostics)), answered from earlier parses when it can be.

        `trees=False`: the caller reads only the diagnostics (the check of untaken branches),
        so a reused declaration's tree is not copied: (None, []) is the answer.
        """
        context = (guru, version, version_origin)

        def parse(chunk):
            key = _key(chunk, context)
            if key is not None:
                found = self._current.get(key) or self._previous.get(key)
                if found is not None:
                    self.reused += 1
                    node, start = found
                    if not trees:
                        self._current.setdefault(key, found)
                        return None, []
                    if start != chunk[0].start:  # moved: a copy, kept for the next parse
                        node = relocated(node, chunk[0].start - start)
                        found = (node, chunk[0].start)
                    self._current[key] = found
                    return node, []
            node, diagnostics = parse_declaration(chunk)
            self.parsed += 1
            if key is not None and not diagnostics and node is not None:
                self._current[key] = (node, chunk[0].start)
            return node, diagnostics

        return parse


def _key(chunk, context) -> "_Key | None":
    """What an error-free parse of the declaration depends on; None if it must be parsed.

    The first token's flags say what comes before the declaration (a comment, a blank):
    the parser never reads flags (the feeder glued probe-point names already), and
    they are left out there so that typing above a declaration leaves it reusable.
    """
    base = chunk[0].start
    parts = []
    append = parts.append
    for kind, text, start, end, flags, origin in chunk:
        if origin is not None:
            return None
        append((kind, text, start - base, end - base, flags))
    first = parts[0]
    parts[0] = first[:4]
    return _Key((context, tuple(parts)))


class _Key:
    """A declaration's key, hashed once (a dict looks it up two or three times a parse)."""

    __slots__ = ("parts", "hash")

    def __init__(self, parts: tuple):
        self.parts = parts
        self.hash = hash(parts)

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other) -> bool:
        return type(other) is _Key and self.hash == other.hash and self.parts == other.parts


def relocated(node, delta: int):
    """A copy of a tree with every span moved by `delta` characters."""
    ast.ensure_recursion_room()
    return _move(node, delta)


# How each field of each node class is moved: its span (a Span), a value that holds no position
# (a name, a flag), or a part of the tree (nodes, tuples of them, None).  A constant, made at import.
_SPAN, _SCALAR, _TREE = 0, 1, 2
_BY_ANNOTATION = {"Span": _SPAN, "str": _SCALAR, "str | None": _SCALAR, "bool": _SCALAR, "int": _SCALAR,
                  "int | None": _SCALAR, "tuple[str, ...]": _SCALAR}
_PLANS = MappingProxyType({
    cls: tuple((f.name, _BY_ANNOTATION.get(f.type, _TREE)) for f in attrs.fields(cls))
    for cls in vars(ast).values() if isinstance(cls, type) and issubclass(cls, ast.Node) and attrs.has(cls)})


def _move(value, delta: int):
    kind = type(value)
    plan = _PLANS.get(kind)
    if plan is not None:
        copy = _new_node(kind)
        for name, how in plan:
            part = getattr(value, name)
            if how is _SPAN:
                part = _new_span(Span, (part[0] + delta, part[1] + delta))
            elif how is _TREE and part is not None:
                part = _move(part, delta)
            _put(copy, name, part)
        return copy
    if kind is tuple:
        return tuple([_move(v, delta) for v in value])
    if kind in _SCALARS:
        return value
    raise TypeError(f"cannot move a {kind.__name__} of a syntax tree")
