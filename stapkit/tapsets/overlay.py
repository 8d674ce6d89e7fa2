"""A database with the items of extra tapset directories on top (`stap -I DIR`).

A script run with `-I DIR` sees the tapsets of DIR next to the installed
library. Those are read from their sources when a check needs them (once
per directory and process) and answer before the database's own items.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from .model import LibraryItems

_READ: dict[tuple[str, float], LibraryItems] = {}


def library_of(root: Path, read_library: Callable[[Path], LibraryItems]) -> LibraryItems:
    """The items of a tapset directory, read once per process (and again if it changes).

    `read_library` is semantic.library's (typing the sources is not this package's work).
    """
    real = os.path.realpath(root)
    try:
        stamp = max((os.stat(os.path.join(d, f)).st_mtime for d, _, fs in os.walk(real) for f in fs),
                    default=0.0)
    except OSError:
        stamp = 0.0
    key = (real, stamp)
    if key not in _READ:
        _READ[key] = read_library(Path(real))
    return _READ[key]


class OverlayDB:
    """The TapsetDB interface over a database and the items of extra directories."""

    def __init__(self, base, extra: list[LibraryItems]):
        self.base = base
        self.path = base.path
        self.header = base.header
        self._items: dict[str, dict[str, list]] = {"alias": {}, "function": {}, "global": {}, "macro": {}}
        for library in extra:
            for kind, items in (("alias", library.aliases), ("function", library.functions),
                                ("global", library.globals), ("macro", library.macros)):
                for item in items:
                    self._items[kind].setdefault(item.name, []).append(item)

    def _both(self, kind: str, name: str, base_items: list) -> list:
        return self._items[kind].get(name, []) + base_items

    def aliases(self, name: str):
        return self._both("alias", name, self.base.aliases(name))

    def functions(self, name: str):
        return self._both("function", name, self.base.functions(name))

    def globals(self, name: str):
        return self._both("global", name, self.base.globals(name))

    def macros(self, name: str):
        return self._both("macro", name, self.base.macros(name))

    def manual(self, kind: str, name: str):
        return self.base.manual(kind, name)

    def names(self, kind: str) -> list[str]:
        extra = self._items.get(kind, {})
        return sorted(set(self.base.names(kind)) | set(extra))

    def all(self, kind: str) -> list:
        return [item for name in self.names(kind) for item in
                (self.aliases(name) if kind == "alias" else self.functions(name) if kind == "function"
                 else self.globals(name) if kind == "global" else self.macros(name))]

    @property
    def systemtap_version(self) -> str:
        return self.base.systemtap_version
