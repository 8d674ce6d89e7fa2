"""The formatter on every file of the corpora, read in place: safe, idempotent, no comment lost.

For each file: formatting raises no FormatError (same tokens, same comments,
same parser input in every branch — checked inside format_text on every
run), formatting the result again changes nothing, and the comments in and
out are the same; at line lengths 100 (the default), 80 and 40, where most
lines are wrapped.
Files that are not SystemTap scripts (the testsuite's shell drivers) or do
not parse are reported with their syntax errors and left as they are.
"""

from __future__ import annotations

import glob
from collections import Counter
from pathlib import Path

import pytest

from stapkit.format.formatter import _comment, format_text
from stapkit.format.layout import Style
from stapkit.syntax.lexer import lex
from stapkit.syntax.parser import ParseOptions

from ..corpora import EXAMPLES, TAPSET, TESTSUITE, require


def _files(root: Path, pattern: str) -> list[Path]:
    return sorted(Path(p) for p in glob.glob(str(root / pattern), recursive=True))


def _check(paths: list[Path], tapset: bool = False, style: Style = Style()) -> dict:
    problems = {}
    formatted = 0
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        options = ParseOptions(guru=True, tapset=tapset, macro_file=path.suffix == ".stpm")
        result = format_text(text, str(path), style, options)  # raises FormatError if unsafe
        if result.syntax_errors:
            assert result.text == text and not result.changed
            continue
        formatted += 1
        again = format_text(result.text, str(path), style, options)
        if again.changed:
            problems[path.name] = "not idempotent"
        before = Counter(_comment(c.text) for c in lex(text, version=(99,)).comments)
        after = Counter(_comment(c.text) for c in lex(result.text, version=(99,)).comments)
        if before != after:
            problems[path.name] = "comments differ"
    assert formatted, "nothing was formatted"
    return problems


# Line lengths the corpora are formatted at: the default, the usual 80, and 40, where most
# lines are wrapped, some several times, inside brackets on lines that are broken too.
LENGTHS = [100, 80, 40]


@pytest.mark.corpus
@pytest.mark.parametrize("length", LENGTHS)
def test_the_tapset_library(length):
    assert _check(_files(require(TAPSET), "**/*.stp*"), tapset=True, style=Style(line_length=length)) == {}


@pytest.mark.corpus
@pytest.mark.parametrize("length", LENGTHS)
def test_the_examples(length):
    assert _check(_files(require(EXAMPLES), "**/*.stp"), style=Style(line_length=length)) == {}


@pytest.mark.corpus
@pytest.mark.parametrize("style", [Style(indent="\t", line_length=60), Style(brace_style="linux", line_length=80)],
                         ids=["tab-60", "linux-80"])
def test_the_examples_other_settings(style):
    assert _check(_files(require(EXAMPLES), "**/*.stp"), style=style) == {}


@pytest.mark.corpus
@pytest.mark.parametrize("length", LENGTHS)
@pytest.mark.parametrize("directory", ["parseok", "semok", "semko", "buildok"])
def test_the_testsuite(directory, length):
    assert _check(_files(require(TESTSUITE / directory), "*.stp"), style=Style(line_length=length)) == {}


@pytest.mark.corpus
def test_scripts_that_do_not_parse_are_left_alone():
    paths = _files(require(TESTSUITE / "parseko"), "*.stp")
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        result = format_text(text, str(path))
        if result.syntax_errors:
            assert result.text == text and not result.changed
