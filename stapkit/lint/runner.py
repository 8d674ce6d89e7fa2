"""Lint one file: the checker (syntax and stap's pass 2), then the lint rules, then
suppression comments and the selection of codes.

A file with syntax errors gets no lint rules (the tree is incomplete); a file
with semantic errors does: the rules read only what parsed.
"""

from __future__ import annotations

import attrs

from ..diagnostics import Diagnostic
from ..gcpause import collector_paused
from ..semantic.checker import CheckResult, check_file, check_text
from .rule import LintContext
from .options import LintOptions
from .selection import Selection


@attrs.frozen
class LintResult:
    path: str
    text: str | None
    diagnostics: tuple[Diagnostic, ...]
    checked: CheckResult


# The cyclic garbage collector is paused for the whole of a file's lint, not only its parse
# (stapkit.gcpause): the tree and the checker's tables are hundreds of thousands of objects
# without cycles, and each full collection scanned them all again (40 % of the CPU time on a
# 1 MB script).  What cycles the checker leaves are collected when the collector resumes.


def lint_file(path: str, options: LintOptions = LintOptions(), *, display_path: str | None = None) -> LintResult:
    with collector_paused():
        return _lint(check_file(path, options.check), options)


def lint_text(text: str, path: str = "<string>", options: LintOptions = LintOptions(), *,
              reuse=None, lexed=None) -> LintResult:
    """`reuse`: the language server's syntax.reuse.DeclarationReuse of the document, if any;
    `lexed`: the text lexed already, as parse_text takes it."""
    with collector_paused():
        return _lint(check_text(text, path, options.check, reuse=reuse, lexed=lexed), options)


def run_rules(unit, selection: Selection | None = None) -> list[Diagnostic]:
    """The diagnostics of the lint rules that `selection` enables (all of them by default)."""
    from .registry import lint_rules

    ctx = LintContext(unit)
    for module in lint_rules():
        if selection is None or selection.enabled(module.RULE.code):
            module.check(ctx)
    return ctx.diagnostics


def _lint(checked: CheckResult, options: LintOptions) -> LintResult:
    from .suppressions import apply_suppressions

    diagnostics = list(checked.diagnostics)
    if checked.unit is not None:
        diagnostics += run_rules(checked.unit, options.selection)
    if checked.parse.text is not None:
        diagnostics = apply_suppressions(diagnostics, checked.parse, options.selection)
    diagnostics = [d for d in diagnostics if options.selection.enabled(d.code)]
    diagnostics = _warnings_as_errors(diagnostics, checked, options)
    diagnostics.sort(key=lambda d: (d.span.start, d.span.end, d.code))
    return LintResult(checked.path, checked.text, tuple(diagnostics), checked)


def _warnings_as_errors(diagnostics: list[Diagnostic], checked: CheckResult, options: LintOptions) -> list[Diagnostic]:
    """stap -W: from the file's first line or the options, after suppressions and selection."""
    from ..diagnostics import warnings_as_errors
    from ..syntax.script_options import warnings_made_errors

    why = warnings_made_errors(checked.parse.first_line, options.check.parse.warnings_as_errors)
    return warnings_as_errors(diagnostics, why)
