"""`stapkit parse`: syntax and preprocessor checks, and the AST on request."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import attrs

from ..diagnostics import Diagnostic, LineIndex, Severity, Span
from ..syntax import codes
from . import exit_codes
from ..config import find_config, load_config
from .files import collect, error, file_size, warn
from .target_options import parse_options_from_arguments
from ..settings import file_options


def add_arguments(parser, ast: bool = True) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files or directories (searched for *.stp and *.stpm); '-' reads standard input")
    parser.add_argument("--output-format", choices=("text", "json"), default="text",
                        help="text for people (default), json for programs")
    if ast:
        parser.add_argument("--ast", action="store_true", help="print the syntax tree of each file")
    parser.add_argument("--stdin-filename", metavar="NAME",
                        help="the name to report for standard input (and to find its settings by)")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="colour the text output (auto: on a terminal, unless NO_COLOR is set)")
    parser.add_argument("-j", "--jobs", type=int, default=0, metavar="N",
                        help="read N files at once (default: one per core)")


def run(args) -> int:
    """`stapkit parse`."""
    from ..syntax.parser import parse_text
    from ..syntax.source import decode_source

    args.ast = getattr(args, "ast", False)

    try:
        settings = _Settings(args)
    except ValueError as err:  # a ConfigError is caught in cli.main
        error(str(err))
        return exit_codes.ERROR
    paths = args.paths or ["-"]
    found = collect(paths)
    status = exit_codes.SUCCESS
    results = []
    for path in found.missing:
        results.append(_Summary(path, None, [Diagnostic(
            codes.UNREADABLE_FILE, f"cannot read '{path}': No such file or directory", Span(0, 0))], None))
        status = exit_codes.ERROR
    for directory in found.empty_dirs:
        warn(f"no SystemTap scripts (*.stp, *.stpm) in '{directory}'")

    jobs = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
    work = []
    for path in found.files:
        try:
            work.append((path, settings.options_for(path)))
        except ValueError as err:  # a ConfigError is caught in cli.main
            error(str(err))
            status = exit_codes.ERROR
    disk = [(p, o) for p, o in work if p != "-"]
    parsed = dict(_parse_in_parallel(disk, jobs, args.ast)) if jobs > 1 and len(disk) > 4 else {}

    for path, options in work:
        if path == "-":
            shown = args.stdin_filename or "-"
            source = decode_source(shown, sys.stdin.buffer.read())
            if source.text is None:
                result = _Summary(shown, None, list(source.diagnostics), None)
            else:
                if options.macro_file is None:
                    options = attrs.evolve(options, macro_file=shown.endswith(".stpm"))
                r = parse_text(source.text, shown, options)
                result = _Summary(shown, r.text, list(source.diagnostics) + _as_errors_if_asked(r, options),
                                  r.script if args.ast else None)
        elif path in parsed:
            result = parsed[path]
        else:
            result = _parse_one((path, options, args.ast))[1]
        results.append(result)

    if any(d.code == "STP051" for r in results for d in r.diagnostics):
        status = exit_codes.ERROR
    elif status == exit_codes.SUCCESS and any(
            d.severity is Severity.ERROR for r in results for d in r.diagnostics):
        status = exit_codes.FINDINGS
    _print(results, args)
    return status


class _Settings:
    """The ParseOptions for each file: its configuration file, overridden by the command line."""

    def __init__(self, args):
        self.args = args
        if args.config and args.isolated:
            raise ValueError("--config and --isolated cannot be used together")
        self.explicit = load_config(Path(args.config)) if args.config else None
        self.configs: dict[Path, object] = {}  # configuration file -> Config
        self.found: dict[Path, Path | None] = {}  # directory -> its configuration file
        self.options: dict[Path | None, object] = {}  # configuration file (or None) -> ParseOptions
        self.options[None if self.explicit is None else self.explicit.path] = \
            parse_options_from_arguments(args, self.explicit)  # checks the options now

    def config_for(self, path: str):
        """The configuration that applies to `path` ("-": standard input), or None."""
        args = self.args
        if self.explicit is not None or args.isolated:
            return self.explicit
        if path == "-":
            where = Path(args.stdin_filename) if args.stdin_filename else Path.cwd()
        else:
            where = Path(path)
        directory = where if where.is_dir() else where.parent
        if directory not in self.found:  # one search per directory, not per file
            self.found[directory] = find_config(directory)
        found = self.found[directory]
        if found is None:
            return None
        if found not in self.configs:
            self.configs[found] = load_config(found)
        return self.configs[found]

    def options_for(self, path: str):
        config = self.config_for(path)
        key = config.path if config is not None else None
        if key not in self.options:
            self.options[key] = parse_options_from_arguments(self.args, config)
        return file_options(self.options[key], path)  # (as the editor does)


@attrs.frozen
class _Summary:
    path: str
    text: str | None
    diagnostics: list
    script: object | None


def _parse_one(job):
    path, options, want_ast = job
    from ..syntax.parser import parse_file

    r = parse_file(path, options)
    return path, _Summary(path, r.text, _as_errors_if_asked(r, options), r.script if want_ast else None)


def _as_errors_if_asked(r, options) -> list:
    """The parse's diagnostics, warnings made errors when -W (first line or option) asks."""
    from ..diagnostics import warnings_as_errors
    from ..syntax.script_options import warnings_made_errors

    return warnings_as_errors(r.diagnostics, warnings_made_errors(r.first_line, options.warnings_as_errors))


def _parse_in_parallel(work, jobs, want_ast):
    from ..syntax.grammar import tables
    from .parallel import map_in_processes

    tables()  # load once here: forked workers inherit it
    # Largest files first, one at a time: the workers then finish together
    # (longest-processing-time-first scheduling) instead of one of them being
    # left with a big file at the end.
    work = sorted(((p, o, want_ast) for p, o in work), key=lambda job: -file_size(job[0]))
    yield from map_in_processes(_parse_in_worker, work, jobs, name_of=lambda job: f"'{job[0]}'")


def _parse_in_worker(job):
    """Parse in a worker process; the text goes back only if a diagnostic needs it."""
    path, summary = _parse_one(job)
    if not summary.diagnostics and summary.script is None and summary.text is not None:
        summary = attrs.evolve(summary, text=None)
    return path, summary


def _print(results, args) -> None:
    from ..report.location import locate

    indexes = {r.path: LineIndex(r.text) for r in results if r.text is not None}
    out = sys.stdout
    if args.output_format == "json":
        from ..report.json_format import diagnostic_object
        from ..syntax.ast import to_data

        items = [locate(r.path, indexes.get(r.path), d) for r in results for d in r.diagnostics]
        if args.ast:
            data = [{"file": r.path,
                     "ast": to_data(r.script, indexes.get(r.path)) if r.script is not None else None,
                     "diagnostics": [diagnostic_object(locate(r.path, indexes.get(r.path), d), indexes.get)
                                     for d in r.diagnostics]}
                    for r in results]
        else:
            data = [diagnostic_object(i, indexes.get) for i in items]
        json.dump(data, out, indent=2)
        out.write("\n")
        return

    from ..report.text import render_diagnostic, use_color
    from ..syntax.ast import dump

    color = use_color(args.color, out)
    counts = {Severity.ERROR: 0, Severity.WARNING: 0, Severity.INFO: 0}
    for r in results:
        index = indexes.get(r.path)
        if args.ast and r.script is not None:
            out.write(f"# {r.path}\n{dump(r.script, index)}\n")
        for d in r.diagnostics:
            counts[d.severity] += 1
            out.write(render_diagnostic(locate(r.path, index, d), index, color) + "\n\n")
    if results:
        parts = [f"{n} {s.value}{'s' if n != 1 else ''}" for s, n in counts.items() if n]
        summary = ", ".join(parts) if parts else "no problems"
        files = f"{len(results)} file{'s' if len(results) != 1 else ''}"
        out.write(f"{files} parsed: {summary}\n")
