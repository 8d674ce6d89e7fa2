#!/usr/bin/env python3
"""Kernel descriptions: how long reading one takes, and how big a saved one is.

Each measurement runs in a fresh Python process (cold: nothing cached), N times:

  read BTF            /sys/kernel/btf/vmlinux read into a KernelDescription, and a first
                      question answered (tcp_sendmsg's parameters: the function index built).
                      Goal: under 1 s.
  read symbols        /proc/kallsyms read into a KernelSymbols.
  read running        both, as `--kernel-btf running` reads them, with the first question.
  build saved file    `stapkit db kernel build` of the running kernel (the whole command).
  read saved file     the saved file read back, with the first question.  Goal: under 1 s.
  lint with kernel    `stapkit lint --no-cache --kernel-btf running` of a 4-probe script,
                      against the same lint without a kernel (what the description costs).
and the size of the saved file (goal: under 5 MB) beside the BTF's own size.

stap cannot be put side by side here: it answers these questions only with the
kernel's debuginfo (`stap -L 'kernel.function("tcp_sendmsg")'`), which this machine
does not have, and that is the point of reading BTF.

Usage:
  python3 benchmarks/kernel.py [--runs N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BTF = "/sys/kernel/btf/vmlinux"
SYMBOLS = "/proc/kallsyms"

READ_BTF = """
from stapkit.kernel.btf import Btf
from stapkit.kernel.description import KernelDescription
d = KernelDescription(Btf(open({btf!r}, 'rb').read()), None)
assert d.function('tcp_sendmsg').params
"""
READ_SYMBOLS = """
from stapkit.kernel.symbols import parse_symbols
assert parse_symbols(open({symbols!r}).read()).functions
"""
READ_SOURCE = """
from stapkit.kernel.loading import KernelSource, load_kernel
d = load_kernel(KernelSource(btf={btf!r}))
assert d.function('tcp_sendmsg').params
"""
SCRIPT = """\
probe kernel.function("tcp_sendmsg") { printf("%d %d\\n", $sk->sk_rcvbuf, $size) }
probe kernel.function("vfs_read").return { println($return) }
probe kernel.trace("sched_switch") { println($prev->pid, $next->pid) }
probe timer.s(5) { exit() }
"""


def _time(argv: list[str], runs: int) -> dict:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, cwd=REPO)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            raise SystemExit(f"failed: {' '.join(argv)}\n{done.stderr}")
    return {"median": statistics.median(times), "best": min(times), "runs": runs}


def _python(code: str, runs: int) -> dict:
    return _time([sys.executable, "-c", code], runs)


def _baseline(runs: int) -> dict:
    """A Python process that imports the kernel package and does nothing: subtracted from the rows."""
    return _python("import stapkit.kernel.loading, stapkit.kernel.description, stapkit.kernel.btf", runs)


def measure(runs: int) -> dict:
    results: dict = {"runs": runs, "rows": []}
    with tempfile.TemporaryDirectory(prefix="stapkit-kernel-bench-") as tmp:
        saved = Path(tmp) / "running.stpk"
        script = Path(tmp) / "probes.stp"
        script.write_text(SCRIPT)
        stapkit = [sys.executable, "-m", "stapkit"]
        base = _baseline(runs)
        results["start-up"] = base
        rows = [
            ("read BTF", _python(READ_BTF.format(btf=BTF), runs)),
            ("read symbols", _python(READ_SYMBOLS.format(symbols=SYMBOLS), runs)),
            ("read running (BTF + symbols)", _python(READ_SOURCE.format(btf="running"), runs)),
            ("build saved file", _time(stapkit + ["db", "kernel", "build", "-o", str(saved)], runs)),
            ("read saved file", _python(READ_SOURCE.format(btf=str(saved)), runs)),
            ("lint, no kernel", _time(stapkit + ["lint", "--no-cache", str(script)], runs)),
            ("lint --kernel-btf running", _time(stapkit + ["lint", "--no-cache", "--kernel-btf", "running",
                                                           str(script)], runs)),
            ("lint --kernel-btf saved file", _time(stapkit + ["lint", "--no-cache", "--kernel-btf", str(saved),
                                                              str(script)], runs)),
        ]
        for name, timing in rows:
            timing["name"] = name
            results["rows"].append(timing)
        results["btf_bytes"] = os.path.getsize(BTF) if os.path.exists(BTF) else len(Path(BTF).read_bytes())
        results["saved_bytes"] = saved.stat().st_size
    results["machine"] = {"release": platform.release(), "machine": platform.machine(),
                          "python": platform.python_version(), "cpus": os.cpu_count(),
                          "load": os.getloadavg()}
    return results


def report(results: dict) -> None:
    base = results["start-up"]
    print(f"kernel descriptions, {results['machine']['release']} ({results['machine']['machine']}), "
          f"Python {results['machine']['python']}, {results['machine']['cpus']} CPUs, "
          f"load {results['machine']['load'][0]:.2f}")
    print(f"each: median (best) of {results['runs']} fresh processes; 'less start-up' subtracts a process "
          f"that only imports the kernel package ({base['median']:.3f} s)")
    print()
    print(f"{'measurement':32} {'wall s':>16} {'less start-up':>14}")
    for row in results["rows"]:
        print(f"{row['name']:32} {row['median']:8.3f} ({row['best']:.3f}) {row['median'] - base['median']:14.3f}")
    print()
    print(f"BTF {results['btf_bytes'] / 1e6:.2f} MB; saved file {results['saved_bytes'] / 1e6:.2f} MB "
          f"(goal under 5 MB)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if not os.path.exists(BTF):
        print(f"{BTF} does not exist: this kernel has no BTF to measure", file=sys.stderr)
        return 2
    results = measure(args.runs)
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        print()
    else:
        report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
