"""The linter: coded rules over the checked script (STP4xx/STP5xx), suppressions and fixes.

    rule.py          Rule (a rule's identity) and LintContext (what a rule reads and reports to)
    rules/           one module per rule, named stpNNN_<name>.py; its docstring is its page
    registry.py      finds the rule modules; every code stapkit has, for `stapkit rules`
    symbols.py       where each variable and function is declared, read, written and called
    flow.py          what the control-flow and run-time rules share (bodies, parents, event probes)
    selection.py     --select / --ignore / --extend-select / per-file-ignores
    suppressions.py  `# stapkit: disable=...` comments
    fixes.py         applying the fixes of diagnostics to a text
    runner.py        lint one text: checker, rules, suppressions, selection
"""
