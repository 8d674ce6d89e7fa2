"""Checking the branches of %( %) conditionals that the target does not take."""

from __future__ import annotations

from stapkit.diagnostics import Severity

from ..helpers import parse


def findings(result):
    """(code, severity, line) of each diagnostic but the empty-file warning."""
    return [(d.code, d.severity, result.text.count("\n", 0, d.span.start) + 1) for d in result.diagnostics
            if d.code != "STP050"]


def test_error_in_an_untaken_branch_is_a_warning_with_the_target_that_takes_it():
    source = 'probe begin {\n%( kernel_v < "3.0" %?\n  x = (1 +\n%:\n  y = 2\n%)\n}\n'
    result = parse(source)
    (d,) = result.diagnostics
    assert d.severity is Severity.WARNING and d.code == "STP010"
    assert any("kernel_v" in h and "2.99" in h for h in d.hints)


def test_error_noticed_just_after_the_branch_is_still_reported():
    # The missing `)` is only noticed at the `}` after `%)`.
    source = 'probe begin {\n%( kernel_v >= "5.0" %?\n  println("new")\n%:\n  println("old"\n%)\n}\n'
    assert findings(parse(source)) == [("STP010", Severity.WARNING, 7)]


def test_each_branch_is_parsed_with_its_own_language_version_and_guru_mode():
    source = ('%( systemtap_v >= "5.6" %? probe end { println(@enumname(1)) } %)\n'
              '%( guru_mode == 1 %? function f:long() %{ STAP_RETURN(1); %} %)\n')
    assert findings(parse(source)) == []


def test_both_branches_of_an_unreadable_condition_are_checked():
    source = "probe begin {\n%( kernel_v >= 5 %?\n  x = 1 +;\n%:\n  y = 2 +;\n%)\n}\n"
    result = parse(source)
    assert findings(result) == [("STP041", Severity.ERROR, 2), ("STP010", Severity.INFO, 3),
                                ("STP010", Severity.INFO, 5)]
    assert all("could not be evaluated" in h for d in result.diagnostics[1:] for h in d.hints[1:2])


def test_branch_no_target_takes_is_only_information():
    result = parse("%( 1 == 0 %? probe begin { x = } %)\n")
    ((code, severity, _),) = findings(result)
    assert severity is Severity.INFO
    (d,) = [d for d in result.diagnostics if d.code == code]
    assert any("cannot all hold" in h for h in d.hints)


def test_nested_branches_are_reached():
    source = ('%( arch == "x86_64" %?\n  %( kernel_v < "4.0" %? probe a { x = } %: probe b { } %)\n'
              '%: probe c { y = }\n%)\n')
    lines = sorted(line for _, _, line in findings(parse(source)))
    assert lines == [2, 3]


def test_missing_argument_in_a_branch_no_target_takes_is_not_reported():
    result = parse('%( $# >= 1 %? probe begin { println($1) } %: probe end { } %)', args=())
    assert findings(result) == []


def test_only_target_branches_option():
    result = parse('%( kernel_v < "3.0" %? probe begin { x = } %: probe end { } %)',
                   check_all_branches=False)
    assert findings(result) == []
