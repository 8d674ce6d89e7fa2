"""SDT markers: the `.note.stapsdt` notes that `<sys/sdt.h>` (DTRACE_PROBEn, STAP_PROBEn)
compiles into a program.

Each note (owner "stapsdt", type 3) describes one marker: three addresses of the
ELF class's word size (the probe's pc, the `.stapsdt.base` address it is relative
to, the semaphore's address or 0), then three NUL-terminated strings: the
provider, the marker's name and its arguments, separated by spaces.  An argument
is `SIZE@LOCATION` where a negative SIZE means a signed value (`-4@%edi` is a
signed 32-bit int in edi), and newer sdt.h versions add `f` for floating point
(`8f@%xmm0`).  stap gives each as `$argN`, a long, in the order written.
"""

from __future__ import annotations

import re
import struct

import attrs

NOTE_OWNER = "stapsdt"
NOTE_TYPE = 3
MAX_ARGS = 12  # sdt.h's STAP_PROBE12 is the longest form
_ARGUMENT = re.compile(r"^(-?)(\d+)(f?)@(.+)$")


@attrs.frozen
class MarkerArg:
    size: int  # in bytes (1, 2, 4 or 8); 0 when the note does not say
    signed: bool
    floating: bool
    location: str  # the assembler operand: `%edi`, `8(%rsp)`, `$5`

    @property
    def c_type(self) -> str:
        """The C type the size and sign stand for (`int32_t`, `uint64_t`, `double`)."""
        if self.floating:
            return {4: "float", 8: "double"}.get(self.size, f"float{self.size * 8}")
        if not self.size:
            return "long"
        return f"{'' if self.signed else 'u'}int{self.size * 8}_t"


@attrs.frozen
class Marker:
    provider: str
    name: str
    args: tuple[MarkerArg, ...]
    pc: int
    semaphore: int  # its address; 0: the marker has none (it always fires)

    def signature(self) -> str:
        """`provider:name($arg1:int32_t, $arg2:uint64_t)`, as a hover or `db show` gives it."""
        args = ", ".join(f"$arg{i}:{a.c_type}" for i, a in enumerate(self.args, 1))
        return f"{self.provider}:{self.name}({args})"


class NoteError(ValueError):
    """A stapsdt note that is not what sdt.h writes."""


def parse_note(desc: bytes, word_size: int, little_endian: bool) -> Marker:
    """The Marker of one note's descriptor.  Raises NoteError for a damaged one."""
    head = 3 * word_size
    if len(desc) < head + 3:
        raise NoteError(f"a stapsdt note of {len(desc)} bytes is too short")
    fmt = ("<" if little_endian else ">") + ("Q" if word_size == 8 else "I") * 3
    pc, _base, semaphore = struct.unpack_from(fmt, desc, 0)
    strings = desc[head:].split(b"\0")
    if len(strings) < 3:
        raise NoteError("a stapsdt note without its provider, name and arguments")
    provider, name, args = (s.decode("utf-8", "replace") for s in strings[:3])
    if not provider or not name:
        raise NoteError("a stapsdt note with an empty provider or name")
    return Marker(provider, name, parse_arguments(args), pc, semaphore)


def parse_arguments(text: str) -> tuple[MarkerArg, ...]:
    found = []
    for word in text.split()[:MAX_ARGS]:
        m = _ARGUMENT.match(word)
        if m is None:  # a location with no size (very old sdt.h): a long of unknown sign
            found.append(MarkerArg(0, True, False, word))
            continue
        sign, size, floating, location = m.groups()
        found.append(MarkerArg(int(size), bool(sign), bool(floating), location))
    return tuple(found)
