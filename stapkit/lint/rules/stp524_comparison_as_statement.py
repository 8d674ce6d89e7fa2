r"""## What it finds

A statement that is only a comparison: `x == 0` on a line of its own.

## Why it matters

The comparison is computed and thrown away; nothing changes. It is almost
always an assignment with one `=` too many. stap drops the statement,
saying "Eliding side-effect-free expression" among its other warnings, and
runs the script without the assignment.

## Example

```systemtap
global count

probe begin {
  count == 10
  printf("%d\n", count)
  exit()
}
```

## Fix

Assign with `=` (the fix does that):

```systemtap
global count

probe begin {
  count = 10
  printf("%d\n", count)
  exit()
}
```

## Notes

The fix is offered for `==` with a variable or an array element on its
left, and changes what the script does, so it is unsafe. `!=`, `<`, `<=`,
`>` and `>=` statements are reported without a fix.
"""

from __future__ import annotations

from ...diagnostics import Applicability, Edit, Fix, Severity, Span
from ...syntax import ast
from ..flow import unparen
from ..rule import LintContext, Rule

RULE = Rule("STP524", "comparison-as-statement", Severity.WARNING,
            "a statement that only compares (x == 0), whose result is thrown away",
            fix=Applicability.UNSAFE)

_COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")


def check(ctx: LintContext) -> None:
    flow = ctx.flow
    for stmt, _ in flow.nodes(ast.ExprStmt):
        expr = unparen(stmt.expr)
        if type(expr) is not ast.Binary or expr.op not in _COMPARISONS:
            continue
        fix = None
        if expr.op == "==" and type(unparen(expr.left)) in (ast.Variable, ast.ArrayIndex):
            at = flow.next_code(expr.left.span.end)
            if ctx.text.startswith("==", at) and at < expr.right.span.start:
                fix = Fix("Assign with '='", (Edit(Span(at, at + 2), "="),), Applicability.UNSAFE)
        ctx.report(RULE, expr.span,
                   f"this statement only compares ('{expr.op}'): the result is thrown away",
                   fix=fix, hints=("did you mean '='?",) if expr.op == "==" else ())
