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

# Every problem issue 18 listed is fixed: the table is empty, and a failure of any kind is new.
# (The rows were: exponential macro expansion and the untaken-branch search, item 1; invalid
# UTF-8 written back as U+FFFD, item 2; STP516's quadratic time, item 7.)  A problem found and
# not fixed at once gets a row here, naming its issue and its owner.
KNOWN: tuple[Known, ...] = ()


def known_problem(data: bytes, failure: Failure, table: tuple[Known, ...] | None = None) -> Known | None:
    return next((k for k in (KNOWN if table is None else table) if k.matches(data, failure)), None)
