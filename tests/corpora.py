"""Where the real-world corpora are, read in place (never copied into this repository).

* the SystemTap testsuite: ../shared/corpus/systemtap-testsuite (beside the checkout)
* Debian's SystemTap 4.8 tapset library and examples: /usr/share/systemtap

When a corpus is missing the tests that need it are skipped, unless
STAPKIT_REQUIRE_CORPORA is set (as .ci/run does), which makes them fail.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TESTSUITE = Path(os.environ.get("STAPKIT_TESTSUITE", REPO.parent / "shared" / "corpus" / "systemtap-testsuite"))
SYSTEMTAP_SHARE = Path(os.environ.get("STAPKIT_SYSTEMTAP_SHARE", "/usr/share/systemtap"))
TAPSET = SYSTEMTAP_SHARE / "tapset"
EXAMPLES = SYSTEMTAP_SHARE / "examples"
EXPECTATIONS = REPO.parent / "shared" / "reference" / "corpus-expectations.md"


def require(path: Path) -> Path:
    if not path.exists():
        message = f"corpus not found: {path}"
        if os.environ.get("STAPKIT_REQUIRE_CORPORA"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def stap_run_scripts(directory: str) -> list[Path]:
    """The scripts of a testsuite directory that stap runs directly (first line `#! stap ...`)."""
    from stapkit.syntax.script_options import first_line_options

    root = TESTSUITE / directory
    if not root.exists():
        return []
    scripts = []
    for path in sorted(root.glob("*.stp")):
        with open(path, encoding="utf-8", errors="replace") as f:
            first = f.readline()
        if first_line_options(first) is not None:
            scripts.append(path)
    return scripts


def tapset_files() -> list[Path]:
    return sorted(Path(p) for p in glob.glob(str(TAPSET / "**" / "*.stp*"), recursive=True))


def example_files() -> list[Path]:
    return sorted(Path(p) for p in glob.glob(str(EXAMPLES / "**" / "*.stp"), recursive=True))


def example_needs_guru(path: Path) -> bool:
    """Does the example's .meta file run it with -g (test_check: stap -g ...)?"""
    meta = path.with_suffix(".meta")
    try:
        text = meta.read_text(errors="replace")
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith("test_check:"):
            words = line.split()[1:]
            return any(w.startswith("-") and not w.startswith("--") and "g" in w for w in words)
    return False


def ids(paths: list[Path]) -> list[str]:
    return [f"{p.parent.name}/{p.name}" for p in paths]
