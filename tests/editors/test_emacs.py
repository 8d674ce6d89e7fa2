"""Emacs with eglot, end to end: the set-up of docs/editors.md, real Emacs, `stapkit lsp`.

Batch Emacs (Debian's emacs-nox 28 with elpa-eglot; Emacs 29 has eglot built in)
loads the documented init.el; emacs_driver.el reads back the flymake
diagnostics, a hover, a completion list and the buffer after eglot-format-buffer.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.editors.neovim import DOCS, SCRIPT, environment
from tests.editors.tools import missing, require_program

MARK = "<!-- tested by tests/editors/test_emacs.py -->"


def documented_init_el() -> str:
    match = re.search(re.escape(MARK) + r"\s*```elisp\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert match, f"{DOCS}: no ```elisp block after {MARK}"
    return match.group(1)


def test_emacs_eglot_shows_what_stapkit_lsp_finds(tmp_path):
    emacs = require_program("emacs", "emacs-nox")
    has_eglot = subprocess.run([emacs, "--batch", "-f", "package-activate-all", "--eval",
                                "(kill-emacs (if (locate-library \"eglot\") 0 1))"],
                               capture_output=True, timeout=60, check=False)
    if has_eglot.returncode != 0:
        missing("eglot not found by Emacs (Debian package elpa-eglot; built into Emacs 29)")
    home = tmp_path / "home"
    env = environment(home)
    init = home / "init.el"
    init.write_text(documented_init_el())
    work = tmp_path / "work"
    work.mkdir()
    script = work / "top.stp"
    script.write_text(SCRIPT)
    out = tmp_path / "out.json"
    env.update(STAPKIT_EMACS_SCRIPT=str(script), STAPKIT_EMACS_OUT=str(out))
    driver = Path(__file__).with_name("emacs_driver.el")
    # package-activate-all: what an interactive Emacs does at start-up (finds eglot).
    done = subprocess.run([emacs, "--batch", "-f", "package-activate-all", "-l", str(init), "-l", str(driver)],
                          cwd=work, env=env, capture_output=True, text=True, timeout=180,
                          stdin=subprocess.DEVNULL, check=False)
    assert out.exists(), f"Emacs wrote nothing (exit {done.returncode}):\n{done.stdout}\n{done.stderr[-3000:]}"
    result = json.loads(out.read_text())

    assert result["mode"] == "systemtap-mode"
    assert result["server"] is True, done.stderr[-3000:]
    [[line, message, kind]] = result["diagnostics"]
    assert (line, kind) == (10, "eglot-warning")
    assert "[STP503]" in message and "local 'total' of probe timer.s(5) is assigned but never read" in message
    assert "function execname:string()" in result["hover"]["contents"]["value"]
    assert {"openat", "open", "read", "write"} <= set(result["completion"])
    formatted = subprocess.run([sys.executable, "-m", "stapkit", "format", "-"], input=SCRIPT, env=env,
                               capture_output=True, text=True, timeout=60, check=True).stdout
    assert result["text"] == formatted
