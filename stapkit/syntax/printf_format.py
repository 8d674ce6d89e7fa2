"""printf-family format strings: `"%-5d %s\\n"` into literal text and conversions.

The rules are those of stap's `print_format::string_to_components`
(staptree.cxx):

    %%                                       a literal percent
    % [flag] [width] [.precision] [l] conv
    flag       one of 0 + - space #          (only one)
    width      digits or *                   (* takes a long argument)
    precision  . then digits or *            (* takes a long argument)
    l          ignored
    conv       b c s m M d i u o x X p       (%s takes a string, the others a long)

A `%` at the very end is an error (stap 4.8 reports it as an invalid
conversion, though the code means it as a literal).
"""

from __future__ import annotations

from typing import NamedTuple


class Conversion(NamedTuple):
    offset: int  # of the '%' in the format value
    text: str  # "%-5d"
    flag: str  # "" or one of "0+- #"
    width: str  # "", digits, or "*"
    precision: str  # "", digits, or "*"
    conversion: str  # b c s m M d i u o x X p

    @property
    def takes_string(self) -> bool:
        return self.conversion == "s"

    @property
    def argument_count(self) -> int:
        """How many arguments it consumes: the value, plus one per '*'."""
        return 1 + (self.width == "*") + (self.precision == "*")


class FormatError(NamedTuple):
    offset: int
    message: str


CONVERSIONS = frozenset("bcsmMdiuoxXp")
FLAGS = frozenset("0+- #")


def parse_format(value: str) -> tuple[list[Conversion], FormatError | None]:
    """The conversions of a format string value, and the first error if any."""
    conversions: list[Conversion] = []
    i = 0
    n = len(value)
    while i < n:
        if value[i] != "%":
            i += 1
            continue
        start = i
        if i + 1 < n and value[i + 1] == "%":
            i += 2
            continue
        if i + 1 == n:
            return conversions, FormatError(start, "invalid or missing conversion specifier "
                                                   "(a literal '%' is written '%%')")
        i += 1
        flag = ""
        if value[i] in FLAGS:
            flag = value[i]
            i += 1
        width = ""
        if i < n and value[i] == "*":
            width = "*"
            i += 1
        else:
            while i < n and value[i].isdigit():
                width += value[i]
                i += 1
        precision = ""
        if i < n and value[i] == ".":
            i += 1
            if i < n and value[i] == "*":
                precision = "*"
                i += 1
            else:
                while i < n and value[i].isdigit():
                    precision += value[i]
                    i += 1
        if i < n and value[i] == "l":
            i += 1
        if i >= n:
            return conversions, FormatError(start, "trailing incomplete print format conversion")
        conv = value[i]
        if conv not in CONVERSIONS:
            shown = value[start : i + 1]
            return conversions, FormatError(
                start, f"invalid or missing conversion specifier in '{shown}' "
                       f"(valid conversions: %b %c %s %m %M %d %i %u %o %x %X %p)")
        i += 1
        conversions.append(Conversion(start, value[start:i], flag, width, precision, conv))
    return conversions, None
