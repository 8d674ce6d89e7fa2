r"""## What it finds

A `while` or `for` loop whose condition is a non-zero number (`while (1)`,
`for (;;)`) and whose body has no way out: no `break` for this loop, no
`return` or `next`, and no call of `error()`, `abort()` or `assert()` (or of
a script function that calls one of them).

## Why it matters

A probe handler may run only a bounded number of statements: MAXACTION,
1000 by default (10 times that in `begin` and `end` probes). A loop that
never ends runs into the limit, and stap stops the script with the run-time
error "MAXACTION exceeded". `exit()` in the loop does not help: it asks the
script to end after the handler returns, and the handler goes on looping.

## Example

```systemtap
probe begin {
  n = 0
  while (1) {
    n++
    if (n == 10)
      exit()
  }
  printf("%d\n", n)
}
```

## Fix

Give the loop a condition that becomes false, or leave it with `break`:

```systemtap
probe begin {
  n = 0
  while (1) {
    n++
    if (n == 10)
      break
  }
  printf("%d\n", n)
  exit()
}
```
"""

from __future__ import annotations

from ...diagnostics import Severity, Span
from ...syntax import ast
from ..flow import unparen
from ..rule import LintContext, Rule

RULE = Rule("STP521", "loop-never-ends", Severity.WARNING,
            "a while(1)/for(;;) loop with no break, return, next or error() in it")

_LOOPS = (ast.WhileStmt, ast.ForStmt, ast.ForeachStmt)
_RAISING = frozenset({"error", "abort", "assert"})


def check(ctx: LintContext) -> None:
    flow = ctx.flow
    raising = None
    for loop, _ in flow.nodes(ast.WhileStmt, ast.ForStmt):
        if not _always_true(loop.condition):
            continue
        if raising is None:
            raising = _raising_functions(ctx.bindings)
        if _has_exit(loop.body, raising):
            continue
        keyword = "while" if type(loop) is ast.WhileStmt else "for"
        ctx.report(RULE, Span(loop.span.start, loop.span.start + len(keyword)),
                   "this loop never ends: nothing in it leaves the loop, so stap stops the script "
                   "with 'MAXACTION exceeded'",
                   hints=("exit() does not end a loop or a handler; use break, return or next",))


def _always_true(condition) -> bool:
    if condition is None:
        return True  # for (;;)
    condition = unparen(condition)
    return type(condition) is ast.NumberLit and condition.value != 0


def _raising_functions(bindings) -> set[str]:
    """The script functions that may raise an error: they call error(), abort() or assert(),
    or a script function that may."""
    calls: dict[str, set[str]] = {name: set() for name in bindings.functions}
    for body in bindings.bodies:
        if body.kind == "function":
            calls[body.node.name] |= {call.name for call in body.calls}
    raising = {name for name, called in calls.items() if called & _RAISING}
    changed = True
    while changed:
        changed = False
        for name, called in calls.items():
            if name not in raising and called & raising:
                raising.add(name)
                changed = True
    return raising


def _has_exit(body, raising: set[str]) -> bool:
    """Does anything in the loop's body leave it: a `break` of this loop (not of a loop
    inside it), `return`, `next`, or a call that may raise an error?"""
    pending = [(body, False)]
    while pending:
        node, nested = pending.pop()
        kind = type(node)
        if kind is ast.BreakStmt and not nested:
            return True
        if kind in (ast.ReturnStmt, ast.NextStmt):
            return True
        if kind is ast.Call and (node.name in _RAISING or node.name in raising):
            return True
        inner = nested or kind in _LOOPS
        pending.extend((child, inner) for child in ast.children(node))
    return False
