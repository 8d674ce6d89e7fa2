#!/usr/bin/env python3
"""How long stapkit takes to parse SystemTap's whole tapset library, next to stap -p1.

Measurements (each repeated --repeat times after one unmeasured warm-up run;
the median and the minimum are reported).  The one-command measurements
(a1 a2 a3 b0 c1 c2) run round robin, one of each per round, so that a slow
spell of the machine hits them alike; then b1, b2 and d, each on its own:

  a1  stapkit parse --jobs 1 FILES...       all files, one CLI run, one process
  a2  stapkit parse FILES...                the default: one worker per core
  a3  N x stapkit parse --jobs 1            the files split in N shares (N = cores),
                                            N CLI runs at once: what a2 can hope for
  b0  stap -p1 of a trivial script          stap's start-up plus its own parse of the
                                            library (every stap run pays it)
  b1  stap -g -p1 COPY, file after file     one stap per file, sequentially
  b2  the same, N stap processes at once    N = --stap-jobs (default: cores)
  c1  stap -g -p1 ALL.stp                   every .stp file concatenated into one script
  c2  stapkit parse --guru ALL.stp          the same concatenation through stapkit
  d   lex / preprocess / parse / ...        where stapkit's time goes (Python API, in a
                                            fresh process per repeat, gc enabled)

stap refuses to run a file of its tapset directory as a script, so b1/b2 run
copies placed in a temporary directory.  Some tapset files are empty after
preprocessing (.stpm macro files, and files for other architectures or
kernels): stap exits 1 for them; that is counted, not a failure of the
benchmark.

Usage:
  python3 benchmarks/parse_tapsets.py [--repeat N] [--json] [--only a1,b1,...]

Wall time: time.perf_counter around the run.  CPU time: user + system, from
getrusage(RUSAGE_CHILDREN) before and after (it includes stapkit's worker
processes).  Peak RSS: ru_maxrss from wait4 of the child, the largest single
process (not a sum over workers).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _bench  # noqa: E402
from _bench import Run, Stats, log  # noqa: E402

ALL_IDS = ("a1", "a2", "a3", "b0", "b1", "b2", "c1", "c2", "d")
SUMMARY_LINE = re.compile(r"^(\d+) files? parsed: (.*)$", re.M)

# Ratios printed at the end: (stapkit measurement, stap measurement, what it compares).
RATIOS = (
    ("a1", "b1", "one process each side: stapkit --jobs 1 vs one stap per file, sequential"),
    ("a2", "b2", "all cores each side: stapkit default vs N stap at once"),
    ("a3", "b2", "all cores each side: N x stapkit --jobs 1 vs N stap at once"),
    ("a1", "c1", "one process each side: stapkit --jobs 1 vs stap on the concatenation"),
    ("c2", "c1", "the same single file (the concatenation) through each"),
)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, metavar="N", help="measured runs of each (default 3)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON instead of tables")
    ap.add_argument("--report", type=Path, metavar="JSONFILE",
                    help="measure nothing: print the tables of results saved with --json")
    ap.add_argument("--only", metavar="IDS", help=f"comma-separated subset of {','.join(ALL_IDS)}")
    ap.add_argument("--skip", metavar="IDS", help="comma-separated measurements to leave out (b1,b2 take minutes)")
    ap.add_argument("--tapset-dir", type=Path, default=_bench.DEFAULT_TAPSET_DIR,
                    help=f"the tapset library (default {_bench.DEFAULT_TAPSET_DIR})")
    ap.add_argument("--kernel-tree", type=Path, default=None,
                    help="kernel build tree for stap -r (default: $STAP_ORACLE_KERNEL or "
                         "/tmp/stap-oracle-kernel if present, else a fake one in a temporary directory)")
    ap.add_argument("--stap-jobs", type=int, default=os.cpu_count() or 2, metavar="N",
                    help="stap processes at once for b2, stapkit CLI runs at once for a3 (default: cores)")
    ap.add_argument("--no-warmup", action="store_true", help="measure the first run too")
    ap.add_argument("--limit", type=int, default=None, metavar="N",
                    help="only the first N files (to try the script out; numbers not comparable)")
    ap.add_argument("--timeout", type=float, default=600, help="seconds before a child is killed (default 600)")
    ap.add_argument("--stage-worker", nargs=2, metavar=("LISTFILE", "OUTFILE"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.report:
        print_report(json.loads(args.report.read_text()))
        return 0
    if args.stage_worker:
        return stage_worker(Path(args.stage_worker[0]), Path(args.stage_worker[1]))
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")

    wanted = set(ALL_IDS)
    if args.only:
        wanted = {x.strip() for x in args.only.split(",") if x.strip()}
    if args.skip:
        wanted -= {x.strip() for x in args.skip.split(",")}
    unknown = wanted - set(ALL_IDS)
    if unknown:
        ap.error(f"unknown measurement(s): {', '.join(sorted(unknown))}; known: {', '.join(ALL_IDS)}")

    tapset_dir = args.tapset_dir
    files = tapset_files(tapset_dir)
    if not files:
        log(f"error: no tapset library at {tapset_dir} (no *.stp / *.stpm files there); "
            "install Debian's systemtap-common or pass --tapset-dir")
        return 2
    if args.limit:
        files = files[:args.limit]
    total_bytes = sum(f.stat().st_size for f in files)

    def measure(scratch: Path, src: Path) -> dict:
        bench = Bench(args, files, scratch, wanted, _bench.stapkit_env(src))
        bench.run_all()
        return bench.results(tapset_dir, total_bytes)

    return _bench.measure_in_scratch(measure, print_report, as_json=args.json)

def tapset_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.rglob("*") if p.suffix in (".stp", ".stpm") and p.is_file())


class Bench:
    def __init__(self, args, files: list[Path], scratch: Path, wanted: set[str], env: dict):
        self.args = args
        self.files = files
        self.scratch = scratch
        self.wanted = wanted
        self.env = env
        self.measurements: dict[str, dict] = {}
        self.skipped: dict[str, str] = {}
        self.stages: dict | None = None
        self.stap = None
        self.tree = None
        self.stap_failures: dict | None = None
        self.speed: dict[str, float] = {}

    def check_speed(self, key: str) -> None:
        self.speed[key] = _bench.speed_probe()

    # ------------------------------------------------------------------ driver

    def run_all(self) -> None:
        a = self.args
        files = [str(f) for f in self.files]
        if self.wanted & {"b0", "b1", "b2", "c1"}:
            self.stap = _bench.find_stap()
            if self.stap is None:
                self.skip_stap("stap is not installed (Debian: apt-get install systemtap)")
            else:
                self.tree = _bench.kernel_tree(a.kernel_tree, self.scratch)
                problem = _bench.stap_problem(self.stap, self.tree, self.scratch)
                if problem:
                    self.skip_stap(problem)
        have_stap = bool(self.stap and self.tree)
        concatenated = self.concatenate() if self.wanted & {"c1", "c2"} else None

        # The one-command measurements run round robin (a1 a2 a3 b0 c1 c2, a1 a2 ...),
        # so that a slow spell of the machine hits them alike.
        tasks = []
        if "a1" in self.wanted:
            tasks.append(self.cli_task("a1", f"stapkit parse --jobs 1 ({len(files)} files)",
                                       _bench.stapkit_cmd("parse", "--jobs", "1", *files)))
        if "a2" in self.wanted:
            tasks.append(self.cli_task("a2", f"stapkit parse ({len(files)} files, default jobs = {os.cpu_count()})",
                                       _bench.stapkit_cmd("parse", *files)))
        if "a3" in self.wanted:
            tasks.append(self.split_cli_task("a3", files, a.stap_jobs))
        if "b0" in self.wanted and have_stap:
            script = self.scratch / "trivial.stp"
            script.write_text("probe begin { exit() }\n")
            tasks.append(self.cli_task("b0", "stap -p1 of a trivial script (start-up + library parse)",
                                       [self.stap, "-r", str(self.tree), "-p1", str(script)],
                                       stap=True, keep_output=False))
        if concatenated and "c1" in self.wanted and have_stap:
            tasks.append(self.cli_task("c1", f"stap -g -p1 ALL.stp ({self.concat_count} .stp files in one script)",
                                       [self.stap, "-r", str(self.tree), "-g", "-p1", str(concatenated)],
                                       stap=True, keep_output=False))
        if concatenated and "c2" in self.wanted:
            tasks.append(self.cli_task("c2", "stapkit parse --guru ALL.stp (the same concatenation)",
                                       _bench.stapkit_cmd("parse", "--guru", str(concatenated))))
        self.round_robin(tasks)

        if have_stap and ("b1" in self.wanted or "b2" in self.wanted):
            copies = self.copy_files()
            if "b1" in self.wanted:
                self.measure_stap_per_file("b1", copies, 1)
            if "b2" in self.wanted:
                self.measure_stap_per_file("b2", copies, a.stap_jobs)
        if "d" in self.wanted:
            self.measure_stages()

    def round_robin(self, tasks) -> None:
        if not tasks:
            return
        runs: dict[str, list[Run]] = {key: [] for key, _, _ in tasks}
        for i, measured in self.repeats():
            self.check_speed(f"round {i}" if measured else "warm-up")
            for key, once, _ in tasks:
                log(f"{key}: {'run ' + str(i) if measured else 'warm-up'} ...")
                run = once()
                log(f"{key}:   {run.wall:.2f} s wall, {run.cpu:.2f} s CPU, exit {run.rc}")
                if measured:
                    runs[key].append(run)
        for key, _, finish in tasks:
            finish(runs[key])

    def skip_stap(self, why: str) -> None:
        log(f"skipping the stap measurements: {why}")
        for key in ("b0", "b1", "b2", "c1"):
            if key in self.wanted:
                self.skipped[key] = why

    def repeats(self):
        """Yields (index, measured?) for the warm-up and the measured runs."""
        if not self.args.no_warmup:
            yield 0, False
        for i in range(1, self.args.repeat + 1):
            yield i, True

    def record(self, key: str, label: str, command: str, runs: list[Run], **extra) -> None:
        stats = Stats(runs)
        self.measurements[key] = {"id": key, "label": label, "command": command, "stats": stats, **extra}

    # ------------------------------------------------------------------ stapkit / single commands

    def cli_task(self, key, label, cmd, *, stap=False, keep_output=True):
        """(key, run it once, record the runs) for one command."""
        def once() -> Run:
            return _bench.run_once(cmd, cwd=self.scratch, env=self.env, timeout=self.args.timeout,
                                   keep_output=keep_output, scratch=self.scratch)

        def finish(runs: list[Run]) -> None:
            last = runs[-1]
            extra = {"exit_status": last.rc}
            if stap:
                extra["message"] = _bench.first_error(last.stderr)
                count = re.search(r"^(\d+) parse errors?\.", last.stderr, re.M)
                if count:
                    extra["message"] += f" ({count.group(1)} parse errors in all)"
            else:
                m = None
                for m in SUMMARY_LINE.finditer(last.stdout):
                    pass
                extra["summary"] = m.group(0) if m else ""
                if last.rc not in (0, 1):
                    extra["message"] = (last.stderr.strip().splitlines() or [""])[0]
            self.record(key, label, " ".join(_shorten(cmd)), runs, **extra)

        return key, once, finish

    def split_cli_task(self, key, files: list[str], jobs: int):
        """N stapkit --jobs 1 runs at once, each on a share of the files balanced by size."""
        shares: list[list[str]] = [[] for _ in range(max(1, jobs))]
        sizes = [0] * len(shares)
        for f in sorted(files, key=lambda f: -os.path.getsize(f)):
            k = sizes.index(min(sizes))
            shares[k].append(f)
            sizes[k] += os.path.getsize(f)
        cmds = [_bench.stapkit_cmd("parse", "--jobs", "1", *sorted(s)) for s in shares if s]

        def once() -> Run:
            return self.run_batch(cmds, len(cmds))

        def finish(runs: list[Run]) -> None:
            self.record(key, f"{len(cmds)} x stapkit parse --jobs 1 at once (files split by size)",
                        f"{len(cmds)} x python3 -m stapkit parse --jobs 1 <share of the files>", runs,
                        exit_status=runs[-1].rc)

        return key, once, finish

    # ------------------------------------------------------------------ stap

    def copy_files(self) -> list[Path]:
        """Copies of the tapset files outside the tapset directory, one directory each
        (stap names its temporary module after the script, so names stay simple)."""
        root = self.scratch / "copies"
        copies = []
        for n, f in enumerate(self.files):
            d = root / f"{n:04d}"
            d.mkdir(parents=True)
            copy = d / ("script" + f.suffix)
            copy.write_bytes(f.read_bytes())
            copies.append(copy)
        return copies

    def stap_cmd(self, copy: Path) -> list[str]:
        return [self.stap, "-r", str(self.tree), "-g", "-p1", str(copy)]

    def run_batch(self, cmds: list[list[str]], jobs: int, collect: list | None = None) -> Run:
        """Runs commands, `jobs` at once; one Run for the batch (CPU summed, peak RSS = largest)."""
        lock = threading.Lock()
        peak = 0
        worst = 0
        local = threading.local()
        scratch = self.scratch / "batch"
        scratch.mkdir(exist_ok=True)
        err_files = []

        def one(i_cmd):
            nonlocal peak, worst
            i, cmd = i_cmd
            err = getattr(local, "err", None)
            if err is None:
                err = local.err = tempfile.TemporaryFile(dir=scratch)
                with lock:
                    err_files.append(err)
            err.seek(0)
            err.truncate()
            rc, usage, _ = _bench.spawn_and_wait(cmd, cwd=self.scratch, env=self.env, stderr=err,
                                                 timeout=self.args.timeout)
            message = ""
            if rc != 0:
                err.seek(0)
                message = _bench.first_error(err.read().decode("utf-8", "replace"))
            with lock:
                peak = max(peak, usage.ru_maxrss)
                if rc != 0 and worst == 0:
                    worst = rc
                if collect is not None:
                    collect.append((i, rc, message))

        u0, s0 = _bench._children_cpu()
        start = time.perf_counter()
        try:
            if jobs <= 1:
                for item in enumerate(cmds):
                    one(item)
            else:
                pool = cf.ThreadPoolExecutor(jobs)
                try:
                    list(pool.map(one, enumerate(cmds)))
                finally:  # on Ctrl-C: start no more (the running ones end in a moment)
                    pool.shutdown(wait=True, cancel_futures=True)
        finally:
            for f in err_files:
                f.close()
        wall = time.perf_counter() - start
        u1, s1 = _bench._children_cpu()
        return Run(wall, u1 - u0, s1 - s0, peak, worst)

    def measure_stap_per_file(self, key: str, copies: list[Path], jobs: int) -> None:
        self.check_speed(key)
        cmds = [self.stap_cmd(c) for c in copies]
        runs = []
        outcome = []
        # Warm-up: one file only (a whole batch takes minutes); it loads stap and the library into the page cache.
        if not self.args.no_warmup:
            self.run_batch(cmds[:1], 1)
        for i in range(1, self.args.repeat + 1):
            outcome = []
            log(f"{key}: run {i} ({len(cmds)} stap processes, {jobs} at once) ...")
            run = self.run_batch(cmds, jobs, collect=outcome)
            log(f"{key}:   {run.wall:.1f} s wall, {run.cpu:.1f} s CPU")
            runs.append(run)
        failures = summarize_failures(outcome, self.files)
        if self.stap_failures is None:
            self.stap_failures = failures
        label = (f"stap -g -p1, one process per file, sequential ({len(cmds)} runs)" if jobs == 1 else
                 f"stap -g -p1, one process per file, {jobs} at once ({len(cmds)} runs)")
        self.record(key, label, "stap -r TREE -g -p1 COPY/script.stp   (for each file)", runs,
                    exit_status=f"{failures['failed']} of {len(cmds)} exit non-zero",
                    per_file_mean=statistics.median(r.wall for r in runs) / len(cmds) * jobs, jobs=jobs)

    def concatenate(self) -> Path | None:
        stp = [f for f in self.files if f.suffix == ".stp"]
        self.concat_count = len(stp)
        if not stp:
            for key in ("c1", "c2"):
                self.skipped[key] = "no .stp files"
            return None
        path = self.scratch / "concat" / "all_tapsets.stp"
        path.parent.mkdir()
        with open(path, "wb") as out:
            for f in stp:
                out.write(f"# ---- {f}\n".encode())
                data = f.read_bytes()
                out.write(data)
                if not data.endswith(b"\n"):
                    out.write(b"\n")
        return path

    # ------------------------------------------------------------------ stapkit's stages

    def measure_stages(self) -> None:
        self.check_speed("d")
        listfile = self.scratch / "stage-files.txt"
        listfile.write_text("\n".join(str(f) for f in self.files) + "\n")
        outfile = self.scratch / "stage-result.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--stage-worker", str(listfile), str(outfile)]
        results = []
        for i, measured in self.repeats():
            log(f"d: {'run ' + str(i) if measured else 'warm-up'} (stage split, Python API) ...")
            run = _bench.run_once(cmd, cwd=self.scratch, env=self.env, timeout=self.args.timeout,
                                  scratch=self.scratch)
            if run.rc != 0 or not outfile.exists():
                why = (run.stderr.strip().splitlines() or ["no output"])[-1]
                log(f"d: the stage split failed (exit {run.rc}): {why}")
                self.skipped["d"] = f"stage worker exited {run.rc}: {why}"
                return
            data = json.loads(outfile.read_text())
            outfile.unlink()
            log(f"d:   {data['total']:.2f} s in parse_file")
            if measured:
                results.append(data)
        self.stages = combine_stages(results)

    # ------------------------------------------------------------------ results

    def results(self, tapset_dir: Path, total_bytes: int) -> dict:
        out = {
            "benchmark": "parse_tapsets",
            "tapset_dir": str(tapset_dir),
            "files": len(self.files),
            "stp_files": sum(1 for f in self.files if f.suffix == ".stp"),
            "stpm_files": sum(1 for f in self.files if f.suffix == ".stpm"),
            "bytes": total_bytes,
            "repeat": self.args.repeat,
            "warmup": not self.args.no_warmup,
            "stap": _bench.stap_version(self.stap) if self.stap else None,
            "kernel_tree": str(self.tree) if self.tree else None,
            "measurements": [],
            "skipped": self.skipped,
            "ratios": [],
            "stap_per_file_outcome": self.stap_failures,
            "stages": self.stages,
            "load_average_at_end": _bench.load_average(),
            "source_digest_at_end": _bench.source_digest(),
            "speed_check": {**self.speed, "end": _bench.speed_probe()},
        }
        for key in ALL_IDS:
            m = self.measurements.get(key)
            if m is None:
                continue
            d = {k: v for k, v in m.items() if k != "stats"}
            d.update(m["stats"].as_dict())
            d["ok"] = measurement_ok(m)
            out["measurements"].append(d)
        out["ratios"] = compute_ratios(out["measurements"])
        return out


def compute_ratios(measurements: list[dict]) -> list[dict]:
    """stapkit / stap, of the medians and of the minimums, from the measurements as in the JSON."""
    by_id = {m["id"]: m for m in measurements}
    ratios = []
    for num, den, what in RATIOS:
        a, b = by_id.get(num), by_id.get(den)
        if a is None or b is None:
            continue
        entry = {"stapkit": num, "stap": den, "what": what}
        if a["ok"] and b["ok"]:
            for attr in ("wall", "cpu"):
                entry[attr] = a[attr]["median"] / b[attr]["median"]
                entry[f"{attr}_min"] = a[attr]["min"] / b[attr]["min"]
        else:
            entry["note"] = "a run failed: no ratio"
        ratios.append(entry)
    return ratios


def measurement_ok(m: dict) -> bool:
    """Did the command do its job?  stapkit: exit 0 or 1 (findings); stap: any exit is data."""
    if m["id"].startswith("a") or m["id"] == "c2":
        return all(r.rc in (0, 1) for r in m["stats"].runs)
    return all(r.rc != "timeout" for r in m["stats"].runs)


def summarize_failures(outcome, files: list[Path]) -> dict:
    by_message: dict[str, list[str]] = {}
    failed = 0
    for i, rc, message in sorted(outcome):
        if rc == 0:
            continue
        failed += 1
        norm = re.sub(r"'[^']*script\.stpm?'", "'FILE'", message) or f"exit {rc}"
        by_message.setdefault(norm, []).append(str(files[i]))
    return {
        "runs": len(outcome),
        "failed": failed,
        "stpm_failed": sum(1 for i, rc, _ in outcome if rc != 0 and files[i].suffix == ".stpm"),
        "by_message": {k: {"count": len(v), "files": v} for k, v in
                       sorted(by_message.items(), key=lambda kv: -len(kv[1]))},
    }


def _shorten(cmd: list[str]) -> list[str]:
    """The command as printed: python path shortened, long file lists elided."""
    out = []
    files = [c for c in cmd if c.endswith((".stp", ".stpm")) and "/" in c]
    for c in cmd:
        if c == sys.executable:
            out.append("python3")
        elif len(files) > 3 and c in files:
            if c == files[0]:
                out.append(f"<{len(files)} files>")
        else:
            out.append(c)
    return out


# ---------------------------------------------------------------------- stage worker (a child process)

STAGES = ("read", "macro library", "lex", "preprocess", "split", "parse", "untaken branches", "finish")
INNER_STAGES = ("solve", "preprocess", "split", "parse")  # inside "untaken branches"


def stage_worker(listfile: Path, outfile: Path) -> int:
    """Parses the files through stapkit.syntax.parse_file, timing each step of parse_text.

    Each step is timed where parse_text calls it (module globals of
    stapkit.syntax.parser are wrapped); a step called from inside another
    (the untaken-branch check preprocesses and parses again) counts for the
    outer one.  Whatever parse_file does between the steps is "other".
    """
    import gc

    import stapkit.syntax.alternatives as alternatives
    import stapkit.syntax.parser as parser
    from stapkit.syntax import ParseOptions
    from stapkit.syntax.grammar import tables

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    t0 = time.perf_counter()
    tables()
    tables_time = time.perf_counter() - t0

    times = dict.fromkeys(STAGES, 0.0)
    inner = dict.fromkeys(INNER_STAGES, 0.0)
    stack: list[str] = []

    def timed(name, fn, within=None):
        """Times fn as the step `name` when called from no other step (or, with
        `within`, as a part of that step when called directly inside it)."""
        book = inner if within else times

        def wrapper(*a, **k):
            if stack != ([within] if within else []):
                return fn(*a, **k)
            stack.append(name)
            start = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                book[name] += time.perf_counter() - start
                stack.pop()
        return wrapper

    patches = {
        (parser, "read_source"): ("read", None),
        (parser, "load_macro_library"): ("macro library", None),
        (parser, "lex"): ("lex", None),
        (parser, "preprocess"): ("preprocess", None),
        (parser, "split_declarations"): ("split", None),
        (parser._FileParse, "parse_declaration"): ("parse", None),
        (alternatives, "check_untaken_branches"): ("untaken branches", None),
        (parser, "_check_globals"): ("finish", None),
        (parser, "_capped"): ("finish", None),
        (parser, "_sorted"): ("finish", None),
        (alternatives, "solve"): ("solve", "untaken branches"),
        (alternatives, "preprocess"): ("preprocess", "untaken branches"),
        (alternatives, "split_declarations"): ("split", "untaken branches"),
        (parser._FileParse, "parse_declaration_diagnostics"): ("parse", "untaken branches"),
    }
    for (owner, attr), (name, within) in patches.items():
        if not hasattr(owner, attr):
            print(f"stapkit internals changed: {owner.__name__}.{attr} is gone; update stage_worker",
                  file=sys.stderr)
            return 3
        setattr(owner, attr, timed(name, getattr(owner, attr), within))

    gc_time = [0.0, 0]
    gc_start = [0.0]

    def on_gc(phase, info):
        if phase == "start":
            gc_start[0] = time.perf_counter()
        else:
            gc_time[0] += time.perf_counter() - gc_start[0]
            gc_time[1] += 1

    gc.callbacks.append(on_gc)
    options = ParseOptions(tapset=True)  # as `stapkit parse` reads files under the tapset root
    per_file = []
    diagnostics = 0
    total = 0.0
    for line in listfile.read_text().splitlines():
        path = line.strip()
        if not path:
            continue
        start = time.perf_counter()
        result = parser.parse_file(path, options)
        elapsed = time.perf_counter() - start
        total += elapsed
        diagnostics += len(result.diagnostics)
        per_file.append((elapsed, path, os.path.getsize(path)))
    gc.callbacks.remove(on_gc)
    per_file.sort(reverse=True)
    data = {
        "tables_load": tables_time,
        "total": total,
        "stages": times,
        "inner": inner,
        "other": total - sum(times.values()),
        "gc": gc_time[0],
        "gc_collections": gc_time[1],
        "diagnostics": diagnostics,
        "slowest": [{"file": p, "seconds": t, "bytes": b} for t, p, b in per_file[:5]],
    }
    outfile.write_text(json.dumps(data))
    return 0


def combine_stages(results: list[dict]) -> dict:
    def med(values):
        return statistics.median(values)

    out = {
        "runs": len(results),
        "total": {"median": med([r["total"] for r in results]), "min": min(r["total"] for r in results)},
        "tables_load": med([r["tables_load"] for r in results]),
        "gc": med([r["gc"] for r in results]),
        "gc_collections": med([r["gc_collections"] for r in results]),
        "diagnostics": results[-1]["diagnostics"],
        "stages": {},
        "slowest": results[-1]["slowest"],
    }
    for name in list(STAGES) + ["other"]:
        values = [r["stages"][name] if name != "other" else r["other"] for r in results]
        out["stages"][name] = {"median": med(values), "min": min(values)}
    out["untaken_branches_parts"] = {}
    for name in INNER_STAGES:
        values = [r["inner"][name] for r in results]
        out["untaken_branches_parts"][name] = {"median": med(values), "min": min(values)}
    return out


# ---------------------------------------------------------------------- printing

def print_report(r: dict) -> None:
    m = r["machine"]
    print(f"stapkit vs stap -p1 on the tapset library {r['tapset_dir']}")
    print(f"  {r['files']} files ({r['stp_files']} .stp + {r['stpm_files']} .stpm), "
          f"{r['bytes'] / 1e6:.2f} MB; {r['stap'] or 'stap: not available'}")
    print(f"  {m['date']}, {m['cpus']} cores ({m.get('cpu_model', '?')}), Python {m['python']}, "
          f"load average at start {m.get('load_average')}, at end {r.get('load_average_at_end')}")
    print(f"  {_bench.describe_checkout(m['stapkit_checkout'])}")
    print(f"  each: median (min) of {r['repeat']} runs"
          f"{' after one warm-up run' if r['warmup'] else ''}; CPU = user + sys of all processes\n")
    rows = []
    for d in r["measurements"]:
        status = d.get("exit_status")
        if not d["ok"]:
            status = f"FAILED: {status}"
        rows.append([d["id"], d["label"],
                     f"{_bench.fmt_s(d['wall']['median'])} ({_bench.fmt_s(d['wall']['min'])})",
                     f"{_bench.fmt_s(d['cpu']['median'])} ({_bench.fmt_s(d['cpu']['min'])})",
                     f"{d['maxrss_kb']['median'] / 1024:.0f}",
                     str(status)])
    print(_bench.table(["id", "measurement", "wall s", "CPU s", "peak RSS MB", "exit"], rows, right={2, 3, 4}))
    for key, why in r["skipped"].items():
        print(f"{key}: skipped: {why}")
    notes = []
    for d in r["measurements"]:
        if d.get("summary"):
            notes.append(f"{d['id']}: stapkit says: {d['summary']}")
        if d.get("message"):
            notes.append(f"{d['id']}: {'stap' if d['id'].startswith(('b', 'c1')) else 'stapkit'} "
                         f"exit {d['exit_status']}: {d['message']}")
        if d.get("per_file_mean"):
            jobs = d.get("jobs", 1)
            notes.append(f"{d['id']}: {d['per_file_mean'] * 1000:.0f} ms of wall time per stap process"
                         + (f" ({jobs} running at once)" if jobs > 1 else ""))
        spread = d["wall"]["max"] / d["wall"]["min"] - 1 if d["wall"]["min"] else 0
        if spread > 0.10:
            notes.append(f"{d['id']}: wall times vary by {spread:.0%} between runs: {', '.join(f'{x:.2f}' for x in d['wall']['runs'])}")
    for warning in (_bench.busy_warning(r.get("contention")), _bench.speed_warning(r.get("speed_check")),
                    _bench.sources_changed_note(m["stapkit_checkout"], r.get("source_digest_at_end"))):
        if warning:
            notes.append(warning)
    if notes:
        print()
        print("\n".join(notes))
    outcome = r.get("stap_per_file_outcome")
    if outcome and outcome["failed"]:
        print(f"\nstap per file: {outcome['failed']} of {outcome['runs']} runs exit non-zero "
              f"({outcome['stpm_failed']} of them .stpm macro files):")
        for message, info in outcome["by_message"].items():
            print(f"  {info['count']:4d}  {message}")
    r["ratios"] = compute_ratios(r["measurements"])  # also for results saved by older versions
    if r["ratios"]:
        print("\nratios stapkit / stap, of the medians and of the minimums (> 1: stapkit is slower)")
        rows = []
        for x in r["ratios"]:
            if "wall" in x:
                rows.append([f"{x['stapkit']}/{x['stap']}", f"{x['wall']:.3g}", f"{x['wall_min']:.3g}",
                             f"{x['cpu']:.3g}", f"{x['cpu_min']:.3g}", x["what"]])
            else:
                rows.append([f"{x['stapkit']}/{x['stap']}", "-", "-", "-", "-", f"{x['what']} ({x['note']})"])
        print(_bench.table(["ratio", "wall", "(min)", "CPU", "(min)", "compares"], rows, right={1, 2, 3, 4}))
    s = r.get("stages")
    if s:
        total = s["total"]["median"]
        print(f"\nd: where stapkit's time goes: parse_file on each file, one process, gc enabled "
              f"(median of {s['runs']}; total {total:.2f} s, min {s['total']['min']:.2f} s)")
        rows = []
        for name, v in s["stages"].items():
            rows.append([name, f"{v['median']:.3f}", f"{100 * v['median'] / total:.1f}%" if total else "-"])
            if name == "untaken branches":
                parts = s.get("untaken_branches_parts", {})
                for part, pv in parts.items():
                    rows.append([f"  of which {part}", f"{pv['median']:.3f}",
                                 f"{100 * pv['median'] / total:.1f}%" if total else "-"])
                if parts:
                    rest = v["median"] - sum(pv["median"] for pv in parts.values())
                    rows.append(["  of which the rest", f"{rest:.3f}", f"{100 * rest / total:.1f}%" if total else "-"])
        print(_bench.table(["stage", "seconds", "share"], rows, right={1, 2}))
        print(f"  grammar tables load (once, before): {s['tables_load']:.3f} s; "
              f"garbage collection inside the total: {s['gc']:.3f} s in {s['gc_collections']:.0f} collections; "
              f"{s['diagnostics']} diagnostics")
        print("  slowest files: " + "; ".join(
            f"{Path(x['file']).relative_to(r['tapset_dir']) if x['file'].startswith(r['tapset_dir']) else x['file']} "
            f"{x['seconds']:.3f} s ({x['bytes'] / 1024:.0f} KB)" for x in s["slowest"]))


if __name__ == "__main__":
    sys.exit(main())
