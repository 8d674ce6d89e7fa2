"""Autocast: the C types that flow through a script's values, and `->` on them.

A value read from C (`$p->mm`, `& @cast(p, "sockaddr_un", "<sys/un.h>")`)
keeps its C type where stap's type resolution carries it, so that
`value->member` works on it without another @cast.  Checked with stap 4.8
(`stap -p2` on small scripts), the type goes through:

* an assignment's value (`(s = & @cast(...))->f`) and `?:` (both branches);
* a local or global variable: the one type of everything `=` assigns to it
  (numbers and strings add nothing; `s++` or `+=` neither);
* a script function's return: the one type of everything it returns;

and not through function parameters, array elements or indexes, arithmetic
(`p + 1`), foreach variables.  Two different types meeting make no type:
the same struct from two different cast modules (`<sys/un.h>` and
`<sys/socket.h><sys/un.h>`) is not the same type to stap.

So `->` on a value with no C type is stap's `unknown type in dereference`
(STP326), and on a value of a known struct a member it does not have is
STP321.  The types come from C headers compiled here (kernel/c_headers.py)
and from the kernel's BTF when one is given (kernel_targets.py found which
types the handler's $variables have).  Where a value may have a type this
check cannot see (a $variable without a kernel description, a tapset
function's result, a function parameter, an alias's variable), it is
"unknown", and nothing about it is reported.

Only in scripts; a tapset file's code is checked where a script uses it.
"""

from __future__ import annotations

import difflib

import attrs

from ..diagnostics import Severity, Span
from ..syntax import ast
from . import codes
from .unit import CheckUnit

# Bound on the rounds of the fixpoint over variables and function returns (each
# round can only add types; real scripts settle in two or three).
MAX_ROUNDS = 50


@attrs.frozen
class CType:
    """One C type: a type id of a description (a header set's or the kernel's), or its address."""

    description: object  # kernel.description.KernelDescription
    type_id: int
    address: bool = False  # `&` of a value of that type

    @property
    def key(self) -> tuple:
        return (id(self.description), self.type_id, self.address)

    def render(self) -> str:
        text = self.description.render(self.type_id)
        return text + "*" if self.address else text

    def origin(self) -> str:
        source = getattr(self.description, "source", "")
        return f" of {source}" if source.startswith("<") else ""


@attrs.frozen
class Flow:
    """What C types may reach a value: up to two distinct ones (two is already "no type"),
    and whether some source's type is not known here."""

    types: tuple[CType, ...] = ()
    unknown: bool = False

    def join(self, other: "Flow") -> "Flow":
        if not other.types and not other.unknown:
            return self
        types = list(self.types)
        for t in other.types:
            if len(types) < 2 and all(t.key != u.key for u in types):
                types.append(t)
        return Flow(tuple(types), self.unknown or other.unknown)

    @property
    def single(self) -> CType | None:
        return self.types[0] if len(self.types) == 1 and not self.unknown else None

    @property
    def untyped(self) -> bool:
        """stap gives this value no C type: nothing typed reaches it, or two types do."""
        return len(self.types) >= 2 or (not self.types and not self.unknown)


NONE = Flow()
UNKNOWN = Flow((), True)


def check(unit: CheckUnit, session) -> None:
    """Report `->` on values without a C type, and members their struct lacks; reads "kernel"."""
    if unit.tapset or unit.script is None or "->" not in unit.text:
        return  # most scripts have no `->` at all (a macro's body is in the text too)
    if not any(_follows(node) for node in ast.walk(unit.script)):
        return  # only `$var->member` and `@cast(p, "T", "kernel")->member`: kernel_targets' part
    _Autocast(unit, session).run()


def _follows(node) -> bool:
    """A node this check is for: `->` on a value that is no $variable or kernel @cast, or a
    @cast to C header types."""
    kind = type(node)
    if kind is ast.Cast:
        return node.module is not None and node.module.value.strip().startswith("<")
    if kind is not ast.Access or not any(type(s) is ast.Member for s in node.steps):
        return False
    base = node.base
    return type(base) is not ast.TargetVariable and type(base) is not ast.Cast


class _Autocast:
    def __init__(self, unit: CheckUnit, session):
        self.unit = unit
        self.session = session
        self.globals = set(unit.script_globals())
        self.functions: dict[tuple[str, int], list[ast.FunctionDecl]] = {}
        for item in unit.script.items:
            if isinstance(item, ast.FunctionDecl):
                self.functions.setdefault((item.name, len(item.params)), []).append(item)
        self.variables: dict[tuple, Flow] = {}  # (scope id or None for globals, name) -> Flow
        self.returns: dict[tuple[str, int], Flow] = {}
        self.scope = None  # the item whose body is walked
        self.contexts = None  # the kernel contexts of the probe walked (kernel_targets)
        self.header_problems: set = set()
        self.reported: set = set()
        self.casts: dict[int, Flow] = {}
        self.settled = False  # the fixpoint was reached (within MAX_ROUNDS)
        self.library_globals: dict[str, bool] = {}

    # -- the walk

    def run(self) -> None:
        items = [item for item in self.unit.script.items
                 if isinstance(item, (ast.ProbeDecl, ast.FunctionDecl)) and isinstance(item.body, ast.Block)]
        self.settled = False
        for _ in range(MAX_ROUNDS):
            before = (dict(self.variables), dict(self.returns))
            for item in items:
                self.enter(item)
                self.collect(item)
            if (self.variables, self.returns) == before:
                self.settled = True
                break
        removed_in = {}
        from .optimizer import for_unit

        optimizer = None
        for item in items:
            self.enter(item)
            if optimizer is None:
                optimizer = for_unit(self.unit)
            removed_in = optimizer.removed_nodes(item.body, dead_assignments=True)
            self.report_derefs(item.body, removed_in, False)

    def enter(self, item) -> None:
        self.scope = item
        self.contexts = self.unit.kernel_contexts.get(id(item)) if isinstance(item, ast.ProbeDecl) else None
        self.params = {p.name for p in item.params} if isinstance(item, ast.FunctionDecl) else set()
        info = self.unit.probes.get(id(item)) if isinstance(item, ast.ProbeDecl) else None
        # A handler's locals may be set by the alias bodies before it (with types this check
        # does not see); a probe whose points did not resolve may have any.
        self.alias_names = set(info.alias_variables) if info is not None else set()
        self.all_unknown = info is not None and not info.resolved

    def collect(self, item) -> None:
        for node in ast.walk(item.body):
            kind = type(node)
            if kind is ast.Assignment and node.op == "=" and type(node.target) is ast.Variable:
                key = self.variable_key(node.target.name)
                if key is not None:
                    self.variables[key] = self.variables.get(key, NONE).join(self.value(node.value))
            elif kind is ast.ReturnStmt and node.value is not None and isinstance(item, ast.FunctionDecl):
                key = (item.name, len(item.params))
                self.returns[key] = self.returns.get(key, NONE).join(self.value(node.value))

    def variable_key(self, name: str):
        if name in self.globals:
            return (None, name)
        if name in self.params or name in self.alias_names or self.all_unknown:
            return None  # not a value this check follows
        library = self.library_globals.get(name)
        if library is None:
            library = self.library_globals[name] = self.unit.library_global(name) is not None
        if library:
            return None
        return (id(self.scope), name)

    # -- the C types of values

    def value(self, expr, depth: int = 0) -> Flow:
        if depth > 200:
            return UNKNOWN
        kind = type(expr)
        if kind is ast.Paren:
            return self.value(expr.expr, depth + 1)
        if kind in (ast.NumberLit, ast.StringLit, ast.ArrayIndex, ast.Defined, ast.PrintCall):
            return NONE
        if kind is ast.Variable:
            key = self.variable_key(expr.name)
            return UNKNOWN if key is None else self.variables.get(key, NONE)
        if kind is ast.Assignment:
            return self.value(expr.value, depth + 1) if expr.op == "=" else NONE
        if kind is ast.Ternary:
            return self.value(expr.then, depth + 1).join(self.value(expr.otherwise, depth + 1))
        if kind is ast.Call:
            overloads = self.functions.get((expr.name, len(expr.args)))
            if not overloads:
                return UNKNOWN  # a tapset function: its result may be typed
            return self.returns.get((expr.name, len(expr.args)), NONE)
        if kind is ast.Entry:
            return self.value(expr.operand, depth + 1)
        if kind is ast.AddressOf:
            inner = self.value(expr.operand, depth + 1)
            if any(t.address for t in inner.types):
                return UNKNOWN
            return Flow(tuple(attrs.evolve(t, address=True) for t in inner.types), inner.unknown)
        if kind is ast.Cast:
            return self.cast_value(expr)
        if kind is ast.TargetVariable:
            found = self.target_type(expr)
            return Flow((found,)) if found is not None else UNKNOWN
        if kind is ast.Access:
            return self.access(expr, report=False, guarded=True, depth=depth + 1)
        if kind is ast.Binary and expr.op in ("+", "-", "|", "^", "<<", ">>") and (
                _is_zero(expr.left) or _is_zero(expr.right)):
            return UNKNOWN  # `p + 0`: stap folds it to p, type and all
        if kind in (ast.Binary, ast.Unary, ast.Crement):
            return NONE  # arithmetic, comparison, concatenation: a plain number or string
        return UNKNOWN

    def target_type(self, var: ast.TargetVariable) -> CType | None:
        """The type of a $parameter of the kernel function or tracepoint probed (kernel_targets)."""
        contexts = self.contexts
        if not contexts or var.name.startswith("$$"):
            return None
        if var.name == "$return":
            ids = {c.return_type_id for c in contexts}
        else:
            bare = var.name[1:]
            if any(bare not in c.params for c in contexts):
                return None
            ids = {c.params[bare].type_id for c in contexts}
        if len(ids) != 1 or None in ids:
            return None
        return CType(contexts[0].description, ids.pop())

    def cast_value(self, node: ast.Cast) -> Flow:
        found = self.casts.get(id(node))
        if found is None:
            found = self.casts[id(node)] = self._cast_value(node)
        return found

    def _cast_value(self, node: ast.Cast) -> Flow:
        from ..kernel.c_headers import header_set

        if node.type_name.has_arguments:
            return UNKNOWN
        module = node.module.value if node.module is not None else None
        text = node.type_name.value.strip()
        bare = text[len("struct "):].strip() if text.startswith("struct ") else text
        headers = header_set(module) if module is not None else None
        if headers is not None:
            types = self.session.c_headers().types(headers)
            if types.types is None:
                self.header_problem(node, types)
                return UNKNOWN
            description = types.types
        elif module is not None and module.strip() == "kernel" and self.unit.kernel is not None:
            description = self.unit.kernel  # kernel_targets reports a type the kernel lacks
        else:
            return UNKNOWN
        if "*" in bare or not bare:
            return UNKNOWN
        type_id = description.type_named(bare)
        if type_id is None:
            if headers is not None:
                self.report(codes.UNKNOWN_CAST_TYPE, node.type_name.span,
                            f"@cast to '{text}': {description.source} has no such type"
                            + _did_you_mean(description.similar_types(bare)),
                            hints=("stap: type definition '" + text + "' not found in '" + module + "'",))
            return UNKNOWN
        return Flow((CType(description, type_id),))

    def header_problem(self, node: ast.Cast, types) -> None:
        key = types.headers
        if key in self.header_problems:
            return
        self.header_problems.add(key)
        shown = "".join(f"<{h}>" for h in types.headers)
        if types.no_compiler:
            self.report(codes.HEADER_TYPES_UNAVAILABLE, node.module.span,
                        f"the types of {shown} are not checked: no C compiler (gcc) on this machine",
                        severity=Severity.INFO,
                        hints=("stap compiles the headers a @cast names; stapkit does the same with gcc",))
        else:
            self.report(codes.HEADER_TYPES_UNAVAILABLE, node.module.span,
                        f"the types of {shown} are not checked: {types.problem}",
                        severity=Severity.WARNING,
                        hints=("stap compiles the headers a @cast names, and fails as the compiler did here "
                               "(a header missing here may be installed where the script runs)",))

    # -- `->`

    def access(self, node: ast.Access, *, report: bool, guarded: bool, depth: int = 0) -> Flow:
        base = node.base
        steps = node.steps
        flow = self.value(base, depth + 1)
        kernel_checked = type(base) is ast.TargetVariable or (
            type(base) is ast.Cast and (base.module is None or not base.module.value.strip().startswith("<")))
        if type(base) is ast.Cast and steps and type(steps[0]) is ast.Subscript:
            steps = steps[1:]  # `@cast(p, "T")[i]`: p read as an array of T
        if not steps:
            return flow
        ctype = flow.single
        if ctype is None:
            # (unsettled, a type may still be on its way: "no type" is not sure then)
            if report and not guarded and flow.untyped and type(steps[0]) is ast.Member and (
                    self.settled or len(flow.types) >= 2):
                self.untyped(node, base, flow, steps[0])
            return UNKNOWN if not flow.untyped else NONE
        from ..kernel import c_types

        btf = ctype.description.btf
        current, address, what = ctype.type_id, ctype.address, _describe(base)
        for step in steps:
            if type(step) is ast.Member:
                aggregate = c_types.aggregate(btf, current)
                if aggregate is None:
                    if report and not guarded and not kernel_checked and not c_types.is_incomplete(btf, current):
                        self.report(codes.MEMBER_OF_NON_STRUCT, step.span,
                                    f"'->{step.name}' on {what} ({ctype.description.render(current)}"
                                    f"{'*' if address else ''}): it has no members",
                                    hints=(f"stap: invalid access '->{step.name}'",))
                    return UNKNOWN
                member = c_types.member(btf, aggregate, step.name)
                if member is None:
                    if report and not guarded and not kernel_checked:
                        names = [n for n, _ in c_types.members(btf, aggregate)]
                        similar = difflib.get_close_matches(step.name, names, n=1, cutoff=0.6)
                        owner = ctype.description.render(aggregate)
                        self.report(codes.UNKNOWN_MEMBER, step.span,
                                    f"{owner}{ctype.origin()} has no member '{step.name}'"
                                    + (f" (did you mean '{similar[0]}'?)" if similar else ""),
                                    hints=(f"{what} is of type {ctype.description.render(current)}"
                                           f"{'*' if address else ''}{ctype.origin()}",
                                           f"stap: unable to find member '{step.name}' for {owner}"))
                    return UNKNOWN
                current, address, what = member, False, f"member '{step.name}'"
            else:
                if address:
                    address = False  # `(&x)[i]`: an element is an x
                    continue
                element = c_types.element(btf, current)
                if element is None:
                    return UNKNOWN
                current, what = element, "an element"
        return Flow((CType(ctype.description, current),))

    def untyped(self, node: ast.Access, base, flow: Flow, step: ast.Member) -> None:
        if len(flow.types) >= 2:
            a, b = flow.types[:2]
            why = (f"{_describe(base)} gets two C types, {a.render()}{a.origin()} and {b.render()}{b.origin()}, "
                   "which stap does not unify (not even the same struct from two cast modules)")
        else:
            why = (f"{_describe(base)} has no C type here: nothing typed reaches it (types go through "
                   "locals, globals, returns and ?:, not through parameters, array elements or arithmetic)")
        self.report(codes.UNTYPED_DEREFERENCE, step.span, f"unknown type in dereference: {why}",
                    hints=("give it a type with @cast(value, \"type\", \"module\")->"
                           f"{step.name}",))

    def report_derefs(self, body, removed: set[int], guarded: bool) -> None:
        """Visit a body, reporting each `->` (not in code stap removes, nor under @defined)."""
        stack = [(body, guarded)]
        while stack:
            node, inside = stack.pop()
            if id(node) in removed:
                continue
            kind = type(node)
            if kind is ast.Defined:
                continue
            if kind in (ast.IfStmt, ast.Ternary):
                stack.append((node.condition, inside))
                inner = inside or any(type(n) is ast.Defined for n in ast.walk(node.condition))
                stack.append((node.then, inner))
                if node.otherwise is not None:
                    stack.append((node.otherwise, inner))
                continue
            if kind is ast.Access:
                self.access(node, report=True, guarded=inside)
            if kind is ast.Cast:
                self.cast_value(node)
            for child in ast.child_list(node) or ():
                stack.append((child, inside))

    def report(self, code: str, span: Span, message: str, *, severity=None, hints=()) -> None:
        if (code, span) not in self.reported:
            self.reported.add((code, span))
            self.unit.report(code, message, span, severity=severity, hints=hints)


def _is_zero(expr) -> bool:
    return type(expr) is ast.NumberLit and expr.value == 0


def _describe(expr) -> str:
    kind = type(expr)
    if kind is ast.Variable:
        return f"'{expr.name}'"
    if kind is ast.Call:
        return f"{expr.name}()"
    if kind is ast.Paren:
        return _describe(expr.expr)
    if kind is ast.TargetVariable:
        return expr.name
    return "the value"


def _did_you_mean(names: list[str]) -> str:
    return (" (did you mean " + " or ".join(f"'{n}'" for n in names[:3]) + "?)") if names else ""
