r"""## What it finds

A local variable of a function or probe that is assigned (`=`, `+=`, `++`,
...) but whose value is never read there.

## Why it matters

Locals live for one run of one function or probe: a value nobody reads is
lost when the body ends. stap's optimizer removes such assignments (it says
"Eliding assignment to 'x'" with `-v`), so the work is not even done. The
usual cause is a variable meant to be shared between probes: in SystemTap a
variable is local to its probe or function unless it is declared `global`,
so a probe that sets `start` and another that reads `start` talk about two
different variables.

## Example

```systemtap
probe begin {
  start = gettimeofday_ms()
}

probe timer.s(5) {
  printf("%d ms\n", gettimeofday_ms() - start)
  exit()
}
```

## Fix

Declare what the probes share as a global (or delete the assignment):

```systemtap
global start

probe begin {
  start = gettimeofday_ms()
}

probe timer.s(5) {
  printf("%d ms\n", gettimeofday_ms() - start)
  exit()
}
```

## Notes

Not reported: variables bound by `foreach` or `catch` (the syntax asks for
them), the locals of a probe alias's body (they are the alias's variables,
read by the handlers of the probes that use it), the variables an alias sets
for a probe's handler, and names read by an alias epilogue of the file (it
runs after the handler and sees its locals). A name that appears in code the
target does not compile (the other branch of a `%( %)`, embedded C) counts
as read.

`x++` or `x += 1` alone as a statement reads `x` only to write it back: a
variable that is only ever updated that way is still reported.
"""

from __future__ import annotations

from ...diagnostics import Severity
from ..rule import LintContext, Rule
from ...semantic.bindings import ASSIGN, LOCAL, UPDATE

RULE = Rule("STP503", "unused-local", Severity.WARNING, "a local variable assigned but never read")


def check(ctx: LintContext) -> None:
    bindings = ctx.bindings
    text = ctx.text
    for body in bindings.bodies:
        if body.kind == "alias":
            continue
        for name, local in body.locals.items():
            if local.kind != LOCAL or local.reads or local.mentions:
                continue
            if body.kind == "probe" and name in bindings.epilogue_reads:
                continue
            # Assignments a macro's expansion makes are not the user's to remove.
            assignments = [w for w in local.writes if w.how in (ASSIGN, UPDATE)
                           and text[w.span.start:w.span.end] == name]
            if not assignments:
                continue
            first = min(assignments, key=lambda w: w.span.start)
            hints = []
            readers = [other for other in bindings.bodies
                       if other is not body and name in other.locals and other.locals[name].reads]
            if readers:
                hints.append(f"'{name}' is read in {readers[0].describe()}, where it is another local: "
                             f"to share one variable, declare it global")
            ctx.report(RULE, first.span,
                       f"local '{name}' of {body.describe()} is assigned but never read", hints=tuple(hints))
