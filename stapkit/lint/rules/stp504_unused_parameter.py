r"""## What it finds

A parameter of a script function that the function never reads.

## Why it matters

Every caller computes and passes a value that changes nothing. Either the
parameter is left over from an earlier version of the function, or the body
uses something else where it meant the parameter (a global of a similar
name, say), which is a bug.

## Example

```systemtap
function percent(part, total) {
  return part * 100 / 1000
}

probe begin {
  printf("%d%%\n", percent(5, 50))
  exit()
}
```

## Fix

Use the parameter, or remove it from the function and its calls:

```systemtap
function percent(part, total) {
  return part * 100 / total
}

probe begin {
  printf("%d%%\n", percent(5, 50))
  exit()
}
```

## Notes

Not reported:

* the parameters of a function named like a public function of the tapset
  library: the library calls it with that prototype (`tcpmib_filter_key(sk,
  op)` must take both even when it looks at one);
* the parameters of a function defined more than once (overloads, which
  share one prototype);
* a parameter that appears in code the target does not compile (the other
  branch of a `%( %)`), or in the function's embedded C (`STAP_ARG_name`,
  or the name alone as older code writes it).

In a tapset file, or a file without probes (a tapset of your own), only
`private` functions are checked: a public function's parameters are part of
the library's interface, and a stub for an older kernel keeps them unused on
purpose.
"""

from __future__ import annotations

from ...diagnostics import Severity
from ..rule import LintContext, Rule
from ...semantic.bindings import library_functions

RULE = Rule("STP504", "unused-parameter", Severity.INFO, "a function parameter that the function never reads")


def check(ctx: LintContext) -> None:
    bindings = ctx.bindings
    library = ctx.library_file
    for body in bindings.bodies:
        if body.kind != "function":
            continue
        decl = body.node
        if library and not decl.private:
            continue
        function = bindings.functions.get(decl.name)
        if function is None or len(function.decls) > 1 or library_functions(ctx.unit, decl.name):
            continue
        for name, param in body.params.items():
            if param.reads or param.mentions:
                continue
            ctx.report(RULE, param.declared or decl.name_span,
                       f"parameter '{name}' of function '{decl.name}' is never read")
