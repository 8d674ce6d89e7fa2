"""The JSON output: a list of diagnostic objects (the contract of DESIGN.md).

    {"file": "x.stp", "line": 3, "column": 9, "end_line": 3, "end_column": 14,
     "code": "STP010", "severity": "error", "message": "...", "fix": null}

Lines and columns are 1-based, columns count characters, and the end is
exclusive.  Two keys are added when they have something to say: "hints"
(a list of strings) and "related" (other places, each with file, line,
column and message).
"""

from __future__ import annotations

import json

from ..diagnostics import Fix, LineIndex
from .location import Located, locate


def diagnostic_object(item: Located, index_for=None) -> dict:
    d = item.diagnostic
    obj = {
        "file": item.path,
        "line": item.line,
        "column": item.column,
        "end_line": item.end_line,
        "end_column": item.end_column,
        "code": d.code,
        "severity": d.severity.value,
        "message": d.message,
        "fix": _fix_object(d.fix, index_for(item.path) if index_for else None),
    }
    if d.hints:
        obj["hints"] = list(d.hints)
    if d.related:
        related = []
        for r in d.related:
            path = r.path or item.path
            index = LineIndex(r.text) if r.text is not None else (index_for(path) if index_for else None)
            line, column = index.line_col(r.span.start) if index is not None else (1, 1)
            related.append({"file": path, "line": line, "column": column, "message": r.message})
        obj["related"] = related
    return obj


def _fix_object(fix: Fix | None, index: LineIndex | None):
    if fix is None:
        return None
    edits = []
    for edit in fix.edits:
        start = index.line_col(edit.span.start) if index else (1, 1)
        end = index.line_col(edit.span.end) if index else (1, 1)
        edits.append({"line": start[0], "column": start[1], "end_line": end[0], "end_column": end[1],
                      "content": edit.content})
    return {"title": fix.title, "applicability": fix.applicability.value, "edits": edits}


def render_json(items: list[Located], index_for=None) -> str:
    return json.dumps([diagnostic_object(i, index_for) for i in items], indent=2) + "\n"


__all__ = ["diagnostic_object", "locate", "render_json"]
