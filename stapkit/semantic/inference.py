"""The type engine: stap's type inference (the rules of elaborate.cxx), one walk at a time.

Types are "long", "string", "stats" and "unknown".  A `Walker` walks one
body (a function's, a probe's, an alias's) and pushes known types onto
untyped variables through assignments, operators, comparisons, calls and
`return`; a program repeats the walks over all its bodies until nothing
changes.  Two programs drive it: the checker's (type_check.py: a script,
with the tapset library's signatures; a last walk in `checking` mode
reports every clash) and the library's (library.py: the whole tapset
library at once, for the database; it only infers).  The engine reports
through its program's unit, and only when checking.

Target values (`$var`, `@cast(...)->f`, `@var`) are numbers unless
pretty-printed (`$var$`, `$$vars`): a struct or array cannot be a value in
stap, so a static checker can type them without debuginfo.
"""

from __future__ import annotations

from typing import NamedTuple

from ..diagnostics import Related, Span
from ..syntax import ast
from ..tapsets.model import LONG, STATS, STRING, UNKNOWN
from . import codes
from .optimizer import REMOVED_BY_OPTIMIZER, never_checked

_COMPARISONS = frozenset({"<", ">", "<=", ">=", "==", "!="})
# The context variables that are strings: `$$vars` and friends (`$var$` is handled as pretty-printing).
PRETTY_CONTEXT = frozenset({"$$vars", "$$parms", "$$locals", "$$return", "$$name"})


class VarType(NamedTuple):
    type: str  # "long", "string", "stats" or "unknown"
    arity: int | None  # 0 a scalar, N an array of N indexes, None not known
    indexes: tuple[str, ...]  # the index types of an array


class Var:
    """A variable: a local or parameter of one body, or a global."""

    __slots__ = ("name", "kind", "type", "type_span", "arity", "arity_span", "indexes", "index_spans",
                 "assigned", "first_use", "decl", "wrap", "read")

    def __init__(self, name: str, kind: str, decl: Span | None = None):
        self.name = name
        self.kind = kind  # "local", "param", "alias" (set by the alias body), "global", "library"
        self.type = UNKNOWN
        self.type_span: Span | None = None
        self.arity: int | None = None  # 0 scalar, N an array of N indexes, None not known yet
        self.arity_span: Span | None = None
        self.indexes: list[str] = []
        self.index_spans: list[Span | None] = []
        self.assigned = kind in ("param", "alias", "global", "library")
        self.read = False
        self.first_use: Span | None = None
        self.decl = decl
        self.wrap = False

    @property
    def is_global(self) -> bool:
        return self.kind in ("global", "library")

    def var_type(self) -> VarType:
        return VarType(self.type, self.arity, tuple(self.indexes))

    def detached(self) -> Var:
        """A copy to change freely (its lists too)."""
        copy = Var(self.name, self.kind, self.decl)
        for slot in Var.__slots__:
            setattr(copy, slot, getattr(self, slot))
        copy.indexes = list(self.indexes)
        copy.index_spans = list(self.index_spans)
        return copy


class Func:
    """A function the script defines (one overload), or one of the library's."""

    __slots__ = ("name", "params", "ret", "ret_span", "decl", "library")

    def __init__(self, name, params: list[Var], ret: str, decl, library=None):
        self.name = name
        self.params = params
        self.ret = ret
        self.ret_span: Span | None = decl.name_span if decl is not None and ret != UNKNOWN else None
        self.decl = decl  # ast.FunctionDecl of the script, or None
        self.library = library  # tapsets.model.Function


class Program:
    """What a Walker asks of the program it walks for: names, calls, the optimizer, its unit.

    Subclasses fill these in (type_check._Program for a script,
    library.LibraryProgram for the tapset library).
    """

    unit = None  # where a checking walk reports (and what it reads: c_types, db, guru, privilege)
    optimizer = None  # optimizer.Optimizer, when `optimize`
    optimize = False  # walk only what stap's optimizer keeps
    changed = False  # set by a walk that learnt a type: another round is needed
    # Set by a walk that left out or split code as stap's optimizer does: then what it inferred
    # may differ from a walk of everything (type_check.types).
    pruned = False
    # In an alias body, `if (@probewrite(v))` is folded to 0 unless the user's handler
    # writes v (stap never resolves what it guards); the library describes every use.
    folds_probewrite = False

    def __init__(self):
        self.dead: dict[int, frozenset[str]] = {}  # id(body) -> its dead locals (opt3)
        self._sized: set[str] = set()  # globals declared with a size: arrays

    def global_var(self, name: str) -> Var | None:
        """The global a name means in the body being walked (made on first use), or None."""
        raise NotImplementedError

    def known_global(self, name: str) -> Var | None:
        """The global a name means, if it is already known (nothing is made)."""
        raise NotImplementedError

    def candidates(self, name: str) -> list[Func]:
        """The functions a call of that name may mean, in the order stap tries them."""
        raise NotImplementedError

    def procfs(self, owner) -> bool:
        """Is the body a procfs probe's (where $value is the buffer, a string)?"""
        return isinstance(owner, (ast.ProbeDecl, ast.AliasDecl)) and any(
            p.components and isinstance(p.components[0], ast.Component) and p.components[0].name == "procfs"
            for p in owner.points)

    def embedded_pragmas(self, code: str, span: Span) -> None:
        """Embedded C in a body (its `/* pragma:read:x */` name globals)."""

    def function_names(self) -> list[str]:
        return []

    def locals_report(self, walker: Walker) -> None:
        """After a checking walk: what is wrong with the body's locals."""


class Walker:
    """One walk over one body: inferring (types may change) or checking (types are final)."""

    def __init__(self, program: Program, kind: str, owner, scope: dict[str, Var], *, checking: bool,
                 only=None, skip=frozenset()):
        self.program = program
        self.unit = program.unit
        self.kind = kind
        self.owner = owner  # Func, ast.ProbeDecl or ast.AliasDecl
        self.scope = scope
        self.checking = checking
        self.seen: set[str] = set()  # the names this walk met (after the optimizer's removals)
        self.only = only
        self.skip = skip
        self.optimizer = program.optimizer
        self.dead: frozenset[str] = frozenset()  # the body's dead locals (opt3), set by walk
        # Walking code stap's optimizer removes (only to report what is wrong in it, as
        # warnings): nothing learnt there changes the program, and findings inside
        # `kept_spans` (the parts that stay, walked on their own) are not repeated.
        self.removed = False
        self.kept_spans: list[Span] = []
        # In a procfs probe (directly or through an alias) $value is the buffer, a string.
        self.procfs = program.procfs(owner)

    def walk(self, body) -> None:
        self.dead = self.program.dead.get(id(body), frozenset()) if self.program.optimize else frozenset()
        self.stmt(body)
        if self.checking and self.only is None:
            self.program.locals_report(self)

    # -- reporting --------------------------------------------------------

    def report(self, code, message, span, **kw):
        if not (self.checking and code not in self.skip and (self.only is None or code in self.only)):
            return
        if not self.removed:
            self.unit.report(code, message, span, **kw)
        elif not any(k.start <= span.start and span.end <= k.end for k in self.kept_spans):
            never_checked(self.unit, code, message, span, why=REMOVED_BY_OPTIMIZER, **kw)

    @property
    def optimizing(self) -> bool:
        return self.program.optimize and not self.removed

    def reports_removed(self) -> bool:
        """Whether this walk also looks at the code the optimizer removes (the last, checking one)."""
        return self.checking and self.only is None and self.program.optimize and not self.removed

    def walk_removed(self, node, expr: bool = False, kept=()) -> None:
        """Walk removed code for its findings (warnings), changing nothing."""
        self.removed, self.kept_spans = True, [part.span for part, _ in kept]
        try:
            if expr:
                self.expr(node)
            else:
                self.stmt(node)
        finally:
            self.removed, self.kept_spans = False, []

    def expr_statement(self, node) -> None:
        """An expression whose value is not used: what of it the optimizer keeps."""
        if not self.optimizing:
            self.expr(node)
            return
        parts = self.optimizer.void_parts(node, self.dead)
        if not (len(parts) == 1 and parts[0][0] is node and parts[0][1] is None):
            self.program.pruned = True
        for part, want in parts:
            self.expr(part, want)
        if self.reports_removed() and not (len(parts) == 1 and parts[0][0] is node):
            self.walk_removed(node, expr=True, kept=parts)

    def set_type(self, var: Var, t: str, span: Span) -> None:
        if var.type == UNKNOWN and t in (LONG, STRING, STATS) and not self.removed:
            var.type = t
            var.type_span = span
            self.program.changed = True

    def mismatch(self, node, expected: str, found: str, var: Var | None = None) -> None:
        """A value of type `found` where `expected` is needed."""
        if var is not None and var.type_span is not None:
            self.report(codes.TYPE_MISMATCH,
                        f"type mismatch: '{var.name}' is {found} but is used here as {expected}", node.span,
                        related=(Related(f"type of '{var.name}' was first inferred here ({found})", None,
                                         var.type_span),))
        else:
            self.report(codes.TYPE_MISMATCH, f"type mismatch: expected {expected} but found {found}", node.span)

    # -- names ------------------------------------------------------------

    def lookup(self, name: str, span: Span) -> Var:
        if self.removed:
            return self.lookup_detached(name)
        self.seen.add(name)
        var = self.scope.get(name)
        if var is not None and var.kind in ("param",):
            return var
        g = self.program.global_var(name)
        if g is not None:
            if g.first_use is None:
                g.first_use = span
            return g
        if var is None:
            var = self.scope[name] = Var(name, "local")
        if var.first_use is None:
            var.first_use = span
        return var

    def lookup_detached(self, name: str) -> Var:
        """In removed code: a copy of what the name means (what the walk does to it is lost)."""
        var = self.scope.get(name)
        if var is None or var.kind != "param":
            var = self.program.global_var(name) or var
        return var.detached() if var is not None else Var(name, "local")

    def use(self, var: Var, node, want: str | None) -> str:
        """A use of a variable's value, in a context that wants `want` (or anything)."""
        if want is not None:
            if var.type == UNKNOWN:
                self.set_type(var, want, node.span)
            elif var.type != want and self.checking:
                if var.type == STATS or want == STATS:
                    self.report(codes.INVALID_TYPE if want != STATS else codes.TYPE_MISMATCH,
                                f"'{var.name}' is {var.type}, used here as {want}", node.span,
                                related=(Related(f"type of '{var.name}' was first inferred here ({var.type})",
                                                 None, var.type_span),) if var.type_span else ())
                else:
                    self.mismatch(node, want, var.type, var)
        elif var.type == STATS and self.checking:
            self.report(codes.INVALID_TYPE, f"'{var.name}' holds statistics: use @count, @sum, ... on it",
                        node.span)
        return var.type

    def scalar(self, var: Var, node) -> None:
        """`var` used without an index: it must not be an array."""
        if var.kind not in ("global", "library"):
            return
        if var.arity is None:
            if var.kind == "global" and var.name not in getattr(self.program, "_sized", ()):
                var.arity, var.arity_span = 0, node.span
                self.program.changed = True
        elif var.arity != 0 and self.checking:
            self.arity_error(var, 0, node)
        if var.kind == "global" and var.name in getattr(self.program, "_sized", ()) and self.checking:
            self.arity_error(var, 0, node)

    def arity_error(self, var: Var, arity: int, node) -> None:
        related = ()
        if var.arity_span is not None:
            related = (Related(f"arity {var.arity if var.arity is not None else 'N'} first inferred here",
                               None, var.arity_span),)
        self.report(codes.INCONSISTENT_ARITY,
                    f"inconsistent arity ({var.arity if var.arity is not None else 'array'} vs {arity}): "
                    f"'{var.name}' is used {'as a scalar' if arity == 0 else f'with {arity} index(es)'} here",
                    node.span, related=related)

    def array(self, node, name: str, count: int) -> Var | None:
        """`name[...]` with `count` indexes: a global array, or an error."""
        var = self.scope.get(name)
        g = None if var is not None and var.kind == "param" else self.program.global_var(name)
        if g is not None and self.removed:
            g = g.detached()
        if g is None:
            self.report(codes.UNDECLARED_ARRAY,
                        f"unresolved arity-{count} global array '{name}', missing global declaration?", node.span,
                        hints=(f"declare it: global {name}",))
            return None
        if g.first_use is None:
            g.first_use = node.span
        if g.arity is None:
            g.arity, g.arity_span = count, node.span
            self.program.changed = True
        elif g.arity != count and self.checking:
            self.arity_error(g, count, node)
            return g
        while len(g.indexes) < count:
            g.indexes.append(UNKNOWN)
            g.index_spans.append(None)
        return g

    def index(self, g: Var | None, i: int, expr) -> None:
        if g is None or isinstance(expr, ast.Wildcard):
            if not isinstance(expr, ast.Wildcard):
                self.expr(expr)
            return
        if i >= len(g.indexes):
            self.expr(expr)
            return
        expected = g.indexes[i]
        t = self.expr(expr, None if expected == UNKNOWN else None)
        if expected == UNKNOWN:
            if t in (LONG, STRING):
                g.indexes[i] = t
                g.index_spans[i] = expr.span
                self.program.changed = True
            elif isinstance(expr, ast.Variable):
                pass
        elif t != UNKNOWN and t != expected and self.checking:
            related = (Related(f"type of index {i} was first inferred here ({expected})", None,
                               g.index_spans[i]),) if g.index_spans[i] else ()
            self.report(codes.TYPE_MISMATCH, f"index {i} type mismatch ({t}): '{g.name}' is indexed by "
                        f"{expected} there", expr.span, related=related)
        elif t == UNKNOWN and expected != UNKNOWN:
            self.expr(expr, expected)

    # -- statements -------------------------------------------------------

    def stmt(self, node) -> None:
        if node is None:
            return
        if self.optimizing and not self.optimizer.kept(node, self.dead):
            self.program.pruned = True
            if self.reports_removed():
                self.walk_removed(node)
            return
        kind = type(node)
        if kind is ast.Block:
            for s in node.statements:
                self.stmt(s)
        elif kind is ast.ExprStmt:
            self.expr_statement(node.expr)
        elif kind is ast.IfStmt:
            self.expr(node.condition, LONG)
            if not (self.kind == "alias" and self.program.folds_probewrite and _is_probewrite_test(node.condition)):
                # In an alias body, `if (@probewrite(v))` is folded to 0 unless the
                # user's handler writes v: stap never resolves what it guards.
                self.stmt(node.then)
            self.stmt(node.otherwise)
        elif kind is ast.WhileStmt:
            self.expr(node.condition, LONG)
            self.stmt(node.body)
        elif kind is ast.ForStmt:
            if node.init is not None:
                self.expr_statement(node.init)
            if node.condition is not None:
                self.expr(node.condition, LONG)
            if node.step is not None:
                self.expr_statement(node.step)
            self.stmt(node.body)
        elif kind is ast.ForeachStmt:
            self.foreach(node)
        elif kind is ast.TryStmt:
            self.stmt(node.body)
            if node.catch_var is not None:
                var = self.lookup(node.catch_var.name, node.catch_var.span)
                var.assigned = True
                self.use(var, node.catch_var, STRING)
            self.stmt(node.catch_body)
        elif kind is ast.ReturnStmt:
            if node.value is not None and isinstance(self.owner, Func):
                func = self.owner
                t = self.expr(node.value, func.ret if func.ret != UNKNOWN else None)
                if func.ret == UNKNOWN and t in (LONG, STRING) and not self.removed:
                    func.ret = t
                    func.ret_span = node.value.span
                    self.program.changed = True
                elif t == STATS and self.checking:
                    self.report(codes.INVALID_TYPE, "a function cannot return statistics", node.value.span)
        elif kind is ast.DeleteStmt:
            self.delete(node.target)

    def delete(self, target) -> None:
        if isinstance(target, ast.Variable):
            var = self.lookup(target.name, target.span)
            var.assigned = True
        elif isinstance(target, ast.ArrayIndex) and isinstance(target.array, ast.Variable):
            g = self.array(target, target.array.name, len(target.indexes))
            for i, index in enumerate(target.indexes):
                self.index(g, i, index)
        else:
            self.expr(target)

    def foreach(self, node: ast.ForeachStmt) -> None:
        array = node.array
        g = None
        value_type = UNKNOWN
        if isinstance(array, ast.Variable):
            count = len(node.slices) if node.slices else len(node.keys)
            g = self.array(array, array.name, count)
            if node.slices and len(node.keys) != len(node.slices):
                self.report(codes.INCONSISTENT_ARITY,
                            f"inconsistent arity: {len(node.keys)} keys for a slice of {len(node.slices)} indexes",
                            array.span)
            if g is not None and node.aggregate and g.type not in (STATS, UNKNOWN):
                self.report(codes.INVALID_TYPE, f"sorting by {node.aggregate} needs a statistics array; "
                            f"the values of '{array.name}' are {g.type}", array.span)
            if g is not None:
                value_type = g.type
                if g.arity == 0 and self.checking:
                    self.report(codes.INVALID_TYPE, f"foreach over '{array.name}', which is not an array",
                                array.span)
        else:
            self.expr(array)
        for i, key in enumerate(node.keys):
            var = self.lookup(key.variable.name, key.variable.span)
            var.assigned = True
            if var.is_global:
                self.scalar(var, key.variable)
            if g is not None and i < len(g.indexes):
                if g.indexes[i] != UNKNOWN:
                    self.use(var, key.variable, g.indexes[i])
                elif var.type in (LONG, STRING):
                    g.indexes[i] = var.type
                    g.index_spans[i] = key.variable.span
                    self.program.changed = True
        if node.value is not None:
            var = self.lookup(node.value.variable.name, node.value.variable.span)
            var.assigned = True
            if value_type == STATS:
                self.report(codes.INVALID_TYPE,
                            f"'{node.value.variable.name}' cannot take the values of '{array.name}', "
                            "which are statistics", node.value.variable.span)
            elif value_type != UNKNOWN:
                self.use(var, node.value.variable, value_type)
        for i, s in enumerate(node.slices or ()):
            self.index(g, i, s)
        if node.limit is not None:
            self.expr(node.limit, LONG)
        self.stmt(node.body)

    # -- expressions ------------------------------------------------------

    def expr(self, node, want: str | None = None) -> str:  # noqa: C901 - one case per node type
        kind = type(node)
        if kind is ast.NumberLit or kind is ast.StringLit:
            t = LONG if kind is ast.NumberLit else STRING
            if want in (LONG, STRING, STATS) and want != t and self.checking:
                self.mismatch(node, want, t)
            return t
        if kind is ast.Variable:
            var = self.lookup(node.name, node.span)
            var.read = True
            self.scalar(var, node)
            return self.use(var, node, want)
        if kind is ast.Paren:
            return self.expr(node.expr, want)
        if kind is ast.Binary:
            if node.op == ".":
                self.expr(node.left, STRING)
                self.expr(node.right, STRING)
                return self.result(node, STRING, want)
            if node.op in _COMPARISONS:
                self.comparison(node)
                return self.result(node, LONG, want)
            self.expr(node.left, LONG)
            self.expr(node.right, LONG)
            return self.result(node, LONG, want)
        if kind is ast.Assignment:
            return self.assignment(node, want)
        if kind is ast.Call:
            return self.call(node, want)
        if kind is ast.PrintCall:
            return self.result(node, self.print_call(node), want)
        if kind is ast.ArrayIndex:
            return self.element(node, want)
        if kind is ast.Unary:
            self.expr(node.operand, LONG)
            return self.result(node, LONG, want)
        if kind is ast.Crement:
            self.write_target(node.operand, LONG, node.span)
            return self.result(node, LONG, want)
        if kind is ast.Ternary:
            self.expr(node.condition, LONG)
            a = self.peek(node.then)
            b = self.peek(node.otherwise)
            t = want or (a if a != UNKNOWN else b if b != UNKNOWN else None)
            a = self.expr(node.then, t)
            b = self.expr(node.otherwise, t)
            return a if a != UNKNOWN else b
        if kind is ast.InExpr:
            if isinstance(node.array, ast.Variable):
                g = self.array(node.array, node.array.name, len(node.keys))
                for i, key in enumerate(node.keys):
                    self.index(g, i, key)
            else:
                self.expr(node.array)
            return self.result(node, LONG, want)
        if kind is ast.RegexMatch:
            self.expr(node.left, STRING)
            return self.result(node, LONG, want)
        if kind is ast.TargetVariable:
            if node.name == "$value" and self.procfs:
                return self.target_value(STRING, node, want)  # a procfs probe's buffer
            return self.target_value(STRING if node.name in PRETTY_CONTEXT else LONG, node, want)
        if kind is ast.Access:
            for step in node.steps:
                if isinstance(step, ast.Subscript):
                    self.expr(step.index, LONG)
            if isinstance(node.base, ast.TargetVariable) and node.base.name in PRETTY_CONTEXT:
                return self.target_value(STRING, node, want)
            if not isinstance(node.base, (ast.TargetVariable, ast.Cast, ast.AtVar)):
                self.expr(node.base)
            return self.target_value(STRING if node.pretty else LONG, node, want)
        if kind is ast.Cast:
            self.expr(node.operand, LONG)
            return self.target_value(LONG, node, want)
        if kind is ast.AtVar:
            return self.target_value(LONG, node, want)
        if kind is ast.Entry:
            return self.expr(node.operand, want)
        if kind is ast.StatOp:
            self.stats_operand(node.operand)
            return self.result(node, LONG, want)
        if kind is ast.HistOp:
            self.stats_operand(node.operand)
            for p in node.params:
                self.expr(p, LONG)
            return UNKNOWN
        if kind is ast.EmbeddedExpr:
            if not self.removed:  # what removed code names is not read
                self.program.embedded_pragmas(node.code, node.span)
            return self.result(node, STRING if "/* string */" in node.code else LONG, want)
        if kind is ast.EnumName:
            return self.result(node, STRING, want)
        if kind is ast.ScriptArgument:
            t = STRING if node.text.startswith("@") and node.text != "@#" else LONG
            return self.result(node, t, want)
        if kind is ast.Defined:
            return LONG
        if kind in (ast.ProbeWrite, ast.Perf, ast.Const, ast.Enum, ast.Register, ast.AddressOf):
            return self.result(node, LONG, want)
        if kind is ast.Deref:
            self.expr(node.size, LONG)
            self.expr(node.address, LONG)
            return self.result(node, LONG, want)
        if kind is ast.Tuple:
            for item in node.items:
                self.expr(item)
            return UNKNOWN
        return UNKNOWN

    def result(self, node, t: str, want: str | None) -> str:
        """An operator's result of type t where `want` is needed."""
        if want in (LONG, STRING, STATS) and t in (LONG, STRING) and t != want and self.checking:
            self.mismatch(node, want, t)
        return t

    def target_value(self, t: str, node, want: str | None) -> str:
        c_type = self.unit.c_types.get(id(node)) if want == STRING and t == LONG and self.checking else None
        if c_type is not None:
            # With a kernel description the C type says why, and what to write instead.
            text = "char" in c_type and ("*" in c_type or "[" in c_type)
            hint = (f"it is a {c_type}: read the text with kernel_string(...)" if text
                    else f"it is a {c_type}, which a script reads as a number")
            self.report(codes.TYPE_MISMATCH, "type mismatch: expected string but found long", node.span,
                        hints=(hint,))
            return t
        return self.result(node, t, want)

    def peek(self, node) -> str:
        """The type of an expression as far as known, without effects."""
        kind = type(node)
        if kind is ast.NumberLit:
            return LONG
        if kind is ast.StringLit:
            return STRING
        if kind is ast.Variable:
            var = self.scope.get(node.name)
            if var is not None and var.kind == "param":
                return var.type
            g = self.program.known_global(node.name)
            if g is not None:
                return g.type
            return var.type if var is not None else UNKNOWN
        if kind is ast.Paren:
            return self.peek(node.expr)
        if kind is ast.Binary:
            return STRING if node.op == "." else LONG
        if kind is ast.Call:
            cands = [f for f in self.program.candidates(node.name) if len(f.params) == len(node.args)]
            return cands[0].ret if cands else UNKNOWN
        if kind is ast.ArrayIndex and isinstance(node.array, ast.Variable):
            g = self.program.known_global(node.array.name)
            return g.type if g is not None else UNKNOWN
        if kind is ast.PrintCall:
            return STRING if node.name.startswith("s") else UNKNOWN
        if kind in (ast.Unary, ast.Crement, ast.InExpr, ast.RegexMatch, ast.StatOp):
            return LONG
        return UNKNOWN

    def comparison(self, node: ast.Binary) -> None:
        left = self.peek(node.left)
        right = self.peek(node.right)
        if left == UNKNOWN and right == UNKNOWN:
            left = self.expr(node.left)
            right = self.expr(node.right, left if left in (LONG, STRING) else None)
            if left == UNKNOWN and right in (LONG, STRING):  # `x == %{ C %}`: x is what the right is
                self.expr(node.left, right)
            return
        if left != UNKNOWN and right != UNKNOWN and left != right:
            if self.checking:
                self.report(codes.TYPE_MISMATCH,
                            f"type mismatch: the two sides of '{node.op}' do not agree ({left} vs {right})",
                            node.span)
            self.expr(node.left)
            self.expr(node.right)
            return
        t = left if left != UNKNOWN else right
        self.expr(node.left, t if t in (LONG, STRING) else None)
        self.expr(node.right, t if t in (LONG, STRING) else None)

    def clash_at_value(self, node: ast.Assignment, current: str, found: str) -> None:
        target = node.target
        name = target.name if type(target) is ast.Variable else \
            target.array.name if type(target) is ast.ArrayIndex and type(target.array) is ast.Variable else None
        var = None
        if name is not None:
            local = self.scope.get(name)
            var = local if local is not None and local.kind == "param" else self.program.known_global(name) or local
        related = ()
        if var is not None and var.type_span is not None:
            related = (Related(f"type of '{name}' was first inferred here ({current})", None, var.type_span),)
        self.report(codes.TYPE_MISMATCH, f"type mismatch: '{name or 'the target'}' is {current}, "
                    f"the value assigned is {found}", node.value.span, related=related)

    def stats_operand(self, operand) -> None:
        if isinstance(operand, ast.Variable):
            var = self.lookup(operand.name, operand.span)
            var.read = True
            if not var.is_global:
                self.report(codes.LOCAL_ARRAY_OR_STATS,
                            f"'{operand.name}' is a local; statistics must be global (missing global declaration?)",
                            operand.span)
                return
            self.scalar(var, operand)
            self.use(var, operand, STATS)
        elif isinstance(operand, ast.ArrayIndex):
            self.element(operand, STATS)
        else:
            self.expr(operand)

    def element(self, node: ast.ArrayIndex, want: str | None) -> str:
        if not isinstance(node.array, ast.Variable):  # @hist_log(s)[i]
            self.expr(node.array)
            for index in node.indexes:
                self.expr(index, LONG)
            return self.result(node, LONG, want)
        g = self.array(node, node.array.name, len(node.indexes))
        for i, index in enumerate(node.indexes):
            self.index(g, i, index)
        if g is None:
            return UNKNOWN
        if want is not None:
            if g.type == UNKNOWN:
                self.set_type(g, want, node.span)
            elif g.type != want and self.checking:
                related = (Related(f"type of '{g.name}' values was first inferred here ({g.type})", None,
                                   g.type_span),) if g.type_span else ()
                code = codes.INVALID_TYPE if g.type == STATS and want != STATS else codes.TYPE_MISMATCH
                self.report(code, f"type mismatch ({want}): the values of '{g.name}' are {g.type}", node.span,
                            related=related)
        elif g.type == STATS and self.checking:
            self.report(codes.INVALID_TYPE, f"the values of '{g.name}' are statistics: use @count, @sum, ...",
                        node.span)
        return g.type

    def write_target(self, target, t: str | None, span: Span) -> str:
        """A write (=, op=, ++, --, <<<) of a value of type t to `target`."""
        if isinstance(target, ast.Variable):
            var = self.lookup(target.name, target.span)
            var.assigned = True
            if t == STATS and not var.is_global:
                self.report(codes.LOCAL_ARRAY_OR_STATS,
                            f"'{target.name}' is a local; statistics must be global (missing global declaration?)",
                            target.span, hints=(f"declare it: global {target.name}",))
                return STATS
            self.scalar(var, target)
            return self.use(var, target, t)
        if isinstance(target, ast.ArrayIndex):
            return self.element(target, t)
        if isinstance(target, ast.Paren):
            return self.write_target(target.expr, t, span)
        return self.expr(target, t)

    def assignment(self, node: ast.Assignment, want: str | None) -> str:
        if type(node.target) is ast.Variable and node.target.name in self.dead and self.optimizing:
            self.program.pruned = True
            return self.expr(node.value, want)  # opt3: the write goes, the value stays
        op = node.op
        if op == "=":
            current = self.peek(node.target)
            if current == STATS:
                self.report(codes.TYPE_MISMATCH, "statistics take values with '<<<', not '='", node.span)
                self.expr(node.value)
                return STATS
            if current in (LONG, STRING):
                found = self.peek(node.value)
                if found in (LONG, STRING) and found != current:
                    # Reported once, at the value, with where the target got its type.
                    if self.checking:
                        self.clash_at_value(node, current, found)
                    self.expr(node.value)
                    self.write_target(node.target, None, node.span)
                    return current
            value = self.expr(node.value, current if current in (LONG, STRING) else None)
            if value == STATS:
                self.report(codes.INVALID_TYPE, "statistics cannot be assigned", node.value.span)
                value = UNKNOWN
            t = self.write_target(node.target, value if value != UNKNOWN else None, node.span)
            return self.result(node, t, want) if t != UNKNOWN else t
        if op == "<<<":
            self.expr(node.value, LONG)
            self.write_target(node.target, STATS, node.span)
            return self.result(node, LONG, want)
        if op == ".=":
            self.expr(node.value, STRING)
            self.write_target(node.target, STRING, node.span)
            return self.result(node, STRING, want)
        self.expr(node.value, LONG)
        self.write_target(node.target, LONG, node.span)
        return self.result(node, LONG, want)

    def call(self, node: ast.Call, want: str | None) -> str:
        candidates = self.program.candidates(node.name)
        fitting = [f for f in candidates if len(f.params) == len(node.args)]
        if not fitting:
            for arg in node.args:
                self.expr(arg)
            if not self.checking:
                return UNKNOWN
            if candidates:
                arities = sorted({len(f.params) for f in candidates})
                takes = " or ".join(str(a) for a in arities)
                self.report(codes.FUNCTION_ARITY,
                            f"arity mismatch: function '{node.name}' takes {takes} argument"
                            f"{'s' if arities != [1] else ''}, given {len(node.args)}", node.name_span)
            else:
                self.unresolved(node)
            return UNKNOWN
        func = fitting[0]
        for param, arg in zip(func.params, node.args):
            expected = param.type if param.type != UNKNOWN else None
            t = self.expr(arg, expected)
            if param.type == UNKNOWN and t in (LONG, STRING) and func.decl is not None and not self.removed:
                param.type = t
                param.type_span = arg.span
                self.program.changed = True
            elif t == STATS and self.checking:
                self.report(codes.INVALID_TYPE, "statistics cannot be passed to a function", arg.span)
        if self.checking and func.library is not None:
            self.privilege(node, func.library)
        return self.result(node, func.ret, want) if func.ret != UNKNOWN else UNKNOWN

    def unresolved(self, node: ast.Call) -> None:
        gone = self.deprecated_function(node)
        if gone:
            return
        close = similar(node.name, self.program.function_names())
        hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
        from ..tapsets.releases import release_note  # what other SystemTap releases have of the name

        hint += release_note(self.unit.db, "function", node.name, lambda f: not f.private)
        self.report(codes.UNRESOLVED_FUNCTION, f"unresolved function '{node.name}'{hint}", node.name_span)

    def deprecated_function(self, node: ast.Call) -> bool:
        from ..tapsets.queries import deprecated_since

        for f in self.unit.db.functions(node.name):
            if f.private or len(f.params) != len(node.args):
                continue
            since = deprecated_since(f.conditions)
            if since:
                self.report(codes.DEPRECATED_FUNCTION,
                            f"function '{node.name}' is deprecated: SystemTap {since} is the last to have it",
                            node.name_span, hints=(f"with --systemtap-version {since} (stap --compatible={since}) "
                                                   "it is still there",))
                return True
        return False

    def privilege(self, node: ast.Call, f) -> None:
        if "guru" in f.tags and not self.unit.guru:
            self.report(codes.GURU_FUNCTION, f"function '{node.name}' may not be used unless -g is specified",
                        node.name_span, hints=(f"{node.name} is defined at {f.where} with the /* guru */ pragma",))
        elif self.unit.privilege in ("stapusr", "stapsys") and f.embedded and not (
                {"unprivileged", "myproc-unprivileged"} & set(f.tags)):
            self.report(codes.UNPRIVILEGED_FUNCTION,
                        f"function '{node.name}' may not be used with --privilege={self.unit.privilege}",
                        node.name_span)

    def print_call(self, node: ast.PrintCall) -> str:
        name = node.name
        args = list(node.args)
        if node.has_format and args and isinstance(args[0], ast.StringLit):
            from ..syntax.printf_format import parse_format

            conversions, error = parse_format(args[0].value)
            if error is not None:
                for arg in args[1:]:
                    self.expr(arg)
                return STRING if name.startswith("s") else UNKNOWN
            position = 1
            for conv in conversions:
                for _ in range(conv.argument_count - 1):
                    if position < len(args):
                        self.expr(args[position], LONG)
                    position += 1
                if position < len(args):
                    self.expr(args[position], STRING if conv.takes_string else LONG)
                position += 1
            needed = position
            if needed != len(args) and self.checking:
                self.report(codes.PRINT_ARGUMENTS,
                            f"wrong number of arguments to {name}: the format takes {needed - 1}, "
                            f"given {len(args) - 1}", node.name_span)
            for arg in args[needed:]:
                self.expr(arg)
        else:
            for arg in args:
                t = self.expr(arg)
                if t == UNKNOWN and isinstance(arg, ast.HistOp):
                    continue
        return STRING if name.startswith("s") else LONG


def _is_probewrite_test(condition) -> bool:
    while type(condition) is ast.Paren:
        condition = condition.expr
    return type(condition) is ast.ProbeWrite


def similar(name: str, candidates) -> list[str]:
    import difflib

    return difflib.get_close_matches(name, list(candidates), n=5, cutoff=0.7)
