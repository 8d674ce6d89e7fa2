"""Ctrl-C: the first one ends the command, the ones after it are ignored.

Python raises KeyboardInterrupt at every SIGINT, so a second Ctrl-C while the
first is being handled (worker processes being stopped, files closed) broke
the clean-up halfway and printed a traceback.  While a command runs, the
first SIGINT raises KeyboardInterrupt and the later ones do nothing; the
command then prints one line, "stapkit: interrupted", and exits 130 (the
status a shell gives a program that SIGINT ended).
"""

from __future__ import annotations

import signal
import threading

INTERRUPTED_STATUS = 130
MESSAGE = "stapkit: interrupted"


class FirstInterruptOnly:
    """Installs itself as the SIGINT handler for a `with` block, if SIGINT has Python's
    default handler there (not in a thread, nor where it is ignored, nor inside another
    FirstInterruptOnly), and puts the previous handler back at the end unless `keep`."""

    def __init__(self, *, keep: bool = False):
        self.keep = keep
        self.interrupted = False
        self.installed = False
        self.previous = None

    def __enter__(self) -> "FirstInterruptOnly":
        if threading.current_thread() is threading.main_thread() \
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self.previous = signal.signal(signal.SIGINT, self._handle)
            self.installed = True
        return self

    def __exit__(self, *exc) -> None:
        if self.installed and not self.keep:
            signal.signal(signal.SIGINT, self.previous)
            self.installed = False

    def ignore_from_now(self) -> None:
        """Nothing left to interrupt (the command has finished): later SIGINTs do nothing."""
        self.interrupted = True
        if self.installed:
            self._ignore()

    def _handle(self, signum, frame) -> None:
        self._ignore()
        if self.interrupted:
            return
        self.interrupted = True
        raise KeyboardInterrupt

    @staticmethod
    def _ignore() -> None:
        # Ignored by the system, not by a Python handler: Python puts the default
        # action back for its own handlers while it shuts down, and a SIGINT then
        # would kill the process after it printed its line.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
