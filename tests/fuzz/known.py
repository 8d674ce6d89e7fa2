"""The problems issue 18 lists that the fuzzer still finds on today's code: one row each.

A failure that matches a row is counted in that row's bucket instead of being
reported as new (tools/fuzz.py) or failing the test (test_fuzz.py).  When the
owner's fix lands, delete the row: the fuzz test then fails if the fix missed
a case.
"""

from __future__ import annotations

from typing import Callable

import attrs

from .checks import Failure


@attrs.frozen
class Known:
    item: str  # the issue-18 item (its number in the list) and what it is
    owner: str  # the helper fixing it (see the working rules)
    kinds: tuple[str, ...]  # the failure kinds it shows as
    frames: tuple[str, ...] = ()  # one of these is part of a stapkit frame of the failure (none: any)
    stages: tuple[str, ...] = ()  # the stages it shows in (none: any)
    message: str = ""  # part of the failure's message
    needs: Callable[[bytes], bool] | None = None  # what the input has

    def matches(self, data: bytes, failure: Failure) -> bool:
        return (failure.kind in self.kinds
                and (not self.frames or any(f in frame for frame in failure.frames for f in self.frames))
                and (not self.stages or failure.stage in self.stages)
                and self.message in failure.message
                and (self.needs is None or self.needs(data)))


HANGS = ("timeout", "memory")

KNOWN: tuple[Known, ...] = (
    Known("1: exponential macro expansion (no budget)", "budgets", HANGS,
          frames=("stapkit/syntax/preprocessor.py",), needs=lambda data: b"@define" in data),
    Known("1: the untaken-branch search (no budget)", "budgets", HANGS, frames=("stapkit/syntax/alternatives.py",)),
    Known("2: invalid UTF-8 written back as U+FFFD", "io", ("changed-bytes",), stages=("file-format",),
          message="each written back as U+FFFD"),
    Known("7: quadratic lint time (STP516)", "pool", HANGS, frames=("stapkit/lint/rules/stp516",)),
)


def known_problem(data: bytes, failure: Failure) -> Known | None:
    return next((k for k in KNOWN if k.matches(data, failure)), None)
