"""The brief fuzzing run (tests/fuzz/README.md): mutants of the real corpora, a fixed seed.

Each mutant goes through parse, lint, format and the language server's
analysis in a worker process under a CPU-time and a memory bound
(checks.py, worker.py); a failure that is not one of issue 18's known
problems (known.py) fails the test, shrunk by hypothesis.
"""

from __future__ import annotations

import hashlib
import os

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..corpora import TESTSUITE, require
from .checks import Checker, Failure
from .known import KNOWN, Known, known_problem
from .mutations import mutate, seed_files, tokens
from .worker import Worker

pytestmark = [pytest.mark.fuzz, pytest.mark.corpus]

MAX_SEED_BYTES = 8_000  # small seeds keep the run short; the long run (tools/fuzz.py) takes them all
SECONDS = 5.0  # CPU seconds per input; a real script takes well under 0.5


@pytest.fixture(scope="module")
def seeds() -> list[bytes]:
    require(TESTSUITE)
    return [p.read_bytes() for p in seed_files(MAX_SEED_BYTES)]


@pytest.fixture(scope="module")
def worker():
    with Worker(seconds=SECONDS, memory_mb=1536) as w:
        yield w


def describe(data: bytes, failures: list[Failure]) -> str:
    return "\n".join(f"{f.kind} in {f.stage} at {f.where}: {f.message}\n  frames: {' <- '.join(reversed(f.frames))}"
                     for f in failures) + f"\ninput ({len(data)} bytes): {data[:3000]!r}"


@settings(max_examples=300, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rng=st.randoms(use_true_random=False))
def test_mutants_of_the_corpora_fail_nothing_but_known_problems(seeds, worker, rng):
    data = mutate(rng, seeds)
    failures, _ = worker.run(data)
    new = [f for f in failures if known_problem(data, f) is None]
    assert not new, describe(data, new)


class BrokenChecker(Checker):
    """The checks, with a parse that hangs, takes all memory or dies on the input that says so."""

    def _parse(self, text: str) -> list[Failure]:
        if text == "hang":
            while True:
                pass
        if text == "memory":
            return [Failure("x", "x", str(len(bytearray(8 << 30))))]
        if text == "die":
            os._exit(3)
        if text == "stuck":  # minutes in one C call: the CPU-time signal waits for its end
            hashlib.pbkdf2_hmac("sha256", b"x", b"y", 10**9)
        return super()._parse(text)


def test_the_worker_reports_hangs_memory_and_deaths_and_goes_on():
    with Worker(seconds=1, memory_mb=1024, checker=f"{__name__}:BrokenChecker") as broken:
        hang, _ = broken.run(b"hang")
        memory, _ = broken.run(b"memory")
        death, _ = broken.run(b"die")
        broken.hard_seconds = 3
        stuck, _ = broken.run(b"stuck")
        fine, _ = broken.run(b"probe begin { }\n")
    assert [(f.kind, f.stage) for f in hang] == [("timeout", "parse")]
    assert [(f.kind, f.stage) for f in memory] == [("memory", "parse")]
    assert [f.kind for f in death] == ["crash"]
    assert [(f.kind, f.stage) for f in stuck] == [("timeout", "-")]
    assert fine == []


def test_the_known_problems_are_told_apart_by_kind_stack_and_input():
    # The rows issue 18's problems had while they were being fixed, as a table of this test's own.
    table = (
        Known("1: exponential macro expansion", "budgets", ("timeout", "memory"),
              frames=("stapkit/syntax/preprocessor.py",), needs=lambda data: b"@define" in data),
        Known("2: invalid UTF-8 written back as U+FFFD", "io", ("changed-bytes",), stages=("file-format",),
              message="each written back as U+FFFD"),
    )
    expansion = Failure("timeout", "parse", "Timeout", ("stapkit/syntax/parser.py:parse_text",
                                                          "stapkit/syntax/preprocessor.py:expanded_next"))
    assert known_problem(b"@define m %( @m @m %) @m", expansion, table) is table[0]
    assert known_problem(b"probe begin { }", expansion, table) is None  # no macro: a new hang
    assert known_problem(b"@define m %( 1 %)", attrs.evolve(expansion, kind="traceback"), table) is None
    rewritten = Failure("changed-bytes", "file-format",
                        "changed: only bytes that are not UTF-8, each written back as U+FFFD")
    assert known_problem(b'probe begin { x = "\xe9" }', rewritten, table).owner == "io"
    assert known_problem(b'probe begin { x = "\xe9" }', attrs.evolve(rewritten, message="changed"), table) is None
    # Every problem the issue listed is fixed: nothing is known any more.
    assert KNOWN == () and known_problem(b"@define m %( @m @m %) @m", expansion) is None


def test_a_byte_rewritten_as_u_fffd_is_told_from_other_changed_bytes(tmp_path):
    failures = Checker(str(tmp_path)).check(b'probe begin {  x = "caf\xe9" }\n')
    # Issue 18 item 2 is fixed: the byte comes back as it was.
    assert failures == []


def test_a_formatter_that_changes_a_character_is_caught(tmp_path, monkeypatch):
    from stapkit.format import formatter

    real = formatter.format_text

    def broken(text, *args, **kwargs):
        result = real(text, *args, **kwargs)
        return formatter.FormatResult(result.text.replace("1", "2"), True)

    monkeypatch.setattr(formatter, "format_text", broken)
    failures = Checker(str(tmp_path)).check(b"probe begin { x = 1 }\n")
    assert [(f.kind, f.stage) for f in failures] == [("changed-text", "format")]


def test_mutants_are_reproducible_and_keep_the_seed_bytes_they_do_not_touch():
    import random

    seed = [b'probe begin { printf("%d\\n", 1) } # end\n']
    first = [mutate(random.Random(7), seed) for _ in range(3)]
    assert first == [mutate(random.Random(7), seed) for _ in range(3)]
    assert b"".join(tokens(seed[0])) == seed[0]


def test_hangs_are_grouped_by_the_function_their_stack_repeats_not_where_the_bound_struck():
    stack = ("stapkit/semantic/probe_points.py:check", "stapkit/semantic/probe_points.py:find_and_build",
             "stapkit/semantic/probe_points.py:double_glob", "stapkit/semantic/probe_points.py:find_and_build")
    one = Failure("timeout", "analyze", "Timeout", stack + ("stapkit/semantic/probe_points.py:glob",))
    other = Failure("timeout", "analyze", "Timeout", stack + ("stapkit/semantic/probe_points.py:<genexpr>",))
    assert one.signature() == other.signature() == ("timeout", "analyze", stack[1])
    assert attrs.evolve(one, kind="traceback").signature()[2] == "stapkit/semantic/probe_points.py:glob"
