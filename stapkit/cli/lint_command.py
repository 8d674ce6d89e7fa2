"""`stapkit lint`: syntax, stap's pass-2 checks and the lint rules, for CI, editors and people.

Each file is read once; its findings are looked up in the result cache by its
content and settings (stapkit/lint/cache.py), and only the files not found
there are linted, in a pool of processes.  `--fix` applies the safe fixes
(`--unsafe-fixes` the others too) and writes the file atomically; `--diff`
shows what they would change.  The findings are then printed in the chosen
format (stapkit/report/).

Exit status: 0 nothing at or above the failing severity (`--fail-on`,
default warning); 1 findings (or, with --diff, a file would change);
2 a usage, configuration or I/O error.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import attrs

from . import exit_codes
from .files import error, file_size, unified_diff, warn, write_stdout
from .target_options import add_kernel_arguments, add_userspace_arguments

OUTPUT_FORMATS = ("text", "concise", "json", "sarif", "github")
# `process(`, also with a comment between: a probe point naming a program file.
_NAMES_A_PROGRAM = re.compile(rb"\bprocess\s*[(/#]")
SEVERITY_ORDER = {"info": 0, "warning": 1, "error": 2}


def add_arguments(parser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files or directories (searched for *.stp and *.stpm); '-' reads standard input")
    parser.add_argument("--output-format", choices=OUTPUT_FORMATS, default="text",
                        help="text: with the source line (default); concise: file:line:col: severity: "
                             "message [CODE]; json; sarif (SARIF 2.1.0, for code scanning); "
                             "github (workflow annotations)")
    parser.add_argument("--stdin-filename", metavar="NAME",
                        help="the name to report for standard input (and to find its settings by)")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="colour the text output (auto: on a terminal, unless NO_COLOR is set)")
    parser.add_argument("-j", "--jobs", type=int, default=0, metavar="N",
                        help="lint N files at once (default: one per core)")
    rules = parser.add_argument_group("rules")
    rules.add_argument("--select", metavar="CODES",
                       help="report only these codes or prefixes (comma-separated: STP5,STP401; ALL)")
    rules.add_argument("--extend-select", metavar="CODES", help="report these too (comma-separated)")
    rules.add_argument("--ignore", metavar="CODES", help="do not report these (comma-separated)")
    rules.add_argument("--fail-on", choices=tuple(SEVERITY_ORDER), default=None,
                       help="the lowest severity that makes the exit status 1 (default: warning)")
    rules.add_argument("--exit-zero", action="store_true",
                       help="exit 0 even when there are findings (2 still means an error)")
    rules.add_argument("--statistics", action="store_true",
                       help="print how often each code was reported, instead of the findings")
    fixes = parser.add_argument_group("fixes")
    fixes.add_argument("--fix", action="store_true",
                       help="apply the safe fixes (they cannot change what the script does) and rewrite the files")
    fixes.add_argument("--unsafe-fixes", action="store_true",
                       help="with --fix or --diff, apply the unsafe fixes too (such as a 'did you mean')")
    fixes.add_argument("--diff", action="store_true",
                       help="change nothing; print the fixes as a unified diff (exit 1 if there are any)")
    parser.add_argument("--no-cache", action="store_true",
                        help="do not read or write the result cache ($STAPKIT_CACHE_DIR, else the user cache "
                             "directory)")
    parser.add_argument("--db", metavar="FILE", type=Path,
                        help="the tapset database (default: $STAPKIT_TAPSET_DB, the user-built one, "
                             "else the embedded SystemTap 4.8 one)")
    parser.add_argument("--explain-unverifiable", action="store_true",
                        help="say which probe points only the target system can confirm "
                             "(a kernel function, a module, a binary): info-level STP210")
    add_kernel_arguments(parser)
    add_userspace_arguments(parser)


def kernel_source(args, config):
    """The KernelSource of one file: the options, else its configuration's keys."""
    from ..kernel.loading import KernelSource

    btf = args.kernel_btf or (config.kernel_btf if config is not None else None)
    symbols = args.kernel_symbols or (config.kernel_symbols if config is not None else None)
    return KernelSource(btf=btf, symbols=symbols)


@attrs.frozen
class _Job:
    """One file to lint, with everything a worker process needs."""

    path: str  # "-" for standard input
    shown: str  # the name reported
    options: object  # lint.runner.LintOptions
    fix: str | None  # None, "safe" or "unsafe"
    text: str | None = None  # standard input's text


@attrs.frozen
class _Outcome:
    shown: str
    text: str | None  # the text the diagnostics refer to (None: no text, or not needed)
    diagnostics: tuple
    original: str | None = None  # with fixes: the text before them
    applied: int = 0
    fix_problem: str | None = None
    from_stdin: bool = False
    original_diagnostics: tuple = ()  # with fixes: those of the text before them


def _split(value: str | None) -> tuple[str, ...]:
    from ..lint.selection import check_selector

    if not value:
        return ()
    return tuple(check_selector(v) for v in value.split(",") if v.strip())


def run(args) -> int:
    from ..lint.selection import SelectorError
    from ..tapsets.db import DatabaseError
    from .parse_command import _Settings

    if args.systemtap_version and ".." in args.systemtap_version:  # the releases each script passes on
        from .release_range import run as run_range

        return run_range(args)
    if args.unsafe_fixes and not (args.fix or args.diff):
        args.fix = True  # --unsafe-fixes alone means: fix, unsafe ones included
    fix_mode = ("unsafe" if args.unsafe_fixes else "safe") if (args.fix or args.diff) else None
    try:
        select, extend, ignore = _split(args.select), _split(args.extend_select), _split(args.ignore)
        settings = _Settings(args)
    except (ValueError, SelectorError) as err:  # a ConfigError is caught in cli.main
        error(str(err))
        return exit_codes.ERROR
    from ..semantic.session import Session

    session = Session()  # the database and probe resolver, kept from one file to the next
    if args.db is not None:  # a database named on the command line must load, cached results or not
        try:
            session.db(args.db)
        except DatabaseError as err:
            error(str(err))
            return exit_codes.ERROR

    status = exit_codes.SUCCESS
    paths = args.paths or ["-"]
    found = _collect(paths, settings, args)
    # A path that names nothing is reported as a file that cannot be read is: a diagnostic
    # (STP051) in the chosen output format, exit status 2 (docs/cli.md).
    missing = [_missing(path) for path in found.missing]
    for directory in found.empty_dirs:
        warn(f"no SystemTap scripts (*.stp, *.stpm) in '{directory}'")

    jobs: list[_Job] = []
    fail_on: dict[str, str] = {}
    for path in found.files:
        shown = (args.stdin_filename or "-") if path == "-" else path
        try:
            options, config = _options_for(path, settings, args, select, extend, ignore, session)
        except ValueError as err:  # a ConfigError is caught in cli.main
            error(str(err))
            status = exit_codes.ERROR
            continue
        fail_on[shown] = args.fail_on or (config.fail_on if config is not None and config.fail_on else "warning")
        text = None
        if path == "-":
            from ..syntax.source import decode_source

            source = decode_source(shown, sys.stdin.buffer.read(), exact=fix_mode is not None)
            text = source.text
            if text is None:
                jobs.append(_Job(path, shown, options, None))  # reported as unreadable below
                continue
        jobs.append(_Job(path, shown, options, fix_mode, text))

    from ..kernel.loading import KernelLoadError
    from .parallel import WorkerDied

    try:
        outcomes = _lint_all(jobs, args)
    except (DatabaseError, KernelLoadError, WorkerDied) as err:  # needed for a file not in the cache
        error(str(err))
        return exit_codes.ERROR
    outcomes = missing + outcomes
    status, outcomes = _write_fixes(outcomes, args, status)
    if any(d.code == "STP051" for o in outcomes for d in o.diagnostics):
        status = exit_codes.ERROR  # a file that could not be read
    if not args.diff:
        _print(outcomes, args)
    if status == exit_codes.SUCCESS and not args.exit_zero and not args.diff:
        for o in outcomes:
            threshold = SEVERITY_ORDER[fail_on.get(o.shown, "warning")]
            if any(SEVERITY_ORDER[d.severity.value] >= threshold for d in o.diagnostics):
                status = exit_codes.FINDINGS
                break
    if args.diff and status == exit_codes.SUCCESS and not args.exit_zero \
            and any(o.original is not None and o.original != o.text for o in outcomes):
        status = exit_codes.FINDINGS
    return status


def _collect(paths, settings, args):
    """The files to lint; directories are searched, skipping what ignore files and the
    `exclude` of the configuration found for each path leave out."""
    from .files import Exclude, collect

    configs = []
    if settings.explicit is not None:
        configs = [settings.explicit]
    elif not args.isolated:
        for path in paths:
            config = settings.config_for(path) if path != "-" else None
            if config is not None and config not in configs:
                configs.append(config)
    return collect(paths, [Exclude(c.path.parent, c.exclude) for c in configs if c.exclude])


def _options_for(path, settings, args, select, extend, ignore, session):
    """The LintOptions of one file, and its configuration (or None)."""
    from ..lint.options import LintOptions
    from ..lint.selection import for_file
    from ..semantic.options import CheckOptions
    from ..settings import Overrides, resolve_sysroot

    parse = settings.options_for(path)
    config = settings.config_for(path)
    where = args.stdin_filename if path == "-" else path
    selection = for_file(config, where, select=select, extend_select=extend, ignore=ignore)
    if path == "-" and parse.macro_file is None:
        parse = attrs.evolve(parse, macro_file=(args.stdin_filename or "").endswith(".stpm"))
    check = CheckOptions(parse=parse, db_path=args.db, explain_unverifiable=args.explain_unverifiable,
                         kernel=kernel_source(args, config), session=session,
                         sysroot=resolve_sysroot(Overrides(sysroot=args.sysroot), config))
    return LintOptions(check, selection), config


# ---------------------------------------------------------------- linting


def _lint_all(jobs: list[_Job], args) -> list[_Outcome]:
    """Every job's outcome, in the order of the jobs: from the cache, or linted (in parallel)."""
    cache = None if args.no_cache else _open_cache()
    fingerprint_of = _Fingerprints(args)
    outcomes: dict[int, _Outcome] = {}
    keys: dict[int, str] = {}
    pending: list[tuple[int, _Job]] = []
    for number, job in enumerate(jobs):
        if cache is not None and job.path != "-" and job.fix is None:
            data = _read_bytes(job.path, job.options.check.parse.max_file_size)
            # A process(...) point is checked against its program's file, which the key does
            # not cover (a rebuilt program, a new sysroot content): such scripts are not cached.
            # (`process.begin` and the word in a comment or a string leave a script cacheable.)
            if data is not None and not _NAMES_A_PROGRAM.search(data):
                keys[number] = cache.key(data, fingerprint_of(job.options))
                hit = cache.get(keys[number])
                text = _decode(data) if hit else None
                if hit is not None and (not hit or text is not None):
                    outcomes[number] = _Outcome(job.shown, text, tuple(hit))
                    continue
        pending.append((number, job))
    if not pending:
        return _cached_outcomes(outcomes, keys, pending, cache, jobs)

    session = pending[0][1].options.check.session  # every job's
    session.db(args.db)  # here: a bad database is one error, not one per file
    for source in {job.options.check.kernel for _, job in pending if job.options.check.kernel}:
        session.kernel(source)  # likewise for a kernel description (KernelLoadError); not on a warm run

    from ..lint.registry import lint_rules
    from ..syntax.grammar import tables

    tables()
    lint_rules()
    from ..gcpause import batch_run

    with batch_run():  # what is loaded now lives until the end of the run
        n_jobs = args.jobs if args.jobs > 0 else (os.cpu_count() or 1)
        on_disk = [(n, j) for n, j in pending if j.path != "-"]
        if n_jobs > 1 and len(on_disk) > 4:
            for number, outcome in _in_parallel(on_disk, n_jobs):
                outcomes[number] = outcome
        for number, job in pending:
            if number not in outcomes:
                outcomes[number] = _lint_one(job)
    return _cached_outcomes(outcomes, keys, pending, cache, jobs)


def _cached_outcomes(outcomes, keys, pending, cache, jobs) -> list[_Outcome]:
    """The outcomes in the jobs' order, the new results stored in the cache first."""
    if cache is not None:
        linted = {n for n, _ in pending}
        for number, key in keys.items():
            outcome = outcomes[number]
            # Not cached: results that need a text the file does not decode to.
            if number in linted and (outcome.text is not None or not outcome.diagnostics):
                cache.put(key, outcome.diagnostics)
    return [outcomes[n] for n in range(len(jobs))]


def _open_cache():
    from ..lint.cache import ResultCache

    try:
        return ResultCache()
    except OSError as err:
        warn(f"the result cache cannot be used: {err}")
        return None


class _Fingerprints:
    """The settings part of a cache key: the options of a file, and what else decides its result
    (the tapset DB and library macros in use)."""

    def __init__(self, args):
        self.memo: dict[int, str] = {}
        import shutil

        # The C compiler too: with it, @casts to header types are checked; without, they are not.
        self.environment = repr((_file_identity(args.db) if args.db else _default_db_identity(),
                                 _tapset_root_identity(), shutil.which("gcc")))

    def __call__(self, options) -> str:
        key = id(options)
        if key not in self.memo:
            # The kernel configuration is left out of Target's repr (it is long): add it.
            kernel_config = sorted(options.check.parse.target.kernel_config.items())
            # The kernel description's files by size and time (a new kernel build, a new result).
            kernel = repr(options.check.kernel.identity())
            self.memo[key] = repr(options) + repr(kernel_config) + kernel + self.environment
        return self.memo[key]


def _file_identity(path) -> tuple:
    try:
        st = os.stat(path)
    except OSError:
        return (str(path),)
    return (str(path), st.st_size, st.st_mtime_ns)


def _default_db_identity() -> tuple:
    from ..tapsets.db import default_path
    from ..tapsets.releases import embedded_path

    return _file_identity(default_path()) + _file_identity(embedded_path())  # the other releases' views


def _tapset_root_identity() -> tuple:
    from ..syntax.tapset_path import default_tapset_root

    root = default_tapset_root()
    return _file_identity(root) if root else ()


def _read_bytes(path: str, max_size: int) -> bytes | None:
    """The file's bytes, or None: not a regular file (never opened), unreadable or too large."""
    from ..fileio import FileError, read_bytes

    try:
        return read_bytes(path, max_size)
    except FileError:
        return None


def _decode(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _lint_one(job: _Job) -> _Outcome:
    from ..gcpause import collector_paused

    # The collector stays paused until the file's tree and model are gone (they go when
    # _lint_job returns, by reference counting): resumed earlier, its first collections
    # scanned the whole live tree, a tenth of the CPU time on the tapset library.
    with collector_paused():
        return _lint_job(job)


def _lint_job(job: _Job) -> _Outcome:
    from ..lint.runner import lint_file, lint_text

    options = job.options
    if job.path == "-":
        if job.text is None:
            from ..syntax.source import decode_source

            # Standard input was not text: say so as a file that cannot be read would be.
            source = decode_source(job.shown, b"\xff")
            return _Outcome(job.shown, None, tuple(source.diagnostics))
        result = (_lint_exact_text if job.fix else lint_text)(job.text, job.shown, options)
        if job.fix is None:
            return _Outcome(job.shown, result.text, result.diagnostics, from_stdin=True)
    elif job.fix is not None:
        result = _lint_exact(job.path, job.shown, options)  # its text is written back
    else:
        result = lint_file(job.path, options)
    if job.fix is None or result.text is None:
        return _Outcome(job.shown, result.text, result.diagnostics)
    from ..lint.fixes import apply_until_stable

    def relint(text: str):
        return _lint_exact_text(text, job.shown, options).diagnostics

    fixed = apply_until_stable(result.text, result.diagnostics, relint, unsafe=job.fix == "unsafe")
    return _Outcome(job.shown, fixed.text, fixed.diagnostics, original=result.text, applied=fixed.applied,
                    fix_problem=fixed.stopped, from_stdin=job.path == "-", original_diagnostics=result.diagnostics)


def _in_parallel(pending, n_jobs: int):
    import functools

    from .parallel import map_in_processes

    # The grammar's tables, the database and the rules are loaded (_lint_all): forked workers inherit them.
    session = pending[0][1].options.check.session  # every job's
    # Largest files first: the workers then finish together.
    ordered = sorted(pending, key=lambda item: -file_size(item[1].path))
    # The workers are handed the parent's semantic Session with the function: forked, they
    # share what it loaded (the database); a job's own session arrives pickled, that is
    # empty, so each job runs with this one instead.
    outcomes = map_in_processes(functools.partial(_lint_in_worker, session), [job for _, job in ordered],
                                n_jobs, name_of=lambda job: f"'{job.shown}'")
    return zip((n for n, _ in ordered), outcomes)


def _lint_in_worker(session, job: _Job) -> _Outcome:
    if session is not None:
        check = attrs.evolve(job.options.check, session=session)
        job = attrs.evolve(job, options=attrs.evolve(job.options, check=check))
    outcome = _lint_one(job)
    if not outcome.diagnostics and outcome.original is None:
        outcome = attrs.evolve(outcome, text=None)  # nothing to show: do not send the text back
    return outcome


# ---------------------------------------------------------------- fixes and output


def _write_fixes(outcomes: list[_Outcome], args, status: int) -> tuple[int, list[_Outcome]]:
    """Write the fixed files; the status, and the outcomes to report: a file that could not be
    written is reported with its findings as it still is, and its fixes are not counted."""
    from ..fileio import FileError, exact_bytes, write_file

    fixed_files = applied = 0
    reported = []
    for o in outcomes:
        if o.fix_problem:
            warn(f"{o.shown}: {o.fix_problem}")
        if o.from_stdin and args.fix and not args.diff:
            # Standard input: the text, fixed or not, goes to standard output (findings to stderr).
            write_stdout(o.text if o.text is not None else (o.original or ""))
        if o.original is None or o.text == o.original:
            reported.append(o)
            continue
        if args.diff:
            write_stdout(unified_diff(o.original, o.text, o.shown))
        elif not o.from_stdin:
            try:
                write_file(o.shown, exact_bytes(o.text))
            except FileError as err:
                error(f"{err}; no fix applied")
                status = exit_codes.ERROR
                reported.append(attrs.evolve(o, text=o.original, diagnostics=o.original_diagnostics, applied=0))
                continue
        fixed_files += 1
        applied += o.applied
        reported.append(o)
    if applied:
        verb = "would fix" if args.diff else "fixed"
        print(f"stapkit: {verb} {applied} problem{'s' if applied != 1 else ''} in {fixed_files} "
              f"file{'s' if fixed_files != 1 else ''}", file=sys.stderr)
    return status, reported


def _missing(path: str) -> _Outcome:
    from ..diagnostics import Diagnostic, Span
    from ..syntax import codes

    return _Outcome(path, None, (Diagnostic(codes.UNREADABLE_FILE,
                                            f"cannot read '{path}': No such file or directory", Span(0, 0)),))


def _lint_exact(path: str, shown: str, options):
    """The LintResult of a file whose fixed text is written back: read so that the bytes that are
    not UTF-8 are written back as they were (stapkit/fileio.py), not as U+FFFD."""
    from ..lint.runner import LintResult
    from ..syntax.source import read_source

    parse = options.check.parse
    source = read_source(path, max_size=parse.max_file_size, display_path=shown, exact=True)
    if source.text is None:
        return LintResult(shown, None, tuple(source.diagnostics), None)
    if parse.macro_file is None:
        options = attrs.evolve(options, check=attrs.evolve(options.check,
                                                           parse=attrs.evolve(parse, macro_file=path.endswith(".stpm"))))
    return _lint_exact_text(source.text, shown, options)


def _lint_exact_text(text: str, shown: str, options):
    """lint_text, and the STP053 warning lint_file gives for a byte that is not UTF-8 (here a lone
    surrogate: the text was read with stapkit.fileio.exact_text)."""
    import re

    from ..diagnostics import Diagnostic, Severity, Span
    from ..lint.runner import lint_text
    from ..syntax import codes

    result = lint_text(text, shown, options)
    bad = re.search("[\udc80-\udcff]", text) if not text.isascii() else None
    if bad is None or not options.selection.enabled(codes.INVALID_UTF8):
        return result
    warning = Diagnostic(codes.INVALID_UTF8, f"invalid UTF-8 (byte 0x{ord(bad.group()) - 0xDC00:02x}); "
                         "such bytes are kept as they are", Span(bad.start(), bad.start() + 1), Severity.WARNING)
    diagnostics = sorted((warning, *result.diagnostics), key=lambda d: (d.span.start, d.span.end, d.code))
    return attrs.evolve(result, diagnostics=tuple(diagnostics))


def _print(outcomes: list[_Outcome], args) -> None:
    from ..diagnostics import LineIndex, Severity
    from ..report.location import locate

    # With fixes to standard input, standard output holds the fixed text: findings go to stderr.
    out = sys.stderr if (args.fix and not args.diff and any(o.from_stdin for o in outcomes)) else sys.stdout
    indexes = {o.shown: LineIndex(_for_display(o.text)) for o in outcomes if o.text is not None and o.diagnostics}
    items = [locate(o.shown, indexes.get(o.shown), d) for o in outcomes for d in o.diagnostics]
    if args.statistics:
        from ..report.statistics import render_statistics

        out.write(render_statistics(items))
        return
    fmt = args.output_format
    if fmt == "json":
        from ..report.json_format import render_json

        out.write(render_json(items, indexes.get))
        return
    if fmt == "concise":
        from ..report.concise import render_concise

        out.write(render_concise(items, indexes.get))
        return
    if fmt == "sarif":
        from ..report.sarif import render_sarif
        from .rules_command import rule_page

        out.write(render_sarif(items, indexes.get, rule_help=rule_page))
        return
    if fmt == "github":
        from ..report.github import render_github

        out.write(render_github(items, indexes.get))
        return
    from ..report.text import render_diagnostic, use_color

    color = use_color(args.color, out)
    counts = {Severity.ERROR: 0, Severity.WARNING: 0, Severity.INFO: 0}
    for item in items:
        counts[item.diagnostic.severity] += 1
        out.write(render_diagnostic(item, indexes.get(item.path), color) + "\n\n")
    if outcomes:
        parts = [f"{n} {s.value}{'s' if n != 1 else ''}" for s, n in counts.items() if n]
        summary = ", ".join(parts) if parts else "no problems"
        files = f"{len(outcomes)} file{'s' if len(outcomes) != 1 else ''}"
        fixable = sum(1 for i in items if i.diagnostic.fix is not None)
        hint = f" ({fixable} fixable with --fix{' --unsafe-fixes' if _any_unsafe(items) else ''})" \
            if fixable and not args.fix else ""
        out.write(f"{files} checked: {summary}{hint}\n")


def _for_display(text: str) -> str:
    """A text read to be written back (its bytes that are not UTF-8 as lone surrogates,
    stapkit/fileio.py) as it is shown: each such byte as U+FFFD, one character for one, so
    that columns stay right."""
    if text.isascii():
        return text
    import re

    return re.sub("[\udc80-\udcff]", "\ufffd", text)


def _any_unsafe(items) -> bool:
    from ..diagnostics import Applicability

    return any(i.diagnostic.fix is not None and i.diagnostic.fix.applicability is Applicability.UNSAFE
               for i in items)
