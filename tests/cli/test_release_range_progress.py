"""Building shows its progress on a terminal and stays quiet elsewhere: `stapkit db build`
(the tapset files read) and tools/build_release_db.py (the releases, the files of the one
being built, the time left), run under a pseudo-terminal and with a pipe."""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ..corpora import REPO, TAPSET, require

MIRROR = Path("/work/.mirror/sailfishos-mirror+systemtap/repo")
ENV = dict(os.environ, PYTHONPATH=str(REPO))


def _on_a_terminal(argv: list[str], timeout: float = 300) -> tuple[int, str]:
    """Runs `argv` with standard error on a pseudo-terminal: (exit status, what it wrote there)."""
    master, slave = pty.openpty()
    child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave, env=ENV)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                if child.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child's side is closed
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(master)
        if child.poll() is None:
            child.kill()
        status = child.wait(timeout=60)
    return status, out.decode(errors="replace")


def _small_library(tmp_path: Path) -> Path:
    library = tmp_path / "tapset"
    library.mkdir()
    for name in ("ansi.stp", "random.stp", "logging.stp"):
        shutil.copy(require(TAPSET) / name, library / name)
    return library


def _db_build(library: Path, output: Path, *more: str) -> list[str]:
    return [sys.executable, "-m", "stapkit", "db", "build", "--tapset-dir", str(library), "--no-manuals",
            "--systemtap-version", "4.8", "-o", str(output), *more]


def test_db_build_shows_the_files_read_on_a_terminal(tmp_path):
    status, err = _on_a_terminal(_db_build(_small_library(tmp_path), tmp_path / "db.jsonl"))
    assert status == 0, err
    assert "\r0/3 tapset files read" in err and "\r3/3 tapset files read\r\n" in err
    assert err.rstrip().splitlines()[-1].startswith("wrote ")


def test_db_build_is_quiet_without_a_terminal(tmp_path):
    done = subprocess.run(_db_build(_small_library(tmp_path), tmp_path / "db.jsonl"), capture_output=True,
                          text=True, env=ENV, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [done.stderr.splitlines()[0]] and done.stderr.startswith("wrote ")


def test_db_build_progress_asked_for_is_a_line_each(tmp_path):
    done = subprocess.run(_db_build(_small_library(tmp_path), tmp_path / "db.jsonl", "--progress"),
                          capture_output=True, text=True, env=ENV, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[:2] == ["0/3 tapset files read", "3/3 tapset files read"]
    assert "\r" not in done.stderr


def _release_build(tmp_path: Path) -> list[str]:
    return [sys.executable, str(REPO / "tools" / "build_release_db.py"), "--git-dir", str(require(MIRROR)),
            "--releases", "1.0", "--output", str(tmp_path / "one.jsonl")]


def test_the_release_build_shows_the_releases_and_the_files_on_a_terminal(tmp_path):
    status, err = _on_a_terminal(_release_build(tmp_path), timeout=600)
    assert status == 0, err
    assert "\r1.0: 0/1 releases" in err
    files = [part for part in err.split("\r") if "tapset files" in part]
    assert files and files[-1].startswith("1.0: 70/70 tapset files, 1/1 releases")  # 1.0 has 70 tapset files
    assert err.rstrip().splitlines()[-1].startswith(f"wrote {tmp_path / 'one.jsonl'}: 1 releases")


def test_the_release_build_is_quiet_without_a_terminal(tmp_path):
    done = subprocess.run(_release_build(tmp_path), capture_output=True, text=True, env=ENV, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [f"wrote {tmp_path / 'one.jsonl'}: 1 releases, 0.83 MB"]


def test_the_progress_line_says_the_time_left_and_is_rewritten_in_place():
    import io

    from stapkit.cli.progress import Progress

    now = [0.0]
    out = io.StringIO()
    line = Progress(out, 4, "releases", in_place=True, clock=lambda: now[0])
    line.update(0)
    now[0] = 10.0
    line.update(1, "2.0: ")
    now[0] = 10.1  # too soon to be shown again
    line.update(2)
    now[0] = 30.0
    line.update(4)
    line.close()
    assert out.getvalue() == ("\r0/4 releases" "\r2.0: 1/4 releases, about 30 s left"
                              "\r4/4 releases" + " " * 22 + "\n")  # the longer line before it blanked
