"""Every output format on the findings of the SystemTap testsuite (read in place)."""

from __future__ import annotations

import json
from collections import Counter
from urllib.parse import unquote

import pytest

from stapkit.diagnostics import LineIndex
from stapkit.lint.runner import lint_file
from stapkit.report.concise import render_concise
from stapkit.report.github import render_github
from stapkit.report.location import locate
from stapkit.report.sarif import render_sarif
from stapkit.report.statistics import render_statistics

from ..corpora import TESTSUITE, require
from .sarif_validation import assert_valid

# semok and buildok add nothing these lack and take most of the time.
DIRECTORIES = ("parseok", "parseko", "semko")


@pytest.fixture(scope="module")
def testsuite_findings():
    root = require(TESTSUITE)
    items, indexes = [], {}
    for directory in DIRECTORIES:
        for path in sorted((root / directory).glob("*.stp")):
            result = lint_file(str(path))
            shown = path.relative_to(root).as_posix()
            index = LineIndex(result.text) if result.text is not None else None
            if index is not None:
                indexes[shown] = index
            items += [locate(shown, index, d) for d in result.diagnostics]
    return root, items, indexes


@pytest.mark.corpus
def test_sarif_of_the_testsuite_is_valid(testsuite_findings, validator):
    root, items, indexes = testsuite_findings
    log = json.loads(render_sarif(items, indexes.get, working_directory=str(root)))
    assert_valid(validator, log)
    (run,) = log["runs"]
    results = run["results"]
    assert len(results) == len(items) > 300
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted({i.diagnostic.code for i in items})
    for result, item in zip(results, items):
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == item.diagnostic.code
        location = result["locations"][0]["physicalLocation"]
        assert unquote(location["artifactLocation"]["uri"]) == item.path
        assert location["region"]["startLine"] == item.line
    # GitHub tells results apart by file, rule and fingerprint: no two may share them.
    keys = Counter((r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["ruleId"],
                    r["partialFingerprints"]["primaryLocationLineHash"]) for r in results)
    assert max(keys.values()) == 1
    assert any("relatedLocations" in r for r in results)
    assert any("fixes" in r for r in results)
    # Some findings span lines.
    assert any(i.end_line > i.line for i in items)


@pytest.mark.corpus
def test_the_line_formats_write_one_line_a_finding(testsuite_findings):
    root, items, indexes = testsuite_findings
    concise = render_concise(items, indexes.get).splitlines()
    assert len([line for line in concise if ": note: " not in line]) == len(items)
    assert len(concise) > len(items)  # the notes of related places
    github = render_github(items, indexes.get).splitlines()
    assert len(github) == len(items)
    assert all(line.startswith(("::error file=", "::warning file=", "::notice file=")) for line in github)
    statistics = render_statistics(items).splitlines()
    assert len(statistics) == len({i.diagnostic.code for i in items}) + 1
    assert sum(int(line.split()[0]) for line in statistics[:-1]) == len(items)
    assert statistics[-1].startswith(f"{len(items)} problems")
