"""`--statistics` (stapkit/report/statistics.py): a count a code, the most frequent first."""

from __future__ import annotations

import attrs

from stapkit.diagnostics import Applicability
from stapkit.report.statistics import render_statistics

from .findings import linted


def test_counts_by_code_with_names_and_fixable_findings():
    # unused.stp twice and findings.stp: 11 unused globals (7 of them declared
    # alone, which STP501 can delete), 5 unused locals, one of everything else.
    found = linted("unused.stp").add("unused.stp", shown="copy/unused.stp").add("findings.stp")
    assert render_statistics(found.items) == (
        "11  STP501  unused-global        7 fixable\n"
        " 5  STP503  unused-local\n"
        " 1  STP101  unresolved-function\n"
        " 1  STP105  type-mismatch\n"
        " 1  STP502  unused-function\n"
        " 1  STP504  unused-parameter\n"
        " 1  STP505  write-only-global\n"
        "21 problems (7 fixable with --fix)\n")


def test_unsafe_fixes_are_counted_apart():
    found = linted("unused.stp")
    # Make the first two fixes unsafe (no rule has an unsafe fix yet).
    items = []
    for item in found.items:
        d = item.diagnostic
        if d.fix is not None and sum(1 for i in items if i.diagnostic.fix is not None) < 2:
            d = attrs.evolve(d, fix=attrs.evolve(d.fix, applicability=Applicability.UNSAFE))
        items.append(item._replace(diagnostic=d))
    assert render_statistics(items) == (
        "5  STP501  unused-global  1 fixable, 2 fixable with --unsafe-fixes\n"
        "2  STP503  unused-local\n"
        "7 problems (1 fixable with --fix, 2 more with --fix --unsafe-fixes)\n")
    only_unsafe = [i for i in items if i.diagnostic.fix is None
                   or i.diagnostic.fix.applicability is Applicability.UNSAFE]
    assert render_statistics(only_unsafe).splitlines()[-1] == "6 problems (2 with --fix --unsafe-fixes)"


def test_one_problem_and_none():
    found = linted("findings.stp")
    assert render_statistics(found.items[-1:]) == "1  STP101  unresolved-function\n1 problem\n"
    assert render_statistics([]) == "no problems\n"
