"""`stapkit lint`: exit codes, output formats, options."""

from __future__ import annotations

import io
import json
import sys

import pytest

from stapkit.cli import main

GOOD = 'global n\nprobe timer.ms(100) { n++ }\nprobe end { printf("%d\\n", n) }\n'
TYPE_ERROR = 'probe begin {\n  x = 1\n  println(x . "s")\n  exit()\n}\n'
SYNTAX_ERROR = 'probe begin {\n  x = (1 +\n}\n'
WARNING_ONLY = 'probe begin { println(y) exit() }\n'


def run(args, capsys, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    status = main(["lint", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_a_clean_script_exits_zero(tmp_path, capsys):
    (tmp_path / "good.stp").write_text(GOOD)
    status, out, err = run([str(tmp_path / "good.stp")], capsys)
    assert status == 0 and "1 file checked: no problems" in out and err == ""


def test_semantic_errors_exit_one_with_code_and_place(tmp_path, capsys):
    (tmp_path / "bad.stp").write_text(TYPE_ERROR)
    status, out, _ = run([str(tmp_path / "bad.stp"), "--color", "never"], capsys)
    assert status == 1
    assert f"{tmp_path / 'bad.stp'}:3:11: error: type mismatch" in out and "[STP105]" in out
    assert "first inferred here" in out


def test_syntax_errors_stop_before_the_semantic_checks(tmp_path, capsys):
    (tmp_path / "bad.stp").write_text(SYNTAX_ERROR)
    status, out, _ = run([str(tmp_path / "bad.stp"), "--output-format", "json"], capsys)
    assert status == 1
    assert [d["code"] for d in json.loads(out)] == ["STP010"]


def test_an_unset_untyped_local_is_a_type_error_and_a_warning(tmp_path, capsys):
    (tmp_path / "w.stp").write_text(WARNING_ONLY)
    status, out, _ = run([str(tmp_path / "w.stp"), "--output-format", "json"], capsys)
    data = json.loads(out)
    assert status == 1  # y has no type: an error, as in stap
    assert {d["code"] for d in data} == {"STP106", "STP301"}
    assert {d["severity"] for d in data if d["code"] == "STP301"} == {"warning"}


def test_json_follows_the_contract(tmp_path, capsys):
    (tmp_path / "bad.stp").write_text(TYPE_ERROR)
    status, out, _ = run([str(tmp_path / "bad.stp"), "--output-format", "json"], capsys)
    (item,) = json.loads(out)
    assert set(item) >= {"file", "line", "column", "end_line", "end_column", "code", "severity", "message", "fix"}
    assert (item["line"], item["column"], item["code"]) == (3, 11, "STP105")


def test_many_files_in_parallel_and_stdin(tmp_path, capsys, monkeypatch):
    for i in range(6):
        (tmp_path / f"s{i}.stp").write_text(GOOD if i % 2 else TYPE_ERROR)
    status, out, _ = run([str(tmp_path), "--jobs", "2", "--output-format", "json"], capsys)
    assert status == 1 and len({d["file"] for d in json.loads(out)}) == 3
    status, out, _ = run(["-", "--stdin-filename", "x.stp"], capsys, stdin=TYPE_ERROR, monkeypatch=monkeypatch)
    assert status == 1 and "x.stp:3:11" in out


def test_guru_and_privilege_options(tmp_path, capsys):
    (tmp_path / "g.stp").write_text("probe begin { set_kernel_long(0, 1) exit() }\n")
    status, out, _ = run([str(tmp_path / "g.stp")], capsys)
    assert status == 1 and "STP603" in out
    status, out, _ = run([str(tmp_path / "g.stp"), "-g"], capsys)
    assert status == 0


def test_explain_unverifiable(tmp_path, capsys):
    (tmp_path / "k.stp").write_text('probe kernel.function("vfs_read") { exit() }\n')
    status, out, _ = run([str(tmp_path / "k.stp")], capsys)
    assert status == 0 and "STP210" not in out
    status, out, _ = run([str(tmp_path / "k.stp"), "--explain-unverifiable"], capsys)
    assert status == 0 and "STP210" in out and "info" in out


def test_a_bad_database_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "good.stp").write_text(GOOD)
    status, _, err = run([str(tmp_path / "good.stp"), "--db", str(tmp_path / "none.jsonl")], capsys)
    assert status == 2 and "none.jsonl: no such tapset database" in err


# ---------------------------------------------------------------- exit codes, selection, configuration

WARNS = 'probe begin {\n  printf("%d\\n", y)\n  exit()\n}\n'  # STP301, a warning


def test_exit_codes_for_findings_and_exit_zero(tmp_path, capsys):
    (tmp_path / "w.stp").write_text(WARNS)
    status, out, _ = run([str(tmp_path / "w.stp")], capsys)
    assert status == 1 and "[STP301]" in out and "1 warning" in out
    status, out, _ = run([str(tmp_path / "w.stp"), "--exit-zero"], capsys)
    assert status == 0 and "[STP301]" in out
    status, out, _ = run([str(tmp_path / "w.stp"), "--fail-on", "error"], capsys)
    assert status == 0 and "[STP301]" in out
    (tmp_path / "bad.stp").write_text(SYNTAX_ERROR)
    status, _, _ = run([str(tmp_path / "bad.stp"), "--exit-zero"], capsys)
    assert status == 0  # findings, even syntax errors, do not fail with --exit-zero


def test_missing_unreadable_and_empty_inputs(tmp_path, capsys):
    # A missing file is a diagnostic (STP051) as in `parse`, and as a dangling link (below) was.
    status, out, err = run([str(tmp_path / "none.stp")], capsys)
    assert status == 2 and f"none.stp:1:1: error: cannot read '{tmp_path / 'none.stp'}': No such file" in out
    (tmp_path / "empty").mkdir()
    status, out, err = run([str(tmp_path / "empty")], capsys)
    assert status == 0 and "no SystemTap scripts" in err
    (tmp_path / "bin.stp").write_bytes(b"\xff\xfe\x00probe")
    status, out, _ = run([str(tmp_path / "bin.stp")], capsys)
    assert status == 1 and "bin.stp:1:1: error" in out  # not a text file: a finding
    (tmp_path / "gone.stp").symlink_to(tmp_path / "nowhere.stp")
    status, out, _ = run([str(tmp_path / "gone.stp"), str(tmp_path / "bin.stp"), "--exit-zero"], capsys)
    assert status == 2 and "gone.stp" in out and "bin.stp" in out  # the other file is still checked


def test_bad_options_are_usage_errors(tmp_path, capsys):
    (tmp_path / "w.stp").write_text(WARNS)
    status, _, err = run([str(tmp_path / "w.stp"), "--select", "E501"], capsys)
    assert status == 2 and "'E501' is not a rule code or prefix" in err
    status, _, err = run([str(tmp_path / "w.stp"), "--output-format", "xml"], capsys)
    assert status == 2 and "invalid choice" in err


def test_select_and_ignore(tmp_path, capsys):
    (tmp_path / "w.stp").write_text(WARNS)
    status, out, _ = run([str(tmp_path / "w.stp"), "--ignore", "STP3"], capsys)
    assert status == 0 and "no problems" in out
    status, out, _ = run([str(tmp_path / "w.stp"), "--select", "STP5", "--extend-select", "STP301"], capsys)
    assert status == 1 and "[STP301]" in out
    status, out, _ = run([str(tmp_path / "w.stp"), "--select", "STP5"], capsys)
    assert status == 0


def test_configuration_selects_ignores_per_file_and_fails_on(tmp_path, capsys):
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "w.stp").write_text(WARNS)
    (tmp_path / "other.stp").write_text(WARNS)
    (tmp_path / "stapkit.toml").write_text('per-file-ignores = { "scripts/*.stp" = ["STP301"] }\n')
    status, out, _ = run([str(tmp_path)], capsys)
    assert status == 1 and "other.stp" in out and "scripts" not in out
    (tmp_path / "stapkit.toml").write_text('ignore = ["STP301"]\n')
    status, out, _ = run([str(tmp_path)], capsys)
    assert status == 0
    (tmp_path / "stapkit.toml").write_text('fail-on = "error"\n')
    status, out, _ = run([str(tmp_path)], capsys)
    assert status == 0 and "2 warnings" in out


def test_a_bad_configuration_names_the_file_and_key(tmp_path, capsys):
    (tmp_path / "w.stp").write_text(WARNS)
    (tmp_path / "stapkit.toml").write_text('ignore = ["unused"]\n')
    status, _, err = run([str(tmp_path / "w.stp")], capsys)
    assert status == 2 and "stapkit.toml: ignore: 'unused' is not a rule code or prefix" in err
    (tmp_path / "stapkit.toml").write_text('selct = ["STP5"]\n')
    status, _, err = run([str(tmp_path / "w.stp")], capsys)
    assert status == 2 and "stapkit.toml: selct: unknown key" in err


def test_suppression_comments_through_the_command(tmp_path, capsys):
    (tmp_path / "w.stp").write_text(WARNS.replace('y)\n', 'y)  // stapkit: disable=STP301\n'))
    status, out, _ = run([str(tmp_path / "w.stp")], capsys)
    assert status == 0 and "no problems" in out


# ---------------------------------------------------------------- fixes

FIXABLE = ('global unused\nglobal n\n\nprobe begin {\n  n = 1\n  printf("%d", n)\n  exit()\n}\n'
           'probe end { printf("bye") }\n')  # STP501 has a safe fix, STP515 an unsafe one


def test_fix_applies_the_safe_fixes_and_reports_the_rest(tmp_path, capsys):
    path = tmp_path / "f.stp"
    path.write_text(FIXABLE)
    path.chmod(0o640)
    status, out, err = run([str(path), "--fix", "--output-format", "concise"], capsys)
    assert path.read_text() == FIXABLE.replace("global unused\n", "")
    assert path.stat().st_mode & 0o777 == 0o640  # the file keeps its mode
    assert status == 1 and "[STP515]" in out and "[STP501]" not in out
    assert "fixed 1 problem in 1 file" in err


def test_unsafe_fixes_only_when_asked(tmp_path, capsys):
    path = tmp_path / "f.stp"
    path.write_text(FIXABLE)
    status, out, _ = run([str(path), "--unsafe-fixes"], capsys)
    assert status == 0 and "no problems" in out
    assert path.read_text().endswith('probe end { printf("bye\\n") }\n')


def test_diff_changes_nothing_and_git_apply_takes_it(tmp_path, capsys):
    import shutil
    import subprocess

    path = tmp_path / "f.stp"
    path.write_text(FIXABLE)
    status, out, err = run([str(path), "--diff"], capsys)
    assert status == 1 and path.read_text() == FIXABLE
    name = path.as_posix().lstrip("/")
    assert out.startswith(f"--- a/{name}\n+++ b/{name}\n") and "-global unused\n" in out
    assert "would fix 1 problem" in err
    if shutil.which("git"):
        (tmp_path / "f.diff").write_text(out.replace(f"a/{name}", "a/f.stp").replace(f"b/{name}", "b/f.stp"))
        subprocess.run(["git", "apply", "f.diff"], cwd=tmp_path, check=True)
        assert path.read_text() == FIXABLE.replace("global unused\n", "")
    status, out, _ = run([str(path), "--diff"], capsys)
    assert status == 0 and out == ""  # nothing left to fix


def test_fix_of_standard_input_writes_the_text_to_standard_output(capsys, monkeypatch):
    status, out, err = run(["-", "--fix", "--stdin-filename", "f.stp"], capsys, stdin=FIXABLE,
                           monkeypatch=monkeypatch)
    assert out == FIXABLE.replace("global unused\n", "")
    assert status == 1 and "f.stp:8:13" in err and "[STP515]" in err


def test_a_file_with_syntax_errors_is_not_fixed(tmp_path, capsys):
    path = tmp_path / "f.stp"
    path.write_text(FIXABLE + "probe begin {\n")
    status, out, _ = run([str(path), "--fix"], capsys)
    assert status == 1 and path.read_text() == FIXABLE + "probe begin {\n" and "[STP011]" in out


def test_statistics_and_other_formats(tmp_path, capsys):
    path = tmp_path / "f.stp"
    path.write_text(FIXABLE)
    status, out, _ = run([str(path), "--statistics"], capsys)
    assert status == 1 and "STP501" in out and "unused-global" in out and "fixable" in out
    status, out, _ = run([str(path), "--output-format", "github"], capsys)
    assert f"::warning file={path},line=1,col=8" in out
    status, out, _ = run([str(path), "--output-format", "sarif"], capsys)
    assert json.loads(out)["version"] == "2.1.0"


def test_a_second_run_reads_the_cache(tmp_path, capsys, monkeypatch):
    path = tmp_path / "f.stp"
    path.write_text(FIXABLE)
    monkeypatch.setenv("STAPKIT_CACHE_DIR", str(tmp_path / "cache"))
    first = run([str(path), "--output-format", "json"], capsys)
    from stapkit.lint import runner

    monkeypatch.setattr(runner, "lint_file", lambda *a, **k: pytest.fail("linted again"))
    assert run([str(path), "--output-format", "json"], capsys) == first
    path.write_text(FIXABLE.replace("global unused\n", ""))
    with pytest.raises(pytest.fail.Exception):
        run([str(path), "--output-format", "json"], capsys)  # changed: not in the cache


def test_no_cache_lints_again(tmp_path, capsys, monkeypatch):
    path = tmp_path / "f.stp"
    path.write_text(FIXABLE)
    monkeypatch.setenv("STAPKIT_CACHE_DIR", str(tmp_path / "cache"))
    run([str(path)], capsys)  # fills the cache
    from stapkit.lint import runner

    monkeypatch.setattr(runner, "lint_file", lambda *a, **k: pytest.fail("linted again"))
    with pytest.raises(pytest.fail.Exception):
        run([str(path), "--no-cache"], capsys)


def test_the_configurations_exclude_leaves_files_out_of_a_directory(tmp_path, capsys):
    (tmp_path / "gen").mkdir()
    (tmp_path / "gen" / "made.stp").write_text(WARNS)
    (tmp_path / "kept.stp").write_text(WARNS)
    (tmp_path / "stapkit.toml").write_text('exclude = ["gen/"]\n')
    status, out, _ = run([str(tmp_path), "--output-format", "concise"], capsys)
    assert status == 1 and "kept.stp" in out and "made.stp" not in out
    status, out, _ = run([str(tmp_path / "gen" / "made.stp"), "--output-format", "concise"], capsys)
    assert "made.stp" in out  # a file named on the command line is always taken
