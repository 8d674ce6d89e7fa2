r"""## What it finds

A division or remainder by the literal `0`: `x / 0`, `x % 0`, `x /= 0`,
`x %= 0`.

## Why it matters

stap accepts it, even `10 / 0`, without a word, but when the statement
runs the probe stops with the run-time error "division by 0", which ends
the script. A literal zero divisor is usually a placeholder
left in, or a macro or `%( %)` branch that expanded to something else than
was meant.

## Example

```systemtap
global bytes

probe begin {
  bytes = 4096
  printf("%d KiB\n", bytes / 0)
  exit()
}
```

## Fix

Divide by what was meant, or test the divisor first:

```systemtap
global bytes

probe begin {
  bytes = 4096
  printf("%d KiB\n", bytes / 1024)
  exit()
}
```
"""

from __future__ import annotations

from ...diagnostics import Severity
from ...syntax import ast
from ..flow import unparen
from ..rule import LintContext, Rule

RULE = Rule("STP520", "division-by-zero", Severity.WARNING,
            "a division or remainder by the literal 0 (a run-time error)")


def check(ctx: LintContext) -> None:
    flow = ctx.flow
    for node, _ in flow.nodes(ast.Binary, ast.Assignment):
        if type(node) is ast.Binary:
            if node.op not in ("/", "%"):
                continue
            divisor, op = node.right, node.op
        else:
            if node.op not in ("/=", "%="):
                continue
            divisor, op = node.value, node.op
        if _is_zero(divisor):
            what = "division" if op.startswith("/") else "remainder"
            ctx.report(RULE, node.span,
                       f"{what} by zero: when this runs, stap stops the script with 'division by 0'")


def _is_zero(node) -> bool:
    node = unparen(node)
    while type(node) is ast.Unary and node.op in ("+", "-"):
        node = unparen(node.operand)
    return type(node) is ast.NumberLit and node.value == 0
