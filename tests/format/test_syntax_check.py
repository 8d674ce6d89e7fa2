"""The formatter asks the parser only whether a file has syntax errors (parse_text(build=False)).

A declaration the grammar accepts is not built; one with a syntax error is
parsed in full.  So the syntax errors (STP010, and the lexer's and
preprocessor's) are the full parse's, and the checks made on what was read
(number ranges, print formats, duplicate names, where `return` may stand)
do not stop formatting.
"""

from __future__ import annotations

import pytest

from stapkit.format.formatter import format_text, syntax_options
from stapkit.syntax.parser import parse_text

from ..corpora import EXAMPLES, TAPSET, TESTSUITE, require

OPTIONS = syntax_options()  # the formatter's


def _errors(result):
    return [(d.code, d.message, d.span) for d in result.diagnostics if d.severity.value == "error"]


@pytest.mark.parametrize("source, message", [
    ("probe begin { x = 1 } , { y = 2 }\n", "only an alias definition can have a second (epilogue) block"),
    ("function f() { if (x) return else y = 1 }\n", "expected ';', '}' or an expression after 'return'"),
    ("probe begin { x = 1 + }\n", "expected an expression; found '}'"),
    ('probe begin { printf("%d\\n", 1\n', "missing '}' at the end of this declaration"),
])
def test_a_syntax_error_is_found_as_the_full_parse_finds_it(source, message):
    full = _errors(parse_text(source, "t.stp", OPTIONS))
    assert full and message in full[0][1]
    assert _errors(parse_text(source, "t.stp", OPTIONS, build=False)) == full
    assert format_text(source, "t.stp").syntax_errors


@pytest.mark.parametrize("source", [
    "function f(x, x) { return x }\n",                    # duplicate parameter names (STP018)
    'probe begin { printd(1, 2, 3) }\n',                    # the delimiter must be a string (STP014)
    "probe begin { x = 9999999999999999999999999 }\n",     # number out of range (STP005)
    "probe begin { return }\n",                            # return outside a function (STP012)
    "global a, a\nprobe begin { }\n",                      # duplicate global (STP018)
])
def test_a_check_on_what_was_read_does_not_stop_formatting(source):
    assert _errors(parse_text(source, "t.stp", OPTIONS))
    assert not _errors(parse_text(source, "t.stp", OPTIONS, build=False))
    result = format_text(source, "t.stp")
    assert not result.syntax_errors


def test_alias_epilogues_and_brace_groups_are_syntax():
    for source in ("probe a = begin { x = 1 } , { y = 2 }\n", "probe syscall.{open,close}, begin { }\n",
                   "function f() { return\n}\n", "function f() { return; }\n"):
        assert not _errors(parse_text(source, "t.stp", OPTIONS, build=False))
        assert not _errors(parse_text(source, "t.stp", OPTIONS))


@pytest.mark.parametrize("root", [TAPSET, EXAMPLES, TESTSUITE], ids=["tapsets", "examples", "testsuite"])
def test_on_the_corpora_the_syntax_errors_are_those_of_the_full_parse(root):
    """Every finding of the check is the full parse's, and so is every syntax error (STP010) of the full parse."""
    files = sorted(p for p in require(root).rglob("*") if p.suffix in (".stp", ".stpm") and p.is_file())
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        full = parse_text(text, str(path), OPTIONS)
        check = parse_text(text, str(path), OPTIONS, build=False)
        full_all = {(d.code, d.message, d.span) for d in full.diagnostics}
        found = [(d.code, d.message, d.span) for d in check.diagnostics]
        assert set(found) <= full_all, path
        assert {e for e in full_all if e[0] == "STP010"} <= set(found), path
