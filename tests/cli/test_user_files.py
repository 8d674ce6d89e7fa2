"""The user's files, read and written by every command (stapkit/fileio.py): the bytes stapkit
does not change come back as they were, links and modes are kept, a failed write says so and
changes nothing, and only regular files are ever opened."""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from stapkit.cli import main

ROOT = Path(__file__).resolve().parents[2]
UGLY = b'probe begin{\nprintf("caf\xe9")  # \xe9t\xe9 (Latin-1)\nexit()\n}\n'
PRETTY = b'probe begin {\n  printf("caf\xe9") # \xe9t\xe9 (Latin-1)\n  exit()\n}\n'
FIXABLE = b'global unused\nglobal n\n\nprobe begin {\n  n = 1\n  printf("caf\xe9 %d", n) # \xe9\n  exit()\n}\n'
FIXED = FIXABLE.replace(b"global unused\n", b"")


def run(args, capsys):
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def stapkit(*args, stdin: bytes = b"", cwd=None):
    """stapkit in a process of its own (a bound: a regression that blocks fails, not hangs)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "stapkit", *args], input=stdin, capture_output=True,
                          timeout=120, env=env, cwd=cwd)


# ---------------------------------------------------------------- bytes


def test_format_keeps_bytes_that_are_not_utf8(tmp_path, capsys):
    path = tmp_path / "latin1.stp"
    path.write_bytes(UGLY)
    status, _, err = run(["format", str(path)], capsys)
    assert status == 0 and "1 file reformatted" in err
    assert path.read_bytes() == PRETTY  # was: each \xe9 written as U+FFFD (\xef\xbf\xbd)


def test_format_of_standard_input_keeps_them_too():
    result = stapkit("format", "-", stdin=UGLY)
    assert result.returncode == 0 and result.stdout == PRETTY


def test_lint_fix_keeps_bytes_that_are_not_utf8(tmp_path, capsys):
    path = tmp_path / "latin1.stp"
    path.write_bytes(FIXABLE)
    status, out, err = run(["lint", "--fix", "--output-format", "concise", str(path)], capsys)
    assert path.read_bytes() == FIXED
    assert "fixed 1 problem in 1 file" in err
    assert "latin1.stp:5:14: warning: invalid UTF-8 (byte 0xe9); such bytes are kept as they are" in out


def test_a_byte_that_is_not_utf8_outside_strings_and_comments_is_refused(tmp_path, capsys):
    path = tmp_path / "bad.stp"
    path.write_bytes(b"probe begin {\n  x = 1 \xe9\n}\n")
    status, _, err = run(["format", str(path)], capsys)
    assert status == 2 and f"{path}:2:9: not formatted: unexpected character byte 0xe9 (not valid UTF-8)" in err
    assert path.read_bytes() == b"probe begin {\n  x = 1 \xe9\n}\n"


def test_cr_only_line_endings_are_kept(tmp_path, capsys):
    path = tmp_path / "mac.stp"
    path.write_bytes(b'probe begin{\rprintf("x\\n")\rexit()\r}\r')
    status, _, err = run(["format", str(path)], capsys)
    assert status == 0
    assert path.read_bytes() == b'probe begin {\r  printf("x\\n")\r  exit()\r}\r'  # was: all on one line


def test_a_cr_only_file_whose_comment_runs_to_its_end_is_left_as_it_is(tmp_path, capsys):
    # For stap a CR is a blank: the comment hides the rest of the file, which is then one
    # statement short.  Laid out as lines, it would show code stap never reads.
    text = b"probe begin {\r  exit() # done\r}\rprobe end { }\r"
    path = tmp_path / "mac.stp"
    path.write_bytes(text)
    run(["format", str(path)], capsys)
    assert path.read_bytes() == text


# ---------------------------------------------------------------- links and modes


def test_a_symbolic_link_is_written_through(tmp_path, capsys):
    real = tmp_path / "real.stp"
    real.write_bytes(UGLY)
    real.chmod(0o640)
    link = tmp_path / "link.stp"
    link.symlink_to("real.stp")
    status, _, _ = run(["format", str(link)], capsys)
    assert status == 0
    assert link.is_symlink() and os.readlink(link) == "real.stp"  # was: replaced by a regular file
    assert real.read_bytes() == PRETTY and stat.S_IMODE(real.stat().st_mode) == 0o640


def test_a_hard_link_keeps_its_inode(tmp_path, capsys):
    a = tmp_path / "a.stp"
    a.write_bytes(FIXABLE)
    b = tmp_path / "b.stp"
    os.link(a, b)
    inode = a.stat().st_ino
    status, _, err = run(["lint", "--fix", str(a)], capsys)
    assert "fixed 1 problem in 1 file" in err
    assert a.stat().st_ino == inode and a.stat().st_nlink == 2
    assert b.read_bytes() == FIXED  # was: the link split, b.stp kept the old text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.stp", "b.stp"]


def test_a_read_only_file_is_not_replaced(tmp_path, capsys, monkeypatch):
    # chmod 0444 does not stop root from opening the file for writing: make the open fail as
    # it does for anyone else.
    path = tmp_path / "ro.stp"
    path.write_bytes(UGLY)
    real_open = os.open

    def open_(name, flags, *args, **kwargs):
        if os.fspath(name) == str(path) and flags & (os.O_WRONLY | os.O_RDWR):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), name)
        return real_open(name, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", open_)
    status, _, err = run(["format", str(path), str(tmp_path / "missing.stp")], capsys)
    assert status == 2 and f"cannot write '{path}': Permission denied" in err
    assert err.splitlines()[-1] == "0 files reformatted, 0 left unchanged, 2 not formatted (see the errors above)"
    assert path.read_bytes() == UGLY


# ---------------------------------------------------------------- failed writes


def _fail_replace(monkeypatch):
    def replace(*_):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(os, "replace", replace)


def test_format_says_a_file_it_could_not_write_was_not_formatted(tmp_path, capsys, monkeypatch):
    (tmp_path / "a.stp").write_bytes(UGLY)
    (tmp_path / "b.stp").write_bytes(PRETTY)
    (tmp_path / "c.stp").write_bytes(b"probe begin {\n")
    _fail_replace(monkeypatch)
    status, _, err = run(["format", str(tmp_path)], capsys)
    assert status == 2 and "cannot write" in err and "Read-only file system" in err
    # was: "1 file reformatted, 2 left unchanged"
    assert err.splitlines()[-1] == "0 files reformatted, 1 left unchanged, 2 not formatted (see the errors above)"
    assert (tmp_path / "a.stp").read_bytes() == UGLY
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.stp", "b.stp", "c.stp"]  # no temporary file


def test_lint_fix_does_not_count_a_file_it_could_not_write(tmp_path, capsys, monkeypatch):
    path = tmp_path / "f.stp"
    path.write_bytes(FIXABLE)
    _fail_replace(monkeypatch)
    status, out, err = run(["lint", "--fix", "--output-format", "concise", str(path)], capsys)
    assert status == 2 and "cannot write" in err and "no fix applied" in err
    assert "fixed" not in err  # was: "fixed 1 problem in 1 file"
    assert "[STP501]" in out  # the finding is still in the file: it is reported
    assert path.read_bytes() == FIXABLE


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("unshare"), reason="needs root and unshare")
def test_a_read_only_file_system(tmp_path):
    """The real thing: a read-only tmpfs, in a mount namespace of its own."""
    script = (
        f"mount -t tmpfs -o size=1m tmpfs {tmp_path} && printf 'probe begin{{exit()}}\\n' > {tmp_path}/a.stp"
        f" && mount -o remount,ro {tmp_path} && {sys.executable} -m stapkit format {tmp_path}/a.stp;"
        f" echo status=$?")
    result = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    if "status=" not in result.stdout:
        pytest.skip(f"no mount namespace here: {result.stderr.strip()}")
    assert "status=2" in result.stdout
    assert "Read-only file system; not formatted" in result.stderr
    assert result.stderr.splitlines()[-1] == "0 files reformatted, 0 left unchanged, 1 not formatted (see the errors above)"


def test_an_in_place_write_that_fails_puts_the_old_bytes_back(tmp_path, monkeypatch):
    from stapkit import fileio

    path = tmp_path / "a.stp"
    path.write_bytes(b"old text\n" * 10)
    os.link(path, tmp_path / "b.stp")  # in place: the inode is kept
    real_ftruncate = os.ftruncate
    calls = []

    def ftruncate(fd, length):  # after the new bytes were written: a full disk, say
        calls.append(length)
        if len(calls) == 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_ftruncate(fd, length)

    monkeypatch.setattr(os, "ftruncate", ftruncate)
    with pytest.raises(fileio.FileError, match="No space left on device .the file was left as it was."):
        fileio.write_file(str(path), b"new")
    assert path.read_bytes() == b"old text\n" * 10


# ---------------------------------------------------------------- not regular files


@pytest.mark.parametrize("command", ["parse", "lint", "format"])
def test_a_fifo_is_refused_and_the_run_goes_on(tmp_path, command):
    os.mkfifo(tmp_path / "pipe.stp")  # was: every command blocked on it, silently
    (tmp_path / "good.stp").write_bytes(b"probe begin { exit() }\n")
    for args in ([str(tmp_path / "pipe.stp"), str(tmp_path / "good.stp")], [str(tmp_path)]):
        extra = ["--no-cache"] if command == "lint" else []
        result = stapkit(command, *extra, *args)
        output = (result.stdout + result.stderr).decode()
        assert result.returncode == 2, output
        assert f"cannot read '{tmp_path / 'pipe.stp'}': it is a FIFO (named pipe), not a regular file" in output
        assert output.count("FIFO") == 1
        if command == "format":
            assert "0 files reformatted, 1 left unchanged, 1 not formatted" in output
        else:
            assert "2 files" in output


def test_the_reader_opens_only_regular_files(tmp_path):
    from stapkit import fileio

    with pytest.raises(fileio.FileError, match="it is a character device, not a regular file"):
        fileio.read_bytes("/dev/zero", 100)
    with pytest.raises(fileio.FileError, match="it is a directory"):
        fileio.read_bytes(str(tmp_path), 100)
    with pytest.raises(fileio.FileTooLarge):
        (tmp_path / "big").write_bytes(b"x" * 101)
        fileio.read_bytes(str(tmp_path / "big"), 100)


# ---------------------------------------------------------------- configuration errors


@pytest.mark.parametrize("command", ["parse", "lint", "format"])
@pytest.mark.parametrize("config, message", [
    (b"select = 5\n", "stapkit.toml: select: must be a list of rule codes"),
    (b"# caf\xe9\nguru = true\n", "stapkit.toml:1:6: not valid TOML: TOML files are UTF-8, and byte 0xe9 is not"),
])
def test_a_bad_configuration_is_an_error_that_names_the_file(tmp_path, capsys, command, config, message):
    (tmp_path / "stapkit.toml").write_bytes(config)
    (tmp_path / "a.stp").write_bytes(b"probe begin { exit() }\n")
    status, _, err = run([command, str(tmp_path / "a.stp")], capsys)
    assert status == 2
    assert err == f"stapkit: error: {tmp_path}/{message}\n" or \
        err.startswith(f"stapkit: error: {tmp_path}/{message}")  # was: "internal error" (lint), no file name
    assert "internal error" not in err and "bug" not in err


# ---------------------------------------------------------------- messages


def test_format_has_the_max_file_size_it_suggests(tmp_path, capsys):
    path = tmp_path / "big.stp"
    path.write_bytes(b"probe begin { exit() }\n" + b"# padding\n" * 100)
    status, _, err = run(["format", "--max-file-size", "100", str(path)], capsys)
    assert status == 2 and "is too large" in err and "--max-file-size" in err
    status, _, err = run(["format", "--max-file-size", "100000", str(path)], capsys)
    assert status == 0


def test_a_missing_file_is_a_diagnostic_for_parse_and_lint(tmp_path, capsys):
    missing = tmp_path / "none.stp"
    for command in ("parse", "lint"):
        status, out, err = run([command, "--output-format", "json", str(missing)], capsys)
        assert status == 2 and err == ""
        assert f"cannot read '{missing}': No such file or directory" in out and "STP051" in out


def test_a_rule_reads_a_string_with_bytes_that_are_not_utf8(tmp_path, capsys):
    # The fixes work on the exact text (lone surrogates for such bytes): STP523 counts bytes.
    path = tmp_path / "comm.stp"
    text = b'probe begin { if (execname() == "caf\xe9caf\xe9caf\xe9caf\xe9") exit() }\n'
    path.write_bytes(text)
    status, out, err = run(["lint", "--fix", "--output-format", "concise", str(path)], capsys)
    assert "internal error" not in err and "[STP523]" in out  # was: UnicodeEncodeError
    assert path.read_bytes() == text


def test_any_bytes_come_back_as_they_were(tmp_path):
    """exact_text/exact_bytes and write_file, for any bytes (hypothesis), through a link."""
    from hypothesis import given, settings, strategies as st

    from stapkit import fileio

    real = tmp_path / "real.stp"
    real.write_bytes(b"")
    link = tmp_path / "link.stp"
    link.symlink_to(real)

    @settings(max_examples=200, deadline=None)
    @given(st.binary(max_size=200))
    def check(data):
        text = fileio.exact_text(data)
        assert fileio.exact_bytes(text) == data
        fileio.write_file(str(link), fileio.exact_bytes(text))
        assert fileio.read_bytes(str(link), 1000) == data and link.is_symlink()

    check()
