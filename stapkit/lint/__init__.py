"""The linter: coded rules over the checked script (STP4xx/STP5xx), suppressions and fixes.

    rule.py          Rule (a rule's identity) and LintContext (what a rule reads and reports to)
    rules/           one module per rule, named stpNNN_<name>.py; its docstring is its page
    registry.py      the rule modules, imported by name; every code stapkit has, for `stapkit rules`
    flow.py          what the control-flow and run-time rules share (bodies, parents, event probes)
    library.py       is the file a library (tapset) rather than a script?

What names mean (scopes, bindings, the call graph) is the semantic layer's:
semantic/bindings.py, read as `ctx.bindings`.
    selection.py     --select / --ignore / --extend-select / per-file-ignores
    suppressions.py  `# stapkit: disable=...` comments
    fixes.py         applying the fixes of diagnostics to a text
    runner.py        lint one text: checker, rules, suppressions, selection
"""
