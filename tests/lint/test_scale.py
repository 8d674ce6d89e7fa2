"""Lint grows at most as n log n with the size of a script (issue 18, item 7).

The scripts come from benchmarks/scale.py's generator (deterministic).  Nothing
here asserts a time: the rule test counts tree comparisons, and the scale test
compares the cost of two sizes with each other, with a generous bound.
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from stapkit.lint.runner import lint_text, run_rules
from stapkit.lint.selection import Selection
from stapkit.syntax import ast

REPO = Path(__file__).resolve().parents[2]


def _scale_module():
    spec = importlib.util.spec_from_file_location("stapkit_bench_scale", REPO / "benchmarks" / "scale.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _stp516_counting_comparisons(unit, monkeypatch):
    """STP516's findings on the unit, and how many trees it compared to get them."""
    comparisons = 0
    real = ast.trees_equal

    def counting(a, b):
        nonlocal comparisons
        comparisons += 1
        return real(a, b)

    monkeypatch.setattr(ast, "trees_equal", counting)
    return run_rules(unit, Selection(select=("STP516",))), comparisons


def test_the_generator_is_deterministic_and_its_scripts_are_clean():
    generate = _scale_module().generate
    text = generate(20_000)
    assert text == generate(20_000) and len(text) >= 20_000
    assert generate(40_000).startswith(text[:10_000])
    result = lint_text(text, "gen.stp")
    # Valid: no syntax or semantic error, whatever the lint rules say about style.
    assert [d for d in result.diagnostics if d.severity.value == "error"] == []
    assert text.count("\nprobe ") > 100


def test_duplicate_probe_compares_each_declaration_with_its_equals_only(monkeypatch):
    """STP516 keyed its dict by trees whose hash is shallow: every probe collided with
    every other (n²/2 tree comparisons: 4 million on a 1 MB script)."""
    text = _scale_module().generate(100_000)
    # Two real repeats, to see that they are still found.
    text += "probe timer.s(7) { println(1) }\nprobe timer.s(7) { println(1) }\n"
    text += "probe begin { count_0 = 3\n  last_0 = \"start\"\n}\n"
    checked = lint_text(text, "gen.stp").checked
    probes = sum(isinstance(item, ast.ProbeDecl) for item in checked.unit.script.items)
    found, comparisons = _stp516_counting_comparisons(checked.unit, monkeypatch)
    line_of = lambda needle: text[:text.index(needle)].count("\n") + 1  # noqa: E731
    assert sorted(d.message.split(" (")[0] for d in found) == sorted([
        f"this probe repeats the one on line {line_of('probe begin')}",
        f"this probe repeats the one on line {line_of('probe timer.s(7) { println')}"])
    assert probes > 700
    assert comparisons <= 2 * len(found) + 10


def _measure(size: int) -> dict:
    """Lint of a generated script in a child process: the CPU seconds of lint_text alone
    (the start-up left out) and the peak RSS of the process."""
    code = (
        "import json, resource, sys, time, importlib.util\n"
        "spec = importlib.util.spec_from_file_location('scale', sys.argv[1])\n"
        "scale = importlib.util.module_from_spec(spec); spec.loader.exec_module(scale)\n"
        "from stapkit.lint.runner import lint_text\n"
        "lint_text('probe begin { exit() }\\n', 'warm.stp')\n"
        "text = scale.generate(int(sys.argv[2]))\n"
        "start = time.process_time()\n"
        "lint_text(text, 'gen.stp')\n"
        "cpu = time.process_time() - start\n"
        "print(json.dumps({'cpu': cpu, 'rss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))\n")
    # A bound against a hang only (on a quadratic lint the larger size takes minutes).
    done = subprocess.run([sys.executable, "-c", code, str(REPO / "benchmarks" / "scale.py"), str(size)],
                          capture_output=True, text=True, timeout=900, check=True)
    return json.loads(done.stdout)


def test_lint_time_and_memory_grow_at_most_n_log_n():
    small, large = 25_000, 250_000
    base = _measure(1_000)
    a, b = _measure(small), _measure(large)
    growth = large / small
    n_log_n = growth * math.log(large) / math.log(small)
    # x3: noise on a shared machine (the CPU time of a tenth of a second is coarse).
    assert b["cpu"] / a["cpu"] < 3 * n_log_n, (a, b)
    # Memory: what the script adds to the process, over what a tiny script needs.
    added_small = max(a["rss_kb"] - base["rss_kb"], 1024)
    assert (b["rss_kb"] - base["rss_kb"]) / added_small < 3 * n_log_n, (base, a, b)


def _ring(n: int) -> str:
    return "".join(f"function f{i}(x) {{ return x > 0 ? f{(i + 1) % n}(x - 1) : 0 }}\n" for i in range(n)) \
        + "probe begin { println(f0(3)); exit() }\n"


def _chain(n: int) -> str:
    return "".join(f"function f{i}(x) {{ return {f'f{i - 1}(x) + ' if i else ''}x }}\n" for i in range(n)) \
        + f"probe begin {{ println(f{n - 1}(1)); exit() }}\n"


def _stp522_cpu(text: str) -> float:
    """The CPU time of the rule alone, the least of three runs (as lint runs it: with the
    cyclic collector paused, whose full collections are most of the noise)."""
    import time

    from stapkit.gcpause import collector_paused
    from stapkit.lint.rule import LintContext
    from stapkit.lint.rules import stp522_recursive_function as rule

    unit = lint_text(text, "calls.stp").checked.unit
    times = []
    for _ in range(3):
        ctx = LintContext(unit)
        with collector_paused():
            start = time.process_time()
            rule.check(ctx)
            times.append(time.process_time() - start)
    return min(times)


def test_recursive_function_grows_linearly_with_the_chains_of_calls():
    """STP522 searched the whole call graph from every function: n² on a chain of calls
    (40 s for 3,000 functions).  A ratio of two sizes, 8x apart, with a generous bound."""
    assert _stp522_cpu(_chain(4000)) / max(_stp522_cpu(_chain(500)), 0.01) < 8 * 3
    assert _stp522_cpu(_ring(4000)) / max(_stp522_cpu(_ring(500)), 0.01) < 8 * 3


def test_recursive_function_names_a_long_cycle_by_its_ends():
    from stapkit.lint.runner import LintOptions

    found = [d for d in lint_text(_ring(100), "ring.stp", LintOptions(selection=Selection(select=("STP522",))))
             .diagnostics if d.code == "STP522"]
    assert len(found) == 100
    messages = {d.message.split(": ")[0] for d in found}
    assert "function 'f0' calls itself through f1() -> f2() -> f3() -> ... -> f97() -> f98() -> f99() " \
           "(99 functions)" in messages
    assert "function 'f50' calls itself through f51() -> f52() -> f53() -> ... -> f47() -> f48() -> f49() " \
           "(99 functions)" in messages
    # A short cycle is named in full, as before.
    found = lint_text(_ring(3), "ring.stp", LintOptions(selection=Selection(select=("STP522",)))).diagnostics
    assert {d.message.split(": ")[0] for d in found if d.code == "STP522"} == {
        "function 'f0' calls itself through f1() -> f2()", "function 'f1' calls itself through f2() -> f0()",
        "function 'f2' calls itself through f0() -> f1()"}


def test_duplicate_probe_compares_each_point_of_a_long_list_with_its_equals_only(monkeypatch):
    """The same shallow hash in one probe's list: 2,000 points were 2 million comparisons."""
    text = "probe " + ", ".join(f"timer.ms({i})" for i in range(1, 2000)) + ", timer.ms(7) { exit() }\n"
    checked = lint_text(text, "points.stp").checked
    found, comparisons = _stp516_counting_comparisons(checked.unit, monkeypatch)
    assert [d.message for d in found] == [
        "'timer.ms(7)' is already in this probe's list: the handler runs twice for each event"]
    assert comparisons <= 10
