#!/usr/bin/env python3
"""Start-up cost: `stapkit parse` of one small script next to `stap -p1` of it.

Each command runs --runs times (default 10) after one unmeasured warm-up run,
round robin (every command once per round, so a slow spell hits all alike);
the median and the minimum wall time are reported, and CPU time (user + sys,
from getrusage(RUSAGE_CHILDREN)).  To show where stapkit's start-up goes:

  python3 -c pass                     the interpreter alone
  python3 -c "import stapkit.syntax"  plus importing the parser (lark, attrs, ...)
  python3 -m stapkit --version        plus the CLI's argument parser
  stapkit parse SMALL.stp             plus the grammar tables, the library macros, the parse
  stapkit parse, no .pyc              the sources compiled at every start (PYTHONDONTWRITEBYTECODE=1
                                      and no __pycache__, as in a checkout run that way)
  stapkit parse, no cache             STAPKIT_NO_GRAMMAR_CACHE=1: Lark builds the LALR tables and
                                      the library macros are read again (no user cache)
  stap --version                      stap's own start-up
  stap -p1 SMALL.stp                  plus stap's parse of its tapset library and the script

then, inside one process, the first parse_file call split into its parts,
and the slowest imports (python3 -X importtime).

Usage:
  python3 benchmarks/startup.py [--runs N] [--json] [--hyperfine]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench  # noqa: E402
from _bench import Stats, log  # noqa: E402

SMALL_SCRIPT = """\
# A small, valid SystemTap script: the start-up benchmark parses it.
global ticks

probe timer.ms(100) {
    ticks++
    if (ticks >= 3)
        exit()
}

probe end {
    printf("%d ticks, %s\\n", ticks, "done")
}
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=10, metavar="N", help="measured runs of each command (default 10)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON instead of tables")
    ap.add_argument("--report", type=Path, metavar="JSONFILE",
                    help="measure nothing: print the tables of results saved with --json")
    ap.add_argument("--hyperfine", action="store_true",
                    help="also time the main commands with hyperfine, if it is installed")
    ap.add_argument("--kernel-tree", type=Path, default=None,
                    help="kernel build tree for stap -r (default: $STAP_ORACLE_KERNEL or "
                         "/tmp/stap-oracle-kernel if present, else a fake one in a temporary directory)")
    ap.add_argument("--phase-worker", nargs=2, metavar=("SCRIPT", "OUTFILE"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.report:
        print_report(json.loads(args.report.read_text()))
        return 0
    if args.phase_worker:
        return phase_worker(Path(args.phase_worker[0]), Path(args.phase_worker[1]))
    if args.runs < 1:
        ap.error("--runs must be at least 1")

    def measure_all(scratch: Path, src: Path) -> dict:
        results = measure(args, scratch, src)
        results["speed_check"]["end"] = _bench.speed_probe()
        results["load_average_at_end"] = _bench.load_average()
        results["source_digest_at_end"] = _bench.source_digest()
        return results

    return _bench.measure_in_scratch(measure_all, print_report, as_json=args.json)

def measure(args, scratch: Path, src: Path) -> dict:
    script = scratch / "small.stp"
    script.write_text(SMALL_SCRIPT)
    env = _bench.stapkit_env(src)
    raw_env = _bench.stapkit_env(_bench.snapshot(scratch, compiled=False, name="src-no-pyc"), compiled=False)
    py = sys.executable
    commands: list[tuple[str, str, list[str], dict]] = [
        ("python", "python3 -c pass", [py, "-c", "pass"], env),
        ("import", 'python3 -c "import stapkit.syntax"', [py, "-c", "import stapkit.syntax"], env),
        ("version", "python3 -m stapkit --version", _bench.stapkit_cmd("--version"), env),
        ("stapkit", "stapkit parse small.stp", _bench.stapkit_cmd("parse", str(script)), env),
        ("stapkit_nopyc", "stapkit parse small.stp, no .pyc (PYTHONDONTWRITEBYTECODE=1)",
         _bench.stapkit_cmd("parse", str(script)), raw_env),
        ("stapkit_nocache", "stapkit parse small.stp, no cache (STAPKIT_NO_GRAMMAR_CACHE=1)",
         _bench.stapkit_cmd("parse", str(script)), dict(env, STAPKIT_NO_GRAMMAR_CACHE="1")),
    ]
    skipped = {}
    stap = _bench.find_stap()
    tree = None
    if stap is None:
        skipped["stap"] = "stap is not installed (Debian: apt-get install systemtap)"
    else:
        tree = _bench.kernel_tree(args.kernel_tree, scratch)
        problem = _bench.stap_problem(stap, tree, scratch)
        if problem:
            skipped["stap"] = problem
            tree = None
    if tree is not None:
        commands += [
            ("stap_version", "stap --version", [stap, "--version"], os.environ),
            ("stap", "stap -p1 small.stp", [stap, "-r", str(tree), "-p1", str(script)], os.environ),
        ]
    for key, why in skipped.items():
        log(f"skipping the stap measurements: {why}")

    # Round robin: each round runs every command once, so that a slow spell of the
    # machine hits all of them alike, and their medians stay comparable.
    samples: dict[str, list] = {key: [] for key, *_ in commands}
    speed = {}
    for round_no in range(args.runs + 1):
        log(f"round {round_no}/{args.runs}{' (warm-up)' if round_no == 0 else ''} ...")
        speed[f"round {round_no}" if round_no else "warm-up"] = _bench.speed_probe()
        for key, label, cmd, cmd_env in commands:
            run = _bench.run_once(cmd, cwd=scratch, env=cmd_env, timeout=300, scratch=scratch)
            if round_no:
                samples[key].append(run)
    measurements = []
    for key, label, cmd, cmd_env in commands:
        runs = samples[key]
        stats = Stats(runs)
        entry = {"id": key, "label": label, "command": " ".join("python3" if c == py else c for c in cmd)}
        entry.update(stats.as_dict())
        entry["ok"] = all(r.rc == 0 for r in runs)
        if not entry["ok"]:
            bad = next(r for r in runs if r.rc != 0)
            entry["message"] = _bench.first_error(bad.stderr) or f"exit {bad.rc}"
        if key == "stapkit":
            entry["output"] = runs[-1].stdout.strip().splitlines()[-1:] if runs[-1].stdout.strip() else []
        measurements.append(entry)
        log(f"{key}: median {entry['wall']['median'] * 1000:.0f} ms")

    by_id = {m["id"]: m for m in measurements}
    ratios = []
    if "stap" in by_id and by_id["stap"]["ok"] and by_id["stapkit"]["ok"]:
        ratios.append({"what": "stapkit parse / stap -p1 (median wall)",
                       "value": by_id["stapkit"]["wall"]["median"] / by_id["stap"]["wall"]["median"]})
        ratios.append({"what": "stapkit parse / stap -p1 (median CPU)",
                       "value": by_id["stapkit"]["cpu"]["median"] / by_id["stap"]["cpu"]["median"]})
        ratios.append({"what": "stapkit parse / stap -p1 (minimum wall)",
                       "value": by_id["stapkit"]["wall"]["min"] / by_id["stap"]["wall"]["min"]})

    phases = measure_phases(script, scratch, env, args.runs)
    imports = import_times(script, scratch, env)
    hyperfine = None
    if args.hyperfine:
        hyperfine = run_hyperfine(script, scratch, env, stap, tree, args.runs)
    return {"benchmark": "startup", "runs": args.runs, "script": SMALL_SCRIPT, "speed_check": speed,
            "stap": _bench.stap_version(stap) if stap else None,
            "measurements": measurements, "ratios": ratios, "skipped": skipped,
            "first_parse_phases": phases, "slowest_imports": imports, "hyperfine": hyperfine}


# ---------------------------------------------------------------------- inside one process

def phase_worker(script: Path, outfile: Path) -> int:
    """The first parse of a fresh process, split: imports, grammar tables, library macros, the parse."""
    t0 = time.perf_counter()
    from stapkit.syntax import ParseOptions, parse_file
    from stapkit.syntax.grammar import tables
    from stapkit.syntax.macro_library import load_macro_library
    from stapkit.syntax.tapset_path import default_tapset_root
    from stapkit.syntax.target import Target
    t1 = time.perf_counter()
    tables()
    t2 = time.perf_counter()
    root = default_tapset_root()
    library = load_macro_library((root,), Target()) if root else None
    t3 = time.perf_counter()
    result = parse_file(str(script), ParseOptions())
    t4 = time.perf_counter()
    parse_file(str(script), ParseOptions())
    t5 = time.perf_counter()
    outfile.write_text(json.dumps({
        "import stapkit.syntax": t1 - t0,
        "grammar tables (from the cache)": t2 - t1,
        "library macros (.stpm)": t3 - t2,
        "first parse_file": t4 - t3,
        "second parse_file": t5 - t4,
        "library_macros": len(library.macros) if library else 0,
        "diagnostics": len(result.diagnostics),
    }))
    return 0


def measure_phases(script: Path, scratch: Path, env, runs: int) -> dict | None:
    outfile = scratch / "phases.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--phase-worker", str(script), str(outfile)]
    samples = []
    for _ in range(runs):
        run = _bench.run_once(cmd, cwd=scratch, env=env, timeout=300, scratch=scratch)
        if run.rc != 0 or not outfile.exists():
            log(f"the phase split failed (exit {run.rc}): {(run.stderr.strip().splitlines() or [''])[-1]}")
            return None
        samples.append(json.loads(outfile.read_text()))
        outfile.unlink()
    keys = [k for k in samples[0] if isinstance(samples[0][k], float)]
    out = {k: {"median": statistics.median(s[k] for s in samples), "min": min(s[k] for s in samples)}
           for k in keys}
    out["library_macros"] = samples[0]["library_macros"]
    return out


def import_times(script: Path, scratch: Path, env, top: int = 10) -> list[dict] | None:
    """The imports of one `stapkit parse` run that take longest (cumulative, -X importtime)."""
    cmd = [sys.executable, "-X", "importtime", "-m", "stapkit", "parse", str(script)]
    run = _bench.run_once(cmd, cwd=scratch, env=env, timeout=300, scratch=scratch)
    rows = []
    for line in run.stderr.splitlines():
        # "import time:   self [us] | cumulative | imported package"
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3:
            continue
        try:
            self_us = int(parts[0].split(":", 1)[1])
            cumulative_us = int(parts[1])
        except ValueError:  # the header line
            continue
        raw = parts[2]
        depth = (len(raw) - len(raw.lstrip(" ")) - 1) // 2
        rows.append({"module": raw.strip(), "self_ms": self_us / 1000,
                     "cumulative_ms": cumulative_us / 1000, "depth": depth})
    if not rows:
        return None
    packages: dict[str, float] = {}
    for r in rows:
        name = r["module"].lstrip("_").split(".")[0] if not r["module"].startswith("stapkit.") else \
            ".".join(r["module"].split(".")[:2])
        packages[name] = packages.get(name, 0.0) + r["self_ms"]
    return {
        "total_ms": sum(r["self_ms"] for r in rows),
        "by_package": [{"package": k, "self_ms": v}
                       for k, v in sorted(packages.items(), key=lambda kv: -kv[1])[:top]],
        "by_module": sorted(({"module": r["module"], "self_ms": r["self_ms"]} for r in rows),
                            key=lambda r: -r["self_ms"])[:top],
    }


# ---------------------------------------------------------------------- hyperfine

def run_hyperfine(script: Path, scratch: Path, env, stap, tree, runs: int) -> dict | None:
    hyperfine = shutil.which("hyperfine")
    if hyperfine is None:
        log("--hyperfine: hyperfine is not installed (Debian: apt-get install hyperfine); skipped")
        return None
    export = scratch / "hyperfine.json"
    py = sys.executable
    commands = [f"{py} -m stapkit parse {script}", f"{py} -c 'import stapkit.syntax'"]
    if tree is not None:
        commands.append(f"{stap} -r {tree} -p1 {script}")
    cmd = [hyperfine, "--warmup", "1", "--runs", str(runs), "--export-json", str(export),
           "--style", "basic", *commands]
    log("hyperfine ...")
    p = subprocess.run(cmd, env=env, cwd=scratch, capture_output=True, text=True, timeout=1800)
    if p.returncode != 0 or not export.exists():
        log(f"hyperfine failed (exit {p.returncode}): {p.stderr.strip()[-300:]}")
        return None
    data = json.loads(export.read_text())
    def shown(command):
        return command.replace(py, "python3").replace(str(script), "small.stp").replace(str(tree), "TREE")

    return {"commands": [{"command": shown(r["command"]), "mean": r["mean"],
                          "stddev": r["stddev"], "median": r["median"], "min": r["min"]}
                         for r in data["results"]]}


# ---------------------------------------------------------------------- printing

def print_report(r: dict) -> None:
    m = r["machine"]
    print("start-up: one small script (12 lines, a global, two probes, a printf)")
    print(f"  {m['date']}, {m['cpus']} cores ({m.get('cpu_model', '?')}), Python {m['python']}; "
          f"{r['stap'] or 'stap: not available'}")
    print(f"  {_bench.describe_checkout(m['stapkit_checkout'])}")
    print(f"  each: median (min) of {r['runs']} runs, round robin, after one warm-up round\n")
    rows = []
    for d in r["measurements"]:
        rows.append([d["label"], f"{d['wall']['median'] * 1000:.0f} ({d['wall']['min'] * 1000:.0f})",
                     f"{d['cpu']['median'] * 1000:.0f} ({d['cpu']['min'] * 1000:.0f})",
                     f"{d['maxrss_kb']['median'] / 1024:.0f}",
                     "ok" if d["ok"] else f"FAILED: {d.get('message', '')}"])
    print(_bench.table(["command", "wall ms", "CPU ms", "peak RSS MB", ""], rows, right={1, 2, 3}))
    for key, why in r["skipped"].items():
        print(f"{key}: skipped: {why}")
    for x in r["ratios"]:
        print(f"{x['what']}: {x['value']:.2f}")
    for warning in (_bench.busy_warning(r.get("contention")), _bench.speed_warning(r.get("speed_check")),
                    _bench.sources_changed_note(m["stapkit_checkout"], r.get("source_digest_at_end"))):
        if warning:
            print(warning)
    p = r.get("first_parse_phases")
    if p:
        print(f"\ninside one fresh process (median of {r['runs']}):")
        rows = [[k, f"{v['median'] * 1000:.1f}", f"{v['min'] * 1000:.1f}"]
                for k, v in p.items() if isinstance(v, dict)]
        print(_bench.table(["phase", "median ms", "min ms"], rows, right={1, 2}))
        print(f"  ({p['library_macros']} library macros)")
    imports = r.get("slowest_imports")
    if imports:
        print(f"\nimports of one `stapkit parse` run (python3 -X importtime, one run; "
              f"{imports['total_ms']:.0f} ms in all, inflated by the tracing):")
        left = [[i["package"], f"{i['self_ms']:.1f}"] for i in imports["by_package"]]
        right = [[i["module"], f"{i['self_ms']:.1f}"] for i in imports["by_module"]]
        n = max(len(left), len(right))
        left += [["", ""]] * (n - len(left))
        right += [["", ""]] * (n - len(right))
        print(_bench.table(["package", "ms", "   module", "ms"],
                           [a[:1] + a[1:] + ["   " + b[0], b[1]] for a, b in zip(left, right)],
                           right={1, 3}))
    h = r.get("hyperfine")
    if h:
        print("\nhyperfine:")
        rows = [[c["command"], f"{c['mean'] * 1000:.0f} ± {c['stddev'] * 1000:.0f}",
                 f"{c['median'] * 1000:.0f}", f"{c['min'] * 1000:.0f}"] for c in h["commands"]]
        print(_bench.table(["command", "mean ms", "median ms", "min ms"], rows, right={1, 2, 3}))


if __name__ == "__main__":
    sys.exit(main())
