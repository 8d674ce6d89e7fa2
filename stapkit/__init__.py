"""stapkit: the toolkit for SystemTap scripts."""

__version__ = "0.1.0"

# The project's home: a placeholder until the repository is published.  The
# links to rule pages in SARIF output and in the language server are made from
# it: change it here and they all follow.
PROJECT_URL = "https://git.example.org/stapkit"
RULE_PAGES_URL = f"{PROJECT_URL}/blob/main/docs/rules/"  # + "STP101.md"
