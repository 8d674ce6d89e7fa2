"""Golden tests of the style: each tests/format/golden/NAME.stp formats to NAME.expected.stp, byte for byte.

One pair per rule of docs/formatting.md.  A case's first line may be
`# flags: indent=tab line-length=60` (a SystemTap comment, so the case stays
a valid script and the line stays in the output) to format it with other
settings; without it the defaults apply.  For each case:

* formatting the input gives the expected output exactly (format_text, so
  the safety checks run too);
* the expected output is a fixed point: formatting it changes nothing;
* the same case with CRLF line endings gives the expected output with CRLF;
* the case formatted at line length 1, where every possible break is taken,
  is still the same program (format_text checks it) and a fixed point.

To see what a case gives now: `python3 -m stapkit format - < tests/format/golden/NAME.stp`
(with the case's flags as options).
"""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pytest

from stapkit.format.formatter import format_text
from stapkit.format.layout import Style, layout

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p for p in GOLDEN.glob("*.stp") if not p.name.endswith(".expected.stp"))
_FLAGS = re.compile(r"# flags: (?P<flags>.*)")


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8")  # as it is: CRLF, no final newline


def style_of(text: str) -> Style:
    """The settings of a case: its `# flags:` first line over the defaults."""
    style = Style()
    match = _FLAGS.match(text)
    if match is None:
        return style
    for flag in match["flags"].split():
        key, _, value = flag.partition("=")
        if key == "indent":
            style = attrs.evolve(style, indent="\t" if value == "tab" else " " * int(value))
        elif key == "line-length":
            style = attrs.evolve(style, line_length=int(value))
        elif key == "brace-style":
            style = attrs.evolve(style, brace_style=value)
        else:
            raise ValueError(f"unknown flag {key!r}")
    return style


def formatted(text: str, style: Style) -> str:
    result = format_text(text, "golden.stp", style)  # raises FormatError if unsafe
    assert not result.syntax_errors, result.syntax_errors
    return result.text


def test_there_are_cases():
    assert len(CASES) >= 20
    for case in CASES:
        assert case.with_suffix(".expected.stp").exists(), f"{case.name} has no expected output"


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_formats_to_the_expected_output(case: Path):
    text = read(case)
    expected = read(case.with_suffix(".expected.stp"))
    assert formatted(text, style_of(text)) == expected


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_the_expected_output_is_a_fixed_point(case: Path):
    expected = read(case.with_suffix(".expected.stp"))
    style = style_of(expected)
    result = format_text(expected, "golden.stp", style)
    assert not result.changed and result.text == expected
    assert layout(expected, style) == expected


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_crlf_line_endings_are_kept(case: Path):
    text = read(case).replace("\r\n", "\n")
    expected = read(case.with_suffix(".expected.stp")).replace("\r\n", "\n")
    assert formatted(text.replace("\n", "\r\n"), style_of(text)) == expected.replace("\n", "\r\n")


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_every_break_taken_is_still_safe_and_stable(case: Path):
    text = read(case)
    style = attrs.evolve(style_of(text), line_length=1)
    once = formatted(text, style)
    assert formatted(once, style) == once
