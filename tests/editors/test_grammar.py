"""The VS Code extension's TextMate grammar against stapkit's own lexer, over the corpora.

Every file of the corpora (the testsuite's scripts, the tapset library, the
examples) is tokenized twice: by stapkit's lexer, and by the grammar the way VS
Code runs it (vscode-textmate with the Oniguruma engine, editors/vscode/test/
tokenize.js). Each token of a category below must carry that category's scopes on
every character, and nothing else may carry them. Disagreements are counted per
category and the first of each are listed.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from stapkit.syntax.lexer import lex
from stapkit.syntax.tokens import AT_WORDS, KEYWORD_KINDS
from tests.corpora import TESTSUITE, example_files, require, tapset_files, TAPSET, EXAMPLES
from tests.editors.tools import VSCODE, require_node_modules

# The grammar's scopes, by the category of lexer token they mark.
SCOPES = {
    "keyword": ["keyword.control.systemtap", "storage.modifier.systemtap", "storage.type.systemtap",
                "storage.type.function.systemtap", "storage.type.probe.systemtap"],
    "string": ["string.quoted.double.systemtap"],
    "number": ["constant.numeric.systemtap"],
    "comment": ["comment.block.systemtap", "comment.line.double-slash.systemtap",
                "comment.line.number-sign.systemtap"],
    "embedded-c": ["meta.embedded.c.systemtap"],
    "target-variable": ["variable.other.target.systemtap"],
    "argument": ["variable.language.argument.systemtap"],
    "at-operator": ["support.function.builtin.systemtap"],
    "macro": ["entity.name.function.macro.systemtap"],
    "preprocessor": ["keyword.control.directive.define.systemtap",
                     "keyword.control.directive.conditional.systemtap"],
}
# The categories the grammar must get exactly right (the rest are reported too).
EXACT = ("keyword", "string", "comment", "embedded-c")

_KIND_CATEGORY = {
    **{kind: "keyword" for kind in KEYWORD_KINDS},
    "STRING": "string",
    "NUMBER": "number",
    "EMBEDDED": "embedded-c",
    "TARGET": "target-variable",
    "PRETTY": "target-variable",
    "ARG_NUM": "argument",
    "ARG_STR": "argument",
    **{kind: "at-operator" for kind in AT_WORDS.values() if kind != "DEFINE"},
    "AT_OTHER": "macro",
    "DEFINE": "preprocessor",
    "PP_OPEN": "preprocessor",
    "PP_THEN": "preprocessor",
    "PP_ELSE": "preprocessor",
    "PP_CLOSE": "preprocessor",
}


def lexer_tokens(text: str) -> list[tuple[int, int, str]]:
    """(start, end, category) of the tokens the grammar must mark, by stapkit's lexer."""
    result = lex(text)
    out = [(c.start, c.end, "comment") for c in result.comments]
    previous = None
    for token in result.tokens:
        category = _KIND_CATEGORY.get(token.kind)
        # A keyword spelled after `.` or `->` is a probe-point component
        # (kernel.function, .return) or a member: the grammar marks it as such.
        if category == "keyword" and previous in ("DOT", "ARROW"):
            category = None
        if category is not None:
            out.append((token.start, token.end, category))
        previous = token.kind
    return out


def grammar_runs(texts: list[str]) -> list[list[tuple[int, int, str]]]:
    """(start, end, category) of the grammar's tokens that carry a category's scope."""
    categories = {scope: category for category, scopes in SCOPES.items() for scope in scopes}
    request = json.dumps({"categories": categories, "texts": texts})
    done = subprocess.run(["node", str(VSCODE / "test" / "tokenize.js")], input=request,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == len(texts)
    return [[tuple(run) for run in json.loads(line)] for line in lines]


class Comparison:
    def __init__(self) -> None:
        self.compared: Counter[str] = Counter()
        self.disagreements: Counter[str] = Counter()
        self.examples: dict[str, list[str]] = defaultdict(list)

    def add(self, name: str, text: str, expected: list[tuple[int, int, str]],
            got: list[tuple[int, int, str]]) -> None:
        lexer_at = [None] * len(text)
        for start, end, category in expected:
            lexer_at[start:end] = [category] * (end - start)
        grammar_at = [None] * len(text)
        for start, end, category in got:
            grammar_at[start:end] = [category] * (end - start)
        for start, end, category in expected:
            self.compared[category] += 1
            wrong = [i for i in range(start, end) if text[i] != "\n" and grammar_at[i] != category]
            if wrong:
                self.disagree(category, name, text, start, end,
                              f"lexer: {category}, grammar: {grammar_at[wrong[0]]}")
        for start, end, category in got:
            wrong = [i for i in range(start, end) if lexer_at[i] != category]
            if wrong:
                self.disagree(category, name, text, start, end,
                              f"grammar: {category}, lexer: {lexer_at[wrong[0]]}")

    def disagree(self, category: str, name: str, text: str, start: int, end: int, what: str) -> None:
        self.disagreements[category] += 1
        if len(self.examples[category]) < 10:
            line = text.count("\n", 0, start) + 1
            column = start - (text.rfind("\n", 0, start) + 1) + 1
            self.examples[category].append(f"{name}:{line}:{column}: {text[start:end][:60]!r} ({what})")

    def report(self) -> str:
        lines = [f"{sum(self.compared.values())} tokens compared"]
        for category in SCOPES:
            lines.append(f"  {category}: {self.compared[category]} compared, "
                         f"{self.disagreements[category]} disagreements")
            lines.extend("    " + example for example in self.examples[category])
        return "\n".join(lines)


def corpus_files() -> list[Path]:
    require(TESTSUITE)
    require(TAPSET)
    require(EXAMPLES)
    testsuite = sorted(p for p in TESTSUITE.rglob("*") if p.suffix in (".stp", ".stpm") and p.is_file())
    return testsuite + tapset_files() + example_files()


@pytest.mark.corpus
def test_grammar_agrees_with_the_lexer_over_the_corpora():
    require_node_modules("vscode-textmate", "vscode-oniguruma")
    files = corpus_files()
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in files]
    comparison = Comparison()
    for path, text, got in zip(files, texts, grammar_runs(texts), strict=True):
        comparison.add(str(path), text, lexer_tokens(text), got)
    report = comparison.report()
    print(report)
    assert sum(comparison.compared.values()) > 100_000, report
    for category in EXACT:
        assert comparison.compared[category] > 0, report
        assert comparison.disagreements[category] == 0, report
    assert sum(comparison.disagreements.values()) == 0, report


HARD_CASES = r'''#! stap -p2
@define trace(x) %( printf("%s\n", @x) %)
%( kernel_v >= "2.6.32" %? global a %: private b %)
probe kernel.function("sys_*").return, syscall.open ?, nd_syscall.*.call
{
  if ($return < 0 && $$parms != "") next
  p = @cast($file, "struct file", "kernel")->f_path->dentry
  s = "esc \" and \
continued"
  foreach ([k] in a- limit 10) delete a[k]
  @trace($1) ; @trace(@2) ; n = $# + @#
  x$#  /* a comment
  over lines */ y = 0x1f + 077 // tail
}
%{ #include <linux/sched.h> /* "%{ not nested */ %}
function f:long (s:string) %{ STAP_RETURN(1); %}
probe $1 . function("f") . return { s = s . "x" }
'''


def test_grammar_agrees_with_the_lexer_on_the_hard_cases():
    """The places regex highlighters get wrong, in one script; needs no corpus."""
    require_node_modules("vscode-textmate", "vscode-oniguruma")
    comparison = Comparison()
    [got] = grammar_runs([HARD_CASES])
    comparison.add("hard-cases.stp", HARD_CASES, lexer_tokens(HARD_CASES), got)
    report = comparison.report()
    assert sum(comparison.disagreements.values()) == 0, report
    # Each category occurs: the script tests what it claims to.
    assert all(comparison.compared[category] for category in SCOPES), report
