r"""## What it finds

A global variable of the script whose name is one of the variables that the
alias behind a probe sets for its handler: `global name` with
`probe syscall.open`, whose alias sets `name`, `filename`, `flags`, ...

## Why it matters

An alias's body runs before the probe's handler, in the same scope, and
names there resolve as they do in the handler: to the script's globals
first. So the alias does not set a variable of the handler's own; each time
the probe fires it overwrites the global (`count = ...`, `name = "read"`),
and whatever the global was counting or remembering is lost. Nothing warns.

## Example

```systemtap
global count

probe syscall.read {
  count++
}

probe end {
  printf("%d reads\n", count)
}
```

## Fix

Rename the global:

```systemtap
global reads

probe syscall.read {
  reads++
}

probe end {
  printf("%d reads\n", reads)
}
```

## Notes

The variables an alias sets are those of the tapset library for the target
(`stapkit db show syscall.read` lists them). An alias of the script itself
that writes a global does it in plain sight and is not reported.
"""

from __future__ import annotations

from ...diagnostics import Related, Severity
from ..rule import LintContext, Rule

RULE = Rule("STP508", "global-shadows-alias-variable", Severity.WARNING,
            "a global named like a variable that a probe's alias sets, so the alias overwrites it")


def check(ctx: LintContext) -> None:
    bindings = ctx.bindings
    for body in bindings.bodies:
        if body.kind != "probe":
            continue
        for name in body.alias_names:
            symbol = bindings.globals.get(name)
            if symbol is None:
                continue
            related = (Related(f"'{name}' is declared global here", None, symbol.declared),) \
                if symbol.declared is not None else ()
            ctx.report(RULE, body.node.points[0].span,
                       f"an alias behind {body.describe()} sets '{name}', which is a global of the script: "
                       f"each hit overwrites the global", related=related,
                       hints=(f"rename the global; in the handler, '{name}' is the global, "
                              "not the alias's value",))
