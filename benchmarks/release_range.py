#!/usr/bin/env python3
"""The release history and the range check: what checking a script for many releases costs.

  size     the shipped release history (tapset_db/tapsets-releases.jsonl; goal: under 8 MB)
  view     ReleaseHistory.load and the view of one release (4.8 and 5.5), in a fresh process
           (goal: under 40 ms), and a first lookup
  lint     `stapkit lint --systemtap-version X SCRIPT` for one release, for a range of 20
           (3.1..5.6) and for all 40 (1.0..): wall and CPU of the whole command, on three
           scripts (goal: a range of 20 costs far less than 20 runs)
  shared   inside one process, the range of 20 checked as the command checks it (one session:
           the releases share decoded records and match subtrees) and with a fresh session
           for each release (each release a check of its own, as 20 runs would be, without
           their start-ups)

Commands run round robin, --runs times each (default 5); tables show the median and,
in parentheses, the minimum.

Usage:
  python3 benchmarks/release_range.py [--runs N] [--json] [--skip view,lint,shared]
  python3 benchmarks/release_range.py --report RESULTS.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench  # noqa: E402
from _bench import Stats, log  # noqa: E402

RELEASES = _bench.REPO / "tapset_db" / "tapsets-releases.jsonl"
EXAMPLES = Path("/usr/share/systemtap/examples")
TESTSUITE = _bench.REPO.parent / "shared" / "corpus" / "systemtap-testsuite"
SMALL = "probe oneshot { printf(\"%s %d\\n\", execname(), pid()) }\n"
SCRIPTS = {  # name -> path (the small one is written into the scratch directory)
    "small.stp (1 line)": None,
    "nettop.stp (example, 46 lines)": EXAMPLES / "network" / "nettop.stp",
    "inet_sock-embedded.stp (buildok)": TESTSUITE / "buildok" / "inet_sock-embedded.stp",
}
RANGES = {"one release (4.8)": "4.8", "one release (5.5)": "5.5", "20 releases (3.1..5.6)": "3.1..",
          "40 releases (1.0..5.6)": "1.0.."}

VIEW_PROBE = """
import json, sys, time
t0 = time.perf_counter()
from stapkit.tapsets.releases import ReleaseHistory
t1 = time.perf_counter()
db = ReleaseHistory.load(sys.argv[1]).view(sys.argv[2])
t2 = time.perf_counter()
db.aliases("socket.send"); db.functions("ip_ntop")
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "lookup": t3 - t2}))
"""

SHARED_PROBE = """
import json, sys, time
from stapkit.cli.release_range import RangeChecker, releases_in
from stapkit.semantic.session import Session
from stapkit.syntax.parser import ParseOptions
from stapkit.tapsets.releases import ReleaseHistory
path = sys.argv[1]
history = ReleaseHistory.load()
releases = releases_in(history, "3.1", None)
RangeChecker(history, ["4.8"]).check(path, ParseOptions())  # imports, grammar tables
out = {}
t0 = time.process_time()
RangeChecker(ReleaseHistory.load(), releases).check(path, ParseOptions())
out["shared"] = time.process_time() - t0
t0 = time.process_time()
for release in releases:
    RangeChecker(ReleaseHistory.load(), [release], session=Session()).check(path, ParseOptions())
out["separate"] = time.process_time() - t0
t0 = time.process_time()
RangeChecker(ReleaseHistory.load(), ["4.7"], session=Session()).check(path, ParseOptions())
out["one"] = time.process_time() - t0
print(json.dumps(out))
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, metavar="N")
    ap.add_argument("--skip", default="", help="comma-separated: view,lint,shared")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--report", type=Path, metavar="JSONFILE",
                    help="measure nothing: print the tables of results saved with --json")
    args = ap.parse_args(argv)
    if args.report:
        print_report(json.loads(args.report.read_text()))
        return 0
    skip = set(filter(None, args.skip.split(",")))

    def measure(scratch: Path, src: Path) -> dict:
        env = _bench.stapkit_env(src)
        env["XDG_CACHE_HOME"] = str(scratch / "cache")  # no result cache from earlier runs
        results: dict = {"size_bytes": RELEASES.stat().st_size}
        small = scratch / "small.stp"
        small.write_text(SMALL)
        scripts = {name: (path or small) for name, path in SCRIPTS.items() if path is None or path.is_file()}
        if "view" not in skip:
            log("view ...")
            results["view"] = {}
            for release in ("4.8", "5.5"):
                samples = []
                for _ in range(max(args.runs, 5) * 4):
                    p = subprocess.run([sys.executable, "-c", VIEW_PROBE, str(RELEASES), release], env=env,
                                       capture_output=True, text=True, timeout=60)
                    samples.append(json.loads(p.stdout))
                results["view"][release] = {k: {"median": statistics.median(s[k] for s in samples),
                                                "min": min(s[k] for s in samples)} for k in samples[0]}
        if "lint" not in skip:
            log("lint ...")
            runs: dict[tuple[str, str], list] = {(s, r): [] for s in scripts for r in RANGES}
            for n in range(args.runs + 1):  # the first round warms up, unmeasured
                for script, path in scripts.items():
                    for name, versions in RANGES.items():
                        run = _bench.run_once(_bench.stapkit_cmd("lint", "--no-cache", "--systemtap-version", versions, str(path)),
                                              cwd=scratch, env=env, timeout=600, scratch=scratch)
                        if n:
                            runs[(script, name)].append(run)
            results["lint"] = {f"{s} | {r}": Stats(v).as_dict() for (s, r), v in runs.items()}
        if "shared" not in skip:
            log("shared ...")
            results["shared"] = {}
            for script, path in scripts.items():
                samples = []
                for _ in range(max(args.runs // 2, 1)):
                    p = subprocess.run([sys.executable, "-c", SHARED_PROBE, str(path)], env=env,
                                       capture_output=True, text=True, timeout=600)
                    samples.append(json.loads(p.stdout))
                results["shared"][script] = {k: {"median": statistics.median(s[k] for s in samples),
                                                 "min": min(s[k] for s in samples)} for k in samples[0]}
        return results

    return _bench.measure_in_scratch(measure, print_report, as_json=args.json)


def _pair(entry: dict) -> str:
    return f"{entry['median']:.2f} ({entry['min']:.2f})"


def print_report(r: dict) -> None:
    print(f"release history: {r['size_bytes'] / 1e6:.2f} MB (goal: under 8 MB)")
    for release, load in r.get("view", {}).items():
        print(f"view of {release}: loaded in {load['load']['median'] * 1000:.1f} ms median "
              f"({load['load']['min'] * 1000:.1f} min) (goal: under 40 ms); import "
              f"{load['import']['median'] * 1000:.1f} ms; first lookups {load['lookup']['median'] * 1000:.2f} ms")
    if "lint" in r:
        print()
        rows = []
        for key, stats in r["lint"].items():
            script, versions = key.split(" | ")
            rows.append([script, versions, _pair(stats["wall"]), _pair(stats["cpu"]),
                         f"{stats['maxrss_kb']['median'] / 1024:.0f}", " ".join(map(str, sorted(set(stats["exit_statuses"]))))])
        print(_bench.table(["script", "stapkit lint --systemtap-version", "wall s", "CPU s", "peak RSS MB", "exit"],
                           rows, right={2, 3, 4}))
        print("\nthe range of 20 against one release, CPU of the whole command:")
        for script in dict.fromkeys(k.split(" | ")[0] for k in r["lint"]):
            one = r["lint"][f"{script} | one release (4.8)"]["cpu"]["median"]
            twenty = r["lint"][f"{script} | 20 releases (3.1..5.6)"]["cpu"]["median"]
            print(f"  {script}: {twenty / one:.2f} x one run (20 runs: 20 x)")
    if "shared" in r:
        print("\ninside one process, CPU s of the check alone (start-up and imports left out):")
        rows = [[script, _pair(v["one"]), _pair(v["shared"]), _pair(v["separate"]),
                 f"{v['shared']['median'] / v['one']['median']:.1f}", f"{v['separate']['median'] / v['one']['median']:.1f}"]
                for script, v in r["shared"].items()]
        print(_bench.table(["script", "one release", "20: one session", "20: a session each", "x one", "x one"],
                           rows, right={1, 2, 3, 4, 5}))
    _bench.print_footer(r)


if __name__ == "__main__":
    sys.exit(main())
