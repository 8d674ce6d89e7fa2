r"""## What it finds

A function that the script defines and nothing calls: no probe, no other
function and no probe condition.

## Why it matters

stap still checks it (a type error in it fails the script) but never runs
it. Usually it is left over from an earlier version of the script, or the
call meant for it goes elsewhere: to a function of another name, or to a
library function of the same name with another number of arguments.

## Example

```systemtap
function kib(bytes) {
  return bytes / 1024
}

function mib(bytes) {
  return bytes / 1048576
}

probe vfs.read.return {
  if ($return > 0)
    printf("%s read %d KiB\n", execname(), kib($return))
}
```

## Fix

Delete the function, or call it:

```systemtap
function kib(bytes) {
  return bytes / 1024
}

probe vfs.read.return {
  if ($return > 0)
    printf("%s read %d KiB\n", execname(), kib($return))
}
```

## Notes

Not reported:

* a function named like a public function of the tapset library: it replaces
  the library's for every caller, the library included, which is how the
  tapsets' callbacks (`tcpmib_filter_key`, `ipmib_filter_key`, ...) are
  filled in;
* a function named in code the target does not compile (the other branch of
  a `%( %)`, an unused `@define` body, embedded C);
* anything, when the script calls a function through a command-line argument
  (`$1(x)`): which one is not known.

A function that only calls itself counts as not called. In a tapset file,
or a file without probes (a tapset of your own, read with `-I`), only
`private` functions are checked; the public ones are the library's API.
"""

from __future__ import annotations

from ...diagnostics import Severity
from ..rule import LintContext, Rule
from ...semantic.bindings import library_functions

RULE = Rule("STP502", "unused-function", Severity.WARNING, "a function of the script that nothing calls")


def check(ctx: LintContext) -> None:
    bindings = ctx.bindings
    if bindings.dynamic_calls:
        return
    library = ctx.library_file
    for function in bindings.functions.values():
        if function.mentions or library_functions(ctx.unit, function.name):
            continue
        for decl in function.decls:
            if library and not decl.private:
                continue
            if not function.callers(decl):
                ctx.report(RULE, decl.name_span, f"function '{function.name}' is never called")
