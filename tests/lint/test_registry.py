"""stapkit/lint/registry.py: every rule module is imported by name, and every one is there."""

from __future__ import annotations

import pkgutil

from stapkit.lint import rules
from stapkit.lint.registry import lint_rules


def test_every_rule_module_is_registered_once_in_code_order():
    files = sorted(f"{rules.__name__}.{info.name}" for info in pkgutil.iter_modules(rules.__path__))
    registered = [module.__name__ for module in lint_rules()]
    assert registered == files
    codes = [module.RULE.code for module in lint_rules()]
    assert codes == sorted(set(codes))
