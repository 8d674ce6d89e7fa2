"""What the rule tests share: one rule's diagnostics on a script, their messages, the text
they mark, and the script with their fixes applied."""

from __future__ import annotations

from stapkit.lint.fixes import apply_fixes
from stapkit.lint.runner import LintOptions, lint_text
from stapkit.lint.selection import Selection
from stapkit.semantic.options import CheckOptions
from stapkit.semantic.session import Session
from stapkit.syntax.options import ParseOptions

SESSION = Session()  # one database and probe resolver for every check of the module


def lint(text: str, code: str, *, tapset: bool = False, path: str = "test.stp"):
    """The diagnostics of one rule on a script (no library macros, so tests do not depend on them)."""
    options = LintOptions(CheckOptions(parse=ParseOptions(library_macros={}, tapset=tapset), session=SESSION),
                          Selection(select=(code,)))
    result = lint_text(text, path, options)
    assert result.checked.unit is not None, [(d.code, d.message) for d in result.diagnostics]
    return [d for d in result.diagnostics if d.code == code]


def messages(text: str, code: str, **options) -> list[str]:
    return [d.message for d in lint(text, code, **options)]


def marked(text: str, diagnostics) -> list[str]:
    return [text[d.span.start:d.span.end] for d in diagnostics]


def fixed(text: str, code: str, *, unsafe: bool = True, **options) -> str:
    """The text with the rule's fixes applied (the unsafe ones too, unless unsafe=False)."""
    new, _ = apply_fixes(text, lint(text, code, **options), unsafe=unsafe)
    return new
