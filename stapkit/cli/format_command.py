"""`stapkit format`: lay scripts out in the canonical style, safely.

Files are rewritten whole (a temporary file beside them, then a rename,
keeping their mode); `-` formats standard input to standard output.
`--check` changes nothing and exits 1 if a file would change; `--diff`
prints what would change as a unified diff `git apply` takes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from . import exit_codes
from .files import collect, error, file_size, unified_diff, warn, write_atomically


def add_arguments(parser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files or directories (searched for *.stp and *.stpm); '-' formats standard input")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a file would be reformatted")
    parser.add_argument("--diff", action="store_true", help="change nothing; print a unified diff of the changes")
    parser.add_argument("--indent", metavar="N|tab",
                        help="one level of indentation: a tab or N spaces (default: 2 spaces)")
    parser.add_argument("--line-length", type=int, metavar="N", help="wrap lines longer than N (default: 100)")
    parser.add_argument("--stdin-filename", metavar="NAME",
                        help="the name to report for standard input (and to find its settings by)")
    parser.add_argument("-j", "--jobs", type=int, default=0, metavar="N",
                        help="format N files at once (default: one per core)")


def run(args) -> int:
    from ..config import ConfigError, find_config, load_config
    from ..syntax.source import decode_source, read_source

    paths = args.paths or ["-"]
    found = collect(paths)
    status = exit_codes.SUCCESS
    for path in found.missing:
        error(f"cannot read '{path}': No such file or directory")
        status = exit_codes.ERROR
    for directory in found.empty_dirs:
        warn(f"no SystemTap scripts (*.stp, *.stpm) in '{directory}'")
    configs: dict = {}
    changed = 0
    work = []
    for path in found.files:
        shown = (args.stdin_filename or "-") if path == "-" else path
        try:
            style = _style(args, shown, configs, find_config, load_config)
        except (ValueError, ConfigError) as err:
            error(str(err))
            status = exit_codes.ERROR
            continue
        work.append((path, shown, style))
    jobs = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
    disk = [(p, s, st) for p, s, st in work if p != "-"]
    done = dict(_in_parallel(disk, jobs)) if jobs > 1 and len(disk) > 4 else {}
    for path, shown, style in work:
        if path in done:
            source_text, result, problem = done[path]
        else:
            if path == "-":
                source = decode_source(shown, sys.stdin.buffer.read())
            else:
                source = read_source(path)
            if source.text is None:
                for d in source.diagnostics:
                    error(f"{shown}: {d.message}")
                status = exit_codes.ERROR
                continue
            source_text, result, problem = _format_one((source.text, shown, style))
        if source_text is None:
            error(problem)
            status = exit_codes.ERROR
            continue
        if problem is not None:
            error(f"{problem} (this is a bug in stapkit; please report it with the file)")
            status = exit_codes.ERROR
            if path == "-" and not (args.check or args.diff):
                sys.stdout.write(source_text)
            continue
        if result.syntax_errors:
            first = result.syntax_errors[0]
            line = source_text.count("\n", 0, first.span.start) + 1
            column = first.span.start - (source_text.rfind("\n", 0, first.span.start) + 1) + 1
            error(f"{shown}:{line}:{column}: not formatted: {first.message} [{first.code}]"
                  + (f" (and {len(result.syntax_errors) - 1} more syntax errors)" if len(result.syntax_errors) > 1
                     else ""))
            status = exit_codes.ERROR
            if path == "-" and not (args.check or args.diff):
                sys.stdout.write(source_text)
            continue
        if result.changed:
            changed += 1
        if args.diff:
            if result.changed:
                sys.stdout.write(unified_diff(source_text, result.text, shown))
        elif args.check:
            if result.changed:
                print(f"would reformat {shown}", file=sys.stderr)
        elif path == "-":
            sys.stdout.write(result.text)
        elif result.changed:
            try:
                write_atomically(path, result.text, keep_mode=True)
            except OSError as err:
                error(f"cannot write '{path}': {err.strerror or err}")
                status = exit_codes.ERROR
    if (args.check or args.diff) and changed and status == exit_codes.SUCCESS:
        status = exit_codes.FINDINGS
    if args.check or not (args.diff or paths == ["-"]):
        files = len(found.files)
        verb = "would be reformatted" if args.check else "reformatted"
        print(f"{changed} file{'s' if changed != 1 else ''} {verb}, {files - changed} left unchanged",
              file=sys.stderr)
    return status


def _format_one(job):
    """(text, FormatResult, None) or (text, None, the FormatError's message)."""
    from ..format.formatter import FormatError, format_text

    text, shown, style = job
    try:
        return text, format_text(text, shown, style), None
    except FormatError as err:
        return text, None, str(err)


def _read_and_format(job):
    from ..syntax.source import read_source

    path, shown, style = job
    source = read_source(path)
    if source.text is None:
        return path, (None, None, "; ".join(f"{shown}: {d.message}" for d in source.diagnostics))
    return path, _format_one((source.text, shown, style))


def _in_parallel(work, jobs):
    from ..syntax.grammar import tables
    from .parallel import map_in_processes

    tables()  # load once here: forked workers inherit it
    work = sorted(work, key=lambda job: -file_size(job[0]))  # largest first: the workers finish together
    yield from map_in_processes(_read_and_format, work, jobs, name_of=lambda job: f"'{job[0]}'")


def _style(args, path: str, configs: dict, find_config, load_config):
    from ..config import indent_text
    from ..format.layout import Style

    where = Path(path) if path != "-" else Path.cwd()
    config_path = find_config(where)
    config = None
    if config_path is not None:
        if config_path not in configs:
            configs[config_path] = load_config(config_path)
        config = configs[config_path]
    default = Style()
    indent = config.format_indent if config is not None and config.format_indent else default.indent
    length = config.format_line_length if config is not None and config.format_line_length else default.line_length
    if args.indent is not None:
        def bad(problem):
            raise ValueError(f"--indent: {problem}")
        indent = indent_text(args.indent, bad)
    if args.line_length is not None:
        if not 20 <= args.line_length <= 1000:
            raise ValueError("--line-length: must be from 20 to 1000")
        length = args.line_length
    return Style(indent=indent, line_length=length)


