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

REPO = Path(__file__).resolve().parents[1]
TESTSUITE = Path(os.environ.get("STAPKIT_TESTSUITE", REPO.parent / "shared" / "corpus" / "systemtap-testsuite"))
SYSTEMTAP_SHARE = Path(os.environ.get("STAPKIT_SYSTEMTAP_SHARE", "/usr/share/systemtap"))
TAPSET = SYSTEMTAP_SHARE / "tapset"
EXAMPLES = SYSTEMTAP_SHARE / "examples"
EXPECTATIONS = REPO.parent / "shared" / "reference" / "corpus-expectations.md"


def require(path: Path) -> Path:
    import pytest  # (here: tools/release_report.py reads this module's corpus helpers without pytest)

    if not path.exists():
        message = f"corpus not found: {path}"
        if os.environ.get("STAPKIT_REQUIRE_CORPORA"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def stap_run_scripts(directory: str, testsuite: Path = TESTSUITE) -> list[Path]:
    """The scripts of a testsuite directory that stap runs directly (first line `#! stap ...`)."""
    from stapkit.syntax.script_options import first_line_options

    root = testsuite / directory
    if not root.exists():
        return []
    scripts = []
    for path in sorted(root.glob("*.stp")):
        with open(path, encoding="utf-8", errors="replace") as f:
            first = f.readline(4096)
        if first_line_options(first) is not None:
            scripts.append(path)
    return scripts


def tapset_files() -> list[Path]:
    return sorted(Path(p) for p in glob.glob(str(TAPSET / "**" / "*.stp*"), recursive=True))


def example_files() -> list[Path]:
    return sorted(Path(p) for p in glob.glob(str(EXAMPLES / "**" / "*.stp"), recursive=True))


def _example_check_words(path: Path) -> list[str]:
    """The stap options of the example's .meta file (`test_check: stap -g -I DIR ...`), [] without one."""
    try:
        text = path.with_suffix(".meta").read_text(errors="replace")
    except OSError:
        return []
    for line in text.splitlines():
        if line.startswith("test_check:"):
            return line.split()[1:]
    return []


def example_needs_guru(path: Path) -> bool:
    """Does the example's .meta file run it with -g (test_check: stap -g ...)?"""
    return any(w.startswith("-") and not w.startswith("--") and "g" in w for w in _example_check_words(path))


def example_options(path: Path) -> dict:
    """How the example's .meta runs it, as ParseOptions fields: -g, and -I DIR (the stapgames
    tapsets) after the default tapset root; the stapgames' own tapset files as tapset files."""
    from stapkit.syntax.tapset_path import default_tapset_root

    options: dict = {"guru": example_needs_guru(path)}
    includes = [path.parent / w[2:] for w in _example_check_words(path) if w.startswith("-I")]
    if includes:
        options["tapset_roots"] = (default_tapset_root(), *includes)
    if path.parent.name == "tapset":  # the stapgames' own tapset, used with -Itapset/
        options["tapset"] = True
    return options


def ids(paths: list[Path]) -> list[str]:
    return [f"{p.parent.name}/{p.name}" for p in paths]
