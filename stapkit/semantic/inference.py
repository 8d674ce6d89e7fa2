"""Type inference for SystemTap bodies, as stap's pass 2 does it (the rules of elaborate.cxx).

Types are "long", "string", "stats" and "unknown".  A body is walked again
and again until no local changes type; each walk pushes known types onto
untyped variables through assignments, operators, comparisons, calls and
`return`.  Across many bodies (the whole tapset library) `Library` holds the
function signatures and global types, and `infer_library` repeats the walks
until no signature changes: a function's parameter may be typed by how its
callers use it, its return type by what it returns.

Target values (`$var`, `@cast(...)->f`, `@var`) are numbers unless
pretty-printed (`$var$`, `$$vars`): a struct or array cannot be a value in
stap, so a static checker can type them without debuginfo.
"""

from __future__ import annotations

from ..syntax import ast
from ..tapsets.model import LONG, STATS, STRING, UNKNOWN

_ARITHMETIC_ASSIGN = frozenset({"+=", "-=", "*=", "/=", "%=", "<<=", ">>=", "&=", "^=", "|="})
_COMPARISONS = frozenset({"<", ">", "<=", ">=", "==", "!="})
MAX_BODY_PASSES = 6
# The context variables that are strings: `$$vars` and friends (`$var$` is handled as pretty-printing).
PRETTY_CONTEXT = frozenset({"$$vars", "$$parms", "$$locals", "$$return", "$$name"})


class Signature:
    """A function overload's types, refined as inference goes (mutable while inferring)."""

    __slots__ = ("name", "params", "param_types", "return_type", "fixed_params", "fixed_return")

    def __init__(self, name: str, params: list[str], param_types: list[str], return_type: str,
                 fixed_params: list[bool], fixed_return: bool):
        self.name = name
        self.params = params
        self.param_types = param_types
        self.return_type = return_type
        self.fixed_params = fixed_params  # declared `x:long`: never changed by inference
        self.fixed_return = fixed_return


class GlobalType:
    __slots__ = ("value", "indexes", "array")

    def __init__(self, value: str = UNKNOWN, indexes: list[str] | None = None, array: bool = False):
        self.value = value
        self.indexes = indexes or []
        self.array = array


class Library:
    """What a body can call and read: functions by name, globals by name."""

    def __init__(self):
        self.functions: dict[str, list[Signature]] = {}
        self.globals: dict[str, GlobalType] = {}
        self.changed = False

    def add_function(self, sig: Signature) -> None:
        self.functions.setdefault(sig.name, []).append(sig)

    def overloads(self, name: str, arity: int) -> list[Signature]:
        return [s for s in self.functions.get(name, ()) if len(s.params) == arity]

    def global_type(self, name: str) -> GlobalType | None:
        return self.globals.get(name)


class BodyTyper:
    """Infers the types of one body's locals (and what it tells about its callees)."""

    def __init__(self, library: Library, *, params: dict[str, str] | None = None,
                 seed: dict[str, str] | None = None, return_type: str = UNKNOWN,
                 file_globals: dict[str, str] | None = None, procfs: bool = False):
        self.library = library
        self.params = set(params or ())
        self.scope: dict[str, str] = dict(seed or {})
        self.scope.update(params or {})
        self.return_type = return_type
        # The file's private globals: name -> their key in library.globals.
        self.file_globals = dict(file_globals or {})
        self.procfs = procfs  # a procfs probe's body: $value is its buffer, a string
        self.assigned: dict[str, set[int]] = {}  # local name -> offsets of its assignments
        self.changed = False

    # -- driving ----------------------------------------------------------

    def run(self, body) -> None:
        for _ in range(MAX_BODY_PASSES):
            self.changed = False
            self.stmt(body)
            if not self.changed:
                break

    # -- names ------------------------------------------------------------

    def is_global(self, name: str) -> bool:
        if name in self.params:
            return False
        return name in self.file_globals or name in self.library.globals

    def global_entry(self, name: str) -> GlobalType | None:
        return self.library.globals.get(self.file_globals.get(name, name))

    def var(self, name: str, want: str | None) -> str:
        if self.is_global(name):
            g = self.global_entry(name)
            if g is None:
                return UNKNOWN
            if want in (LONG, STRING, STATS) and g.value == UNKNOWN:
                g.value = want
                self.library.changed = True
            return g.value
        current = self.scope.get(name, UNKNOWN)
        if current == UNKNOWN and want in (LONG, STRING, STATS):
            self.scope[name] = want
            self.changed = True
            return want
        return current

    def assign_to(self, target, value_type: str, offset: int) -> str:
        """Record an assignment of a `value_type` value; the target's type afterwards."""
        if isinstance(target, ast.Variable):
            if not self.is_global(target.name):
                self.assigned.setdefault(target.name, set()).add(offset)
            return self.var(target.name, value_type)
        if isinstance(target, ast.ArrayIndex):
            return self.array_element(target, value_type)
        return self.expr(target, value_type)

    def array_element(self, node: ast.ArrayIndex, want: str | None) -> str:
        array = node.array
        if not isinstance(array, ast.Variable):
            for index in node.indexes:
                self.expr(index, LONG)
            self.expr(array)
            return LONG  # @hist_log(s)[i]
        g = self.global_entry(array.name)
        if g is None:  # an undeclared array (an error stap reports elsewhere)
            g = self.library.globals.setdefault(self.file_globals.get(array.name, array.name),
                                                GlobalType(array=True))
        g.array = True
        while len(g.indexes) < len(node.indexes):
            g.indexes.append(UNKNOWN)
        for i, index in enumerate(node.indexes):
            if isinstance(index, ast.Wildcard):
                continue
            t = self.expr(index, g.indexes[i] if g.indexes[i] != UNKNOWN else None)
            if g.indexes[i] == UNKNOWN and t != UNKNOWN:
                g.indexes[i] = t
                self.library.changed = True
        if want in (LONG, STRING, STATS) and g.value == UNKNOWN:
            g.value = want
            self.library.changed = True
        return g.value

    # -- statements -------------------------------------------------------

    def stmt(self, node) -> None:
        if node is None:
            return
        kind = type(node)
        if kind is ast.Block:
            for s in node.statements:
                self.stmt(s)
        elif kind is ast.ExprStmt:
            self.expr(node.expr)
        elif kind is ast.IfStmt:
            self.expr(node.condition, LONG)
            self.stmt(node.then)
            self.stmt(node.otherwise)
        elif kind is ast.WhileStmt:
            self.expr(node.condition, LONG)
            self.stmt(node.body)
        elif kind is ast.ForStmt:
            if node.init is not None:
                self.expr(node.init)
            if node.condition is not None:
                self.expr(node.condition, LONG)
            if node.step is not None:
                self.expr(node.step)
            self.stmt(node.body)
        elif kind is ast.ForeachStmt:
            self.foreach(node)
        elif kind is ast.TryStmt:
            self.stmt(node.body)
            if node.catch_var is not None:
                self.var(node.catch_var.name, STRING)
            self.stmt(node.catch_body)
        elif kind is ast.ReturnStmt:
            if node.value is not None:
                want = self.return_type if self.return_type != UNKNOWN else None
                t = self.expr(node.value, want)
                if self.return_type == UNKNOWN and t != UNKNOWN:
                    self.return_type = t
                    self.changed = True
        elif kind is ast.DeleteStmt:
            self.expr(node.target)

    def foreach(self, node: ast.ForeachStmt) -> None:
        array = node.array
        g = self.global_entry(array.name) if isinstance(array, ast.Variable) else None
        for i, key in enumerate(node.keys):
            want = g.indexes[i] if g is not None and i < len(g.indexes) else None
            t = self.var(key.variable.name, want if want != UNKNOWN else None)
            if g is not None and t != UNKNOWN:
                while len(g.indexes) <= i:
                    g.indexes.append(UNKNOWN)
                if g.indexes[i] == UNKNOWN:
                    g.indexes[i] = t
                    self.library.changed = True
        if node.value is not None and g is not None and g.value not in (UNKNOWN, STATS):
            self.var(node.value.variable.name, g.value)
        if node.slices:
            for s in node.slices:
                if not isinstance(s, ast.Wildcard):
                    self.expr(s)
        if node.limit is not None:
            self.expr(node.limit, LONG)
        self.stmt(node.body)

    # -- expressions ------------------------------------------------------

    def expr(self, node, want: str | None = None) -> str:  # noqa: C901 - one case per node type
        kind = type(node)
        if kind is ast.NumberLit:
            return LONG
        if kind is ast.StringLit:
            return STRING
        if kind is ast.Variable:
            return self.var(node.name, want)
        if kind is ast.Paren:
            return self.expr(node.expr, want)
        if kind is ast.Binary:
            if node.op == ".":
                self.expr(node.left, STRING)
                self.expr(node.right, STRING)
                return STRING
            if node.op in _COMPARISONS:
                left = self.expr(node.left)
                right = self.expr(node.right, left if left != UNKNOWN else None)
                if left == UNKNOWN and right != UNKNOWN:
                    self.expr(node.left, right)
                return LONG
            self.expr(node.left, LONG)
            self.expr(node.right, LONG)
            return LONG
        if kind is ast.Assignment:
            return self.assignment(node)
        if kind is ast.Call:
            return self.call(node, want)
        if kind is ast.PrintCall:
            return self.print_call(node)
        if kind is ast.ArrayIndex:
            return self.array_element(node, want)
        if kind in (ast.Unary, ast.Crement):
            self.expr(node.operand, LONG)
            return LONG
        if kind is ast.Ternary:
            self.expr(node.condition, LONG)
            a = self.expr(node.then, want)
            b = self.expr(node.otherwise, a if a != UNKNOWN else want)
            if a == UNKNOWN and b != UNKNOWN:
                a = self.expr(node.then, b)
            return a if a != UNKNOWN else b
        if kind is ast.InExpr:
            self.membership(node)
            return LONG
        if kind is ast.RegexMatch:
            self.expr(node.left, STRING)
            return LONG
        if kind is ast.TargetVariable:
            if node.name == "$value" and self.procfs:
                return STRING
            return STRING if node.name in PRETTY_CONTEXT else LONG
        if kind is ast.Access:
            for step in node.steps:
                if isinstance(step, ast.Subscript):
                    self.expr(step.index, LONG)
            if isinstance(node.base, ast.TargetVariable) and node.base.name in PRETTY_CONTEXT:
                return STRING
            return STRING if node.pretty else LONG
        if kind in (ast.Cast, ast.AtVar):
            return LONG
        if kind is ast.Entry:
            return self.expr(node.operand, want)
        if kind is ast.StatOp:
            self.expr(node.operand, STATS)
            return LONG
        if kind is ast.HistOp:
            self.expr(node.operand, STATS)
            return UNKNOWN
        if kind is ast.EmbeddedExpr:
            return STRING if "/* string */" in node.code else LONG
        if kind is ast.EnumName:
            return STRING
        if kind is ast.ScriptArgument:
            return STRING if node.text.startswith("@") and node.text != "@#" else LONG
        if kind in (ast.Defined, ast.ProbeWrite, ast.Perf, ast.Const, ast.Enum, ast.Register, ast.Deref,
                    ast.AddressOf):
            return LONG
        return UNKNOWN

    def assignment(self, node: ast.Assignment) -> str:
        op = node.op
        if op == "=":
            current = self.expr(node.target) if not isinstance(node.target, ast.Variable) else \
                self.peek(node.target.name)
            value = self.expr(node.value, current if current != UNKNOWN else None)
            return self.assign_to(node.target, value if value != UNKNOWN else current, node.span.start)
        if op == "<<<":
            self.expr(node.value, LONG)
            self.assign_to(node.target, STATS, node.span.start)
            return LONG
        if op == ".=":
            self.expr(node.value, STRING)
            return self.assign_to(node.target, STRING, node.span.start)
        self.expr(node.value, LONG)
        return self.assign_to(node.target, LONG, node.span.start)

    def peek(self, name: str) -> str:
        if self.is_global(name):
            g = self.global_entry(name)
            return g.value if g is not None else UNKNOWN
        return self.scope.get(name, UNKNOWN)

    def membership(self, node: ast.InExpr) -> None:
        array = node.array
        g = self.global_entry(array.name) if isinstance(array, ast.Variable) else None
        for i, key in enumerate(node.keys):
            if isinstance(key, ast.Wildcard):
                continue
            want = g.indexes[i] if g is not None and i < len(g.indexes) else None
            self.expr(key, want if want != UNKNOWN else None)

    def call(self, node: ast.Call, want: str | None) -> str:
        candidates = self.library.overloads(node.name, len(node.args))
        if not candidates:
            for arg in node.args:
                self.expr(arg)
            return UNKNOWN
        sig = candidates[0]  # stap calls the first overload that does not `next`
        for i, arg in enumerate(node.args):
            expected = sig.param_types[i]
            t = self.expr(arg, expected if expected != UNKNOWN else None)
            if expected == UNKNOWN and t != UNKNOWN and not sig.fixed_params[i]:
                sig.param_types[i] = t
                self.library.changed = True
        # (Only its `return` statements type a function's result: one that
        # returns nothing stays "unknown", which stap reports where a value is used.)
        return sig.return_type

    def print_call(self, node: ast.PrintCall) -> str:
        name = node.name
        args = list(node.args)
        if name in ("printf", "sprintf") and args and isinstance(args[0], ast.StringLit):
            from ..syntax.printf_format import parse_format

            conversions, error = parse_format(args[0].value)
            position = 1
            if error is None:
                for conv in conversions:
                    for _ in range(conv.argument_count - 1):  # a '*' width or precision
                        if position < len(args):
                            self.expr(args[position], LONG)
                        position += 1
                    if position < len(args):
                        self.expr(args[position], STRING if conv.takes_string else LONG)
                    position += 1
            for arg in args[position:]:
                self.expr(arg)
        else:
            for arg in args:
                self.expr(arg)
        return STRING if name.startswith("s") else UNKNOWN


def declared_type(text: str | None) -> str:
    return text if text in (LONG, STRING) else UNKNOWN
