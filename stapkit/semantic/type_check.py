"""Symbols and types: stap's symbol resolution and type inference over a script, with its errors.

Names resolve as stap resolves them: a function's parameters first, then the
script's globals and the tapset library's public globals (so a probe "local"
named `argc` is the tapset global), then locals, created at their first use.
A probe is typed per expansion (model.py): the bodies of the script's aliases
it goes through and its handler share their locals, and the library aliases'
variables are locals already set.
Calls resolve to the script's functions, then the library's, by arity.

Types are inferred by rounds over the functions and probes stap elaborates
(elaboration.py), until nothing changes, then over the rest (whose errors
become warnings); then one more walk checks every use against the final types and
reports each clash where it happens, with the place the type was first
inferred.  What no round could type is "unresolved type", as in stap.
"""

from __future__ import annotations

import re

from ..diagnostics import Related, Span
from ..syntax import ast
from ..tapsets.model import LONG, STATS, STRING, UNKNOWN
from . import codes
from .inference import PRETTY_CONTEXT as _PRETTY_CONTEXT  # the context variables that are strings
from .unit import CheckUnit

MAX_ROUNDS = 12
# What stap finds while resolving symbols, before its optimizer removes dead code.
SYMBOL_CODES = frozenset({codes.UNRESOLVED_FUNCTION, codes.FUNCTION_ARITY, codes.UNDECLARED_ARRAY,
                          codes.INCONSISTENT_ARITY, codes.GURU_FUNCTION, codes.UNPRIVILEGED_FUNCTION,
                          codes.DEPRECATED_FUNCTION})
_COMPARISONS = frozenset({"<", ">", "<=", ">=", "==", "!="})
_PRAGMA_RE = re.compile(r"/\*\s*pragma:(read|write):(\w+)\s*\*/")


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


def check(unit: CheckUnit) -> None:
    global _EFFECTS_MEMO
    _EFFECTS_MEMO = {}
    try:
        _Program(unit).run()
    finally:
        _EFFECTS_MEMO = None  # keyed by id(): never valid beyond this tree


def _effects_after_folding(node, no_targets: bool) -> bool:
    if type(node) is ast.IfStmt and no_targets and _defined_target(node.condition):
        return _effects_after_folding(node.otherwise, no_targets) if node.otherwise is not None else False
    if type(node) is ast.Block:
        return any(_effects_after_folding(s, no_targets) for s in node.statements)
    return node is not None and side_effects(node)


def _defined_target(condition) -> bool:
    while type(condition) is ast.Paren:
        condition = condition.expr
    return type(condition) is ast.Defined and any(
        type(n) in (ast.TargetVariable, ast.Access) for n in ast.walk(condition.operand))


def _is_probewrite_test(condition) -> bool:
    while type(condition) is ast.Paren:
        condition = condition.expr
    return type(condition) is ast.ProbeWrite


def _written_scalars(body) -> set[str]:
    return {n.target.name for n in ast.walk(body)
            if type(n) is ast.Assignment and type(n.target) is ast.Variable}


class _Program:
    def __init__(self, unit: CheckUnit):
        self.unit = unit
        self.globals: dict[str, Var] = {}
        self.functions: dict[str, list[Func]] = {}
        self.library_functions: dict[str, list[Func]] = {}
        self.changed = False
        self.bodies: list[tuple[str, object, ast.Node, dict[str, Var]]] = []

    # -- set-up -----------------------------------------------------------

    def run(self) -> None:
        unit = self.unit
        for item in unit.script.items:
            if isinstance(item, ast.GlobalDecl):
                for g in item.variables:
                    if g.name in self.globals:
                        continue
                    var = Var(g.name, "global", g.name_span)
                    var.wrap = g.wrap
                    if g.size is not None:
                        var.arity_span = g.name_span
                    if isinstance(g.init, ast.NumberLit):
                        var.type, var.type_span, var.arity = LONG, g.init.span, 0
                    elif isinstance(g.init, ast.StringLit):
                        var.type, var.type_span, var.arity = STRING, g.init.span, 0
                    self.globals[g.name] = var
                    self._sized = getattr(self, "_sized", set())
                    if g.size is not None:
                        self._sized.add(g.name)
            elif isinstance(item, ast.FunctionDecl):
                params = []
                for p in item.params:
                    v = Var(p.name, "param", p.span)
                    if p.type in (LONG, STRING):
                        v.type, v.type_span = p.type, p.span
                    params.append(v)
                ret = item.return_type if item.return_type in (LONG, STRING) else UNKNOWN
                self.functions.setdefault(item.name, []).append(Func(item.name, params, ret, item))
        self.library_prototypes()
        self.bodies = self._bodies()
        self.elide()
        # What stap elaborates is typed first, on its own (code it never reaches does not type
        # it: elaboration.py); then the rest, for its own findings.
        for bodies in (self.bodies[:self.elaborated], self.bodies):
            for _ in range(MAX_ROUNDS):
                self.changed = False
                for kind, owner, body, scope in bodies:
                    _Walker(self, kind, owner, scope, checking=False).walk(body)
                if not self.changed:
                    break
        # stap resolves symbols (and checks arity and privilege) on the whole
        # tree, then optimizes, then checks types on what is left.
        optimize = self.optimize
        self.optimize = False
        for kind, owner, body, scope in self.bodies:
            _Walker(self, kind, owner, scope, checking=True, only=SYMBOL_CODES).walk(body)
        self.optimize = optimize
        for kind, owner, body, scope in self.bodies:
            _Walker(self, kind, owner, scope, checking=True, skip=SYMBOL_CODES).walk(body)
        self.final_checks()
        self.expansion_variables()

    def library_prototypes(self) -> None:
        """A script function named like a library one replaces it only with the same arity.

        The tapsets call user callbacks (tcpmib_filter_key, ipmib_filter_key, ...)
        by their prototype; a definition with other parameters is a new
        overload, and the library keeps calling its own default.
        """
        view = self.unit.view
        for name, funcs in self.functions.items():
            library = [f for f in self.unit.db.functions(name) if view.public(f) and view.exists(f)]
            if not library:
                continue
            for func in funcs:
                same = [f for f in library if len(f.params) == len(func.params)]
                wanted = " or ".join(sorted({f.signature() for f in library}))
                if not same:
                    self.unit.report(codes.LIBRARY_PROTOTYPE,
                                     f"function '{name}' has {len(func.params)} parameter(s); the library's "
                                     f"{wanted} has other: the library keeps calling its own",
                                     func.decl.name_span, hints=(f"defined at {library[0].where}",))
                    continue
                lib = same[0]
                for mine, theirs in zip(func.params, lib.params):
                    if mine.type in (LONG, STRING) and theirs.type in (LONG, STRING) and mine.type != theirs.type:
                        self.unit.report(codes.LIBRARY_PROTOTYPE,
                                         f"parameter '{mine.name}' of '{name}' is {mine.type}; the library's "
                                         f"{lib.signature()} passes {theirs.type}", mine.decl or func.decl.name_span)
                if func.ret in (LONG, STRING) and lib.return_type in (LONG, STRING) and func.ret != lib.return_type:
                    self.unit.report(codes.LIBRARY_PROTOTYPE,
                                     f"'{name}' returns {func.ret}; the library's {lib.signature()} returns "
                                     f"{lib.return_type}", func.decl.name_span)

    def _bodies(self):
        """The bodies to type, each with its own scope, those stap elaborates first.

        A function's body has its parameters.  A probe is typed once per expansion
        stap elaborates (model.py): the bodies of the script's aliases its point goes
        through and the handler, joined in one block, share one scope, which starts
        with the variables the library's aliases set; expansions alike (`probe begin,
        end`) are typed once.
        An alias no probe uses, and a probe whose points all resolve to nothing, are
        typed on their own.  Sets `self.elaborated`: how many bodies come first, the
        ones stap elaborates (elaboration.py); the others must not type them.
        """
        model = self.unit.model
        model.require("elaboration")
        model.require("kernel")  # the walks read unit.c_types
        elaboration = model.elaboration
        used: set[int] = set()  # the script's aliases typed in the expansions that use them
        if not self.unit.tapset:  # (in a tapset file each alias is also typed on its own)
            for expansion in model.expansions:
                if expansion.elaborated:
                    used.update(id(a) for a in expansion.aliases)
        self.expansion_scopes: list[tuple[list, dict[str, Var]]] = []
        first, later = [], []
        for item in self.unit.script.items:
            bodies = first if elaboration is None or elaboration.is_elaborated(item) else later
            if isinstance(item, ast.FunctionDecl):
                func = next(f for f in self.functions[item.name] if f.decl is item)
                scope = {p.name: p for p in func.params}
                if isinstance(item.body, ast.Block):
                    bodies.append(("function", func, item.body, scope))
                else:
                    self.embedded_pragmas(item.body.code, item.body.span)
            elif isinstance(item, ast.ProbeDecl):
                expansions = model.expansions_of(item)
                if not expansions:
                    bodies.append(("probe", item, item.body, {}))
                alike: dict[tuple, list] = {}
                for expansion in expansions:
                    if not expansion.elaborated:
                        continue  # after a `!` point that resolves: stap never types it
                    if expansion.key() in alike:
                        alike[expansion.key()].append(expansion)
                        continue
                    alike[expansion.key()] = group = [expansion]
                    scope = {}
                    for name, t in expansion.library_variables.items():
                        v = Var(name, "alias")
                        if t in (LONG, STRING):
                            v.type = t
                        scope[name] = v
                    parts = tuple(body for _, body in expansion.bodies())
                    joined = parts[0] if len(parts) == 1 else ast.Block(parts, item.body.span)
                    bodies.append(("probe", item, joined, scope))
                    self.expansion_scopes.append((group, scope))
            elif isinstance(item, ast.AliasDecl):
                if id(item) not in used:
                    bodies.append(("alias", item, item.body, {}))
                    if item.epilogue is not None:
                        bodies.append(("alias", item, item.epilogue, {}))
            elif isinstance(item, ast.EmbeddedCode):
                self.embedded_pragmas(item.code, item.span)
        self.elaborated = len(first)
        return first + later

    def expansion_variables(self) -> None:
        """Fill each expansion's `variables`: per script alias, the locals its body sets, typed."""
        for group, scope in self.expansion_scopes:
            for expansion in group:
                for alias in expansion.aliases:
                    if alias.is_epilogue:
                        continue  # it runs after the handler: nothing it sets is seen there
                    expansion.variables[id(alias)] = {
                        name: scope[name].type for name in sorted(_written_scalars(alias.body))
                        if name in scope and isinstance(scope[name], Var) and scope[name].kind == "local"}

    def elide(self) -> None:
        """What stap's optimizer removes before typing (unless -u): writes nobody reads.

        A local that is only ever written is elided with its assignments, and
        an expression statement (an if, a foreach, a block) without side
        effects is dropped; the types of what is removed are never checked.
        Removing code may leave other locals unread: repeat until nothing
        changes.  (stap resolves symbols before it optimizes, so symbol and
        arity errors are looked for in the whole tree: see `run`.)
        """
        first_line = self.unit.result.first_line
        self.optimize = not (first_line is not None and first_line.unoptimized)
        self.elided_globals: set[str] = set()
        for _, _, _, scope in self.bodies:
            scope.setdefault("$elided", set())  # type: ignore[arg-type]
        if not self.optimize:
            return
        script_globals = {n for n, v in self.globals.items() if v.kind == "global"}
        written_in = {id(body): _written_scalars(body) for _, _, body, _ in self.bodies}
        for _ in range(5):
            all_reads: set[str] = set()
            changed = False
            for kind, owner, body, scope in self.bodies:
                elided = scope["$elided"] | self.elided_globals  # type: ignore[operator]
                body_reads = reads(body, elided)
                all_reads |= body_reads
                params = {p.name for p in owner.params} if isinstance(owner, Func) else set()
                written = written_in[id(body)]
                local_elided = {n for n in written - body_reads - params - script_globals
                                if self.unit.library_global(n) is None}
                if local_elided != scope["$elided"]:
                    scope["$elided"] = local_elided  # type: ignore[assignment]
                    changed = True
            for item in self.unit.script.items:  # probe conditions read globals too
                if isinstance(item, ast.ProbeDecl):
                    for point in item.points:
                        if point.condition is not None:
                            all_reads |= {n.name for n in ast.walk(point.condition) if type(n) is ast.Variable}
            if not changed:
                break

    # -- lookups ----------------------------------------------------------

    def global_var(self, name: str) -> Var | None:
        var = self.globals.get(name)
        if var is not None:
            return var
        g = self.unit.library_global(name)
        if g is None:
            return None
        var = Var(name, "library")
        if g.type in (LONG, STRING, STATS):
            var.type = g.type
        var.arity = None  # the library does not record how many indexes an array takes
        self.globals[name] = var
        return var

    def candidates(self, name: str) -> list[Func]:
        """The script's overloads of a name, then the library's (for the target)."""
        found = list(self.functions.get(name, ()))
        if name not in self.library_functions:
            lib = []
            view = self.unit.view
            for f in self.unit.db.functions(name):
                if not view.public(f) or not view.exists(f):
                    continue
                params = []
                for p in f.params:
                    v = Var(p.name, "param")
                    v.type = p.type if p.type in (LONG, STRING) else UNKNOWN
                    params.append(v)
                lib.append(Func(name, params, f.return_type if f.return_type in (LONG, STRING) else UNKNOWN,
                                None, f))
            self.library_functions[name] = lib
        return found + self.library_functions[name]

    def function_names(self) -> list[str]:
        names = set(self.functions)
        names.update(n for n in self.unit.db.names("function") if not n.startswith("_"))
        return sorted(names)

    # -- checks after the walks --------------------------------------------

    def embedded_pragmas(self, code: str, span: Span) -> None:
        for _, name in _PRAGMA_RE.findall(code):
            var = self.global_var(name)
            if var is not None and var.type == STATS:
                self.unit.report(codes.AGGREGATE_IN_EMBEDDED_C,
                                 f"aggregates are not available in embedded C: '{name}' is a statistics global",
                                 span)
        self._pending_pragmas = getattr(self, "_pending_pragmas", [])
        self._pending_pragmas.append((code, span))

    def final_checks(self) -> None:
        unit = self.unit
        for code, span in getattr(self, "_pending_pragmas", []):
            for _, name in _PRAGMA_RE.findall(code):
                var = self.globals.get(name)
                if var is not None and var.type == STATS:
                    unit.report(codes.AGGREGATE_IN_EMBEDDED_C,
                                f"aggregates are not available in embedded C: '{name}' is a statistics global",
                                span)
        for var in self.globals.values():
            if var.kind != "global" or var.first_use is None or var.name in self.elided_globals:
                continue
            if var.type == UNKNOWN:
                unit.report(codes.UNRESOLVED_TYPE, f"unresolved type of global '{var.name}'", var.first_use,
                            hints=("nothing in the script says whether it holds numbers, strings or statistics",))
            if var.wrap and var.arity == 0:
                unit.report(codes.WRAPPED_SCALAR, f"wrapping ('%') is for arrays; '{var.name}' is a scalar",
                            var.decl or var.first_use)
        probes = [i for i in unit.script.items if isinstance(i, ast.ProbeDecl)]
        if not unit.tapset and not probes:
            unit.report(codes.NO_PROBES, "no probes found: the script has nothing to run", Span(0, 0),
                        hints=("stap refuses a script without a probe",))
        elif not unit.tapset and self.optimize and all(self.empty_probe(p) for p in probes):
            unit.report(codes.NO_PROBES, "no probes found: every probe of the script does nothing",
                        probes[0].span, hints=("stap's optimizer removes probes with empty handlers, "
                                               "then refuses a script with no probe left",))

    def empty_probe(self, probe: ast.ProbeDecl) -> bool:
        """A handler with nothing that has an effect (once `@defined($v)` is folded where there is no $v)."""
        info = self.unit.probes.get(id(probe))
        if info is not None and info.alias_variables:
            return False  # the alias bodies run too
        no_targets = info is not None and not info.has_target_variables
        return not _effects_after_folding(probe.body, no_targets)


_EFFECTS = (ast.Assignment, ast.Crement, ast.Call, ast.EmbeddedExpr, ast.DeleteStmt, ast.ReturnStmt,
            ast.NextStmt, ast.BreakStmt, ast.ContinueStmt, ast.EmbeddedCode)


def droppable(stmt) -> bool:
    """An if, foreach or block with no side effect anywhere in it: stap's optimizer removes it."""
    return type(stmt) in (ast.IfStmt, ast.ForeachStmt, ast.Block, ast.EmptyStmt) and not side_effects(stmt)


# While check() runs: side_effects() of each node of its tree, by id(node).  The
# optimizer's questions ask it of every statement and of everything inside it,
# which without a memo is quadratic in the nesting.  None outside check(): ids
# are only valid while their tree lives.
_EFFECTS_MEMO: dict[int, bool] | None = None


def side_effects(node) -> bool:
    """Could evaluating it change anything? (stap's optimizer drops what cannot.)"""
    memo = _EFFECTS_MEMO
    if memo is None:
        return any(_own_effect(n) for n in ast.walk(node))
    key = id(node)
    known = memo.get(key)
    if known is None:
        known = memo[key] = _own_effect(node) or any(side_effects(child) for child in ast.child_list(node))
    return known


def _own_effect(node) -> bool:
    kind = type(node)
    return kind in _EFFECTS or (kind is ast.PrintCall and not node.name.startswith("s"))


def reads(body, elided: set[str]) -> set[str]:
    """The variable names a body reads, once the dead code stap's optimizer removes is gone.

    An expression statement with no side effects is dropped, and so is an
    assignment to an `elided` variable (but for the side effects of its value).
    """
    found: set[str] = set()

    def expr(node) -> None:
        kind = type(node)
        if kind is ast.Variable:
            found.add(node.name)
            return
        if kind is ast.Assignment and type(node.target) is ast.Variable:
            if node.target.name in elided:
                if side_effects(node.value):
                    expr(node.value)
                return
            if node.op not in ("=", "<<<"):
                found.add(node.target.name)
            expr(node.value)
            return
        for child in _children(node):
            expr(child)

    def stmt(node) -> None:
        if node is None or droppable(node):
            return
        if type(node) is ast.ExprStmt:
            if side_effects(node.expr):
                expr(node.expr)
            return
        if type(node) is ast.ForStmt:
            for part in (node.init, node.step):
                if part is not None and side_effects(part):
                    expr(part)
            if node.condition is not None:
                expr(node.condition)
            stmt(node.body)
            return
        for child in _children(node):
            if isinstance(child, ast.Node) and type(child).__name__.endswith(("Stmt", "Block")):
                stmt(child)
            else:
                expr(child)

    stmt(body)
    return found


_children = ast.children


def _similar(name: str, candidates) -> list[str]:
    import difflib

    return difflib.get_close_matches(name, list(candidates), n=5, cutoff=0.7)


class _Walker:
    """One walk over one body: inferring (types may change) or checking (types are final)."""

    def __init__(self, program: _Program, kind: str, owner, scope: dict[str, Var], *, checking: bool,
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
        self.elided: set[str] = scope.get("$elided", set()) if program.optimize else set()  # type: ignore[assignment]
        # In a procfs probe (directly or through an alias) $value is the buffer, a string.
        info = self.unit.probes.get(id(owner))
        self.procfs = isinstance(owner, (ast.ProbeDecl, ast.AliasDecl)) and (
            any(p.components and isinstance(p.components[0], ast.Component) and p.components[0].name == "procfs"
                for p in owner.points)
            or (info is not None and any(f.startswith("procfs") for f in info.families)))

    def walk(self, body) -> None:
        self.stmt(body)
        if self.checking and self.only is None:
            self.locals_report()

    # -- reporting --------------------------------------------------------

    def report(self, code, message, span, **kw):
        if self.checking and code not in self.skip and (self.only is None or code in self.only):
            self.unit.report(code, message, span, **kw)

    def set_type(self, var: Var, t: str, span: Span) -> None:
        if var.type == UNKNOWN and t in (LONG, STRING, STATS):
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

    def locals_report(self) -> None:
        info = self.unit.probes.get(id(self.owner)) if isinstance(self.owner, ast.ProbeDecl) else None
        if info is not None and not info.resolved:
            return  # its points did not resolve: which variables it has is not known
        for name, var in self.scope.items():
            if name == "$elided" or var.kind != "local" or var.first_use is None or name not in self.seen:
                continue
            if var.type == UNKNOWN:
                self.unit.report(codes.UNRESOLVED_TYPE, f"unresolved type of '{var.name}'", var.first_use,
                                 hints=("nothing in this body sets it or uses it as a number or a string",))
            if not var.assigned and var.read:
                names = [n for n, v in self.scope.items() if n != "$elided" and v.assigned and n != var.name]
                names += list(self.program.globals)
                close = _similar(var.name, names)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                self.unit.report(codes.NEVER_ASSIGNED_LOCAL, f"never-assigned local '{var.name}'{hint}",
                                 var.first_use,
                                 hints=("it is always 0 or \"\"; a global needs a global declaration",))

    # -- statements -------------------------------------------------------

    def stmt(self, node) -> None:
        if node is None or (self.program.optimize and droppable(node)):
            return
        kind = type(node)
        if kind is ast.Block:
            for s in node.statements:
                self.stmt(s)
        elif kind is ast.ExprStmt:
            if not self.program.optimize or side_effects(node.expr):
                self.expr(node.expr)
        elif kind is ast.IfStmt:
            self.expr(node.condition, LONG)
            if not (self.kind == "alias" and _is_probewrite_test(node.condition)):
                # In an alias body, `if (@probewrite(v))` is folded to 0 unless the
                # user's handler writes v: stap never resolves what it guards.
                self.stmt(node.then)
            self.stmt(node.otherwise)
        elif kind is ast.WhileStmt:
            self.expr(node.condition, LONG)
            self.stmt(node.body)
        elif kind is ast.ForStmt:
            optimize = self.program.optimize
            if node.init is not None and (not optimize or side_effects(node.init)):
                self.expr(node.init)
            if node.condition is not None:
                self.expr(node.condition, LONG)
            if node.step is not None and (not optimize or side_effects(node.step)):
                self.expr(node.step)
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
                if func.ret == UNKNOWN and t in (LONG, STRING):
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
            return self.target_value(STRING if node.name in _PRETTY_CONTEXT else LONG, node, want)
        if kind is ast.Access:
            for step in node.steps:
                if isinstance(step, ast.Subscript):
                    self.expr(step.index, LONG)
            if isinstance(node.base, ast.TargetVariable) and node.base.name in _PRETTY_CONTEXT:
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
            g = self.program.globals.get(node.name)
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
            g = self.program.globals.get(node.array.name)
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
            var = local if local is not None and local.kind == "param" else self.program.globals.get(name) or local
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
        if type(node.target) is ast.Variable and node.target.name in self.elided:
            if side_effects(node.value):  # the write goes; what the value does stays
                self.expr(node.value)
            return UNKNOWN
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
            if param.type == UNKNOWN and t in (LONG, STRING) and func.decl is not None:
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
        close = _similar(node.name, self.program.function_names())
        hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
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
