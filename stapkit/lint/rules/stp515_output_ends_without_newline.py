r"""## What it finds

The last output of a script that does not end with a newline: the last
print statement of the last `end` probe is a `printf` whose format ends in
text or a number conversion other than `\n`, or a `print` of a string
literal that does not end in `\n`.

Only a print statement that stands last in the body is looked at (nothing
that prints may follow it, not even inside an `if` or a loop), so a
final `printf("\n")` or `println(...)` after it is seen.

## Why it matters

stap writes what the script prints as it is: with no newline at the end,
the last line runs into whatever comes next, the shell prompt when the
output goes to a terminal, the next program's output in a log, and tools
that read the output line by line may drop the unterminated last line.

## Example

```systemtap
global reads

probe syscall.read {
  reads++
}

probe end {
  printf("reads: %d", reads)
}
```

## Fix

End the output with a newline (the fix adds `\n` to the format):

```systemtap
global reads

probe syscall.read {
  reads++
}

probe end {
  printf("reads: %d\n", reads)
}
```

## Notes

A format that ends with `%s` is not reported: the string may end with a
newline. The fix changes the script's output by one character, so it is
offered as unsafe.
"""

from __future__ import annotations

from ...diagnostics import Applicability, Edit, Fix, Severity, Span
from ...syntax import ast
from ...syntax.printf_format import parse_format
from ..flow import string_pieces, text_at
from ..rule import LintContext, Rule

RULE = Rule("STP515", "output-ends-without-newline", Severity.WARNING,
            "the last print of the last end probe does not end with a newline",
            fix=Applicability.UNSAFE)

_ENDING = frozenset({"end", "error"})
_PRINTS = frozenset({"print", "printf", "printd", "printdln", "println"})


def check(ctx: LintContext) -> None:
    if ctx.tapset:
        return
    final_probe = None
    for item in ctx.script.items:
        if isinstance(item, ast.ProbeDecl):
            info = ctx.unit.probes.get(id(item))
            if info is None:
                continue
            if "end(number)" in info.families:
                return  # end probes with priorities run in another order than they are written
            if "end" in info.families and info.families <= _ENDING:
                final_probe = item
    if final_probe is None:
        return
    call = _last_print(final_probe.body)
    if call is None:
        return
    literal = _final_literal(call)
    if literal is None:
        return
    pieces = string_pieces(ctx, literal)
    fix = None
    if pieces is not None:
        closing_quote = pieces[-1][1] - 1
        if text_at(ctx, closing_quote, '"'):
            fix = Fix("Add a newline at the end of the output",
                      (Edit(Span(closing_quote, closing_quote), "\\n"),), Applicability.UNSAFE)
    ctx.report(RULE, call.span,
               "the script's last output does not end with a newline: the last line runs into "
               "what comes after it (such as the shell prompt)",
               fix=fix)


def _last_print(block: ast.Block):
    """The print call that is the body's last printing statement, or None when the last
    printing statement is something else (a loop, an if, a function call that may print)."""
    for stmt in reversed(block.statements):
        if type(stmt) is ast.ExprStmt and type(stmt.expr) is ast.PrintCall:
            return stmt.expr if stmt.expr.name in _PRINTS else None
        if _may_print(stmt):
            return None
    return None


def _may_print(stmt) -> bool:
    for node in ast.walk(stmt):
        kind = type(node)
        if kind is ast.PrintCall and not node.name.startswith("s"):
            return True
        if kind is ast.Call and node.name != "exit":
            return True  # a function may print (a script function, or log, warn, ...)
    return False


def _final_literal(call: ast.PrintCall) -> ast.StringLit | None:
    """The string literal that ends the call's output without a newline, if it is one."""
    if call.name in ("println", "printdln") or not call.args:
        return None
    if call.name == "printf":
        fmt = call.args[0]
        if type(fmt) is not ast.StringLit or fmt.has_arguments or not fmt.value:
            return None
        if fmt.value.endswith("\\n"):
            return None
        conversions, error = parse_format(fmt.value)
        if error is not None:
            return None
        if conversions and conversions[-1].offset + len(conversions[-1].text) == len(fmt.value) \
                and conversions[-1].conversion in ("s", "m", "M", "c"):
            return None  # ends with a string, memory or a character that may be the newline
        return fmt
    if call.name == "print" and len(call.args) == 1:
        arg = call.args[0]
        if type(arg) is ast.StringLit and not arg.has_arguments and arg.value and not arg.value.endswith("\\n"):
            return arg
    return None
