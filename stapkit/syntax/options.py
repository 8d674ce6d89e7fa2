"""How a script is read: the options of the parser (a module of its own, so that the
command line can build them without importing the parser)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Mapping

import attrs

from .source import DEFAULT_MAX_FILE_SIZE
from .target import Target

if TYPE_CHECKING:
    from .preprocessor import MacroDef


@attrs.frozen
class ParseOptions:
    target: Target = Target()
    guru: bool = False  # -g for every file
    args: tuple[str, ...] | None = None  # the script's arguments; None: $1/@1 stay placeholders
    tapset: bool = False  # read as a file of the tapset library (guru mode, all language features)
    # Tapset roots to read library macros (.stpm) from; None: the local SystemTap's, if any.
    tapset_roots: tuple[Path, ...] | None = None
    # Library macros to use instead of reading them (the tapset DB provides these).
    library_macros: Mapping[str, MacroDef] | None = None
    check_all_branches: bool = True  # also parse the branches of %( %) the target does not take
    honour_first_line: bool = True  # apply `#! stap -g ...` options
    # A library macro file: only @define's (and conditionals) allowed.  None: a .stpm path.
    macro_file: bool | None = None
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    warnings_as_errors: bool = False  # stap -W for every file (a `-W` on a file's first line does it too)
