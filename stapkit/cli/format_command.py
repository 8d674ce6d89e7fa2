"""`stapkit format`: lay scripts out in the canonical style, safely.

Files are read and written with stapkit/fileio.py: bytes that are not UTF-8
come back as they were, a file is replaced atomically keeping its mode, a
symbolic link is written through and a hard link keeps its inode; `-`
formats standard input to standard output.
`--check` changes nothing and exits 1 if a file would change; `--diff`
prints what would change as a unified diff `git apply` takes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from . import exit_codes
from .files import collect, error, file_size, unified_diff, warn, write_stdout


def add_arguments(parser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files or directories (searched for *.stp and *.stpm); '-' formats standard input")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a file would be reformatted")
    parser.add_argument("--diff", action="store_true", help="change nothing; print a unified diff of the changes")
    parser.add_argument("--indent", metavar="N|tab",
                        help="one level of indentation: a tab or N spaces (default: 2 spaces)")
    parser.add_argument("--line-length", type=int, metavar="N", help="wrap lines longer than N (default: 100)")
    parser.add_argument("--brace-style", choices=("attach", "linux"),
                        help="the { of every block on its header's line (attach, the default), or that of a "
                             "probe or function body of several lines on a line of its own (linux)")
    parser.add_argument("--stdin-filename", metavar="NAME",
                        help="the name to report for standard input (and to find its settings by)")
    parser.add_argument("--max-file-size", type=int, metavar="BYTES",
                        help="refuse larger files (default: the configuration's max-file-size, else 8 MiB)")
    parser.add_argument("-j", "--jobs", type=int, default=0, metavar="N",
                        help="format N files at once (default: one per core)")


def run(args) -> int:
    from ..fileio import directory_of, sync_directories

    paths = args.paths or ["-"]
    found = collect(paths)
    status = exit_codes.SUCCESS
    for path in found.missing:
        error(f"cannot read '{path}': No such file or directory")
        status = exit_codes.ERROR
    for directory in found.empty_dirs:
        warn(f"no SystemTap scripts (*.stp, *.stpm) in '{directory}'")
    configs: dict = {}  # a configuration file -> its Config; ("directory", d) -> the file d's files use
    work = []
    for path in found.files:
        shown = (args.stdin_filename or "-") if path == "-" else path
        try:
            style, max_size = _settings(args, shown, configs)
        except ValueError as err:
            error(str(err))
            return exit_codes.ERROR
        work.append((path, shown, style, max_size))
    jobs = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
    disk = [job for job in work if job[0] != "-"]
    done = _in_parallel(disk, jobs, write=not (args.check or args.diff)) if jobs > 1 and len(disk) > 4 else {}
    written = []  # the directories of the files written: their renames are synced once, at the end
    # What happened to each path, for the summary: each is counted once.
    changed = unchanged = 0
    failed = len(found.missing)
    for path, shown, style, max_size in work:
        if path in done:
            source_text, result, problem, write_error = done[path]
        else:
            source_text, result, problem, write_error = _read_and_format((path, shown, style, max_size))[1]
        if source_text is None:
            error(problem)
            status = exit_codes.ERROR
            failed += 1
            continue
        if problem is not None:
            error(f"{problem} (this is a bug in stapkit; please report it with the file)")
            status = exit_codes.ERROR
            failed += 1
            if path == "-" and not (args.check or args.diff):
                write_stdout(source_text)
            continue
        if result.syntax_errors:
            first = result.syntax_errors[0]
            line = source_text.count("\n", 0, first.span.start) + 1
            column = first.span.start - (source_text.rfind("\n", 0, first.span.start) + 1) + 1
            error(f"{shown}:{line}:{column}: not formatted: {first.message} [{first.code}]"
                  + (f" (and {len(result.syntax_errors) - 1} more syntax errors)" if len(result.syntax_errors) > 1
                     else ""))
            status = exit_codes.ERROR
            failed += 1
            if path == "-" and not (args.check or args.diff):
                write_stdout(source_text)
            continue
        if args.diff:
            if result.changed:
                write_stdout(unified_diff(source_text, result.text, shown))
        elif args.check:
            if result.changed:
                print(f"would reformat {shown}", file=sys.stderr)
        elif path == "-":
            write_stdout(result.text)
        elif result.changed:
            if path not in done:
                write_error = _write(path, result.text)
            written.append(directory_of(path))
            if write_error is not None:
                error(f"{write_error}; not formatted")
                status = exit_codes.ERROR
                failed += 1
                continue
        if result.changed:
            changed += 1
        else:
            unchanged += 1
    sync_directories(written)
    if (args.check or args.diff) and changed and status == exit_codes.SUCCESS:
        status = exit_codes.FINDINGS
    if args.check or not (args.diff or paths == ["-"]):
        print(_summary(changed, unchanged, failed, args.check), file=sys.stderr)
    return status


def _summary(changed: int, unchanged: int, failed: int, check: bool) -> str:
    """'2 files reformatted, 1 left unchanged, 1 not formatted': each file counted once."""
    def files(n: int) -> str:
        return f"{n} file{'s' if n != 1 else ''}"

    if check:
        parts = [f"{files(changed)} would be reformatted", f"{unchanged} would be left unchanged"]
        if failed:
            parts.append(f"{failed} could not be checked (see the errors above)")
    else:
        parts = [f"{files(changed)} reformatted", f"{unchanged} left unchanged"]
        if failed:
            parts.append(f"{failed} not formatted (see the errors above)")
    return ", ".join(parts)


def _format_one(job):
    """(text, FormatResult, None) or (text, None, the FormatError's message)."""
    from ..format.formatter import FormatError, format_text

    text, shown, style = job
    try:
        return text, format_text(text, shown, style), None
    except FormatError as err:
        return text, None, str(err)


def _read_and_format(job):
    """(path, (text, FormatResult, None, None)), or (path, (None, None, why it was not read, None)).

    (The fourth item is for why the file could not be written: `_in_parallel` writes it.)
    """
    from ..syntax.source import read_source

    path, shown, style, max_size = job
    # exact: the bytes that are not UTF-8 are written back as they were (stapkit/fileio.py).
    source = read_source(path, max_size=max_size, display_path=shown, exact=True)
    if source.text is None:
        return path, (None, None, "; ".join(f"{shown}: {d.message}" if d.message.startswith("not a text")
                                            else d.message for d in source.diagnostics), None)
    text, result, problem = _format_one((source.text, shown, style))
    return path, (text, result, problem, None)


def _to_write(result) -> bool:
    return result is not None and result.changed and not result.syntax_errors


def _write(path: str, text: str) -> str | None:
    """Write a formatted file (its directory is synced later): None, or why it could not be written."""
    from ..fileio import FileError, exact_bytes, write_file

    try:
        write_file(path, exact_bytes(text), sync_directory=False)
    except FileError as err:
        return str(err)
    return None


def _in_parallel(work, jobs, write: bool) -> dict:
    """{path: what _read_and_format gives}, formatted by `jobs` worker processes.

    With `write`, the files that change are written here, by threads, as the workers'
    results come in: their fsyncs wait on the disk while the workers go on formatting
    (this process is idle otherwise, so the threads get the interpreter at once).
    """
    import gc
    from concurrent.futures import ThreadPoolExecutor

    from ..format.formatter import format_text
    from .parallel import map_in_processes

    # What formatting any file loads (the modules, the grammar's tables and the syntax check's
    # flat ones, made for its first declaration; the library's macros) is loaded here, once:
    # the forked workers inherit it.  Kept out of the collector's sight, it is not scanned
    # again in each worker, nor are its pages copied there by the scans.
    format_text("global x\n", "<start>")
    gc.freeze()
    writes = {}  # path -> the Future of its write

    def each(outcome):
        path, (_, result, _, _) = outcome
        if write and _to_write(result):
            writes[path] = writer.submit(_write, path, result.text)

    work = sorted(work, key=lambda job: -file_size(job[0]))  # largest first: the workers finish together
    writer = ThreadPoolExecutor(max_workers=2)
    try:
        done = dict(map_in_processes(_read_and_format, work, jobs, name_of=lambda job: f"'{job[0]}'", each=each))
    except BaseException:
        writer.shutdown(cancel_futures=True)  # (Ctrl-C: the writes begun end, no other begins)
        raise
    finally:
        gc.unfreeze()
    writer.shutdown()
    for path, future in writes.items():
        text, result, problem, _ = done[path]
        done[path] = (text, result, problem, future.result())
    return done


def _settings(args, path: str, configs: dict):
    """The Style and the file size limit of one file: its configuration, overridden by the options.
    Raises ValueError for a bad option; a bad configuration file raises ConfigError (a UserError)."""
    from ..config import find_config, indent_text, load_config
    from ..format.layout import Style
    from ..syntax.source import DEFAULT_MAX_FILE_SIZE

    # The files of a directory share its configuration: it is looked for once per directory.
    directory = os.path.dirname(path) if path != "-" else None
    key = ("directory", directory)
    if key not in configs:
        configs[key] = find_config(Path(path) if path != "-" else Path.cwd())
    config_path = configs[key]
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
    if args.max_file_size is not None and args.max_file_size <= 0:
        raise ValueError("--max-file-size: must be a positive number of bytes")
    max_size = args.max_file_size or (config.max_file_size if config is not None else None) or DEFAULT_MAX_FILE_SIZE
    brace_style = args.brace_style or (config.format_brace_style if config is not None else None) \
        or default.brace_style
    return Style(indent=indent, line_length=length, brace_style=brace_style), max_size
