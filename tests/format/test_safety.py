"""The safety check of format_text (formatter.check_same_program): whitespace the parser reads.

The parser reads whitespace in one place: between the pieces of a probe
point's name (`sys**open` is one component, `sys* *open` is not).  The check
must see a change there in every branch of every conditional — the branches
the target takes and the others — and through macros, while a change of
spacing in code (`a*b` to `a * b`) is not one.
"""

from __future__ import annotations

import attrs
import pytest

from stapkit.format.formatter import FormatError, _gluing_unchanged, check_same_program, format_text
from stapkit.syntax import ParseOptions, parse_text
from stapkit.syntax.lexer import lex

from ..corpora import TESTSUITE, require

OPTIONS = attrs.evolve(ParseOptions(guru=True, library_macros={}), check_all_branches=False)

# The testsuite's probe-point wildcards under nested conditionals (read in place).
WILDCARDS = TESTSUITE / "parseok" / "preprocess-wildcard.stp"
POINTS = "probe ab, *b, a*b, a*, * {"

# For the target (kernel_v 6.1 by default) the %: branch is taken, not the first one.
UNTAKEN = """\
%( kernel_v < "2.6.9" %?
probe kernel.function("sys_*"), sys**open { x = a*b }
%:
probe syscall.*open* { x = a*b }
%)
"""


def check(text: str, out: str) -> None:
    before = parse_text(text, "case.stp", OPTIONS)
    assert not before.has_errors, before.diagnostics
    check_same_program(text, out, before, "case.stp", OPTIONS)


def test_wildcards_in_every_branch_are_kept_while_the_code_around_is_spaced():
    text = require(WILDCARDS).read_text()
    result = format_text(text, str(WILDCARDS), options=OPTIONS)
    assert result.changed
    assert result.text.count(POINTS) == text.count(POINTS) == 6
    assert result.text.count("f(x * x * y * y)") == 6
    assert not _gluing_unchanged(lex(text, version=(99,)).tokens, lex(result.text, version=(99,)).tokens)


def test_a_probe_point_split_in_the_taken_branch_is_refused():
    text = require(WILDCARDS).read_text()
    out = format_text(text, str(WILDCARDS), options=OPTIONS).text
    with pytest.raises(FormatError, match="for the target"):
        check(text, out.replace(POINTS, POINTS.replace("a*b", "a* b"), 1))


def test_a_probe_point_split_in_an_untaken_branch_is_refused():
    out = format_text(UNTAKEN, "case.stp", options=OPTIONS).text
    assert out.count("x = a * b") == 2 and "sys**open" in out
    check(UNTAKEN, out)
    with pytest.raises(FormatError, match="a branch of a %\\( %\\) conditional the target does not take"):
        check(UNTAKEN, out.replace("sys**open", "sys* *open"))
    with pytest.raises(FormatError, match="for the target"):
        check(UNTAKEN, out.replace("*open*", "*open *"))


def test_a_macro_glued_to_a_probe_point_in_an_untaken_branch_is_kept_and_checked():
    # `sys@rest` is `sys**open` only while the macro body starts with no blank.
    text = "@define rest %(**open%)\n%( kernel_v < \"2.6.9\" %?\nprobe sys@rest { }\n%)\nprobe begin { x = a*b }\n"
    out = format_text(text, "case.stp", options=OPTIONS).text
    assert out == "@define rest %(**open %)\n%( kernel_v < \"2.6.9\" %?\nprobe sys@rest { }\n%)\n" \
                  "probe begin { x = a * b }\n"
    with pytest.raises(FormatError, match="does not take"):
        check(text, out.replace("%(**open", "%( **open"))


@pytest.mark.parametrize("before, after", [
    ("probe sys%( $# > 1 %?*open%: read %) { }", "probe sys%( $# > 1 %? *open%: read %) { }"),
    ("@define m(a) %( sys@a %)\nprobe @m(*open) { }", "@define m(a) %( sys@a %)\nprobe @m( *open) { }"),
    ("@define m %( sys %)\nprobe @m*open { }", "@define m %( sys %)\nprobe @m *open { }"),
])
def test_whitespace_the_preprocessor_may_move_next_to_a_probe_point_piece_is_checked(before, after):
    # Where a directive or a macro comes between two pieces in the file, the
    # quick test cannot tell what the parser will see: the full check runs.
    assert not _gluing_unchanged(lex(before, version=(99,)).tokens, lex(after, version=(99,)).tokens)


def test_a_condition_is_not_read_by_the_parser():
    before = "%(kernel_v>=\"2.6\"%? probe sys**open { } %)"
    after = "%( kernel_v >= \"2.6\" %? probe sys**open { } %)"
    assert _gluing_unchanged(lex(before, version=(99,)).tokens, lex(after, version=(99,)).tokens)
