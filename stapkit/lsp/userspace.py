"""Hover and completion for process(...) points, from the program's ELF file (stapkit.userspace):
hover on a `.mark("...")` shows the marker's provider and arguments, on a `.function("...")`
which symbol tables name it; completion inside `.mark("`, `.function("` and `.plt("` offers the
program's names.  Nothing here when the program is not on this machine (or under the sysroot)."""

from __future__ import annotations

from lsprotocol import types

from ..syntax import ast

NAMES_SHOWN = 500  # completion items offered at once (the list is marked incomplete beyond)
_COMPLETED = {"mark", "function", "plt"}


def _place(analysis_or_options):
    from ..userspace.points import Place

    check = analysis_or_options.options.lint.check
    return Place(check.sysroot, check.session.elf)


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
    shown = 0
    for name, detail in names:
        if prefix and not name.startswith(prefix):
            continue
        if shown == NAMES_SHOWN:
            completer.incomplete = True
            break
        completer.add(name, types.CompletionItemKind.Function, "local", detail=detail, check=False)
        shown += 1
