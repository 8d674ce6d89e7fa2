"""What is worth keeping from one checked file to the next: the tapset database of each path and
the probe-point resolver of each database and target.

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

    def __getstate__(self):
        return {}

    def __setstate__(self, state):
        self.__init__()
