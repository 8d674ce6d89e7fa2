"""The worker process that runs checks.py on each input, under a time and a memory bound.

The parent (`Worker`) sends inputs over a pipe and gets back the failures and
the CPU seconds each took.  In the worker, RLIMIT_AS bounds the memory (a
MemoryError is a failure of kind "memory") and a timer signal raises
checks.Timeout after `seconds` of CPU time (ITIMER_PROF: a bound the other load
of the machine does not shorten; a failure of kind "timeout", with the stack
that was running).  If the worker has used twice the bound and more without
answering (a loop in C that the signal cannot interrupt) or dies, the parent
kills it and reports a "timeout" or "crash".  The parent counts the worker's
CPU time, not the clock: at nice 19 on a busy machine a worker may get a few
per cent of a core.  After an exception or a bound the worker
is replaced: the library's state may be half-updated.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import tempfile
import time

from .checks import Failure, Timeout

# Where the worker's CPU time cannot be read (no /proc), the parent waits this many times the
# bound in wall-clock time before it kills a worker that did not answer.
WALL_FACTOR = 20
# After an exception or a bound, the library's state may be half-updated: a new worker takes over.
RESTART_AFTER = ("traceback", "timeout", "memory", "crash")


def _on_alarm(signum, frame):
    raise Timeout("the input took longer than the time bound")


def _serve(conn, seconds: float, memory_mb: int, nice: int, checker: str) -> None:
    import importlib
    import sys

    from stapkit.syntax.ast import RECURSION_ROOM

    sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_ROOM, 10000))
    if nice:
        os.nice(nice)
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    signal.signal(signal.SIGPROF, _on_alarm)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent, which then stops the worker
    with tempfile.TemporaryDirectory(prefix="stapkit-fuzz-") as scratch:
        module, name = checker.split(":")
        checks = getattr(importlib.import_module(module), name)(scratch)
        while True:
            try:
                data = conn.recv()
            except EOFError:
                return
            if data is None:
                return
            start = time.process_time()
            signal.setitimer(signal.ITIMER_PROF, seconds)
            try:
                failures = checks.check(data)
            except Timeout as err:  # raised between two stages
                from .checks import from_exception

                failures = [from_exception("between stages", err)]
            finally:
                signal.setitimer(signal.ITIMER_PROF, 0)
            try:
                conn.send((failures, time.process_time() - start))
            except (BrokenPipeError, EOFError):  # the parent is gone
                return


def _cpu_seconds(pid: int) -> float | None:
    """The CPU time (user + system) of a process so far, from /proc; None where it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class Worker:
    """One worker process, started on first use and replaced after a failure."""

    def __init__(self, seconds: float = 10.0, memory_mb: int = 1536, nice: int = 0,
                 checker: str = "tests.fuzz.checks:Checker"):
        self.checker = checker  # module:class of the checks (the tests give the harness broken ones)
        self.seconds = seconds
        self.hard_seconds = 2 * seconds + 10  # CPU seconds after which a silent worker is killed
        self.memory_mb = memory_mb
        self.nice = nice
        self._process = None
        self._conn = None

    def run(self, data: bytes) -> tuple[list[Failure], float]:
        """The failures of one input, and the worker's CPU seconds it took."""
        if self._process is None:
            self._start()
        try:
            self._conn.send(data)
            if self._answered():
                failures, cpu = self._conn.recv()
            else:
                self.stop(kill=True)
                return [Failure("timeout", "-", "no answer in time (a loop the CPU-time signal did not stop)")], \
                    self.seconds
        except (EOFError, OSError):
            code = self._process.exitcode if self._process is not None else None
            self.stop(kill=True)
            return [Failure("crash", "-", f"the worker died (exit status {code})")], 0.0
        if any(f.kind in RESTART_AFTER for f in failures):
            self.stop()
        return failures, cpu

    def _answered(self) -> bool:
        """Wait for the answer; False once the worker has spent `hard_seconds` of CPU time on it."""
        start_cpu, start_wall = _cpu_seconds(self._process.pid), time.monotonic()
        while not self._conn.poll(1.0):
            cpu = _cpu_seconds(self._process.pid)
            if cpu is not None and start_cpu is not None:
                if cpu - start_cpu > self.hard_seconds:
                    return False
            elif time.monotonic() - start_wall > WALL_FACTOR * self.seconds + 30:
                return False
            if not self._process.is_alive():
                return self._conn.poll(0)
        return True

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, self.seconds, self.memory_mb, self.nice, self.checker),
                                        daemon=True)
        self._process.start()
        child.close()

    def stop(self, kill: bool = False) -> None:
        if self._process is None:
            return
        try:
            if kill:
                self._process.kill()
            else:
                self._conn.send(None)
        except (OSError, ValueError):
            self._process.kill()
        self._process.join(10)
        if self._process.exitcode is None:
            self._process.kill()
            self._process.join()
        self._conn.close()
        self._process = None
        self._conn = None

    def __enter__(self) -> "Worker":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
