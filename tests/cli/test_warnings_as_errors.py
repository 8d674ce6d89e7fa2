"""stap -W: every warning an error, from the script's first line, the command line or the configuration
(semko/fortyeight.stp and semko/overload.stp run with `#! stap -Wp2`)."""

from __future__ import annotations

import json

from stapkit.cli import main
from stapkit.syntax.script_options import first_line_options, warnings_made_errors

UNUSED_GLOBAL = "global foo\nprobe begin { exit() }\n"


def lint_json(capsys, *args):
    status = main(["lint", "--output-format", "json", "--no-cache", "--isolated", *args])
    out, _ = capsys.readouterr()
    return status, [(d["code"], d["severity"]) for d in json.loads(out)]


def test_a_warning_stays_a_warning_by_default(tmp_path, capsys):
    (tmp_path / "a.stp").write_text(UNUSED_GLOBAL)
    assert lint_json(capsys, "--fail-on", "error", str(tmp_path / "a.stp")) == (0, [("STP501", "warning")])


def test_the_option_makes_warnings_errors(tmp_path, capsys):
    (tmp_path / "a.stp").write_text(UNUSED_GLOBAL)
    assert lint_json(capsys, "--fail-on", "error", "--warnings-as-errors", str(tmp_path / "a.stp")) == \
        (1, [("STP501", "error")])


def test_the_first_line_makes_warnings_errors(tmp_path, capsys):
    (tmp_path / "a.stp").write_text("#! stap -Wp2\n" + UNUSED_GLOBAL)
    assert lint_json(capsys, "--fail-on", "error", str(tmp_path / "a.stp")) == (1, [("STP501", "error")])


def test_w_silences_what_W_would_make_errors(tmp_path, capsys):
    # semok/thirtyseven.stp: `#! stap -wWp2` passes stap
    (tmp_path / "a.stp").write_text("#! stap -wWp2\n" + UNUSED_GLOBAL)
    assert lint_json(capsys, "--fail-on", "error", "--warnings-as-errors", str(tmp_path / "a.stp")) == \
        (0, [("STP501", "warning")])


def test_the_configuration_key(tmp_path, capsys):
    (tmp_path / "stapkit.toml").write_text("warnings-as-errors = true\n")
    (tmp_path / "a.stp").write_text(UNUSED_GLOBAL)
    status = main(["lint", "--output-format", "json", "--no-cache", "--fail-on", "error", str(tmp_path / "a.stp")])
    found = json.loads(capsys.readouterr()[0])
    assert status == 1 and [(d["code"], d["severity"]) for d in found] == [("STP501", "error")]


def test_parse_honours_it_too(tmp_path, capsys):
    (tmp_path / "a.stp").write_text("%( $# < 2 %? probe begin { print(@1) } %)\n")
    assert main(["parse", str(tmp_path / "a.stp"), "--isolated"]) == 0
    capsys.readouterr()
    assert main(["parse", str(tmp_path / "a.stp"), "--isolated", "--warnings-as-errors"]) == 1
    assert "made an error by --warnings-as-errors" in capsys.readouterr()[0]


def test_why_names_where_it_came_from():
    assert warnings_made_errors(first_line_options("#! stap -Wp2\n"), False) == "-W on the script's first line"
    assert warnings_made_errors(first_line_options("#! stap -p2\n"), True) == "--warnings-as-errors"
    assert warnings_made_errors(first_line_options("#! stap -Ww\n"), True) is None
    assert warnings_made_errors(None, False) is None
