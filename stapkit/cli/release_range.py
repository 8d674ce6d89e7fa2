"""`stapkit lint --systemtap-version A..B`: the releases each script passes on.

Each script is checked (stap's pass 1 and 2: syntax, names, types, probe
points) for every release of the release history from A to B (either end may
be left out: `..4.8`, `3.0..`).  A release on which the check finds an error
fails; for each run of failing releases with the same first error, that error
is shown.  The lint rules (warnings) do not rule a release out and are not
run.  A script whose first line stops stap after pass 1 (`#! stap -p1`) is
only parsed, as stap only parses it.  Exit status: 0 every script passes on
every release of the range, 1 some release fails, 2 a usage or I/O error.

`RangeChecker` is the check itself, for the command and for
tools/release_report.py (the range report over the examples and the
testsuite).  Each release is a full check of the file; what makes a range
cheap is what the releases share: the views decode a record the releases
share once (tapsets.releases), and the resolvers' match trees share the
subtrees of the aliases that did not change (semantic.probe_points).  The
files are checked release by release: a release's resolver serves every
file, and few are kept at once.
"""

from __future__ import annotations

import json
import sys

import attrs

from . import exit_codes
from .files import error


def split_range(text: str) -> tuple[str | None, str | None]:
    """"3.0..5.5" -> ("3.0", "5.5"); raises ValueError for anything else."""
    from ..syntax.target import is_version

    low, _, high = text.partition("..")
    for end in (low, high):
        if end and not is_version(end):
            raise ValueError(f"--systemtap-version expects a release (4.8) or a range of them (3.0..5.5), "
                             f"not {text!r}")
    return low or None, high or None


def releases_in(history, low: str | None, high: str | None) -> list[str]:
    """The releases of the history from `low` to `high` (None: open), in order."""
    from ..syntax.target import parse_version

    return [r for r in history.releases
            if (low is None or parse_version(r) >= parse_version(low))
            and (high is None or parse_version(r) <= parse_version(high))]


@attrs.frozen
class FileRange:
    """One file's verdict on each release of a range."""

    path: str
    passes: tuple[int, ...]  # positions in the history's release list
    failures: tuple[tuple[int, str], ...]  # (position, "path:line:col: first error")

    def entry(self, releases: list[str]) -> dict:
        """The JSON entry of the file: {"path", "passes", "fails": [{"releases", "first_error"}]}."""
        return {"path": self.path, "passes": _ranges(list(self.passes), releases) or None,
                "fails": _grouped(list(self.failures), releases, len(self.path))}


class RangeChecker:
    """Checks files for each release of a range, sharing what the releases and files can share."""

    def __init__(self, history, releases: list[str], db_path=None, session=None):
        from ..semantic.session import Session

        self.history = history
        self.releases = releases
        self.db_path = db_path
        self.session = session if session is not None else Session()

    def results(self, path: str, base):
        """(release, its CheckResult or, for a file stap only parses, ParseResult) for each release:
        `path` checked with the ParseOptions `base`, its systemtap_v replaced by the release's."""
        parse_only = _stops_after_pass_1(path) if base.honour_first_line else False
        for release in self.releases:
            yield release, self._one(path, base, release, parse_only)

    def _one(self, path: str, base, release: str, parse_only: bool):
        from ..semantic.checker import check_file
        from ..semantic.options import CheckOptions
        from ..syntax.parser import parse_file

        parse = attrs.evolve(base, target=base.target.evolve(systemtap_v=release))
        if parse_only:
            return parse_file(path, parse)
        return check_file(path, CheckOptions(parse=parse, db_path=self.db_path, session=self.session))

    def check(self, path: str, base) -> FileRange:
        """`path` checked with the ParseOptions `base` for each release: where it passes, where it fails."""
        return self.check_files([(path, base)])[0]

    def check_files(self, files: list[tuple[str, object]], progress=None) -> list[FileRange]:
        """Each (path, ParseOptions) checked for each release, release by release: the session
        keeps the resolvers of a few releases (their alias expansions are most of the memory a
        check holds), so one release is done for every file before the next is made.
        `progress(releases done, files done of the release)`, if given, is told as it goes."""
        from ..diagnostics import LineIndex, Severity

        verdicts: list[tuple[list[int], list[tuple[int, str]]]] = [([], []) for _ in files]
        parse_only = [_stops_after_pass_1(path) if base.honour_first_line else False for path, base in files]
        for n, release in enumerate(self.releases):
            position = self.history.position[release]
            for k, (path, base) in enumerate(files):
                result = self._one(path, base, release, parse_only[k])
                first = next((d for d in result.diagnostics if d.severity == Severity.ERROR), None)
                if first is None:
                    verdicts[k][0].append(position)
                else:
                    line, col = LineIndex(result.text or "").line_col(first.span.start)
                    verdicts[k][1].append((position, f"{path}:{line}:{col}: {first.message}"))
                if progress is not None:
                    progress(n, k + 1)
        return [FileRange(path, tuple(passes), tuple(failures))
                for (path, _), (passes, failures) in zip(files, verdicts)]


def _stops_after_pass_1(path: str) -> bool:
    """Does the file's first line stop stap after pass 1 (`#! stap -p1`)?"""
    from ..syntax.script_options import first_line_options

    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            first = f.readline(4096)
    except OSError:
        return False  # the check reports it
    options = first_line_options(first)
    return options is not None and options.last_pass == 1


def run(args) -> int:
    from ..tapsets.releases import ReleaseError, ReleaseHistory

    try:
        low, high = split_range(args.systemtap_version)
        history = ReleaseHistory.load()
    except (ValueError, ReleaseError) as err:
        error(str(err))
        return exit_codes.ERROR
    releases = releases_in(history, low, high)
    if not releases:
        error(f"no release of the history ({history.releases[0]} to {history.releases[-1]}) is in "
              f"{args.systemtap_version}")
        return exit_codes.ERROR
    from .parse_command import _Settings

    try:
        settings = _Settings(_without_version(args))
    except ValueError as err:
        error(str(err))
        return exit_codes.ERROR
    from .files import collect

    found = collect(args.paths)
    for path in found.missing:
        error(f"cannot read '{path}': No such file or directory")
    checker = RangeChecker(history, releases, db_path=args.db)
    report = []
    status = exit_codes.SUCCESS
    from ..gcpause import batch_run

    with batch_run():  # the history and each release's views and trees, as `stapkit lint` runs
        verdicts = checker.check_files([(path, settings.options_for(path)) for path in found.files])
    for verdict in verdicts:
        if verdict.failures:
            status = exit_codes.FINDINGS
        report.append(verdict.entry(history.releases))
    if args.output_format == "json":
        json.dump({"releases": _ranges([history.position[r] for r in releases], history.releases),
                   "files": report}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for entry in report:
            print(f"{entry['path']}: passes on {entry['passes'] or 'no release'} of {args.systemtap_version}")
            for fail in entry["fails"]:
                print(f"  fails on {fail['releases']}: {fail['first_error']}")
    return exit_codes.ERROR if found.missing else status


def _ranges(members: list[int], releases: list[str]) -> str:
    from ..tapsets.releases import ranges_text

    return ranges_text(members, releases)


def _grouped(failures: list[tuple[int, str]], releases: list[str], skip: int = 0) -> list[dict]:
    """Runs of releases that fail with the same first error: at the same place, with the same
    message but for what it says in parentheses (the release it names, the names it suggests,
    which differ from release to release); each run shows its first release's message.
    `skip`: the length of the path each message starts with (a path may hold " (")."""
    groups: list[tuple[list[int], str, str]] = []
    for position, message in failures:
        same = message[skip:].split(" (", 1)[0]
        if groups and groups[-1][2] == same and groups[-1][0][-1] == position - 1:
            groups[-1][0].append(position)
        else:
            groups.append(([position], message, same))
    return [{"releases": _ranges(members, releases), "first_error": message} for members, message, _ in groups]


def _without_version(args):
    import copy

    other = copy.copy(args)
    other.systemtap_version = None
    return other
