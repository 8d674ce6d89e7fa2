"""Real Neovim with the set-up docs/editors.md gives, for the end-to-end test and the capture."""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path

from tests.corpora import REPO

DOCS = REPO / "docs" / "editors.md"
# The docs mark the set-up the test runs with this comment, right before its code block.
MARK = "<!-- tested by tests/editors/test_neovim.py -->"

# A real script with one finding (STP503 on `total`) and lines to format.
SCRIPT = """\
global counts

probe syscall.openat {
  counts[execname()]<<<1
}

probe timer.s(5) {
    foreach (name in counts- limit 10) printf("%s %d\\n", name, @count(counts[name]))
  delete counts
  total += 1
  println(execname())
}
"""


def documented_init_lua() -> str:
    text = DOCS.read_text(encoding="utf-8")
    match = re.search(re.escape(MARK) + r"\s*```lua\n(.*?)```", text, re.S)
    if match is None:
        raise ValueError(f"{DOCS}: no ```lua block after {MARK}")
    return match.group(1)


def environment(home: Path) -> dict[str, str]:
    """An environment for Neovim in `home`: no user configuration, and `stapkit` on PATH
    running this checkout (the documented set-up starts the command `stapkit lsp`)."""
    bin_dir = home / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    shim = bin_dir / "stapkit"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m stapkit "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    env = dict(os.environ)
    env.update({
        "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        "PYTHONPATH": str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CACHE_HOME": env.get("XDG_CACHE_HOME", str(home / "cache")),
    })
    return env


def write_init(home: Path) -> Path:
    init = home / "init.lua"
    init.write_text(documented_init_lua())
    return init
