"""Neovim, end to end: the set-up of docs/editors.md, real Neovim, `stapkit lsp`.

Neovim runs headless on a real script with the documented init.lua;
neovim_driver.lua reads back, from the editor, the diagnostics, a hover, a
completion list and the buffer after formatting, all produced by the server.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.editors.neovim import SCRIPT, environment, write_init
from tests.editors.tools import require_program


def test_neovim_shows_what_stapkit_lsp_finds(tmp_path):
    nvim = require_program("nvim", "neovim")
    env = environment(tmp_path / "home")
    init = write_init(tmp_path / "home")
    work = tmp_path / "work"
    work.mkdir()
    script = work / "top.stp"
    script.write_text(SCRIPT)
    out = tmp_path / "out.json"
    env["STAPKIT_NVIM_OUT"] = str(out)
    # 0-based (line, character): `execname` in line 4; after `syscall.` in line 3.
    env["STAPKIT_NVIM_POSITIONS"] = json.dumps({"hover": [3, 10], "completion": [2, 14]})
    driver = Path(__file__).with_name("neovim_driver.lua")
    done = subprocess.run([nvim, "--headless", "-u", str(init), str(script), "-c", f"luafile {driver}"],
                          cwd=work, env=env, capture_output=True, text=True, timeout=180,
                          stdin=subprocess.DEVNULL, check=False)
    assert out.exists(), f"Neovim wrote nothing (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
    result = json.loads(out.read_text())

    assert result["filetype"] == "systemtap"  # not Vim's "stp" (Stored Procedures)
    assert result["clients"] == ["stapkit"]
    [diagnostic] = result["diagnostics"]
    assert (diagnostic["lnum"], diagnostic["col"], diagnostic["code"]) == (9, 2, "STP503")
    assert diagnostic["message"] == "local 'total' of probe timer.s(5) is assigned but never read"

    hover = result["hover"]["contents"]["value"]
    assert "function execname:string()" in hover

    completion = result["completion"]
    assert {"openat", "open", "read", "write"} <= set(completion)

    # The formatting edit, applied by Neovim: the text `stapkit format` gives.
    formatted = subprocess.run([sys.executable, "-m", "stapkit", "format", "-"], input=SCRIPT,
                               env=env, capture_output=True, text=True, timeout=60, check=True).stdout
    assert result["lines"] == formatted.splitlines()
    assert result["lines"][3] == "  counts[execname()] <<< 1"


def test_the_capture_script_shows_a_diagnostic_and_a_hover():
    """tools/capture_neovim.py (which made the capture in docs/editors.md) still works."""
    require_program("nvim", "neovim")
    require_program("tmux", "tmux")
    tool = Path(__file__).resolve().parents[2] / "tools" / "capture_neovim.py"
    done = subprocess.run([sys.executable, str(tool), "--timeout", "90"], capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    screen = done.stdout
    assert "W   total += 1" in screen and "local 'total' of probe timer.s(5) is assigned but never read" in screen
    assert "function execname:string()" in screen
    docs = (Path(__file__).resolve().parents[2] / "docs" / "editors.md").read_text(encoding="utf-8")
    assert "function execname:string()" in docs and "■ local 'total'" in docs
