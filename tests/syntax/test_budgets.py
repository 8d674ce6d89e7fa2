"""Bounds on the work one file can cause: macro expansion and the untaken-branch search.

Exponential input ends in one finding at its place, not in a hang; real code
never reaches a bound (the corpus tests check that).  The real cases of
issue 18 run through the command line, in a subprocess with a memory limit
and a timeout so that a regression fails instead of taking the machine.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from stapkit.diagnostics import Severity
from stapkit.syntax.alternatives import AlternativeRuns
from stapkit.syntax.lexer import lex
from stapkit.syntax.preprocessor import MAX_MACRO_DEPTH, preprocess
from stapkit.syntax.target import Target

from stapkit.syntax.parser import ParseOptions, parse_file

from ..corpora import SYSTEMTAP_SHARE, require
from ..helpers import parse

REPO = Path(__file__).resolve().parents[2]

DOUBLING = "@define m %( @m @m %)\nprobe begin { x = @m }\n"
# Nine macros, each invoking the previous one ten times: 10**9 tokens.
TENFOLD = "\n".join(["@define m0 %( x %)"]
                    + [f"@define m{i} %( " + " ".join([f"@m{i - 1}"] * 10) + " %)" for i in range(1, 10)]
                    + ["probe begin { y = @m9 }"]) + "\n"
# A conditional in a macro argument used twice is met inside itself in the branch the target skips.
SELF_NESTED = ('@define m(a) %( x = @a + @a %)\n'
               '%( arch == "x86_64" %? %: @m( %( arch == "x86_64" %? %: y)\n')


def at(result, code):
    return [(d.severity, d.span.start, d.span.end) for d in result.diagnostics if d.code == code]


# ---------------------------------------------------------------- macro expansion


def test_a_macro_invoking_itself_twice_is_one_error_at_the_invocation():
    result = parse(DOUBLING)
    invocation = DOUBLING.index("@m }")
    assert [(d.code, d.span.start) for d in result.diagnostics] == [("STP043", invocation)]
    assert "nested too deeply at '@m'" in result.diagnostics[0].message
    assert f"at most {MAX_MACRO_DEPTH} levels" in result.diagnostics[0].hints[0]


def test_exponential_expansion_is_one_error_at_the_invocation():
    result = parse(TENFOLD)
    invocation = TENFOLD.index("@m9 }")
    assert at(result, "STP046") == [(Severity.ERROR, invocation, invocation + 3)]
    assert [d.code for d in result.diagnostics] == ["STP046"]
    # The invocation is left as an opaque call: the probe is still there, with no cascade.
    assert len(result.script.items) == 1


def test_exponential_expansion_through_arguments():
    nested = "@m(" * 24 + "1" + ")" * 24
    text = f"@define m(a) %( @a @a %)\nprobe begin {{ println({nested}) }}\n"
    result = parse(text)
    start = text.index("@m(")
    assert at(result, "STP046") == [(Severity.ERROR, start, start + len(nested))]


def test_expansion_budget_leaves_later_invocations_unexpanded():
    text = "@define two %( 1 + 1 %)\nprobe begin { x = @two; y = @two }\n"
    tokens = lex(text).tokens
    full = preprocess(tokens, target=Target())
    assert [t.text for t in full.tokens].count("1") == 4 and not full.diagnostics
    # 10 for the first invocation and 3 of its tokens: the budget ends inside it.
    small = preprocess(tokens, target=Target(), max_expanded_tokens=12)
    assert [(d.code, d.span.start) for d in small.diagnostics] == [("STP046", text.index("@two"))]
    texts = [(t.kind, t.text) for t in small.tokens]
    assert texts.count(("MACRO", "@two")) == 2 and ("NUMBER", "1") not in texts
    assert small.expanded > 12


def test_expansion_within_the_budget_is_untouched():
    text = "@define two %( 1 + 1 %)\nprobe begin { x = @two }\n"
    result = preprocess(lex(text).tokens, target=Target(), max_expanded_tokens=13)
    assert not result.diagnostics
    assert result.expanded == 13  # 3 tokens and one invocation


def test_abandoned_expansion_drops_the_conditionals_it_opened():
    # The macro's body opens a conditional; the expansion is given up inside it.
    text = '@define m %( %( arch == "x86_64" %? 1 1 1 1 1 1 1 1 %) %)\nprobe begin { x = @m }\n'
    result = preprocess(lex(text).tokens, target=Target(), max_expanded_tokens=14)
    assert [d.code for d in result.diagnostics] == ["STP046"]  # no "incomplete conditional"


# ---------------------------------------------------------------- the untaken-branch search


def test_a_conditional_nested_in_itself_through_a_macro_argument_ends():
    result = parse(SELF_NESTED)
    assert "STP047" not in {d.code for d in result.diagnostics}
    # Both copies of the argument's conditional were read for a target that takes its %: branch.
    assert any(d.code == "STP010" and d.severity is Severity.WARNING for d in result.diagnostics)


def _many_argument_counts(n: int) -> str:
    return "probe begin {\n" + "".join(f"%( $# == {i} %? println({i}) %: println(0) %)\n"
                                        for i in range(1, n + 1)) + "}\n"


def _runs(text: str, **bounds) -> AlternativeRuns:
    tokens = lex(text).tokens
    main = preprocess(tokens, target=Target())
    runs = AlternativeRuns(tokens, main, target=Target(), library={}, argc=0, path=None, **bounds)
    for _ in runs:
        pass
    return runs


def test_the_run_bound_ends_in_a_finding_at_the_first_branch_left():
    text = _many_argument_counts(6)
    runs = _runs(text, max_runs=2)
    assert not runs.exhausted
    finding = runs.not_checked_finding()
    # Each run takes one `$# == N` branch; 2 runs leave 4.
    assert finding.code == "STP047" and finding.severity is Severity.INFO
    assert finding.span.start == text.index("%( $# == 3")
    assert finding.message.startswith("4 branches of %( %) conditionals that the target does not take not checked")
    assert "after 2 runs" in finding.message
    assert "'%?' branch of '%( $# == 3 %?'" in finding.hints[0]


def test_the_work_bound_ends_the_search():
    text = _many_argument_counts(6)
    size = len(lex(text).tokens)
    runs = _runs(text, max_work=3 * size)
    assert "after a work of" in runs.not_checked_finding().message
    assert 0 < len(runs.unchecked()) < 6  # a run or two fit


def test_the_evaluation_bound_ends_the_search():
    runs = _runs(_many_argument_counts(6), max_evaluations=20)
    assert "condition evaluations" in runs.not_checked_finding().message


def test_many_conditionals_that_each_need_their_own_target_end_in_the_finding():
    text = _many_argument_counts(500)
    result = parse(text)
    (finding,) = [d for d in result.diagnostics if d.code == "STP047"]
    assert finding.severity is Severity.INFO and "after a work of 3,000,000 tokens" in finding.message
    # The first conditionals were checked; the finding is at the first one left.
    assert text.index("%( $# == 10 ") < finding.span.start
    assert int(finding.message.split()[0]) < 500


def test_every_branch_checked_means_no_finding():
    runs = _runs(_many_argument_counts(6))
    assert runs.exhausted and runs.not_checked_finding() is None


def test_a_file_whose_macros_expand_too_far_is_not_searched():
    text = TENFOLD.replace("probe begin { y = @m9 }", 'probe begin { %( arch == "x86_64" %? y = @m9 %: y = 0 %) }')
    result = parse(text)
    assert {d.code for d in result.diagnostics} == {"STP046", "STP047"}
    (finding,) = [d for d in result.diagnostics if d.code == "STP047"]
    assert finding.span.start == text.index('%( arch') and "expand too far" in finding.message


@pytest.mark.parametrize("relative", [
    "tapset/python3.stp",  # the largest macro expansion of the corpora
    "tapset/argv.stp",  # the most runs of the branch search (33)
    "examples/general/eventcount.stp",  # the most tokens read by the branch search
])
def test_the_files_that_need_the_most_stay_within_the_bounds(relative):
    path = require(SYSTEMTAP_SHARE) / relative
    if not path.is_file():
        pytest.skip(f"not installed: {path}")
    result = parse_file(str(path), ParseOptions(tapset=relative.startswith("tapset/")))
    assert {d.code for d in result.diagnostics} & {"STP046", "STP047"} == set()


# ---------------------------------------------------------------- the real cases, as a user runs them


def _limited():
    resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))


@pytest.mark.parametrize("command", [["parse"], ["lint", "--no-cache"], ["format", "--check"]])
@pytest.mark.parametrize("case,code", [("doubling", "STP043"), ("tenfold", "STP046"), ("self_nested", "STP040")])
def test_the_commands_end_on_the_real_cases(command, case, code, tmp_path):
    text = {"doubling": DOUBLING, "tenfold": TENFOLD, "self_nested": SELF_NESTED}[case]
    script = tmp_path / f"{case}.stp"
    script.write_text(text)
    env = dict(os.environ, PYTHONPATH=str(REPO), XDG_CACHE_HOME=str(tmp_path / "cache"))
    done = subprocess.run([sys.executable, "-m", "stapkit", *command, str(script)], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=120, preexec_fn=_limited)
    output = done.stdout + done.stderr
    assert done.returncode in (1, 2), output
    assert f"[{code}]" in output and "Traceback" not in output, output


def test_the_branch_holding_an_offset_is_found_as_a_scan_would_find_it():
    # check_untaken_branches put each finding down to its innermost branch by scanning every
    # branch: quadratic on a file of thousands of conditionals and findings (found by the
    # fuzzer).  The sweep must agree with that scan on nested regions.
    import random

    from stapkit.syntax.alternatives import _Regions

    rng = random.Random(14)
    for _ in range(200):
        regions, stack, position = [], [], 0
        for _ in range(rng.randrange(1, 30)):  # a random tree of nested, disjoint-sibling regions
            position += rng.randrange(1, 5)
            if stack and rng.random() < 0.4:
                start = stack.pop()
                regions.append((start, position, (start, len(regions))))
            else:
                stack.append(position)
        while stack:
            position += rng.randrange(1, 5)
            start = stack.pop()
            regions.append((start, position, (start, len(regions))))
        offsets = [rng.randrange(0, position + 3) for _ in range(40)]

        def scan(offset):
            holding = [r for r in regions if r[0] <= offset < r[1]]
            return min(holding, key=lambda r: r[1] - r[0])[2] if holding else None

        lookup = _Regions(regions)
        assert lookup.innermost_all(offsets) == [scan(o) for o in offsets]
