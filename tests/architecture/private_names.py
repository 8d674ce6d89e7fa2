"""Find imports of another package's private names in the stapkit source tree.

A name that starts with one underscore is private to its package: another
package of stapkit may not import it (`from ..semantic.type_check import _Walker`)
nor reach it through an imported module (`type_check._Program`).  Within one
package (stapkit.lsp.*, say) modules may share private helpers.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "stapkit"


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _package_of(module: str) -> str:
    """The top-level part of stapkit a module belongs to: stapkit.lsp.hover -> stapkit.lsp."""
    return ".".join(module.split(".")[:2])


def _absolute(module: str, is_package: bool, level: int, target: str | None) -> str:
    if level == 0:
        return target or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def violations(root: Path) -> list[str]:
    """Each import of a private name across packages, as 'file:line: text'."""
    found = []
    for path in sorted(root.rglob("*.py")):
        module = _module_name(root, path)
        here = _package_of(module)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        modules: dict[str, str] = {}  # local name -> the stapkit module it is bound to
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                source = _absolute(module, path.name == "__init__.py", node.level, node.module)
                if not source.startswith(PACKAGE):
                    continue
                for alias in node.names:
                    full = f"{source}.{alias.name}"
                    modules[alias.asname or alias.name] = full
                    if _is_private(alias.name) and _package_of(source) != here:
                        found.append(f"{path}:{node.lineno}: imports {alias.name} from {source}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith(PACKAGE):
                        modules[alias.asname or alias.name] = alias.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and _is_private(node.attr)
                    and isinstance(node.value, ast.Name) and node.value.id in modules):
                source = modules[node.value.id]
                if _package_of(source) != here:
                    found.append(f"{path}:{node.lineno}: uses {source}.{node.attr}")
    return found


if __name__ == "__main__":
    import sys

    for line in violations(Path(sys.argv[1] if len(sys.argv) > 1 else PACKAGE)):
        print(line)
