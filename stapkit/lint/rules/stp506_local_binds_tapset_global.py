r"""## What it finds

A variable that a function or probe writes as if it were its own local, but
whose name is a public global of the tapset library (`argc`, `argv`,
`NULL`, the `tcpmib` counters, ...).

## Why it matters

SystemTap looks a name up among the globals, the library's included, before
it makes a local of it. Writing `argc = 0` in a probe does not make a local
`argc`: it changes the library's `argc`, which other probes and tapset
functions read, and stap says nothing. The variable is also shared between
every probe and locked like a global.

## Example

```systemtap
probe begin {
  argc = 0
  for (i = 0; i < 3; i++)
    argc += i
  printf("%d\n", argc)
  exit()
}
```

## Fix

Rename the variable:

```systemtap
probe begin {
  total = 0
  for (i = 0; i < 3; i++)
    total += i
  printf("%d\n", total)
  exit()
}
```

## Notes

Reported where a function or probe first uses the name, when that first
use writes the variable itself (an assignment, `++`, a `foreach` or `catch`
variable). A body that reads the library's value first (`if (argc == 0)
argc = 1`), or writes an element of a library array, uses the global as a
global, on purpose; so do the library's own macros (the json tapset's
`@json_output_*` set its globals). A name the script declares `global` is
the script's own and is not reported. Tapset files and files without probes
are not checked: a tapset writing another tapset's global does it on
purpose.
"""

from __future__ import annotations

from ...diagnostics import Severity
from ..rule import LintContext, Rule
from ...semantic.bindings import ASSIGN, CATCH, FOREACH, UPDATE, Use

# How a local is given a value (embedded C's writes and deletes are not that).
LOCAL_WRITES = frozenset({ASSIGN, UPDATE, FOREACH, CATCH})

RULE = Rule("STP506", "local-binds-tapset-global", Severity.WARNING,
            "a variable written like a local whose name is a global of the tapset library")


def check(ctx: LintContext) -> None:
    if ctx.library_file:
        return
    text = ctx.text
    for name, symbol in ctx.bindings.library_globals.items():
        first_in_body: dict[int, Use] = {}
        for use in sorted((*symbol.reads, *symbol.writes), key=lambda u: (u.span.start, u.span.end)):
            if use.body is not None:
                first_in_body.setdefault(id(use.body), use)
        for use in first_in_body.values():
            # A body that reads the library's value first uses the global as a global.
            if use.how not in LOCAL_WRITES or use.indexed:
                continue
            if text[use.span.start:use.span.end] != name:
                continue  # written by a macro's expansion (the json tapset's macros set its globals)
            library = symbol.library
            where = f" ({library.where})" if library is not None else ""
            ctx.report(RULE, use.span,
                       f"'{name}' is a global of the tapset library{where}: this writes the library's "
                       f"variable, not a local of {use.body.describe()}",
                       hints=(f"rename it; a local cannot be named '{name}'",))
