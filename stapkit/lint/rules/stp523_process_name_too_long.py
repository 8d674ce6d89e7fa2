r"""## What it finds

`execname()` (or `pid2execname()`, `task_execname()`) compared with `==` or
`!=` to a string literal longer than 15 characters.

## Why it matters

These functions return the kernel's name for a task (its "comm"), which
the kernel cuts to 15 characters: a process started as `systemd-journald`
is named `systemd-journal`. A comparison with the full 16-character name is
never true (`!=` always true), so the filter silently matches nothing
(or everything).

## Example

```systemtap
probe syscall.write {
  if (execname() == "systemd-journald")
    printf("%d bytes\n", count)
}

probe timer.s(5) {
  exit()
}
```

## Fix

Compare with the first 15 characters (the fix does that), or match a
pattern with `=~`:

```systemtap
probe syscall.write {
  if (execname() == "systemd-journal")
    printf("%d bytes\n", count)
}

probe timer.s(5) {
  exit()
}
```

## Notes

Cutting the name may make it match other programs whose names share the
first 15 characters, so the fix is offered as unsafe.
"""

from __future__ import annotations

from ...diagnostics import Applicability, Edit, Fix, Severity
from ...syntax import ast
from ...syntax.literals import quote_string
from ..flow import text_at, unparen
from ..rule import LintContext, Rule

RULE = Rule("STP523", "process-name-too-long", Severity.WARNING,
            "execname() compared with a name longer than the 15 characters the kernel keeps",
            fix=Applicability.UNSAFE)

TASK_COMM_CHARS = 15  # TASK_COMM_LEN (16) less the terminating NUL
_NAME_FUNCTIONS = frozenset({"execname", "pid2execname", "task_execname"})


def check(ctx: LintContext) -> None:
    flow = ctx.flow
    library_names = _NAME_FUNCTIONS - set(ctx.bindings.functions)  # not redefined by the script
    for node, _ in flow.nodes(ast.Binary):
        if node.op not in ("==", "!="):
            continue
        left, right = unparen(node.left), unparen(node.right)
        for call, literal in ((left, right), (right, left)):
            if type(call) is ast.Call and call.name in library_names and _long_name(literal):
                _report(ctx, node, call, literal)
                break


def _long_name(node) -> bool:
    return type(node) is ast.StringLit and not node.has_arguments and "\\" not in node.value \
        and len(node.value.encode("utf-8", "surrogateescape")) > TASK_COMM_CHARS  # the kernel counts bytes


def _report(ctx: LintContext, node, call, literal: ast.StringLit) -> None:
    kept = literal.value.encode("utf-8", "surrogateescape")[:TASK_COMM_CHARS].decode("utf-8", "ignore")
    fix = None
    if literal.value.isascii() and len(literal.pieces) == 1 and text_at(ctx, literal.span.start, literal.pieces[0]):
        fix = Fix(f"Compare with \"{kept}\"", (Edit(literal.span, quote_string(kept)),), Applicability.UNSAFE)
    outcome = "never true" if node.op == "==" else "always true"
    ctx.report(RULE, literal.span,
               f"{call.name}() is at most {TASK_COMM_CHARS} characters long (the kernel cuts task names): "
               f"this comparison with a {len(literal.value.encode('utf-8', 'surrogateescape'))}-character name is {outcome}",
               fix=fix, hints=(f"the kernel calls it \"{kept}\"",))
