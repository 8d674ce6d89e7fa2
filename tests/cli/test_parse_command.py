"""`stapkit parse`: output formats, exit codes, options."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from stapkit.cli import main

GOOD = "probe begin { printf(\"%d\\n\", 1) exit() }\n"
BAD = "probe begin {\n  x = (1 +\n}\n"


@pytest.fixture
def scripts(tmp_path):
    (tmp_path / "good.stp").write_text(GOOD)
    (tmp_path / "bad.stp").write_text(BAD)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "more.stp").write_text(GOOD)
    (tmp_path / "sub" / "notes.txt").write_text("not a script")
    return tmp_path


def run(args, capsys, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    status = main(["parse", "--tapset-dir", "/nonexistent", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_clean_file_exits_zero(scripts, capsys):
    status, out, err = run([str(scripts / "good.stp")], capsys)
    assert status == 0 and "no problems" in out and err == ""


def test_syntax_error_exits_one_with_caret(scripts, capsys):
    status, out, _ = run([str(scripts / "bad.stp"), "--color", "never"], capsys)
    assert status == 1
    assert f"{scripts / 'bad.stp'}:3:1: error: expected an expression; found '}}'" in out
    assert "[STP010]" in out
    lines = out.splitlines()
    caret = next(i for i, line in enumerate(lines) if line.strip().endswith("^"))
    assert lines[caret - 1].endswith("| }") and lines[caret].rstrip().endswith("| ^")


def test_json_output_follows_the_contract(scripts, capsys):
    status, out, _ = run([str(scripts / "bad.stp"), "--output-format", "json"], capsys)
    assert status == 1
    (item,) = json.loads(out)
    assert set(item) >= {"file", "line", "column", "end_line", "end_column", "code", "severity", "message", "fix"}
    assert (item["line"], item["column"], item["end_line"], item["end_column"]) == (3, 1, 3, 2)
    assert item["code"] == "STP010" and item["severity"] == "error" and item["fix"] is None


def test_directories_are_searched(scripts, capsys):
    status, out, _ = run([str(scripts), "--output-format", "json"], capsys)
    assert status == 1
    assert {d["file"] for d in json.loads(out)} == {str(scripts / "bad.stp")}
    status, out, _ = run([str(scripts / "sub")], capsys)
    assert status == 0 and "1 file parsed" in out


def test_missing_path_exits_two_but_other_files_are_processed(scripts, capsys):
    status, out, err = run([str(scripts / "nope.stp"), str(scripts / "bad.stp")], capsys)
    assert status == 2
    assert "cannot read" in out and "nope.stp" in out and "[STP051]" in out
    assert "STP010" in out
    # Machine-readable output says so too.
    status, out, _ = run([str(scripts / "nope.stp"), "--output-format", "json"], capsys)
    assert status == 2 and json.loads(out)[0]["code"] == "STP051"


def test_directory_without_scripts(tmp_path, capsys):
    status, out, err = run([str(tmp_path)], capsys)
    assert status == 0 and "no SystemTap scripts" in err


def test_unreadable_file_exits_two(tmp_path, capsys):
    (tmp_path / "bin.stp").write_bytes(b"\x00\x01\x02")
    status, out, _ = run([str(tmp_path / "bin.stp")], capsys)
    assert status == 1 and "STP052" in out  # a binary file is a finding, not an I/O failure
    status, out, _ = run([str(tmp_path / "big.stp"), "--max-file-size", "1"], capsys)
    assert status == 2


def test_stdin_with_filename(capsys, monkeypatch):
    status, out, _ = run(["-", "--stdin-filename", "from-editor.stp", "--output-format", "json"], capsys,
                         stdin=BAD, monkeypatch=monkeypatch)
    assert status == 1 and json.loads(out)[0]["file"] == "from-editor.stp"


def test_ast_output(scripts, capsys):
    status, out, _ = run([str(scripts / "good.stp"), "--ast"], capsys)
    assert status == 0 and "ProbeDecl @1:1" in out and "PrintCall" in out
    status, out, _ = run([str(scripts / "good.stp"), "--ast", "--output-format", "json"], capsys)
    (entry,) = json.loads(out)
    assert entry["ast"]["type"] == "Script"
    assert entry["ast"]["items"][0]["type"] == "ProbeDecl"
    assert entry["ast"]["items"][0]["span"]["line"] == 1


def test_target_options(tmp_path, capsys):
    script = tmp_path / "cond.stp"
    script.write_text('%( kernel_v < "3.0" %? probe begin { x = ( } %: probe end { } %)\n')
    # The default target takes the %: branch: the error is a warning there.
    status, out, _ = run([str(script), "--output-format", "json"], capsys)
    (item,) = json.loads(out)
    assert status == 0 and item["severity"] == "warning"
    assert any("kernel_v" in hint for hint in item["hints"])
    # For an old kernel the broken branch is the one that counts.
    status, out, _ = run([str(script), "--kernel-version", "2.6.32-696.el6", "--output-format", "json"], capsys)
    assert status == 1 and json.loads(out)[0]["severity"] == "error"
    # --only-target-branches checks what stap checks, no more.
    status, out, _ = run([str(script), "--only-target-branches", "--output-format", "json"], capsys)
    assert status == 0 and json.loads(out) == []


def test_arguments(tmp_path, capsys):
    script = tmp_path / "args.stp"
    script.write_text("probe timer.s($1) { println(@2) }\n")
    assert run([str(script)], capsys)[0] == 0  # placeholders
    status, out, _ = run([str(script), "--no-args"], capsys)
    assert status == 1 and "STP054" in out
    assert run([str(script), "--arg", "5", "--arg", "hello"], capsys)[0] == 0
    assert run([str(script), "--arg", "5", "--no-args"], capsys)[0] == 2


def test_guru_option(tmp_path, capsys):
    script = tmp_path / "guru.stp"
    script.write_text("%{ #include <linux/sched.h> %}\nprobe begin { }\n")
    status, out, _ = run([str(script)], capsys)
    assert status == 1 and "STP601" in out
    assert run([str(script), "--guru"], capsys)[0] == 0


@pytest.mark.parametrize("args", [["--kernel-config", "NOT_A_CONFIG"], ["--runtime", "nope"], ["--bogus"]])
def test_bad_options_exit_two(scripts, capsys, args):
    assert run([str(scripts / "good.stp"), *args], capsys)[0] == 2


def test_parallel_jobs_give_the_same_result(scripts, capsys):
    for i in range(8):
        (scripts / f"copy{i}.stp").write_text(BAD if i % 2 else GOOD)
    serial = run([str(scripts), "--jobs", "1", "--output-format", "json"], capsys)
    parallel = run([str(scripts), "--jobs", "2", "--output-format", "json"], capsys)
    assert serial == parallel


def test_console_entry_point_runs(scripts):
    proc = subprocess.run([sys.executable, "-m", "stapkit", "parse", str(scripts / "bad.stp")],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "STP010" in proc.stdout and "Traceback" not in proc.stderr


@pytest.mark.parametrize("args", [["--systemtap-version", "foo"], ["--kernel-version", "banana"]])
def test_bad_versions_exit_two(scripts, capsys, args):
    status, _, err = run([str(scripts / "good.stp"), *args], capsys)
    assert status == 2 and "expects" in err


def test_stdin_named_stpm_is_a_macro_file(capsys, monkeypatch):
    status, out, _ = run(["-", "--stdin-filename", "lib.stpm"], capsys,
                         stdin="@define m %( 1 %)\nprobe begin { }\n", monkeypatch=monkeypatch)
    assert status == 1 and "STP045" in out
