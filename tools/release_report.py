"""The range report: which SystemTap releases each example and testsuite script passes on.

    python3 tools/release_report.py [--releases 1.0..] [--corpus examples,testsuite] [--json]
                                    [--limit N] [--examples DIR] [--testsuite DIR]

Each file is checked as `stapkit lint --systemtap-version A..B` checks it
(cli/release_range.py), with the options stap runs it with:

* the examples (/usr/share/systemtap/examples, shipped with SystemTap 4.8):
  -g and -I DIR as their .meta file's `test_check:` line gives them, the
  stapgames' tapset files as tapset files; shipped with 4.8;
* the testsuite (../shared/corpus/systemtap-testsuite, the 5.6 development
  head): the parseok, semok and buildok scripts stap runs directly (first line
  `#! stap ...`; its options apply); shipped with 5.6.  parseko and semko are
  meant to fail and are left out.

It prints how many files pass on each release, each file's passing releases,
and each file whose releases leave out the one it shipped with, with the first
error on that release.  Exit status 1 when such a file is found that is not
one of KNOWN_FAILURES (stap refuses those too), 0 otherwise.
Progress (releases and files done, time left) goes to stderr on a terminal.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.corpora import EXAMPLES, TESTSUITE  # noqa: E402  (the corpora, where the tests read them)

EXAMPLES_RELEASE = "4.8"  # Debian 12's systemtap-doc
TESTSUITE_RELEASE = "5.6"  # the development head the corpus was copied from (its PROVENANCE.md)
TESTSUITE_DIRS = ("parseok", "semok", "buildok")

# Files that fail on the release they shipped with, and why (stap fails on them too).
KNOWN_FAILURES = {
    "security-bandaid-template.stp": "a template: stap 4.8 refuses it too (tests/syntax/test_corpus.py)",
    "gmalloc_watch.stp": "probes glib.* (the tapset of glib's development package, not installed)",
}


def example_files(root: Path = EXAMPLES) -> list[Path]:
    return sorted(root.glob("**/*.stp"))


def testsuite_files(root: Path = TESTSUITE) -> list[Path]:
    """The parseok, semok and buildok scripts stap runs directly (first line `#! stap ...`)."""
    from tests.corpora import stap_run_scripts

    return [path for directory in TESTSUITE_DIRS for path in stap_run_scripts(directory, root)]


def example_options(path: Path):
    """How the example's .meta runs it (`test_check: stap -g -I DIR ...`): ParseOptions."""
    from stapkit.syntax.parser import ParseOptions
    from tests.corpora import example_options as fields

    return ParseOptions(**fields(path))


def corpus(names: list[str], examples: Path = EXAMPLES, testsuite: Path = TESTSUITE) -> list[tuple[Path, object, str]]:
    """(file, its ParseOptions, the release it shipped with) of the chosen corpora."""
    from stapkit.syntax.parser import ParseOptions

    out = []
    if "examples" in names:
        out += [(p, example_options(p), EXAMPLES_RELEASE) for p in example_files(examples)]
    if "testsuite" in names:
        out += [(p, ParseOptions(), TESTSUITE_RELEASE) for p in testsuite_files(testsuite)]
    return out


def run_report(files, releases: list[str], progress=None) -> list[dict]:
    """One entry per file: {path, shipped, passes, fails, shipped_error} (cli/release_range.py's entry).
    `progress(releases done, files done of the release)`: RangeChecker.check_files's."""
    from stapkit.cli.release_range import RangeChecker
    from stapkit.tapsets.releases import ReleaseHistory

    history = ReleaseHistory.load()
    checker = RangeChecker(history, releases)
    verdicts = checker.check_files([(str(path), options) for path, options, _ in files], progress)
    out = []
    for (path, options, shipped), verdict in zip(files, verdicts):
        entry = verdict.entry(history.releases)
        entry["shipped"] = shipped
        at = history.position[shipped]
        entry["shipped_error"] = next((m for i, m in verdict.failures if i == at), None)
        entry["positions"] = list(verdict.passes)
        out.append(entry)
    return out


def summary(entries: list[dict], releases: list[str]) -> str:
    from stapkit.tapsets.releases import ReleaseHistory

    history = ReleaseHistory.load()
    lines = [f"{len(entries)} files, releases {releases[0]}..{releases[-1]}", "", "files passing on each release:"]
    for release in releases:
        at = history.position[release]
        count = sum(1 for e in entries if at in e["positions"])
        lines.append(f"  {release:>4}: {count}")
    lines += ["", "each file's passing releases:"]
    for e in entries:
        lines.append(f"  {e['path']}: {e['passes'] or 'no release'}")
    missing = [e for e in entries if e["shipped_error"] is not None]
    lines += ["", f"files that fail on the release they shipped with: {len(missing)}"]
    for e in missing:
        why = KNOWN_FAILURES.get(Path(e["path"]).name, "")
        lines.append(f"  {e['path']} (shipped with {e['shipped']}): {e['shipped_error']}" + (f" [{why}]" if why else ""))
    return "\n".join(lines)




def main(argv: list[str] | None = None) -> int:
    from stapkit.cli.release_range import releases_in, split_range
    from stapkit.tapsets.releases import ReleaseHistory

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--releases", default="1.0..", help="a range of releases (default: all, 1.0..)")
    parser.add_argument("--corpus", default="examples,testsuite", help="examples, testsuite or both")
    parser.add_argument("--json", action="store_true", help="the entries as JSON")
    parser.add_argument("--limit", type=int, help="only the first N files (to try it out)")
    parser.add_argument("--examples", type=Path, default=EXAMPLES)
    parser.add_argument("--testsuite", type=Path, default=TESTSUITE)
    args = parser.parse_args(argv)
    try:
        low, high = split_range(args.releases)
    except ValueError as err:
        parser.error(str(err))
    releases = releases_in(ReleaseHistory.load(), low, high)
    if not releases:
        parser.error(f"no release in {args.releases}")
    files = corpus(args.corpus.split(","), args.examples, args.testsuite)[: args.limit]
    if not files:
        print("no files found (is the corpus there?)", file=sys.stderr)
        return 2
    from stapkit.cli.progress import progress_for

    shown = progress_for(sys.stderr, len(releases), "releases")
    progress = None
    if shown:
        def progress(done: int, files_done: int) -> None:
            shown.update(done + files_done / len(files), f"{releases[done]}: {files_done}/{len(files)} files, ")
    entries = run_report(files, releases, progress)
    if shown:
        shown.update(len(releases))
        shown.close()
    if args.json:
        json.dump([{k: v for k, v in e.items() if k != "positions"} for e in entries], sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(summary(entries, releases))
    unexplained = [e for e in entries if e["shipped_error"] is not None and Path(e["path"]).name not in KNOWN_FAILURES]
    return 1 if unexplained else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # `| head`: the reader has gone; no traceback, and none at exit
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
