"""Write docs/rules/<CODE>.md for each lint rule from its module's docstring,
and the lint rules' table in docs/rules/README.md.

    python3 tools/rule_pages.py          # write the pages
    python3 tools/rule_pages.py --check  # exit 1 if a page is out of date (tests run this too)

A lint rule's page is its docstring under a heading made from the rule
(`# STP501: unused-global`, severity, stage): the docstring is the one
place the documentation is written.  The parser's and checker's pages are
written by hand.
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULES_DIR = ROOT / "docs" / "rules"
INDEX = RULES_DIR / "README.md"
TABLE_START = "<!-- lint-rules:start (written by tools/rule_pages.py) -->"
TABLE_END = "<!-- lint-rules:end -->"

sys.path.insert(0, str(ROOT))


def page_text(module) -> str:
    rule = module.RULE
    fix = f"\nFix: {rule.fix.value} (applied by {'--fix' if rule.fix.value == 'safe' else '--unsafe-fixes'})" \
        if rule.fix is not None else ""
    body = inspect.cleandoc(module.__doc__ or "")
    return (f"# {rule.code}: {rule.name}\n\nSeverity: {rule.severity.value}\nStage: linter{fix}\n\n"
            f"{body}\n")


def _escape(text: str) -> str:
    return text.replace("*", "\\*").replace("|", "\\|")


def index_table(modules) -> str:
    rows = ["| code | name | severity | what it finds |", "|---|---|---|---|"]
    for module in modules:
        r = module.RULE
        rows.append(f"| [{r.code}]({r.code}.md) | `{r.name}` | {r.severity.value} | {_escape(r.summary)} |")
    return "\n".join(rows)


def expected_files() -> dict[Path, str]:
    from stapkit.lint.registry import lint_rules

    modules = lint_rules()
    files = {RULES_DIR / f"{m.RULE.code}.md": page_text(m) for m in modules}
    index = INDEX.read_text(encoding="utf-8")
    start, end = index.find(TABLE_START), index.find(TABLE_END)
    if start < 0 or end < start:
        raise SystemExit(f"{INDEX}: no {TABLE_START} ... {TABLE_END} markers")
    files[INDEX] = index[: start + len(TABLE_START)] + "\n" + index_table(modules) + "\n" + index[end:]
    return files


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for path, text in expected_files().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            stale.append(path)
            if not check:
                path.write_text(text, encoding="utf-8")
    for path in stale:
        print(f"{'out of date' if check else 'wrote'}: {path.relative_to(ROOT)}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
