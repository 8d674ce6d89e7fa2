"""Diagnostics: the one record every stage of stapkit reports with.

The lexer, preprocessor, parser, checker and linter all produce `Diagnostic`
objects; only the front ends (the CLI reporters and the language server) turn
them into text, JSON or LSP messages.  A diagnostic holds character offsets,
not line numbers: `LineIndex` turns an offset into a 1-based line and column
when something is shown to a person.
"""

from __future__ import annotations

import bisect
import enum
from typing import NamedTuple

import attrs


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Applicability(enum.Enum):
    """How safe a fix is to apply without a person looking at it."""

    SAFE = "safe"  # cannot change what the script does
    UNSAFE = "unsafe"  # may change behaviour; applied only on request


class Span(NamedTuple):
    """A range of characters in one source text: `start` inclusive, `end` exclusive.

    A named tuple rather than an attrs class: every AST node has one, and the
    tapset library alone has a few hundred thousand nodes.
    """

    start: int
    end: int

    def contains(self, offset: int) -> bool:
        return self.start <= offset < self.end


@attrs.frozen
class Edit:
    span: Span  # the text replaced; an empty span inserts
    content: str = ""  # "" over a non-empty span deletes


@attrs.frozen
class Fix:
    title: str  # what a code action offers, e.g. "Replace '.' with '->'"
    edits: tuple[Edit, ...]  # sorted by span.start, non-overlapping
    applicability: Applicability = Applicability.SAFE


@attrs.frozen
class Related:
    """Another place that explains a diagnostic (first definition, macro body, ...)."""

    message: str
    path: str | None  # None: the same file as the diagnostic
    span: Span
    text: str | None = None  # that file's text, when it is not the diagnostic's file


@attrs.frozen
class Diagnostic:
    code: str  # "STP010"
    message: str
    span: Span
    severity: Severity = Severity.ERROR
    fix: Fix | None = None
    hints: tuple[str, ...] = ()  # extra lines shown under the message
    related: tuple[Related, ...] = ()


class LineIndex:
    """Maps character offsets of a text to 1-based (line, column) pairs and back.

    Lines end at "\\n" only, as stap counts them; a "\\r" before it is an
    ordinary character of the line, so CRLF files get the same line numbers.
    """

    __slots__ = ("text", "line_starts")

    def __init__(self, text: str):
        self.text = text
        starts = [0]
        find = text.find
        pos = find("\n")
        while pos >= 0:
            starts.append(pos + 1)
            pos = find("\n", pos + 1)
        self.line_starts = starts

    def line_col(self, offset: int) -> tuple[int, int]:
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.line_starts, offset) - 1
        return line + 1, offset - self.line_starts[line] + 1

    def offset(self, line: int, column: int) -> int:
        """The offset of a 1-based line and column (clamped to the text)."""
        if line < 1:
            return 0
        if line > len(self.line_starts):
            return len(self.text)
        start = self.line_starts[line - 1]
        return min(start + max(column, 1) - 1, self.line_end(line))

    def line_text(self, line: int) -> str:
        """The text of a 1-based line, without its line break."""
        start = self.line_starts[line - 1]
        return self.text[start : self.line_end(line)].rstrip("\r")

    def line_end(self, line: int) -> int:
        if line < len(self.line_starts):
            return self.line_starts[line] - 1
        return len(self.text)

    @property
    def line_count(self) -> int:
        return len(self.line_starts)


def warnings_as_errors(diagnostics, why: str | None) -> list[Diagnostic]:
    """The diagnostics with each warning made an error, as stap -W does, saying `why`
    ("-W on the script's first line", "--warnings-as-errors"); unchanged when `why` is None."""
    if why is None:
        return list(diagnostics)
    return [attrs.evolve(d, severity=Severity.ERROR, hints=d.hints + (f"a warning, made an error by {why}",))
            if d.severity is Severity.WARNING else d for d in diagnostics]
