"""A picture of Neovim with `stapkit lsp`: a diagnostic and a hover, as text.

    python3 tools/capture_neovim.py            # print the capture
    python3 tools/capture_neovim.py --write    # and put it into docs/editors.md

Starts real Neovim in a tmux session of its own, with the init.lua that
docs/editors.md gives (the set-up tests/editors/test_neovim.py runs), on the
script that test uses; waits for the server's diagnostic, asks for the hover of
`execname`, and captures the pane (tmux capture-pane). Needs nvim and tmux.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.editors.neovim import DOCS, SCRIPT, environment, write_init  # noqa: E402

BEGIN = "<!-- tools/capture_neovim.py: begin -->"
END = "<!-- tools/capture_neovim.py: end -->"
WIDTH, HEIGHT = 100, 30


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="replace the capture in docs/editors.md")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for each step")
    args = parser.parse_args()
    for program in ("nvim", "tmux"):
        if shutil.which(program) is None:
            print(f"capture_neovim: {program} not found on PATH", file=sys.stderr)
            return 2
    with tempfile.TemporaryDirectory(prefix="stapkit-capture-") as tmp:
        try:
            screen = capture(Path(tmp), args.timeout)
        except TimeoutError as err:
            print(f"capture_neovim: {err}", file=sys.stderr)
            return 1
    print(screen)
    if args.write:
        text = DOCS.read_text(encoding="utf-8")
        block = f"{BEGIN}\n```text\n{screen}\n```\n{END}"
        pattern = re.escape(BEGIN) + r".*?" + re.escape(END)
        if not re.search(pattern, text, re.S):
            print(f"capture_neovim: {DOCS} has no {BEGIN} ... {END}", file=sys.stderr)
            return 1
        DOCS.write_text(re.sub(pattern, lambda _: block, text, flags=re.S), encoding="utf-8")
    return 0


def capture(tmp: Path, timeout: float) -> str:
    home = tmp / "home"
    env = environment(home)
    init = write_init(home)
    script = tmp / "top.stp"
    script.write_text(SCRIPT)
    session = f"stapkit-capture-{os.getpid()}"
    variables = {k: env[k] for k in ("PATH", "PYTHONPATH", "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME",
                                     "XDG_STATE_HOME", "XDG_CACHE_HOME")}
    command = shlex.join(["env", *(f"{k}={v}" for k, v in variables.items()),
                          "TERM=xterm-256color", "nvim", "-u", str(init), script.name])

    # A tmux server of its own (-L): nothing of the user's tmux is seen or touched.
    def tmux(*words: str) -> str:
        return subprocess.run(["tmux", "-L", session, *words], check=True, capture_output=True, text=True,
                              timeout=30).stdout

    tmux("new-session", "-d", "-s", session, "-x", str(WIDTH), "-y", str(HEIGHT), "-c", str(tmp), command)
    socket = Path(tmux("display-message", "-p", "#{socket_path}").strip())
    try:
        pane = f"{session}:0.0"
        wait_for(lambda: tmux("capture-pane", "-p", "-t", pane), "assigned but never read", timeout,
                 "the diagnostic")
        # The cursor on the last line's `execname` (line 11, column 11), then the hover: its window
        # opens below the cursor, so the diagnostic's line above stays in sight.
        tmux("send-keys", "-t", pane, ":call cursor(11, 11)", "Enter")
        tmux("send-keys", "-t", pane, ":lua vim.lsp.buf.hover()", "Enter")
        screen = wait_for(lambda: tmux("capture-pane", "-p", "-t", pane), "function execname", timeout,
                          "the hover")
    finally:
        subprocess.run(["tmux", "-L", session, "kill-server"], capture_output=True, timeout=30, check=False)
        socket.unlink(missing_ok=True)
    return "\n".join(line.rstrip() for line in screen.rstrip("\n").split("\n"))


def wait_for(read, text: str, timeout: float, what: str) -> str:
    deadline = time.monotonic() + timeout
    while True:
        screen = read()
        if text in screen:
            time.sleep(0.5)  # let the screen settle
            return read()
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} on the screen after {timeout:.0f} s:\n{screen}")
        time.sleep(0.2)


if __name__ == "__main__":
    sys.exit(main())
