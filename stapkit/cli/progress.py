"""A progress line for long builds: what is done of what, and about how long is left.

On a terminal the line is rewritten in place (at most five times a second)
and ended when the work is; elsewhere nothing is written, unless asked for
(`stapkit db build --progress`, which tools/build_release_db.py reads from its
child): then each update is a line of its own, "N/M WHAT", at most one a
second, so a log stays short.
"""

from __future__ import annotations

import time


class Progress:
    def __init__(self, stream, total: int, what: str, *, in_place: bool, clock=time.monotonic):
        self.stream = stream
        self.total = total
        self.what = what
        self.in_place = in_place
        self.clock = clock
        self.started = clock()
        self.shown_at: float | None = None
        self.width = 0

    def update(self, done: float, note: str = "") -> None:
        """`done` may count a part of the next item (2.5 of 40 releases) for the time left."""
        now = self.clock()
        every = 0.2 if self.in_place else 1.0
        if done < self.total and self.shown_at is not None and now - self.shown_at < every:
            return
        self.shown_at = now
        line = f"{note}{int(done)}/{self.total} {self.what}"
        if 0 < done < self.total:
            line += f", about {(now - self.started) / done * (self.total - done):.0f} s left"
        if self.in_place:
            self.stream.write("\r" + line.ljust(self.width))
            self.width = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        """Ends the line on a terminal (what follows starts on a line of its own)."""
        if self.in_place and self.shown_at is not None:
            self.stream.write("\n")
            self.stream.flush()


def progress_for(stream, total: int, what: str, forced: bool = False) -> Progress | None:
    """A Progress on `stream` when it is a terminal (or when `forced`: line by line), else None."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    if tty:
        return Progress(stream, total, what, in_place=True)
    if forced:
        return Progress(stream, total, what, in_place=False)
    return None
