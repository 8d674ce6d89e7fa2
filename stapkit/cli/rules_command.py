"""`stapkit rules` (every code, as a table or JSON) and `stapkit rule CODE` (one code's page).

The pages are docs/rules/<CODE>.md.  An installed stapkit has them as the
package `stapkit_rule_pages` (pyproject.toml maps it to docs/rules); in a
source checkout that was installed before that mapping existed, they are
read from docs/rules directly.
"""

from __future__ import annotations

import difflib
import json
import os
import sys
from pathlib import Path

from . import exit_codes
from .files import error

PAGES_PACKAGE = "stapkit_rule_pages"
CHECKOUT_PAGES = Path(__file__).resolve().parents[2] / "docs" / "rules"


def add_rules_arguments(parser) -> None:
    parser.add_argument("--output-format", choices=("text", "json"), default="text",
                        help="text: a table for people (default); json: a list of objects for programs")


def add_rule_arguments(parser) -> None:
    parser.add_argument("code", metavar="CODE", help="a code such as STP101, or a rule's name such as unused-suppression")


def run_rules(args) -> int:
    from ..lint.registry import all_rules

    rows = [_row(entry) for entry in all_rules().values()]
    out = sys.stdout
    if args.output_format == "json":
        json.dump(rows, out, indent=2)
        out.write("\n")
        return exit_codes.SUCCESS
    columns = ("code", "name", "severity", "stage", "fix", "summary")
    table = [columns] + [tuple(row[c] or "-" for c in columns) for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(columns) - 1)]
    for line in table:
        cells = [cell.ljust(width) for cell, width in zip(line, widths)] + [line[-1]]
        out.write("  ".join(cells) + "\n")
    out.write(f"\n{len(rows)} codes; 'stapkit rule CODE' shows what one finds, why it matters and how to fix it\n")
    return exit_codes.SUCCESS


def run_rule(args) -> int:
    from ..lint.registry import all_rules

    rules = all_rules()
    entry = find_rule(args.code, rules)
    if entry is None:
        error(f"unknown rule '{args.code}'{_did_you_mean(args.code, rules)}; 'stapkit rules' lists them all")
        return exit_codes.ERROR
    page = rule_page(entry.code)
    if page is None:
        error(f"the page of {entry.code} ({entry.name}) is not installed: see docs/rules/{entry.code}.md "
              "in stapkit's sources")
        return exit_codes.ERROR
    sys.stdout.write(page if page.endswith("\n") else page + "\n")
    return exit_codes.SUCCESS


def find_rule(text: str, rules):
    """The RuleEntry that a code (any case) or a rule name names, or None."""
    wanted = text.strip()
    entry = rules.get(wanted.upper())
    if entry is not None:
        return entry
    return next((e for e in rules.values() if e.name == wanted.lower()), None)


def rule_page(code: str) -> str | None:
    """The text of docs/rules/<code>.md, from the installed pages or the source checkout."""
    for directory in _page_directories():
        try:
            return (directory / f"{code}.md").read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
    return None


def _page_directories() -> list[Path]:
    """Where the pages may be: the directories of the pages package, then the checkout's docs/rules.

    The package has no __init__.py (it is docs/rules), so it is a namespace
    package; importlib.resources cannot read one that an editable install
    maps (its search path holds a placeholder that is not a directory), so
    the real directories are taken from the package's search path."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(PAGES_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    found = [] if spec is None else [Path(p) for p in spec.submodule_search_locations or () if os.path.isdir(p)]
    return found + [CHECKOUT_PAGES]


def _row(entry) -> dict:
    return {"code": entry.code, "name": entry.name, "severity": entry.severity.value, "stage": entry.stage,
            "fix": entry.fix.value if entry.fix is not None else None, "summary": entry.summary}


def _did_you_mean(text: str, rules) -> str:
    """" (did you mean ...?)" with up to three codes or names close to `text`, or ""."""
    wanted = text.strip()
    if wanted.upper().startswith("STP"):
        # Codes differ by a digit, which string similarity weighs too little:
        # the codes one character away, then those that `text` begins.
        wanted = wanted.upper()
        close = [code for code in rules
                 if len(code) == len(wanted) and sum(a != b for a, b in zip(code, wanted)) == 1]
        close += [code for code in rules if code.startswith(wanted)]
    else:
        by_name = {e.name: e.code for e in rules.values()}
        close = [f"{by_name[name]} ({name})"
                 for name in difflib.get_close_matches(wanted.lower(), list(by_name), n=3, cutoff=0.7)]
    return f" (did you mean {', '.join(close[:3])}?)" if close else ""
