r"""## What it finds

A plain assignment (`=`) used as the whole condition of an `if`, `while`,
`for` or `?:`: `if (x = 0)`.

## Why it matters

The condition assigns and then tests the value it assigned: `if (x = 0)`
sets `x` to 0 and never runs its branch, `if (x = 1)` always does. stap
accepts it (an assignment is an expression); the usual intent was the
comparison `==`.

## Example

```systemtap
global state = 1

probe begin {
  if (state = 0)
    println("idle")
  exit()
}
```

## Fix

Compare with `==` (the fix does that):

```systemtap
global state = 1

probe begin {
  if (state == 0)
    println("idle")
  exit()
}
```

If the assignment is meant, put it in parentheses of its own or compare its
result: `while ((line = next_line()) != "")`.

## Notes

An assignment in extra parentheses, `if ((x = f()))`, is taken as meant
and not reported; so is `((x = f())) ? a : b`, as the condition of `?:`
needs one pair of parentheses around an assignment anyway. The fix changes
what the script does, so it is offered as unsafe.
"""

from __future__ import annotations

from ...diagnostics import Applicability, Edit, Fix, Severity, Span
from ...syntax import ast
from ..rule import LintContext, Rule

RULE = Rule("STP518", "assignment-in-condition", Severity.WARNING,
            "an assignment '=' used as an if/while/for/?: condition, where '==' was probably meant",
            fix=Applicability.UNSAFE)


def check(ctx: LintContext) -> None:
    flow = ctx.flow
    for node, _ in flow.nodes(ast.IfStmt, ast.WhileStmt, ast.ForStmt, ast.Ternary):
        condition = node.condition
        if type(node) is ast.Ternary and type(condition) is ast.Paren:
            condition = condition.expr  # `(x = 0) ? a : b`: a ternary's condition needs the parentheses
        if type(condition) is not ast.Assignment or condition.op != "=":
            continue
        at = flow.next_code(condition.target.span.end)
        fix = None
        if ctx.text.startswith("=", at) and not ctx.text.startswith("==", at) and at < condition.value.span.start:
            fix = Fix("Compare with '=='", (Edit(Span(at, at + 1), "=="),), Applicability.UNSAFE)
        ctx.report(RULE, condition.span,
                   "this condition assigns: it sets the variable and tests the value assigned",
                   fix=fix, hints=("did you mean '=='?",))
