"""textDocument/hover: what stapkit knows of the name under the cursor."""

from __future__ import annotations

from lsprotocol import types

from ..semantic import bindings as sym
from ..syntax import ast
from . import describe, lookup
from .analysis import Analysis


def hover(analysis: Analysis, offset: int, markdown: bool = True) -> types.Hover | None:
    found = lookup.find(analysis, offset)
    if found is None:
        return None
    text = hover_text(analysis, found)
    if not text:
        return None
    kind = types.MarkupKind.Markdown if markdown else types.MarkupKind.PlainText
    return types.Hover(contents=types.MarkupContent(kind=kind, value=text),
                       range=analysis.positions.range(found.span))


def hover_text(analysis: Analysis, found: lookup.Found) -> str | None:
    kind = found.kind
    if kind == lookup.FUNCTION:
        return function_text(analysis, found.name, found.symbol)
    if kind == lookup.PRINT:
        return print_text(found.name)
    if kind == lookup.VARIABLE:
        return variable_text(analysis, found)
    if kind in (lookup.PROBE_POINT, lookup.ALIAS_NAME):
        return probe_point_text(analysis, found)
    if kind == lookup.CONTEXT:
        return context_text(analysis, found)
    if kind == lookup.MEMBER:
        return member_text(analysis, found)
    if kind == lookup.MACRO:
        return macro_text(analysis, found.name)
    if kind == lookup.OPERATOR:
        signature, meaning = describe.AT_OPERATORS.get(found.name, (found.name, ""))
        return f"{describe.code_block(signature)}\n\n{meaning}"
    if kind == lookup.KEYWORD:
        meaning = describe.KEYWORDS.get(found.name)
        return f"`{found.name}`: {meaning}" if meaning else None
    return None


def function_text(analysis: Analysis, name: str, symbol) -> str | None:
    decls = list(symbol.decls) if symbol is not None else []
    if decls:
        return describe.script_function(decls, analysis.types(), analysis.positions)
    db = analysis.db
    view = analysis.view()
    functions = [f for f in db.functions(name) if view.public(f) and view.exists(f)]
    if functions:
        from ..tapsets.releases import release_span  # which releases have it ("since 3.0")

        span = release_span(db, "function", name)
        return describe.library_functions(db, name, functions) + (f"\n\n{span}" if span else "")
    others = [f for f in db.functions(name) if not f.private]
    if others:
        return describe.library_functions(db, name, others) + "\n\nnot available for this target"
    return None


_PRINTS = {
    "print": ("print(value)", "prints a value"),
    "println": ("println(value, ...)", "prints the values and a newline"),
    "printf": ("printf(format:string, value, ...)", "prints the values as the format says"),
    "printd": ("printd(delimiter:string, value, ...)", "prints the values with the delimiter between them"),
    "printdln": ("printdln(delimiter:string, value, ...)",
                 "prints the values with the delimiter between them, and a newline"),
    "print_char": ("print_char(character:long)", "prints one character"),
}


def print_text(name: str) -> str | None:
    base = name[1:] if name.startswith("s") and name[1:] in _PRINTS else name
    signature, meaning = _PRINTS.get(base, (f"{name}(...)", "prints"))
    if base != name:  # sprintf, sprintln, ...: the same, returned as a string
        signature = "s" + signature + ":string"
        meaning = meaning.replace("prints", "returns as a string", 1)
    return f"{describe.code_block(signature)}\n\n{meaning}"


def variable_text(analysis: Analysis, found: lookup.Found) -> str | None:
    symbol = found.symbol
    if symbol is None:
        return None
    types_ = analysis.types()
    name = found.name
    if symbol.kind == sym.GLOBAL:
        var_type = types_.globals.get(name) if types_ else None
        line = analysis.positions.position(symbol.declared.start).line + 1 if symbol.declared else None
        head = describe.code_block(f"global {name}")
        facts = [f"type: **{describe.type_text(var_type)}**"] if var_type else []
        if line:
            facts.append(f"declared at line {line}")
        facts.append(_use_counts(symbol))
        return head + "\n\n" + " · ".join(facts)
    if symbol.kind == sym.LIBRARY:
        found_globals = analysis.db.globals(name)
        var_type = types_.globals.get(name) if types_ else None
        text = describe.library_global(analysis.db, found_globals[0]) if found_globals else \
            describe.code_block(f"global {name}")
        if var_type is not None and var_type.type != "unknown":
            text += f"\n\ntype here: **{describe.type_text(var_type)}**"
        return text
    owner = symbol.body.node if symbol.body is not None else None
    var_type = None
    if types_ is not None and owner is not None:
        var_type = types_.locals.get(id(owner), {}).get(name)
    where = symbol.body.describe() if symbol.body is not None else ""
    if symbol.kind == sym.ALIAS:
        return alias_variable_text(analysis, found, owner, var_type)
    what = "parameter" if symbol.kind == sym.PARAM else "local"
    type_part = f": {describe.type_text(var_type)}" if var_type is not None and var_type.type != "unknown" else ""
    return f"{describe.code_block(f'{name}{type_part}')}\n\n{what} of {where} · {_use_counts(symbol)}"


def _use_counts(symbol) -> str:
    reads = len(symbol.reads)
    writes = len(symbol.writes)
    return f"read {reads} time{'s' if reads != 1 else ''}, written {writes} time{'s' if writes != 1 else ''}"


def alias_variable_text(analysis: Analysis, found: lookup.Found, probe, var_type) -> str:
    from ..tapsets.queries import visible_variables

    name = found.name
    unit = analysis.unit()
    info = unit.probes.get(id(probe)) if unit is not None and probe is not None else None
    value = info.alias_variables.get(name) if info is not None else None
    if value in (None, "unknown") and var_type is not None:
        value = var_type.type
    lines = [describe.code_block(f"{name}: {value or 'unknown'}")]
    setters = []
    documented = []
    if isinstance(probe, ast.ProbeDecl):
        view = analysis.view()
        db = analysis.db
        for point in probe.points:
            for expanded in point.expand():
                plain = _plain(expanded)
                seen = visible_variables(lambda n: [a for a in db.aliases(n) if view.exists(a)], plain, view.holds)
                if name in seen:
                    setters.append(f"`{seen[name][1].name}` ({seen[name][1].where})")
                for alias in _script_aliases(analysis, plain):
                    setters.append(f"`{_plain(alias.names[0].point)}` (line "
                                   f"{analysis.positions.position(alias.span.start).line + 1})")
                facts = db.manual("probe", plain)
                if facts is not None:
                    documented += [text for item, text in facts.item_docs if item == name]
    text = "\n\n".join(lines)
    text += "\n\ncontext variable: set by the probe's alias" + (f" {', '.join(dict.fromkeys(setters))}"
                                                               if setters else "")
    for description in dict.fromkeys(documented):
        text += f"\n\n{description}"
    return text


def _plain(point: ast.ProbePoint) -> str:
    return ".".join(c.name for c in point.components if isinstance(c, ast.Component))


def _script_aliases(analysis: Analysis, name: str) -> list[ast.AliasDecl]:
    script = analysis.script
    if script is None:
        return []
    return [item for item in script.items if isinstance(item, ast.AliasDecl)
            and any(_plain(n.point) == name for n in item.names)]


def probe_point_text(analysis: Analysis, found: lookup.Found) -> str | None:
    from ..tapsets.probe_families import find_families

    db = analysis.db
    view = analysis.view()
    parts = []
    for point in (found.node.expand() if isinstance(found.node, ast.ProbePoint) else [])[:3]:
        plain = _plain(point)
        names = plain.split(".")
        try:
            families = find_families([(c.name, _argument_kind(c.arg)) for c in point.components
                                      if isinstance(c, ast.Component)],
                                     release=getattr(db, "systemtap_version", None))
        except ValueError:
            families = ()
        if families and "*" not in plain:
            parts.append(describe.probe_families(families, point.dotted()))
            kernel_text = _kernel_point_text(analysis, point)
            if kernel_text:
                parts.append(kernel_text)
            from .userspace import point_text as user_point_text

            user_text = user_point_text(analysis, point)  # a process(...) point: from the program's file
            if user_text:
                parts.append(user_text)
            continue
        if "*" in plain:
            parts.append(_wildcard_text(analysis, plain))
            continue
        # The alias the point names, and the suffix after it (`.return`, `.maxactive(N)`): the longest
        # run of its leading components that is an alias.
        for length in range(len(names), 0, -1):
            name = ".".join(names[:length])
            local = _script_aliases(analysis, name)
            if local or db.aliases(name):
                text = script_alias_text(analysis, local) if local else describe.probe_point(db, view, name)
                if length < len(names):
                    text += f"\n\nwith the suffix `.{'.'.join(names[length:])}`, passed on to the points it expands to"
                parts.append(text)
                break
        else:
            parts.append(describe.probe_point(db, view, plain))
    item = found.item
    unit = analysis.unit()
    if isinstance(item, ast.ProbeDecl) and unit is not None and found.kind == lookup.PROBE_POINT:
        info = unit.probes.get(id(item))
        if info is not None and info.alias_variables:
            shown = ", ".join(f"`{n}:{t}`" for n, t in sorted(info.alias_variables.items()) if not n.startswith("_"))
            if shown:
                parts.append(f"the handler sees: {shown}")
    return "\n\n".join(parts) or None


def _kernel_point_text(analysis: Analysis, point: ast.ProbePoint) -> str | None:
    """With a kernel description: the signature of the kernel function or tracepoint probed."""
    from .kernel_info import point_text

    unit = analysis.unit()
    if unit is None or unit.kernel is None:
        return None
    comps = [c for c in point.components if isinstance(c, ast.Component)]
    names = [c.name for c in comps]
    for family, at in (("kernel.function", ("kernel", "function")), ("kprobe.function", ("kprobe", "function")),
                       ("kernel.trace", ("kernel", "trace"))):
        if tuple(names[:2]) == at and isinstance(comps[1].arg, ast.StringLit) and not comps[1].arg.has_arguments:
            target = comps[1].arg.value
            target = target.split(":", 1)[-1] if family == "kernel.trace" else target.split("@", 1)[0]
            return point_text(unit.kernel, family, target)
    return None


def _argument_kind(arg) -> str | None:
    if arg is None:
        return None
    if isinstance(arg, ast.NumberLit):
        return "number"
    if isinstance(arg, ast.StringLit):
        return "string"
    if isinstance(arg, ast.ScriptArgument):
        return "number" if arg.text.startswith("$") else "string"
    return None


def _wildcard_text(analysis: Analysis, pattern: str) -> str:
    from ..tapsets.probe_patterns import match_names

    names = [n for n in match_names(pattern, analysis.db.names("alias"))
             if any(analysis.view().exists(a) for a in analysis.db.aliases(n))]
    shown = ", ".join(f"`{n}`" for n in names[:12]) + (", ..." if len(names) > 12 else "")
    return f"{describe.code_block(pattern)}\n\nmatches {len(names)} probe alias{'es' if len(names) != 1 else ''}" + (
        f": {shown}" if names else "")


def script_alias_text(analysis: Analysis, aliases: list[ast.AliasDecl]) -> str:
    blocks = []
    for alias in aliases:
        names = ", ".join(_plain(n.point) + f" {n.op}" for n in alias.names)
        points = ", ".join(p.dotted() for p in alias.points)
        line = analysis.positions.position(alias.span.start).line + 1
        assigned = sorted({n.target.name for n in ast.walk(alias.body)
                           if type(n) is ast.Assignment and type(n.target) is ast.Variable})
        blocks.append(describe.code_block(f"probe {names} {points}") +
                      f"\n\nprobe alias defined in this file at line {line}" +
                      (f" · sets {', '.join(f'`{a}`' for a in assigned)}" if assigned else ""))
    return "\n\n".join(blocks)


def member_text(analysis: Analysis, found: lookup.Found) -> str | None:
    """A member in `$sk->__sk_common->skc_family`: its C type and its struct (with a kernel)."""
    unit = analysis.unit()
    if unit is None or id(found.node) not in unit.c_types:
        return None
    owner = unit.member_owners.get(id(found.node))
    return (describe.code_block(f"{unit.c_types[id(found.node)]} {found.name}", "c")
            + (f"\n\nmember of `{owner}`" if owner else "") + _kernel_source(unit.kernel))


def _kernel_source(kernel) -> str:
    return f" · from {kernel.source}" + (f" (kernel {kernel.release})" if kernel.release else "")


def _kernel_context_text(analysis: Analysis, found: lookup.Found) -> str | None:
    """`$sk: struct sock*`, a parameter of tcp_sendmsg, when a kernel description typed it."""
    unit = analysis.unit()
    if unit is None or id(found.node) not in unit.c_types:
        return None
    c_type = unit.c_types[id(found.node)]
    contexts = unit.kernel_contexts.get(id(found.item)) or []
    names = ", ".join(f"`{c.name}`" for c in contexts[:3]) + (", ..." if len(contexts) > 3 else "")
    kinds = {c.kind for c in contexts}
    what = ("the return value of " if found.name == "$return"
            else "parameter of " + ("tracepoint " if kinds == {"tracepoint"} else ""))
    return (describe.code_block(f"{found.name}: {c_type}", "c") + f"\n\n{what}{names}"
            + _kernel_source(unit.kernel))


def context_text(analysis: Analysis, found: lookup.Found) -> str:
    name = found.name
    typed = _kernel_context_text(analysis, found)
    if typed is not None:
        return typed
    from .userspace import argument_text

    typed = argument_text(analysis, found)  # $argN of a process(...).mark probe: from its SDT note
    if typed is not None:
        return typed
    known = describe.CONTEXT_VARIABLES.get(name)
    if known:
        value = "long" if name == "$return" else "string"
        return f"{describe.code_block(f'{name}: {value}')}\n\n{known}"
    return (f"{describe.code_block(f'{name}: long')}\n\ncontext variable of the probed code, read from its "
            f"debuginfo when the script is compiled: a number (or a pointer), unless printed with "
            f"`{name}$` (a string)")


def macro_text(analysis: Analysis, name: str) -> str | None:
    macro = analysis.parse.macros.get(name)
    if macro is not None and not macro.library:
        return describe.script_macro(macro, analysis.positions)
    found = analysis.db.macros(name)
    if found:
        return describe.library_macro(found[0])
    return None
