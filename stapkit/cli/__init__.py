"""The `stapkit` command.  Each subcommand lives in its own module, imported only when run."""

from __future__ import annotations

import argparse
import sys

from . import exit_codes
from .interrupts import INTERRUPTED_STATUS, MESSAGE, FirstInterruptOnly

BUG_REPORT_HINT = "this is a bug in stapkit; please report it with the file that caused it"


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__
    from .parse_command import add_arguments as add_parse_arguments
    from .target_options import add_config_arguments, add_target_arguments

    parser = argparse.ArgumentParser(
        prog="stapkit",
        description="Parse, check, format and lint SystemTap scripts - no stap, root or debuginfo needed.",
    )
    parser.add_argument("--version", action="version", version=f"stapkit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    parse = commands.add_parser(
        "parse", help="check syntax and preprocessing; print the syntax tree with --ast",
        description="Check the syntax of SystemTap scripts (stap's pass 1, for every branch of "
                    "every %( %) conditional) and print each problem with its code and location. "
                    "Exit status: 0 no syntax error, 1 syntax errors, 2 usage or I/O error.")
    add_parse_arguments(parse)
    add_target_arguments(parse)
    add_config_arguments(parse)
    from .lint_command import add_arguments as add_lint_arguments

    lint = commands.add_parser(
        "lint", help="check scripts as stap -p2 does, offline, and run the lint rules",
        description="Check SystemTap scripts: syntax (as 'parse'), then what stap's pass 2 checks - "
                    "symbols, types, probe points against the tapset database, context variables, "
                    "versions, privilege - then the lint rules, reporting every problem with its code "
                    "and location; --fix applies the safe fixes. Exit status: 0 nothing at or above "
                    "--fail-on, 1 findings, 2 usage, configuration or I/O error.")
    add_lint_arguments(lint)
    add_target_arguments(lint)
    add_config_arguments(lint)
    from .format_command import add_arguments as add_format_arguments

    fmt = commands.add_parser(
        "format", help="lay scripts out in the canonical style (comments, conditionals, embedded C kept)",
        description="Format SystemTap scripts: canonical indentation and spacing, every comment, "
                    "conditional branch and embedded-C block kept; the result is checked to be the same "
                    "program. Exit status: 0 done (or nothing to change), 1 --check/--diff: a file would "
                    "change, 2 usage, I/O or syntax error.")
    add_format_arguments(fmt)
    from .config_command import add_arguments as add_config_command_arguments

    config = commands.add_parser(
        "config", help="show the settings that apply to a file or directory, and their file",
        description="Show the effective settings for PATH: those of the closest stapkit.toml, "
                    ".stapkit.toml or pyproject.toml [tool.stapkit], and the defaults for the rest. "
                    "Exit status: 0 shown, 2 a missing path or a bad configuration file.")
    add_config_command_arguments(config)
    from .db_command import add_arguments as add_db_arguments

    db = commands.add_parser(
        "db", help="the tapset database: build it, or ask it what SystemTap's library offers",
        description="The tapset database: the probe aliases, functions, globals and macros of the "
                    "SystemTap library, and its built-in probe families. 'list' is an offline stap -l, "
                    "'show' an offline stap -L.")
    add_db_arguments(db)
    from .rules_command import add_rule_arguments, add_rules_arguments

    rules = commands.add_parser(
        "rules", help="list every code: its name, severity, stage, fix and what it finds",
        description="List every code stapkit reports - the parser's, the checker's and the lint rules' - "
                    "with its name, default severity, the stage that reports it, the kind of fix it offers "
                    "and what it finds.")
    add_rules_arguments(rules)
    rule = commands.add_parser(
        "rule", help="show one code's page: what it finds, why it matters, an example, the fix",
        description="Show the documentation page of one code (docs/rules/CODE.md). A rule's name works "
                    "too. Exit status: 0 shown, 2 unknown code.")
    add_rule_arguments(rule)
    from ..lsp.cli import DESCRIPTION as LSP_DESCRIPTION, HELP as LSP_HELP, add_arguments as add_lsp_arguments

    lsp = commands.add_parser("lsp", help=LSP_HELP, description=LSP_DESCRIPTION)
    add_lsp_arguments(lsp)
    return parser


def main(argv: list[str] | None = None) -> int:
    with FirstInterruptOnly():
        try:
            return _main(argv)
        except KeyboardInterrupt:
            return _interrupted()


def _interrupted() -> int:
    try:
        print(MESSAGE, file=sys.stderr)
    except OSError:
        pass
    return INTERRUPTED_STATUS


def _main(argv: list[str] | None) -> int:
    # Syntax trees are at most a few hundred levels deep (the parser refuses
    # deeper ones); give the code that walks them room.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    # A file name that is not UTF-8 comes back from the file system with surrogate
    # escapes: print it escaped rather than fail on it.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    from ..errors import UserError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit:
        return exit_codes.ERROR if exit.code not in (0, None) else exit_codes.SUCCESS
    if args.command is None:
        parser.print_help(sys.stderr)
        return exit_codes.ERROR
    try:
        if args.command == "parse":
            from .parse_command import run

            return run(args)
        if args.command == "lint":
            from .lint_command import run

            return run(args)
        if args.command == "format":
            from .format_command import run

            return run(args)
        if args.command == "config":
            from .config_command import run

            return run(args)
        if args.command == "db":
            from .db_command import run

            return run(args)
        if args.command == "rules":
            from .rules_command import run_rules

            return run_rules(args)
        if args.command == "rule":
            from .rules_command import run_rule

            return run_rule(args)
        if args.command == "lsp":
            from ..lsp.cli import run

            return run(args)
    except UserError as err:  # the user's to fix (a bad configuration file, ...): one line, no "bug"
        print(f"stapkit: error: {err}", file=sys.stderr)
        return exit_codes.ERROR
    except BrokenPipeError:
        return exit_codes.SUCCESS
    except Exception as err:  # an internal error: say so, never a bare traceback
        import traceback

        print(f"stapkit: internal error: {type(err).__name__}: {err}", file=sys.stderr)
        print(f"stapkit: {BUG_REPORT_HINT}", file=sys.stderr)
        import os

        if os.environ.get("STAPKIT_DEBUG"):
            traceback.print_exc()
        return exit_codes.ERROR
    return exit_codes.ERROR


def entry_point() -> None:
    # Kept to the end of the process: a Ctrl-C after the command has finished does nothing.
    guard = FirstInterruptOnly(keep=True)
    with guard:
        try:
            status = main()
            guard.ignore_from_now()
        except KeyboardInterrupt:  # between main's return and the line above
            status = _interrupted()
        guard.ignore_from_now()
    sys.exit(status)
