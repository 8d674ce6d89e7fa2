#!/usr/bin/env python3
"""How `stapkit lint` grows with the size of one script: time and peak memory on generated
scripts of 0.1, 1 and 8 MB (by default), and the ratio of each to the smallest.

The scripts are made by `generate(size)`: deterministic (the same bytes for the same size),
a valid script of many small declarations of the usual kinds (begin/end, timers,
kernel.function, syscall aliases, globals, arrays and statistics, functions, printf).
Lint should grow at most as n log n: each size 10x the last should cost at most ~10-13x
the time, not 100x.  tests/lint/test_scale.py asserts the same as a ratio with a
generous bound; this script measures and prints, it asserts nothing.

  --interrupts N   instead: N runs of `lint -j 2` on the tapset library, each sent SIGINT
                   (once or twice) at a different moment; counts the runs that did not
                   end with status 130 and one line, printed a traceback, or hung.

Usage:
  python3 benchmarks/scale.py [--sizes 0.1,1,8] [--jobs 1] [--profile SIZE_MB]
  python3 benchmarks/scale.py --interrupts 200
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

GLOBAL_KINDS = ("count", "array", "stat", "string")


def generate(size: int, seed: int = 516) -> str:
    """A valid SystemTap script of about `size` bytes (never less), the same for the same
    size and seed: blocks of a few globals, functions and probes that use them."""
    rng = random.Random(seed)
    parts: list[str] = []
    total = 0
    block = 0
    while total < size:
        text = _block(block, rng)
        parts.append(text)
        total += len(text)
        block += 1
    parts.append("probe timer.s(60) {\n  exit()\n}\n")
    return "".join(parts)


def _block(n: int, rng: random.Random) -> str:
    """One block: globals n_*, two functions, and five to eight probes on varied points."""
    out = [f"# block {n}\n",
           f"global count_{n}, bytes_{n}[{rng.randint(64, 4096)}], latency_{n}, last_{n}\n\n",
           f"function scale_{n}(value, factor) {{\n"
           f"  if (factor == 0)\n    return value\n"
           f"  return value * factor + {rng.randint(1, 999)}\n}}\n\n",
           f"function label_{n}:string(name:string, id:long) {{\n"
           f"  return sprintf(\"%s-%d-{n}\", name, id)\n}}\n\n"]
    points = [
        ("begin", f"  count_{n} = {rng.randint(0, 9)}\n  last_{n} = \"start\"\n"),
        (f"timer.ms({rng.randint(10, 5000)})",
         f"  count_{n}++\n  if (count_{n} > {rng.randint(100, 100000)})\n    count_{n} = 0\n"),
        (f"kernel.function(\"{rng.choice(('vfs_read', 'vfs_write', 'do_sys_open', 'tcp_sendmsg'))}\")",
         f"  bytes_{n}[execname()] += scale_{n}({rng.randint(1, 64)}, 2)\n"),
        (rng.choice(("syscall.read", "syscall.write", "syscall.openat", "syscall.close")),
         f"  latency_{n} <<< gettimeofday_us() % {rng.randint(10, 1000)}\n"
         f"  last_{n} = label_{n}(execname(), pid())\n"),
        (rng.choice(("syscall.read.return", "syscall.write.return")),
         f"  if (retval > 0)\n    bytes_{n}[\"ret\"] += retval\n"),
        (f"timer.s({rng.randint(1, 30)})",
         f"  printf(\"%s %d\\n\", last_{n}, count_{n})\n"),
        ("end",
         f"  foreach (name in bytes_{n}- limit {rng.randint(3, 20)})\n"
         f"    printf(\"%-16s %d\\n\", name, bytes_{n}[name])\n"
         f"  if (@count(latency_{n}))\n"
         f"    printf(\"avg %d us\\n\", @avg(latency_{n}))\n"),
    ]
    chosen = points[:2] + rng.sample(points[2:], rng.randint(3, len(points) - 2))
    for point, body in chosen:
        out.append(f"probe {point} {{\n{body}}}\n\n")
    return "".join(out)


# --------------------------------------------------------------------------- scale


def measure_sizes(sizes_mb: list[float], jobs: int) -> list[dict]:
    """`stapkit lint --no-cache` of each generated script in a child process: wall and CPU
    seconds, and its peak RSS (wait4's, the largest of the process and its workers)."""
    import tempfile

    import _bench

    rows = []
    with tempfile.TemporaryDirectory(prefix="stapkit-scale-") as tmp:
        scratch = Path(tmp)
        src = _bench.snapshot(scratch)
        env = _bench.stapkit_env(src)
        for size_mb in sizes_mb:
            script = scratch / f"scale-{size_mb}MB.stp"
            script.write_text(generate(int(size_mb * 1_000_000)))
            _bench.log(f"lint {script.name} ({script.stat().st_size:,} bytes) ...")
            cmd = _bench.stapkit_cmd("lint", "--no-cache", "--output-format", "concise", "-j", str(jobs),
                                     str(script))
            # cwd: python -m puts it first on the path, ahead of the snapshot
            rc, usage, wall = _bench.spawn_and_wait(cmd, cwd=scratch, env=env, timeout=3600)
            rows.append({"size_mb": size_mb, "bytes": script.stat().st_size, "rc": rc, "wall": wall,
                         "cpu": usage.ru_utime + usage.ru_stime, "maxrss_kb": usage.ru_maxrss})
    return rows


def print_sizes(rows: list[dict]) -> None:
    import math

    print(f"{'size':>8} {'bytes':>11} {'cpu s':>8} {'wall s':>8} {'peak RSS':>9} "
          f"{'cpu ratio':>10} {'RSS ratio':>10} {'n log n ratio':>14}")
    first = rows[0]
    for row in rows:
        growth = row["bytes"] / first["bytes"]
        n_log_n = growth * math.log(row["bytes"]) / math.log(first["bytes"])
        print(f"{row['size_mb']:>6} MB {row['bytes']:>11,} {row['cpu']:>8.2f} {row['wall']:>8.2f} "
              f"{row['maxrss_kb'] // 1024:>6} MB {row['cpu'] / first['cpu']:>10.1f} "
              f"{row['maxrss_kb'] / first['maxrss_kb']:>10.1f} {n_log_n:>14.1f}"
              + ("" if row["rc"] in (0, 1) else f"   (exit status {row['rc']})"))


def profile(size_mb: float, top: int) -> None:
    """cProfile (CPU time) of lint in this process on one generated script."""
    import cProfile
    import io
    import pstats
    import time

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from stapkit.lint.runner import lint_text

    text = generate(int(size_mb * 1_000_000))
    lint_text("probe begin { exit() }\n", "warm.stp")
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    lint_text(text, "scale.stp")
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    print(out.getvalue())


# --------------------------------------------------------------------------- interrupts


def interrupt_runs(runs: int, paths: list[str], jobs: int, seed: int = 130, source: Path | None = None) -> dict:
    """`runs` runs of `stapkit lint -j JOBS --no-cache PATHS`, each sent SIGINT (to its
    process group, as a terminal does) once or twice at a moment spread over the whole
    run: start-up, middle, near the end, after it.  A run is good when it ends with
    status 130 and exactly the line "stapkit: interrupted" on stderr (or, when the signal
    came after the work was done, with its normal status and nothing on stderr), within
    a bound, and leaves no process of its group behind."""
    import os
    import signal
    import subprocess
    import tempfile
    import time

    import _bench

    rng = random.Random(seed)
    counts = {"runs": 0, "interrupted": 0, "finished": 0, "bad_status": 0, "bad_stderr": 0,
              "traceback": 0, "hang": 0, "left_behind": 0}
    examples: list[str] = []
    if source is not None:
        _bench.REPO = source  # another checkout's stapkit (to compare with main)
    with tempfile.TemporaryDirectory(prefix="stapkit-interrupt-") as tmp:
        src = _bench.snapshot(Path(tmp))
        env = _bench.stapkit_env(src)
        cmd = _bench.stapkit_cmd("lint", "-j", str(jobs), "--no-cache", *paths)
        start = time.monotonic()
        # cwd: python -m puts it first on the path, ahead of the snapshot
        subprocess.run(cmd, cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        whole = time.monotonic() - start
        _bench.log(f"an uninterrupted run takes {whole:.1f} s")
        for number in range(runs):
            first = rng.uniform(0.15, whole * 1.05)
            delays = [first] + ([first + rng.uniform(0.0, 0.3)] if number % 3 == 0 else [])
            # SIGINT's default action back: started from a background job, we inherit it ignored
            # (and so would stapkit, as every program does).
            proc = subprocess.Popen(cmd, cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    start_new_session=True, preexec_fn=_default_sigint)
            began = time.monotonic()
            for delay in delays:
                time.sleep(max(0.0, began + delay - time.monotonic()))
                try:
                    os.killpg(proc.pid, signal.SIGINT)
                except ProcessLookupError:
                    pass
            counts["runs"] += 1
            try:
                _, err = proc.communicate(timeout=30 + whole)
            except subprocess.TimeoutExpired:
                counts["hang"] += 1
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
                examples.append(f"run {number}: hung (signals at {delays})")
                continue
            stderr = err.decode(errors="replace")
            time.sleep(0.05)
            try:
                os.killpg(proc.pid, 0)
                counts["left_behind"] += 1
                os.killpg(proc.pid, signal.SIGKILL)
                examples.append(f"run {number}: processes left behind (signals at {delays})")
            except ProcessLookupError:
                pass
            if "Traceback" in stderr or "Error" in stderr:
                counts["traceback"] += 1
                examples.append(f"run {number}: signals at {delays}: {stderr[-400:]!r}")
            if proc.returncode == 130:
                counts["interrupted"] += 1
                if stderr != "stapkit: interrupted\n":
                    counts["bad_stderr"] += 1
                    examples.append(f"run {number}: stderr {stderr[-400:]!r}")
            elif proc.returncode in (0, 1) and stderr == "":
                counts["finished"] += 1  # the signal came after the work was done
            else:
                counts["bad_status"] += 1
                examples.append(f"run {number}: status {proc.returncode}, stderr {stderr[-400:]!r}")
    counts["examples"] = examples[:20]
    return counts


def _default_sigint() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def main(argv=None) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="0.1,1,8", help="script sizes in MB (comma-separated)")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--profile", type=float, metavar="SIZE_MB", help="cProfile lint of one size instead")
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--interrupts", type=int, metavar="N", help="N interrupted runs instead")
    ap.add_argument("--paths", default="/usr/share/systemtap/tapset", help="what --interrupts lints")
    ap.add_argument("--stapkit-from", type=Path, metavar="CHECKOUT",
                    help="--interrupts: run the stapkit of this checkout instead (e.g. main, to compare)")
    args = ap.parse_args(argv)
    if args.profile:
        profile(args.profile, args.top)
        return 0
    if args.interrupts:
        import json

        counts = interrupt_runs(args.interrupts, args.paths.split(","), max(args.jobs, 2),
                                source=args.stapkit_from)
        print(json.dumps(counts, indent=2))
        bad = sum(counts[k] for k in ("bad_status", "bad_stderr", "traceback", "hang", "left_behind"))
        return 1 if bad else 0
    print_sizes(measure_sizes([float(s) for s in args.sizes.split(",")], args.jobs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
