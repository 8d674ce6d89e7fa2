"""Values of literal tokens, as stap's lexer and parser compute them."""

from __future__ import annotations

# Escapes stap keeps verbatim (with their backslash) in a string's value, to be
# emitted into a C literal later; for any other character the backslash is
# dropped ("\q" is "q", "\"" is '"').  "\x" joined the list in SystemTap 2.3.
_KEPT_ESCAPES = frozenset("abtnvfr01234567\\x")
_KEPT_ESCAPES_BEFORE_2_3 = _KEPT_ESCAPES - {"x"}

UINT64_MAX = (1 << 64) - 1
INT64_MIN = -(1 << 63)


def string_value(token_text: str, version: tuple[int, ...] = (5, 6)) -> str:
    """The value of a string token written as `"..."` (quotes included)."""
    body = token_text[1:-1]
    if "\\" not in body:
        return body
    kept = _KEPT_ESCAPES if version >= (2, 3) else _KEPT_ESCAPES_BEFORE_2_3
    out = []
    i = 0
    n = len(body)
    while i < n:
        ch = body[i]
        if ch == "\\" and i + 1 < n:
            nxt = body[i + 1]
            if nxt in kept:
                out.append(ch)
            out.append(nxt)
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def quote_string(value: str) -> str:
    """Source text for a string value: `string_value(quote_string(v)) == v`.

    Only '"' needs a backslash: every backslash left in a value is the start of
    an escape stap keeps verbatim, and writing it back verbatim reproduces it.
    A value cannot hold a line break that was not escaped in the source, so one
    is written as an escaped line break (which stap reads back as itself).
    """
    return '"' + value.replace('"', '\\"').replace("\n", "\\\n") + '"'


def number_value(text: str) -> int | None:
    """The value of a number token, as C's strtoull(text, 0) reads it; None if invalid.

    Decimal, 0x hexadecimal or 0-prefixed octal; the whole token must be used
    and the value must fit in 64 bits unsigned.  Values above INT64_MAX wrap
    to negative, as stap stores them in an int64_t.
    """
    try:
        if len(text) > 1 and text[0] == "0":
            if text[1] in "xX":
                digits = text[2:]
                if not digits or not all(c in "0123456789abcdefABCDEF" for c in digits):
                    return None
                value = int(digits, 16)
            else:
                if not all(c in "01234567" for c in text):
                    return None
                value = int(text, 8)
        else:
            if not text.isdigit() or not text.isascii():
                return None
            value = int(text)
    except ValueError:
        return None
    if value > UINT64_MAX:
        return None
    return value


def wrap_int64(value: int) -> int:
    """An unsigned 64-bit value as stap's int64_t holds it."""
    return value - (1 << 64) if value >= (1 << 63) else value


def source_offset(pieces: tuple[str, ...], value_offset: int, version: tuple[int, ...] = (5, 6)) -> int | None:
    """Where character `value_offset` of a glued string's value is in its source text.

    `pieces` are the string tokens as written (quotes included), separated in
    the source by one space (as the printer writes them) or anything else: the
    result is an offset from the start of the first piece, assuming the pieces
    are adjacent, so it is exact for a single piece.  None for an @N argument.
    """
    kept = _KEPT_ESCAPES if version >= (2, 3) else _KEPT_ESCAPES_BEFORE_2_3
    produced = 0
    position = 0
    for piece in pieces:
        if not piece.startswith('"'):
            return None
        i = 1
        end = len(piece) - 1
        while i < end:
            if produced == value_offset:
                return position + i
            if piece[i] == "\\" and i + 1 < end:
                produced += 2 if piece[i + 1] in kept else 1
                i += 2
            else:
                produced += 1
                i += 1
        position += len(piece) + 1
    return None
