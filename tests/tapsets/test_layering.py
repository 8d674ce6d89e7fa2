"""The tapsets package sits below semantic: it never imports the checker's packages.

(Typing the library's sources is semantic work: semantic/library.py reads and
types them, and hands the items to tapsets/builder.py and tapsets/overlay.py.)
"""

from __future__ import annotations

import ast
from pathlib import Path

import stapkit.tapsets

HIGHER = ("semantic", "lint", "format", "report", "cli", "lsp")


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level >= 2:  # from ..semantic import x
                found.append(module)
            elif node.level == 0 and module.startswith("stapkit."):
                found.append(module[len("stapkit."):])
        elif isinstance(node, ast.Import):
            found += [a.name[len("stapkit."):] for a in node.names if a.name.startswith("stapkit.")]
    return found


def test_no_module_of_tapsets_imports_a_higher_package():
    package = Path(stapkit.tapsets.__file__).parent
    offending = [f"{path.name}: {module}" for path in sorted(package.glob("*.py"))
                 for module in _imports(path) if module.split(".")[0] in HIGHER]
    assert offending == []


def test_the_check_finds_an_upward_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from ..semantic.inference import Walker\nimport stapkit.lsp.server\nfrom .model import LONG\n")
    assert _imports(sample) == ["semantic.inference", "lsp.server"]
