"""The lint result cache (stapkit/lint/cache.py): keys, round trips, damaged entries, the bound."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stapkit.diagnostics import Applicability, Diagnostic, Edit, Fix, Related, Severity, Span
from stapkit.lint import cache as cache_module
from stapkit.lint.cache import ResultCache
from ..corpora import TESTSUITE, require

EVERYTHING = Diagnostic(
    "STP105", "type mismatch: 'x' is a string here — «ü» \udcff", Span(10, 24), Severity.WARNING,
    Fix("Replace 'x' with 'y'", (Edit(Span(10, 11), "y"), Edit(Span(20, 24), "")), Applicability.UNSAFE),
    ("the first hint", "a second one"),
    (Related("type of 'x' was first inferred here (long)", None, Span(3, 4)),
     Related("defined in the tapset library", "/usr/share/systemtap/tapset/x.stp", Span(100, 120),
             "function x() {}\n")),
)
PLAIN = Diagnostic("STP500", "suppression of STP501 silences nothing here", Span(0, 0))


@pytest.fixture
def cache(tmp_path) -> ResultCache:
    return ResultCache(tmp_path / "cache")


def entry_files(cache: ResultCache) -> list[Path]:
    return sorted(p for p in cache.directory.rglob("*") if p.is_file() and p.name != "last-prune")


# -- keys -------------------------------------------------------------------------


def test_a_key_depends_on_the_content_and_the_fingerprint(cache):
    key = cache.key(b"probe begin {}", "options A")
    assert len(key) == 64 and set(key) <= set("0123456789abcdef")
    assert cache.key(b"probe begin {}", "options A") == key
    assert ResultCache(cache.directory / "elsewhere").key(b"probe begin {}", "options A") == key
    assert cache.key(b"probe begin { }", "options A") != key
    assert cache.key(b"probe begin {}", "options B") != key
    # The boundary between the two cannot move.
    assert cache.key(b"ab", "x") != cache.key(b"b", "xa")


def test_a_key_depends_on_the_stapkit_version_and_source(cache, tmp_path, monkeypatch):
    source = tmp_path / "module.py"
    source.write_text("x = 1\n")
    monkeypatch.setattr(cache_module, "_source_files", lambda: [("module.py", source)])
    cache_module._code_identity.cache_clear()
    try:
        before = cache.key(b"text", "fp")
        source.write_text("x = 2\n")
        cache_module._code_identity.cache_clear()
        edited = cache.key(b"text", "fp")
        monkeypatch.setattr("stapkit.__version__", "99.0")
        cache_module._code_identity.cache_clear()
        newer = cache.key(b"text", "fp")
    finally:
        cache_module._code_identity.cache_clear()
    assert len({before, edited, newer}) == 3


def test_the_source_hash_covers_stapkit_and_its_grammar():
    names = {name for name, path in cache_module._source_files() if path.is_file()}
    assert {"stapkit/lint/cache.py", "stapkit/lint/runner.py", "stapkit/syntax/parser.py",
            "stap_grammar/stap.lark"} <= names


# -- round trips ----------------------------------------------------------------------


def test_every_field_of_a_diagnostic_comes_back(cache):
    key = cache.key(b"x", "fp")
    cache.put(key, (EVERYTHING, PLAIN))
    assert cache.get(key) == (EVERYTHING, PLAIN)


def test_no_diagnostics_is_a_hit_not_a_miss(cache):
    key = cache.key(b"probe begin { exit() }", "fp")
    assert cache.get(key) is None
    cache.put(key, ())
    assert cache.get(key) == ()


def test_putting_again_replaces_the_entry_and_leaves_no_temporary_file(cache):
    key = cache.key(b"x", "fp")
    cache.put(key, (EVERYTHING,))
    cache.put(key, (PLAIN,))
    assert cache.get(key) == (PLAIN,)
    assert [p.name for p in entry_files(cache)] == [f"{key[2:]}.json"]


@pytest.mark.corpus
def test_real_diagnostics_of_the_testsuite_come_back_unchanged(cache):
    from stapkit.lint.runner import lint_file

    files = sorted(require(TESTSUITE / "semko").glob("*.stp"))[:60]
    seen_related = seen_hints = 0
    for path in files:
        diagnostics = lint_file(str(path)).diagnostics
        key = cache.key(path.read_bytes(), "fp")
        cache.put(key, diagnostics)
        assert cache.get(key) == diagnostics, path.name
        seen_related += any(d.related for d in diagnostics)
        seen_hints += any(d.hints for d in diagnostics)
    assert seen_related and seen_hints  # the fields were exercised


# -- what is not an entry ------------------------------------------------------------------


@pytest.mark.parametrize("damage", [
    b"",
    b"{\"format\": 1, \"diagnostics\": [",
    b"\xff\xfe not json",
    b"[]",
    b"{\"format\": 0, \"diagnostics\": []}",
    b"{\"format\": 1}",
    b"{\"format\": 1, \"diagnostics\": [[\"STP1\", \"m\", \"0\", 1, \"error\", null, [], []]]}",
    b"{\"format\": 1, \"diagnostics\": [[\"STP1\", \"m\", 5, 1, \"error\", null, [], []]]}",
    b"{\"format\": 1, \"diagnostics\": [[\"STP1\", \"m\", 0, 1, \"fatal\", null, [], []]]}",
    b"{\"format\": 1, \"diagnostics\": [[\"STP1\", \"m\", 0, 1, \"error\", [\"t\", \"risky\", []], [], []]]}",
    b"{\"format\": 1, \"diagnostics\": [[\"STP1\", \"m\", 0, 1, \"error\", null, [3], []]]}",
    b"{\"format\": 1, \"diagnostics\": [[\"STP1\", \"m\", 0, 1]]}",
    b"[" * 100000,
])
def test_a_damaged_entry_is_a_miss(cache, damage):
    key = cache.key(b"x", "fp")
    cache.put(key, (PLAIN,))
    (path,) = entry_files(cache)
    path.write_bytes(damage)
    assert cache.get(key) is None


def test_an_entry_that_cannot_be_read_is_a_miss(cache):
    key = cache.key(b"x", "fp")
    cache.put(key, (PLAIN,))
    (path,) = entry_files(cache)
    path.unlink()
    path.mkdir()  # a directory where the entry was
    assert cache.get(key) is None


def test_only_keys_name_entries(cache):
    assert cache.get("../../etc/passwd") is None
    with pytest.raises(ValueError):
        cache.put("not a key", ())


def test_a_cache_that_cannot_be_written_records_why_and_does_not_raise(tmp_path):
    blocked = tmp_path / "a file"
    blocked.write_text("")
    cache = ResultCache(blocked / "cache")
    key = cache.key(b"x", "fp")
    cache.put(key, (PLAIN,))
    assert isinstance(cache.write_error, OSError)
    assert cache.get(key) is None


# -- where, and how big ------------------------------------------------------------------


def test_the_directory_comes_from_the_environment_else_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("STAPKIT_CACHE_DIR", str(tmp_path))
    assert ResultCache().directory == tmp_path / "lint"
    monkeypatch.delenv("STAPKIT_CACHE_DIR")
    from platformdirs import user_cache_dir

    assert ResultCache().directory == Path(user_cache_dir("stapkit")) / "lint"


def _fill(cache: ResultCache, count: int) -> list[str]:
    """`count` entries, the first written longest ago."""
    keys = []
    for number in range(count):
        key = cache.key(str(number).encode(), "fp")
        cache.put(key, (PLAIN,) * 20)
        written = time.time() - 1000 + number
        os.utime(cache._path(key), (written, written))
        keys.append(key)
    return keys


def test_pruning_deletes_the_least_recently_written_entries(cache):
    keys = _fill(cache, 10)
    sizes = [cache._path(k).stat() for k in keys]
    used = [st.st_blocks * 512 if hasattr(st, "st_blocks") else st.st_size for st in sizes]
    assert cache.prune(max_bytes=sum(used)) == 0  # not over the bound: nothing goes
    deleted = cache.prune(max_bytes=sum(used) - 1, prune_to=sum(used[5:]))
    assert deleted == 5
    assert [cache.get(k) is not None for k in keys] == [False] * 5 + [True] * 5


def test_pruning_is_looked_at_once_an_interval(cache, monkeypatch):
    calls = []
    monkeypatch.setattr(ResultCache, "prune", lambda self: calls.append(1) or 0)
    cache.put(cache.key(b"1", "fp"), ())
    cache.put(cache.key(b"2", "fp"), ())
    assert calls == [1]  # the first put of a process, and only it
    ResultCache(cache.directory).put(cache.key(b"3", "fp"), ())
    assert calls == [1]  # pruned less than PRUNE_INTERVAL ago
    marker = cache.directory / "last-prune"
    old = time.time() - cache_module.PRUNE_INTERVAL - 10
    os.utime(marker, (old, old))
    ResultCache(cache.directory).put(cache.key(b"4", "fp"), ())
    assert calls == [1, 1]


# -- what a cached run loads ----------------------------------------------------------------


def test_reading_and_writing_entries_loads_neither_the_parser_nor_the_database(tmp_path):
    program = f"""
import sys
from stapkit.diagnostics import Diagnostic, Span
from stapkit.lint.cache import ResultCache
cache = ResultCache({str(tmp_path)!r})
key = cache.key(b"probe begin {{}}", "fp")
cache.put(key, (Diagnostic("STP500", "m", Span(0, 1)),))
assert cache.get(key)[0].code == "STP500"
print(sorted(m for m in sys.modules if m.startswith(("stapkit", "lark"))))
"""
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[2])
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.replace("'", '"'))
    assert loaded == ["stapkit", "stapkit.diagnostics", "stapkit.lint", "stapkit.lint.cache"]
