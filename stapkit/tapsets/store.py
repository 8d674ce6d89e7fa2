"""The database file: JSON Lines, one item a line, sorted, so that a build is byte-reproducible.

The first line is the header (format, SystemTap version, what it was built
from, the tapset files, counts).  Every other line is `[KIND, NAME, FIELDS]`
with KIND one of "alias", "function", "global", "macro", "manual", and
FIELDS an object of the item's fields (fields at their default value are
left out).  The header holds an index: kind -> name -> where its records
start.  Loading parses the header only; a record is decoded when an item is
asked for, which keeps loading the whole library's database to a few
milliseconds.
"""

from __future__ import annotations

import json
from typing import Any

import attrs

from .model import (ExpansionPoint, Function, Global, Macro, ManualFacts, Parameter, ProbeAlias, ProbeVariable,
                    Where)

FORMAT = 1
KINDS = ("alias", "function", "global", "macro", "manual")


class StoreError(Exception):
    """The database file is not one stapkit can read."""


# ---------------------------------------------------------------- writing


def encode(kind: str, item) -> str:
    """One line of the file for an item."""
    return json.dumps([kind, item.name, _fields(item)], ensure_ascii=False, separators=(",", ":"),
                      sort_keys=True)


def _fields(item) -> dict[str, Any]:
    out = {}
    for field in attrs.fields(type(item)):
        if field.name == "name":
            continue
        value = getattr(item, field.name)
        if field.default is not attrs.NOTHING and value == field.default:
            continue
        out[field.name] = _plain(value)
    return out


def _plain(value):
    if isinstance(value, Where):
        return f"{value.file}:{value.line}"
    if attrs.has(type(value)):
        data = _fields(value)
        if hasattr(value, "name"):
            data["name"] = value.name
        return data
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def write_lines(header: dict, records: list[tuple[str, object]]) -> str:
    """The whole file: the header (with the index), then the records sorted by kind, name and place.

    The index maps kind -> name -> the character offsets of its records in the
    file, so that loading parses the header and nothing else.
    """
    encoded = sorted((KINDS.index(kind), item.name, _place(item), kind, encode(kind, item))
                     for kind, item in records)
    # The header's length changes the offsets it holds: index relative to the
    # end of the header, and count from there when reading.
    index: dict[str, dict[str, list[int]]] = {kind: {} for kind in KINDS}
    offset = 0
    for *_, kind, line in encoded:
        index[kind].setdefault(encoded_name(line), []).append(offset)
        offset += len(line) + 1
    header = dict(header, index=index)
    lines = [json.dumps(header, ensure_ascii=False, separators=(",", ":"), sort_keys=True)]
    lines += [line for *_, line in encoded]
    return "\n".join(lines) + "\n"


def encoded_name(line: str) -> str:
    return json.loads(line)[1]


def _place(item) -> tuple:
    where = getattr(item, "where", None)
    return (where.file, where.line) if where is not None else ("", 0)


# ---------------------------------------------------------------- reading


def read_header(first_line: str) -> dict:
    try:
        header = json.loads(first_line)
    except json.JSONDecodeError as err:
        raise StoreError(f"not a stapkit tapset database (line 1: {err.msg})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        found = header.get("format") if isinstance(header, dict) else None
        raise StoreError(f"not a stapkit tapset database of format {FORMAT} (format: {found!r})")
    index = header.get("index")
    if not isinstance(index, dict) or any(not isinstance(index.get(kind), dict) for kind in KINDS):
        raise StoreError("the header has no index of the records")
    return header


def decode(line: str, where: str):
    try:
        kind, name, fields = json.loads(line)[:3]  # a release history's records add their releases
        return _DECODERS[kind](name, fields)
    except (ValueError, TypeError, KeyError, AttributeError) as err:
        raise StoreError(f"{where}: a record stapkit cannot read ({err})") from None


def _where(text: str) -> Where:
    file, _, line = text.rpartition(":")
    return Where(file, int(line))


def _alias(name: str, f: dict) -> ProbeAlias:
    return ProbeAlias(
        name, f.get("epilogue", False), _where(f["where"]), tuple(f.get("conditions", ())),
        tuple(ExpansionPoint(p["text"], p.get("optional", False), p.get("sufficient", False),
                             p.get("condition"), tuple(p.get("conditions", ())))
              for p in f.get("points", ())),
        tuple(ProbeVariable(v["name"], v["type"], v["line"], tuple(tuple(c) for c in v.get("conditions", ())))
              for v in f.get("variables", ())))


def _function(name: str, f: dict) -> Function:
    return Function(
        name, tuple(Parameter(p["name"], p["type"], p.get("declared", False)) for p in f.get("params", ())),
        f["return_type"], f["return_declared"], _where(f["where"]), tuple(f.get("conditions", ())),
        f.get("private", False), f.get("embedded", False), tuple(f.get("tags", ())), f.get("priority"),
        f.get("private_since"))


def _global(name: str, f: dict) -> Global:
    return Global(name, f["private"], _where(f["where"]), tuple(f.get("conditions", ())), f["array"], f["type"])


def _macro(name: str, f: dict) -> Macro:
    return Macro(name, tuple(f.get("params", ())), _where(f["where"]), tuple(f.get("conditions", ())))


def _manual(name: str, f: dict) -> ManualFacts:
    return ManualFacts(
        f["kind"], name, f["page"], f.get("chapter"), tuple(f.get("tapsets", ())),
        tuple(f.get("signatures", ())), tuple(f.get("arguments", ())), tuple(f.get("variables", ())),
        tuple(tuple(v) for v in f.get("deprecated_variables", ())), f.get("deprecated", False),
        f.get("deprecated_since"), f.get("removed_since"), tuple(tuple(m) for m in f.get("members", ())),
        f.get("summary"), f.get("description"), tuple(tuple(d) for d in f.get("item_docs", ())))


_DECODERS = {"alias": _alias, "function": _function, "global": _global, "macro": _macro, "manual": _manual}
