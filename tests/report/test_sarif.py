"""The SARIF output (stapkit/report/sarif.py), validated against the official SARIF 2.1.0 schema."""

from __future__ import annotations

import copy
import hashlib
import json
import os
from pathlib import Path
from urllib.parse import unquote

import attrs
import pytest

from stapkit.diagnostics import Diagnostic, LineIndex, Severity, Span
from stapkit.lint.registry import all_rules
from stapkit.report.location import locate
from stapkit.report.sarif import artifact_location, render_sarif, sarif_log

from .findings import DATA, TAPSET, data_text, linted
from .sarif_validation import SCHEMA_FILE, SCHEMA_SHA256, URI_CHARACTERS, assert_valid

RULE_PAGES = Path(__file__).resolve().parents[2] / "docs" / "rules"


def log_of(found, root=DATA, **options) -> dict:
    text = render_sarif(found.items, found.index_for, working_directory=str(root), **options)
    return json.loads(text)


def test_the_schema_is_the_official_one_unmodified():
    assert hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest() == SCHEMA_SHA256
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert schema["id"] == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def test_findings_make_a_valid_log_with_rules_results_and_fixes(validator):
    found = linted("findings.stp")
    log = log_of(found)
    assert_valid(validator, log)
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "stapkit"
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": DATA.as_uri() + "/"}}
    # The rules are the codes used, sorted; each result points at its own.
    assert [r["id"] for r in driver["rules"]] == ["STP101", "STP105", "STP501", "STP502", "STP503", "STP504",
                                                  "STP505"]
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    rule = driver["rules"][0]
    assert rule == {
        "id": "STP101",
        "name": "unresolved-function",
        "shortDescription": {"text": "a call to a function neither the script nor the tapset library defines"},
        "fullDescription": {"text": "a call to a function neither the script nor the tapset library defines"},
        # No helpUri until stapkit is published (stapkit.PROJECT_URL): the help says where to read.
        "help": {"text": "a call to a function neither the script nor the tapset library defines\n\n"
                         "Documentation: stapkit rule STP101",
                 "markdown": "a call to a function neither the script nor the tapset library defines\n\n"
                             "Documentation: `stapkit rule STP101`"},
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["checker"], "problem.severity": "error"},
    }
    assert [(r["ruleId"], r["level"], tuple(r["locations"][0]["physicalLocation"]["region"].values()))
            for r in run["results"]] == [
        ("STP501", "warning", (3, 8, 3, 18)),
        ("STP505", "note", (4, 8, 4, 14)),
        ("STP502", "warning", (5, 10, 5, 16)),
        ("STP504", "note", (6, 17, 6, 27)),
        ("STP105", "error", (8, 32, 8, 33)),  # after "é": columns count code points
        ("STP503", "warning", (9, 3, 9, 6)),
        ("STP101", "error", (10, 18, 10, 25)),
    ]
    by_code = {r["ruleId"]: r for r in run["results"]}
    assert by_code["STP105"] == {
        "ruleId": "STP105",
        "ruleIndex": 1,
        "level": "error",
        "message": {"text": "type mismatch: 'counts' is string, the value assigned is long\n"
                            "note: [type of 'counts' was first inferred here (string)](1)"},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": "findings.stp", "uriBaseId": "%SRCROOT%"},
            "region": {"startLine": 8, "startColumn": 32, "endLine": 8, "endColumn": 33}}}],
        # Pinned: a change of these values closes every alert on GitHub and opens it again.
        # sha256('STP105\0counts[1]="é";counts[2]=3'), the code and line 8 without blanks.
        "partialFingerprints": {"primaryLocationLineHash": "cbaf536e2db04c39:1"},
        "relatedLocations": [{
            "id": 1,
            "physicalLocation": {
                "artifactLocation": {"uri": "findings.stp", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 8, "startColumn": 3, "endLine": 8, "endColumn": 12}},
            "message": {"text": "type of 'counts' was first inferred here (string)"}}],
    }
    assert by_code["STP505"]["message"]["text"] == (
        "global 'counts' is written but never read: stap prints it when the script ends\n"
        "hint: stap adds an end probe that prints every element, one line each; print it yourself to choose "
        "the format, or delete it")
    assert by_code["STP501"]["fixes"] == [{
        "description": {"text": "Delete the declaration of 'unused_one'"},
        "artifactChanges": [{"artifactLocation": {"uri": "findings.stp", "uriBaseId": "%SRCROOT%"},
                             "replacements": [{"deletedRegion": {"startLine": 3, "startColumn": 1,
                                                                 "endLine": 4, "endColumn": 1}}]}],
        "properties": {"applicability": "safe"},
    }]


def test_broken_logs_fail_the_schema(validator):
    """The validation is real: each of these changes makes the log invalid."""
    log = log_of(linted("findings.stp"))
    assert validator.is_valid(log)

    def broken(change):
        other = copy.deepcopy(log)
        change(other)
        return [e.message for e in validator.iter_errors(other)]

    assert broken(lambda x: x.update(version="2.0.0"))
    assert broken(lambda x: x["runs"][0]["results"][0].pop("message"))
    assert broken(lambda x: x["runs"][0]["results"][0].update(level="fatal"))
    assert broken(lambda x: x["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"].update(
        startLine=0))
    assert broken(lambda x: x["runs"][0]["results"][4]["relatedLocations"].append(
        x["runs"][0]["results"][4]["relatedLocations"][0]))  # relatedLocations are unique
    assert broken(lambda x: x["runs"][0]["tool"]["driver"].pop("name"))
    assert broken(lambda x: x["runs"][0].update(columnKind="bytes"))
    # And the URI check that stands in for the schema's "format": "uri-reference".
    unencoded = copy.deepcopy(log)
    unencoded["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "a b.stp"
    assert validator.is_valid(unencoded)
    with pytest.raises(AssertionError, match="a b.stp"):
        assert_valid(validator, unencoded)


def test_the_fix_applied_as_sarif_says_deletes_the_declaration():
    found = linted("findings.stp")
    log = log_of(found)
    (result,) = [r for r in log["runs"][0]["results"] if "fixes" in r]
    (replacement,) = result["fixes"][0]["artifactChanges"][0]["replacements"]
    region = replacement["deletedRegion"]
    text = data_text("findings.stp")
    index = LineIndex(text)
    start = index.offset(region["startLine"], region["startColumn"])
    end = index.offset(region["endLine"], region["endColumn"])
    fixed = text[:start] + replacement.get("insertedContent", {}).get("text", "") + text[end:]
    assert fixed == text.replace("global unused_one\n", "")
    assert "STP501" not in [d.diagnostic.code for d in linted("findings.stp", text=fixed).items]


def test_without_the_text_a_fix_is_given_by_offsets(validator):
    found = linted("findings.stp")
    log = json.loads(render_sarif(found.items, working_directory=str(DATA)))
    assert_valid(validator, log)
    (result,) = [r for r in log["runs"][0]["results"] if "fixes" in r]
    region = result["fixes"][0]["artifactChanges"][0]["replacements"][0]["deletedRegion"]
    text = data_text("findings.stp")
    assert text[region["charOffset"]:region["charOffset"] + region["charLength"]] == "global unused_one\n"


def test_related_places_in_another_file(validator, tmp_path):
    found = linted("macro_call.stp")
    # The working directory holds the library: a relative URI.
    log = log_of(found, root=DATA)
    assert_valid(validator, log)
    (result,) = log["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 4, "startColumn": 7, "endLine": 5, "endColumn": 7}
    assert result["message"]["text"] == "expected an expression; found ')'\n" \
                                        "note: [in the expansion of macro '@twice'](1)"
    assert result["relatedLocations"] == [{
        "id": 1,
        "physicalLocation": {"artifactLocation": {"uri": "tapset/twice.stpm", "uriBaseId": "%SRCROOT%"},
                             "region": {"startLine": 4, "startColumn": 9, "endLine": 4, "endColumn": 10}},
        "message": {"text": "in the expansion of macro '@twice'"}}]
    # Elsewhere: an absolute file URI, and no uriBaseId.
    log = log_of(found, root=tmp_path)
    assert_valid(validator, log)
    related = log["runs"][0]["results"][0]["relatedLocations"][0]["physicalLocation"]["artifactLocation"]
    assert related == {"uri": (TAPSET / "twice.stpm").as_uri()}


def test_uris_are_relative_to_the_working_directory_and_percent_encoded():
    root = "/work/project"
    relative = {
        "findings.stp": "findings.stp",
        "./sub/../dir with space/a%b:c,d.stp": "dir%20with%20space/a%25b%3Ac%2Cd.stp",
        "ü/é.stp": "%C3%BC/%C3%A9.stp",
        "/work/project/sub/x.stp": "sub/x.stp",
        os.fsdecode(b"bad\xff.stp"): "bad%FF.stp",  # a file name that is not UTF-8 keeps its bytes
        "-": "-",
    }
    for path, uri in relative.items():
        assert artifact_location(path, root) == {"uri": uri, "uriBaseId": "%SRCROOT%"}, path
        assert URI_CHARACTERS.fullmatch(uri)
    assert unquote(artifact_location("ü/a%b:c,d e.stp", root)["uri"]) == "ü/a%b:c,d e.stp"
    assert artifact_location("/elsewhere/a b:c.stp", root) == {"uri": "file:///elsewhere/a%20b%3Ac.stp"}
    assert artifact_location("../x.stp", root) == {"uri": "file:///work/x.stp"}
    assert artifact_location("/work/projectile/x.stp", root) == {"uri": "file:///work/projectile/x.stp"}


def test_messages_and_paths_with_odd_characters_stay_valid(validator):
    found = linted("findings.stp", shown="dir with space/a%b:c,d ü.stp")
    first = found.items[0]
    odd = first._replace(diagnostic=attrs.evolve(first.diagnostic, message="50% [x](1) \\ \"q\"\r\nnext: ü, 𝄞"))
    log = json.loads(render_sarif([odd] + found.items[1:], found.index_for, working_directory=str(DATA)))
    assert_valid(validator, log)
    result = log["runs"][0]["results"][0]
    assert result["message"]["text"] == "50% [x](1) \\ \"q\"\r\nnext: ü, 𝄞"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "dir%20with%20space/a%25b%3Ac%2Cd%20%C3%BC.stp"
    # A related message's brackets and backslashes are escaped inside its link.
    d = found.items[4].diagnostic
    assert d.code == "STP105"
    related = attrs.evolve(d.related[0], message="see a[1] \\ here")
    item = found.items[4]._replace(diagnostic=attrs.evolve(d, related=(related,)))
    log = json.loads(render_sarif([item], found.index_for, working_directory=str(DATA)))
    assert log["runs"][0]["results"][0]["message"]["text"].endswith("\nnote: [see a\\[1\\] \\\\ here](1)")
    assert log["runs"][0]["results"][0]["relatedLocations"][0]["message"]["text"] == "see a[1] \\ here"


def _fingerprints(found) -> dict[str, str]:
    log = sarif_log(found.items, found.index_for, working_directory=str(DATA))
    return {r["ruleId"]: r["partialFingerprints"]["primaryLocationLineHash"] for r in log["runs"][0]["results"]}


def test_fingerprints_survive_lines_added_above_and_reindenting():
    text = data_text("findings.stp")
    before = _fingerprints(linted("findings.stp"))
    assert len(set(before.values())) == len(before)
    moved = "# a comment\n\n" + text.replace("  foo = answer(0)", "\tfoo   =   answer( 0 )")
    assert _fingerprints(linted("findings.stp", text=moved)) == before
    # The finding's own line changed: its fingerprint changes, no other does.
    changed = _fingerprints(linted("findings.stp", text=text.replace("exename()", "exenam()")))
    assert changed["STP101"] != before["STP101"]
    assert {c: f for c, f in changed.items() if c != "STP101"} == {c: f for c, f in before.items() if c != "STP101"}


def test_equal_lines_are_told_apart_by_their_order():
    text = 'probe begin {\n  printf("%s\\n", exename())\n  printf("%s\\n", exename())\n}\n'
    found = linted("twice.stp", text=text)
    log = sarif_log(found.items, found.index_for, working_directory=str(DATA))
    first, second = [r["partialFingerprints"]["primaryLocationLineHash"] for r in log["runs"][0]["results"]]
    assert first.endswith(":1") and second.endswith(":2")
    assert first.split(":")[0] == second.split(":")[0]
    # The order of the items given does not change which is which.
    reversed_log = sarif_log(found.items[::-1], found.index_for, working_directory=str(DATA))
    assert [r["partialFingerprints"]["primaryLocationLineHash"] for r in reversed_log["runs"][0]["results"]] == [
        second, first]


def rule_page(code: str) -> str | None:
    path = RULE_PAGES / f"{code}.md"
    return path.read_text(encoding="utf-8") if path.is_file() else None


def test_rule_pages_give_the_full_description_and_help(validator):
    found = linted("findings.stp")
    log = log_of(found, rule_help=rule_page)
    assert_valid(validator, log)
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    page = rule_page("STP101")
    assert rules["STP101"]["help"] == {"text": page, "markdown": page}
    full = rules["STP101"]["fullDescription"]["text"]
    assert full.startswith("A call to a function that neither the script nor the tapset library")
    assert "\n" not in full and full in " ".join(page.split())
    assert rules["STP101"]["shortDescription"]["text"] == \
        "a call to a function neither the script nor the tapset library defines"


def test_every_rule_with_its_page_makes_a_valid_descriptor(validator):
    text = "probe begin { exit() }\n"
    index = LineIndex(text)
    items = [locate("x.stp", index, Diagnostic(code, "a finding", Span(6, 11), entry.severity))
             for code, entry in all_rules().items()]
    log = sarif_log(items, {"x.stp": index}.get, working_directory="/tmp", rule_help=rule_page)
    assert_valid(validator, log)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(all_rules())
    for rule in rules:
        full = rule["fullDescription"]["text"]
        assert 0 < len(full) <= 1024  # GitHub takes 1024 characters
        if rule_page(rule["id"]) is None:  # (tests/test_docs.py requires the page)
            assert full == rule["shortDescription"]["text"]
            assert rule["help"]["markdown"].endswith(f"`stapkit rule {rule['id']}`")
            continue
        # The page's "What it finds" section, not the summary.
        assert full != rule["shortDescription"]["text"], rule["id"]
        assert rule["help"]["markdown"].startswith(f"# {rule['id']}: {rule['name']}")


def test_a_code_without_a_rule_and_an_empty_run_are_valid(validator):
    text = "probe begin { exit() }\n"
    unknown = locate("x.stp", LineIndex(text), Diagnostic("STP999", "something new", Span(6, 11), Severity.INFO))
    log = json.loads(render_sarif([unknown], working_directory="/tmp"))
    assert_valid(validator, log)
    (rule,) = log["runs"][0]["tool"]["driver"]["rules"]
    assert rule["id"] == "STP999" and "defaultConfiguration" not in rule
    assert log["runs"][0]["results"][0]["level"] == "note"
    empty = json.loads(render_sarif([], working_directory="/tmp"))
    assert_valid(validator, empty)
    assert empty["runs"][0]["results"] == [] and empty["runs"][0]["tool"]["driver"]["rules"] == []


def test_the_output_is_ascii_json_ending_in_a_newline():
    found = linted("findings.stp", shown="ü.stp")
    text = render_sarif(found.items, found.index_for, working_directory=str(DATA))
    assert text.endswith("}\n") and text.isascii()
    assert json.loads(text) == sarif_log(found.items, found.index_for, working_directory=str(DATA))
