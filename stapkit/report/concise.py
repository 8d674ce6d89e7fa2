"""The concise output: one line a diagnostic, in the form compilers use.

    probe.stp:6:18: error: unresolved function 'exename' (did you mean 'execname'?) [STP101]
    probe.stp:5:15: error: type mismatch: 'counts' is string, the value assigned is long [STP105]
    probe.stp:4:3: note: type of 'counts' was first inferred here (string)

This is the `file:line:column: severity: message` line of gcc and clang, which
editors already parse: Vim's default 'errorformat' (and `%f:%l:%c: %t%*[^:]: %m`,
whose %t takes the first letter: e, w, i, n), Emacs's compilation mode (its
`gnu` pattern; `info` and `note` lines are informational there) and VS Code
problem matchers such as `$gcc`, which reads `error` and `warning` lines and
skips the others.  Choices, made so those patterns keep working:

* Line and column are 1-based, the column counted in characters.  The end of
  the range is not shown: gcc and clang do not print one by default, and the
  editors' patterns would take it for part of the message or fail.
* The severity is `error`, `warning` or `info`, the words of the JSON output.
* The code comes last, in brackets, as gcc puts its warning option.
* Each related place (a first definition, the macro a token came from) follows
  its diagnostic as a line of its own, `file:line:column: note: message`, the
  way gcc prints its notes: an editor lists it as a note it can jump to.  When
  its position cannot be known (no text for its file), the note is left out.
* Hints are left out: they have no place of their own, and a line without one
  would not parse.  `--output-format text` and `json` show them.
* A line break inside a path or a message is written as `\\n` (`\\r` for a
  carriage return), so that every diagnostic stays on one line.
"""

from __future__ import annotations

from typing import NamedTuple

from ..diagnostics import LineIndex, Related
from .location import Located


def render_concise(items: list[Located], index_for=None) -> str:
    """The lines for `items`, each ending in a newline ("" for none).

    `index_for(path)` gives the LineIndex of a file, for the notes of related
    places in it; without it only the notes whose Related carries its own
    text are shown."""
    lines = []
    for item in items:
        d = item.diagnostic
        lines.append(f"{_one_line(item.path)}:{item.line}:{item.column}: {d.severity.value}: "
                     f"{_one_line(d.message)} [{d.code}]")
        for related in d.related:
            place = locate_related(item, related, index_for)
            if place is not None:
                lines.append(f"{_one_line(place.path)}:{place.line}:{place.column}: note: "
                             f"{_one_line(related.message)}")
    return "".join(line + "\n" for line in lines)


class RelatedPlace(NamedTuple):
    path: str
    line: int
    column: int
    end_line: int
    end_column: int  # exclusive, as in Located


def locate_related(item: Located, related: Related, index_for=None) -> RelatedPlace | None:
    """Where a related place is, or None when its position cannot be known.

    A Related with no path is in the diagnostic's own file; one that carries
    its file's text is located in that text."""
    path = related.path or item.path
    if related.text is not None:
        index = LineIndex(related.text)
    else:
        index = index_for(path) if index_for is not None else None
    if index is None:
        return None
    line, column = index.line_col(related.span.start)
    end_line, end_column = index.line_col(related.span.end)
    return RelatedPlace(path, line, column, end_line, end_column)


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")
