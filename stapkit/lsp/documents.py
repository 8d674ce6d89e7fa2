"""Open documents, and the mapping between character offsets and LSP positions.

stapkit works in character offsets (Python string indexes); the protocol
speaks in (line, character) pairs where `character` counts code units of the
encoding agreed at initialization: UTF-16 unless the client offers UTF-8 or
UTF-32.  A character outside the Basic Multilingual Plane is one offset but
two UTF-16 units (and four UTF-8 units).

Lines end at "\\n", "\\r\\n" or a lone "\\r", as the protocol says.  (The
parser counts only "\\n"; the difference matters only for a lone "\\r",
which no SystemTap script has on purpose.)  The text is kept here, not in
pygls's workspace: pygls splits lines with `str.splitlines`, which also
breaks at form feeds and Unicode line separators, and would apply edits of
a document holding one of those to the wrong place.
"""

from __future__ import annotations

import bisect
import re
from typing import NamedTuple

from lsprotocol import types

from ..diagnostics import LineIndex, Span
from ..syntax.reuse import DeclarationReuse

UTF8 = "utf-8"
UTF16 = "utf-16"
UTF32 = "utf-32"

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class PositionMap:
    """Offsets of one text to LSP positions and back, in one encoding."""

    __slots__ = ("text", "encoding", "line_starts")

    def __init__(self, text: str, encoding: str = UTF16):
        self.text = text
        self.encoding = encoding
        if "\r" in text:  # LSP counts a lone \r as a line break too; stap does not
            self.line_starts = [0] + [m.end() for m in _LINE_BREAK.finditer(text)]
        else:
            self.line_starts = LineIndex(text).line_starts

    @property
    def line_count(self) -> int:
        return len(self.line_starts)

    def line_span(self, line: int) -> Span:
        """The 0-based line's characters, without its line break."""
        line = max(0, min(line, len(self.line_starts) - 1))
        start = self.line_starts[line]
        if line + 1 < len(self.line_starts):
            end = self.line_starts[line + 1]
            # Step back over the line break ("\r\n" is two characters).
            end -= 2 if self.text.startswith("\r\n", end - 2) else 1
        else:
            end = len(self.text)
        return Span(start, end)

    def line_of(self, offset: int) -> int:
        offset = max(0, min(offset, len(self.text)))
        return bisect.bisect_right(self.line_starts, offset) - 1

    def _units(self, piece: str) -> int:
        if piece.isascii() or self.encoding == UTF32:
            return len(piece)
        if self.encoding == UTF8:
            return len(piece.encode("utf-8", "surrogatepass"))
        return len(piece) + sum(1 for ch in piece if ord(ch) > 0xFFFF)

    def position(self, offset: int) -> types.Position:
        offset = max(0, min(offset, len(self.text)))
        line = self.line_of(offset)
        start = self.line_starts[line]
        end = self.line_span(line).end
        return types.Position(line=line, character=self._units(self.text[start:min(offset, end)]))

    def offset(self, position: types.Position) -> int:
        """The offset of a position; past the end of a line is its end, past the last line the text's end."""
        if position.line < 0:
            return 0
        if position.line >= len(self.line_starts):
            return len(self.text)
        span = self.line_span(position.line)
        wanted = max(0, position.character)
        line_text = self.text[span.start:span.end]
        if line_text.isascii() or self.encoding == UTF32:
            return span.start + min(wanted, len(line_text))
        units = 0
        for i, ch in enumerate(line_text):
            if units >= wanted:
                return span.start + i
            code = ord(ch)
            if self.encoding == UTF8:
                units += 1 if code < 0x80 else 2 if code < 0x800 else 3 if code < 0x10000 else 4
            else:
                units += 2 if code > 0xFFFF else 1
        return span.end

    def range(self, span: Span) -> types.Range:
        return types.Range(start=self.position(span.start), end=self.position(max(span.start, span.end)))

    def span(self, range_: types.Range) -> Span:
        start = self.offset(range_.start)
        end = self.offset(range_.end)
        return Span(min(start, end), max(start, end))

    def whole(self) -> types.Range:
        return self.range(Span(0, len(self.text)))


class Snapshot(NamedTuple):
    """One version of a document's text (read and replaced as a whole, so threads see a consistent pair)."""

    version: int
    text: str


class Document:
    """An open document: its URI, language and latest text."""

    def __init__(self, uri: str, text: str, version: int, language_id: str = "systemtap",
                 encoding: str = UTF16):
        self.uri = uri
        self.language_id = language_id
        self.encoding = encoding
        self.snapshot = Snapshot(version, text)
        self._positions: PositionMap | None = None
        self._reuse: tuple[object, DeclarationReuse] | None = None

    def reuse_for(self, options) -> DeclarationReuse:
        """What the checks of this document keep for the next one (syntax/reuse.py), under these settings.

        New settings start afresh: what the parse reads of them is in the keys, but no more is kept.
        """
        if self._reuse is None or self._reuse[0] != options:
            self._reuse = (options, DeclarationReuse())
        return self._reuse[1]

    @property
    def text(self) -> str:
        return self.snapshot.text

    @property
    def version(self) -> int:
        return self.snapshot.version

    @property
    def positions(self) -> PositionMap:
        positions = self._positions
        if positions is None or positions.text is not self.snapshot.text:
            positions = self._positions = PositionMap(self.snapshot.text, self.encoding)
        return positions

    def apply(self, changes, version: int) -> None:
        """Apply a didChange's content changes in order (each range refers to the text before it)."""
        text = self.snapshot.text
        for change in changes:
            if isinstance(change, types.TextDocumentContentChangePartial):
                positions = self.positions if text is self.snapshot.text else PositionMap(text, self.encoding)
                span = positions.span(change.range)
                text = text[:span.start] + change.text + text[span.end:]
            else:
                text = change.text
        self.snapshot = Snapshot(version, text)


class TextChange(NamedTuple):
    """Where two versions of a text differ: one changed stretch between a shared start and end.

    Lets a request on the newest text be answered from the analysis of an older
    one while the newest is checked: a position on a line the change did not
    touch means the same in both (TextChange.old_offset), and a span found in the
    old text is moved to the new one (TextChange.new_span).
    """

    prefix: int  # the length of the start both texts share
    old_end: int  # the old text's changed stretch is [prefix, old_end)
    new_end: int  # the new text's is [prefix, new_end)
    old_length: int
    new_length: int

    @classmethod
    def between(cls, old: str, new: str) -> "TextChange":
        # Binary searches over slice comparisons (done in C): O(n log n) characters compared.
        shortest = min(len(old), len(new))
        low, high = 0, shortest
        while low < high:
            mid = (low + high + 1) // 2
            if old[:mid] == new[:mid]:
                low = mid
            else:
                high = mid - 1
        prefix = low
        low, high = 0, shortest - prefix
        while low < high:
            mid = (low + high + 1) // 2
            if old[len(old) - mid:] == new[len(new) - mid:]:
                low = mid
            else:
                high = mid - 1
        return cls(prefix, len(old) - low, len(new) - low, len(old), len(new))

    def old_offset(self, new_text: str, offset: int) -> int | None:
        """The offset in the old text of a new one, if its whole line is outside the change; else None."""
        line_start = new_text.rfind("\n", 0, offset) + 1
        line_end = new_text.find("\n", offset)
        line_end = len(new_text) if line_end < 0 else line_end
        if line_end < self.prefix:
            return offset
        if line_start > self.new_end:
            return offset - self.new_length + self.old_length
        return None

    def new_span(self, span: Span) -> Span | None:
        """The span of the old text in the new one, if it is outside the change (not touching it); else None."""
        if span.end < self.prefix:
            return span
        if span.start > self.old_end:
            shift = self.new_length - self.old_length
            return Span(span.start + shift, span.end + shift)
        return None
