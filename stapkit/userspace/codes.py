"""The codes of what a user-space probe point's program says about it (points.py).

semantic/codes.py registers them with the checker's other codes; each has a page
docs/rules/<CODE>.md.  Like the kernel description's findings, they hold for the
program file checked, not for every build of it: they can be ignored and suppressed.
"""

from __future__ import annotations

from ..diagnostics import Severity
from ..syntax.codes import CodeInfo

UNVERIFIABLE_PROBE_POINT = "STP210"  # semantic/codes.py's (registered there): the notes points.py adds
UNKNOWN_SDT_MARKER = "STP213"
UNKNOWN_PROGRAM_FUNCTION = "STP214"
UNKNOWN_LIBRARY = "STP215"
UNREADABLE_PROGRAM = "STP216"
MARKER_ARGUMENT_COUNT = "STP330"
UNKNOWN_PROGRAM_VARIABLE = "STP331"

USERSPACE_CODES: dict[str, CodeInfo] = {
    info.code: info
    for info in (
        CodeInfo(UNKNOWN_SDT_MARKER, "unknown-sdt-marker", Severity.ERROR,
                 "with the program at hand: a .mark its SDT notes do not have"),
        CodeInfo(UNKNOWN_PROGRAM_FUNCTION, "unknown-program-function", Severity.WARNING,
                 "with the program at hand: a .function or .plt its symbol tables do not name"),
        CodeInfo(UNKNOWN_LIBRARY, "unknown-library", Severity.WARNING,
                 "with the program at hand: a .library that is not found, or that the program does not load"),
        CodeInfo(UNREADABLE_PROGRAM, "unreadable-program", Severity.ERROR,
                 "a process(...) or .library(...) file that is not ELF, or is damaged"),
        CodeInfo(MARKER_ARGUMENT_COUNT, "marker-argument-count", Severity.ERROR,
                 "with the program at hand: $argN beyond the SDT marker's arguments"),
        CodeInfo(UNKNOWN_PROGRAM_VARIABLE, "unknown-program-variable", Severity.WARNING,
                 "with the program's DWARF: a $name that is no parameter, local or global of the probed function"),
    )
}
