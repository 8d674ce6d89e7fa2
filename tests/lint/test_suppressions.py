"""`# stapkit: disable=...` comments, in every comment form, and STP500 for unused ones."""

from __future__ import annotations

from stapkit.lint.runner import LintOptions, lint_text
from stapkit.lint.selection import Selection

# STP301 (never-assigned local) is a checker warning: it can be suppressed.
SCRIPT = 'probe begin {\n  printf("%d\\n", y)COMMENT\n  exit()\n}\n'


def codes(text: str, selection: Selection = Selection()) -> list[tuple[str, int]]:
    result = lint_text(text, "x.stp", LintOptions(selection=selection))
    return [(d.code, text.count("\n", 0, d.span.start) + 1) for d in result.diagnostics]


def test_the_warning_without_a_suppression():
    assert codes(SCRIPT.replace("COMMENT", "")) == [("STP301", 2)]


def test_a_trailing_comment_in_each_form_suppresses_its_line():
    for comment in ("  # stapkit: disable=STP301", "  // stapkit: disable=STP301",
                    "  /* stapkit: disable=STP301 */", "  # stapkit: disable=STP3",
                    "  # stapkit: disable = stp301"):
        assert codes(SCRIPT.replace("COMMENT", comment)) == [], comment


def test_a_comment_on_its_own_line_covers_the_next_line_with_code():
    text = 'probe begin {\n  // stapkit: disable=STP301\n  # more words\n\n  printf(\"%d\\n\", y)\n  exit()\n}\n'
    assert codes(text) == []


def test_a_comment_on_its_own_line_does_not_cover_later_lines():
    text = 'probe begin {\n  // stapkit: disable=STP301\n  exit()\n  printf(\"%d\\n\", y)\n}\n'
    assert codes(text) == [("STP500", 2), ("STP301", 4)]


def test_disable_file_covers_the_whole_file():
    text = '# stapkit: disable-file=STP301\nprobe begin {\n  printf(\"%d\\n\", y)\n  printf(\"%d\\n\", z)\n  exit()\n}\n'
    assert codes(text) == []


def test_unused_and_unknown_suppressions_are_reported():
    text = 'probe begin { # stapkit: disable=STP105,STP999\n  exit()\n}\n'
    found = lint_text(text, "x.stp").diagnostics
    assert [(d.code, d.message) for d in found] == [
        ("STP500", "suppression of STP105 silences nothing here"),
        ("STP500", "'STP999' is not a rule code or prefix"),
    ]


def test_a_suppression_of_an_ignored_code_is_not_unused():
    text = SCRIPT.replace("COMMENT", "  # stapkit: disable=STP301")
    assert codes(text, Selection(ignore=("STP301",))) == []


def test_stp500_itself_can_be_ignored():
    text = 'probe begin { # stapkit: disable=STP301\n  exit()\n}\n'
    assert codes(text) == [("STP500", 1)]
    assert codes(text, Selection(ignore=("STP500",))) == []


def test_errors_stap_rejects_cannot_be_suppressed():
    text = 'probe begin {\n  x = 1\n  println(x . "s")  # stapkit: disable=STP105\n}\n'
    assert ("STP105", 3) in codes(text)
