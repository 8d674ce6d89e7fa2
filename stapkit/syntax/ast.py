"""The SystemTap abstract syntax tree: one small immutable class per construct.

Every node has a `span` (character offsets in its file).  Spans take no part
in equality, so two trees compare equal when they say the same thing, however
they were laid out: `parse(print(tree)) == tree` is the printer's contract.

The tree keeps what a person wrote where it matters to a reader or a tool
(parentheses, glued string pieces, the placement of sort marks), and stays
close to stap's own parse tree (staptree.h) otherwise.
"""

from __future__ import annotations

import re
import sys
from operator import attrgetter
from typing import Union

import attrs

from ..diagnostics import Span


NO_SPAN = Span(0, 0)


def _span():
    # Spans default to nothing, so trees can be written by hand (tests, fixes).
    return attrs.field(default=NO_SPAN, eq=False, repr=False)


# The parser bounds how deep a tree can be (parser.MAX_PARSE_STACK, build.MAX_CHAIN),
# but the deepest trees it accepts take more frames to walk than Python's default
# recursion limit allows.  Code that walks trees recursively calls this first.
RECURSION_ROOM = 20000


# The most brace-free points one written probe point is expanded to.  Each `{a,b}` group
# multiplies them: 22 groups are four million points, which no script means (the largest in
# the corpora stand for a few dozen); past this, the rest are not built or checked.
MAX_EXPANDED_POINTS = 10_000


def ensure_recursion_room() -> None:
    if sys.getrecursionlimit() < RECURSION_ROOM:
        sys.setrecursionlimit(RECURSION_ROOM)


def trees_equal(a, b) -> bool:
    """Structural equality of two trees (spans aside), without recursion.

    Trees can be a few hundred levels deep (the parser bounds them); comparing
    them recursively would overflow Python's recursion limit.
    """
    pending = [(a, b)]
    while pending:
        x, y = pending.pop()
        if x is y:
            continue
        tx = type(x)
        if tx is not type(y):
            return False
        if isinstance(x, Node):
            kx, ky = x._key(), y._key()
            pending.extend(zip(kx, ky))
        elif tx is tuple:
            if len(x) != len(y):
                return False
            pending.extend(zip(x, y))
        elif x != y:
            return False
    return True


def tree_hash(tree) -> int:
    """A hash of the whole tree (spans aside), without recursion: equal trees hash alike.

    A node's own __hash__ is shallow (its children are left out), so that putting
    nodes in a set stays cheap; trees that differ only below the top then all hash
    alike, and a dict keyed by them compares each new tree with every other (n²).
    Key such a dict by this hash and confirm a match with ==.
    """
    parts: list = []
    pending = [tree]
    while pending:
        x = pending.pop()
        if isinstance(x, Node):
            key = x._key()
            parts.append(type(x).__name__)
            pending.extend(reversed(key))
        elif type(x) is tuple:
            parts.append(len(x))  # with the arity, the flat sequence is one tree only
            pending.extend(reversed(x))
        else:
            parts.append(x)
    return hash(tuple(parts))


def _tuple_getter(names: tuple[str, ...]):
    if not names:
        return lambda node: ()
    if len(names) == 1:
        getter = attrgetter(names[0])
        return lambda node: (getter(node),)
    return attrgetter(*names)


# Node classes are frozen attrs classes, but only their __init__ is generated:
# equality, hashing and repr come from Node, written once.  attrs compiles every
# generated method, and compiling four methods for each of ~60 classes cost a
# tenth of a second at every start of the command.
node = attrs.frozen(eq=False, repr=False)

_NOT_COMPARED = frozenset({"span", "name_span", "semicolon"})


class Node:
    __slots__ = ()

    @classmethod
    def _compared_fields(cls) -> tuple[str, ...]:
        names = cls.__dict__.get("_compared")
        if names is None:
            names = tuple(f.name for f in attrs.fields(cls) if f.name not in _NOT_COMPARED)
            type.__setattr__(cls, "_compared", names)
            # A C-level getter, so that comparing two trees costs one Python
            # frame per level (trees may be a few hundred levels deep).
            type.__setattr__(cls, "_key_getter", _tuple_getter(names))
        return names

    def _key(self) -> tuple:
        getter = type(self).__dict__.get("_key_getter")
        if getter is None:
            self._compared_fields()
            getter = type(self).__dict__["_key_getter"]
        return getter(self)

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return trees_equal(self, other)

    def __ne__(self, other):
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self):
        # Shallow (the node's own values, not its children's), so that hashing
        # never recurses: equal trees still hash alike.
        return hash((type(self).__name__,) + tuple(
            value for value in self._key() if not isinstance(value, (Node, tuple))))

    def __repr__(self):
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._compared_fields())
        return f"{type(self).__name__}({fields})"


# ---------------------------------------------------------------- expressions


@node
class NumberLit(Node):
    value: int  # as stap stores it: 64-bit two's complement
    text: str  # as written: "0x10", "-1"
    span: Span = _span()


@node
class StringLit(Node):
    value: str  # the glued value, escapes as stap keeps them (see literals.py)
    # The pieces as written ('"a"', '"b"', '@1'): adjacent strings are glued,
    # and an @N argument placeholder has no value yet.
    pieces: tuple[str, ...]
    span: Span = _span()

    @property
    def has_arguments(self) -> bool:
        return any(p.startswith("@") for p in self.pieces)


@node
class ScriptArgument(Node):
    """A `$N` or `$#` command-line argument left as a placeholder.

    stap pastes the argument's text in, so `$3(x)` calls the function whose
    name is given as the third argument: then `args` holds (x,).
    """

    text: str
    args: tuple["Expr", ...] | None
    span: Span = _span()


@node
class Variable(Node):
    name: str
    span: Span = _span()


@node
class Wildcard(Node):
    """`*` as an array index: `delete a[*, 1]`, `[*, k] in a`."""

    span: Span = _span()


@node
class ArrayIndex(Node):
    array: "Expr"  # a Variable, or a HistOp for a bucket: @hist_log(s)[3]
    indexes: tuple["Expr", ...]  # may hold Wildcard
    span: Span = _span()


@node
class Call(Node):
    name: str
    args: tuple["Expr", ...]
    span: Span = _span()
    name_span: Span = _span()


@node
class PrintCall(Node):
    """print, println, printf, printd, printdln, print_char and their s- forms.

    For printf/sprintf, args[0] is the format; for printd/printdln (and their
    s- forms), args[0] is the delimiter.  `print(@hist_log(s))` has a HistOp.
    """

    name: str
    args: tuple["Expr", ...]
    span: Span = _span()
    name_span: Span = _span()

    @property
    def has_format(self) -> bool:
        return self.name in ("printf", "sprintf")

    @property
    def has_delimiter(self) -> bool:
        return self.name in ("printd", "printdln", "sprintd", "sprintdln")


@node
class Paren(Node):
    expr: "Expr"
    span: Span = _span()


@node
class Tuple(Node):
    """`[a, b]`: only valid as the left side of `in` (InExpr takes it apart)."""

    items: tuple["Expr", ...]
    span: Span = _span()


@node
class Unary(Node):
    op: str  # + - ! ~
    operand: "Expr"
    span: Span = _span()


@node
class Crement(Node):
    op: str  # ++ or --
    operand: "Expr"
    prefix: bool
    span: Span = _span()


@node
class Binary(Node):
    op: str  # || && | ^ & < > <= >= == != << >> >>> . + - * / %
    left: "Expr"
    right: "Expr"
    span: Span = _span()


@node
class InExpr(Node):
    keys: tuple["Expr", ...]  # may hold Wildcard
    array: "Expr"  # a Variable or a HistOp
    bracketed: bool  # written [k1, k2] in a
    span: Span = _span()


@node
class RegexMatch(Node):
    op: str  # =~ or !~
    left: "Expr"
    pattern: StringLit
    span: Span = _span()


@node
class Ternary(Node):
    condition: "Expr"
    then: "Expr"
    otherwise: "Expr"
    span: Span = _span()


@node
class Assignment(Node):
    op: str  # = <<< += -= *= /= %= <<= >>= &= ^= |= .=
    target: "Expr"
    value: "Expr"
    span: Span = _span()


@node
class TargetVariable(Node):
    """A context variable: `$var`, `$$vars`, `$return`, `$$parms`."""

    name: str
    span: Span = _span()


@node
class Cast(Node):
    """`@cast(operand, "type" [, "module"])`."""

    operand: "Expr"
    type_name: StringLit
    module: StringLit | None
    span: Span = _span()


@node
class AtVar(Node):
    """`@var("name[@cu]" [, "module"])`."""

    name: StringLit
    module: StringLit | None
    span: Span = _span()


@node
class Member(Node):
    name: str  # a keyword is a valid member name: $timer->function
    span: Span = _span()


@node
class Subscript(Node):
    index: "Expr"
    span: Span = _span()


@node
class Access(Node):
    """`base->member[index]...$`: struct access on a target value (or autocast)."""

    base: "Expr"
    steps: tuple[Member | Subscript, ...]
    pretty: str | None  # "$" or "$$" pretty-printing, else None
    span: Span = _span()


@node
class AddressOf(Node):
    operand: "Expr"
    span: Span = _span()


@node
class HistOp(Node):
    kind: str  # "@hist_linear" or "@hist_log"
    operand: "Expr"
    params: tuple["Expr", ...]  # start, stop, interval for @hist_linear
    span: Span = _span()


@node
class StatOp(Node):
    op: str  # @count @sum @min @max @avg @variance
    operand: "Expr"
    params: tuple["Expr", ...]  # the bit shift of @variance(s, N)
    span: Span = _span()


@node
class Defined(Node):
    operand: "Expr"
    span: Span = _span()


@node
class ProbeWrite(Node):
    name: Variable
    span: Span = _span()


@node
class Entry(Node):
    operand: "Expr"
    span: Span = _span()


@node
class Perf(Node):
    name: StringLit
    span: Span = _span()


@node
class Const(Node):
    """`@const("C expression")` (guru mode)."""

    text: StringLit
    span: Span = _span()


@node
class Enum(Node):
    name: StringLit
    span: Span = _span()


@node
class EnumName(Node):
    operand: "Expr"
    type_name: StringLit | None
    module: StringLit | None
    span: Span = _span()


@node
class Register(Node):
    op: str  # @kregister or @uregister
    number: "Expr"
    span: Span = _span()


@node
class Deref(Node):
    op: str  # @kderef or @uderef
    size: "Expr"
    address: "Expr"
    span: Span = _span()


@node
class EmbeddedExpr(Node):
    """`%{ C expression %}` used as a value (guru mode)."""

    code: str  # between %{ and %}
    span: Span = _span()


@node
class UnknownOperator(Node):
    """An @word that is neither an operator nor a macro (always an error)."""

    name: str
    args: tuple["Expr", ...] | None
    span: Span = _span()


@node
class MacroCall(Node):
    """A library macro known only by its signature (no tapset sources to expand it)."""

    name: str
    args: tuple["Expr", ...] | None
    span: Span = _span()


Expr = Union[
    NumberLit, StringLit, ScriptArgument, Variable, Wildcard, ArrayIndex, Call, PrintCall, Paren,
    Tuple, Unary, Crement, Binary, InExpr, RegexMatch, Ternary, Assignment, TargetVariable, Cast,
    AtVar, Access, AddressOf, HistOp, StatOp, Defined, ProbeWrite, Entry, Perf, Const, Enum,
    EnumName, Register, Deref, EmbeddedExpr, UnknownOperator, MacroCall,
]

# ---------------------------------------------------------------- statements


@node
class Block(Node):
    statements: tuple["Stmt", ...]
    span: Span = _span()


@node
class EmptyStmt(Node):
    span: Span = _span()


@node
class ExprStmt(Node):
    expr: Expr
    span: Span = _span()
    semicolon: bool = attrs.field(default=False, eq=False)  # ended with ';'


@node
class IfStmt(Node):
    condition: Expr
    then: "Stmt"
    otherwise: "Stmt | None"
    span: Span = _span()


@node
class WhileStmt(Node):
    condition: Expr
    body: "Stmt"
    span: Span = _span()


@node
class ForStmt(Node):
    init: Expr | None
    condition: Expr | None  # None: always true
    step: Expr | None
    body: "Stmt"
    span: Span = _span()


@node
class ForeachKey(Node):
    variable: Variable
    sort: str | None  # "+" or "-"
    span: Span = _span()


@node
class ForeachStmt(Node):
    value: ForeachKey | None  # foreach (v = k in a)
    keys: tuple[ForeachKey, ...]
    bracketed: bool  # keys written in [ ]
    array: Expr  # Variable or HistOp
    slices: tuple[Expr, ...] | None  # a[*, 2]: may hold Wildcard
    aggregate: str | None  # @count ... for sorting a statistics array
    sort: str | None  # "+"/"-" after the array: sort by value
    limit: Expr | None
    body: "Stmt"
    span: Span = _span()

    @property
    def sort_direction(self) -> int:
        """1 or -1 for the one sort mark of the loop, 0 for none."""
        for mark in (self.value.sort if self.value else None, self.sort,
                     *(k.sort for k in self.keys)):
            if mark:
                return 1 if mark == "+" else -1
        return 0


@node
class TryStmt(Node):
    body: Block
    catch_var: Variable | None
    catch_body: Block
    span: Span = _span()


@node
class ReturnStmt(Node):
    value: Expr | None
    span: Span = _span()
    semicolon: bool = attrs.field(default=False, eq=False)


@node
class DeleteStmt(Node):
    target: Expr
    span: Span = _span()
    semicolon: bool = attrs.field(default=False, eq=False)


@node
class BreakStmt(Node):
    span: Span = _span()
    semicolon: bool = attrs.field(default=False, eq=False)


@node
class ContinueStmt(Node):
    span: Span = _span()
    semicolon: bool = attrs.field(default=False, eq=False)


@node
class NextStmt(Node):
    span: Span = _span()
    semicolon: bool = attrs.field(default=False, eq=False)


Stmt = Union[
    Block, EmptyStmt, ExprStmt, IfStmt, WhileStmt, ForStmt, ForeachStmt, TryStmt, ReturnStmt,
    DeleteStmt, BreakStmt, ContinueStmt, NextStmt,
]

# ---------------------------------------------------------------- probe points


@node
class Component(Node):
    """One dotted part of a probe point: `function("vfs_read")`, `sys*`, `return`."""

    name: str  # glued as written, wildcards included
    arg: Expr | None  # StringLit, NumberLit or ScriptArgument
    span: Span = _span()


@node
class BraceGroup(Node):
    """`{a, b.c}` inside a probe point: each alternative in turn (brace expansion)."""

    points: tuple["ProbePoint", ...]
    span: Span = _span()


@node
class ProbePoint(Node):
    components: tuple[Component | BraceGroup, ...]
    optional: bool  # ? (also set by !)
    sufficient: bool  # !
    condition: Expr | None  # if (expr)
    span: Span = _span()

    def expand(self, limit: int = MAX_EXPANDED_POINTS) -> list["ProbePoint"]:
        """The brace-free probe points this one stands for, as stap builds them: the first
        `limit` of them (`a.{b,c}.{d,e}...` doubles with each group: see expansion_count)."""
        ensure_recursion_room()
        results: list[tuple[list[Component], "ProbePoint | None"]] = [([], None)]
        for comp in self.components:
            if isinstance(comp, Component):
                results = [(prefix + [comp], last) for prefix, last in results]
            else:
                alternatives = [p for point in comp.points for p in point.expand(limit)]
                results = [(prefix + list(alt.components), alt) for prefix, _ in results
                           for alt in alternatives][:limit]
        points = []
        for components, last in results:
            optional = self.optional or (last.optional if last else False)
            sufficient = self.sufficient or (last.sufficient if last else False)
            condition = self.condition or (last.condition if last else None)
            points.append(ProbePoint(tuple(components), optional, sufficient, condition, self.span))
        return points

    def expansion_count(self) -> int:
        """How many brace-free probe points this one stands for (counted, not built)."""
        ensure_recursion_room()
        count = 1
        for comp in self.components:
            if not isinstance(comp, Component):
                count *= sum(point.expansion_count() for point in comp.points)
        return count

    def dotted(self) -> str:
        """The point as text without suffixes: `kernel.function("vfs_read").return`."""
        ensure_recursion_room()
        return ".".join(_component_text(c) for c in self.components)


def _component_text(comp) -> str:
    if isinstance(comp, BraceGroup):
        return "{" + ",".join(p.dotted() for p in comp.points) + "}"
    if comp.arg is None:
        return comp.name
    arg = comp.arg
    text = " ".join(arg.pieces) if isinstance(arg, StringLit) else arg.text
    return f"{comp.name}({text})"


# ---------------------------------------------------------------- declarations


@node
class GlobalVar(Node):
    name: str
    wrap: bool  # "%": a wrapping array
    size: Expr | None  # [N]
    init: Expr | None  # = literal
    span: Span = _span()
    name_span: Span = _span()


@node
class GlobalDecl(Node):
    variables: tuple[GlobalVar, ...]
    private: bool
    span: Span = _span()


@node
class Param(Node):
    name: str
    type: str | None  # "long", "string" or None (inferred)
    span: Span = _span()


@node
class EmbeddedCode(Node):
    """A `%{ ... %}` block: top-level C, or a function body."""

    code: str  # between %{ and %}
    span: Span = _span()


@node
class FunctionDecl(Node):
    name: str
    return_type: str | None
    params: tuple[Param, ...]
    priority: Expr | None  # `: N` after the parameters
    body: Block | EmbeddedCode
    private: bool
    span: Span = _span()
    name_span: Span = _span()


@node
class ProbeDecl(Node):
    points: tuple[ProbePoint, ...]
    body: Block
    span: Span = _span()


@node
class AliasName(Node):
    point: ProbePoint
    op: str  # "=" (prologue) or "+=" (epilogue)
    span: Span = _span()


@node
class AliasDecl(Node):
    """`probe NAME = POINTS { prologue }` or `probe NAME += POINTS { epilogue }`."""

    names: tuple[AliasName, ...]
    points: tuple[ProbePoint, ...]
    body: Block
    epilogue: Block | None  # `probe a = b { ... }, { epilogue }`
    span: Span = _span()

    @property
    def is_epilogue(self) -> bool:
        return any(n.op == "+=" for n in self.names)


Decl = Union[GlobalDecl, FunctionDecl, ProbeDecl, AliasDecl, EmbeddedCode]


@node
class Script(Node):
    items: tuple[Decl, ...]
    span: Span = _span()


# Node class -> its child_list function, made on first use from the class's fields.  (It
# holds what the class definitions say and nothing of any input: the same in every run.)
_CHILD_LISTS: dict[type, object] = {}
# Fields of these types never hold a node: child_list does not look at them.
_LEAF_FIELD = re.compile(r"(str|int|bool|float)( \| None)?|tuple\[str, \.\.\.\]")


def _make_child_list(cls):
    """A function giving the child nodes of a `cls` node: one attribute read and one test per
    field that may hold a node or a tuple of them (the tree walks of the checker, the rules
    and the optimizer spend much of their time here)."""
    names = [f.name for f in attrs.fields(cls)
             if f.name not in _NOT_COMPARED and not _LEAF_FIELD.fullmatch(str(f.type).strip("'\""))]
    lines = ["def child_list(node):", "    found = []"]
    for name in names:
        lines += [f"    value = node.{name}",
                  "    if isinstance(value, Node):",
                  "        found.append(value)",
                  "    elif type(value) is tuple:",
                  "        found.extend([item for item in value if isinstance(item, Node)])"]
    lines.append("    return found")
    scope: dict = {"Node": Node}
    exec("\n".join(lines), scope)
    return scope["child_list"]


def child_list(node) -> list:
    """The direct child nodes of a node, in source order, as a list."""
    make = _CHILD_LISTS.get(type(node))
    if make is None:
        make = _CHILD_LISTS[type(node)] = _make_child_list(type(node))
    return make(node)


def children(node):
    """The direct child nodes of a node, in source order."""
    return iter(child_list(node))


def walk(node):
    """Every node of a tree, parents before children, in source order."""
    stack = [node]
    pop = stack.pop
    extend = stack.extend
    while stack:
        current = pop()
        yield current
        kids = child_list(current)
        if kids:
            kids.reverse()
            extend(kids)


def to_data(node, line_index=None):
    """A tree as plain data (dicts, lists, strings, numbers) for JSON output.

    Each node becomes {"type": "ProbeDecl", "span": {...}, <fields>...}; with a
    LineIndex, spans carry 1-based lines and columns as well as offsets.
    """
    ensure_recursion_room()
    return _to_data(node, line_index)


def _to_data(node, line_index):
    if isinstance(node, Node):
        data = {"type": type(node).__name__}
        for field in attrs.fields(type(node)):
            value = getattr(node, field.name)
            if field.name in ("span", "name_span"):
                data[field.name] = _span_data(value, line_index)
            elif field.name == "semicolon":
                continue
            else:
                data[field.name] = _to_data(value, line_index)
        return data
    if isinstance(node, tuple) and not isinstance(node, Span):
        return [_to_data(v, line_index) for v in node]
    return node


def _span_data(span: Span, line_index) -> dict:
    data = {"start": span.start, "end": span.end}
    if line_index is not None:
        line, column = line_index.line_col(span.start)
        end_line, end_column = line_index.line_col(span.end)
        data.update(line=line, column=column, end_line=end_line, end_column=end_column)
    return data


def dump(node, line_index=None, indent: str = "") -> str:
    """A tree as indented text, one node per line, for `stapkit parse --ast`."""
    ensure_recursion_room()
    lines: list[str] = []
    _dump(node, line_index, indent, None, lines)
    return "\n".join(lines)


def _dump(node, line_index, indent, label, lines) -> None:
    prefix = f"{indent}{label}: " if label else indent
    if isinstance(node, Node):
        scalars = []
        children = []
        for field in attrs.fields(type(node)):
            name = field.name
            if name in ("span", "name_span", "semicolon"):
                continue
            value = getattr(node, name)
            if isinstance(value, Node) or (isinstance(value, tuple) and any(isinstance(v, Node) for v in value)):
                children.append((name, value))
            elif value is not None and value is not False and value != ():
                scalars.append(f"{name}={value!r}")
        where = ""
        if line_index is not None:
            line, column = line_index.line_col(node.span.start)
            where = f" @{line}:{column}"
        lines.append(f"{prefix}{type(node).__name__}{where}" + (" " + " ".join(scalars) if scalars else ""))
        for name, value in children:
            _dump(value, line_index, indent + "  ", name, lines)
    elif isinstance(node, tuple):
        lines.append(f"{prefix}[{len(node)}]")
        for item in node:
            _dump(item, line_index, indent + "  ", None, lines)
    else:
        lines.append(f"{prefix}{node!r}")
