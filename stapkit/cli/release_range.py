"""`stapkit lint --systemtap-version A..B`: the releases each script passes on.

Each script is checked (stap's pass 1 and 2: syntax, names, types, probe
points) for every release of the release history from A to B (either end may
be left out: `..4.8`, `3.0..`).  A release on which the check finds an error
fails; for each run of failing releases with the same first error, that error
is shown.  The lint rules (warnings) do not rule a release out and are not
run.  Exit status: 0 every script passes on every release of the range, 1 some
release fails, 2 a usage or I/O error.
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


def run(args) -> int:
    from ..diagnostics import LineIndex, Severity
    from ..semantic.checker import check_file
    from ..semantic.options import CheckOptions
    from ..semantic.session import Session
    from ..syntax.target import parse_version
    from ..tapsets.releases import ReleaseError, ReleaseHistory, ranges_text
    from .parse_command import _Settings

    try:
        low, high = split_range(args.systemtap_version)
        history = ReleaseHistory.load()
    except (ValueError, ReleaseError) as err:
        error(str(err))
        return exit_codes.ERROR
    releases = [r for r in history.releases
                if (low is None or parse_version(r) >= parse_version(low))
                and (high is None or parse_version(r) <= parse_version(high))]
    if not releases:
        error(f"no release of the history ({history.releases[0]} to {history.releases[-1]}) is in "
              f"{args.systemtap_version}")
        return exit_codes.ERROR
    try:
        settings = _Settings(_without_version(args))
    except ValueError as err:
        error(str(err))
        return exit_codes.ERROR
    from .files import collect

    found = collect(args.paths)
    for path in found.missing:
        error(f"cannot read '{path}': No such file or directory")
    session = Session()
    report = []
    status = exit_codes.SUCCESS
    for path in found.files:
        base = settings.options_for(path)
        failures: list[tuple[int, str]] = []
        passes: list[int] = []
        for release in releases:
            parse = attrs.evolve(base, target=base.target.evolve(systemtap_v=release))
            result = check_file(path, CheckOptions(parse=parse, db_path=args.db, session=session))
            first = next((d for d in result.diagnostics if d.severity == Severity.ERROR), None)
            if first is None:
                passes.append(history.position[release])
            else:
                line, col = LineIndex(result.text or "").line_col(first.span.start)
                failures.append((history.position[release], f"{path}:{line}:{col}: {first.message}"))
        if failures:
            status = exit_codes.FINDINGS
        report.append({"path": path, "passes": ranges_text(passes, history.releases) or None,
                       "fails": _grouped(failures, history.releases)})
    if args.output_format == "json":
        json.dump({"releases": ranges_text([history.position[r] for r in releases], history.releases),
                   "files": report}, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for entry in report:
            print(f"{entry['path']}: passes on {entry['passes'] or 'no release'} of {args.systemtap_version}")
            for fail in entry["fails"]:
                print(f"  fails on {fail['releases']}: {fail['first_error']}")
    return exit_codes.ERROR if found.missing else status


def _grouped(failures: list[tuple[int, str]], releases: list[str]) -> list[dict]:
    """Runs of releases that fail with the same first error (the same but for the release it names)."""
    groups: list[tuple[list[int], str, str]] = []
    for position, message in failures:
        same = message.replace(f"; you target {releases[position]})", ")")
        if groups and groups[-1][2] == same and groups[-1][0][-1] == position - 1:
            groups[-1][0].append(position)
        else:
            groups.append(([position], message, same))
    from ..tapsets.releases import ranges_text

    return [{"releases": ranges_text(members, releases), "first_error": message} for members, message, _ in groups]


def _without_version(args):
    import copy

    other = copy.copy(args)
    other.systemtap_version = None
    return other
