r"""## What it finds

A script whose only probes are `begin`, `end`, `error` and `never`, and
that never calls `exit()` (nor `error()`, `abort()` or `assert()`, which
end a script too).

## Why it matters

A SystemTap script runs until something ends it: a call to `exit()`, a
run-time error, the command given with `-c` finishing, or an interrupt
(Ctrl-C). A script that only does its work in `begin` does it in the first
moment, and then waits for events that no probe listens to: it never ends
by itself, and its `end` probe runs only when someone presses Ctrl-C.

## Example

```systemtap
probe begin {
  printf("HZ is %d\n", HZ())
}
```

## Fix

Call `exit()` when the work is done:

```systemtap
probe begin {
  printf("HZ is %d\n", HZ())
  exit()
}
```

## Notes

Only probes written as `begin`, `end`, `error` or `never` count: a probe
alias such as `oneshot` may call `exit()` in its own body. Not reported when
the script uses `target()` (it is meant to run with `-c` or `-x`), when its
`#!` line passes `-c` or stops stap before the script runs (`-p1` to
`-p4`), or when embedded C in it may end it. Tapset files are not checked.
"""

from __future__ import annotations

from ...diagnostics import Severity, Span
from ...syntax import ast
from ..flow import ENDING_FUNCTIONS
from ..rule import LintContext, Rule

RULE = Rule("STP513", "script-never-exits", Severity.WARNING,
            "a script with only begin/end/error probes that never calls exit()")

_ONCE_ONLY = frozenset({"begin", "end", "error", "never"})


def check(ctx: LintContext) -> None:
    if ctx.tapset:
        return
    probes = [item for item in ctx.script.items if isinstance(item, ast.ProbeDecl)]
    if not probes:
        return
    for probe in probes:
        # Written as begin/end/error/never themselves: an alias (`oneshot`) may exit in its body.
        for point in probe.points:
            for expanded in point.expand():
                comps = expanded.components
                if len(comps) != 1 or not isinstance(comps[0], ast.Component) or comps[0].name not in _ONCE_ONLY:
                    return
    first_line = ctx.unit.result.first_line
    if first_line is not None and first_line.last_pass is not None and first_line.last_pass < 5:
        return  # `#! stap -p2`: built or checked, never run
    if _first_line_runs_a_command(ctx.text):
        return
    for node in ast.walk(ctx.script):
        kind = type(node)
        if kind is ast.Call and (node.name in ENDING_FUNCTIONS or node.name == "target"):
            return
        if kind in (ast.EmbeddedCode, ast.EmbeddedExpr):
            return
    first = probes[0]
    ctx.report(RULE, Span(first.span.start, first.points[-1].span.end if first.points else first.span.end),
               "this script never ends by itself: its probes all run once (begin/end/error), and "
               "nothing calls exit()",
               hints=("call exit() when the work is done; without it the script waits for Ctrl-C",))


def _first_line_runs_a_command(text: str) -> bool:
    """Does a `#! stap ...` first line pass -c (run a command, end with it)?"""
    if not text.startswith("#!"):
        return False
    words = text[2:text.find("\n") if "\n" in text else len(text)].split()
    return any(w.startswith("-c") or (w.startswith("-") and not w.startswith("--") and "c" in w[1:]
                                      and all(ch in "vgkuwWc" for ch in w[1:])) for w in words)
