"""Line and column numbers of diagnostics, for every output format."""

from __future__ import annotations

from typing import NamedTuple

from ..diagnostics import Diagnostic, LineIndex


class Located(NamedTuple):
    path: str
    diagnostic: Diagnostic
    line: int
    column: int
    end_line: int
    end_column: int  # exclusive: the column after the last character


def locate(path: str, index: LineIndex | None, diagnostic: Diagnostic) -> Located:
    if index is None:
        return Located(path, diagnostic, 1, 1, 1, 1)
    line, column = index.line_col(diagnostic.span.start)
    end_line, end_column = index.line_col(diagnostic.span.end)
    return Located(path, diagnostic, line, column, end_line, end_column)
