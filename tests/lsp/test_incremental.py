"""What a check reuses from the last check of a document gives exactly what a check from scratch gives.

Random single-declaration edits (and their undoing) of real scripts: the Debian
examples and the two scripts of benchmarks/lsp.py.  Each edited text is linted
twice, once reusing what the checks of the earlier versions parsed
(syntax/reuse.py, as the language server does) and once from scratch; the
diagnostics, and the trees with every span, must be the same.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stapkit.lint.runner import lint_text
from stapkit.syntax import ast
from stapkit.syntax.parser import parse_text
from stapkit.syntax.reuse import DeclarationReuse, relocated

EXAMPLES = Path("/usr/share/systemtap/examples")
BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "lsp.py"
# Pieces typed into a declaration: words, punctuation, and what changes how a file is split or
# preprocessed (comments, strings, conditionals, macros, embedded C, declaration keywords).
TYPED = ("x", "1", " ", "\n", ";", "(", ")", "{", "}", "[", "]", ",", ".", "#", "//", "/*", "*/", '"',
         "$", "@", "@1", "$1", "%(", "%?", "%:", "%)", "%{", "%}", "probe ", "global ", "function ",
         "private ", "@define m %( 1 %)\n", "@m", "y = 1;", "next", "=", "<<<", "@count(", "++",
         "kernel_v >= \"2.6\"", "try {", "catch", "?", "!", "*", "->")


@functools.cache
def corpus() -> tuple[tuple[str, str], ...]:
    """(name, text) of the scripts edited: the examples, then the benchmark's two."""
    found = []
    if EXAMPLES.is_dir():
        for path in sorted(EXAMPLES.rglob("*.stp")):
            found.append((str(path.relative_to(EXAMPLES)), path.read_bytes().decode("utf-8", "replace")))
    spec = importlib.util.spec_from_file_location("lsp_benchmark", BENCHMARK)
    bench = importlib.util.module_from_spec(spec)
    sys_path = list(sys.path)
    try:
        spec.loader.exec_module(bench)
    finally:
        sys.path[:] = sys_path  # (the benchmark puts its directory first)
    if EXAMPLES.is_dir():
        found.append(("benchmark examples", bench.script_text()))
    found.append(("benchmark aliases", bench.alias_script_text()))
    return tuple(found)


@functools.cache
def declaration_spans(text: str) -> tuple[tuple[int, int], ...]:
    script = parse_text(text, "edited.stp").script
    spans = tuple((item.span.start, item.span.end) for item in script.items) if script is not None else ()
    return spans or ((0, len(text)),)


@st.composite
def edits(draw):
    """A script, and one edit inside one of its declarations: (name, text, start, end, inserted)."""
    scripts = corpus()
    name, text = scripts[draw(st.integers(0, len(scripts) - 1))]
    spans = declaration_spans(text)
    start, end = spans[draw(st.integers(0, len(spans) - 1))]
    at = draw(st.integers(start, end))
    if draw(st.booleans()):
        return name, text, at, at, draw(st.sampled_from(TYPED))
    return name, text, at, min(end, at + draw(st.integers(1, 6))), draw(st.sampled_from(("",) + TYPED))


def spans_of(tree) -> list:
    return [(type(n).__name__, n.span, getattr(n, "name_span", None)) for n in ast.walk(tree)]


def assert_same_parse(reused, fresh) -> None:
    assert reused.diagnostics == fresh.diagnostics
    assert (reused.script is None) == (fresh.script is None)
    if fresh.script is not None:
        assert reused.script == fresh.script
        assert spans_of(reused.script) == spans_of(fresh.script)


def assert_same_lint(reused, fresh) -> None:
    assert reused.diagnostics == fresh.diagnostics
    assert_same_parse(reused.checked.parse, fresh.checked.parse)


pytestmark = pytest.mark.skipif(not corpus(), reason="no scripts to edit")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(edit=edits())
def test_parse_reusing_declarations_is_parsing_from_scratch(edit):
    name, text, start, end, inserted = edit
    edited = text[:start] + inserted + text[end:]
    reuse = DeclarationReuse()
    parse_text(text, name, reuse=reuse)
    assert_same_parse(parse_text(edited, name, reuse=reuse), parse_text(edited, name))
    # Undone: the declarations come back from the parse before last.
    assert_same_parse(parse_text(text, name, reuse=reuse), parse_text(text, name))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(edit=edits(), moved=st.sampled_from(("", "\n", "# a comment\n", "global moved_in\n")))
def test_lint_reusing_declarations_is_lint_from_scratch(edit, moved):
    """The edit, then text put in front of everything (every declaration moves), then both undone."""
    name, text, start, end, inserted = edit
    edited = text[:start] + inserted + text[end:]
    reuse = DeclarationReuse()
    for version in (text, edited, moved + edited, text):
        assert_same_lint(lint_text(version, name, reuse=reuse), lint_text(version, name))


def test_unchanged_declarations_are_reused_and_moved():
    text = "global n\nprobe begin { n = 1 }\nfunction f(x) { return x + 1 }\nprobe end { println(f(n)) }\n"
    reuse = DeclarationReuse()
    first = parse_text(text, "t.stp", reuse=reuse)
    assert (reuse.reused, reuse.parsed) == (0, 4)
    edited = "# typed\n" + text.replace("x + 1", "x + 2")
    second = parse_text(edited, "t.stp", reuse=reuse)
    assert (reuse.reused, reuse.parsed) == (3, 1)
    assert_same_parse(second, parse_text(edited, "t.stp"))
    assert second.script.items[1].span.start == first.script.items[1].span.start + len("# typed\n")
    # A declaration that did not move is the same tree, not a copy.
    third = parse_text(edited + "probe never {}\n", "t.stp", reuse=reuse)
    assert all(a is b for a, b in zip(third.script.items, second.script.items))


def test_a_declaration_with_a_syntax_error_or_a_macro_is_parsed_again():
    text = "@define one %( 1 %)\nprobe begin { x = @one }\nprobe end { y = ( }\n"
    reuse = DeclarationReuse()
    parse_text(text, "t.stp", reuse=reuse)
    again = parse_text(text, "t.stp", reuse=reuse)
    assert (reuse.reused, reuse.parsed) == (0, 2)
    assert_same_parse(again, parse_text(text, "t.stp"))


def test_relocated_moves_every_span():
    tree = parse_text('probe begin { printf("%d\\n", x[1, "a"]) }', "t.stp").script
    moved = relocated(tree, 7)
    assert moved == tree
    for old, new in zip(ast.walk(tree), ast.walk(moved)):
        assert new.span == (old.span.start + 7, old.span.end + 7)
        if hasattr(old, "name_span"):
            assert new.name_span == (old.name_span.start + 7, old.name_span.end + 7)


@pytest.mark.parametrize("first_line", ["", "#! stap --compatible=2.9\n", "#! stap -g\n"])
def test_the_tokens_the_features_read_are_the_lexers_even_when_lexed_once_for_the_parse(first_line):
    """analysis.analyze lexes the text once, for the parse and for the features (tokens as written)."""
    from stapkit.lsp.analysis import analyze
    from stapkit.lsp.documents import UTF16
    from stapkit.lsp.settings import Settings
    from stapkit.syntax.lexer import lex

    text = first_line + '@define two %( 2 %)\nprivate global p\nprobe begin { printf("%d\\n", @two + $1) }\n'
    analysis = analyze("file:///t.stp", "/t.stp", 1, text, Settings().options_for("/t.stp"), UTF16)
    assert analysis.tokens() == lex(text, version=analysis.parse.target.language_version).tokens
    assert [t.kind for t in analysis.tokens_at(text.index("private") + 2)] == [
        "PRIVATE" if not first_line.startswith("#! stap --compatible=2") else "IDENT"]


def test_the_deepest_trees_the_parser_builds_are_moved_too():
    """Moving a tree recurses once per level: the deepest trees the parser accepts must not exhaust it."""
    from stapkit.syntax.parser import MAX_PARSE_STACK

    depth = MAX_PARSE_STACK - 10
    for body in ("x = " + "(" * depth + "1" + ")" * depth, "if (x) " * (depth // 4) + "x = 1",
                 "x = " + "- " * (depth - 5) + "1", "x = " + " + ".join(["1"] * 240)):
        text = f"global x\nprobe begin {{ {body} }}\n"
        reuse = DeclarationReuse()
        first = parse_text(text, "deep.stp", reuse=reuse)
        assert not first.diagnostics, first.diagnostics[:1]
        moved = parse_text("# moved\n" + text, "deep.stp", reuse=reuse)
        assert reuse.reused == 2
        assert_same_parse(moved, parse_text("# moved\n" + text, "deep.stp"))
