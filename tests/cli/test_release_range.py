"""`stapkit lint --systemtap-version A..B` (cli/release_range.py) and the range report
(tools/release_report.py) over the examples and the testsuite, read in place.

* every example passes on 4.8 (the release Debian's examples shipped with) and
  every parseok, semok and buildok script on 5.6 (the development head the
  testsuite was copied from), but for the listed files stap refuses too;
* the range check shares what the releases share (views, decoded records,
  match trees): each release's result is the one a check of that release
  alone gives, diagnostic for diagnostic.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

from stapkit.cli import main
from stapkit.cli.release_range import RangeChecker
from stapkit.diagnostics import Severity
from stapkit.semantic.checker import check_file
from stapkit.semantic.options import CheckOptions
from stapkit.semantic.session import Session
from stapkit.syntax.parser import ParseOptions, parse_file
from stapkit.tapsets.releases import ReleaseHistory

from ..corpora import EXAMPLES, REPO, TESTSUITE, require

TOOL = REPO / "tools" / "release_report.py"


def _tool():
    spec = importlib.util.spec_from_file_location("release_report", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def history():
    return ReleaseHistory.load()


def test_a_script_stap_only_parses_is_only_parsed(tmp_path, capsys):
    """`#! stap -p1`: stap stops after parsing, so a name no release has does not rule a release out."""
    parsed = tmp_path / "parsed.stp"
    parsed.write_text("#! stap -p1\nprobe begin { no_such_function() }\n")
    checked = tmp_path / "checked.stp"
    checked.write_text("#! stap -p2\nprobe begin { no_such_function() }\n")
    assert main(["lint", "--systemtap-version", "4.7..4.8", "--output-format", "json", str(parsed), str(checked)]) == 1
    import json

    first, second = json.loads(capsys.readouterr().out)["files"]
    assert (first["passes"], first["fails"]) == ("4.7-4.8", [])
    assert second["passes"] is None
    assert [f["releases"] for f in second["fails"]] == ["4.7-4.8"]
    assert "unresolved function 'no_such_function'" in second["fails"][0]["first_error"]


def test_a_range_names_the_release_each_run_of_failures_starts_with(tmp_path, capsys):
    """oneshot came in 2.5, task_cwd_path in 3.0: two runs of failing releases, each with its first error."""
    script = tmp_path / "two.stp"
    script.write_text("probe oneshot { print(task_cwd_path(task_current())) }\n")
    assert main(["lint", "--systemtap-version", "2.3..3.1", str(script)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{script}: passes on 3.0-3.1 of 2.3..3.1"
    assert out[1].startswith("  fails on 2.3-2.4: ") and "'oneshot' was added in SystemTap 2.5; you target 2.3" in out[1]
    assert out[2].startswith("  fails on 2.5-2.9: ") and "'task_cwd_path' was added in SystemTap 3.0" in out[2]


# -- the range report over the corpora


def _corpus_sample(step: int):
    tool = _tool()
    files = tool.corpus(["examples", "testsuite"])
    return files[::step]


# Releases spread over the history: the two shipped ones, the ends, and where much changed.
SPREAD = ["1.0", "2.5", "3.0", "4.8", "5.2", "5.6"]


def _diagnostics(result) -> list[tuple]:
    return [(d.code, d.severity.value, d.span.start, d.span.end, d.message) for d in result.diagnostics]


@pytest.mark.corpus
def test_the_range_check_gives_each_release_what_a_check_of_it_alone_gives(history):
    """The fast path (one session for the range: the views' decoded records and the match
    subtrees shared between releases) against a check of each release in a session of its
    own (as `stapkit lint --systemtap-version X` makes), on every 12th file of the corpora."""
    require(EXAMPLES), require(TESTSUITE)
    files = _corpus_sample(12)
    assert len(files) > 40
    fast = {}
    checker = RangeChecker(history, SPREAD)
    for path, options, _ in files:
        for release, result in checker.results(str(path), options):
            fast[(str(path), release)] = _diagnostics(result)
    differ = []
    errors_seen = set()
    for release in SPREAD:
        alone = RangeChecker(ReleaseHistory.load(), [release], session=Session())
        for path, options, _ in files:
            ((_, result),) = alone.results(str(path), options)
            found = _diagnostics(result)
            if found != fast[(str(path), release)]:
                differ.append((str(path), release))
            if any(d[1] == Severity.ERROR.value for d in found):
                errors_seen.add(release)
    assert differ == []
    assert "1.0" in errors_seen  # the comparison covers failing releases too


@pytest.mark.corpus
def test_every_corpus_file_passes_on_the_release_it_shipped_with(history):
    """The examples on 4.8, the testsuite's parseok, semok and buildok on 5.6 (a release the
    file does not name in its range would be a false error: the corpus runs there)."""
    require(EXAMPLES), require(TESTSUITE)
    tool = _tool()
    files = tool.corpus(["examples", "testsuite"])
    assert len(files) == 201 + 40 + 91 + 213
    checkers = {shipped: RangeChecker(history, [shipped]) for shipped in ("4.8", "5.6")}
    failing = {}
    for path, options, shipped in files:
        verdict = checkers[shipped].check(str(path), options)
        if verdict.failures:
            failing[path.name] = verdict.failures[0][1]
    assert set(failing) == set(tool.KNOWN_FAILURES), failing


def test_the_report_prints_counts_ranges_and_the_files_failing_where_they_shipped():
    require(EXAMPLES)
    done = subprocess.run([sys.executable, str(TOOL), "--corpus", "examples", "--releases", "2.4..2.5",
                           "--limit", "40"], capture_output=True, text=True, timeout=300)
    lines = done.stdout.splitlines()
    assert lines[0] == "40 files, releases 2.4..2.5"
    counts = lines[lines.index("files passing on each release:") + 1:][:2]
    assert [c.split(":")[0].strip() for c in counts] == ["2.4", "2.5"]
    # general/helloworld.stp is `probe oneshot` (an alias of 2.5 and later)
    assert f"  {EXAMPLES / 'general' / 'helloworld.stp'}: 2.5" in lines
    assert int(counts[0].split(":")[1]) < int(counts[1].split(":")[1])
    assert "files that fail on the release they shipped with: 0" in lines  # 4.8 is not in the range
    assert done.returncode == 0
    assert done.stderr == ""  # no progress when stderr is not a terminal


def test_releases_failing_on_the_same_error_are_one_run_whatever_it_suggests(tmp_path, capsys):
    """fp_to_string came in 4.4; the names suggested for it differ from release to release."""
    script = tmp_path / "fp (copy).stp"
    script.write_text("probe oneshot { println(fp_to_string(0, 2)) }\n")
    assert main(["lint", "--systemtap-version", "2.5..4.4", str(script)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{script}: passes on 4.4 of 2.5..4.4"
    assert len(out) == 2 and out[1].startswith("  fails on 2.5-4.3: ")
    assert "'fp_to_string' was added in SystemTap 4.4; you target 2.5" in out[1]


def test_match_trees_sharing_subtrees_are_the_trees_built_alone():
    """probe_points._base_tree with the subtrees of the releases built before it: the same nodes,
    families, aliases and children in the same order as the tree of that release alone."""
    from stapkit.semantic import probe_points

    def shape(node, out, path=()):
        out.append((path, node.alias, tuple(f.pattern for f in node.families), tuple(node.children)))
        for key, child in node.children.items():
            shape(child, out, path + (key,))
        return out

    session = Session()
    shared: dict = {}
    built = []
    for release in ("1.0", "2.5", "3.0", "4.7", "4.8", "5.5", "5.6", "4.9"):
        db = session.db(None, release)
        tree = probe_points._base_tree(db, shared)
        assert shape(tree, []) == shape(probe_points._base_tree(db), []), release
        built.append(tree)
    # 4.9 took most of its subtrees from 4.8's tree (syscall.* is the same; others changed)
    last, before = built[-1], built[-4]
    same = [k for k in last.children if last.children[k] is before.children.get(k)]
    assert ("syscall", None) in same and len(same) > len(last.children) // 2
