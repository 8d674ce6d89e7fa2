"""The architecture is enforced, not only described (docs/architecture.md).

- The import-linter contracts of pyproject.toml: the layers (a package never
  imports one above it) and no import cycle among the modules of a package.
- No module imports, or reaches through an imported module, a private name
  (`_name`) of another stapkit package.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .private_names import violations

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept():
    # import-linter reads the package from sys.path: the checkout, not an installed copy.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    program = ("import sys; from importlinter.cli import lint_imports; "
               "sys.exit(lint_imports(config_filenames=('pyproject.toml',), no_cache=True, no_logo=True))")
    result = subprocess.run([sys.executable, "-c", program], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_no_private_name_crosses_a_package():
    assert violations(ROOT / "stapkit") == []


def test_the_private_name_check_finds_what_it_should(tmp_path):
    package = tmp_path / "stapkit"
    (package / "a").mkdir(parents=True)
    (package / "b").mkdir()
    for init in ("__init__.py", "a/__init__.py", "b/__init__.py"):
        (package / init).write_text("")
    (package / "a" / "m.py").write_text("_hidden = 1\nvisible = 2\n")
    (package / "a" / "n.py").write_text("from .m import _hidden\n")  # same package: allowed
    (package / "b" / "c.py").write_text(
        "from ..a.m import _hidden, visible\n"
        "from ..a import m\n"
        "x = m._hidden + m.visible\n")
    found = violations(package)
    assert len(found) == 2
    assert "imports _hidden from stapkit.a.m" in found[0]
    assert "uses stapkit.a.m._hidden" in found[1]
