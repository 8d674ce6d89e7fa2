"""What the semantic checker is asked to do: its options (a module of its own, so that the
command line can build them without importing the checker)."""

from __future__ import annotations

from pathlib import Path

import attrs

from ..kernel.loading import KernelSource
from ..syntax.options import ParseOptions


@attrs.frozen
class CheckOptions:
    parse: ParseOptions = ParseOptions()
    db_path: Path | None = None  # None: the default database (see tapsets.db)
    explain_unverifiable: bool = False  # report probe points only the target system can confirm
    # The kernel to check kernel probes and $variables against (--kernel-btf, --kernel-symbols);
    # empty: none, and those stay unverifiable.
    kernel: KernelSource = KernelSource()
