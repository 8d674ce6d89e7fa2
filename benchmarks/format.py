#!/usr/bin/env python3
"""`stapkit format`: the whole 4.8 tapset library, and --check of one formatted file.

  library      stapkit format --check over a copy of /usr/share/systemtap/tapset (607 files;
               --check formats every file and checks it in memory, writing nothing)
  write        stapkit format of the copy (rewrites the files that change)
  check-one    stapkit format --check of one already formatted script (goal: under 0.25 s)

Goal for `write` (issue 19): under 2 s on 2 cores.  On a shared machine the best run (min) is
the figure that says what the code costs; the median says what the neighbours cost.

Each command runs --runs times (default 3; check-one 10) after one warm-up run.

Usage:
  python3 benchmarks/format.py [--runs N] [--json]
  python3 benchmarks/format.py --report RESULTS.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench  # noqa: E402
from _bench import Stats, log  # noqa: E402

SMALL = """\
global opens

probe syscall.openat {
\topens[execname()] <<< 1
}

probe timer.s(5) {
\tforeach (name in opens- limit 10)
\t\tprintf("%-16s %d\\n", name, @count(opens[name]))
\tdelete opens
}
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, metavar="N")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--report", type=Path, metavar="JSONFILE")
    args = ap.parse_args(argv)
    if args.report:
        print_report(json.loads(args.report.read_text()))
        return 0
    if not _bench.DEFAULT_TAPSET_DIR.is_dir():
        log("no tapset library (apt-get install systemtap-common)")
        return 2

    def measure(scratch: Path, src: Path) -> dict:
        env = _bench.stapkit_env(src)
        small = scratch / "small.stp"
        results: dict = {}
        copy = scratch / "tapset"

        def fresh_copy():
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(_bench.DEFAULT_TAPSET_DIR, copy)

        fresh_copy()
        # One formatted file: format the small script once, then time --check of it.
        small.write_text(SMALL)
        _bench.run_once(_bench.stapkit_cmd("format", str(small)), cwd=scratch, env=env, scratch=scratch)
        plans = [
            ("library", lambda: None, _bench.stapkit_cmd("format", "--check", str(copy)), args.runs),
            ("write", fresh_copy, _bench.stapkit_cmd("format", str(copy)), args.runs),
            ("check-one", lambda: None, _bench.stapkit_cmd("format", "--check", str(small)), max(args.runs, 10)),
        ]
        for name, prepare, cmd, runs in plans:
            log(f"{name} ...")
            prepare()
            _bench.run_once(cmd, cwd=scratch, env=env, timeout=600, scratch=scratch)  # warm-up
            measured = []
            for _ in range(runs):
                prepare()
                measured.append(_bench.run_once(cmd, cwd=scratch, env=env, timeout=600, scratch=scratch))
            results[name] = Stats(measured).as_dict()
            results[name]["stderr"] = measured[-1].stderr.strip().splitlines()[-1:] if measured[-1].stderr else []
        return results

    return _bench.measure_in_scratch(measure, print_report, as_json=args.json)


def print_report(r: dict) -> None:
    rows = []
    for name in ("library", "write", "check-one"):
        if name in r:
            wall = r[name]["wall"]
            rows.append([name, f"{wall['median']:.3f} ({wall['min']:.3f})", f"{r[name]['cpu']['median']:.3f}",
                         str(r[name]["exit_statuses"][-1]), " ".join(r[name].get("stderr", []))[:70]])
    print(_bench.table(["command", "wall s median (min)", "CPU s", "exit", "last line"], rows))
    if "write" in r:
        w = r['write']['wall']
        print(f"\nwhole tapset library: {w['median']:.2f} s wall median, {w['min']:.2f} s best (goal: under 2 s)")
    if "check-one" in r:
        c = r['check-one']['wall']
        print(f"--check of a formatted file: {c['median']:.3f} s median, {c['min']:.3f} s best (goal: under 0.25 s)")
    _bench.print_footer(r)


if __name__ == "__main__":
    sys.exit(main())
