#!/usr/bin/env python3
"""The tapset database: building it, loading it, asking it; next to stap where stap can answer.

  build        stapkit db build from Debian's 4.8 library and manuals (goal: under 30 s)
  load         TapsetDB.load of the shipped database, inside one process (goal: under 30 ms);
               also the import of the modules it needs, and a first lookup
  size         the shipped database file (goal: under 5 MB)
  release-load ReleaseHistory.load of the shipped release history and the view of 5.5 (goal: under
               40 ms), and the history's size (goal: under 8 MB)
  aliases      stapkit db list '**' --all-targets   vs  stap --dump-probe-aliases
  functions    stapkit db list --functions '**'     vs  stap --dump-functions
  show         stapkit db show socket.send          vs  stap -L socket.send (which needs the
               kernel's debuginfo: with the fake kernel tree it prints nothing)

Each command runs --runs times (default 5; stap --dump-functions, which takes
tens of seconds, and the build run --slow-runs times, default 2), round robin.

Usage:
  python3 benchmarks/tapset_db.py [--runs N] [--slow-runs N] [--json] [--skip build,functions,...]
  python3 benchmarks/tapset_db.py --report RESULTS.json
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench  # noqa: E402
from _bench import Stats, log  # noqa: E402

SHIPPED = _bench.REPO / "tapset_db" / "tapsets-4.8.jsonl"

LOAD_PROBE = """
import json, sys, time
t0 = time.perf_counter()
from stapkit.tapsets.db import TapsetDB
t1 = time.perf_counter()
db = TapsetDB.load(sys.argv[1])
t2 = time.perf_counter()
db.aliases("socket.send"); db.functions("ip_ntop")
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "lookup": t3 - t2}))
"""


RELEASES = _bench.REPO / "tapset_db" / "tapsets-releases.jsonl"

RELEASE_LOAD_PROBE = """
import json, sys, time
t0 = time.perf_counter()
from stapkit.tapsets.releases import ReleaseHistory
t1 = time.perf_counter()
db = ReleaseHistory.load(sys.argv[1]).view("5.5")
t2 = time.perf_counter()
db.aliases("socket.send"); db.functions("ip_ntop")
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "lookup": t3 - t2}))
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, metavar="N")
    ap.add_argument("--slow-runs", type=int, default=2, metavar="N")
    ap.add_argument("--skip", default="", help="comma-separated: build,load,aliases,functions,show")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--kernel-tree", type=Path, default=None)
    ap.add_argument("--report", type=Path, metavar="JSONFILE",
                    help="measure nothing: print the tables of results saved with --json")
    args = ap.parse_args(argv)
    if args.report:
        import json

        print_report(json.loads(args.report.read_text()))
        return 0
    skip = set(filter(None, args.skip.split(",")))

    def measure(scratch: Path, src: Path) -> dict:
        env = _bench.stapkit_env(src)
        results: dict = {"size_bytes": SHIPPED.stat().st_size}
        stap = _bench.find_stap()
        tree = _bench.kernel_tree(args.kernel_tree, scratch)
        stap_ok = stap is not None and _bench.stap_problem(stap, tree, scratch) is None
        results["stap"] = _bench.stap_version(stap) if stap_ok else None

        def timed(cmd, runs, timeout=600):
            out = []
            for _ in range(runs):
                run = _bench.run_once(cmd, cwd=scratch, env=env, timeout=timeout, scratch=scratch)
                out.append(run)
            return Stats(out)

        if "build" not in skip:
            log("build ...")
            stats = timed(_bench.stapkit_cmd("db", "build", "--systemtap-version", "4.8", "--output",
                                             str(scratch / "built.jsonl")), args.slow_runs)
            results["build"] = stats.as_dict()
            results["build_identical_to_shipped"] = (scratch / "built.jsonl").read_bytes() == SHIPPED.read_bytes()
        if "load" not in skip:
            log("load ...")
            samples = []
            for _ in range(max(args.runs, 5) * 4):
                p = subprocess.run([sys.executable, "-c", LOAD_PROBE, str(SHIPPED)], env=env, capture_output=True,
                                   text=True, timeout=60)
                import json

                samples.append(json.loads(p.stdout))
            results["load"] = {k: {"median": statistics.median(s[k] for s in samples),
                                   "min": min(s[k] for s in samples)} for k in samples[0]}
        if "release-load" not in skip and RELEASES.is_file():
            log("release-load ...")
            samples = []
            for _ in range(max(args.runs, 5) * 4):
                p = subprocess.run([sys.executable, "-c", RELEASE_LOAD_PROBE, str(RELEASES)], env=env,
                                   capture_output=True, text=True, timeout=60)
                import json

                samples.append(json.loads(p.stdout))
            results["release_load"] = {k: {"median": statistics.median(s[k] for s in samples),
                                           "min": min(s[k] for s in samples)} for k in samples[0]}
            results["release_size_bytes"] = RELEASES.stat().st_size
        pairs = {
            "aliases": (_bench.stapkit_cmd("db", "list", "**", "--all-targets"),
                        [stap, "-r", str(tree), "--dump-probe-aliases"] if stap_ok else None, args.runs),
            "functions": (_bench.stapkit_cmd("db", "list", "--functions", "**", "--all-targets"),
                          [stap, "-r", str(tree), "--dump-functions"] if stap_ok else None, args.slow_runs),
            "show": (_bench.stapkit_cmd("db", "show", "socket.send"),
                     [stap, "-r", str(tree), "-L", "socket.send"] if stap_ok else None, args.runs),
        }
        for name, (ours, theirs, runs) in pairs.items():
            if name in skip:
                continue
            log(f"{name} ...")
            ours_runs, theirs_runs = [], []
            for _ in range(runs):  # round robin: a slow spell hits both alike
                ours_runs.append(_bench.run_once(ours, cwd=scratch, env=env, timeout=600, scratch=scratch))
                if theirs:
                    theirs_runs.append(_bench.run_once(theirs, cwd=scratch, env=env, timeout=600, scratch=scratch))
            entry = {"stapkit": Stats(ours_runs).as_dict(),
                     "stapkit_lines": len(ours_runs[-1].stdout.splitlines())}
            if theirs_runs:
                entry["stap"] = Stats(theirs_runs).as_dict()
                entry["stap_lines"] = len(theirs_runs[-1].stdout.splitlines())
            results[name] = entry
        return results

    return _bench.measure_in_scratch(measure, print_report, as_json=args.json)


def print_report(r: dict) -> None:
    print(f"shipped DB: {r['size_bytes'] / 1e6:.2f} MB (goal: under 5 MB)")
    if "build" in r:
        b = r["build"]["wall"]
        print(f"build: {b['median']:.2f} s median, {b['min']:.2f} s min (goal: under 30 s); "
              f"identical to the shipped DB: {r['build_identical_to_shipped']}")
    if "load" in r:
        load = r["load"]
        print(f"load: {load['load']['median'] * 1000:.1f} ms median ({load['load']['min'] * 1000:.1f} min) "
              f"(goal: under 30 ms); import {load['import']['median'] * 1000:.1f} ms; "
              f"first lookups {load['lookup']['median'] * 1000:.2f} ms")
    if "release_load" in r:
        load = r["release_load"]
        print(f"release history: {r['release_size_bytes'] / 1e6:.2f} MB (goal: under 8 MB); 5.5's view loaded in "
              f"{load['load']['median'] * 1000:.1f} ms median ({load['load']['min'] * 1000:.1f} min) "
              f"(goal: under 40 ms); first lookups {load['lookup']['median'] * 1000:.2f} ms")
    rows = []
    for name in ("aliases", "functions", "show"):
        if name not in r:
            continue
        e = r[name]
        ours = e["stapkit"]["wall"]
        row = [name, f"{ours['median']:.3f} ({ours['min']:.3f})", str(e["stapkit_lines"])]
        if "stap" in e:
            theirs = e["stap"]["wall"]
            row += [f"{theirs['median']:.3f} ({theirs['min']:.3f})", str(e["stap_lines"]),
                    f"{ours['median'] / theirs['median']:.3f}"]
        else:
            row += ["-", "-", "-"]
        rows.append(row)
    if rows:
        print()
        print(_bench.table(["query", "stapkit s median (min)", "lines", "stap s median (min)", "lines",
                            "ratio"], rows))
    print()
    m = r["machine"]
    print(f"machine: {m.get('date')}, {m.get('cpus')} cores ({m.get('cpu_model')}), Python {m.get('python')}, "
          f"load average at start {m.get('load_average')}; stapkit at commit "
          f"{m.get('stapkit_checkout', {}).get('commit')}")
    warning = _bench.busy_warning(r.get("contention"))
    if warning:
        print(warning)


if __name__ == "__main__":
    sys.exit(main())
