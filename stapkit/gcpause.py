"""Pausing Python's cyclic garbage collector while a file is parsed; and keeping what a batch
run has loaded out of its sight (`batch_run`).

Parsing makes hundreds of thousands of small objects (tokens, tree nodes)
that hold no reference cycles: reference counting frees them, and the
cyclic collector only wastes time scanning them again and again (a third of
the parse time on the tapset library).  The pause nests and is thread-safe:
the collector comes back on when the last concurrent parse ends, if it was
on before the first began.
"""

from __future__ import annotations

import contextlib
import gc
import threading

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextlib.contextmanager
def collector_paused():
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


@contextlib.contextmanager
def batch_run():
    """A run over many files (`stapkit lint`, a release range) with what is loaded when it starts
    (the database, the grammar's tables, the rules) kept out of the collector's sight.

    That lives until the end of the run: frozen, the full collections no longer scan it again
    and again, and forked workers do not write to its pages (copy on write).  Each file's
    cyclic garbage is collected when the collector resumes after it (young generations); a full
    collection, which scans every older object too, is rarely worth it in a batch: at most one
    per 100 collections of the middle generation (the default, 10, made three full collections
    per run on the tapset library).  Both are undone at the end: a process that runs again (an
    editor's helper, a test) must not keep this run's objects frozen for good, nor the thresholds.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(thresholds[0], thresholds[1], 100)
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
