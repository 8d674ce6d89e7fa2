"""What the semantic checker is asked to do: its options (a module of its own, so that the
command line can build them without importing the checker)."""

from __future__ import annotations

from pathlib import Path

import attrs

from ..kernel.loading import KernelSource
from ..syntax.options import ParseOptions
from .session import Session


@attrs.frozen
class CheckOptions:
    parse: ParseOptions = ParseOptions()
    db_path: Path | None = None  # None: the default database (see tapsets.db)
    explain_unverifiable: bool = False  # report probe points only the target system can confirm
    # The kernel to check kernel probes and $variables against (--kernel-btf, --kernel-symbols);
    # empty: none, and those stay unverifiable.
    kernel: KernelSource = KernelSource()
    # The directory the programs of process(...) points are found under (--sysroot); None: "/".
    sysroot: str | None = None
    # What is kept from one checked file to the next (the loaded database, the probe resolver):
    # options made by attrs.evolve share it; a program checking many files makes one Session
    # and passes it to every CheckOptions it makes.  Not part of the options' value.
    session: Session = attrs.field(factory=Session, eq=False, repr=False)
