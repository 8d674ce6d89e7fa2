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
import weakref
from pathlib import Path


class Session:
    def __init__(self):
        self._dbs: dict[str | None, object] = {}
        self._resolvers: dict[tuple, object] = {}
        self._subtrees: dict = {}  # the resolvers' shared match subtrees and name parts (probe_points._base_tree)
        self._extra: dict[tuple, object] = {}
        self._elves: dict[tuple, object] = {}  # (real path, size, mtime) -> userspace.elf.ElfFile
        self._dwarves: dict[tuple, object] = {}  # (real path, size, mtime) -> userspace.dwarf.DwarfInfo or None
        self._kernels: dict[tuple, object] = {}
        self._history = None  # the release history (tapsets.releases.ReleaseHistory), once loaded
        self._lock = threading.RLock()
        self._c_headers = None

    def db(self, path: Path | None, release: str | None = None):
        """The tapset database at `path` (None: the default one), loaded once.

        With a `release` (the target's SystemTap version) and no `path`: that release's view of
        the release history, unless the default database is of that release already.
        """
        from ..tapsets.db import TapsetDB

        key = str(path) if path is not None else None
        with self._lock:
            found = self._dbs.get(key)
            if found is None:
                found = self._dbs[key] = TapsetDB.load(path)
                if path is None:
                    # Through a weak reference: a bound method would make the session and its
                    # database a reference cycle, left to the rare full collections (a process
                    # that lints again and again grew by megabytes a run).
                    session = weakref.ref(self)
                    found.history_loader = lambda: None if (s := session()) is None else s._history_if_any()
            if path is not None or release is None or found.systemtap_version == release:
                return found
            return self._release_view(release, found)

    def _release_view(self, release: str, default):
        from ..tapsets.db import DatabaseError
        from ..tapsets.installed import release_in
        from ..tapsets.releases import ReleaseError

        try:
            history = self.history()
        except ReleaseError as err:
            raise DatabaseError(str(err)) from None
        known = release_in(history, release)
        if known is None:
            raise DatabaseError(f"SystemTap {release} is older than every release stapkit knows "
                                f"({history.releases[0]} to {history.releases[-1]})")
        if known == default.systemtap_version:
            return default
        return history.view(known)

    def _history_if_any(self):
        from ..tapsets.releases import ReleaseError

        try:
            return self.history()
        except ReleaseError:
            return None

    def history(self):
        """The release history (tapsets.releases), loaded once."""
        from ..tapsets.releases import ReleaseHistory

        with self._lock:
            if self._history is None:
                self._history = ReleaseHistory.load()
            return self._history

    def resolver(self, db, target):
        """probe_points' resolver for `db` and `target` (its match tree and alias expansions)."""
        from .probe_points import _Resolver

        key = (id(db), target)
        with self._lock:
            found = self._resolvers.get(key)
            if found is None or found.db is not db:
                if len(self._resolvers) > 8:  # targets come and go in an editor: keep a few
                    self._resolvers.clear()
                if len(self._subtrees) > 50_000:  # one tree: ~7,000 nodes; all 40 releases: ~7,700
                    self._subtrees.clear()
                found = self._resolvers[key] = _Resolver(db, target, self._subtrees)
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

    def elf(self, path: str):
        """The ELF file at `path` as userspace.elf reads it (None: no such file), read again when
        its size or modification time changes."""
        from ..userspace.elf import file_identity, read_elf

        key = file_identity(path)
        if key is None:
            return None
        with self._lock:
            found = self._elves.get(key)
            if found is None:
                if len(self._elves) >= 64:  # an editor's programs come and go: keep a few
                    self._elves.clear()
                found = self._elves[key] = read_elf(key[0])
            return found

    def dwarf(self, path: str):
        """The DWARF names of the ELF file at `path` (userspace.dwarf; None: none), read once per version."""
        from ..userspace.dwarf import read_dwarf_file
        from ..userspace.elf import file_identity

        key = file_identity(path)
        if key is None:
            return None
        with self._lock:
            if key not in self._dwarves:
                if len(self._dwarves) >= 16:
                    self._dwarves.clear()
                self._dwarves[key] = read_dwarf_file(key[0])
            return self._dwarves[key]

    def c_headers(self):
        """The compiler of the C header sets @casts name (kernel.c_headers), made once."""
        from ..kernel.c_headers import HeaderCompiler, default_cache_dir

        with self._lock:
            if self._c_headers is None:
                self._c_headers = HeaderCompiler(default_cache_dir())
            return self._c_headers

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
