"""Bad input gives diagnostics, never an exception or a hang."""

from __future__ import annotations

import os

import pytest

from stapkit.diagnostics import LineIndex, Severity
from stapkit.syntax import ParseOptions, parse_file, parse_text
from stapkit.syntax.source import decode_source

from ..helpers import codes, errors, parse

NO_LIBRARY = ParseOptions(library_macros={})


def write(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_binary_file(tmp_path):
    path = write(tmp_path, "core.stp", bytes(range(256)) * 8)
    result = parse_file(path, NO_LIBRARY)
    assert [d.code for d in result.diagnostics] == ["STP052"]
    assert result.script is None


def test_invalid_utf8_in_a_comment_is_only_a_warning(tmp_path):
    path = write(tmp_path, "latin1.stp", b"# caf\xe9\nprobe begin { println(\"ok\") }\n")
    result = parse_file(path, NO_LIBRARY)
    assert [(d.code, d.severity) for d in result.diagnostics] == [("STP053", Severity.WARNING)]
    assert result.script is not None and len(result.script.items) == 1


def test_invalid_utf8_in_code_is_an_error(tmp_path):
    path = write(tmp_path, "junk.stp", b"probe begin { x = 1 \xff\xfe }\n")
    result = parse_file(path, NO_LIBRARY)
    assert "STP001" in [d.code for d in result.diagnostics if d.severity is Severity.ERROR]


def test_crlf_line_endings(tmp_path):
    source = b"probe begin {\r\n  x = (1 +\r\n}\r\n"
    path = write(tmp_path, "dos.stp", source)
    result = parse_file(path, NO_LIBRARY)
    (d,) = errors(result)
    assert LineIndex(result.text).line_col(d.span.start) == (3, 1)
    assert LineIndex(result.text).line_text(2) == "  x = (1 +"


def test_file_too_large(tmp_path):
    path = write(tmp_path, "huge.stp", b"probe begin { x = 1 }\n" * (10 * 1024 * 1024 // 22 + 1))
    assert os.path.getsize(path) > 10 * 1024 * 1024
    result = parse_file(path, NO_LIBRARY)
    assert [d.code for d in result.diagnostics] == ["STP051"]
    assert "too large" in result.diagnostics[0].message


def test_large_file_within_a_raised_limit_parses(tmp_path):
    body = b"probe timer.ms(100) { count[execname()] <<< 1 }\n" * 20000  # ~1 MB
    path = write(tmp_path, "big.stp", b"global count\n" + body)
    result = parse_file(path, ParseOptions(library_macros={}, max_file_size=len(body) * 2))
    assert not errors(result)
    assert len(result.script.items) == 20001


def test_unreadable_and_missing_files(tmp_path):
    missing = parse_file(str(tmp_path / "nope.stp"), NO_LIBRARY)
    assert [d.code for d in missing.diagnostics] == ["STP051"]
    directory = parse_file(str(tmp_path), NO_LIBRARY)
    assert "is a directory" in directory.diagnostics[0].message
    if os.geteuid() != 0:  # root can read anything
        locked = tmp_path / "locked.stp"
        locked.write_text("probe begin {}")
        locked.chmod(0)
        assert [d.code for d in parse_file(str(locked), NO_LIBRARY).diagnostics] == ["STP051"]


@pytest.mark.parametrize("opener", ["(", "{", "[", "if (a) "])
def test_deep_nesting_is_refused_not_crashed(opener):
    closer = {"(": ")", "{": "}", "[": "]", "if (a) ": ""}[opener]
    inner = "1" if opener in "([" else ("x = 1" if opener == "if (a) " else "")
    prefix = "x = " if opener in "([" else ""
    source = "probe begin { " + prefix + opener * 10000 + inner + closer * 10000 + " }\nprobe end { }"
    result = parse(source)
    assert any("nesting too deep" in d.message for d in errors(result)) or errors(result)
    # The next declaration is still there.
    assert result.script.items and type(result.script.items[-1]).__name__ == "ProbeDecl"


def test_deeply_nested_conditionals():
    source = '%( 1 == 1 %? ' * 5000 + "probe begin { }" + " %)" * 5000
    result = parse(source)
    assert not errors(result) and len(result.script.items) == 1


@pytest.mark.parametrize("source,code", [
    ("probe begin { /* never closed", "STP011"),
    ('probe begin { x = "never closed\n}', "STP002"),
    ("probe begin { %{ never closed }", "STP003"),
    ("probe begin { x = 1", "STP011"),
    ("@define m %( never closed", "STP042"),
    ("%( arch == \"x86_64\" %? probe begin {}", "STP040"),
])
def test_unterminated_constructs(source, code):
    assert code in codes(parse(source, guru=True), severity=None)


def test_nul_bytes_detected_before_decoding():
    source = decode_source("x.stp", b"probe begin {}\x00")
    assert source.text is None and source.diagnostics[0].code == "STP052"


def test_error_storm_is_capped():
    result = parse(") " * 5000)
    assert len(result.diagnostics) <= 201
