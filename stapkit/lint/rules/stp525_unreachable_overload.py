r"""## What it finds

A function declared again with the same name and number of parameters, after
a declaration of it that never says `next`: the later one is never called.

## Why it matters

Functions of the same name and arity are overloads: a call runs the first
one (the lowest priority, `function f():2 {...}`; in declaration order when
equal), and a `next` statement in it passes the call on to the following
one. An overload that cannot `next` ends the chain, so the ones after it
are dead code; stap drops them ("instance of overloaded function will never
be reached", an error with `-W`). Most often the second declaration was
meant to replace the first, or to be a function of another name.

## Example

```systemtap
function describe(x) {
  return sprintf("%d", x)
}

function describe(x) {
  return sprintf("0x%x", x)
}

probe begin {
  println(describe(10))
  exit()
}
```

## Fix

Keep one, or let the first pass the call on with `next` where it does not
apply:

```systemtap
function describe(x) {
  if (x < 0)
    next
  return sprintf("%d", x)
}

function describe(x) {
  return sprintf("negative %d", x)
}

probe begin {
  println(describe(10))
  exit()
}
```

## Notes

Overloads are compared within the file, by name, number of parameters and
private or not, in the order stap tries them (priority, then declaration
order). An embedded-C overload passes the call on with `STAP_NEXT`.
"""

from __future__ import annotations

from ...diagnostics import Related, Severity
from ...syntax import ast
from ..rule import LintContext, Rule

RULE = Rule("STP525", "unreachable-overload", Severity.WARNING,
            "an overload of a function after one that never says next: it is never called")


def check(ctx: LintContext) -> None:
    groups: dict[tuple, list[ast.FunctionDecl]] = {}
    default_priority = 1 if ctx.tapset else 0  # stap's defaults for tapset and user functions
    for item in ctx.script.items:
        if isinstance(item, ast.FunctionDecl):
            groups.setdefault((item.private, item.name, len(item.params)), []).append(item)
    for overloads in groups.values():
        if len(overloads) < 2:
            continue
        ordered = sorted(overloads, key=lambda f: _priority(f, default_priority))  # stable: declaration order
        final = next((f for f in ordered[:-1] if not _can_pass_on(f)), None)
        if final is None:
            continue
        for later in ordered[ordered.index(final) + 1:]:
            ctx.report(RULE, later.name_span,
                       f"this overload of {later.name}() is never called: the one declared before it never says 'next'",
                       hints=("a call runs the first overload (by priority, then declaration order); only "
                              "'next' passes it on to the following one",),
                       related=(Related(f"{final.name}() without 'next'", None, final.name_span),))


def _priority(function: ast.FunctionDecl, default: int) -> int:
    priority = function.priority
    return priority.value if isinstance(priority, ast.NumberLit) else default


def _can_pass_on(function: ast.FunctionDecl) -> bool:
    body = function.body
    if isinstance(body, ast.EmbeddedCode):
        return "STAP_NEXT" in body.code
    return any(type(node) is ast.NextStmt for node in ast.walk(body))
