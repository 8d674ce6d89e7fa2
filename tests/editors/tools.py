"""The editors and tools the editor tests drive, found or skipped with a reason.

A missing tool skips its tests, unless STAPKIT_REQUIRE_CORPORA is set (as .ci/run
does, after installing them): then it fails them, as a missing corpus does.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.corpora import REPO

VSCODE = REPO / "editors" / "vscode"


def missing(message: str) -> None:
    if os.environ.get("STAPKIT_REQUIRE_CORPORA"):
        pytest.fail(message)
    pytest.skip(message)


def require_program(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        missing(f"{name} not found on PATH (Debian package {package})")
    return path


def require_node_modules(*packages: str) -> Path:
    """editors/vscode/node_modules with `packages` in it (`npm ci` there installs them)."""
    require_program("node", "nodejs")
    for package in packages:
        if not (VSCODE / "node_modules" / package / "package.json").exists():
            missing(f"{package} not installed in {VSCODE}: run `npm ci` there")
    return VSCODE / "node_modules"
