r"""## What it finds

A global variable that the script reads but never writes, and that has no
initial value in its declaration.

## Why it matters

Its value is always 0, the empty string, or (for an array or statistics)
empty: every test of it gives the same answer and every loop over it runs
zero times. stap warns about it too ("never-assigned global variable").
Usually the writes went to another name (a typo, or a local of the same name
in a probe that was meant to set the global), or the line that filled it was
lost.

## Example

```systemtap
global last_error

probe syscall.open.return {
  if (retval < 0)
    last_err = retval
}

probe end {
  printf("last error: %d\n", last_error)
}
```

## Fix

Write the variable that is read:

```systemtap
global last_error

probe syscall.open.return {
  if (retval < 0)
    last_error = retval
}

probe end {
  printf("last error: %d\n", last_error)
}
```

## Notes

A scalar meant to be set from the command line (`stap -G name=value`) gets
its default in the declaration, which also silences this rule:
`global verbose = 0`. A write anywhere counts, in embedded C too
(`/* pragma:write:name */`, `STAP_GLOBAL_SET_name`), and so does a name in
code the target does not compile (the other branch of a `%( %)`). In a
tapset file, or a file without probes (a tapset of your own), only
`private` globals are checked: the others may be set by the tapsets or
scripts that use them.
"""

from __future__ import annotations

from ...diagnostics import Severity
from ...syntax import ast
from ..rule import LintContext, Rule

RULE = Rule("STP507", "never-assigned-global", Severity.WARNING,
            "a global that is read but never written and has no initial value")


def check(ctx: LintContext) -> None:
    private = _private_globals(ctx.script) if ctx.library_file else None
    for name, symbol in ctx.bindings.globals.items():
        if symbol.writes or symbol.mentions or not symbol.reads:
            continue
        if symbol.decl is None or symbol.decl.init is not None:
            continue
        if private is not None and name not in private:
            continue
        hints = ["its value is always 0, \"\" or empty"]
        if not any(r.indexed for r in symbol.reads):
            hints.append(f"to set it from the command line (stap -G {name}=...), give it a default: "
                         f"global {name} = 0")
        ctx.report(RULE, symbol.declared or symbol.reads[0].span,
                   f"global '{name}' is read but never written", hints=tuple(hints))


def _private_globals(script: ast.Script) -> set[str]:
    return {var.name for item in script.items if isinstance(item, ast.GlobalDecl) and item.private
            for var in item.variables}
