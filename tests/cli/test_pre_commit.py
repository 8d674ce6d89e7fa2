"""stapkit's pre-commit hooks (.pre-commit-hooks.yaml), run by pre-commit itself.

pre-commit installs the hooks' repository into a virtualenv of its own (a
normal, non-editable `pip install`, which fetches stapkit's dependencies
from the package index), so the hooks are tried as a user gets them.  That
takes a while: the hooks are installed once (by `pre-commit try-repo`), and
the later runs reuse the installation.

`try-repo` reads a repository's commits (of a local one, also its changes to
tracked files, but never its untracked files), so the repository tried is a
snapshot of this checkout's working tree, committed in a temporary
repository: the test checks the files as they are on disk.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOOKS = ROOT / ".pre-commit-hooks.yaml"

BAD_SCRIPT = 'probe begin {\n  printf("%s\\n", exename())\n  exit()\n}\n'
FIXED_SCRIPT = 'probe begin {\n  printf("%s\\n", execname())\n  exit()\n}\n'
BADLY_LAID_OUT = 'probe   begin{printf("hi\\n")   exit()}\n'
LAID_OUT = 'probe begin { printf("hi\\n") exit() }\n'

pytest.importorskip("pre_commit", reason="pre-commit is not installed (pip install pre-commit)")
pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def test_the_hooks_file_is_a_valid_pre_commit_manifest():
    from pre_commit.clientlib import load_manifest

    hooks = {hook["id"]: hook for hook in load_manifest(str(HOOKS))}
    assert set(hooks) == {"stapkit-lint", "stapkit-format"}
    assert hooks["stapkit-lint"]["entry"] == "stapkit lint"
    assert hooks["stapkit-format"]["entry"] == "stapkit format"
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["files"] == r"\.stpm?$"


def _git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", "-c", "user.name=stapkit tests", "-c", "user.email=tests@stapkit.invalid",
                             "-c", "commit.gpgsign=false", *args], cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _snapshot_of_the_checkout(destination: Path) -> str:
    """The files pre-commit installs stapkit from, committed in a new repository; its commit."""
    destination.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(ROOT / name, destination / name)
    for name in ("stapkit", "stap_grammar", "tapset_db", "docs"):
        shutil.copytree(ROOT / name, destination / name, ignore=ignore)
    _git(destination, "init", "-q")
    _git(destination, "add", "-A")
    _git(destination, "commit", "-q", "-m", "snapshot")
    return _git(destination, "rev-parse", "HEAD")


def test_the_hooks_fail_on_findings_and_bad_layout_and_pass_once_fixed(tmp_path):
    hooks_repo = tmp_path / "stapkit"
    revision = _snapshot_of_the_checkout(hooks_repo)
    project = tmp_path / "project"
    project.mkdir()
    (project / "probe.stp").write_text(BAD_SCRIPT)
    (project / "layout.stp").write_text(BADLY_LAID_OUT)
    (project / "notes.txt").write_text("not a script: no hook looks at it\n")
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    environment = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
                   "PIP_DISABLE_PIP_VERSION_CHECK": "1", "NO_COLOR": "1"}

    def pre_commit(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pre_commit", *args, "--all-files", "--color", "never"],
                              cwd=project, capture_output=True, text=True, env=environment)

    # Installs the hooks (the slow part) and runs stapkit-lint on every file.
    tried = pre_commit("try-repo", str(hooks_repo), "stapkit-lint", "--ref", revision)
    if tried.returncode != 1 and "Could not find a version" in tried.stdout + tried.stderr:
        pytest.skip("pre-commit could not install stapkit's dependencies (no package index)")
    assert tried.returncode == 1, tried.stdout + tried.stderr
    assert "stapkit lint" in tried.stdout and "Failed" in tried.stdout
    assert "probe.stp:2:18: error: unresolved function 'exename'" in tried.stdout
    assert "[STP101]" in tried.stdout and "layout.stp:" not in tried.stdout

    # The same installation, through a configuration as a user writes it.
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hooks_repo}\n    rev: {revision}\n    hooks:\n"
        "      - id: stapkit-lint\n      - id: stapkit-format\n")
    _git(project, "add", "-A")

    formatted = pre_commit("run", "stapkit-format")
    assert formatted.returncode == 1, formatted.stdout + formatted.stderr
    assert "files were modified by this hook" in formatted.stdout
    assert (project / "layout.stp").read_text() == LAID_OUT
    assert (project / "probe.stp").read_text() == BAD_SCRIPT  # already laid out
    assert (project / "notes.txt").read_text() == "not a script: no hook looks at it\n"
    again = pre_commit("run", "stapkit-format")
    assert again.returncode == 0, again.stdout + again.stderr

    (project / "probe.stp").write_text(FIXED_SCRIPT)
    _git(project, "add", "-A")
    linted = pre_commit("run", "stapkit-lint")
    assert linted.returncode == 0 and "Passed" in linted.stdout, linted.stdout + linted.stderr
