#!/usr/bin/env python3
"""User-space probes: reading a program's ELF file, and linting a script of process(...) points.

  read python3.11     userspace.elf.read_elf of /usr/bin/python3.11 (its SDT notes, .dynsym,
                      PLT, DT_NEEDED, build id), in one process, median of N reads
  read libc.so.6      the same of libc (the largest .dynsym at hand)
  read test program   the same of a small C program with three markers, built here with gcc
  lint 20 points      `stapkit lint --no-cache` of a script with 20 process(...) points
                      (markers, functions, PLT entries, a library) whose programs are here,
                      next to the same script naming programs that are not (so nothing is read)
  check 20 points     the same two scripts checked in one process, each time with a new Session
                      (every program read again): what reading costs without process start-up

stap cannot be put side by side: `stap -L 'process("...").mark("*")'` needs a kernel build
tree and the uprobes machinery, and `.function` needs the program's debuginfo.

Usage:
  python3 benchmarks/userspace.py [--runs N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = "/usr/bin/python3.11"
LIBC = "/lib/x86_64-linux-gnu/libc.so.6"

PROGRAM = r"""
#include <sys/sdt.h>
#include <stdio.h>
int helper(int a, long b) { DTRACE_PROBE2(myapp, helper__entry, a, b); return a + (int)b; }
int main(int argc, char **argv) {
  DTRACE_PROBE(myapp, start);
  DTRACE_PROBE3(myapp, request__start, argc, argv[0], (unsigned long)argc);
  printf("%d\n", helper(argc, 3));
  return 0;
}
"""

READ = """
import statistics, time
from stapkit.userspace.elf import read_elf
times = []
for _ in range({runs}):
    start = time.perf_counter()
    elf = read_elf({path!r})
    times.append(time.perf_counter() - start)
    assert elf.problem is None, elf.problem
print(statistics.median(times), min(times), len(elf.markers), len(elf.functions), len(elf.plt))
"""


CHECK = """
import statistics, time
from stapkit.semantic.checker import check_file
from stapkit.semantic.options import CheckOptions
from stapkit.semantic.session import Session
check_file({path!r}, CheckOptions(session=Session()))  # imports, the tapset database
times = []
for _ in range({runs}):
    options = CheckOptions(session=Session())
    options.session.db(None)  # the database is not what is measured
    start = time.perf_counter()
    check_file({path!r}, options)
    times.append(time.perf_counter() - start)
print(statistics.median(times), min(times))
"""


def _check(path: str, runs: int) -> dict:
    done = subprocess.run([sys.executable, "-c", CHECK.format(path=path, runs=runs)], capture_output=True,
                          text=True, env=_env())
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    median, best = done.stdout.split()
    return {"median": float(median), "best": float(best), "runs": runs}


def _script(program: str, python: str, libc_user: str) -> str:
    """20 process(...) points, all of which exist in the programs named."""
    lines = []
    for name in ("function__entry", "function__return", "line", "gc__start", "gc__done", "audit",
                 "import__find__load__start", "import__find__load__done"):
        lines.append(f'probe process("{python}").mark("{name}") {{ println($arg1) }}')
    lines.append(f'probe process("{python}").provider("python").mark("function*") {{ println($arg3) }}')
    for name in ("PyObject_GetAttr", "Py_Initialize", "PyEval_EvalCode", "Py_BytesMain"):
        lines.append(f'probe process("{python}").function("{name}") {{ println(1) }}')
    for name in ("malloc", "free"):
        lines.append(f'probe process("{python}").plt("{name}") {{ println(1) }}')
    lines.append(f'probe process("{libc_user}").library("libc.so.6").function("malloc") {{ println(1) }}')
    for name in ("helper__entry", "start", "request__start"):
        lines.append(f'probe process("{program}").mark("{name}") {{ println(1) }}')
    lines.append(f'probe process("{program}").function("helper") {{ println(1) }}')
    assert len(lines) == 20
    return "\n".join(lines) + "\n"


def _env() -> dict:
    return dict(os.environ, PYTHONPATH=str(REPO))


def _time(argv: list[str], runs: int) -> dict:
    times = []
    for _ in range(runs + 1):  # the first is a warm-up
        start = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, env=_env())
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            raise SystemExit(f"failed: {' '.join(argv)}\n{done.stderr}")
    times = times[1:]
    return {"median": statistics.median(times), "best": min(times), "runs": runs, "output": done.stdout[-2000:]}


def _read(path: str, runs: int) -> dict:
    done = subprocess.run([sys.executable, "-c", READ.format(path=path, runs=runs)], capture_output=True,
                          text=True, env=_env())
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    median, best, markers, functions, plt = done.stdout.split()
    return {"median": float(median), "best": float(best), "runs": runs, "markers": int(markers),
            "functions": int(functions), "plt": int(plt), "bytes": os.path.getsize(os.path.realpath(path))}


def measure(runs: int) -> dict:
    results: dict = {"runs": runs, "reads": [], "lint": []}
    with tempfile.TemporaryDirectory(prefix="stapkit-userspace-bench-") as tmp:
        tmp_path = Path(tmp)
        program = tmp_path / "prog"
        if shutil.which("gcc"):
            (tmp_path / "prog.c").write_text(PROGRAM)
            subprocess.run(["gcc", "-O1", "-o", str(program), "prog.c"], cwd=tmp, check=True, capture_output=True)
        for name, path in (("python3.11", PYTHON), ("libc.so.6", LIBC), ("test program", str(program))):
            if os.path.exists(path):
                row = _read(path, runs * 4)
                row["name"] = name
                results["reads"].append(row)
        if not (os.path.exists(PYTHON) and program.exists()):
            return results
        present = tmp_path / "present.stp"
        present.write_text(_script(str(program), PYTHON, "/bin/sh"))
        absent = tmp_path / "absent.stp"
        absent.write_text(_script("/nonexistent/prog", "/nonexistent/python3.11", "/nonexistent/sh"))
        stapkit = [sys.executable, "-m", "stapkit", "lint", "--no-cache", "--output-format", "concise"]
        for name, script in (("programs here", present), ("programs absent", absent)):
            row = _time(stapkit + [str(script)], runs)
            row["name"] = name
            results["lint"].append(row)
        results["check"] = []
        for name, script in (("programs here", present), ("programs absent", absent)):
            row = _check(str(script), runs * 4)
            row["name"] = name
            results["check"].append(row)
    results["machine"] = {"release": platform.release(), "python": platform.python_version(),
                          "cpus": os.cpu_count(), "load": os.getloadavg()}
    return results


def report(results: dict) -> None:
    m = results.get("machine", {})
    print(f"user-space probes; Python {m.get('python')}, {m.get('cpus')} CPUs, load {m.get('load', [0])[0]:.2f}")
    print()
    print(f"{'read_elf':16} {'size':>9} {'markers':>8} {'functions':>10} {'plt':>5} {'median ms':>10} {'best ms':>8}")
    for row in results["reads"]:
        print(f"{row['name']:16} {row['bytes'] / 1e6:7.2f}MB {row['markers']:8} {row['functions']:10} "
              f"{row['plt']:5} {row['median'] * 1e3:10.1f} {row['best'] * 1e3:8.1f}")
    if results["lint"]:
        print()
        print(f"lint of 20 process(...) points, median (best) of {results['runs']} runs, whole command:")
        for row in results["lint"]:
            print(f"  {row['name']:18} {row['median']:.3f} s ({row['best']:.3f})")
        here, absent = results["lint"][0]["median"], results["lint"][1]["median"]
        print(f"  reading the programs costs {here - absent:+.3f} s")
        print()
        print(f"check of the same scripts in one process, a new Session each time (median (best) of "
              f"{results['check'][0]['runs']}):")
        for row in results["check"]:
            print(f"  {row['name']:18} {row['median'] * 1e3:.1f} ms ({row['best'] * 1e3:.1f})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    results = measure(args.runs)
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        print()
    else:
        report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
