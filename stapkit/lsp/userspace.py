"""Hover and completion for process(...) points, from the program's ELF file (stapkit.userspace):
hover on a `.mark("...")` shows the marker's provider and arguments, on a `.function("...")`
which symbol tables name it; completion inside `.mark("`, `.function("` and `.plt("` offers the
program's names.  Nothing here when the program is not on this machine (or under the sysroot)."""

from __future__ import annotations

from ..syntax import ast

NAMES_SHOWN = 500  # completion items offered at once (the list is marked incomplete beyond)
_COMPLETED = {"mark", "function", "plt"}


def _place(analysis_or_options):
    from ..userspace.points import Place

    check = analysis_or_options.options.lint.check
    return Place(check.sysroot, check.session.elf, dwarf_reader=check.session.dwarf)


def point_text(analysis, point: ast.ProbePoint) -> str | None:
    """Markdown for a hover on a process(...) point, or None."""
    from ..userspace.show import QueryError, describe

    comps = [c for c in point.components if isinstance(c, ast.Component)]
    if len(comps) < 2 or comps[0].name != "process" or not isinstance(comps[0].arg, ast.StringLit):
        return None
    if not any(c.name in _COMPLETED for c in comps):
        return None
    try:
        found = describe(point.dotted(), _place(analysis))
    except QueryError:
        return None
    return f"```\n{found.text.rstrip()}\n```"


def complete(completer, components, component: str) -> None:
    """Inside `process("P")[.library("L")][.provider("V")].mark("`, `.function("`, `.plt("`: the names."""
    from ..userspace.show import QueryError, point_names

    analysis = completer.analysis
    if analysis is None or component not in _COMPLETED or not components or components[0][0] != "process":
        return
    query = ".".join(name + (f"({arg})" if arg is not None else "") for name, arg in components)
    query += f'.{component}("*")'
    try:
        names = point_names(query, _place(analysis))
    except QueryError:
        return
    prefix = completer.ctx.prefix
    completer.add_names(((name, detail) for name, detail in names if name.startswith(prefix)), NAMES_SHOWN)


def argument_text(analysis, found) -> str | None:
    """Markdown for a hover on `$argN` in the handler of a .mark probe whose program is here:
    the argument's C type by its size and sign, per marker."""
    import re

    from ..userspace.show import QueryError, describe

    match = re.fullmatch(r"\$arg([0-9]+)", found.name)
    item = found.item
    if match is None or not isinstance(item, ast.ProbeDecl):
        return None
    n = int(match.group(1))
    lines = []
    for written in item.points[:8]:
        for point in list(written.expand())[:8]:
            comps = [c for c in point.components if isinstance(c, ast.Component)]
            if not comps or comps[0].name != "process" or comps[-1].name != "mark":
                continue
            try:
                data = describe(point.dotted(), _place(analysis)).data
            except QueryError:
                continue
            for marker in data.get("markers", [])[:8]:
                where = f"`{marker['provider']}:{marker['name']}`"
                args = marker["arguments"]
                if n <= len(args):
                    a = args[n - 1]
                    sign = "signed" if a["signed"] else "unsigned"
                    lines.append(f"argument {n} of marker {where}: `{a['type']}` ({a['size']} bytes, {sign}, "
                                 f"at `{a['location']}`)")
                else:
                    lines.append(f"marker {where} has {len(args)} arguments: no `$arg{n}`")
    if not lines:
        return None
    return f"```\n{found.name}: long\n```\n\n" + "\n\n".join(lines)
