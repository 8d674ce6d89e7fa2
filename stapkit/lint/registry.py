"""Every rule stapkit has: the checker's codes and the lint rules of stapkit/lint/rules/.

The lint rules are the modules of stapkit/lint/rules/, one per rule, named
`stpNNN_<name>.py`, each imported here by name (so a search for a rule's
module finds where it is used); adding a rule is adding its file and its line
below (tests/lint/test_registry.py checks that none is left out).  Importing
the rules is deferred to the first call: `stapkit parse` and `stapkit format`
never load them.
"""

from __future__ import annotations

from functools import lru_cache
from types import ModuleType
from typing import NamedTuple

from ..diagnostics import Applicability, Severity


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
    from .rules import (
        stp403_unknown_architecture_name,
        stp404_misleading_kernel_version_test,
        stp500_unused_suppression,
        stp501_unused_global,
        stp502_unused_function,
        stp503_unused_local,
        stp504_unused_parameter,
        stp505_write_only_global,
        stp506_local_binds_tapset_global,
        stp507_never_assigned_global,
        stp508_global_shadows_alias_variable,
        stp510_line_joins_previous_statement,
        stp511_statistic_may_be_empty,
        stp512_array_grows_without_bound,
        stp513_script_never_exits,
        stp514_probe_on_every_kernel_function,
        stp515_output_ends_without_newline,
        stp516_duplicate_probe,
        stp517_unreachable_statement,
        stp518_assignment_in_condition,
        stp519_number_compared_as_string,
        stp520_division_by_zero,
        stp521_loop_never_ends,
        stp522_recursive_function,
        stp523_process_name_too_long,
        stp524_comparison_as_statement,
        stp525_unreachable_overload,
    )

    # Each module imported above, once (a rule left out of the import is caught by
    # tests/lint/test_registry.py, which compares with the files of lint/rules).
    found = sorted((value for value in locals().values() if isinstance(value, ModuleType)),
                   key=lambda module: module.__name__)
    for module in found:
        rule = getattr(module, "RULE", None)
        if rule is None or not callable(getattr(module, "check", None)):
            raise ImportError(f"{module.__name__} has no RULE or check()")
        if module.__name__.rsplit(".", 1)[-1][:6] != rule.code.lower():
            raise ImportError(f"{module.__name__} is not named after its code {rule.code}")
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
