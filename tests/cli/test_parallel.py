"""The process pool of `lint -j` and Ctrl-C (issue 18, item 5).

Ctrl-C during `lint -j` printed worker tracebacks in 4-12 % of runs and
deadlocked about one run in 25 (the parent and the workers waiting on the
locks of concurrent.futures' queues; a second Ctrl-C then printed 60 lines of
InvalidStateError).  Now every run ends promptly with status 130 and one line,
and leaves no process behind.  benchmarks/scale.py --interrupts N repeats the
subprocess test below many times.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stapkit.cli.parallel import WorkerDied, map_in_processes

from ..corpora import TAPSET, require

REPO = Path(__file__).resolve().parents[2]


def _square(x):
    return x * x


def _fail_on_three(x):
    if x == 3:
        raise ValueError("three")
    return x


def _die_on_two(x):
    if x == 2:
        os._exit(9)
    return x


def _unpicklable(x):
    return lambda: x


def _children() -> set[int]:
    """This process's living child processes (from /proc: no dependency)."""
    me = str(os.getpid())
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == me and fields[0] != "Z":
                found.add(int(entry))
    return found


def test_results_come_back_in_the_order_of_the_items_and_no_worker_is_left():
    before = _children()
    assert map_in_processes(_square, list(range(50)), 3) == [x * x for x in range(50)]
    assert map_in_processes(_square, [7], 4) == [49]
    assert map_in_processes(_square, [], 4) == []
    assert map_in_processes(_square, [2, 3], 0) == [4, 9]  # at least one worker
    assert _children() == before


def test_at_the_end_every_worker_leaves_by_itself(monkeypatch):
    # A worker whose pipe the parent closed did not see it closed while workers forked after
    # it held a copy of the parent's end: each was terminated after the 5 s grace time, at the
    # end of every `lint -j` run (the examples took 11 s with -j 2, 2 s with -j 1).
    import multiprocessing.process

    terminated = []
    real = multiprocessing.process.BaseProcess.terminate
    monkeypatch.setattr(multiprocessing.process.BaseProcess, "terminate",
                        lambda self: (terminated.append(self.pid), real(self))[1])
    assert map_in_processes(abs, list(range(-9, 0)), 3) == list(range(9, 0, -1))
    assert terminated == []


def test_an_exception_in_a_worker_is_raised_in_the_parent_and_the_workers_stop():
    before = _children()
    with pytest.raises(ValueError, match="three"):
        map_in_processes(_fail_on_three, list(range(20)), 2)
    with pytest.raises(RuntimeError, match="PicklingError|AttributeError"):
        map_in_processes(_unpicklable, [1, 2], 2)
    assert _children() == before


def test_a_worker_that_dies_is_named_and_the_others_stop():
    before = _children()
    with pytest.raises(WorkerDied, match=r"ended unexpectedly \(on 2\)"):
        map_in_processes(_die_on_two, list(range(10)), 2, name_of=str)
    assert _children() == before


# ---------------------------------------------------------------- Ctrl-C


COMMANDS = {
    "lint": ["lint", "-j", "2", "--no-cache", "--output-format", "concise"],
    "parse": ["parse", "-j", "2"],
    "format": ["format", "--check", "-j", "2"],
}


def _command(name: str, files: list[str]) -> list[str]:
    return [sys.executable, "-m", "stapkit", *COMMANDS[name], *files]


def _run(command: list[str], delays: list[float], env: dict) -> tuple[int, str, float, bool]:
    """Runs the command in a process group of its own and sends SIGINT to the whole group (as a
    terminal does) after each delay: (status, stderr, seconds, whether a process of the group
    was left behind)."""
    # preexec_fn: SIGINT's default action back; run from a background job, pytest inherits it ignored
    # (and so would stapkit, as every program does).
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                            start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    began = time.monotonic()
    try:
        for delay in delays:
            time.sleep(max(0.0, began + delay - time.monotonic()))
            try:
                os.killpg(proc.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
        _, err = proc.communicate(timeout=120)  # a bound against a hang, not a measured time
        seconds = time.monotonic() - began
        time.sleep(0.1)
        try:
            os.killpg(proc.pid, 0)
            left = True
        except ProcessLookupError:
            left = False
        return proc.returncode, err.decode(errors="replace"), seconds, left
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


@pytest.mark.parametrize("name", list(COMMANDS))
def test_ctrl_c_during_a_parallel_run_ends_with_130_and_one_line(name):
    require(TAPSET)
    files = sorted(str(p) for p in Path(TAPSET).rglob("*.stp"))[:60 if name == "lint" else 120]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    status, err, whole, left = _run(_command(name, files), [], env)
    assert status in (0, 1) and "Traceback" not in err and not left
    # start-up (stapkit importing, collecting), early, middle, near the end; twice, close together
    moments = ([0.4], [whole * 0.3], [whole * 0.6], [whole * 0.9], [whole * 0.5, whole * 0.5 + 0.02])
    for delays in moments if name == "lint" else moments[2:3] + moments[4:]:
        status, err, seconds, left = _run(_command(name, files), delays, env)
        assert "Traceback" not in err and "Error" not in err, (delays, err)
        assert not left, delays
        if status == 130:
            assert err == "stapkit: interrupted\n", delays
            assert seconds < delays[-1] + 30, (delays, seconds)  # promptly: not after the whole run
        else:  # the signal came after the work was done (near the end, on a fast machine)
            assert status in (0, 1) and err == "" and delays[0] > whole * 0.8, (delays, status, err)


def test_ctrl_c_in_process_returns_130_and_puts_the_handler_back(tmp_path, capsys, monkeypatch):
    from stapkit.cli import main
    from stapkit.cli import lint_command

    script = tmp_path / "a.stp"
    script.write_text("probe begin { exit() }\n")

    def interrupted(*args):
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)  # the second one is ignored
        time.sleep(0.5)
        raise AssertionError("not interrupted")

    monkeypatch.setattr(lint_command, "_lint_all", interrupted)
    # Python's own handler, as in a terminal (a background job inherits SIGINT ignored).
    outer = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        assert main(["lint", "--no-cache", str(script)]) == 130
        assert capsys.readouterr().err == "stapkit: interrupted\n"
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, outer)


def test_a_lint_run_in_process_leaves_the_collector_as_it_found_it(tmp_path, capsys):
    """The run freezes what it loaded and makes full collections rare, for itself only: a process
    that lints again and again (the fuzzer's worker, an editor's helper) would otherwise keep every
    run's cyclic garbage for good (it ran out of memory after a few hundred runs)."""
    import gc

    from stapkit.cli import main

    scripts = []
    for number in range(6):  # more than the pool's threshold: the parallel path too
        script = tmp_path / f"s{number}.stp"
        script.write_text("probe begin { exit() }\n")
        scripts.append(str(script))
    thresholds = gc.get_threshold()
    frozen = gc.get_freeze_count()
    for jobs in ("1", "2"):
        assert main(["lint", "--no-cache", "-j", jobs, *scripts]) == 0
        assert gc.get_threshold() == thresholds
        assert gc.get_freeze_count() == frozen
    capsys.readouterr()


def test_a_lint_run_leaves_no_cycle_behind_for_its_session(tmp_path, capsys):
    """A run's Session (its database, release history, kernels) is freed by reference counting when
    the run ends: a cycle through it waited for a full collection, and a process that lints again
    and again (the fuzzer's worker) grew by megabytes a run until it ran out of memory."""
    import gc

    from stapkit.cli import main
    from stapkit.semantic.session import Session

    script = tmp_path / "s.stp"
    script.write_text("probe begin { no_such_function() }\n")  # a finding: the release history is asked
    gc.collect()
    gc.disable()
    try:
        before = sum(isinstance(o, Session) for o in gc.get_objects())
        for _ in range(3):
            main(["lint", "--no-cache", str(script)])
        after = sum(isinstance(o, Session) for o in gc.get_objects())
    finally:
        gc.enable()
    capsys.readouterr()
    assert after == before
