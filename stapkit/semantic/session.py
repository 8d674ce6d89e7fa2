"""What is worth keeping from one checked file to the next: the tapset database of each path,
the probe-point resolver of each database and target, the extra tapset directories read
(`-I DIR`) and the kernel descriptions read (`--kernel-btf`).

A program that checks many files (the command line, the language server) makes one
`Session` and passes it in `CheckOptions.session`; a CheckOptions made without one
has its own (and the ones made from it by attrs.evolve share it).  Threads may share a
session: what it makes is made under a lock, once (the language server's check and
reader threads ask the same one).  Pickled (to a worker process), it goes empty: the
worker fills its own.
"""

from __future__ import annotations

import threading
from pathlib import Path


class Session:
    def __init__(self):
        self._dbs: dict[str | None, object] = {}
        self._resolvers: dict[tuple, object] = {}
        self._extra: dict[tuple, object] = {}
        self._kernels: dict[tuple, object] = {}
        self._lock = threading.RLock()

    def db(self, path: Path | None):
        """The tapset database at `path` (None: the default one), loaded once."""
        from ..tapsets.db import TapsetDB

        key = str(path) if path is not None else None
        with self._lock:
            found = self._dbs.get(key)
            if found is None:
                found = self._dbs[key] = TapsetDB.load(path)
            return found

    def resolver(self, db, target):
        """probe_points' resolver for `db` and `target` (its match tree and alias expansions)."""
        from .probe_points import _Resolver

        key = (id(db), target)
        with self._lock:
            found = self._resolvers.get(key)
            if found is None or found.db is not db:
                if len(self._resolvers) > 8:  # targets come and go in an editor: keep a few
                    self._resolvers.clear()
                found = self._resolvers[key] = _Resolver(db, target)
            return found

    def extra_library(self, root: Path, macro_roots: tuple[Path, ...], target):
        """The items of the extra tapset directory `root` for `target` (tapsets.overlay.ExtraLibrary),
        read once, and again when one of its files changes."""
        import os

        from ..tapsets.overlay import read_extra_library
        from .library import read_library

        real = os.path.realpath(root)
        try:
            stamp = max((os.stat(os.path.join(d, f)).st_mtime_ns for d, _, fs in os.walk(real) for f in fs),
                        default=0)
        except OSError:
            stamp = 0
        key = (real, stamp, tuple(str(r) for r in macro_roots), target)
        with self._lock:
            found = self._extra.get(key)
            if found is None:
                if len(self._extra) >= 8:  # an editor sees a directory change often: keep a few
                    self._extra.clear()
                found = self._extra[key] = read_extra_library(Path(real), read_library, macro_roots, target)
            return found

    def kernel(self, source):
        """The kernel description of `source` (a kernel.loading.KernelSource; None when it names no
        file), read once, and again when one of its files changes.  Raises KernelLoadError."""
        from ..kernel.loading import load_kernel

        if not source:
            return None
        key = (source, repr(source.identity()))
        with self._lock:
            found = self._kernels.get(key)
            if found is None:
                if len(self._kernels) >= 4:  # an editor's settings change: keep a few
                    self._kernels.clear()
                found = self._kernels[key] = load_kernel(source)
            return found

    def __getstate__(self):
        return {}

    def __setstate__(self, state):
        self.__init__()
