r"""## What it finds

A global variable that the script writes but never reads.

## Why it matters

stap does not drop such a global: it adds an `end` probe of its own that
prints it when the script stops, one probe per variable. A scalar is printed
as `name=value` (`count=42`, `last="sshd"`), an array as one
`name[index]=value` line per element, sorted by value in decreasing order,
and statistics as their `@count`, `@min`, `@max`, `@sum` and `@avg`. Some
scripts rely on that as their report, but more often it is an accident: a
counter the script forgot to print or to use, printed in a format nobody
chose, after the script's own output, and for an array without any limit on
the number of lines.

## Example

```systemtap
global opens, errors

probe syscall.open.return {
  opens[execname()]++
  if (retval < 0)
    errors++
}

probe timer.s(10) {
  foreach (name in opens- limit 10)
    printf("%-16s %d\n", name, opens[name])
  exit()
}
```

## Fix

Read it (print it as you want it), or delete it:

```systemtap
global opens, errors

probe syscall.open.return {
  opens[execname()]++
  if (retval < 0)
    errors++
}

probe timer.s(10) {
  foreach (name in opens- limit 10)
    printf("%-16s %d\n", name, opens[name])
  printf("%d failed\n", errors)
  exit()
}
```

## Notes

stap counts `delete` as a use: a global the script deletes somewhere is not
printed, and not reported. A read anywhere counts: in a probe, a probe
condition, embedded C (`/* pragma:read:name */`), code the target does not
compile (the other branch of a `%( %)`), and a function, even one that
nothing calls (stap would still print the global then; unused-function
reports the function). Tapset files and files without probes are not
checked: stap prints only the globals of the script itself.

When printing at the end is what you want, writing the `end` probe yourself
says so and chooses the format; or silence the rule for that line.
"""

from __future__ import annotations

from ...diagnostics import Severity
from ..rule import LintContext, Rule
from ...semantic.bindings import DELETE, STATS

RULE = Rule("STP505", "write-only-global", Severity.INFO,
            "a global written but never read, which stap prints when the script ends")


def check(ctx: LintContext) -> None:
    if ctx.library_file:
        return
    for name, symbol in ctx.bindings.globals.items():
        if not symbol.writes or symbol.reads or symbol.mentions:
            continue
        if any(w.how == DELETE for w in symbol.writes):
            continue  # stap counts `delete` as a use: no display
        indexed = any(w.indexed for w in symbol.writes)
        stats = any(w.how == STATS for w in symbol.writes)
        if indexed:
            shown = "every element, one line each"
        elif stats:
            shown = "its @count, @min, @max, @sum and @avg"
        else:
            shown = f"'{name}=value'"
        ctx.report(RULE, symbol.declared or symbol.writes[0].span,
                   f"global '{name}' is written but never read: stap prints it when the script ends",
                   hints=(f"stap adds an end probe that prints {shown}; print it yourself to choose "
                          "the format, or delete it",))
