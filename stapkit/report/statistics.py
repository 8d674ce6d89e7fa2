"""`stapkit lint --statistics`: how often each code was reported, instead of the findings.

    12  STP501  unused-global        10 fixable
     3  STP101  unresolved-function
     1  STP105  type-mismatch
    16 problems (10 fixable with --fix)

One row a code, the most frequent first (equal counts by code): the count,
right-aligned; the code; the rule's name; and how many of those findings have
a fix — "N fixable" for safe fixes (applied by `--fix`), "N fixable with
--unsafe-fixes" for the others.  The last line is the total, with the number
of findings `--fix` would fix and how many more `--unsafe-fixes` would.
Columns are separated by two spaces and no line has trailing blanks.
"""

from __future__ import annotations

from collections import Counter

from ..diagnostics import Applicability
from .location import Located


def render_statistics(items: list[Located]) -> str:
    from ..lint.registry import all_rules

    if not items:
        return "no problems\n"
    rules = all_rules()
    counts: Counter[str] = Counter()
    safe: Counter[str] = Counter()
    unsafe: Counter[str] = Counter()
    for item in items:
        d = item.diagnostic
        counts[d.code] += 1
        if d.fix is not None:
            if d.fix.applicability is Applicability.SAFE:
                safe[d.code] += 1
            else:
                unsafe[d.code] += 1
    order = sorted(counts, key=lambda code: (-counts[code], code))
    names = {code: rules[code].name if code in rules else "" for code in order}
    count_width = len(str(counts[order[0]]))
    code_width = max(len(code) for code in order)
    name_width = max(len(name) for name in names.values())
    lines = []
    for code in order:
        fixable = _fixable(safe[code], unsafe[code])
        cells = [str(counts[code]).rjust(count_width), code.ljust(code_width), names[code].ljust(name_width)]
        if fixable:
            cells.append(fixable)
        lines.append("  ".join(cells).rstrip())
    total = len(items)
    summary = f"{total} problem{'s' if total != 1 else ''}"
    with_fix = sum(safe.values())
    more = sum(unsafe.values())
    notes = []
    if with_fix:
        notes.append(f"{with_fix} fixable with --fix")
    if more:
        notes.append(f"{more} {'more ' if with_fix else ''}with --fix --unsafe-fixes")
    if notes:
        summary += f" ({', '.join(notes)})"
    lines.append(summary)
    return "".join(line + "\n" for line in lines)


def _fixable(safe: int, unsafe: int) -> str:
    parts = []
    if safe:
        parts.append(f"{safe} fixable")
    if unsafe:
        parts.append(f"{unsafe} fixable with --unsafe-fixes")
    return ", ".join(parts)
