r"""## What it finds

Statements that follow `next`, `return`, `break` or `continue` in the same
block, or follow an `if`/`else` whose two branches both end that way.

## Why it matters

Control never gets there, so the code is dead: stap drops it without a
word (it says "statement will never be reached" only at `-vvvv`). It is
usually a sign that something else was meant: a `return` that should have
been inside an `if`, or cleanup written after the `next` that skips it.

## Example

```systemtap
function ratio:long (part:long, total:long) {
  if (total == 0)
    return 0
  return part * 100 / total
  printf("ratio of %d\n", total)
}

probe begin {
  println(ratio(1, 4))
  exit()
}
```

## Fix

Move the statement to where it can run, or delete it (the fix deletes it):

```systemtap
function ratio:long (part:long, total:long) {
  if (total == 0)
    return 0
  printf("ratio of %d\n", total)
  return part * 100 / total
}

probe begin {
  println(ratio(1, 4))
  exit()
}
```

## Notes

`exit()` does not end the handler: the statements after it run, so they
are not reported, nor is code where a `%( %)` conditional begins or ends
between the `return` (or `next`, ...) and the code after it: which of them
are compiled depends on the target. The fix deletes the unreachable
statements, which stap would have dropped anyway, so it is safe; it is not
offered when a comment is among them.
"""

from __future__ import annotations

from ...diagnostics import Applicability, Edit, Fix, Severity, Span
from ...syntax import ast
from ..flow import crosses_conditional, ends_control_flow
from ..rule import LintContext, Rule

RULE = Rule("STP517", "unreachable-statement", Severity.WARNING,
            "a statement after next, return, break or continue, which never runs",
            fix=Applicability.SAFE)

_WORDS = {ast.NextStmt: "next", ast.ReturnStmt: "return", ast.BreakStmt: "break", ast.ContinueStmt: "continue"}


def check(ctx: LintContext) -> None:
    flow = ctx.flow
    for block, _ in flow.nodes(ast.Block):
        statements = [s for s in block.statements if type(s) is not ast.EmptyStmt]
        for index, stmt in enumerate(statements[:-1]):
            if not ends_control_flow(stmt):
                continue
            dead = statements[index + 1:]
            if dead[0].span.start < stmt.span.end:
                break  # spans out of order: statements from a macro expansion
            if crosses_conditional(ctx, stmt.span.start, dead[-1].span.end):
                break  # dead for the target checked, maybe not for others
            word = _WORDS.get(type(stmt))
            reason = f"it follows '{word}'" if word else \
                "every way through the statement before it ends with next, return, break or continue"
            ctx.report(RULE, Span(dead[0].span.start, dead[-1].span.end),
                       f"this code is never run: {reason}",
                       fix=_deletion(ctx, flow, stmt, dead))
            break


def _deletion(ctx: LintContext, flow, stmt, dead) -> Fix | None:
    start, end = stmt.span.end, dead[-1].span.end
    if end <= start or flow.has_comment(start, end):
        return None
    return Fix("Delete the unreachable code", (Edit(Span(start, end), ""),), Applicability.SAFE)
