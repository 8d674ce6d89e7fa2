"""What the tapset library offers a script for one target, indexed for completion.

Building the index decodes every alias of the database (about half a second
for SystemTap 4.8's 6,900), so the server builds it on its reader thread
right after start-up, before anyone asks; completion waits for it only if it
is asked first.
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict

import attrs

from ..tapsets.model import Function, Global, Macro, ProbeAlias


class PointNode:
    """One component of the probe alias names: `socket` under the root, `send` under it."""

    __slots__ = ("children", "aliases")

    def __init__(self):
        self.children: dict[str, PointNode] = {}
        self.aliases: list[ProbeAlias] = []  # definitions whose name ends here

    def child(self, name: str) -> "PointNode":
        node = self.children.get(name)
        if node is None:
            node = self.children[name] = PointNode()
        return node


@attrs.frozen
class LibraryIndex:
    aliases: PointNode  # the names of the aliases that exist for the target
    functions: dict[str, list[Function]]  # public, existing for the target
    globals: dict[str, Global]
    macros: dict[str, list[Macro]]
    # The arguments the library's own alias expansions give a component, by the component
    # names up to it: ("kernel", "function") -> ["vfs_read", ...] (kernel functions it probes).
    point_arguments: dict[tuple[str, ...], list[str]]
    # Each public function's (detail, snippet, parameters, return type), for completion.
    function_parts: dict[str, tuple[str, str, str, str | None]]

    def point_children(self, names: list[str]) -> dict[str, PointNode]:
        """The alias components that may follow `names` (which may hold wildcards)."""
        level = [self.aliases]
        for name in names:
            following = []
            for node in level:
                if "*" in name:
                    following += [sub for key, sub in node.children.items() if fnmatch.fnmatchcase(key, name)]
                elif name in node.children:
                    following.append(node.children[name])
            level = following
            if not level:
                return {}
        merged: dict[str, PointNode] = {}
        for node in level:
            for key, sub in node.children.items():
                merged.setdefault(key, sub)
        return merged


def library_index(db, view) -> LibraryIndex:
    """The index for a database and a target (the server keeps it while they stay its settings)."""
    return _build(db, view)


def _build(db, view) -> LibraryIndex:
    root = PointNode()
    arguments: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for alias in db.all("alias"):
        for point in alias.points:
            _record_arguments(point.text, arguments)
        if not view.exists(alias):
            continue
        node = root
        for part in alias.name.split("."):
            node = node.child(part)
        node.aliases.append(alias)
    functions: dict[str, list[Function]] = {}
    for name in db.names("function"):
        found = [f for f in db.functions(name) if view.public(f) and view.exists(f)]
        if found:
            functions[name] = found
    globals_ = {}
    for name in db.names("global"):
        for g in db.globals(name):
            if not g.private and view.exists(g):
                globals_[name] = g
                break
    macros = {}
    for name in db.names("macro"):
        found = [m for m in db.macros(name) if view.reads(m.where.file) and view.holds(m.conditions)]
        if found:
            macros[name] = found
    return LibraryIndex(root, functions, globals_, macros,
                        {key: sorted(values) for key, values in arguments.items()}, _function_parts(functions))


def _function_parts(functions: dict[str, list[Function]]) -> dict[str, tuple[str, str, str, str | None]]:
    """Each public function's (detail, snippet, parameters, return type) for its completion item."""
    from . import describe

    parts = {}
    for name, overloads in functions.items():
        if name.startswith("_"):
            continue
        first = overloads[0]
        snippet = f"{name}({', '.join(f'${{{k + 1}:{p.name}}}' for k, p in enumerate(first.params))})"
        parts[name] = (" | ".join(describe.signature_label(f) for f in overloads[:3]), snippet,
                       f"({', '.join(p.name for p in first.params)})",
                       first.return_type if first.return_type != "unknown" else None)
    return parts


def _record_arguments(text: str, arguments: dict[tuple[str, ...], set[str]]) -> None:
    """Note the string arguments of a point as written in an alias: `kernel.function("x").return`."""
    names: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        j = i
        while j < n and text[j] not in '.("':
            j += 1
        names.append(text[i:j])
        if j < n and text[j] == "(":
            k = j + 1
            if k < n and text[k] == '"':
                end = text.find('"', k + 1)
                if end < 0:
                    return
                value = text[k + 1:end]
                if value and "$" not in value:
                    arguments[tuple(names)].add(value)
                j = end + 1
            close = text.find(")", j)
            if close < 0:
                return
            j = close + 1
        if j < n and text[j] == ".":
            j += 1
        elif j < n:
            return  # something this reader does not follow
        i = j
