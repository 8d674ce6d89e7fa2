"""textDocument/formatting and textDocument/rangeFormatting, with `stapkit format`'s formatter.

The formatter only changes whitespace (it proves so on every run), so its
result differs from the text only in the whitespace between the same
non-blank characters.  The edits are exactly those whitespace runs: the
cursor and the folds around unchanged code stay where they were, and a
range is formatted by keeping the runs that touch it (any subset of them
leaves the program unchanged).
"""

from __future__ import annotations

import bisect
import logging
import re

import attrs
from lsprotocol import types

from ..diagnostics import Span
from .analysis import Analysis
from .convert import replace_all

logger = logging.getLogger(__name__)

_BLANKS = re.compile(r"[ \t\n\r\f\v]+")  # what the lexer skips between tokens


def formatted_text(analysis: Analysis, options: types.FormattingOptions | None) -> str | None:
    """The document formatted, or None when it cannot be (syntax errors, or the formatter's own check failed)."""
    from ..format.formatter import FormatError, format_text
    from ..format.layout import Style

    indent = analysis.options.indent
    if indent is None and options is not None:
        indent = " " * max(1, min(16, options.tab_size)) if options.insert_spaces else "\t"
    default = Style()
    style = Style(indent=indent or default.indent, line_length=analysis.options.line_length or default.line_length,
                  brace_style=analysis.options.brace_style or default.brace_style)
    parse = attrs.evolve(analysis.options.lint.check.parse, guru=True, args=None)
    try:
        result = format_text(analysis.text, analysis.path, style, parse)
    except FormatError as err:
        logger.warning("%s", err)
        return None
    if result.syntax_errors:
        return None
    return result.text


def format_edits(analysis: Analysis, options: types.FormattingOptions | None,
                 within: Span | None = None) -> list[types.TextEdit] | None:
    new = formatted_text(analysis, options)
    if new is None:
        return None
    old = analysis.text
    runs = whitespace_edits(old, new)
    if runs is None:  # not whitespace only: never expected, but then one edit for the whole
        return replace_all(old, new, analysis.positions) if within is None else []
    if within is not None:
        within = _whole_lines(analysis, within)
        # The runs that touch the lines, but not the line break after the last one (it leads the next line).
        runs = [(span, text) for span, text in runs if span.start < within.end and span.end >= within.start
                or span.start == within.end == span.end]
        runs = [clipped for run in runs if (clipped := _clip(old, run, within)) is not None]
    return [types.TextEdit(range=analysis.positions.range(span), new_text=text) for span, text in runs]


def _clip(old: str, run: tuple[Span, str], within: Span) -> tuple[Span, str] | None:
    """The edit of a whitespace run cut to the range: the blanks outside it stay as they are.

    None when the edit cannot be cut so (it joins a line outside the range to
    one inside, as a `{` moved to its header's line): it is left out.
    """
    span, text = run
    if span.start < within.start:
        kept = old[span.start:within.start]
        if not text.startswith(kept):
            return None
        span, text = Span(within.start, span.end), text[len(kept):]
    if span.end > within.end:
        kept = old[within.end:span.end]
        if not text.endswith(kept) or len(text) < len(kept):
            return None
        span, text = Span(span.start, within.end), text[:len(text) - len(kept)]
    return span, text


def _whole_lines(analysis: Analysis, within: Span) -> Span:
    """A range widened to its lines (a selection ending at a line's start ends on the line before)."""
    positions = analysis.positions
    first = positions.line_of(within.start)
    last = positions.line_of(within.end)
    if last > first and positions.line_starts[last] == within.end:
        last -= 1
    return Span(positions.line_starts[first], positions.line_span(last).end)


def whitespace_edits(old: str, new: str) -> list[tuple[Span, str]] | None:
    """The whitespace runs of `old` to replace to get `new`; None if they differ in more than whitespace."""
    old_runs = _runs(old)
    new_runs = _runs(new)
    if _BLANKS.sub("", old) != _BLANKS.sub("", new):
        return None
    old_keys = sorted(old_runs)
    cumulative = []
    total = 0
    for key in old_keys:
        start, end = old_runs[key]
        total += end - start
        cumulative.append(total)
    edits = []
    for key in sorted(set(old_runs) | set(new_runs)):
        if key in old_runs:
            span = Span(*old_runs[key])
        else:
            # No blank between these two characters in the old text: an empty span where they meet.
            i = bisect.bisect_left(old_keys, key)
            offset = key + (cumulative[i - 1] if i else 0)
            span = Span(offset, offset)
        replacement = new[new_runs[key][0]:new_runs[key][1]] if key in new_runs else ""
        if old[span.start:span.end] != replacement:
            edits.append((span, replacement))
    return edits


def _runs(text: str) -> dict[int, tuple[int, int]]:
    """Each whitespace run, by how many non-blank characters come before it."""
    runs = {}
    blanks = 0
    for match in _BLANKS.finditer(text):
        runs[match.start() - blanks] = (match.start(), match.end())
        blanks += match.end() - match.start()
    return runs
