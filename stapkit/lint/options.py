"""What a lint run is asked to do: the checker's options and the selection of codes (a
module of its own, so that the command line can build them without importing the checker)."""

from __future__ import annotations

import attrs

from ..semantic.options import CheckOptions
from .selection import Selection


@attrs.frozen
class LintOptions:
    check: CheckOptions = CheckOptions()
    selection: Selection = Selection()
