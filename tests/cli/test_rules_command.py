"""`stapkit rules` and `stapkit rule CODE`, called with the namespaces their parsers make; and the
rule pages shipping in a wheel."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from stapkit.cli import rules_command
from stapkit.lint.registry import all_rules

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "docs" / "rules"


def rules(capsys, *argv: str):
    parser = argparse.ArgumentParser()
    rules_command.add_rules_arguments(parser)
    status = rules_command.run_rules(parser.parse_args(list(argv)))
    out, err = capsys.readouterr()
    return status, out, err


def rule(capsys, *argv: str):
    parser = argparse.ArgumentParser()
    rules_command.add_rule_arguments(parser)
    status = rules_command.run_rule(parser.parse_args(list(argv)))
    out, err = capsys.readouterr()
    return status, out, err


# -- stapkit rules ----------------------------------------------------------------


def test_the_table_has_a_row_for_every_code_with_its_facts(capsys):
    status, out, err = rules(capsys)
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["code", "name", "severity", "stage", "fix", "summary"]
    rows = {line.split()[0]: line for line in lines[1:] if line.startswith("STP")}
    assert list(rows) == list(all_rules())
    for code, entry in all_rules().items():
        cells = rows[code].split(None, 5)
        assert cells[:5] == [code, entry.name, entry.severity.value, entry.stage,
                             entry.fix.value if entry.fix else "-"]
        assert cells[5] == entry.summary
    # The columns line up: every summary starts where the header's does.
    start = lines[0].index("summary")
    assert all(rows[code][start:] == entry.summary for code, entry in all_rules().items())
    assert lines[-1].startswith(f"{len(rows)} codes")


def test_the_table_shows_each_stage(capsys):
    _, out, _ = rules(capsys)
    stages = {line.split()[0]: line.split()[3] for line in out.splitlines() if line.startswith("STP")}
    assert stages["STP010"] == "parser" and stages["STP101"] == "checker" and stages["STP500"] == "linter"


def test_json_lists_every_code_as_an_object(capsys):
    status, out, _ = rules(capsys, "--output-format", "json")
    assert status == 0
    data = json.loads(out)
    assert [row["code"] for row in data] == list(all_rules())
    for row in data:
        entry = all_rules()[row["code"]]
        assert row == {"code": entry.code, "name": entry.name, "severity": entry.severity.value,
                       "stage": entry.stage, "fix": entry.fix.value if entry.fix else None,
                       "summary": entry.summary}


# -- stapkit rule CODE -----------------------------------------------------------------


@pytest.mark.parametrize("code", ["STP010", "STP101", "STP500"])
def test_a_code_shows_its_page(capsys, code):
    status, out, err = rule(capsys, code)
    assert status == 0 and err == ""
    assert out == (PAGES / f"{code}.md").read_text(encoding="utf-8")
    assert out.startswith(f"# {code}: {all_rules()[code].name}\n")


def test_a_code_in_lower_case_or_a_rule_name_shows_the_same_page(capsys):
    _, page, _ = rule(capsys, "STP500")
    assert rule(capsys, "stp500")[1] == page
    assert rule(capsys, "unused-suppression")[1] == page


@pytest.mark.parametrize("given, suggested", [
    ("STP1O1", "STP101"),
    ("stp10", "STP101"),
    ("unresolved-funtion", "STP101 (unresolved-function)"),
    ("unused-supression", "STP500 (unused-suppression)"),
])
def test_an_unknown_code_exits_two_with_a_suggestion(capsys, given, suggested):
    status, out, err = rule(capsys, given)
    assert status == 2 and out == ""
    assert err.startswith(f"stapkit: error: unknown rule '{given}'") and suggested in err


@pytest.mark.parametrize("given", ["no-such-thing-at-all", "STP999"])
def test_an_unknown_code_with_nothing_close_just_says_so(capsys, given):
    status, out, err = rule(capsys, given)
    assert status == 2 and out == ""
    assert "did you mean" not in err and "'stapkit rules' lists them all" in err


def test_pages_come_from_the_installed_package_when_there_is_one(tmp_path, monkeypatch, capsys):
    package = tmp_path / "installed_pages"
    package.mkdir()
    (package / "STP101.md").write_text("# STP101: the installed page\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(rules_command, "PAGES_PACKAGE", "installed_pages")
    monkeypatch.setattr(rules_command, "CHECKOUT_PAGES", tmp_path / "not-there")
    assert rule(capsys, "STP101") == (0, "# STP101: the installed page\n", "")


def test_a_page_that_is_not_installed_is_an_error_not_a_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(rules_command, "PAGES_PACKAGE", "no_such_package_of_pages")
    monkeypatch.setattr(rules_command, "CHECKOUT_PAGES", tmp_path)
    status, out, err = rule(capsys, "STP101")
    assert status == 2 and out == ""
    assert "the page of STP101 (unresolved-function) is not installed" in err


# -- the pages ship in the wheel ------------------------------------------------


def test_a_wheel_has_every_module_and_every_rule_page(tmp_path):
    """`pip wheel` on a copy of the sources: an installed stapkit can show every page.

    Builds in an isolated environment, so pip fetches setuptools (skipped
    when it cannot)."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("stapkit", "stap_grammar", "tapset_db", "docs/rules"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q",
                             "-w", str(tmp_path / "wheel")], capture_output=True, text=True,
                            env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    if result.returncode != 0 and ("Could not find a version" in result.stderr
                                   or "No matching distribution" in result.stderr):
        pytest.skip("pip cannot fetch the build requirements (no package index)")
    assert result.returncode == 0, result.stderr
    (wheel,) = (tmp_path / "wheel").glob("stapkit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "stapkit").rglob("*.py")}
    assert modules - names == set(), "modules missing from the wheel: list their packages in pyproject.toml"
    pages = {f"{rules_command.PAGES_PACKAGE}/{code}.md" for code in all_rules()}
    assert pages - names == set()

