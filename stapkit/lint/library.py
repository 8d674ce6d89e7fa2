"""Is the checked file a library (a tapset) rather than a script?  The unused-name rules
leave a library's public names alone: they are there for the scripts that use them."""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING

from ..syntax import ast

if TYPE_CHECKING:
    from ..semantic.unit import CheckUnit


def library_file(unit: "CheckUnit") -> bool:
    """Is the file a library rather than a script?

    A tapset file (unit.tapset), and, by what it looks like, a tapset of the
    project's own that is read with `-I`: a file in a directory named `tapset`,
    a file without probes (stap refuses it as a script), or one that defines a
    probe alias none of its own probes uses (it is there for other files).
    The public globals and functions of a library are there for the scripts
    that use it; its private ones are its own.
    """
    if unit.tapset:
        return True
    if "tapset" in unit.path.replace("\\", "/").split("/")[:-1]:
        return True
    items = unit.script.items
    probes = [item for item in items if isinstance(item, ast.ProbeDecl)]
    if not probes:
        return True
    used = [_components(point) for item in items if isinstance(item, (ast.ProbeDecl, ast.AliasDecl))
            for point in item.points]
    for item in items:
        if isinstance(item, ast.AliasDecl):
            for name in item.names:
                alias = _components(name.point)
                if not any(_names_alias(point, alias) for point in used):
                    return True
    return False


def _names_alias(point: list[str], alias: list[str]) -> bool:
    """Does a probe point (its component names, wildcards and all) use the alias?
    As it is, or with a suffix (`alias.return`, `alias.maxactive(10)`)."""
    return len(point) >= len(alias) and all(fnmatch.fnmatchcase(a, p) for a, p in zip(alias, point))


def _components(point: ast.ProbePoint) -> list[str]:
    """The names of a probe point's components (their arguments left out)."""
    return [c.name for c in point.components if isinstance(c, ast.Component)]
