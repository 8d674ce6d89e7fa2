"""Shared helpers of the benchmark scripts: timing child processes, statistics,
a fake kernel tree for `stap`, and printing tables.

Not a test: nothing here asserts a time.  Imported by parse_tapsets.py and
startup.py (run them as scripts: `python3 benchmarks/parse_tapsets.py`).
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_TAPSET_DIR = Path("/usr/share/systemtap/tapset")
# The fake kernel tree shared with /work/shared/tools/stap_oracle.py (same contents).
DEFAULT_KERNEL_TREE = Path(os.environ.get("STAP_ORACLE_KERNEL", "/tmp/stap-oracle-kernel"))
STAP_NOISE = ("WARNING: Kernel function symbol table missing", "Tip:")

_FAKE_KERNEL_FILES = {
    ".config": "CONFIG_X86_64=y\nCONFIG_64BIT=y\nCONFIG_KPROBES=y\nCONFIG_RELAY=y\n"
               "CONFIG_DEBUG_FS=y\nCONFIG_MODULES=y\nCONFIG_MODULE_UNLOAD=y\nCONFIG_UPROBES=y\n",
    "Makefile": "VERSION = 6\n",
    "Module.symvers": "",
    "include/generated/uapi/linux/version.h": "#define LINUX_VERSION_CODE 393472\n",
    "include/config/kernel.release": "6.1.0\n",
}


def stop_on_sigterm() -> None:
    """Turn SIGTERM into KeyboardInterrupt, so that the temporary directory is removed
    (and SIGINT too, where a non-interactive shell started us with it ignored)."""
    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def measure_in_scratch(measure, print_report, *, as_json: bool) -> int:
    """Run `measure(scratch, src)` in a temporary directory, then print its results.

    The directory is removed at the end, also on Ctrl-C or SIGTERM; `src` is the
    snapshot of stapkit the measurement runs.  The machine's description and how
    much CPU other processes used meanwhile are added to the results.
    """
    stop_on_sigterm()
    try:
        with tempfile.TemporaryDirectory(prefix="stapkit-bench-") as tmp:
            scratch = Path(tmp)
            src = snapshot(scratch)  # the code measured, whatever happens to the checkout meanwhile
            machine = machine_info(src)  # before the runs: the load average at the start
            contention = Contention()
            results = measure(scratch, src)
            results["machine"] = machine
            results["contention"] = contention.stop()
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    if as_json:
        json.dump(results, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print_report(results)
    return 0


def log(message: str) -> None:
    """Progress and problems go to stderr, so that stdout stays the table (or the JSON)."""
    print(message, file=sys.stderr, flush=True)


def snapshot(scratch: Path, *, compiled: bool = True, name: str = "src") -> Path:
    """A copy of this checkout's stapkit (and its grammar) in the scratch directory.

    The benchmarks run the copy, so that every run measures the same code even
    when someone edits the checkout meanwhile.  compiled: byte-compile it, as
    `pip install` does (a checkout run with PYTHONDONTWRITEBYTECODE=1 never has
    .pyc files, and compiles every module at every start).
    """
    dest = scratch / name
    for package in ("stapkit", "stap_grammar", "tapset_db"):
        if (REPO / package).is_dir():
            shutil.copytree(REPO / package, dest / package,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    if compiled:
        import compileall

        compileall.compile_dir(str(dest), quiet=1)
    return dest


def stapkit_env(src: Path, *, compiled: bool = True) -> dict[str, str]:
    """The environment for child processes: the snapshot `src` of stapkit first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(src), env.get("PYTHONPATH")) if p)
    env.setdefault("NO_COLOR", "1")
    if not compiled:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def stapkit_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "stapkit", *args]


# --------------------------------------------------------------------------- timing

class Run:
    """One timed child process (or a batch of them)."""

    __slots__ = ("wall", "user", "sys", "maxrss_kb", "rc", "stdout", "stderr")

    def __init__(self, wall, user, sys_, maxrss_kb, rc, stdout="", stderr=""):
        self.wall, self.user, self.sys, self.maxrss_kb, self.rc = wall, user, sys_, maxrss_kb, rc
        self.stdout, self.stderr = stdout, stderr

    @property
    def cpu(self) -> float:
        return self.user + self.sys


def _children_cpu() -> tuple[float, float]:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime, ru.ru_stime


def spawn_and_wait(cmd, *, cwd=None, env=None, stdout=None, stderr=None, timeout=None):
    """Runs cmd and reaps it with wait4: (exit status, its own rusage, wall seconds).

    The rusage of wait4 covers the child and the grandchildren it waited for
    (stapkit's worker processes); ru_maxrss is then the peak of the largest of
    them, not a sum.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=stdout if stdout is not None else subprocess.DEVNULL,
                            stderr=stderr if stderr is not None else subprocess.DEVNULL,
                            start_new_session=True)  # its own process group: killed with its workers

    lock = threading.Lock()
    reaped = False
    timed_out = False

    def kill_group():
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass

    def kill():
        nonlocal timed_out
        with lock:
            if not reaped:
                timed_out = True
                kill_group()

    timer = threading.Timer(timeout, kill) if timeout else None
    if timer:
        timer.daemon = True
        timer.start()
    try:
        while True:
            try:
                _, status, usage = os.wait4(proc.pid, 0)
                break
            except InterruptedError:  # pragma: no cover (PEP 475 retries, but be safe)
                continue
    except BaseException:  # interrupted: leave no child behind
        with lock:
            reaped = True
        if timer:
            timer.cancel()
        kill_group()
        proc.wait()
        raise
    with lock:
        reaped = True
    if timer:
        timer.cancel()
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # tell Popen, so it never waits again
    rc = "timeout" if timed_out else proc.returncode
    return rc, usage, wall


def run_once(cmd, *, cwd=None, env=None, timeout=None, keep_output=True, scratch: Path) -> Run:
    """Runs one command; CPU time from getrusage(RUSAGE_CHILDREN) around it."""
    out_path, err_path = scratch / "stdout.txt", scratch / "stderr.txt"
    with open(out_path, "w+b") as out, open(err_path, "w+b") as err:
        u0, s0 = _children_cpu()
        rc, usage, wall = spawn_and_wait(cmd, cwd=cwd, env=env,
                                         stdout=out if keep_output else subprocess.DEVNULL,
                                         stderr=err, timeout=timeout)
        u1, s1 = _children_cpu()
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace") if keep_output else ""
        stderr = err.read().decode("utf-8", "replace")
    out_path.unlink(missing_ok=True)
    err_path.unlink(missing_ok=True)
    return Run(wall, u1 - u0, s1 - s0, usage.ru_maxrss, rc, stdout, stderr)


class Stats:
    """Median and minimum of the repeats of one measurement."""

    def __init__(self, runs: list[Run]):
        self.runs = runs

    def _values(self, attr):
        return [getattr(r, attr) for r in self.runs]

    def median(self, attr="wall") -> float:
        return statistics.median(self._values(attr))

    def min(self, attr="wall") -> float:
        return min(self._values(attr))

    def max(self, attr="wall") -> float:
        return max(self._values(attr))

    def as_dict(self) -> dict:
        d = {}
        for attr in ("wall", "cpu", "user", "sys", "maxrss_kb"):
            values = self._values(attr)
            d[attr] = {"median": statistics.median(values), "min": min(values), "max": max(values),
                       "runs": values}
        d["exit_statuses"] = [r.rc for r in self.runs]
        return d


# --------------------------------------------------------------------------- stap

def find_stap() -> str | None:
    return shutil.which("stap")


def kernel_tree(requested: Path | None, scratch: Path) -> Path:
    """A kernel build tree stap accepts for pass 1.

    An existing tree (--kernel-tree, $STAP_ORACLE_KERNEL or the oracle's
    /tmp/stap-oracle-kernel) is used as it is; otherwise a fake one is made in
    the scratch directory, and goes away with it.
    """
    for candidate in (requested, DEFAULT_KERNEL_TREE):
        if candidate is not None and (candidate / ".config").exists():
            return candidate
    if requested is not None:
        log(f"note: no kernel tree at {requested}; making a fake one")
    tree = scratch / "fake-kernel"
    for name, text in _FAKE_KERNEL_FILES.items():
        path = tree / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tree


def stap_problem(stap: str, tree: Path, scratch: Path) -> str | None:
    """None if `stap -p1` works here, else why not."""
    script = scratch / "stap-check.stp"
    script.write_text('probe begin { printf("ok\\n"); exit() }\n')
    try:
        run = run_once([stap, "-r", str(tree), "-p1", str(script)], cwd=scratch, timeout=120,
                       scratch=scratch)
    except OSError as err:
        return f"cannot run {stap}: {err}"
    finally:
        script.unlink(missing_ok=True)
    if run.rc != 0:
        return f"`stap -r {tree} -p1` of a trivial script exits {run.rc}: {first_error(run.stderr)}"
    return None


def first_error(stderr: str) -> str:
    """The line of stap's stderr that says what went wrong (not the "Pass 1: parse failed" summary)."""
    lines = [line.strip() for line in stderr.splitlines()
             if line.strip() and not line.startswith(STAP_NOISE)]
    specific = [line for line in lines if not line.startswith(("Pass ", "Number of similar", "Rerun with"))]
    for candidates in (specific, lines):
        for line in candidates:
            if "error" in line.lower() or "empty" in line.lower():
                return line
    return specific[0] if specific else (lines[0] if lines else "")


def stap_version(stap: str) -> str:
    try:
        p = subprocess.run([stap, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    text = (p.stdout + p.stderr).strip().splitlines()
    return text[0] if text else "?"


# --------------------------------------------------------------------------- reporting

def machine_info(src: Path | None = None) -> dict:
    info = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info["load_average"] = load_average()
    info["stapkit_checkout"] = checkout_state(src)
    return info


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def checkout_state(src: Path | None = None) -> dict:
    """The commit measured, the files changed since (the checkout may be a work in
    progress), and a digest of the sources measured (the snapshot `src`)."""
    def git(*args):
        try:
            p = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return p.stdout.strip() if p.returncode == 0 else None

    changed = git("status", "--porcelain", "--untracked-files=no", "--", "stapkit", "stap_grammar")
    return {"commit": git("rev-parse", "--short", "HEAD"),
            "modified": [line.split(maxsplit=1)[-1] for line in changed.splitlines()] if changed else [],
            "source_digest": source_digest(src or REPO)}


def source_digest(root: Path = REPO) -> str:
    """A digest of stapkit's sources (.py and the grammar) under root."""
    import hashlib

    h = hashlib.sha256()
    for package in ("stapkit", "stap_grammar", "tapset_db"):
        for path in sorted((root / package).rglob("*")):
            if path.suffix in (".py", ".lark") and path.is_file():
                h.update(str(path.relative_to(root)).encode() + b"\0")
                try:
                    h.update(path.read_bytes())
                except OSError:
                    pass
    return h.hexdigest()[:12]


def sources_changed_note(start_state: dict, end_digest: str | None) -> str | None:
    if end_digest and start_state.get("source_digest") and end_digest != start_state["source_digest"]:
        return ("note: the checkout's stapkit sources changed while the benchmark ran; every run "
                f"measured the copy taken at the start (digest {start_state['source_digest']}; "
                f"the checkout is now {end_digest})")
    return None


def describe_checkout(state: dict) -> str:
    text = f"stapkit at commit {state.get('commit') or '?'}"
    if state.get("modified"):
        text += f" + uncommitted changes in {', '.join(state['modified'])}"
    if state.get("source_digest"):
        text += f" (source digest {state['source_digest']})"
    return text


class Contention:
    """How much CPU other processes used while the benchmark ran.

    The machine's busy CPU time (from /proc/stat) minus this process's and its
    children's (getrusage): what is left was used by someone else, and made the
    wall times longer than on an idle machine.
    """

    def __init__(self):
        self.start = self._sample()

    @staticmethod
    def _sample():
        busy = None
        try:
            with open("/proc/stat") as f:
                fields = f.readline().split()
            if fields and fields[0] == "cpu":
                values = [int(x) for x in fields[1:]]
                idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
                guest = sum(values[8:10]) if len(values) > 9 else 0  # counted in user/nice already
                busy = (sum(values) - idle - guest) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            pass
        me = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        ours = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
        return time.monotonic(), busy, ours

    def stop(self) -> dict | None:
        t1, busy1, ours1 = self._sample()
        t0, busy0, ours0 = self.start
        if busy0 is None or busy1 is None or t1 <= t0:
            return None
        others = max(0.0, (busy1 - busy0) - (ours1 - ours0))
        return {"elapsed_s": round(t1 - t0, 2), "our_cpu_s": round(ours1 - ours0, 2),
                "other_cpu_s": round(others, 2), "other_cores": round(others / (t1 - t0), 2)}


def speed_probe() -> float:
    """Seconds of CPU a fixed pure-Python workload takes (best of 3).

    Taken before each measurement: on a virtual machine whose host is busy,
    or whose sibling hyper-thread runs someone else's work, every CPU second
    buys less, and CPU times grow too; this shows it, where /proc/stat cannot.
    """
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        total = 0
        for i in range(300_000):
            total += i * i % 7
        best = min(best, time.process_time() - start)
    return best


def speed_warning(probes: dict[str, float] | None) -> str | None:
    if not probes or len(probes) < 2:
        return None
    fastest, slowest = min(probes.values()), max(probes.values())
    text = ", ".join(f"{k} {v * 1000:.0f}" for k, v in probes.items())
    if slowest / fastest >= 1.15:
        return (f"note: the speed check (a fixed workload, ms, before each round or measurement: {text}) varied "
                f"by {slowest / fastest - 1:.0%}: the CPU was slower at times (a busy host or "
                f"hyper-thread sibling); CPU times are inflated there too")
    return f"speed check steady (a fixed workload, ms: {text})"


def print_footer(r: dict) -> None:
    """The last lines of every report: the machine, the commit measured, and how busy the
    machine was meanwhile."""
    m = r["machine"]
    print(f"machine: {m.get('date')}, {m.get('cpus')} cores ({m.get('cpu_model')}), Python {m.get('python')}; "
          f"stapkit at commit {m.get('stapkit_checkout', {}).get('commit')}")
    warning = busy_warning(r.get("contention"))
    if warning:
        print(warning)


def busy_warning(contention: dict | None) -> str | None:
    """A warning when other processes kept the machine busy (timings then vary)."""
    if not contention:
        return None
    cpus = os.cpu_count() or 1
    text = (f"other processes used {contention['other_cpu_s']:.0f} CPU-seconds during the "
            f"{contention['elapsed_s']:.0f} s of the benchmark ({contention['other_cores']:.2f} of {cpus} cores "
            f"on average)")
    if contention["other_cores"] >= 0.1:
        return f"note: {text}: wall times are noisy, CPU times less so"
    return f"{text}: a quiet machine"


def fmt_s(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def fmt_pair(stats: Stats | None, attr: str) -> str:
    if stats is None:
        return "-"
    return f"{fmt_s(stats.median(attr))} ({fmt_s(stats.min(attr))})"


def table(headers: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> str:
    widths = [max(len(str(r[i])) for r in [headers] + rows) for i in range(len(headers))]

    def line(cells):
        return "  ".join(str(c).rjust(w) if i in right else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    return "\n".join(out)
