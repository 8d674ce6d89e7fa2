"""Go to definition, find references and document highlights.

In the script: functions, globals, parameters, locals, the variables an
alias sets, probe aliases and macros, with every place they are used.  For
the tapset library's functions, globals, aliases, alias variables and
macros: their file and line in the local tapset sources, when those are
installed (the database records where each item is defined).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import NamedTuple

from lsprotocol import types

from ..diagnostics import Span
from ..semantic import bindings as sym
from ..syntax import ast
from . import lookup
from .analysis import Analysis, exact


class Occurrence(NamedTuple):
    span: Span
    write: bool = False
    declaration: bool = False


# ---------------------------------------------------------------- occurrences in the document


def occurrences(analysis: Analysis, found: lookup.Found) -> list[Occurrence]:
    """Every place in the document that names what `found` is, in text order."""
    kind = found.kind
    out: list[Occurrence] = []
    if kind == lookup.FUNCTION:
        out = _function_occurrences(analysis, found)
    elif kind == lookup.VARIABLE and found.symbol is not None:
        symbol = found.symbol
        if symbol.declared is not None:
            out.append(Occurrence(_narrow(analysis.text, symbol.declared, found.name)[0], False, True))
        for uses, write in ((symbol.reads, False), (symbol.writes, True), (symbol.mentions, False)):
            for use in uses:
                for span in _narrow(analysis.text, use.span, found.name):
                    out.append(Occurrence(span, write))
    elif kind in (lookup.PROBE_POINT, lookup.ALIAS_NAME):
        name = alias_name(analysis, found)
        if name is not None:
            out = _alias_occurrences(analysis, name)
    elif kind == lookup.MACRO:
        macro = analysis.parse.macros.get(found.name)
        if macro is not None and not macro.library:
            out.append(Occurrence(macro.span, False, True))
        out += [Occurrence(Span(t.start, t.end)) for t in analysis.tokens()
                if t.kind == "AT_OTHER" and t.text == "@" + found.name]
    elif kind == lookup.CONTEXT and found.item is not None:
        out = [Occurrence(Span(t.start, t.end)) for t in analysis.tokens()
               if t.kind == "TARGET" and t.text == found.name and found.item.span.contains(t.start)]
    unique = {}
    for occurrence in out:
        known = unique.get(occurrence.span)
        if known is None or occurrence.declaration or occurrence.write:
            unique[occurrence.span] = occurrence
    return sorted(unique.values(), key=lambda o: o.span)


def _narrow(text: str, span: Span, name: str) -> list[Span]:
    """The name's own spans inside a use's span.

    A use in a macro's expansion has the invocation's span, one in embedded C
    the block's: the name as a word inside it is the place to show.  When the
    name is not written there (it came from the macro's body), the whole span.
    """
    if exact(text, span, name):
        return [span]
    found = [Span(span.start + m.start(), span.start + m.end())
             for m in re.finditer(rf"(?<![A-Za-z0-9_$@]){re.escape(name)}(?![A-Za-z0-9_$])", text[span.start:span.end])]
    return found or [span]


def _function_occurrences(analysis: Analysis, found: lookup.Found) -> list[Occurrence]:
    out = []
    symbol = found.symbol
    if symbol is not None and symbol.decls:
        for decl in symbol.decls:
            out.append(Occurrence(decl.name_span, False, True))
        for call in symbol.calls:
            out += [Occurrence(s) for s in _narrow(analysis.text, call.span, found.name)]
        for use in symbol.mentions:
            out += [Occurrence(s) for s in _narrow(analysis.text, use.span, found.name)]
        return out
    script = analysis.script
    if script is None:
        return out
    for node in ast.walk(script):
        if type(node) is ast.Call and node.name == found.name:
            out += [Occurrence(s) for s in _narrow(analysis.text, node.name_span, found.name)]
    return out


def alias_name(analysis: Analysis, found: lookup.Found) -> str | None:
    """The alias a point names: the longest run of its leading components that is an alias."""
    point = found.node
    if not isinstance(point, ast.ProbePoint):
        return None
    local = _local_alias_names(analysis)
    db = analysis.db
    for expanded in point.expand():
        names = [c.name for c in expanded.components if isinstance(c, ast.Component)]
        for length in range(len(names), 0, -1):
            candidate = ".".join(names[:length])
            if candidate in local or db.aliases(candidate):
                return candidate
    return None


def _local_alias_names(analysis: Analysis) -> dict[str, list[ast.AliasDecl]]:
    found: dict[str, list[ast.AliasDecl]] = {}
    script = analysis.script
    for item in script.items if script is not None else ():
        if isinstance(item, ast.AliasDecl):
            for name in item.names:
                found.setdefault(_plain(name.point), []).append(item)
    return found


def _plain(point: ast.ProbePoint) -> str:
    return ".".join(c.name for c in point.components if isinstance(c, ast.Component))


def _alias_occurrences(analysis: Analysis, name: str) -> list[Occurrence]:
    wanted = name.split(".")
    out = []
    script = analysis.script
    for item in script.items if script is not None else ():
        if isinstance(item, ast.AliasDecl):
            for alias in item.names:
                if _plain(alias.point) == name:
                    span = _components_span(alias.point.components)
                    if span is not None:
                        out.append(Occurrence(span, False, True))
        if isinstance(item, (ast.ProbeDecl, ast.AliasDecl)):
            for point in item.points:
                for node in ast.walk(point):
                    if type(node) is not ast.ProbePoint:
                        continue
                    components = [c for c in node.components if isinstance(c, ast.Component)]
                    if len(components) >= len(wanted) and [c.name for c in components[:len(wanted)]] == wanted \
                            and all(isinstance(c, ast.Component) for c in node.components[:len(wanted)]):
                        span = _components_span(components[:len(wanted)])
                        if span is not None:
                            out.append(Occurrence(span))
    return out


def _components_span(components) -> Span | None:
    if not components:
        return None
    first, last = components[0], components[-1]
    end = last.span.start + len(last.name) if last.arg is None else last.span.end
    return Span(first.span.start, end)


# ---------------------------------------------------------------- definitions


class Place(NamedTuple):
    """A definition: in this document (span), or in a file (path, 1-based line, name to find on it)."""

    span: Span | None
    path: str | None = None
    line: int = 0
    name: str = ""


def definitions(analysis: Analysis, found: lookup.Found) -> list[Place]:
    kind = found.kind
    db = analysis.db
    view = analysis.view()
    if kind == lookup.FUNCTION:
        if found.symbol is not None and found.symbol.decls:
            return [Place(d.name_span) for d in found.symbol.decls]
        functions = [f for f in db.functions(found.name) if view.public(f) and view.exists(f)]
        return _library_places(analysis, [f.where for f in functions], found.name)
    if kind == lookup.VARIABLE and found.symbol is not None:
        return _variable_definitions(analysis, found)
    if kind in (lookup.PROBE_POINT, lookup.ALIAS_NAME):
        name = alias_name(analysis, found)
        if name is None:
            return []
        local = _local_alias_names(analysis).get(name)
        if local:
            return [Place(o.span) for o in _alias_occurrences(analysis, name) if o.declaration]
        aliases = [a for a in db.aliases(name) if view.exists(a)] or db.aliases(name)
        return _library_places(analysis, [a.where for a in aliases], name.rsplit(".", 1)[-1])
    if kind == lookup.MACRO:
        macro = analysis.parse.macros.get(found.name)
        if macro is not None and not macro.library:
            return [Place(macro.span)]
        library = db.macros(found.name)
        return _library_places(analysis, [m.where for m in library], found.name)
    return []


def _variable_definitions(analysis: Analysis, found: lookup.Found) -> list[Place]:
    symbol = found.symbol
    if symbol.kind in (sym.GLOBAL, sym.PARAM) and symbol.declared is not None:
        return [Place(_narrow(analysis.text, symbol.declared, found.name)[0])]
    if symbol.kind == sym.LIBRARY:
        return _library_places(analysis, [g.where for g in analysis.db.globals(found.name) if not g.private],
                               found.name)
    if symbol.kind == sym.LOCAL:
        # Where it is first set (locals have no declaration), else where it is first used.
        uses = symbol.writes or [*symbol.reads, *symbol.mentions]
        if not uses:
            return []
        first = min(uses, key=lambda u: u.span).span
        return [Place(_narrow(analysis.text, first, found.name)[0])]
    if symbol.kind == sym.ALIAS:
        return _alias_variable_definitions(analysis, found)
    return []


def _alias_variable_definitions(analysis: Analysis, found: lookup.Found) -> list[Place]:
    """Where the aliases of the probe set the variable: the library's alias bodies, or this file's."""
    from ..tapsets.model import Where
    from ..tapsets.queries import visible_variables

    probe = found.symbol.body.node if found.symbol.body is not None else None
    if not isinstance(probe, ast.ProbeDecl):
        return []
    db = analysis.db
    view = analysis.view()
    places: list[Place] = []
    local_aliases = _local_alias_names(analysis)
    for point in probe.points:
        for expanded in point.expand():
            plain = _plain(expanded)
            for alias in local_aliases.get(plain, ()):
                for node in ast.walk(alias.body):
                    if type(node) is ast.Assignment and type(node.target) is ast.Variable \
                            and node.target.name == found.name:
                        places.append(Place(node.target.span))
                        break
            seen = visible_variables(lambda n: [a for a in db.aliases(n) if view.exists(a)], plain, view.holds)
            if found.name in seen:
                alias = seen[found.name][1]
                line = next((v.line for v in alias.variables if v.name == found.name), alias.where.line)
                places += _library_places(analysis, [Where(alias.where.file, line)], found.name)
    return list(dict.fromkeys(places))


def _library_places(analysis: Analysis, wheres, name: str) -> list[Place]:
    roots = analysis.options.lint.check.parse.tapset_roots
    if roots is None:
        from ..syntax.tapset_path import default_tapset_root

        root = default_tapset_root()
        roots = (root,) if root else ()
    places = []
    for where in wheres:
        for root in roots:
            path = Path(root) / where.file
            if path.is_file():
                places.append(Place(None, str(path), where.line, name))
                break
    return list(dict.fromkeys(places))


def to_locations(analysis: Analysis, places: list[Place]) -> list[types.Location]:
    from pygls.uris import from_fs_path

    from .documents import PositionMap

    out = []
    for place in places:
        if place.span is not None:
            out.append(types.Location(analysis.uri, analysis.positions.range(place.span)))
            continue
        line_text = _file_line(place.path, place.line)
        start, end = _name_columns(line_text, place.name)
        positions = PositionMap(line_text, analysis.positions.encoding)
        start, end = positions.position(start).character, positions.position(end).character
        line = max(place.line - 1, 0)
        out.append(types.Location(from_fs_path(os.path.abspath(place.path)) or place.path,
                                  types.Range(types.Position(line, start), types.Position(line, end))))
    return out


def _file_line(path: str, line: int) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for number, text in enumerate(f, 1):
                if number == line:
                    return text.rstrip("\r\n")
    except OSError:
        pass
    return ""


def _name_columns(line_text: str, name: str) -> tuple[int, int]:
    """Where the name is on its line (the start of the line when it is not there as a word)."""
    match = re.search(rf"(?<![A-Za-z0-9_$]){re.escape(name)}(?![A-Za-z0-9_$])", line_text) if name else None
    return (match.start(), match.end()) if match else (0, 0)


# ---------------------------------------------------------------- the requests


def definition(analysis: Analysis, offset: int) -> list[types.Location]:
    found = lookup.find(analysis, offset)
    if found is None:
        return []
    return to_locations(analysis, definitions(analysis, found))


def references(analysis: Analysis, offset: int, include_declaration: bool) -> list[types.Location]:
    found = lookup.find(analysis, offset)
    if found is None:
        return []
    spans = [o.span for o in occurrences(analysis, found) if include_declaration or not o.declaration]
    if include_declaration and found.kind in (lookup.FUNCTION, lookup.VARIABLE, lookup.PROBE_POINT,
                                              lookup.MACRO):
        # The library's definition, when it is one of the library's items.
        outside = [p for p in definitions(analysis, found) if p.span is None]
        return [types.Location(analysis.uri, analysis.positions.range(s)) for s in spans] + \
            to_locations(analysis, outside)
    return [types.Location(analysis.uri, analysis.positions.range(s)) for s in spans]


def highlights(analysis: Analysis, offset: int) -> list[types.DocumentHighlight]:
    found = lookup.find(analysis, offset)
    if found is None or found.kind in (lookup.KEYWORD, lookup.OPERATOR, lookup.PRINT):
        return []
    out = []
    for o in occurrences(analysis, found):
        kind = types.DocumentHighlightKind.Write if o.write or o.declaration else types.DocumentHighlightKind.Read
        out.append(types.DocumentHighlight(range=analysis.positions.range(o.span), kind=kind))
    return out
