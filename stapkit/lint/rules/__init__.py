"""The lint rules, one module per rule: `stpNNN_<name>.py` with RULE, check() and a docstring page.

See stapkit/lint/rule.py for what a rule module holds; registry.py imports each
of them by name.
"""
