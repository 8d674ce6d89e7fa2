"""stapkit: the toolkit for SystemTap scripts."""

import os as _os

__version__ = "0.1.0"

# Where stapkit is published: the one setting a packager changes.  None until
# it is; then SARIF logs name it (informationUri) and link each rule to its
# page there (helpUri), and so does the language server.  The pages must then
# be at PROJECT_URL + "/blob/main/docs/rules/<CODE>.md" (a GitHub or GitLab
# tree; for another layout, change PUBLISHED_RULE_PAGES_URL below as well).
PROJECT_URL: str | None = None
PUBLISHED_RULE_PAGES_URL: str | None = f"{PROJECT_URL}/blob/main/docs/rules/" if PROJECT_URL else None  # + "STP101.md"


def _shipped_rule_pages_url() -> str:
    """The rule pages this installation ships (docs/rules, installed as the package
    stapkit_rule_pages beside stapkit), as a file: URI an editor opens; in a source checkout,
    docs/rules itself."""
    here = _os.path.dirname(_os.path.abspath(__file__))
    candidates = [_os.path.join(here, _os.pardir, "stapkit_rule_pages"), _os.path.join(here, _os.pardir, "docs", "rules")]
    found = next((c for c in candidates if _os.path.isfile(_os.path.join(c, "README.md"))), candidates[0])
    from pathlib import Path

    return Path(_os.path.normpath(found)).as_uri() + "/"


# The rule pages, + "STP101.md": the published ones, else those of this installation (the
# language server's links; a SARIF log, read on another machine, links only to published pages).
RULE_PAGES_URL: str = PUBLISHED_RULE_PAGES_URL or _shipped_rule_pages_url()
