"""stapkit's diagnostics and fixes as LSP objects: the one place where they change form."""

from __future__ import annotations

import os
from functools import lru_cache

from lsprotocol import types

from .. import RULE_PAGES_URL
from ..diagnostics import Diagnostic, Edit, Severity, Span
from .documents import PositionMap

# Each code's documentation page (docs/rules/<CODE>.md of the repository).
RULE_DOCS_URL = RULE_PAGES_URL + "{code}.md"
SOURCE = "stapkit"
FIX_ALL_KIND = "source.fixAll.stapkit"  # the code action that applies every safe fix

_SEVERITY = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}


@lru_cache(maxsize=None)
def _tags(code: str) -> tuple[types.DiagnosticTag, ...]:
    """Editors grey out unused code and strike deprecated names: say which codes are which."""
    from ..lint.registry import all_rules

    entry = all_rules().get(code)
    if entry is None:
        return ()
    if entry.name.startswith("unused-"):
        return (types.DiagnosticTag.Unnecessary,)
    if "deprecated" in entry.name:
        return (types.DiagnosticTag.Deprecated,)
    return ()


def to_lsp_diagnostic(d: Diagnostic, uri: str, positions: PositionMap) -> types.Diagnostic:
    message = d.message
    if d.hints:
        message += "\n" + "\n".join(d.hints)
    related = [_related(r, uri, positions) for r in d.related] or None
    return types.Diagnostic(
        range=positions.range(d.span),
        message=message,
        severity=_SEVERITY.get(d.severity, types.DiagnosticSeverity.Error),
        code=d.code,
        code_description=types.CodeDescription(href=RULE_DOCS_URL.format(code=d.code)),
        source=SOURCE,
        related_information=related,
        tags=list(_tags(d.code)) or None,
    )


def _related(r, uri: str, positions: PositionMap) -> types.DiagnosticRelatedInformation:
    if r.path is None:
        return types.DiagnosticRelatedInformation(types.Location(uri, positions.range(r.span)), r.message)
    from pygls.uris import from_fs_path

    text = r.text
    if text is None:
        text = _read(r.path)
    other = PositionMap(text or "", positions.encoding)
    return types.DiagnosticRelatedInformation(
        types.Location(from_fs_path(os.path.abspath(r.path)) or r.path, other.range(r.span)), r.message)


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def text_edit(edit: Edit, positions: PositionMap) -> types.TextEdit:
    return types.TextEdit(range=positions.range(edit.span), new_text=edit.content)


def replace_all(old: str, new: str, positions: PositionMap) -> list[types.TextEdit]:
    """Edits that turn `old` (the text `positions` maps) into `new`: the changed middle, one edit."""
    if old == new:
        return []
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    end_old, end_new = len(old), len(new)
    while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
        end_old -= 1
        end_new -= 1
    # An offset between the "\r" and "\n" of a line break has no position of its own:
    # widen the edit over the whole break (the same characters on both sides).
    if start > 0 and old[start - 1] == "\r" and old[start:start + 1] == "\n":
        start -= 1
    if 0 < end_old < len(old) and old[end_old - 1] == "\r" and old[end_old] == "\n":
        end_old += 1
        end_new += 1
    return [types.TextEdit(range=positions.range(Span(start, end_old)), new_text=new[start:end_new])]


def check_failed(err: Exception) -> types.Diagnostic:
    """The diagnostic that says a document could not be checked, and why."""
    from ..tapsets.db import DatabaseError

    if isinstance(err, DatabaseError):  # a setting's fault (`db`), not a bug: say what to fix
        message = f"stapkit could not check this file: {err}"
    else:
        message = (f"stapkit could not check this file (internal error: {type(err).__name__}: {err}); "
                   "this is a bug in stapkit, please report it with the file")
    return types.Diagnostic(range=types.Range(types.Position(0, 0), types.Position(0, 0)), message=message,
                            severity=types.DiagnosticSeverity.Error, source="stapkit")
