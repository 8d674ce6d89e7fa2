r"""## What it finds

A `stapkit: disable=CODE` (or `disable-file=CODE`) comment that silences
nothing: no diagnostic of that code is reported on the line it covers (or in
the file), or the code is not one stapkit has.

## Why it matters

Suppressions outlive the problems they were written for. A stale one hides
the next real problem of that kind on the line, and a misspelt code hides
nothing while looking as if it did.

## Example

```systemtap
global hits  # stapkit: disable=STP501

probe begin {
  hits = 1
  printf("%d\n", hits)
  exit()
}
```

## Fix

Delete the comment, or correct the code it names:

```systemtap
global hits

probe begin {
  hits = 1
  printf("%d\n", hits)
  exit()
}
```

## Notes

A suppression of a code that the selection turns off (`--ignore`,
per-file-ignores) is not reported: that rule did not run. Suppressions are
matched in stapkit/lint/suppressions.py; this module only names the rule.
"""

from __future__ import annotations

from ...diagnostics import Severity
from ..rule import LintContext, Rule

RULE = Rule("STP500", "unused-suppression", Severity.WARNING, "a suppression comment that silences nothing")


def check(ctx: LintContext) -> None:
    """Nothing to do here: suppressions.apply_suppressions reports STP500, after every rule ran."""
