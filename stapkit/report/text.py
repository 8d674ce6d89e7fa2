"""The text output: each diagnostic with its source line and a caret under the problem.

    probe.stp:3:21: error: expected ')'; found '{' [STP010]
       |
     3 | probe begin { if (x { }
       |                     ^
       = hint: ...

Colour only when asked for or on a terminal, never when NO_COLOR is set.
"""

from __future__ import annotations

import os

from ..diagnostics import LineIndex, Severity
from .location import Located

MAX_SHOWN_LINE = 160  # longer source lines are shown as a window around the caret

_COLORS = {
    Severity.ERROR: "\x1b[1;31m",
    Severity.WARNING: "\x1b[1;33m",
    Severity.INFO: "\x1b[1;36m",
}
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
_BLUE = "\x1b[1;34m"
_RESET = "\x1b[0m"


def use_color(choice: str, stream) -> bool:
    """`--color auto|always|never`; auto means a terminal and no NO_COLOR."""
    if choice == "always":
        return True
    if choice == "never" or os.environ.get("NO_COLOR"):
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def render_diagnostic(item: Located, index: LineIndex | None, color: bool = False) -> str:
    d = item.diagnostic
    paint = _painter(color)
    head = (f"{paint(_BOLD, f'{item.path}:{item.line}:{item.column}:')} "
            f"{paint(_COLORS[d.severity], d.severity.value + ':')} {paint(_BOLD, d.message)} "
            f"{paint(_DIM, '[' + d.code + ']')}")
    lines = [head]
    if index is not None and index.text:
        lines += _snippet(item, index, paint)
    for hint in d.hints:
        lines.append(f"{_gutter(item.line, paint, '=')} hint: {hint}")
    for related in d.related:
        where = related.path or item.path
        if related.text is not None:
            line, column = LineIndex(related.text).line_col(related.span.start)
        elif related.path is None and index is not None:
            line, column = index.line_col(related.span.start)
        else:
            line, column = 1, 1
        lines.append(f"{_gutter(item.line, paint, '=')} note: {related.message} ({where}:{line}:{column})")
    return "\n".join(lines)


def _painter(color: bool):
    if not color:
        return lambda style, text: text
    return lambda style, text: f"{style}{text}{_RESET}"


def _gutter(line: int, paint, mark: str = "|") -> str:
    width = len(str(line))
    return " " * (width + 1) + paint(_BLUE, mark)


def _snippet(item: Located, index: LineIndex, paint) -> list[str]:
    line_no = item.line
    source = index.line_text(line_no)
    start = item.column - 1
    if item.end_line == line_no:
        end = max(item.end_column - 1, start + 1)
    else:
        end = max(len(source), start + 1)
    offset = 0
    if len(source) > MAX_SHOWN_LINE:
        offset = max(0, min(start - MAX_SHOWN_LINE // 3, len(source) - MAX_SHOWN_LINE))
        source = source[offset : offset + MAX_SHOWN_LINE]
        start -= offset
        end = min(end - offset, len(source) + 1)
    # Keep tabs under tabs so the caret lines up in a terminal.
    pad = "".join("\t" if ch == "\t" else " " for ch in source[:start])
    carets = "^" * max(1, min(end, len(source) + 1) - start)
    number = str(line_no)
    return [
        _gutter(line_no, paint),
        f"{paint(_BLUE, number)} {paint(_BLUE, '|')} {source}",
        f"{_gutter(line_no, paint)} {pad}{paint(_COLORS[item.diagnostic.severity], carets)}",
    ]
