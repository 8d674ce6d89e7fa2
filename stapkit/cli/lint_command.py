"""`stapkit lint`: syntax, then stap's pass-2 checks (symbols, types, probe points), offline.

The files, options and output are those of `stapkit parse`; each file that
parses is then checked by the semantic checker (stapkit/semantic/).
"""

from __future__ import annotations

from pathlib import Path


def add_arguments(parser) -> None:
    from .parse_command import add_arguments as add_parse_arguments

    add_parse_arguments(parser, ast=False)
    parser.add_argument("--db", metavar="FILE", type=Path,
                        help="the tapset database (default: $STAPKIT_TAPSET_DB, the user-built one, "
                             "else the embedded SystemTap 4.8 one)")
    parser.add_argument("--explain-unverifiable", action="store_true",
                        help="say which probe points only the target system can confirm "
                             "(a kernel function, a module, a binary): info-level STP210")


def run(args) -> int:
    from ..semantic.checker import CheckOptions
    from ..tapsets.db import DatabaseError
    from .files import error
    from . import exit_codes
    from .parse_command import run as run_files

    args.summary_verb = "checked"
    try:
        from ..semantic.checker import load_db

        load_db(args.db)
    except DatabaseError as err:
        error(str(err))
        return exit_codes.ERROR
    return run_files(args, CheckOptions(db_path=args.db, explain_unverifiable=args.explain_unverifiable))
