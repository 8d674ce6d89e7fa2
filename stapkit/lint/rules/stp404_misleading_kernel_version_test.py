r"""## What it finds

`%( kernel_v ... %)` and `%( kernel_vr ... %)` conditions that do not test
what they seem to, because of how stap compares versions:

* `kernel_v` compared with a release that has a `-` part
  (`kernel_v >= "5.14.0-284"`): `kernel_v` is the kernel's version without
  it (`5.14.0`), so `==` is never true, `!=` always, and `>=` is false even
  on that very kernel. `kernel_vr` is the one with the release part.
* `==` or `!=` with a version of fewer than three numbers
  (`kernel_v == "3.10"`): a kernel version always has three (`3.10.0`), so
  it is never equal.
* `<=` with a version of fewer than three numbers (`kernel_v <= "3.5"`):
  versions compare number by number and a longer one sorts after its
  prefix, so `3.5.0` and every `3.5.x` are greater than `"3.5"`: the test
  means `< "3.5"`, and leaves out the 3.5 kernels it names.

## Why it matters

The branch is compiled on other kernels than the ones named, so the script
fails, or silently does the wrong thing, on exactly the kernels the test was
written for.

## Example

```systemtap
probe begin {
%( kernel_v >= "5.14.0-284" %?
  println("new enough")
%:
  println("too old")
%)
  exit()
}
```

## Fix

Compare the full release with `kernel_vr` (the fix does that for the
first case), use a pattern for a whole series (`kernel_v == "3.10.*"`), and
write `< "3.6"` for "3.5 or older":

```systemtap
probe begin {
%( kernel_vr >= "5.14.0-284" %?
  println("new enough")
%:
  println("too old")
%)
  exit()
}
```

## Notes

`> "3.9"` is true on 3.9.0 and every 3.9.x for the same reason; it is not
reported, as it is commonly written for "3.9 and later". Conditions in
every branch are checked, also those the target does not take. Patterns
(`"3.10*"`) are not reported. The fixes change which branch is compiled,
so they are offered as unsafe.
"""

from __future__ import annotations

import re

from ...diagnostics import Applicability, Edit, Fix, Severity, Span
from ...syntax.literals import quote_string, string_value
from ..rule import LintContext, Rule

RULE = Rule("STP404", "misleading-kernel-version-test", Severity.WARNING,
            "a kernel_v/kernel_vr condition that does not test what it seems to (release part, short version)",
            fix=Applicability.UNSAFE)

_SHORT_VERSION = re.compile(r"[0-9]+(\.[0-9]+)?")


def check(ctx: LintContext) -> None:
    for conditional in ctx.unit.result.conditionals:
        if conditional.condition is None:
            continue
        for group in conditional.condition:
            for left, op, right in group:
                if left.kind != "IDENT" or left.text not in ("kernel_v", "kernel_vr") or right.kind != "STRING":
                    continue
                value = string_value(right.text)
                if any(c in value for c in "*?["):
                    continue
                _check_term(ctx, left, op.text, right, value)


def _check_term(ctx: LintContext, left, op: str, right, value: str) -> None:
    span = Span(left.start, right.end)
    if left.text == "kernel_v" and "-" in value:
        fix = None
        if ctx.text[left.start:left.end] == "kernel_v":
            fix = Fix("Compare kernel_vr", (Edit(Span(left.start, left.end), "kernel_vr"),), Applicability.UNSAFE)
        ctx.report(RULE, span,
                   f"kernel_v never has the release part (it is like \"{value.split('-')[0]}\"): "
                   f"{_outcome(op, value)}",
                   fix=fix, hints=("kernel_vr is the version with its release part",))
        return
    if not _SHORT_VERSION.fullmatch(value):
        return
    full = value + ".0" if "." in value else value + ".0.0"
    if op in ("==", "!="):
        fix = None
        if ctx.text[right.start:right.end] == right.text:
            fix = Fix(f"Match the series \"{value}.*\"", (Edit(Span(right.start, right.end),
                                                                 quote_string(value + ".*")),),
                      Applicability.UNSAFE)
        ctx.report(RULE, span,
                   f"a kernel version has three numbers (\"{full}\"), so it never equals \"{value}\": "
                   f"this test is {'never' if op == '==' else 'always'} true",
                   fix=fix, hints=(f"to match the whole series write {left.text} {op} \"{value}.*\"",))
    elif op == "<=":
        ctx.report(RULE, span,
                   f"\"{full}\" and every later {value} kernel sort after \"{value}\": "
                   f"'<= \"{value}\"' leaves them out (it means '< \"{value}\"')",
                   hints=(f"for \"{value} or older\" write < \"{_next(value)}\"",))


def _outcome(op: str, value: str) -> str:
    if op == "==":
        return "this test is never true"
    if op == "!=":
        return "this test is always true"
    base = value.split("-")[0]
    return (f"on every {base} kernel it compares \"{base}\", which sorts before \"{value}\", "
            f"whatever the kernel's release")


def _next(value: str) -> str:
    """The series after `value`: "3.5" -> "3.6", "3" -> "4"."""
    numbers = value.split(".")
    numbers[-1] = str(int(numbers[-1]) + 1)
    return ".".join(numbers)
