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

The typing rules are the type engine's (inference.py, which also types the
tapset library for the database); this module is the checker's program: it
sets up the script's names, drives the rounds, and reports.  What stap's
optimizer removes first is optimizer.py's answer; findings in removed code
are warnings that say so.  `types(unit)` gives the inferred types (for
the editor) without reporting.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import attrs

from ..diagnostics import Span
from ..syntax import ast
from ..tapsets.model import LONG, STATS, STRING, UNKNOWN
from . import codes
from .inference import Func, Program, Var, VarType, Walker, similar
from .optimizer import for_unit
from .unit import CheckUnit

MAX_ROUNDS = 12
# What stap finds while resolving symbols, before its optimizer removes dead code.
SYMBOL_CODES = frozenset({codes.UNRESOLVED_FUNCTION, codes.FUNCTION_ARITY, codes.UNDECLARED_ARRAY,
                          codes.INCONSISTENT_ARITY, codes.GURU_FUNCTION, codes.UNPRIVILEGED_FUNCTION,
                          codes.DEPRECATED_FUNCTION})
_PRAGMA_RE = re.compile(r"/\*\s*pragma:(read|write):(\w+)\s*\*/")


def check(unit: CheckUnit) -> None:
    _Program(unit).run()


class FunctionType(NamedTuple):
    params: tuple[str, ...]  # the parameters' types, in order
    returns: str


@attrs.frozen
class TypeTable:
    """The types inference reaches on a checked file, by declaration (for the editor)."""

    globals: dict[str, VarType]  # the script's globals and the library globals it uses
    functions: dict[int, FunctionType]  # id(ast.FunctionDecl) -> its types
    locals: dict[int, dict[str, VarType]]  # id(function, probe or alias declaration) -> its locals and parameters


def types(unit: CheckUnit, *, fresh: bool = False) -> TypeTable:
    """The types of a unit's variables and functions, as the checker infers them; reports nothing.

    Inferred again (with the code stap's optimizer removes, which the editor shows too), unless
    the check's own inference left nothing out (unit.model.types: see _Program.run); `fresh`
    always infers again.
    """
    program = unit.model.types if not fresh else None
    if not isinstance(program, _Program):
        program = _Program(unit, reporting=False)
        program.run()
    globals_ = {name: var.var_type() for name, var in program.globals.items()}
    functions: dict[int, FunctionType] = {}
    for funcs in program.functions.values():
        for func in funcs:
            if func.decl is not None:
                functions[id(func.decl)] = FunctionType(tuple(p.type for p in func.params), func.ret)
    locals_: dict[int, dict[str, VarType]] = {}
    for _, owner, _, scope in program.bodies:
        node = owner.decl if isinstance(owner, Func) else owner
        nodes = [node]
        if isinstance(node, ast.ProbeDecl):  # the aliases it expands share the handler's scope
            nodes += [a for e in unit.model.expansions_of(node) for a in e.aliases]
        for node in nodes:
            table = locals_.setdefault(id(node), {})
            for name, var in scope.items():
                if isinstance(var, Var):
                    known = table.get(name)
                    if known is None or known.type == UNKNOWN:
                        table[name] = var.var_type()
    return TypeTable(globals_, functions, locals_)


def _defined_target(condition) -> bool:
    while type(condition) is ast.Paren:
        condition = condition.expr
    return type(condition) is ast.Defined and any(
        type(n) in (ast.TargetVariable, ast.Access) for n in ast.walk(condition.operand))




class _Program(Program):
    """The checker's program: one script, with the tapset library's signatures and globals."""

    folds_probewrite = True

    def __init__(self, unit: CheckUnit, *, reporting: bool = True):
        super().__init__()
        self.unit = unit
        self.reporting = reporting  # False: only infer (types(unit)), report nothing
        self.globals: dict[str, Var] = {}
        self.functions: dict[str, list[Func]] = {}
        self.library_functions: dict[str, list[Func]] = {}
        self.changed = False
        self.bodies: list[tuple[str, object, ast.Node, dict[str, Var]]] = []

    # -- set-up -----------------------------------------------------------

    def run(self) -> None:
        """Infer, then (when reporting) check every use against the final types."""
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
        if self.reporting:
            self.library_prototypes()
        self.bodies = self._bodies()
        self.elide()
        # What stap elaborates is typed first, on its own (code it never reaches does not type
        # it: elaboration.py); then the rest, for its own findings.
        settled = False
        for bodies in (self.bodies[:self.elaborated], self.bodies):
            if settled and len(bodies) == self.elaborated:
                break  # stap elaborates them all: their types settled above (a round more changes nothing)
            for _ in range(MAX_ROUNDS):
                self.changed = False
                for kind, owner, body, scope in bodies:
                    Walker(self, kind, owner, scope, checking=False).walk(body)
                if not self.changed:
                    break
            settled = not self.changed
        if not self.reporting:
            return
        if not self.changed and not self.pruned:
            # The optimizer left nothing out, and the rounds reached their end: this inference is
            # the one `types(unit)` would make again for the editor (the walks below change no type).
            self.unit.model.types = self
        # stap resolves symbols (and checks arity and privilege) on the whole
        # tree, then optimizes, then checks types on what is left.
        optimize = self.optimize
        self.optimize = False
        for kind, owner, body, scope in self.bodies:
            Walker(self, kind, owner, scope, checking=True, only=SYMBOL_CODES).walk(body)
        self.optimize = optimize
        for kind, owner, body, scope in self.bodies:
            Walker(self, kind, owner, scope, checking=True, skip=SYMBOL_CODES).walk(body)
        self.final_checks()
        self.expansion_variables()
        self.alias_variable_types()

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
                        name: scope[name].type for name in sorted(self.optimizer.assigned(alias.body))
                        if name in scope and isinstance(scope[name], Var) and scope[name].kind == "local"}

    def alias_variable_types(self) -> None:
        """Type the script aliases' variables in each ProbeInfo (probe_points left them unknown)
        with the types the expansions through those aliases gave them."""
        typed: dict[int, dict[str, str]] = {}
        for expansion in self.unit.model.expansions:
            for alias_id, variables in expansion.variables.items():
                into = typed.setdefault(alias_id, {})
                for name, t in variables.items():
                    if t in (LONG, STRING) and name not in into:
                        into[name] = t
        for kind, owner, body, scope in self.bodies:  # an alias no probe here uses: typed on its own
            if kind == "alias" and body is owner.body:
                into = typed.setdefault(id(owner), {})
                for name in self.optimizer.assigned(body):
                    var = scope.get(name)
                    if isinstance(var, Var) and var.kind == "local" and var.type in (LONG, STRING):
                        into.setdefault(name, var.type)
        for info in self.unit.probes.values():
            for alias in info.script_aliases:
                for name, t in typed.get(id(alias), {}).items():
                    if info.alias_variables.get(name) == UNKNOWN:
                        info.alias_variables[name] = t

    def elide(self) -> None:
        """What stap's optimizer removes before typing (unless -u): see optimizer.py.

        Each body's dead locals (opt3) are found once; the walks ask the
        optimizer which statements and parts of statements stay.  (stap
        resolves symbols before it optimizes, so symbol and arity errors are
        looked for in the whole tree: see `run`.)
        """
        self.optimizer = for_unit(self.unit)
        # Inferring for the editor (not reporting), the code the optimizer removes is typed
        # too: a reader hovering over `x = 1` wants its type, whether or not stap keeps it.
        self.optimize = self.optimizer.enabled and self.reporting
        self.dead: dict[int, frozenset[str]] = {}
        for _, owner, body, _ in self.bodies:
            params = frozenset(p.name for p in owner.params) if isinstance(owner, Func) else frozenset()
            self.dead[id(body)] = self.optimizer.dead_locals(body, params)

    # -- lookups ----------------------------------------------------------

    def locals_report(self, walker: Walker) -> None:
        """Unresolved and never-assigned locals of the body a checking walk went through."""
        info = self.unit.probes.get(id(walker.owner)) if isinstance(walker.owner, ast.ProbeDecl) else None
        if info is not None and not info.resolved:
            return  # its points did not resolve: which variables it has is not known
        for name, var in walker.scope.items():
            if var.kind != "local" or var.first_use is None or name not in walker.seen:
                continue
            if var.type == UNKNOWN:
                self.unit.report(codes.UNRESOLVED_TYPE, f"unresolved type of '{var.name}'", var.first_use,
                                 hints=("nothing in this body sets it or uses it as a number or a string",))
            if not var.assigned and var.read:
                names = [n for n, v in walker.scope.items() if v.assigned and n != var.name]
                names += list(self.globals)
                close = similar(var.name, names)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                self.unit.report(codes.NEVER_ASSIGNED_LOCAL, f"never-assigned local '{var.name}'{hint}",
                                 var.first_use,
                                 hints=("it is always 0 or \"\"; a global needs a global declaration",))

    def known_global(self, name: str) -> Var | None:
        return self.globals.get(name)

    def procfs(self, owner) -> bool:
        info = self.unit.probes.get(id(owner))
        return super().procfs(owner) or (
            isinstance(owner, ast.ProbeDecl) and info is not None and any(f.startswith("procfs") for f in info.families))

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
            if var is not None and var.type == STATS and self.reporting:
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
            if var.kind != "global" or var.first_use is None:
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
        elif not unit.tapset and self.optimize and all(self.empty_probe(p) for p in probes) \
                and not self.uses_library_globals():
            unit.report(codes.NO_PROBES, "no probes found: every probe of the script does nothing",
                        probes[0].span, hints=("stap's optimizer removes probes with empty handlers, "
                                               "then refuses a script with no probe left",))

    def uses_library_globals(self) -> bool:
        """A library global pulls its tapset file in, and with it the file's own probes (argv.stp's)."""
        return any(var.kind == "library" for var in self.globals.values())

    def empty_probe(self, probe: ast.ProbeDecl) -> bool:
        """Nothing of the handler, nor of the script aliases it expands through, stays (once
        `@defined($v)` is folded where there is no $v)."""
        info = self.unit.probes.get(id(probe))
        if info is not None and info.alias_variables:
            return False  # the library alias bodies run too
        no_targets = info is not None and not info.has_target_variables
        bodies = {id(body): body for e in self.unit.model.expansions_of(probe) for _, body in e.bodies()}
        bodies.setdefault(id(probe.body), probe.body)
        return not any(self._kept_after_folding(body, self.optimizer.dead_locals(body), no_targets)
                       for body in bodies.values())

    def _kept_after_folding(self, node, dead: frozenset[str], no_targets: bool) -> bool:
        if type(node) is ast.IfStmt and no_targets and _defined_target(node.condition):
            return node.otherwise is not None and self._kept_after_folding(node.otherwise, dead, no_targets)
        if type(node) is ast.Block:
            return any(self._kept_after_folding(s, dead, no_targets) for s in node.statements)
        return self.optimizer.kept(node, dead)
