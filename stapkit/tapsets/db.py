"""Loading a tapset database, and asking it what the library offers.

Which database: `--db PATH` (or $STAPKIT_TAPSET_DB), else the one
`stapkit db build` wrote in the user cache directory from the local
SystemTap installation, else the embedded one for SystemTap 4.8 that ships
with stapkit (`tapset_db/`).
"""

from __future__ import annotations

import os
from pathlib import Path

from . import store
from .model import Function, Global, Macro, ManualFacts, ProbeAlias

EMBEDDED_VERSION = "4.8"
DB_FILE_NAME = "tapsets-{version}.jsonl"


class DatabaseError(Exception):
    """A database that cannot be read: the message names the file."""


def embedded_path() -> Path:
    import tapset_db

    return Path(tapset_db.__file__).with_name(DB_FILE_NAME.format(version=EMBEDDED_VERSION))


def user_db_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("stapkit")) / "tapset_db"


def user_db_path() -> Path:
    return user_db_dir() / "tapsets.jsonl"


def default_path() -> Path:
    env = os.environ.get("STAPKIT_TAPSET_DB")
    if env:
        return Path(env)
    local = user_db_path()
    if local.is_file():
        return local
    return embedded_path()


class TapsetDB:
    """A database, indexed by kind and name; items are decoded when asked for."""

    def __init__(self, path: Path, header: dict, text: str, body_start: int):
        self.path = path
        self.header = header
        self._text = text
        self._body_start = body_start  # the records' offsets count from here
        self._index: dict[str, dict[str, list[int]]] = header["index"]
        self._decoded: dict[int, object] = {}
        # The release history (tapsets.releases) this database is a view of, if it is one; else
        # found by `history_for` when a finding wants to know what other releases have.
        self.history = None
        self.history_loader = None  # a callable giving it (or None), asked once when a finding wants it

    @classmethod
    def load(cls, path: Path | None = None) -> "TapsetDB":
        path = Path(path) if path is not None else default_path()
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise DatabaseError(f"{path}: no such tapset database") from None
        except (OSError, UnicodeDecodeError) as err:
            raise DatabaseError(f"{path}: cannot read the tapset database: {err}") from None
        first_end = text.find("\n")
        try:
            header = store.read_header(text[:first_end] if first_end >= 0 else text)
        except store.StoreError as err:
            raise DatabaseError(f"{path}: {err}") from None
        return cls(path, header, text, first_end + 1)

    def release_history(self):
        """The release history this database belongs to, or None (no history, or not of its release)."""
        if self.history is None and self.history_loader is not None:
            loader, self.history_loader = self.history_loader, None
            history = loader()  # None when there is none to read
            self.history = history if history is not None and history.has(self.systemtap_version) else None
        return self.history

    # -- facts about the database -----------------------------------------

    @property
    def systemtap_version(self) -> str:
        return self.header.get("systemtap_version", "?")

    @property
    def files(self) -> list[str]:
        return list(self.header.get("files", ()))

    def count(self, kind: str) -> int:
        return sum(len(lines) for lines in self._index[kind].values())

    def names(self, kind: str) -> list[str]:
        return sorted(self._index[kind])

    # -- items ------------------------------------------------------------

    def _items(self, kind: str, name: str) -> list:
        out = []
        for offset in self._index[kind].get(name, ()):
            item = self._decoded.get(offset)
            if item is None:
                start = self._body_start + offset
                end = self._text.find("\n", start)
                line = self._text[start:end if end >= 0 else len(self._text)]
                try:
                    # setdefault: threads decoding one record at once all keep the first one decoded.
                    item = self._decoded.setdefault(offset, store.decode(line, f"record of {kind} {name!r}"))
                except store.StoreError as err:
                    raise DatabaseError(f"{self.path}: {err}") from None
                if item.name != name:
                    raise DatabaseError(f"{self.path}: the index does not match the records "
                                        f"({kind} {name!r}); rebuild the database")
            out.append(item)
        return out

    def aliases(self, name: str) -> list[ProbeAlias]:
        return self._items("alias", name)

    def functions(self, name: str) -> list[Function]:
        return self._items("function", name)

    def globals(self, name: str) -> list[Global]:
        return self._items("global", name)

    def macros(self, name: str) -> list[Macro]:
        return self._items("macro", name)

    def manual(self, kind: str, name: str) -> ManualFacts | None:
        for facts in self._items("manual", name):
            if facts.kind == kind:
                return facts
        return None

    def all(self, kind: str) -> list:
        return [item for name in self.names(kind) for item in self._items(kind, name)]
