"""The concise output (stapkit/report/concise.py): gcc's `file:line:column: severity: message [CODE]`."""

from __future__ import annotations

import re

import attrs

from stapkit.report.concise import render_concise

from .findings import TAPSET, linted

FINDINGS = """\
findings.stp:3:8: warning: global 'unused_one' is never used [STP501]
findings.stp:4:8: info: global 'counts' is written but never read: stap prints it when the script ends [STP505]
findings.stp:5:10: warning: function 'helper' is never called [STP502]
findings.stp:6:17: info: parameter 'unused_arg' of function 'answer' is never read [STP504]
findings.stp:8:32: error: type mismatch: 'counts' is string, the value assigned is long [STP105]
findings.stp:8:3: note: type of 'counts' was first inferred here (string)
findings.stp:9:3: warning: local 'foo' of probe begin is assigned but never read [STP503]
findings.stp:10:18: error: unresolved function 'exename' (did you mean 'execname', 'pexecname', 'pid2execname', \
'task_execname'?) [STP101]
"""

# What an editor's gcc pattern takes from a line (as Vim's `%f:%l:%c: %t%*[^:]: %m`
# or VS Code's $gcc do): the shortest file name followed by `:line:column: `.
GCC_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<column>\d+): (?P<severity>error|warning|info|note): "
                      r"(?P<message>.*)$")


def test_each_diagnostic_and_each_related_place_on_a_line_of_its_own():
    found = linted("findings.stp")
    # Line 8 has a non-ASCII character before the finding: column 32 counts characters, not bytes.
    assert render_concise(found.items, found.index_for) == FINDINGS


def test_a_related_place_in_another_file_is_a_note_in_that_file():
    found = linted("macro_call.stp")
    assert render_concise(found.items, found.index_for) == (
        "macro_call.stp:4:7: error: expected an expression; found ')' [STP010]\n"
        f"{TAPSET / 'twice.stpm'}:4:9: note: in the expansion of macro '@twice'\n")


def test_without_line_indexes_only_the_notes_that_carry_their_text_are_shown():
    findings = linted("findings.stp")
    assert render_concise(findings.items) == "".join(
        line + "\n" for line in FINDINGS.splitlines() if ": note: " not in line)
    # The macro's place comes with the library file's text, so it needs no index.
    macro = linted("macro_call.stp")
    assert render_concise(macro.items) == render_concise(macro.items, macro.index_for)


def test_gcc_patterns_read_path_position_and_severity_back():
    path = "dir with space/a%b:c,d ü.stp"
    found = linted("findings.stp", shown=path)
    lines = render_concise(found.items, found.index_for).splitlines()
    diagnostics = [line for line in lines if ": note: " not in line]
    assert len(diagnostics) == len(found.items)
    for line, item in zip(diagnostics, found.items):
        match = GCC_LINE.match(line)
        assert match, line
        assert match["file"] == path
        assert (int(match["line"]), int(match["column"])) == (item.line, item.column)
        assert match["severity"] == item.diagnostic.severity.value
        assert match["message"] == f"{item.diagnostic.message} [{item.diagnostic.code}]"


def test_line_breaks_in_paths_and_messages_keep_one_line_a_diagnostic():
    found = linted("findings.stp", shown="two\nlines.stp")
    first = found.items[0]
    broken = first._replace(diagnostic=attrs.evolve(first.diagnostic, message="one\r\ntwo\nthree"))
    assert render_concise([broken]) == "two\\nlines.stp:3:8: warning: one\\r\\ntwo\\nthree [STP501]\n"
    assert render_concise(found.items, found.index_for).count("\n") == len(FINDINGS.splitlines())


def test_nothing_to_report_is_no_output():
    assert render_concise([]) == ""
