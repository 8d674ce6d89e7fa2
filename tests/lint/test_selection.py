"""--select / --extend-select / --ignore and per-file ignores: the most specific selector wins."""

from __future__ import annotations

import pytest

from stapkit.lint import selection
from stapkit.config import Config
from stapkit.lint.selection import Selection, SelectorError, check_selector, for_file


def test_by_default_every_code_is_on():
    assert Selection().enabled("STP401") and Selection().enabled("STP500")


@pytest.mark.parametrize("select, ignore, code, expected", [
    (("STP5",), (), "STP500", True),
    (("STP5",), (), "STP401", False),
    (("STP5",), ("STP50",), "STP500", False),
    (("STP5",), ("STP50",), "STP510", True),
    (("STP500",), ("STP5",), "STP500", True),   # the longer selector wins
    (("STP5",), ("STP5",), "STP500", False),    # a tie: ignore wins
    (("ALL",), ("STP4",), "STP401", False),
    (("ALL",), (), "STP401", True),
])
def test_the_most_specific_selector_wins(select, ignore, code, expected):
    assert Selection(select=select, ignore=ignore).enabled(code) is expected


def test_extend_select_adds_to_select():
    s = Selection(select=("STP5",), extend_select=("STP401",))
    assert s.enabled("STP401") and s.enabled("STP500") and not s.enabled("STP402")


def test_errors_that_make_stap_reject_the_script_cannot_be_turned_off():
    s = Selection(select=("STP5",), ignore=("STP1", "STP0"))
    assert s.enabled("STP105")  # type-mismatch, an error of the checker
    assert s.enabled("STP010")  # syntax error
    assert not s.enabled("STP301")  # a checker warning can


def test_per_file_ignores_match_the_path_or_its_trailing_parts(tmp_path):
    config = Config(path=tmp_path / "stapkit.toml", per_file_ignores=(("tapsets/*.stp", ("STP401",)),))
    assert not for_file(config, str(tmp_path / "proj/tapsets/a.stp")).enabled("STP401")
    assert for_file(config, str(tmp_path / "proj/scripts/a.stp")).enabled("STP401")
    assert for_file(config, str(tmp_path / "proj/tapsets/a.stp")).enabled("STP402")


def test_opt_in_codes_need_their_full_code(monkeypatch):
    monkeypatch.setattr(selection, "OPT_IN", frozenset({"STP599"}))
    assert not Selection().enabled("STP599")
    assert not Selection(select=("STP5",)).enabled("STP599")
    assert Selection(select=("STP599",)).enabled("STP599")
    assert Selection(extend_select=("STP599",)).enabled("STP599")


@pytest.mark.parametrize("text", ["stp501", " STP5 ", "ALL", "STP"])
def test_selectors_are_codes_or_prefixes(text):
    assert check_selector(text) == text.strip().upper()


@pytest.mark.parametrize("text", ["E501", "STP5011", "unused-global", "", "STP-5"])
def test_anything_else_is_refused_with_its_text(text):
    with pytest.raises(SelectorError, match="not a rule code or prefix"):
        check_selector(text)
