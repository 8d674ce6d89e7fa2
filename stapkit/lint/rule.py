"""A lint rule's identity, and the context a rule reads and reports to.

A rule is a module in stapkit/lint/rules/ named `stpNNN_<name>.py` with

    RULE = Rule("STP501", "unused-global", Severity.WARNING, "a global that nothing reads or writes")

    def check(ctx: LintContext) -> None:
        ...
        ctx.report(RULE, span, "global 'x' is never used", fix=...)

and a docstring that is its documentation page (docs/rules/<CODE>.md is made
from it by tools/rule_pages.py): the sections `## What it finds`, `## Why it
matters`, `## Example` (a ```systemtap block that triggers the rule) and
`## Fix` (one that does not), as every rule page has.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

import attrs

from ..diagnostics import Applicability, Diagnostic, Fix, LineIndex, Related, Severity, Span
from ..syntax import ast

if TYPE_CHECKING:
    from ..semantic.bindings import Bindings
    from ..semantic.unit import CheckUnit
    from .flow import FileFacts


@attrs.frozen
class Rule:
    code: str  # "STP501"
    name: str  # kebab-case, "unused-global"
    severity: Severity
    summary: str  # one line, lower case, no full stop: the rules table's "what it finds"
    # The kind of fix the rule offers, if any: SAFE ones are applied by --fix,
    # UNSAFE ones only with --unsafe-fixes.
    fix: Applicability | None = None


class LintContext:
    """One checked file, as the rules see it.

    The checker's CheckUnit has the script, its text, the tapset DB and the
    target; `bindings` (the semantic layer's, computed once per unit) says what
    each name means and where it is declared and used; `flow` (computed once,
    on first use) holds what the control-flow rules share.  Rules report with
    `report`; a rule never raises for odd input (the script parsed, but may
    have semantic errors).
    """

    def __init__(self, unit: "CheckUnit"):
        self.unit = unit
        self.diagnostics: list[Diagnostic] = []

    @property
    def path(self) -> str:
        return self.unit.path

    @property
    def text(self) -> str:
        return self.unit.text

    @property
    def script(self) -> ast.Script:
        return self.unit.script

    @property
    def tapset(self) -> bool:
        """A file of a tapset library (or a macro file): no probes of its own are expected."""
        return self.unit.tapset

    @cached_property
    def lines(self) -> LineIndex:
        return LineIndex(self.unit.text)

    @property
    def bindings(self) -> "Bindings":
        from ..semantic.bindings import Bindings

        return Bindings.of(self.unit)

    @cached_property
    def flow(self) -> "FileFacts":
        from .flow import FileFacts

        return FileFacts(self)

    @cached_property
    def library_file(self) -> bool:
        """Is the file a library (a tapset) rather than a script?  (lint/library.py)"""
        from .library import library_file

        return library_file(self.unit)

    def report(self, rule: Rule, span: Span, message: str, *, fix: Fix | None = None,
               hints: tuple[str, ...] = (), related: tuple[Related, ...] = (),
               severity: Severity | None = None) -> None:
        if fix is not None and rule.fix is None:
            raise ValueError(f"{rule.code} offers a fix but declares none")
        self.diagnostics.append(Diagnostic(rule.code, message, span, severity or rule.severity, fix,
                                           tuple(hints), tuple(related)))
