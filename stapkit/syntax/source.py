"""Reading script files: bytes to text, with a diagnostic instead of an exception.

stap reads bytes; stapkit reads text, so that columns count characters.
Bytes that are not UTF-8 become U+FFFD (with a warning), or, for a text that
is written back (format, lint --fix), lone surrogates that encode back to the
same bytes (stapkit/fileio.py): inside a comment or a string that is
harmless, anywhere else the lexer reports them as the invalid characters
they are for stap too.  A file with NUL bytes is binary
and is not parsed at all.
"""

from __future__ import annotations

import sys

import attrs

from ..diagnostics import Diagnostic, Severity, Span
from . import codes

# Larger files are refused: no SystemTap script comes close (the biggest file
# of the tapset library is ~110 kB), and parsing one would take minutes.
DEFAULT_MAX_FILE_SIZE = 8 * 1024 * 1024

STDIN_PATH = "-"


@attrs.frozen
class Source:
    path: str  # as given by the user ("-" for standard input)
    text: str | None  # None when the file could not be read as text
    diagnostics: tuple[Diagnostic, ...] = ()


def read_source(path: str, *, max_size: int = DEFAULT_MAX_FILE_SIZE, display_path: str | None = None,
                exact: bool = False) -> Source:
    """The text of a script file (or of standard input, "-"), or diagnostics that say why not.

    Only a regular file is opened (stapkit/fileio.py).  `exact`: bytes that are
    not UTF-8 are kept as lone surrogates, for a text that is written back.
    """
    from ..fileio import FileError, FileTooLarge, read_bytes

    shown = display_path or path
    try:
        if path == STDIN_PATH:
            data = sys.stdin.buffer.read(max_size + 1)
        else:
            data = read_bytes(path, max_size)
    except FileTooLarge as err:
        return _too_large(shown, err.size, max_size)
    except FileError as err:
        return _failure(shown, err.reason)
    except OSError as err:
        return _failure(shown, err.strerror or str(err))
    if len(data) > max_size:
        return _too_large(shown, len(data), max_size)
    return decode_source(shown, data, exact=exact)


def decode_source(path: str, data: bytes, *, exact: bool = False) -> Source:
    """`exact`: bytes that are not UTF-8 become lone surrogates (stapkit.fileio.exact_text), which
    are written back as the same bytes; else U+FFFD, for a text that is only shown."""
    nul = data.find(b"\0")
    if nul >= 0:
        return Source(path, None, (
            Diagnostic(codes.BINARY_FILE,
                       f"not a text file: it contains a NUL byte at offset {nul}; not parsed",
                       Span(0, 0)),
        ))
    try:
        return Source(path, data.decode("utf-8"))
    except UnicodeDecodeError as err:
        if exact:
            from ..fileio import exact_text

            text = exact_text(data)
            kept = "such bytes are kept as they are"
        else:
            text = data.decode("utf-8", errors="replace")
            kept = "such bytes are read as U+FFFD"
        # The character offset of the first bad byte: decode what precedes it.
        offset = len(data[: err.start].decode("utf-8", errors="replace"))
        return Source(path, text, (
            Diagnostic(codes.INVALID_UTF8, f"invalid UTF-8 (byte 0x{data[err.start]:02x}); {kept}",
                       Span(offset, offset + 1), Severity.WARNING),
        ))


def _failure(path: str, reason: str) -> Source:
    return Source(path, None, (
        Diagnostic(codes.UNREADABLE_FILE, f"cannot read '{path}': {reason}", Span(0, 0)),
    ))


def _too_large(path: str, size: int, limit: int) -> Source:
    return Source(path, None, (
        Diagnostic(codes.UNREADABLE_FILE,
                   f"'{path}' is too large to check ({_size(size)}; the limit is {_size(limit)}, "
                   f"see --max-file-size)", Span(0, 0)),
    ))


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MiB"
    if n >= 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n} bytes"
