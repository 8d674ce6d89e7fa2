"""Agreement with stap on real input: the testsuite, the tapset library, the examples.

The verdicts are stap 4.8's (../shared/reference/corpus-expectations.md,
re-checked with ../shared/tools/stap_oracle.py).  The testsuite scripts are
read with the options of their first line and no arguments, as the testsuite
runs them; the examples with their arguments as placeholders and guru mode
where their .meta file asks for it; tapset files as stap reads tapsets.

Every file also round-trips: printing its tree and parsing the text again
gives the same tree.
"""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

from stapkit.diagnostics import Severity
from stapkit.syntax import ParseOptions, parse_file, parse_text
from stapkit.syntax.printer import print_script

from ..corpora import (
    EXAMPLES,
    TAPSET,
    TESTSUITE,
    example_files,
    example_needs_guru,
    ids,
    require,
    tapset_files,
    stap_run_scripts,
)

pytestmark = pytest.mark.corpus

# Examples stap 4.8 rejects too (stap_oracle.py with -g): a template with `{...}` in it.
EXAMPLES_STAP_REJECTS = {"security-bandaid-template.stp"}


def error_list(result) -> list:
    return [(d.code, d.message, d.span) for d in result.diagnostics if d.severity is Severity.ERROR]


def assert_round_trip(result, options: ParseOptions) -> None:
    printed = print_script(result.script)
    # The printed text has no first line: carry over what it said.
    options = attrs.evolve(options, target=result.target, guru=result.guru, honour_first_line=False)
    again = parse_text(printed, result.path + " (printed)", options)
    assert again.script == result.script, "printing and parsing again changed the tree"
    assert not error_list(again) or error_list(result)


TESTSUITE_OPTIONS = ParseOptions(args=())


@pytest.mark.parametrize("path", stap_run_scripts("parseok"), ids=ids(stap_run_scripts("parseok")))
def test_parseok_parses(path: Path):
    require(TESTSUITE)
    result = parse_file(str(path), TESTSUITE_OPTIONS)
    assert error_list(result) == []
    assert_round_trip(result, TESTSUITE_OPTIONS)


@pytest.mark.parametrize("path", stap_run_scripts("parseko"), ids=ids(stap_run_scripts("parseko")))
def test_parseko_is_rejected(path: Path):
    require(TESTSUITE)
    result = parse_file(str(path), TESTSUITE_OPTIONS)
    assert error_list(result)


def _later_pass_scripts():
    return [p for d in ("semok", "semko", "buildok") for p in stap_run_scripts(d)]


@pytest.mark.parametrize("path", _later_pass_scripts(), ids=ids(_later_pass_scripts()))
def test_semok_semko_buildok_parse(path: Path):
    require(TESTSUITE)
    result = parse_file(str(path), TESTSUITE_OPTIONS)
    assert error_list(result) == []
    assert_round_trip(result, TESTSUITE_OPTIONS)


def test_testsuite_counts():
    """The numbers the issue and corpus-expectations.md give."""
    require(TESTSUITE)
    counts = {d: len(stap_run_scripts(d)) for d in ("parseok", "parseko", "semok", "semko", "buildok")}
    assert counts == {"parseok": 40, "parseko": 122, "semok": 91, "semko": 173, "buildok": 213}


TAPSET_OPTIONS = ParseOptions(tapset=True)


@pytest.mark.parametrize("path", tapset_files(), ids=[str(p.relative_to(TAPSET)) for p in tapset_files()])
def test_tapset_file_parses(path: Path):
    require(TAPSET)
    result = parse_file(str(path), TAPSET_OPTIONS)
    assert error_list(result) == []
    assert_round_trip(result, TAPSET_OPTIONS)


def test_tapset_counts():
    require(TAPSET)
    files = tapset_files()
    assert len([f for f in files if f.suffix == ".stp"]) == 586
    assert len([f for f in files if f.suffix == ".stpm"]) == 21


def _example_options(path: Path) -> ParseOptions:
    return ParseOptions(guru=example_needs_guru(path), tapset=path.parent.name == "tapset")


@pytest.mark.parametrize("path", example_files(), ids=[str(p.relative_to(EXAMPLES)) for p in example_files()])
def test_example_parses(path: Path):
    require(EXAMPLES)
    options = _example_options(path)
    result = parse_file(str(path), options)
    if path.name in EXAMPLES_STAP_REJECTS:
        assert error_list(result)
        return
    assert error_list(result) == []
    assert_round_trip(result, options)


def test_example_count():
    require(EXAMPLES)
    assert len(example_files()) == 201


def test_examples_needing_arguments_parse_with_placeholders():
    """38 examples need $1/@1 (or -g): with placeholders, those needing arguments parse."""
    require(EXAMPLES)
    uses_arguments = [p for p in example_files() if "$1" in p.read_text(errors="replace")
                      or "@1" in p.read_text(errors="replace")]
    assert len(uses_arguments) >= 20
    for path in uses_arguments:
        if path.name in EXAMPLES_STAP_REJECTS:
            continue
        assert error_list(parse_file(str(path), _example_options(path))) == [], path


def test_examples_needing_guru_are_refused_without_it():
    """As stap -p1 without -g: embedded C is a privilege error (STP601)."""
    require(EXAMPLES)
    guru = [p for p in example_files() if example_needs_guru(p) and "%{" in p.read_text(errors="replace")]
    assert guru
    for path in guru:
        result = parse_file(str(path), ParseOptions(guru=False, honour_first_line=False))
        assert {d.code for d in result.diagnostics if d.severity is Severity.ERROR} == {"STP601"}, path
