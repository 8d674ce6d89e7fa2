"""Version comparison and condition evaluation."""

from __future__ import annotations

import ctypes
import ctypes.util

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stapkit.syntax.conditions import strverscmp


def _libc_strverscmp():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        function = libc.strverscmp
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    function.restype = ctypes.c_int
    return function


LIBC = _libc_strverscmp()


def sign(x: int) -> int:
    return (x > 0) - (x < 0)


@pytest.mark.parametrize("a,b,expected", [
    ("2.6.9", "2.6.10", -1),
    ("6.12.0", "5.0", 1),
    ("3.10", "3.9", 1),
    ("2.6.30", "2.6.30", 0),
    ("1.01", "1.1", -1),  # leading zero: a fraction
    ("000", "00", -1),
    ("6.12.0-amd64", "6.12.0", 1),
    ("4.8", "4.10", -1),
])
def test_known_orders(a, b, expected):
    assert sign(strverscmp(a, b)) == expected


@pytest.mark.skipif(LIBC is None, reason="the C library has no strverscmp")
@settings(max_examples=3000)
@given(st.text(alphabet="0123456789.-a", max_size=8), st.text(alphabet="0123456789.-a", max_size=8))
def test_agrees_with_glibc(a, b):
    assert sign(strverscmp(a, b)) == sign(LIBC(a.encode(), b.encode()))
