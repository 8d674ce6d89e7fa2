"""The process pool of `stapkit lint -j`, and how Ctrl-C ends it.

Each worker is a process with a pipe of its own.  The parent keeps two jobs
queued in each worker's pipe (so that a worker never waits for the parent to
read its result before it can start the next job) and waits on all the pipes
at once; nothing else is shared.  (concurrent.futures and multiprocessing.Pool share queues guarded by
locks: a worker stopped by Ctrl-C while holding one left the parent waiting on
it for ever, about one run in 25.)

Ctrl-C reaches every process of the terminal's foreground group.  The workers
ignore it: SIGINT stays blocked from before the fork until the worker has set
it to be ignored, so none of them ever sees a KeyboardInterrupt.  The parent
alone gets it; on the way out, `map_in_processes` terminates and reaps every
worker, and the command prints one line (stapkit.cli.interrupts).
"""

from __future__ import annotations

import signal
from typing import Callable, Sequence

# How long a worker may take to notice that there is no more work (its pipe
# closed) before it is terminated; and to end after SIGTERM before SIGKILL.
_GRACE_SECONDS = 5.0
# The jobs queued in a worker's pipe at a time: the one it works on and the next.
_IN_FLIGHT = 2


class WorkerDied(Exception):
    """A worker process ended while it had a job (killed, out of memory)."""


def map_in_processes(function: Callable, items: Sequence, workers: int, *, name_of: Callable = repr,
                     each: Callable | None = None) -> list:
    """[function(item) for item in items], computed in up to `workers` processes.

    `function` must be a module-level function, and items and results picklable.
    An exception in a worker is raised here (the first one ends the whole map);
    so is KeyboardInterrupt, after every worker has been stopped.  name_of(item)
    names an item in the message of WorkerDied.  each(result), if given, is
    called here with each result as it comes (its worker has its next item then).
    """
    import multiprocessing
    from multiprocessing.connection import wait

    try:
        # Fork: the workers inherit what the parent loaded (grammar tables, the tapset DB).
        context = multiprocessing.get_context("fork")
    except ValueError:
        context = multiprocessing.get_context()
    from collections import deque

    results: list = [None] * len(items)
    todo = list(range(len(items) - 1, -1, -1))  # popped from the end: in the order given
    pool: list = []
    busy: dict = {}  # a parent's pipe end -> the indexes of the items its worker has, in order
    finished = False
    try:
        with _sigint_blocked():
            for _ in range(min(max(workers, 1), len(items))):
                here, there = context.Pipe()
                process = context.Process(target=_serve, args=(function, there), daemon=True)
                pool.append((process, here))
                process.start()
                there.close()
        for _ in range(_IN_FLIGHT):
            for process, here in pool:
                _give(here, todo, items, busy.setdefault(here, deque()))
        while busy:
            for here in wait(list(busy)):
                queued = busy[here]
                index = queued.popleft()
                try:
                    status, value = here.recv()
                except (EOFError, OSError):
                    raise WorkerDied(f"a worker process ended unexpectedly (on {name_of(items[index])})") from None
                if status == "error":
                    raise value
                results[index] = value
                _give(here, todo, items, queued)
                if not queued:
                    del busy[here]
                if each is not None:
                    each(value)
        finished = True
    finally:
        _stop(pool, graceful=finished)
    return results


def _give(here, todo: list, items: Sequence, queued) -> None:
    """Send the next item to the worker at `here`, if any is left; `queued` holds what it has."""
    if todo:
        index = todo.pop()
        try:
            here.send((index, items[index]))
        except OSError:
            raise WorkerDied("a worker process ended unexpectedly") from None
        queued.append(index)


def _stop(pool: list, *, graceful: bool) -> None:
    """Every worker ended and reaped.  Graceful: each ends when its pipe closes (it is
    idle); otherwise (an interrupt, an error), and after the grace time, they are
    terminated."""
    started = [process for process, _ in pool if process.pid is not None]
    try:
        for _, here in pool:
            if graceful:
                # Say so: a closed pipe alone is not seen as closed by its worker while
                # workers forked after it hold a copy of its parent's end (each waited
                # out the grace time: 5 s at the end of every -j run).
                try:
                    here.send(None)
                except OSError:
                    pass
            here.close()
        if graceful:
            for process in started:
                process.join(_GRACE_SECONDS)
    finally:
        for process in started:
            if process.is_alive():
                process.terminate()
        for process in started:
            process.join(_GRACE_SECONDS)
            if process.is_alive():
                process.kill()
                process.join()


class _sigint_blocked:
    """SIGINT held back (not lost) while workers are forked: a worker inherits the
    blocked signal, and ignores it before unblocking it; the parent gets a Ctrl-C
    that came meanwhile as soon as the block ends."""

    def __enter__(self):
        self.previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})

    def __exit__(self, *exc):
        signal.pthread_sigmask(signal.SIG_SETMASK, self.previous)


def _serve(function: Callable, there) -> None:
    """A worker: jobs from the pipe, results back, until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when a worker ends
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # ... and ends it with SIGTERM, silently
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    while True:
        try:
            job = there.recv()
        except (EOFError, OSError):
            return  # the parent is gone
        if job is None:
            return  # no more work
        index, item = job
        try:
            reply = ("ok", function(item))
        except Exception as err:  # raised in the parent, as if the function had run there
            reply = ("error", err)
        try:
            there.send(reply)
        except (OSError, EOFError):
            return  # the parent is gone
        except Exception as err:  # a result or an exception that does not pickle
            try:
                there.send(("error", RuntimeError(f"{type(err).__name__}: {err}")))
            except (OSError, EOFError):
                return
