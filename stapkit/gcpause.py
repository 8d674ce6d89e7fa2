"""Pausing Python's cyclic garbage collector while a file is parsed.

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
