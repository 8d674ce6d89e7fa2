"""Applying fixes: in order, overlapping ones left for the next round, never to a text that
does not parse, and re-linted after every round."""

from __future__ import annotations

from stapkit.diagnostics import Applicability, Diagnostic, Edit, Fix, Severity, Span
from stapkit.lint.fixes import MAX_ROUNDS, apply_fixes, apply_until_stable


def fixing(start, end, content, applicability=Applicability.SAFE, code="STP599"):
    fix = Fix("replace", (Edit(Span(start, end), content),), applicability)
    return Diagnostic(code, "m", Span(start, end), Severity.WARNING, fix)


def test_fixes_apply_from_left_to_right():
    text = "abcdef"
    assert apply_fixes(text, [fixing(4, 5, "E"), fixing(0, 1, "A")]) == ("AbcdEf", 2)


def test_an_overlapping_fix_waits_for_the_next_round():
    assert apply_fixes("abcdef", [fixing(0, 3, "X"), fixing(2, 4, "Y")]) == ("Xdef", 1)


def test_unsafe_fixes_only_when_asked():
    d = [fixing(0, 1, "A", Applicability.UNSAFE)]
    assert apply_fixes("abc", d) == ("abc", 0)
    assert apply_fixes("abc", d, unsafe=True) == ("Abc", 1)


def test_insertions_and_deletions():
    assert apply_fixes("a;b", [fixing(1, 2, ""), fixing(3, 3, ";")]) == ("ab;", 2)


def test_rounds_repeat_until_nothing_applies():
    # Each round's lint of the new text finds one more "x" to replace.
    def lint(text):
        i = text.find("x")
        return (fixing(i, i + 1, "y"),) if i >= 0 else ()

    outcome = apply_until_stable("xxx", lint("xxx"), lint)
    assert (outcome.text, outcome.applied, outcome.diagnostics, outcome.stopped) == ("yyy", 3, (), None)


def test_a_round_that_breaks_the_syntax_is_not_applied():
    def lint(text):
        return (Diagnostic("STP010", "syntax error", Span(0, 1)),) if "(" in text else ()

    outcome = apply_until_stable("a", (fixing(0, 1, "("),), lint)
    assert outcome.text == "a" and outcome.applied == 0
    assert "does not parse" in outcome.stopped


def test_a_file_with_syntax_errors_is_never_fixed():
    diagnostics = (Diagnostic("STP010", "syntax error", Span(0, 1)), fixing(2, 3, "z"))
    outcome = apply_until_stable("abc", diagnostics, lambda t: ())
    assert outcome.text == "abc" and outcome.applied == 0


def test_fixes_that_never_settle_stop_after_the_last_round():
    def lint(text):
        return (fixing(0, 1, "b" if text[0] == "a" else "a"),)

    outcome = apply_until_stable("a", lint("a"), lint)
    assert outcome.applied == MAX_ROUNDS and "rounds" in outcome.stopped
