"""`stapkit db list` and `db show` for user-space points, as `stap -l`/`stap -L` answer them,
offline: from the program's ELF file.

    db list 'process("/usr/bin/python3.11").mark("*")'       its markers, with their arguments
    db list 'process("/bin/sh").function("str*")'            functions its symbol tables name
    db list 'process("/bin/sh").plt("*")'                    its PLT entries
    db show 'process("/lib/x86_64-linux-gnu/libc.so.6").function("malloc")'
    db show 'process("/usr/bin/python3.11").mark("function__entry")'

A `.library("...")` and a `.provider("...")` component work as in a script.
"""

from __future__ import annotations

import fnmatch
import os

import attrs

from .elf import ElfFile
from .points import Place, UserPoint, program_file
from .resolve import find_library

MAX_LISTED = 100_000


class QueryError(ValueError):
    """A query that names no program point, or whose program cannot be read; the message says why."""


@attrs.frozen
class Description:
    text: str
    data: dict
    known: bool


def is_process_query(text: str) -> bool:
    """A point of a program named by path or name (`process("...")...`); `process.create`, an
    alias, and `process.function`, a family, are the database's to answer."""
    import re

    return re.match(r'\s*process\s*\(\s*"', text) is not None


def _parse(query: str) -> UserPoint:
    from ..syntax import ast
    from ..syntax.parser import parse_text

    result = parse_text(f"probe {query} {{}}\n", "<query>")
    items = result.script.items if result.script is not None else []
    if result.has_errors or not items or not isinstance(items[0], ast.ProbeDecl) or len(items[0].points) != 1:
        raise QueryError(f"'{query}' is not one probe point")
    point = next(iter(items[0].points[0].expand()))
    params = []
    for comp in point.components:
        value = comp.arg.value if isinstance(comp.arg, (ast.StringLit, ast.NumberLit)) else None
        params.append((comp.name, value))
    names = [k for k, _ in params]
    group = next((f"process.{k}" for k in ("mark", "function", "plt", "statement") if k in names), None)
    if group is None or not names or names[0] != "process":
        raise QueryError(f"'{query}' is no process(\"PATH\").mark, .function or .plt point")
    return UserPoint(group, tuple(params), (), False)


def _target(point: UserPoint, place: Place) -> tuple[str, ElfFile]:
    """(the file the point is in, its ElfFile); raises QueryError."""
    program, why = program_file(point, place)
    if program is None:
        raise QueryError(f"cannot answer: {why}")
    elf = place.reader(program)
    if elf is None or elf.problem:
        raise QueryError(elf.problem if elf is not None else f"{program} cannot be read")
    library = point.param("library")
    if point.has("library"):
        if not isinstance(library, str):
            raise QueryError("the library must be named by a string")
        found = find_library(library, place.sysroot, runpath=elf.runpath, origin=os.path.dirname(program))
        if found is None:
            raise QueryError(f"library '{library}' is not found")
        elf = place.reader(found)
        if elf is None or elf.problem:
            raise QueryError(elf.problem if elf is not None else f"{found} cannot be read")
        program = found
    return program, elf


def _prefix(point: UserPoint) -> str:
    parts = [f'process("{point.param("process")}")']
    if point.has("library"):
        parts.append(f'library("{point.param("library")}")')
    return ".".join(parts)


def list_points(query: str, place: Place) -> list[str]:
    """The points a pattern matches, one a line, `stap -L`-like (markers with their arguments)."""
    point = _parse(query)
    _, elf = _target(point, place)
    prefix = _prefix(point)
    if point.group == "process.mark":
        name = point.param("mark") if isinstance(point.param("mark"), str) else "*"
        provider = point.param("provider") if point.has("provider") else None
        return [f'{prefix}.provider("{m.provider}").mark("{m.name}")'
                + "".join(f" $arg{i}:{a.c_type}" for i, a in enumerate(m.args, 1))
                for m in elf.markers_named(name.replace("-", "__"), provider)][:MAX_LISTED]
    key = "function" if point.group == "process.function" else "plt"
    pattern = point.param(key) if isinstance(point.param(key), str) else "*"
    names = elf.functions if key == "function" else elf.plt
    return [f'{prefix}.{key}("{n}")' for n in sorted(names) if fnmatch.fnmatchcase(n, pattern)][:MAX_LISTED]


def describe(query: str, place: Place) -> Description:
    point = _parse(query)
    program, elf = _target(point, place)
    lines: list[str] = []
    data: dict = {"file": program, "build_id": elf.build_id, "stripped": elf.stripped}
    if point.group == "process.mark":
        name = point.param("mark")
        provider = point.param("provider") if point.has("provider") else None
        markers = elf.markers_named(name.replace("-", "__"), provider) if isinstance(name, str) else []
        data["markers"] = [{"provider": m.provider, "name": m.name, "semaphore": m.semaphore,
                            "arguments": [{"name": f"$arg{i}", "size": a.size, "signed": a.signed,
                                           "type": a.c_type, "location": a.location}
                                          for i, a in enumerate(m.args, 1)]} for m in markers]
        for m in markers:
            lines.append(f'{_prefix(point)}.provider("{m.provider}").mark("{m.name}")')
            lines.append(f"  file: {program}")
            lines.append(f"  semaphore: {hex(m.semaphore) if m.semaphore else 'none (always enabled)'}")
            if not m.args:
                lines.append("  arguments: none")
            for i, a in enumerate(m.args, 1):
                lines.append(f"  $arg{i}: long  ({a.c_type}, {abs(a.size) or '?'} bytes, at {a.location})")
        if not markers:
            lines.append(f"{program} has no SDT marker matching '{name}'")
        return Description("\n".join(lines) + "\n", data, bool(markers))
    key = "function" if point.group == "process.function" else "plt"
    name = point.param(key)
    tables = []
    if isinstance(name, str):
        if name in elf.symtab_functions:
            tables.append(".symtab")
        if name in elf.dynsym_functions:
            tables.append(".dynsym (exported)")
        if name in elf.debugdata_functions:
            tables.append(".gnu_debugdata")
        if key == "plt" and name in elf.plt:
            tables.append("PLT")
    dwarf = place.dwarf_reader(program) if elf.has_dwarf else None
    described = dwarf.functions.get(name) if dwarf is not None and isinstance(name, str) else None
    if described is not None:
        tables.append("DWARF" + (" (inline)" if described.inline else ""))
    data.update({"name": name, "tables": tables, "dwarf": elf.has_dwarf,
                 "parameters": list(described.params) if described is not None else None})
    lines.append(f'{_prefix(point)}.{key}("{name}")')
    lines.append(f"  file: {program}" + (f" (build id {elf.build_id})" if elf.build_id else ""))
    if tables:
        lines.append("  named in: " + ", ".join(tables))
        if described is not None:
            lines.append("  parameters: " + (" ".join(f"${p}" for p in described.params) or "none"))
        else:
            lines.append("  parameters: not known without debuginfo")
    else:
        lines.append("  not named in its symbol tables" + (" (the file is stripped)" if elf.stripped else ""))
    return Description("\n".join(lines) + "\n", data, bool(tables))


def point_names(query: str, place: Place) -> list[tuple[str, str]]:
    """(name, detail) of what the last component of `query` may name, for completion: the markers
    (with their arguments), the functions or the PLT entries.  Raises QueryError."""
    point = _parse(query)
    _, elf = _target(point, place)
    if point.group == "process.mark":
        provider = point.param("provider") if point.has("provider") else None
        return [(m.name, m.signature()) for m in elf.markers_named("*", provider)][:MAX_LISTED]
    if point.group == "process.plt":
        return [(n, "PLT entry") for n in sorted(elf.plt)][:MAX_LISTED]
    if point.group == "process.function":
        exported = elf.dynsym_functions
        return [(n, "exported function" if n in exported else "function")
                for n in sorted(elf.functions)][:MAX_LISTED]
    return []
