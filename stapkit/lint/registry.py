"""Every rule stapkit has: the checker's codes and the lint rules of stapkit/lint/rules/.

The lint rules are found by their module names (`stpNNN_<name>.py`), so adding
a rule is adding a file.  Importing the rules is deferred to the first call:
`stapkit parse` and `stapkit format` never load them.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from functools import lru_cache
from types import ModuleType
from typing import NamedTuple

from ..diagnostics import Applicability, Severity

_MODULE_NAME = re.compile(r"stp\d{3}_\w+")


class RuleEntry(NamedTuple):
    """One row of `stapkit rules`."""

    code: str
    name: str
    severity: Severity
    summary: str
    stage: str  # "parser", "checker" or "linter"
    fix: Applicability | None
    module: ModuleType | None  # the lint rule's module; None for the parser's and checker's codes


@lru_cache(maxsize=1)
def lint_rules() -> tuple[ModuleType, ...]:
    """The rule modules, by code."""
    from . import rules

    found = []
    for info in pkgutil.iter_modules(rules.__path__):
        if _MODULE_NAME.fullmatch(info.name):
            module = importlib.import_module(f"{rules.__name__}.{info.name}")
            rule = getattr(module, "RULE", None)
            if rule is None or not callable(getattr(module, "check", None)):
                raise ImportError(f"{module.__name__} has no RULE or check()")
            if info.name[:6] != rule.code.lower():
                raise ImportError(f"{module.__name__} is not named after its code {rule.code}")
            found.append(module)
    found.sort(key=lambda m: m.RULE.code)
    return tuple(found)


@lru_cache(maxsize=1)
def all_rules() -> dict[str, RuleEntry]:
    """Every code: the parser's, the checker's and the lint rules', by code."""
    from ..semantic.codes import SEMANTIC_CODES
    from ..syntax.codes import CODES as SYNTAX_CODES

    entries: dict[str, RuleEntry] = {}
    for stage, table in (("parser", SYNTAX_CODES), ("checker", SEMANTIC_CODES)):
        for code, info in table.items():
            entries[code] = RuleEntry(code, info.name, info.severity, info.summary, stage, None, None)
    for module in lint_rules():
        rule = module.RULE
        if rule.code in entries:
            raise ImportError(f"{module.__name__}: code {rule.code} is already {entries[rule.code].name}")
        entries[rule.code] = RuleEntry(rule.code, rule.name, rule.severity, rule.summary, "linter",
                                       rule.fix, module)
    return dict(sorted(entries.items()))
