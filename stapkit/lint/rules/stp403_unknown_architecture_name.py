r"""## What it finds

A `%( arch == "..." %)` (or `!=`) condition with a machine name that stap
never uses for `arch`, such as `i686`, `aarch64`, `s390x`, `ppc64le` or
`amd64`; and a `%( runtime == "..." %)` with a runtime other than `kernel`,
`dyninst` and `bpf`.

## Why it matters

stap does not compare `arch` with what `uname -m` prints, but with its own
name for the architecture, the one the kernel's build uses: `i386` for
`i486`, `i586` and `i686`, `arm64` for `aarch64`, `arm` for `armv7l` and
other `arm*` machines, `s390` for `s390x`, `powerpc` for every `ppc*`
machine, `mips` for `mips*`, `riscv` for `riscv64`, and `x86_64` (never
`amd64`). A condition written with the `uname -m` name is never true, so its
branch is never compiled and the other one always is, on the very machine
it was written for.

## Example

```systemtap
probe begin {
%( arch == "aarch64" %?
  println("64-bit ARM")
%:
  println("something else")
%)
  exit()
}
```

## Fix

Use stap's name (the fix puts it in):

```systemtap
probe begin {
%( arch == "arm64" %?
  println("64-bit ARM")
%:
  println("something else")
%)
  exit()
}
```

## Notes

Conditions in every branch are checked, also those the target does not
take. A pattern (`"i?86"`, `"arm*"`) is not reported. The fix changes
which branch is compiled, so it is offered as unsafe.
"""

from __future__ import annotations

from ...diagnostics import Applicability, Edit, Fix, Severity, Span
from ...syntax.literals import quote_string, string_value
from ...syntax.target import RUNTIMES, stap_arch_name
from ..rule import LintContext, Rule

RULE = Rule("STP403", "unknown-architecture-name", Severity.WARNING,
            "an arch (or runtime) condition with a name stap never uses, such as \"i686\" or \"aarch64\"",
            fix=Applicability.UNSAFE)

# Names no Linux machine is called by `uname -m`, but people write for it.
_NOT_MACHINE_NAMES = {"amd64": "x86_64", "x64": "x86_64", "x86-64": "x86_64", "x86": None, "i86pc": None}


def check(ctx: LintContext) -> None:
    for conditional in ctx.unit.result.conditionals:
        if conditional.condition is None:
            continue
        for group in conditional.condition:
            for term in group:
                left, op, right = term
                if left.kind != "IDENT" or op.text not in ("==", "!=") or right.kind != "STRING":
                    continue
                value = string_value(right.text)
                if any(c in value for c in "*?["):
                    continue
                if left.text == "arch":
                    _check_arch(ctx, term, value)
                elif left.text == "runtime" and value not in RUNTIMES:
                    outcome = "never true" if op.text == "==" else "always true"
                    ctx.report(RULE, Span(right.start, right.end),
                               f"the runtime is never \"{value}\" (it is one of {', '.join(RUNTIMES)}): "
                               f"this condition is {outcome}")


def _check_arch(ctx: LintContext, term, value: str) -> None:
    left, op, right = term
    if value in _NOT_MACHINE_NAMES:
        better = _NOT_MACHINE_NAMES[value]
    else:
        better = stap_arch_name(value)
        if better == value:
            return
    outcome = "never true" if op.text == "==" else "always true"
    name = f"\"{better}\"" if better else "\"i386\" or \"x86_64\""
    fix = None
    if better is not None and ctx.text[right.start:right.end] == right.text:
        fix = Fix(f"Use \"{better}\"", (Edit(Span(right.start, right.end), quote_string(better)),),
                  Applicability.UNSAFE)
    ctx.report(RULE, Span(right.start, right.end),
               f"stap never calls the architecture \"{value}\" (it calls it {name}): this condition is {outcome}",
               fix=fix)
