"""What the control-flow and run-time rules (STP403-STP409, STP510-STP539) share.

The rules walk the AST themselves.  What several of them need is computed
once per checked file, on first use, as `ctx.flow` (a FileFacts): the bodies of the script (probe,
alias and function bodies), every node of each body by type and with its
parent, and which probes fire on events.

Nodes that came from a macro expansion carry the span of the invocation, so
a rule that reads the text around a node first checks that the text is what
the node says it is (`text_at`), and offers no fix otherwise.
"""

from __future__ import annotations

import bisect
import re
from typing import TYPE_CHECKING, Iterator, NamedTuple

from ..syntax import ast

if TYPE_CHECKING:
    from .rule import LintContext

# Probe families that do not fire on system activity: they run once, or on a
# fixed clock.  Everything else (functions, tracepoints, syscalls, processes,
# perf counters, timer.profile) fires as often as the system does the thing.
_QUIET_FAMILY = re.compile(r"(begin|end|error)(\(number\))?|never|procfs.*|timer\.(?!profile).*")

# The functions that end the script: exit() once the handler returns; error()
# and assert() by a run-time error (unless a try/catch catches it); abort() at once.
ENDING_FUNCTIONS = frozenset({"exit", "abort", "error", "assert"})


def unparen(node):
    while type(node) is ast.Paren:
        node = node.expr
    return node


class Body(NamedTuple):
    decl: object  # ast.ProbeDecl, ast.AliasDecl or ast.FunctionDecl
    block: ast.Block


class FileFacts:
    """The bodies of one script, and their nodes by type and with their parents."""

    def __init__(self, ctx: "LintContext"):
        ast.ensure_recursion_room()
        # The unit, not the context: the context keeps its FileFacts, and a cycle between
        # them left each file's tree to the cyclic collector instead of reference counting.
        self.unit = ctx.unit
        self.bodies: list[Body] = []
        for item in ctx.script.items:
            if isinstance(item, ast.ProbeDecl):
                self.bodies.append(Body(item, item.body))
            elif isinstance(item, ast.AliasDecl):
                self.bodies.append(Body(item, item.body))
                if item.epilogue is not None:
                    self.bodies.append(Body(item, item.epilogue))
            elif isinstance(item, ast.FunctionDecl) and isinstance(item.body, ast.Block):
                self.bodies.append(Body(item, item.body))
        # node type -> [(node, index of its body in self.bodies)], parents before children
        self.by_type: dict[type, list[tuple[object, int]]] = {}
        by_type, child_list = self.by_type, ast.child_list
        for index, body in enumerate(self.bodies):
            stack = [body.block]
            while stack:
                node = stack.pop()
                found = by_type.get(type(node))
                if found is None:
                    by_type[type(node)] = [(node, index)]
                else:
                    found.append((node, index))
                kids = child_list(node)
                if kids:
                    kids.reverse()
                    stack.extend(kids)
        self._parent: dict[int, object] | None = None
        self._comment_starts: list[int] | None = None

    @property
    def parent(self) -> dict[int, object]:
        """id(node) -> its parent, for every node inside a body (made on first use: few files
        need it, none of the tapset library's)."""
        if self._parent is None:
            parent: dict[int, object] = {}
            for body in self.bodies:
                stack = [body.block]
                while stack:
                    node = stack.pop()
                    kids = ast.child_list(node)
                    for kid in kids:
                        parent[id(kid)] = node
                    stack.extend(kids)
            self._parent = parent
        return self._parent

    def nodes(self, *types) -> Iterator[tuple[object, Body]]:
        """Every node of the given types in the bodies, with its body (in no particular order)."""
        for t in types:
            for node, index in self.by_type.get(t, ()):
                yield node, self.bodies[index]

    def ancestors(self, node) -> Iterator[object]:
        """The parents of a node inside its body, innermost first."""
        parent = self.parent.get(id(node))
        while parent is not None:
            yield parent
            parent = self.parent.get(id(parent))

    # -- the script's functions and the probes that reach them ---------------

    def script_functions(self) -> dict[str, list[ast.FunctionDecl]]:
        """The script's functions by name, each with its definitions (from the bindings)."""
        from ..semantic.bindings import Bindings

        return {name: function.decls for name, function in Bindings.of(self.unit).functions.items()}

    def is_event_probe(self, decl) -> bool:
        """A probe that fires on system activity (not begin/end/error/never/timers/procfs)."""
        info = self.unit.probes.get(id(decl))
        if info is None or not info.families:
            return False
        return any(not _QUIET_FAMILY.fullmatch(family) for family in info.families)

    # -- text ---------------------------------------------------------------

    def comment_at(self, offset: int):
        """The comment that contains `offset`, if any."""
        comments = self.unit.result.comments
        if self._comment_starts is None:
            self._comment_starts = [c.start for c in comments]
        i = bisect.bisect_right(self._comment_starts, offset) - 1
        if i >= 0 and comments[i].start <= offset < comments[i].end:
            return comments[i]
        return None

    def next_code(self, offset: int) -> int:
        """The offset of the first character at or after `offset` that is not blank or a comment."""
        text = self.unit.text
        n = len(text)
        while offset < n:
            if text[offset] in " \t\r\n\f\v":
                offset += 1
                continue
            comment = self.comment_at(offset)
            if comment is None:
                return offset
            offset = comment.end
        return n

    def has_comment(self, start: int, end: int) -> bool:
        comments = self.unit.result.comments
        if self._comment_starts is None:
            self._comment_starts = [c.start for c in comments]
        i = bisect.bisect_left(self._comment_starts, start)
        return (i < len(comments) and comments[i].start < end) or self.comment_at(start) is not None


def crosses_conditional(ctx: "LintContext", start: int, end: int) -> bool:
    """Does a `%( ... %)` conditional begin or end between `start` and `end`?  Code on both
    sides of one is there for some targets only."""
    for conditional in ctx.unit.result.conditionals:
        if start < conditional.open.start < end or start < conditional.end <= end:
            return True
    return False


def text_at(ctx: "LintContext", start: int, expected: str) -> bool:
    """Is `expected` written at `start` (and not, say, in a macro body the node came from)?"""
    return 0 <= start and ctx.text.startswith(expected, start)


def column(text: str, offset: int) -> int:
    """The 0-based column at which an offset is shown, with tab stops every 8 columns
    (so that a line indented with a tab and one indented with spaces compare as they look)."""
    line_start = text.rfind("\n", 0, offset) + 1
    shown = 0
    for ch in text[line_start:offset]:
        shown = (shown // 8 + 1) * 8 if ch == "\t" else shown + 1
    return shown


def first_on_line(text: str, offset: int) -> bool:
    """Is the character at `offset` the first non-blank one of its line?"""
    line_start = text.rfind("\n", 0, offset) + 1
    return not text[line_start:offset].strip()


def ends_control_flow(stmt) -> bool:
    """Does control never reach the statement after this one?

    True for `next`, `return`, `break` and `continue`, for a block whose
    statements include one, and for an if/else whose two branches both end.
    (exit() is no such statement: the handler runs on after it.)
    """
    kind = type(stmt)
    if kind in (ast.NextStmt, ast.ReturnStmt, ast.BreakStmt, ast.ContinueStmt):
        return True
    if kind is ast.Block:
        return any(ends_control_flow(s) for s in stmt.statements)
    if kind is ast.IfStmt:
        return stmt.otherwise is not None and ends_control_flow(stmt.then) and ends_control_flow(stmt.otherwise)
    return False


def string_pieces(ctx: "LintContext", literal: ast.StringLit) -> list[tuple[int, int]] | None:
    """Where each glued piece of a string literal is written: [(start, end)], or None when the
    text does not hold them (a macro's or an argument's string)."""
    text = ctx.text
    found = []
    position = literal.span.start
    for piece in literal.pieces:
        start = text.find(piece, position, literal.span.end)
        if start < 0:
            return None
        found.append((start, start + len(piece)))
        position = start + len(piece)
    return found
