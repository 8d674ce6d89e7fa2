"""Checks of several documents at once (the server's check threads, CHECK_THREADS) give what checks one
after the other give.

The threads share the settings' Session (the tapset database, the probe resolvers) and start with
it empty, so that they fill its caches at the same time, as the server's threads do when an
editor opens several files at once.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from stapkit.lsp import server
from stapkit.lsp.analysis import analyze
from stapkit.lsp.documents import UTF16, Document, Snapshot
from stapkit.lsp.settings import Settings
from stapkit.syntax.reuse import DeclarationReuse

EXAMPLES = Path("/usr/share/systemtap/examples")
# Scripts that reach many parts of the library: syscall and network aliases, kernel functions,
# timers, process probes, statistics, embedded C.
SCRIPTS = ("network/tcp_trace.stp", "network/nettop.stp", "io/iotop.stp", "process/syscalls_by_proc.stp",
           "general/alias_suffixes.stp", "memory/vm.tracepoints.stp", "process/errsnoop.stp",
           "io/traceio.stp", "process/sleepingBeauties.stp", "general/para-callgraph.stp",
           "profiling/functioncallcount.stp")
# Appended to each, so that every check has findings to compare: a type clash, an unknown function,
# a global never read, an alias variable read where it may not be set.
FINDINGS = """
global never_read_global
probe timer.s(1000), syscall.read ? { clash = "a"; clash = 1; never_read_global = no_such_function(); println(fd) }
"""


def texts() -> list[tuple[str, str]]:
    found = []
    for name in SCRIPTS:
        path = EXAMPLES / name
        if path.is_file():
            found.append((str(path), path.read_bytes().decode("utf-8", "replace") + FINDINGS))
    return found


pytestmark = pytest.mark.skipif(len(texts()) < 4, reason="the Debian examples are not installed")


def check_all(documents, threads: int) -> list:
    """Each document's diagnostics, and what hover reads (types, symbols), checked on `threads` threads
    sharing one new Settings (so one new Session)."""
    settings = Settings()

    def one(item):
        path, text = item
        analysis = analyze(f"file://{path}", path, 1, text, settings.options_for(path), UTF16, DeclarationReuse())
        analysis.prepare()
        types = analysis.types()
        return (analysis.diagnostics,
                None if types is None else (sorted((k, str(v)) for k, v in types.globals.items()),
                                            len(types.functions), len(types.locals)))

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(one, documents))


def test_checks_on_several_threads_agree_with_checks_one_after_the_other():
    documents = texts() * 2  # each twice: two threads may check the same text at once
    alone = check_all(documents, threads=1)
    assert all(diagnostics for diagnostics, _ in alone)  # (the comparison compares something)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(server.SWITCH_INTERVAL)  # the threads take turns as often as in the server
    try:
        for _ in range(3):
            assert check_all(documents, threads=4) == alone
    finally:
        sys.setswitchinterval(interval)


def test_the_server_checks_on_more_than_one_thread():
    assert server.CHECK_THREADS > 1


def test_the_check_function_of_the_server_reuses_declarations_of_the_document():
    """server._check with the document's DeclarationReuse: a second version reuses the first one's declarations."""
    path, text = texts()[0]
    settings = Settings()
    document = Document(f"file://{path}", text, 1, encoding=UTF16)
    options = settings.options_for(path)
    reuse = document.reuse_for(options)
    first = server._check(document.uri, path, Snapshot(1, text), options, UTF16, reuse=reuse)
    typed = text.replace("\n", "\n# typed\n", 1)  # (after the first line, which may hold options)
    second = server._check(document.uri, path, Snapshot(2, typed), options, UTF16, reuse=reuse)
    assert reuse.reused > 0 and reuse.reused >= reuse.parsed
    assert [d.code for d in first.diagnostics] == [d.code for d in second.diagnostics]
    assert document.reuse_for(options) is reuse
