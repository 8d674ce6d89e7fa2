"""The Pygments lexer (stapkit.highlight): stapkit's lexer under Pygments' interface."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib

import pytest

pygments = pytest.importorskip("pygments", reason="Pygments is not installed (pip install 'stapkit[pygments]')")

from pygments.token import Comment, Error, Keyword, Name, String  # noqa: E402

from stapkit.highlight import SystemTapLexer  # noqa: E402
from tests.corpora import EXAMPLES, REPO, TAPSET, TESTSUITE, example_files, require, tapset_files  # noqa: E402
from tests.editors.tools import missing  # noqa: E402


def tokens(text: str) -> list[tuple[int, object, str]]:
    return list(SystemTapLexer().get_tokens_unprocessed(text))


def assert_covers(text: str, found: list[tuple[int, object, str]], name: str) -> None:
    """Every character, once, in order: what Pygments needs to print the text back."""
    pos = 0
    for index, _, value in found:
        assert index == pos, f"{name}: a token at {index}, expected {pos}"
        pos += len(value)
    assert "".join(value for _, _, value in found) == text, name


@pytest.mark.corpus
def test_every_corpus_file_is_covered_and_the_library_has_no_errors():
    files = [(p, True) for p in tapset_files() + example_files()]
    require(TAPSET)
    require(EXAMPLES)
    require(TESTSUITE)
    # The testsuite has scripts that are wrong on purpose: they may show errors.
    files += [(p, False) for p in sorted(TESTSUITE.rglob("*.stp"))]
    assert len(files) > 1000
    for path, clean in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        found = tokens(text)
        assert_covers(text, found, str(path))
        if clean:
            errors = [(i, v) for i, kind, v in found if kind is Error]
            assert not errors, f"{path}: {errors[:3]}"


def test_the_hard_places():
    text = ('probe kernel.function("f").return, nd_syscall.*.call { n = $# + @1 ; s = "a\\\nb"\n'
            '  p = @cast($x, "struct file")->function ; @m(1) }\n'
            '%( kernel_v >= "5.0" %? @define m(a) %( @a %) %)\n'
            '%{ static int x; /* %} */\n')
    found = tokens(text)
    assert_covers(text, found, "hard places")
    kinds = {value: kind for _, kind, value in found}
    assert kinds["probe"] is Keyword.Declaration
    assert kinds["return"] is Name.Attribute  # a probe-point component, not the keyword
    assert kinds["function"] is Name.Variable  # a member
    assert kinds["$#"] is Name.Variable.Magic  # the argument count, not a comment
    assert kinds["@1"] is Name.Variable.Magic
    assert kinds["@cast"] is Name.Builtin
    assert kinds["@m"] is Name.Decorator and kinds["@a"] is Name.Decorator
    assert kinds["%("] is Comment.Preproc and kinds["%?"] is Comment.Preproc and kinds["@define"] is Comment.Preproc
    # The string goes on after the backslash; the embedded C ends at the first %}.
    assert kinds["\\\n"] is String.Escape and kinds['b"'] is String.Double
    assert kinds["int"] is Keyword.Type  # C, by Pygments' C lexer
    assert kinds["%}"] is Comment.Preproc
    assert (text.index(" */"), Name.Variable) not in [(i, k) for i, k, _ in found]
    assert not [v for _, k, v in found if k is Error]


def test_junk_is_shown_as_an_error_and_kept():
    text = "probe begin { x = 1 ¤ }\n"
    found = tokens(text)
    assert_covers(text, found, "junk")
    assert [v for _, k, v in found if k is Error] == ["¤"]


def test_the_documentation_examples_highlight_without_errors():
    """The ```systemtap blocks of docs/ (the rule pages among them) show errors only where
    stapkit reports characters that are not SystemTap (STP001's page has some on purpose)."""
    from stapkit.syntax import codes
    from stapkit.syntax.lexer import lex

    blocks = 0
    for page in sorted((REPO / "docs").rglob("*.md")):
        for match in re.finditer(r"```(?:systemtap|stap)\n(.*?)```", page.read_text(encoding="utf-8"), re.S):
            blocks += 1
            found = tokens(match.group(1))
            assert_covers(match.group(1), found, str(page))
            errors = [v for _, k, v in found if k is Error]
            junk = [d for d in lex(match.group(1)).diagnostics if d.code == codes.INVALID_CHARACTER]
            assert bool(errors) == bool(junk), f"{page}: {errors}"
    assert blocks > 100


def test_pyproject_registers_the_lexer_with_pygments():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    target = project["entry-points"]["pygments.lexers"]["systemtap"]
    assert target == "stapkit.highlight:SystemTapLexer"
    assert "pygments" in project["optional-dependencies"]


def test_pygments_finds_the_lexer_by_name_and_file_name():
    """Through the installed entry point, as pygmentize and Sphinx look it up."""
    installed = [e for e in importlib.metadata.entry_points(group="pygments.lexers") if e.name == "systemtap"]
    if not installed:
        missing("stapkit is installed without its pygments.lexers entry point: pip install '.[test]'")
    from pygments.lexers import get_lexer_by_name, get_lexer_for_filename

    assert get_lexer_by_name("systemtap").__class__.__name__ == "SystemTapLexer"
    assert get_lexer_by_name("stap").__class__.__name__ == "SystemTapLexer"
    assert get_lexer_for_filename("top.stp").__class__.__name__ == "SystemTapLexer"
