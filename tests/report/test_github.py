"""The GitHub Actions output (stapkit/report/github.py): workflow commands that become annotations."""

from __future__ import annotations

import re

import attrs

from stapkit.report.github import escape_data, escape_property, render_github

from .findings import TAPSET, linted

FINDINGS = """\
::warning file=findings.stp,line=3,col=8,endLine=3,endColumn=18,title=STP501 unused-global::\
global 'unused_one' is never used
::notice file=findings.stp,line=4,col=8,endLine=4,endColumn=14,title=STP505 write-only-global::\
global 'counts' is written but never read: stap prints it when the script ends%0A\
hint: stap adds an end probe that prints every element, one line each; print it yourself to choose the format, \
or delete it
::warning file=findings.stp,line=5,col=10,endLine=5,endColumn=16,title=STP502 unused-function::\
function 'helper' is never called
::notice file=findings.stp,line=6,col=17,endLine=6,endColumn=27,title=STP504 unused-parameter::\
parameter 'unused_arg' of function 'answer' is never read
::error file=findings.stp,line=8,col=32,endLine=8,endColumn=33,title=STP105 type-mismatch::\
type mismatch: 'counts' is string, the value assigned is long%0A\
note: type of 'counts' was first inferred here (string) (findings.stp:8:3)
::warning file=findings.stp,line=9,col=3,endLine=9,endColumn=6,title=STP503 unused-local::\
local 'foo' of probe begin is assigned but never read
::error file=findings.stp,line=10,col=18,endLine=10,endColumn=25,title=STP101 unresolved-function::\
unresolved function 'exename' (did you mean 'execname', 'pexecname', 'pid2execname', 'task_execname'?)
"""

COMMAND = re.compile(r"^::(?P<command>\w+) (?P<properties>[^:]*)::(?P<data>.*)$")


def read_command(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command read back as the runner reads it: properties split at
    ',' and '=', then %-escapes decoded (%25 last, so "%253A" stays "%3A")."""
    match = COMMAND.match(line)
    assert match, line
    properties = {}
    for pair in match["properties"].split(","):
        key, _, value = pair.partition("=")
        properties[key] = _decode(value)
    return match["command"], properties, _decode(match["data"])


def _decode(text: str) -> str:
    for escaped, plain in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, plain)
    return text


def test_one_command_a_diagnostic_with_its_hints_and_notes_in_the_message():
    found = linted("findings.stp")
    # error, warning and info become ::error, ::warning and ::notice; line 8's
    # column counts the non-ASCII character before it as one.
    assert render_github(found.items, found.index_for) == FINDINGS


def test_a_range_over_several_lines_has_no_columns():
    # GitHub's annotations take columns only on one line.
    found = linted("macro_call.stp")
    assert render_github(found.items, found.index_for) == (
        "::error file=macro_call.stp,line=4,endLine=5,title=STP010 syntax-error::"
        "expected an expression; found ')'%0A"
        f"note: in the expansion of macro '@twice' ({TAPSET / 'twice.stpm'}:4:9)\n")


def test_an_empty_range_has_a_column_and_no_end_column():
    found = linted("empty_range.stp", text='probe begin { printf("x") ')
    assert render_github(found.items, found.index_for) == (
        "::error file=empty_range.stp,line=1,col=26,title=STP011 unexpected-end-of-file::"
        "missing '}' at the end of this declaration%0A"
        "hint: the '{' on line 1 has no matching '}'%0A"
        "note: this '{' is not closed (empty_range.stp:1:13)\n")
    # Without the file's line index the related place is named without a position.
    assert render_github(found.items).endswith("%0Anote: this '{' is not closed (empty_range.stp)\n")


def test_escaping_of_properties_and_message():
    path = "dir with space/a%b:c,d.stp"
    found = linted("findings.stp", shown=path)
    first = found.items[0]
    odd = first._replace(diagnostic=attrs.evolve(first.diagnostic, message="50% done\r\nnext, then: x"))
    assert render_github([odd]) == (
        "::warning file=dir with space/a%25b%3Ac%2Cd.stp,line=3,col=8,endLine=3,endColumn=18,"
        "title=STP501 unused-global::50%25 done%0D%0Anext, then: x\n")


def test_the_runner_reads_back_every_path_and_message():
    paths = ["findings.stp", "dir with space/a%b:c,d.stp", "ü/ñ 100%25.stp", "x,y=1::z.stp", "two\nlines\r.stp"]
    for path in paths:
        found = linted("findings.stp", shown=path)
        lines = render_github(found.items, found.index_for).splitlines()
        assert len(lines) == len(found.items)
        for line, item in zip(lines, found.items):
            command, properties, message = read_command(line)
            assert command == {"error": "error", "warning": "warning", "info": "notice"}[
                item.diagnostic.severity.value]
            assert properties["file"] == path
            assert int(properties["line"]) == item.line
            assert properties["title"].startswith(item.diagnostic.code + " ")
            assert message.split("\n")[0] == item.diagnostic.message


def test_escape_functions():
    assert escape_data("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad:e,f"
    assert escape_property("a%b\rc\nd:e,f") == "a%25b%0Dc%0Ad%3Ae%2Cf"


def test_nothing_to_report_is_no_output():
    assert render_github([]) == ""
