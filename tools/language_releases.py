"""Check stapkit's table of language features by SystemTap release against SystemTap's git history.

    python3 tools/language_releases.py --git-dir /work/.mirror/sailfishos-mirror+systemtap/repo [--scan]

The table (stapkit/syntax/language_releases.py) says, for each piece of
syntax, the first release whose stap parses it.  Each row has a witness here:
a name or short search key in one of stap's source files that appears with
the feature (`"@define"` in parse.cxx), or, for a restriction that was lifted,
that disappears with it.  The check reads that file at the tag of the row's
release (release-X; the head for the development release 5.6) and at the tag
of the release before it: the witness must be there at the first and not at
the second (the other way round for a lifted restriction).  Exit status 0
when every row holds, 1 otherwise, 2 when the history cannot be read.

The syntax that 1.0 has already is not in the table; its witnesses (AT_1_0)
are checked to be there at 1.0.

--scan prints, for each witness, every release that has it (what the table
was first made from).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from stapkit.syntax.language_releases import FEATURES, version_text  # noqa: E402

# Every x.y release from 1.0 to 5.5, then the development head (5.6).
RELEASES = ("1.0 1.1 1.2 1.3 1.4 1.5 1.6 1.7 1.8 2.0 2.1 2.2 2.3 2.4 2.5 2.6 2.7 2.8 2.9 "
            "3.0 3.1 3.2 3.3 4.0 4.1 4.2 4.3 4.4 4.5 4.6 4.7 4.8 4.9 5.0 5.1 5.2 5.3 5.4 5.5 5.6").split()
HEAD_RELEASE = "5.6"


class Witness(NamedTuple):
    path: str  # a file of stap's source tree
    pattern: str  # a regular expression
    lifted: bool = False  # True: the witness is a restriction that the release removed


WITNESSES = {
    "try-catch": Witness("parse.cxx", r'"try"'),
    "@defined": Witness("parse.cxx", r'"@?defined"'),
    "string-gluing": Witness("parse.cxx", r"PR11208"),  # the bug that asked for it
    "@entry": Witness("parse.cxx", r'"@?entry"'),
    "pretty-print": Witness("parse.cxx", r"pretty-print"),
    "foreach-value": Witness("parse.cxx", r"value = lookahead"),
    "embedded-expression": Witness("parse.cxx", r"embedded_expr"),
    "systemtap_v": Witness("parse.cxx", r'"systemtap_v"'),
    "array-wrap": Witness("parse.cxx", r"->wrap = true"),
    "@var": Witness("parse.cxx", r'"@?var"'),
    "@define": Witness("parse.cxx", r'"@define"'),
    "systemtap_privilege": Witness("parse.cxx", r'"systemtap_privilege"'),
    "@perf": Witness("parse.cxx", r'"@?perf"'),
    "regex-match": Witness("parse.cxx", r'"=~"'),
    "foreach-aggregate": Witness("parse.cxx", r"sort_aggr"),
    "runtime": Witness("parse.cxx", r'"runtime"'),
    "guru_mode": Witness("parse.cxx", r'"guru_mode"'),
    "array-slice": Witness("parse.cxx", r"array_slice"),
    "private": Witness("parse.cxx", r'"private"'),
    "function-overload": Witness("parse.cxx", r"overload"),
    "next-in-function": Witness("parse.cxx", r"'next' not in probe context", lifted=True),
    "probe-point-braces": Witness("parse.cxx", r"parse_components"),
    "@const": Witness("parse.cxx", r'"@?const"'),
    "@variance": Witness("parse.cxx", r'"@?variance"'),
    "bare-return": Witness("parse.cxx", r"no return value"),
    "@kregister": Witness("parse.cxx", r'"@?kregister"'),
    "@kderef": Witness("parse.cxx", r'"@?kderef"'),
    "@probewrite": Witness("parse.cxx", r'"@?probewrite"'),
    "@enum": Witness("parse.cxx", r'"@?enum"'),
    "@enumname": Witness("parse.cxx", r'"@?enumname"'),
}


# Syntax the table leaves out because SystemTap 1.0, the oldest release stapkit knows, has it
# already: each with its witness, which must be there at 1.0.
AT_1_0 = {
    "@cast (with a module)": Witness("parse.cxx", r'"@?cast"'),
    "@count/@sum/@min/@max/@avg": Witness("parse.cxx", r'"@?avg"'),
    "@hist_linear/@hist_log": Witness("parse.cxx", r'"@?hist_log"'),
    "foreach ... limit": Witness("parse.cxx", r'"limit"'),
    "delete": Witness("parse.cxx", r'"delete"'),
    "next": Witness("parse.cxx", r'"next"'),
    "probe points with ?, ! and if": Witness("parse.cxx", r"sufficient"),
    "&$var (address of)": Witness("parse.cxx", r"addressof"),
    ".= and ++/--": Witness("parse.cxx", r'"\.="'),
    "%{ %} embedded C": Witness("parse.cxx", r"tok_embedded"),
    "$$vars, $$parms, $$locals": Witness("tapsets.cxx", r"\$\$parms"),
    "printf %b %c %m %M %p": Witness("staptree.cxx", r"case 'M'"),
}


class History:
    """Files of stap's source tree at release tags, read once each."""

    def __init__(self, git_dir: Path):
        self.git_dir = git_dir
        self.files: dict[tuple[str, str], str | None] = {}

    def read(self, release: str, path: str) -> str | None:
        key = (release, path)
        if key not in self.files:
            ref = "HEAD" if release == HEAD_RELEASE else f"release-{release}"
            done = subprocess.run(["git", "--git-dir", str(self.git_dir), "show", f"{ref}:{path}"],
                                  capture_output=True, timeout=120)
            self.files[key] = done.stdout.decode("latin-1") if done.returncode == 0 else None
        return self.files[key]

    def has(self, release: str, witness: Witness) -> bool | None:
        text = self.read(release, witness.path)
        return None if text is None else re.search(witness.pattern, text) is not None


def check(history: History) -> list[str]:
    """A line for each row of the table that the history does not bear out."""
    problems = []
    for feature in FEATURES:
        witness = WITNESSES.get(feature.key)
        since = version_text(feature.since)
        if witness is None:
            problems.append(f"{feature.key}: no witness to check it by")
            continue
        if since not in RELEASES[1:]:
            problems.append(f"{feature.key}: {since} is not a release after 1.0")
            continue
        before = RELEASES[RELEASES.index(since) - 1]
        at_since, at_before = history.has(since, witness), history.has(before, witness)
        if at_since is None or at_before is None:
            problems.append(f"{feature.key}: {witness.path} is missing at {since} or {before}")
            continue
        expected = (not witness.lifted, witness.lifted)
        if (at_since, at_before) != expected:
            state = {True: "has", False: "lacks"}
            problems.append(f"{feature.key}: {witness.path} {state[at_since]} /{witness.pattern}/ at {since} "
                            f"and {state[at_before]} it at {before} (the table says {since})")
    for name, witness in AT_1_0.items():
        if not history.has("1.0", witness):
            problems.append(f"{name}: {witness.path} lacks /{witness.pattern}/ at 1.0 (the table leaves it out as older)")
    return problems


def scan(history: History) -> None:
    for feature in FEATURES:
        witness = WITNESSES[feature.key]
        marks = "".join({True: "+", False: "-", None: "?"}[history.has(r, witness)] for r in RELEASES)
        print(f"{feature.key:22} {version_text(feature.since):4} {marks}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--git-dir", type=Path, required=True, help="a bare clone of SystemTap's history")
    parser.add_argument("--scan", action="store_true", help="print each witness's releases (1.0 ... 5.6)")
    args = parser.parse_args(argv)
    history = History(args.git_dir)
    if history.read("1.0", "parse.cxx") is None:
        print(f"language_releases: no release-1.0:parse.cxx in {args.git_dir}", file=sys.stderr)
        return 2
    if args.scan:
        scan(history)
        return 0
    problems = check(history)
    for line in problems:
        print(f"language_releases: {line}", file=sys.stderr)
    if not problems:
        print(f"{len(FEATURES)} features checked against {args.git_dir}: each first appears at its release; "
              f"{len(AT_1_0)} older ones are in 1.0")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
