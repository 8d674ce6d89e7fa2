"""`_Layout.run`'s short way for plain tokens changes nothing: the layout is the same without it.

run lays half the tokens of a file (names, literals, brackets, binary
operators inside a statement's line) out the short way, doing only what its
long way would do for them.  These tests lay real files, the golden cases and
generated programs out both ways and compare: a rule added to the long way
that also applies to such tokens, and not added to the short way, shows here.
"""

from __future__ import annotations

import glob
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from stapkit.format.layout import Style, _Layout

from ..corpora import EXAMPLES, TAPSET, TESTSUITE, require
from .test_properties import commented_programs, styles

GOLDEN = Path(__file__).parent / "golden"
STYLES = (Style(), Style(line_length=40), Style(indent="\t", line_length=80, brace_style="linux"))


def both_ways(text: str, style: Style) -> tuple[list[str], list[str]]:
    return (_Layout(text, style).layout_lines(), _Layout(text, style, fast_path=False).layout_lines())


def _files(root: Path, pattern: str, every: int) -> list[Path]:
    return sorted(Path(p) for p in glob.glob(str(root / pattern), recursive=True))[::every]


@pytest.mark.parametrize("corpus", ["tapset", "examples", "testsuite", "golden"])
def test_the_short_way_lays_out_as_the_long_way(corpus):
    paths = {
        "tapset": lambda: _files(require(TAPSET), "**/*.stp*", 4),
        "examples": lambda: _files(require(EXAMPLES), "**/*.stp", 2),
        "testsuite": lambda: _files(require(TESTSUITE), "**/*.stp", 8),
        "golden": lambda: _files(GOLDEN, "*.stp", 1),
    }[corpus]()
    assert paths
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        for style in STYLES:
            fast, slow = both_ways(text, style)
            assert fast == slow, (str(path), style)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=commented_programs(), style=styles)
def test_the_short_way_lays_out_generated_programs_as_the_long_way(text, style):
    fast, slow = both_ways(text, style)
    assert fast == slow
