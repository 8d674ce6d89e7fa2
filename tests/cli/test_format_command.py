"""`stapkit format`: in place, --check, --diff, stdin, options, bad input."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys

from stapkit.cli import main

UGLY = "probe begin{\nx=1+2\n    if(x>2){println(x)}\n}\n"
PRETTY = "probe begin {\n\tx = 1 + 2\n\tif (x > 2) { println(x) }\n}\n"


def run(args, capsys, stdin=None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    status = main(["format", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_formats_in_place_keeping_the_mode(tmp_path, capsys):
    path = tmp_path / "a.stp"
    path.write_text(UGLY)
    os.chmod(path, 0o750)
    status, out, err = run([str(path), "--indent", "tab"], capsys)
    assert status == 0 and "1 file reformatted" in err
    assert path.read_text() == PRETTY
    assert stat.S_IMODE(path.stat().st_mode) == 0o750
    assert [p.name for p in tmp_path.iterdir()] == ["a.stp"]  # no temporary file left


def test_check_changes_nothing_and_exits_one(tmp_path, capsys):
    path = tmp_path / "a.stp"
    path.write_text(UGLY)
    status, _, err = run([str(path), "--check", "--indent", "tab"], capsys)
    assert status == 1 and f"would reformat {path}" in err and path.read_text() == UGLY
    path.write_text(PRETTY)
    status, _, err = run([str(path), "--check", "--indent", "tab"], capsys)
    assert status == 0


def test_diff_is_accepted_by_git_apply(tmp_path, capsys):
    import shutil

    import pytest

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    (tmp_path / "a.stp").write_text(UGLY)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        status, out, _ = run(["a.stp", "--diff", "--indent", "tab"], capsys)
    finally:
        os.chdir(cwd)
    assert status == 1 and out.startswith("--- a/a.stp\n+++ b/a.stp\n")
    (tmp_path / "d.patch").write_text(out)
    subprocess.run(["git", "apply", "d.patch"], cwd=tmp_path, check=True)
    assert (tmp_path / "a.stp").read_text() == PRETTY


def test_stdin_to_stdout(capsys, monkeypatch):
    status, out, _ = run(["-", "--indent", "tab"], capsys, stdin=UGLY, monkeypatch=monkeypatch)
    assert status == 0 and out == PRETTY


def test_indent_and_configuration(tmp_path, capsys):
    (tmp_path / "stapkit.toml").write_text('[format]\nindent = 2\n')
    path = tmp_path / "a.stp"
    path.write_text(UGLY)
    status, _, _ = run([str(path)], capsys)
    assert status == 0 and path.read_text() == PRETTY.replace("\t", "  ")
    status, _, err = run([str(path), "--indent", "x"], capsys)
    assert status == 2 and "--indent" in err
    (tmp_path / "stapkit.toml").write_text('[format]\nindentation = 2\n')
    status, _, err = run([str(path)], capsys)
    assert status == 2 and "format.indentation: unknown key" in err


def test_a_file_with_syntax_errors_is_reported_and_left_alone(tmp_path, capsys):
    path = tmp_path / "bad.stp"
    path.write_text("probe begin {\n  x = (1 +\n}\n")
    status, _, err = run([str(path)], capsys)
    assert status == 2 and f"{path}:3:1: not formatted" in err and "STP010" in err
    assert path.read_text() == "probe begin {\n  x = (1 +\n}\n"


def test_crlf_and_final_newline_are_kept(tmp_path, capsys):
    path = tmp_path / "w.stp"
    path.write_bytes(b"probe begin{\r\nexit()\r\n}")
    run([str(path), "--indent", "tab"], capsys)
    assert path.read_bytes() == b"probe begin {\r\n\texit()\r\n}"


def test_missing_files_and_binary_input(tmp_path, capsys):
    status, _, err = run([str(tmp_path / "none.stp")], capsys)
    assert status == 2 and "none.stp" in err
    (tmp_path / "b.stp").write_bytes(b"\x00\x01probe")
    status, _, err = run([str(tmp_path / "b.stp")], capsys)
    assert status == 2 and "Traceback" not in err


BODIES = "probe begin\n{\n  x = 1\n}\nfunction f() {\n  return 1\n}\n"


def test_brace_style_makes_every_file_alike(tmp_path, capsys):
    # Two files that place their bodies' braces differently come out alike, in either style.
    (tmp_path / "stapkit.toml").write_text('[format]\nbrace-style = "linux"\n')
    one = tmp_path / "one.stp"
    two = tmp_path / "two.stp"
    one.write_text(BODIES)
    two.write_text(BODIES.replace("begin\n{", "begin {").replace("f() {", "f()\n{"))
    status, _, _ = run([str(one), str(two)], capsys)
    assert status == 0
    assert one.read_text() == two.read_text() == "probe begin\n{\n  x = 1\n}\nfunction f()\n{\n  return 1\n}\n"
    status, _, _ = run([str(one), str(two), "--brace-style", "attach"], capsys)
    assert one.read_text() == two.read_text() == "probe begin {\n  x = 1\n}\nfunction f() {\n  return 1\n}\n"
    (tmp_path / "stapkit.toml").write_text('[format]\nbrace-style = "allman"\n')
    status, _, err = run([str(one)], capsys)
    assert status == 2 and "format.brace-style" in err


def test_files_written_by_the_workers(tmp_path, capsys):
    # More than 4 files and -j 2: the workers format and write them.
    paths = [tmp_path / f"s{k}.stp" for k in range(6)]
    for path in paths:
        path.write_text(UGLY)
    (tmp_path / "s0.stp").chmod(0o444)  # a file that cannot be written is reported, the others written
    status, _, err = run(["-j", "2", "--indent", "tab", *map(str, paths)], capsys)
    assert [p.read_text() for p in paths[1:]] == [PRETTY] * 5
    if os.geteuid() != 0:
        assert status == 2 and "s0.stp" in err and "5 files reformatted" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)  # no temporary file left


def test_in_parallel_the_files_are_written_and_a_failed_write_is_reported(tmp_path, capsys, monkeypatch):
    # The workers format; this process writes what they give back, as it comes (writer threads).
    for name in "abcdefg":
        (tmp_path / f"{name}.stp").write_text(UGLY)
    real_replace = os.replace

    def replace(source, target):
        if target.endswith("d.stp"):
            raise OSError(30, "Read-only file system")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    status, _, err = run(["-j", "2", "--indent", "tab", str(tmp_path)], capsys)
    assert status == 2 and f"{tmp_path / 'd.stp'}" in err and "Read-only file system; not formatted" in err
    assert err.splitlines()[-1] == "6 files reformatted, 0 left unchanged, 1 not formatted (see the errors above)"
    assert [(tmp_path / f"{name}.stp").read_text() == PRETTY for name in "abcdefg"] == [
        True, True, True, False, True, True, True]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{name}.stp" for name in "abcdefg"]  # no temporary file
