"""Every SystemTap release's library in one file: each record with the releases that have it.

The file (`tapset_db/tapsets-releases.jsonl`, built by tools/build_release_db.py
from one single-release database per release) is JSON Lines like a
single-release database (store.py), with two differences:

* each record is `[KIND, NAME, FIELDS, RANGES]`: RANGES names the releases
  that have exactly this record, as ranges of the header's ordered release
  list ("1.0-2.3,4.0-5.5"); a record that changed (a new parameter type, a
  moved line) is a second record with its own ranges;
* the header lists the releases in order, the tapset files with their ranges,
  each release's counts, and an index kind -> name -> [[offset, RANGES], ...].

A release's view (`ReleaseHistory.view`) is a `TapsetDB` of the records whose
ranges hold that release, equal in every record to that release's own
single-release database: loading it parses the header and filters the index,
nothing else.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from . import store

FORMAT = "stapkit-releases-1"
FILE_NAME = "tapsets-releases.jsonl"
SAME = "~same"  # in a record's fields: the fields it has as the first record of its name has them
SHARED = {"points": "p", "variables": "v", "conditions": "c", "params": "a", "where": "w"}  # -> their letters


class ReleaseError(Exception):
    """A release the history does not have, or a file that is not a release history."""


def embedded_path() -> Path:
    import tapset_db

    return Path(tapset_db.__file__).with_name(FILE_NAME)


# ---------------------------------------------------------------- ranges


def ranges_text(members: list[int], releases: list[str]) -> str:
    """The sorted positions `members` of `releases` as "A-B,C,D-E"."""
    out = []
    start = prev = None
    for i in members:
        if start is None:
            start = prev = i
        elif i == prev + 1:
            prev = i
        else:
            out.append((start, prev))
            start = prev = i
    if start is not None:
        out.append((start, prev))
    return ",".join(releases[a] if a == b else f"{releases[a]}-{releases[b]}" for a, b in out)


def ranges_members(text: str, position: dict[str, int]) -> set[int]:
    """The positions of the releases named by a RANGES text."""
    members: set[int] = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        a = position[first]
        b = position[last] if last else a
        members.update(range(a, b + 1))
    return members


# ---------------------------------------------------------------- merging


# Fields a single-release database writes at these values every time (they have no default there).
_DEFAULTS = {"alias": (("epilogue", False),), "function": (("return_declared", False),),
             "global": (("private", False), ("array", False))}


def _split(line: str) -> tuple[str, str, dict, list]:
    """A single-release record as (kind, name, its fields without line numbers, its line numbers).

    Line numbers move in every release; kept apart, a record that did not
    change but moved is one record with a table of lines, not one per move.
    An alias's variables are kept as [name, type, line, (conditions)], the
    line relative to the alias's (the same when the alias moves): the
    aliases are most of the file.
    """
    kind, name, fields = json.loads(line)
    lines: list = []
    where = fields.get("where")
    if isinstance(where, str) and ":" in where:
        file, _, number = where.rpartition(":")
        fields["where"] = file
        lines.append(int(number))
    else:
        lines.append(None)
    for key, default in _DEFAULTS.get(kind, ()):
        if fields.get(key) == default:
            del fields[key]
    if kind == "manual" and fields.get("page") == f"{fields.get('kind')}::{name}.3stap":
        del fields["page"]
    variables = fields.get("variables") if kind == "alias" else None
    if variables:
        base = lines[0] or 0
        fields["variables"] = [[var["name"], var["type"], var.get("line", 0) - base]
                               + ([var["conditions"]] if "conditions" in var else []) for var in variables]
    return kind, name, fields, lines


def _join(kind: str, name: str, fields: dict, lines: list) -> list:
    """The single-release record back from `_split`'s parts (`fields` is changed)."""
    if lines and lines[0] is not None:
        fields["where"] = f"{fields['where']}:{lines[0]}"
    for key, default in _DEFAULTS.get(kind, ()):
        fields.setdefault(key, default)
    if kind == "manual" and "page" not in fields:
        fields["page"] = f"{fields.get('kind')}::{name}.3stap"
    if kind == "alias" and fields.get("variables"):
        base = lines[0] or 0
        fields["variables"] = [dict({"name": var[0], "type": var[1], "line": base + var[2]},
                                    **({"conditions": var[3]} if len(var) > 3 else {}))
                               for var in fields["variables"]]
    return [kind, name, fields]


def merge(builds: list[tuple[str, str]], provenance: dict) -> str:
    """The history file of single-release databases, given as (release, file text) in release order.

    `provenance` (where the releases came from, which were skipped) goes into
    the header as it is; the result depends on nothing else.
    """
    releases = [name for name, _ in builds]
    shapes: dict[tuple, dict[str, list[int]]] = {}  # (kind, name, fields) -> its lines -> release positions
    places: dict[tuple, list] = {}  # (kind, name, fields) -> the lines of each of its records in one release
    files: dict[str, list[int]] = {}
    counts = {}
    for i, (release, text) in enumerate(builds):
        first, _, body = text.partition("\n")
        header = store.read_header(first)
        counts[release] = header.get("counts", {})
        for file in header.get("files", ()):
            files.setdefault(file, []).append(i)
        for line in body.split("\n"):
            if not line:
                continue
            kind, name, fields, lines = _split(line)
            key = (kind, name, json.dumps(fields, ensure_ascii=False, separators=(",", ":"), sort_keys=True))
            places.setdefault(key, []).append(lines)
        # A release may have a record twice but for its lines (the same alias at two places):
        # the table of lines gives a release all of them.
        for key, all_lines in places.items():
            at = json.dumps(sorted(all_lines, key=json.dumps), separators=(",", ":"))
            shapes.setdefault(key, {}).setdefault(at, []).append(i)
        places.clear()
    table: dict[str, int] = {}  # ranges text -> its number in the header's "ranges"
    keyed = []
    for (kind, name, fields), by_lines in shapes.items():
        members = sorted({i for positions in by_lines.values() for i in positions})
        moves = sorted([ranges_text(positions, releases), json.loads(at)] for at, positions in by_lines.items())
        keyed.append((store.KINDS.index(kind), name, fields, kind, ranges_text(members, releases), moves))
    keyed.sort()
    # The records of one name after its first keep only the fields that differ from the first's
    # (an alias's expansion rarely changes when its variables do): SAME lists the others.
    encoded_records = []
    first: dict | None = None
    for n, (_, name, fields_text, kind, ranges, moves) in enumerate(keyed):
        fields = json.loads(fields_text)
        if n == 0 or keyed[n - 1][1] != name or keyed[n - 1][3] != kind:
            first = fields
        else:
            same = sorted(k for k in SHARED if k in fields and fields[k] == first.get(k))
            if same:
                fields = {k: v for k, v in fields.items() if k not in same}
                fields[SAME] = "".join(SHARED[k] for k in same)
        encoded = json.dumps([kind, name, fields, ranges, moves], ensure_ascii=False, separators=(",", ":"),
                             sort_keys=True)
        encoded_records.append((name, kind, ranges, encoded))
    index: dict[str, dict[str, list[int]]] = {kind: {} for kind in store.KINDS}
    offset = 0
    for name, kind, ranges, encoded in encoded_records:
        number = table.setdefault(ranges, len(table))
        index[kind].setdefault(name, []).extend((offset, number))
        offset += len(encoded) + 1
    header = {
        "format": FORMAT,
        "releases": releases,
        "provenance": provenance,
        "files": {file: ranges_text(members, releases) for file, members in sorted(files.items())},
        "counts": counts,
        "ranges": list(table),
        "index": index,
    }
    lines = [json.dumps(header, ensure_ascii=False, separators=(",", ":"), sort_keys=True)]
    lines += [k[-1] for k in encoded_records]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- reading


class ReleaseHistory:
    """The history file, loaded: its releases, a view of one, the releases of a name."""

    def __init__(self, path: Path, header: dict, text: str, body_start: int):
        self.path = path
        self.header = header
        self.releases: list[str] = list(header["releases"])
        self.position = {name: i for i, name in enumerate(self.releases)}
        self.range_table: list[str] = header["ranges"]
        self._text = text
        self._body_start = body_start
        self._views: dict[str, object] = {}
        # (record offset, its lines in a release) -> the decoded items: the releases that have a
        # record at the same lines share its (immutable) items, decoded once.
        self.decoded: dict[tuple[int, str], list] = {}
        self._moves: dict[int, list] = {}
        self._masks: dict[str, dict[str, int]] = {}

    @classmethod
    def load(cls, path: Path | None = None) -> "ReleaseHistory":
        path = Path(path) if path is not None else embedded_path()
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise ReleaseError(f"{path}: cannot read the release history: {getattr(err, 'strerror', None) or err}") \
                from None
        first_end = text.find("\n")
        try:
            header = json.loads(text[:first_end] if first_end >= 0 else text)
        except json.JSONDecodeError as err:
            raise ReleaseError(f"{path}: not a stapkit release history (line 1: {err.msg})") from None
        if not isinstance(header, dict) or header.get("format") != FORMAT or "index" not in header:
            raise ReleaseError(f"{path}: not a stapkit release history of format {FORMAT}")
        return cls(path, header, text, first_end + 1)

    @property
    def newest(self) -> str:
        """The newest release (not the development head, which the provenance marks)."""
        head = self.header.get("provenance", {}).get("prerelease")
        done = [r for r in self.releases if r != head]
        return done[-1] if done else self.releases[-1]

    def has(self, release: str) -> bool:
        return release in self.position

    def view(self, release: str):
        """The TapsetDB of one release."""
        found = self._views.get(release)
        if found is None:
            if release not in self.position:
                raise ReleaseError(f"SystemTap {release} is not in the release history "
                                   f"({self.releases[0]} to {self.releases[-1]})")
            found = self._views[release] = ReleaseView(self, release)
        return found

    def record(self, offset: int) -> list:
        """[KIND, NAME, FIELDS, RANGES, MOVES] at a record offset (its fields whole)."""
        record = self._line(offset)
        same = record[2].pop(SAME, None)
        if same:
            first = self._line(self.header["index"][record[0]][record[1]][0])[2]
            for key, letter in SHARED.items():
                if letter in same:
                    record[2][key] = first[key]
        return record

    def name_masks(self, kind: str) -> dict[str, int]:
        """Each name of a kind -> the releases that have a record of it, as a bit mask (bit i:
        release i), worked out once: a view lists its names with a bit test (a range check
        lists the names of every release)."""
        found = self._masks.get(kind)
        if found is None:
            table = [sum(1 << i for i in ranges_members(text, self.position)) for text in self.range_table]
            found = {}
            for name, flat in self.header["index"].get(kind, {}).items():
                mask = 0
                for j in range(1, len(flat), 2):
                    mask |= table[flat[j]]
                found[name] = mask
            self._masks[kind] = found
        return found

    def moves(self, offset: int) -> list:
        """The record's table of lines: [[RANGES, [lines of each place]], ...] (read once per record)."""
        found = self._moves.get(offset)
        if found is None:
            found = self._moves[offset] = self._line(offset)[4]
        return found

    def _line(self, offset: int) -> list:
        start = self._body_start + offset
        end = self._text.find("\n", start)
        return json.loads(self._text[start:end if end >= 0 else len(self._text)])

    def entries(self, kind: str, name: str):
        """(offset, ranges text) of each record of a kind and name."""
        flat = self.header["index"].get(kind, {}).get(name, ())
        return [(flat[j], self.range_table[flat[j + 1]]) for j in range(0, len(flat), 2)]

    def ranges(self, kind: str, name: str) -> str | None:
        """The releases that have some record of this kind and name, as ranges; None: none has."""
        members = self.members(kind, name)
        return ranges_text(sorted(members), self.releases) if members else None

    def members(self, kind: str, name: str, keep=None) -> set[int]:
        """The positions of the releases with a record of this kind and name (for which `keep(record)`)."""
        members: set[int] = set()
        for offset, ranges in self.entries(kind, name):
            if keep is not None:
                kind_, name_, fields, _, moves = self.record(offset)
                item = store.decode(json.dumps(_join(kind_, name_, fields, moves[0][1][0])), f"{kind} {name!r}")
                if not keep(item):
                    continue
            members |= ranges_members(ranges, self.position)
        return members

    def note(self, kind: str, name: str, target: str, keep=None) -> str | None:
        """What other releases say of a name the target lacks: "added in 5.0", "removed after 3.3"."""
        if target not in self.position:
            return None
        return presence_note(name, self.members(kind, name, keep), self.position[target], self.releases)


def presence_note(name: str, members, i: int, releases: list[str]) -> str | None:
    """What the releases at positions `members` say of `name` when `releases[i]`, the target,
    is not one of them: "'x' was added in SystemTap 5.0; you target 4.8", "... removed after
    SystemTap 3.3 ...", or the ranges that have it; None when no release has it or the target does."""
    if not members or i in members:
        return None
    target = releases[i]
    later = [m for m in members if m > i]
    earlier = [m for m in members if m < i]
    if later and not earlier:
        return f"'{name}' was added in SystemTap {releases[min(later)]}; you target {target}"
    if earlier and not later:
        return f"'{name}' was removed after SystemTap {releases[max(earlier)]}; you target {target}"
    return f"'{name}' is in SystemTap {ranges_text(sorted(members), releases)}; you target {target}"


class _Holds:
    """Does a RANGES text hold release position `i`? (Each distinct text is worked out once.)"""

    def __init__(self, position: dict[str, int], i: int):
        self.position = position
        self.i = i
        self.known: dict[str, bool] = {}

    def __call__(self, ranges: str) -> bool:
        known = self.known.get(ranges)
        if known is None:
            known = self.known[ranges] = self.i in ranges_members(ranges, self.position)
        return known


def release_note(db, kind: str, name: str, keep=None) -> str:
    """" ('x' was added in SystemTap 5.0; you target 4.8)" for a finding on a name the target's
    release lacks and another has; "" when no other release has it or no history is known."""
    ask = getattr(db, "release_history", None)
    history = ask() if ask is not None else None
    if history is None:
        return ""
    try:
        note = history.note(kind, name, db.systemtap_version, keep)
    except (store.StoreError, ValueError, KeyError):
        return ""
    return f" ({note})" if note else ""


def release_span(db, kind: str, name: str) -> str | None:
    """"SystemTap releases: since 1.0" (or "1.0-2.3, 4.0-5.6") for a hover; None when no history is known."""
    ask = getattr(db, "release_history", None)
    history = ask() if ask is not None else None
    if history is None:
        return None
    members = history.members(kind, name)
    if not members:
        return None
    text = ranges_text(sorted(members), history.releases)
    last = history.releases[-1]
    if "," not in text and text.endswith(f"-{last}"):
        text = f"since {text.split('-')[0]}"
    return f"SystemTap releases: {text.replace(',', ', ')}"


class _ViewIndex:
    """One kind's index for one release, filtered when a name is asked for (loading stays cheap)."""

    def __init__(self, flat_index: dict[str, list[int]], range_table: list[str], holds: _Holds,
                 masks=None):
        self._flat = flat_index
        self._table = range_table
        self._holds = holds
        self._masks = masks  # () -> {name: bit mask of the releases that have it} (the history's, shared)
        self._names: list[str] | None = None

    def get(self, name: str, default=()):
        flat = self._flat.get(name)
        if not flat:
            return default
        offsets = [flat[j] for j in range(0, len(flat), 2) if self._holds(self._table[flat[j + 1]])]
        return offsets or default

    def names(self) -> list[str]:
        if self._names is None:  # the names with a record in the release (get's test, without its lists)
            if self._masks is not None:
                bit = 1 << self._holds.i
                self._names = [name for name, mask in self._masks().items() if mask & bit]
            else:
                holds, table = self._holds, self._table
                self._names = [name for name, flat in self._flat.items()
                               if any(holds(table[flat[j]]) for j in range(1, len(flat), 2))]
        return self._names

    def __iter__(self):
        return iter(self.names())

    def __contains__(self, name) -> bool:
        return bool(self.get(name))

    def values(self):
        return [self.get(name) for name in self.names()]


def ReleaseView(history: ReleaseHistory, release: str):  # noqa: N802 (db.py is imported when a view is made)
    """A TapsetDB of one release of the history (see `_view_class`)."""
    return _view_class()(history, release)


def _view_class():
    from .db import DatabaseError, TapsetDB

    class View(TapsetDB):
        """A release's records, with that release's lines; decoded when asked for, as TapsetDB's."""

        def __init__(self, history: ReleaseHistory, release: str):
            holds = _Holds(history.position, history.position[release])
            index = {kind: _ViewIndex(names, history.range_table, holds, functools.partial(history.name_masks, kind))
                     for kind, names in history.header["index"].items()}
            header = {
                "format": store.FORMAT,
                "systemtap_version": release,
                "with_docs": False,
                "built_from": {"release_history": str(history.path)},
                "files": [f for f, ranges in history.header["files"].items() if holds(ranges)],
                "counts": history.header["counts"].get(release, {}),
                "index": index,
            }
            super().__init__(history.path, header, history._text, history._body_start)
            self.history = history
            self._holds = holds

        def _items(self, kind: str, name: str) -> list:
            found = self._decoded.get((kind, name))
            if found is not None:
                return found
            out = []
            for offset in self._index[kind].get(name, ()):
                try:
                    items = self._record_items(offset, kind, name)
                except (ValueError, KeyError, IndexError, StopIteration, store.StoreError) as err:
                    raise DatabaseError(f"{self.path}: a record of {kind} {name!r} stapkit cannot read: {err}") \
                        from None
                if any(item.name != name for item in items):
                    raise DatabaseError(f"{self.path}: the index does not match the records "
                                        f"({kind} {name!r}); rebuild the release history")
                out += items
            # A single-release database has a name's records in the order of their places.
            out.sort(key=lambda item: (item.where.file, item.where.line) if getattr(item, "where", None) else ("", 0))
            self._decoded[(kind, name)] = out
            return out

        def _record_items(self, offset: int, kind: str, name: str) -> list:
            """The items of the record at `offset` with this release's lines (shared by the releases
            that have them: the history keeps them)."""
            moves = self.history.moves(offset)
            places = next(at for ranges, at in moves if self._holds(ranges))
            key = (offset, repr(places))
            items = self.history.decoded.get(key)
            if items is None:
                kind_, name_, fields, _, _ = self.history.record(offset)
                items = [store.decode(json.dumps(_join(kind_, name_, dict(fields), lines)),
                                      f"record of {kind} {name!r}") for lines in places]
                items = self.history.decoded.setdefault(key, items)
            return items

        def count(self, kind: str) -> int:
            plural = {"alias": "aliases", "function": "functions", "global": "globals", "macro": "macros",
                      "manual": "manual_pages"}[kind]
            known = self.header["counts"].get(plural)
            return known if known is not None else len(self.all(kind))

    return View
