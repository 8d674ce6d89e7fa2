"""Issue 14: the language server's imports go one way.

lsp never imports cli (the settings resolver both use is stapkit/settings.py), nothing in lsp
imports the server module but its entry points, and stapkit/settings.py knows neither front end.
The CLI reaches the server only through `stapkit lsp` (lsp/cli.py), the one subcommand it runs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import stapkit

PACKAGE = Path(stapkit.__file__).parent


def imported(path: Path) -> set[str]:
    """The absolute names of the stapkit modules a file imports (at any depth: lazy imports count)."""
    package = ["stapkit", *path.relative_to(PACKAGE).with_suffix("").parts[:-1]]
    if path.name == "__init__.py":
        package = ["stapkit", *path.relative_to(PACKAGE).parent.parts]
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names if alias.name.startswith("stapkit"))
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            if node.module is None:
                names.update(f"{module}.{alias.name}" for alias in node.names)
            else:
                names.add(module)
    return names


def test_lsp_never_imports_cli():
    for path in sorted((PACKAGE / "lsp").glob("*.py")):
        assert not any(name.startswith("stapkit.cli") for name in imported(path)), path.name


def test_no_lsp_module_imports_the_server_but_its_entry_points():
    for path in sorted((PACKAGE / "lsp").glob("*.py")):
        if path.name in ("cli.py", "__main__.py", "server.py"):
            continue
        assert "stapkit.lsp.server" not in imported(path), path.name


def test_the_settings_resolver_knows_no_front_end():
    names = imported(PACKAGE / "settings.py")
    assert not any(name.startswith(("stapkit.cli", "stapkit.lsp")) for name in names), names
    assert "argparse" not in names and "import argparse" not in (PACKAGE / "settings.py").read_text()
    assert "SimpleNamespace" not in (PACKAGE / "lsp" / "settings.py").read_text()


def test_cli_reaches_lsp_only_through_its_command():
    users = {path.name for path in (PACKAGE / "cli").glob("*.py")
             if any(name.startswith("stapkit.lsp") for name in imported(path))}
    assert users <= {"__init__.py"}
    assert {name for name in imported(PACKAGE / "cli" / "__init__.py") if name.startswith("stapkit.lsp")} \
        == {"stapkit.lsp.cli"}
