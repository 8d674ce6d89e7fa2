r"""## What it finds

An ordering comparison (`<`, `<=`, `>`, `>=`) with a string literal that
holds a number: `if (version < "10")`, `if (arg > "0")`.

## Why it matters

When one side is a string, stap compares strings, character by character:
`"9" < "10"` is false (the character `9` sorts after `1`), and `"100" <
"20"` is true. The quotes make the comparison alphabetic, which is almost
never what a number in them was meant for. Usually the other side is a
number kept as a string (a command-line argument `@1`, a field cut from a
string): stap accepts the comparison, and it gives wrong answers only for
some values.

## Example

```systemtap
probe begin {
  version = "9"
  if (version < "10")
    println("old")
  exit()
}
```

## Fix

Compare numbers: turn the string into a number with `strtol()` (or use
`$1` instead of `@1`) and drop the quotes:

```systemtap
probe begin {
  version = "9"
  if (strtol(version, 10) < 10)
    println("old")
  exit()
}
```

## Notes

A one-digit string is not reported: comparing one character with `"0"`
and `"9"` is the usual test for a digit, and works.
"""

from __future__ import annotations

import re

from ...diagnostics import Severity
from ...syntax import ast
from ..flow import unparen
from ..rule import LintContext, Rule

RULE = Rule("STP519", "number-compared-as-string", Severity.WARNING,
            "'<', '<=', '>' or '>=' against a string literal holding a number (an alphabetic comparison)")

# Two characters or more: a one-digit string is how a character is tested (`c >= "0" && c <= "9"`).
_NUMBER = re.compile(r"[-+]?[0-9]{2,}|[-+][0-9]")


def check(ctx: LintContext) -> None:
    flow = ctx.flow
    for node, _ in flow.nodes(ast.Binary):
        if node.op not in ("<", "<=", ">", ">="):
            continue
        left, right = unparen(node.left), unparen(node.right)
        for literal, other in ((right, left), (left, right)):
            if _numeric_string(literal) and not _numeric_string(other):
                ctx.report(RULE, literal.span,
                           f"\"{literal.value}\" is a string: '{node.op}' compares strings alphabetically "
                           f"(\"9\" < \"10\" is false)",
                           hints=("compare numbers: strtol(s, 10) and an unquoted number",))
                break


def _numeric_string(node) -> bool:
    return type(node) is ast.StringLit and not node.has_arguments and bool(_NUMBER.fullmatch(node.value))
