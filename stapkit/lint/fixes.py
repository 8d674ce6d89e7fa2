"""Applying the fixes that diagnostics carry to a text.

Fixes are applied as ruff applies them: in order of position, skipping a fix
whose edits overlap one already taken (the next round gets it), and the text
is linted again after each round, so a fix is only ever applied to text that
parsed and whose diagnostics are current.  `apply_until_stable` stops when a
round applies nothing, after MAX_ROUNDS, or if a round's result does not
parse (the text of the round before is kept).
"""

from __future__ import annotations

from typing import Callable, Iterable, NamedTuple

from ..diagnostics import Applicability, Diagnostic, Fix, Severity

MAX_ROUNDS = 10


def wanted(fix: Fix | None, unsafe: bool) -> bool:
    return fix is not None and (unsafe or fix.applicability is Applicability.SAFE)


def apply_fixes(text: str, diagnostics: Iterable[Diagnostic], *, unsafe: bool = False) -> tuple[str, int]:
    """The text with every non-overlapping wanted fix applied, and how many were."""
    fixes = sorted((d.fix for d in diagnostics if wanted(d.fix, unsafe)),
                   key=lambda f: (f.edits[0].span.start if f.edits else 0))
    taken: list[Fix] = []
    last_end = -1
    for fix in fixes:
        if not fix.edits:
            continue
        start = fix.edits[0].span.start
        if start < last_end or any(a.span.end > b.span.start for a, b in zip(fix.edits, fix.edits[1:])):
            continue  # overlaps the fix before (or is malformed): next round
        taken.append(fix)
        last_end = max(e.span.end for e in fix.edits)
    if not taken:
        return text, 0
    pieces = []
    position = 0
    for fix in taken:
        for edit in fix.edits:
            pieces.append(text[position:edit.span.start])
            pieces.append(edit.content)
            position = edit.span.end
    pieces.append(text[position:])
    return "".join(pieces), len(taken)


class FixOutcome(NamedTuple):
    text: str  # the fixed text (the original when nothing applied)
    applied: int  # how many fixes were applied in all
    diagnostics: tuple[Diagnostic, ...]  # those of the final text
    stopped: str | None  # why fixing stopped early, if it did ("the fixed text did not parse ...")


def apply_until_stable(text: str, diagnostics: tuple[Diagnostic, ...],
                       lint: Callable[[str], tuple[Diagnostic, ...]], *, unsafe: bool = False) -> FixOutcome:
    """Apply fixes, lint the result, and repeat while fixes apply.

    `diagnostics` are those of `text`; `lint(text)` lints a new text.  A file
    with syntax errors is never fixed.
    """
    if _has_syntax_errors(diagnostics):
        return FixOutcome(text, 0, diagnostics, None)
    applied = 0
    for _ in range(MAX_ROUNDS):
        new_text, count = apply_fixes(text, diagnostics, unsafe=unsafe)
        if count == 0 or new_text == text:
            return FixOutcome(text, applied, diagnostics, None)
        new_diagnostics = lint(new_text)
        if _has_syntax_errors(new_diagnostics):
            codes = ", ".join(sorted({d.code for d in diagnostics if wanted(d.fix, unsafe)}))
            return FixOutcome(text, applied, diagnostics,
                              f"a fix ({codes}) made text that does not parse; that round was not applied")
        text, diagnostics, applied = new_text, new_diagnostics, applied + count
    return FixOutcome(text, applied, diagnostics, f"fixes still applied after {MAX_ROUNDS} rounds")


def _has_syntax_errors(diagnostics) -> bool:
    return any(d.severity is Severity.ERROR and d.code < "STP100" for d in diagnostics)
