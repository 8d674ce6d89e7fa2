"""textDocument/prepareRename and textDocument/rename: the script's own names.

What can be renamed: the script's functions, globals, parameters and locals,
its probe aliases and its macros.  Tapset items belong to the library, and
the variables an alias sets are named by the alias.  A rename that would
change what a name means (a local renamed to a global's name, a global to
a name some body uses as a local, ...) is refused with the reason, and so is
one that would have to edit a macro's body or C code that is not one of
embedded C's accessors (`STAP_ARG_x`, `STAP_GLOBAL_GET_x`, `/* pragma:read:x */`, ...).
"""

from __future__ import annotations

import re

from ..diagnostics import Span
from ..semantic import bindings as sym
from ..syntax.tokens import KEYWORDS
from . import lookup
from .analysis import Analysis, exact
from .navigation import _local_alias_names, alias_name, occurrences

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ALIAS_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_ACCESSORS = r"(STAP_ARG_|STAP_GLOBAL_GET_|STAP_GLOBAL_SET_|pragma:read:|pragma:write:)"


class RenameError(Exception):
    """Why this cannot be renamed (shown to the user)."""


def prepare(analysis: Analysis, offset: int) -> tuple[Span, str]:
    """The name's span under the cursor and its text, if it can be renamed.  Raises RenameError."""
    found = _renamable(analysis, offset)
    if found.kind == lookup.ALIAS_NAME or found.kind == lookup.PROBE_POINT:
        name = alias_name(analysis, found)
        # The alias's name in this point (the cursor may be on a suffix: `myalias.return`).
        point = found.node.span
        spans = [o.span for o in occurrences(analysis, found) if point.start <= o.span.start < point.end]
        if not spans:
            raise RenameError(f"'{name}' is not written here")
        return spans[0], name
    return found.span, found.name


def rename(analysis: Analysis, offset: int, new_name: str) -> list[tuple[Span, str]]:
    """The edits that rename the name under the cursor.  Raises RenameError."""
    found = _renamable(analysis, offset)
    kind = found.kind
    new_name = new_name.strip()
    if kind == lookup.MACRO:
        new_name = new_name.removeprefix("@")
    old = alias_name(analysis, found) if kind in (lookup.ALIAS_NAME, lookup.PROBE_POINT) else found.name
    _check_new_name(analysis, found, new_name)
    if new_name == old:
        return []
    edits: list[tuple[Span, str]] = []
    text = analysis.text
    for occurrence in occurrences(analysis, found):
        span = occurrence.span
        if kind == lookup.MACRO:
            replacement = ("@" if text.startswith("@", span.start) else "") + new_name
            edits.append((span, replacement))
        elif kind in (lookup.ALIAS_NAME, lookup.PROBE_POINT) or exact(text, span, old):
            edits.append((span, new_name))
        elif text.startswith("%{", span.start):
            edits += _embedded_edits(text, span, old, new_name)
        else:
            raise RenameError(f"'{old}' is used at line {analysis.positions.position(span.start).line + 1} "
                              "through a macro's body; rename it by hand")
    return sorted(set(edits))


def _renamable(analysis: Analysis, offset: int) -> lookup.Found:
    found = lookup.find(analysis, offset)
    if found is None:
        raise RenameError("no name to rename here")
    kind = found.kind
    if kind == lookup.FUNCTION:
        if found.symbol is None or not found.symbol.decls:
            raise RenameError(f"'{found.name}' is a function of the tapset library, not of this script")
        return found
    if kind == lookup.VARIABLE:
        symbol = found.symbol
        if symbol is None:
            raise RenameError(f"'{found.name}' is not a variable stapkit can follow here")
        if symbol.kind == sym.LIBRARY:
            raise RenameError(f"'{found.name}' is a global of the tapset library")
        if symbol.kind == sym.ALIAS:
            raise RenameError(f"'{found.name}' is set by the probe's alias; its name is the alias's")
        return found
    if kind == lookup.MACRO:
        macro = analysis.parse.macros.get(found.name)
        if macro is None or macro.library:
            raise RenameError(f"'@{found.name}' is not a macro of this file")
        return found
    if kind in (lookup.ALIAS_NAME, lookup.PROBE_POINT):
        name = alias_name(analysis, found)
        if name is None or name not in _local_alias_names(analysis):
            raise RenameError("only the probe aliases this file defines can be renamed")
        return found
    raise RenameError(f"'{found.name}' cannot be renamed")


def _check_new_name(analysis: Analysis, found: lookup.Found, new: str) -> None:
    kind = found.kind
    if kind in (lookup.ALIAS_NAME, lookup.PROBE_POINT):
        if not _ALIAS_NAME.fullmatch(new):
            raise RenameError(f"'{new}' is not a probe alias name (words joined by dots)")
        if new in _local_alias_names(analysis) or analysis.db.aliases(new):
            raise RenameError(f"a probe alias '{new}' exists already")
        return
    if not _IDENTIFIER.fullmatch(new) or new in KEYWORDS:
        raise RenameError(f"'{new}' is not a valid SystemTap identifier")
    unit = analysis.unit()
    symbols = analysis.symbols()
    if kind == lookup.MACRO:
        if new in analysis.parse.macros or analysis.db.macros(new):
            raise RenameError(f"a macro '@{new}' exists already")
        return
    if kind == lookup.FUNCTION:
        if new in symbols.functions:
            raise RenameError(f"the script has a function '{new}' already")
        if unit is not None and any(unit.view.public(f) and unit.view.exists(f) for f in analysis.db.functions(new)):
            raise RenameError(f"the tapset library has a function '{new}': the script's would replace it")
        return
    symbol = found.symbol
    is_global = unit is not None and unit.library_global(new) is not None
    if symbol.kind == sym.GLOBAL:
        if new in symbols.globals or is_global:
            raise RenameError(f"a global '{new}' exists already")
        for body in symbols.bodies:
            if new in body.params or new in body.locals or new in body.alias_variables:
                raise RenameError(f"{body.describe()} has a variable '{new}': it would become the global")
        return
    body = symbol.body
    if new in symbols.globals or is_global:
        raise RenameError(f"'{new}' is a global: the {symbol.kind} would become it")
    if body is not None and (new in body.params or new in body.locals or new in body.alias_variables):
        raise RenameError(f"{body.describe()} has a variable '{new}' already")


def _embedded_edits(text: str, span: Span, old: str, new: str) -> list[tuple[Span, str]]:
    """Renames in embedded C: only its accessors of script values name the script's variables."""
    code = text[span.start:span.end]
    edits = []
    for match in re.finditer(_ACCESSORS + re.escape(old) + r"(?![A-Za-z0-9_])", code):
        start = span.start + match.end(1)
        edits.append((Span(start, start + len(old)), new))
    return edits

