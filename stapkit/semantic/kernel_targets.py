"""Kernel probes and $variables checked against a kernel description (BTF and symbols).

Runs only when a kernel was given (--kernel-btf, --kernel-symbols); without one
these probes stay what probe_points.py calls unverifiable and nothing here
reports.  What BTF cannot know decides the severities:

- a kernel.function the description lacks is a warning: a function the
  compiler inlined at every call is in neither BTF nor the symbol table, yet
  stap finds it with debuginfo.  A kprobe.function needs a symbol, so with a
  symbol table a missing one is an error.  A tracepoint missing from vmlinux's
  BTF is a warning: a module's tracepoints are described in the module's BTF.
- a `$name` that is no parameter of a kernel.function is a warning (stap also
  reads the function's local variables, which BTF does not describe); no
  parameter of a tracepoint is an error.
- members, `$return` of a void function and `->` on a number are errors: BTF
  describes every struct the kernel's code uses, member by member.

Only points written in the checked file are judged, not those a tapset alias
expands to (the library guards its own with `?` and `@defined`), and nothing
under `@defined(...)`, which is how scripts test for a variable.
"""

from __future__ import annotations

import difflib
import fnmatch
import re

import attrs

from ..diagnostics import Severity, Span
from ..syntax import ast
from . import codes
from .unit import CheckUnit, KernelPoint

# Beyond this many functions matched by a wildcard, $variables are not checked
# (each is a question to the description; stap would check every one).
_MANY_MATCHES = 32
_SKIPPED_SUFFIXES = frozenset({"inline", "callee", "callees", "label"})


@attrs.frozen
class KernelContext:
    """What one derived probe offers a handler: a kernel function's or tracepoint's parameters."""

    kind: str  # "function" or "tracepoint"
    name: str
    params: dict  # name -> kernel.description.Parameter
    is_return: bool
    return_type_id: int | None  # functions
    returns_void: bool
    description: object = None  # the KernelDescription its type ids belong to (a module's, or vmlinux's)


def check(unit: CheckUnit) -> None:
    """Fill the model's "kernel" part (c_types, member_owners, kernel_contexts); reads "probes"."""
    unit.model.require("probes")
    _check(unit)
    unit.model.mark("kernel")


def _check(unit: CheckUnit) -> None:
    kernel = unit.kernel
    if kernel is None or unit.tapset:
        return
    seen: set = set()
    for item in unit.script.items:
        if isinstance(item, (ast.ProbeDecl, ast.AliasDecl)):
            info = unit.probes.get(id(item))
            if info is None:
                continue
            # An alias definition's own points are judged where it is used (a use may be optional).
            # `A!, B`: when A exists, stap never tries B.
            satisfied = False
            for point in info.kernel_points if isinstance(item, ast.ProbeDecl) else ():
                if satisfied:
                    break
                if point.span is not None and (point.group, point.name, point.span) not in seen:
                    seen.add((point.group, point.name, point.span))
                    exists = _check_exists(unit, point)
                    satisfied = point.sufficient and exists
            contexts = _contexts(unit, info) if isinstance(item, ast.ProbeDecl) else None
            if contexts:
                unit.kernel_contexts[id(item)] = contexts
            # A @cast without a module reads the probed program's types in a process or
            # module probe, the kernel's elsewhere.
            kernel_casts = not any(f.startswith(("process", "module")) for f in info.families)
            _walk(_Walk(unit, contexts, kernel_casts), item.body, isinstance(item, ast.ProbeDecl))
        elif isinstance(item, ast.FunctionDecl):
            _walk(_Walk(unit, None, True), item.body, False)


def _walk(walk: "_Walk", body, handler: bool) -> None:
    """Loading checked the names and direct type references of the description; a member or
    parameter record damaged past that ends the walk of this body, not the whole check."""
    import struct

    from ..kernel.btf import BtfError

    try:
        walk.run(body, handler)
    except (BtfError, IndexError, struct.error):
        pass


# ---------------------------------------------------------------- do the probed things exist


def _check_exists(unit: CheckUnit, point: KernelPoint) -> bool:
    """Report the point's target if the kernel lacks it (unless missing is allowed there);
    False when it is missing, True when it exists or cannot be told."""
    if not point.in_script or not point.name:
        return True
    kernel = unit.kernel
    name = point.name.split("@", 1)[0]
    if not name or any(c in name for c in "$@"):
        return True
    missing = _missing(kernel, point, name)
    if missing is None or point.optional:
        return missing is None
    code, message, severity, hints = missing
    unit.report(code, message, point.span, severity=severity, hints=hints)
    return False


def _missing(kernel, point: KernelPoint, name: str):
    """(code, message, severity, hints) when the kernel lacks the point's target, else None.
    (For an optional point only whether it is missing matters: no suggestions are looked for.)"""
    where = f"kernel {kernel.release}" if kernel.release else "this kernel"
    glob = any(c in name for c in "*?[")
    suggest = not glob and not point.optional
    if point.group == "kernel.trace":
        name = name.split(":", 1)[-1]  # `kernel.trace("sched:sched_switch")`
        if not kernel.has_tracepoints() or kernel.match_tracepoints(name):
            return None
        what = f"no tracepoint of {where} matches '{name}'" if glob else f"tracepoint '{name}' is not in {where}"
        return (codes.UNKNOWN_TRACEPOINT, what + _did_you_mean(kernel.similar_tracepoints(name) if suggest else []),
                None, ("the kernel's BTF lists every tracepoint built into vmlinux; a module's "
                       "tracepoints exist only while it is loaded, and are in its own BTF",))
    if "inline" in point.suffixes:
        return None  # an inline-only function is in neither BTF nor the symbol table
    if point.module is not None:
        return _missing_in_module(kernel, point, name, glob, suggest)
    if point.group == "kprobe":
        if (any(kernel.has_symbol(n) for n in kernel.match_functions(name)) if glob else kernel.has_symbol(name)):
            return None
        have_table = kernel.symbols is not None
        what = (f"no symbol of {where} matches '{name}'" if glob
                else f"kprobe.function('{name}'): {where} has no such symbol")
        return (codes.UNKNOWN_KERNEL_FUNCTION, what + _did_you_mean(kernel.similar_functions(name) if suggest else []),
                Severity.ERROR if have_table else Severity.WARNING,
                ("a kprobe attaches to a symbol of the kernel's symbol table"
                 + ("" if have_table else "; only BTF was given (--kernel-symbols adds the table)"),))
    if kernel.match_functions(name):
        return None
    what = f"no function of {where} matches '{name}'" if glob else f"kernel function '{name}' is not in {where}"
    hints = ["neither the kernel's BTF nor its symbol table has it; a function the compiler inlined at "
             "every call is in neither, and stap finds those only with debuginfo"]
    if kernel.symbols is None:
        hints.append("only BTF was given: assembly entry points are in the symbol table (--kernel-symbols)")
    similar = kernel.similar_functions(name) if suggest else []
    return codes.UNKNOWN_KERNEL_FUNCTION, what + _did_you_mean(similar), None, tuple(hints)


def _missing_in_module(kernel, point: KernelPoint, name: str, glob: bool, suggest: bool):
    """A module's function, judged by the module's BTF (/sys/kernel/btf/<module>) and its symbols
    in the symbol table: only a module that was loaded then is in them."""
    module = point.module
    if not module or any(c in module for c in "*?["):
        return None
    described = kernel.module(module)  # its split BTF, when it is loaded here
    names = set(described.function_names()) if described is not None else None
    if kernel.symbols is not None and module in kernel.symbols.module_functions:
        names = (names or set()) | kernel.symbols.module_functions[module]
    if names is None:
        return None  # not loaded then: nothing is known
    regex = re.compile(fnmatch.translate(name)) if glob else None
    if (any(regex.match(n) for n in names) if glob else name in names):
        return None
    where = f"module {module}" + (f" of kernel {kernel.release}" if kernel.release else "")
    what = f"no function of {where} matches '{name}'" if glob else f"{where} has no function '{name}'"
    similar = difflib.get_close_matches(name, sorted(names), n=3, cutoff=0.75) if suggest else []
    kprobe = point.group == "kprobe"
    return (codes.UNKNOWN_KERNEL_FUNCTION, what + _did_you_mean(similar), Severity.ERROR if kprobe else None,
            (f"the module's BTF and symbols list its code as it was loaded"
             + ("" if kprobe else "; a function the compiler inlined everywhere is not in them"),))


def _did_you_mean(names: list[str]) -> str:
    if not names:
        return ""
    return " (did you mean " + " or ".join(f"'{n}'" for n in names[:3]) + "?)"


# ---------------------------------------------------------------- what the handler sees


def _contexts(unit: CheckUnit, info) -> list[KernelContext] | None:
    """The functions and tracepoints whose parameters a handler's $variables name; None when
    some derived probe is not one the description fully knows (then nothing is checked)."""
    if not info.only_kernel_points or not info.resolved:
        return None
    kernel = unit.kernel
    found: list[KernelContext] = []
    for point in info.kernel_points:
        if not point.in_script or point.via_alias or not point.name or point.group == "kprobe":
            return None
        function = point.name.split("@", 1)[0]  # `f@net/ipv4/tcp.c`: still f's entry
        if _SKIPPED_SUFFIXES.intersection(point.suffixes) or "$" in point.name or not function:
            return None
        if point.group in ("kernel.function", "module.function"):
            # a module's functions: from its split BTF, when it is loaded here
            described = kernel if point.group == "kernel.function" else (
                kernel.module(point.module) if point.module and not any(c in point.module for c in "*?[")
                else None)
            if described is None:
                return None
            names = described.match_functions(function)
            if not names or len(names) > _MANY_MATCHES:
                return None
            for name in names:
                func = described.function(name)
                if func is None or not func.from_btf or func.variadic and not func.params:
                    return None
                found.append(KernelContext("function", name, {p.name: p for p in func.params}, point.is_return,
                                           func.return_type_id, func.returns_void, described))
        else:
            if not kernel.has_tracepoints():
                return None
            names = kernel.match_tracepoints(point.name.split(":", 1)[-1])
            if not names or len(names) > _MANY_MATCHES:
                return None
            for name in names:
                tracepoint = kernel.tracepoint(name)
                if tracepoint is None or not tracepoint.names_known:
                    return None
                found.append(KernelContext("tracepoint", name, {p.name: p for p in tracepoint.params}, False,
                                           None, False, kernel))
    if len({id(c.description) for c in found}) > 1:
        return None  # a module's and vmlinux's functions in one probe: their type ids differ
    return found or None


_KERNEL_NODES = (ast.TargetVariable, ast.Access, ast.Cast)


class _Walk:
    """One body: its $variables against the contexts, and member chains and @casts against BTF."""

    def __init__(self, unit: CheckUnit, contexts: list[KernelContext] | None, kernel_casts: bool = True):
        self.unit = unit
        # The description whose type ids the handler's $variables have: a module's (its split BTF
        # holds vmlinux's types too) or vmlinux's.
        self.kernel = contexts[0].description if contexts else unit.kernel
        self.btf = self.kernel.btf
        self.contexts = contexts
        self.kernel_casts = kernel_casts
        self.reported: set = set()
        self.elided: set[int] = set()
        self.type_ids: dict[int, int] = {}  # id($variable or member chain) -> its BTF type id

    def report(self, code: str, message: str, span: Span, severity=None, hints=()) -> None:
        if (code, span) not in self.reported:
            self.reported.add((code, span))
            self.unit.report(code, message, span, severity=severity, hints=hints)

    def run(self, body, handler: bool) -> None:
        if body is None or self.btf is None:
            return
        if not any(type(node) in _KERNEL_NODES for node in ast.walk(body)):
            return  # most bodies: nothing here to look up (and the elision below is not cheap)
        if not (self.unit.result.first_line and self.unit.result.first_line.unoptimized):
            # stap drops code without side effects before it looks at $variables and @casts
            # in it (semok/cast.stp's "bogus @casts can get optimized away"); not with -u.
            from .optimizer import for_unit

            self.elided = for_unit(self.unit).removed_nodes(body, dead_assignments=handler)
        self.visit(body, False)

    def visit(self, node, guarded: bool) -> None:
        if id(node) in self.elided:
            return
        kind = type(node)
        if kind is ast.Defined:
            return  # a test for a variable, not a use
        if kind in (ast.IfStmt, ast.Ternary):
            self.visit(node.condition, guarded)
            inner = guarded or any(isinstance(n, ast.Defined) for n in ast.walk(node.condition))
            self.visit(node.then, inner)
            if node.otherwise is not None:
                self.visit(node.otherwise, inner)
            return
        if kind is ast.TargetVariable:
            self.target_type(node, guarded)
            return
        if kind is ast.Access:
            self.access(node, guarded)
            return
        if kind is ast.Cast:
            self.cast_type(node, guarded)
            self.visit(node.operand, guarded)
            return
        if kind is ast.Binary and node.op == ".":
            self.visit(node.left, guarded)
            self.visit(node.right, guarded)
            self.concatenation(node, guarded)
            return
        if kind is ast.Entry:
            self.visit(node.operand, guarded)
            return
        for child in ast.child_list(node) or ():
            self.visit(child, guarded)

    # -- $variables

    def target_type(self, var: ast.TargetVariable, guarded: bool) -> int | None:
        """The BTF type id of `$name` in this handler (None: not known), reporting a name
        that no derived probe has."""
        contexts = self.contexts
        name = var.name
        if not contexts or name.startswith("$$") or self.btf is None:
            return None
        if name == "$return":
            if not all(c.is_return for c in contexts):
                return None  # reported by probe_points.py
            void = [c.name for c in contexts if c.returns_void]
            if void and not guarded:
                self.report(codes.RETURN_OF_VOID_FUNCTION,
                            f"$return: {_names(void)} return{'s' if len(void) == 1 else ''} nothing (void)",
                            var.span, hints=("a .return probe of a void function has no return value to read",))
                return None
            type_id = _same(c.return_type_id for c in contexts)
            if type_id is not None:
                self.unit.c_types[id(var)] = self.kernel.render(type_id)
            return type_id
        bare = name[1:]
        missing = [c for c in contexts if bare not in c.params]
        if missing:
            if all(c.kind == "function" for c in missing) and self.kernel.has_variable(bare):
                return None  # a global variable of the kernel, which stap reads in a function probe
            if not guarded:
                self.unknown_variable(var, missing)
            return None
        type_id = _same(c.params[bare].type_id for c in contexts)
        if type_id is not None:
            self.unit.c_types[id(var)] = self.kernel.render(type_id)
            self.type_ids[id(var)] = type_id
        return type_id

    def unknown_variable(self, var: ast.TargetVariable, missing: list[KernelContext]) -> None:
        first = missing[0]
        params = list(first.params)
        similar = difflib.get_close_matches(var.name[1:], params, n=1, cutoff=0.6)
        have = ", ".join("$" + p for p in params) if params else "no parameters"
        what = "tracepoint" if first.kind == "tracepoint" else "function"
        others = f" (nor of {len(missing) - 1} more)" if len(missing) > 1 else ""
        message = (f"{var.name} is not a parameter of {what} {first.name}{others}: it has {have}"
                   + (f" (did you mean '${similar[0]}'?)" if similar else ""))
        if first.kind == "function":
            self.report(codes.UNKNOWN_TARGET_VARIABLE, message, var.span, severity=Severity.WARNING,
                        hints=("stap also reads the function's local variables and the kernel's global ones, "
                               "which BTF does not describe: if it is one, this is right (and needs debuginfo)",
                               "test it with @defined(" + var.name + ") where kernels differ"))
        else:
            self.report(codes.UNKNOWN_TARGET_VARIABLE, message, var.span,
                        hints=("a tracepoint's variables are the parameters of its TP_PROTO",))

    # -- members and elements

    def access(self, node: ast.Access, guarded: bool) -> None:
        base = node.base
        for step in node.steps:
            if isinstance(step, ast.Subscript):
                self.visit(step.index, guarded)
        if isinstance(base, ast.TargetVariable):
            if base.name.startswith("$$"):
                return
            type_id = self.target_type(base, guarded)
            what = base.name
        elif isinstance(base, ast.Cast):
            self.visit(base.operand, guarded)
            type_id = self.cast_type(base, guarded)
            what = f'@cast(..., "{base.type_name.value}")'
        else:
            self.visit(base, guarded)
            return
        if type_id is None:
            return
        steps = node.steps
        if isinstance(base, ast.Cast) and steps and isinstance(steps[0], ast.Subscript):
            steps = steps[1:]  # `@cast(p, "T")[i]`: p read as an array of T (PR11556)
        final = self.steps(steps, type_id, what, guarded)
        if final is not None:
            self.unit.c_types[id(node)] = self.kernel.render(final)
            self.type_ids[id(node)] = final

    def steps(self, steps, type_id: int, what: str, guarded: bool) -> int | None:
        from ..kernel import c_types

        btf = self.btf
        current = type_id
        for step in steps:
            if isinstance(step, ast.Member):
                aggregate = c_types.aggregate(btf, current)
                if aggregate is None:
                    if c_types.is_incomplete(btf, current) or guarded:
                        return None
                    self.report(codes.MEMBER_OF_NON_STRUCT,
                                f"'->{step.name}' on {what} ({self.kernel.render(current)}): it has no members",
                                step.span, hints=("'->' reads a member of a struct or union, or of one a pointer "
                                                  "points to",))
                    return None
                member = c_types.member(btf, aggregate, step.name)
                if member is None:
                    if not guarded:
                        names = [n for n, _ in c_types.members(btf, aggregate)]
                        similar = difflib.get_close_matches(step.name, names, n=1, cutoff=0.6)
                        owner = self.kernel.render(aggregate)
                        detail = f" (did you mean '{similar[0]}'?)" if similar else ""
                        if owner.endswith("{...}"):
                            # an unnamed struct (futex_key's `shared`): name it by where it is, and
                            # list its few members since there is no type name to look up
                            owner = f"the unnamed {owner.split()[0]} of {what}"
                            if not similar and len(names) <= 8:
                                detail = " (it has " + ", ".join(f"'{n}'" for n in names) + ")"
                        self.report(codes.UNKNOWN_MEMBER,
                                    f"{owner} has no member '{step.name}'" + detail, step.span,
                                    hints=(f"{what} is of type {self.kernel.render(current)}; members change between "
                                           "kernels: test with @defined where they differ",))
                    return None
                self.unit.c_types[id(step)] = self.kernel.render(member)
                self.unit.member_owners[id(step)] = self.kernel.render(aggregate)
                current = member
                what = f"member '{step.name}'"
            else:
                element = c_types.element(btf, current)
                if element is None:
                    if not guarded:
                        self.report(codes.MEMBER_OF_NON_STRUCT,
                                    f"'[...]' on {what} ({self.kernel.render(current)}): it is neither an array "
                                    "nor a pointer", step.span)
                    return None
                current = element
                what = "an element"
        return current

    # -- @cast

    def cast_type(self, node: ast.Cast, guarded: bool) -> int | None:
        module = node.module.value if node.module is not None else None
        if module is None and not self.kernel_casts:
            return None  # the probed program's or module's types
        if module is not None and not module.startswith("kernel"):
            return None  # a program's, a module's or a header's types
        if node.type_name.has_arguments:
            return None
        text = node.type_name.value.strip()
        stars = len(text) - len(text.rstrip("* "))
        bare = text.rstrip("* ").strip()
        type_id = self.kernel.type_named(bare)
        if type_id is None:
            if not guarded and bare:
                self.report(codes.UNKNOWN_CAST_TYPE,
                            f"@cast to '{text}': the kernel's BTF has no such type"
                            + _did_you_mean(self.kernel.similar_types(bare)), node.type_name.span,
                            hints=("BTF holds the types the kernel's code uses; one only a header declares "
                                   "is not in it (stap may still find it in the kernel's headers)",))
            return None
        if stars:
            return None  # a pointer to a pointer: the member walk would be guesswork
        return type_id

    # -- `$p . member`

    def concatenation(self, node: ast.Binary, guarded: bool) -> None:
        from ..kernel import c_types

        left, right = node.left, node.right
        if guarded or not isinstance(right, ast.Variable) or self.unit.is_global(right.name):
            return
        type_id = self.type_ids.get(id(left))
        if type_id is None:
            return  # not a $variable or member chain whose type the walk found
        aggregate = c_types.aggregate(self.btf, type_id)
        if aggregate is None or c_types.member(self.btf, aggregate, right.name) is None:
            return
        self.report(codes.DOT_INSTEAD_OF_ARROW,
                    f"'.' joins strings: {self.kernel.render(aggregate)} has a member '{right.name}', "
                    f"read it with '->{right.name}'", right.span,
                    hints=("stap reads this as the string concatenation of a number and an unset local "
                           f"variable '{right.name}'",))


def _same(values) -> int | None:
    """The one value all give (None if they differ or there are none)."""
    found = None
    for value in values:
        if value is None or (found is not None and value != found):
            return None
        found = value
    return found


def _names(names: list[str]) -> str:
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
