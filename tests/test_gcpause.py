"""The collector pause nests, survives errors, and restores the previous state."""

from __future__ import annotations

import gc
import threading

import pytest

from stapkit.gcpause import collector_paused
from stapkit.syntax import parse_text


def test_pause_and_restore():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_restored_after_an_exception():
    with pytest.raises(ValueError):
        with collector_paused():
            raise ValueError
    assert gc.isenabled()


def test_stays_off_if_it_was_off():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_concurrent_parses_restore_the_collector():
    barrier = threading.Barrier(4)

    def work():
        barrier.wait()
        for _ in range(20):
            parse_text("probe begin { x = 1 + 2 }")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert gc.isenabled()
