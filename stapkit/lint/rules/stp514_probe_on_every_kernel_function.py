r"""## What it finds

A probe point whose wildcards take in every function of the kernel or of
every module:

* `kernel.function("*")` (also `"*@*"`, `"*@*.c"`, and with `.call`,
  `.return`, ...): every function of the kernel;
* `module("*").function("*")`: every function of every module.

## Why it matters

stap makes one probe for each function a pattern matches. For the whole
kernel that is tens of thousands of probes: pass 2 reads the debuginfo of
every compilation unit and takes minutes, the kernel module stap builds is
huge, registering the probes takes a long time, and once they are in, the
handler runs on nearly every function call the kernel makes, which slows
the whole machine down. It is rarely what was meant: a question about one
subsystem needs the functions of that subsystem.

## Example

```systemtap
global calls

probe kernel.function("*") {
  calls[probefunc()]++
}

probe timer.s(5) {
  exit()
}
```

## Fix

Name the functions, or narrow the pattern to a subsystem (a file pattern
such as `"*@fs/*.c"`, a name prefix such as `"tcp_*"`, or one module):

```systemtap
global calls

probe kernel.function("vfs_*") {
  calls[probefunc()]++
}

probe timer.s(5) {
  exit()
}
```

## Notes

A pattern for one module (`module("ext4").function("*")`), for a user
program (`process("...").function("*")`) or for tracepoints
(`kernel.trace("*")`) is not reported: those are large, but bounded by what
was named.
"""

from __future__ import annotations

import re

from ...diagnostics import Severity
from ...syntax import ast
from ..rule import LintContext, Rule

RULE = Rule("STP514", "probe-on-every-kernel-function", Severity.WARNING,
            "kernel.function(\"*\") or module(\"*\").function(\"*\"): a probe on every kernel function")

# A function pattern that matches every function: a name part of only '*', and
# no file part, or one that names no directory or file (`*`, `*.c`).
_EVERY_FUNCTION = re.compile(r"\*+(@\*+(\.[ch])?)?")


def check(ctx: LintContext) -> None:
    for item in ctx.script.items:
        if not isinstance(item, ast.ProbeDecl):
            continue
        reported = set()
        for point in item.points:
            for expanded in point.expand():
                what = _covers_every_function(expanded)
                if what is not None and id(point) not in reported:
                    reported.add(id(point))
                    ctx.report(RULE, point.span,
                               f"'{expanded.dotted()}' probes every function of {what}: tens of "
                               f"thousands of probes, slow to build and to start, and a handler run "
                               f"on nearly every function call",
                               hints=("name the functions, or narrow the pattern (\"vfs_*\", "
                                      "\"*@fs/*.c\", one module)",))


def _covers_every_function(point: ast.ProbePoint) -> str | None:
    comps = point.components
    if len(comps) < 2 or not all(isinstance(c, ast.Component) for c in comps[:2]):
        return None
    first, second = comps[0], comps[1]
    if second.name != "function" or not _every_function(second.arg):
        return None
    if first.name == "kernel" and first.arg is None:
        return "the kernel"
    if first.name == "module" and type(first.arg) is ast.StringLit and not first.arg.has_arguments \
            and set(first.arg.value) == {"*"}:
        return "every module"
    return None


def _every_function(arg) -> bool:
    return type(arg) is ast.StringLit and not arg.has_arguments and bool(_EVERY_FUNCTION.fullmatch(arg.value))
