"""Exit codes of every stapkit command (the contract of DESIGN.md)."""

SUCCESS = 0  # nothing at or above the failing severity
FINDINGS = 1  # lint: diagnostics; format --check: a file would change; parse: a syntax error
ERROR = 2  # usage, configuration, I/O or internal error
