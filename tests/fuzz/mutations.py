"""Mutants of real SystemTap scripts: the inputs the fuzzing harness feeds to stapkit.

`mutate(rng, seeds)` takes one or two corpus files (read in place, as bytes)
and applies a few mutations: byte flips, token deletions, duplications and
swaps, splices of two files, stap-specific hostile fragments (`%(`, `@define`,
`%{`, deep nesting, stray quotes and comment openers), invalid UTF-8 and
changed line endings (CRLF, CR only, NUL).  `rng` is anything with
random.Random's methods: a seeded random.Random for the long run, or
hypothesis' `st.randoms()` in the test, whose draws hypothesis can shrink.
"""

from __future__ import annotations

import glob
import re
from pathlib import Path

from ..corpora import EXAMPLES, TAPSET, TESTSUITE

# A rough cut of a script into tokens: words (with @ $ prefixes), numbers,
# strings, the preprocessor's and embedded C's two-character tokens, blanks,
# and any other single byte.  Good enough to delete, repeat or swap pieces.
TOKEN = re.compile(rb'[A-Za-z_$@][A-Za-z0-9_$@]*|[0-9]+|"(?:\\.|[^"\\\n])*"|%[({?:)}]|[ \t]+|\r?\n|.', re.S)

HOSTILE = (
    b"%(", b"%)", b"%?", b"%:", b"%{", b"%}", b"%{ int x; %}", b"@define", b"@define m %( 1 %)\n",
    b"@define m(a, b) %( @a + @b %)\n", b"@m", b"@m(", b"@m(1, 2)", b"@1", b"$1", b"$#", b"@#", b"$$vars",
    b'%( arch == "x86_64" %? ', b'%( kernel_v >= "2.6.9" %? ', b"%( systemtap_v < \"2.0\" %? a %: b %)",
    b"%( $# > 1 %? ", b"%( CONFIG_X == \"y\" %? ", b"@cast(p, \"task_struct\")->", b"@entry(", b"@defined(",
    b"probe ", b"probe begin { ", b"function f:long (a:long) ", b"global ", b"private ", b"try { ", b"} catch ",
    b"foreach ([a, b] in x limit 3) ", b"delete ", b"next", b"return ", b"{", b"}", b"(", b")", b"[", b"]",
    b";", b",", b'"', b"'", b"/*", b"*/", b"//", b"#", b"\\\n", b"\\", b"#! stap -g\n", b"#! stap --compatible=1.0\n",
    b"# stapkit: disable=STP501\n", b"# stapkit: disable-file=STP\n", b"# stapkit: fmt: off\n",
    b"# stapkit: fmt: on\n", b"<<<", b"++", b"--", b"?", b":", b"=>", b"**", b"*", b"sys**open",
    b"kernel.function(\"*@fs/*.c\").call", b"process(\"/bin/sh\").mark(\"x\")", b"timer.ms(", b"0x",
    b"99999999999999999999999999", b"-9223372036854775808", b"\x00", b"\r", b"\x0c", b"\x0b",
    "\ufeff".encode(), "\u2028".encode(), "é中".encode(), b"\t" * 50, b"x" * 300,
)
INVALID_UTF8 = (b"\xe9", b"\xff", b"\xfe\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xc0\xaf", b"\x80")
NESTERS = ((b"(", b")"), (b"{", b"}"), (b"[", b"]"), (b"%( 1 %? ", b" %)"), (b"if (x) ", b""), (b"-", b""),
           (b"!", b""), (b"@m(", b")"), (b"/*", b"*/"), (b"{ x = ", b" }"), (b"f(", b")"))


def seed_files(limit_bytes: int | None = None) -> list[Path]:
    """The corpus files (testsuite, tapset library, examples), sorted; those at most `limit_bytes` long."""
    paths = []
    for root, pattern in ((TESTSUITE, "**/*.stp*"), (TAPSET, "**/*.stp*"), (EXAMPLES, "**/*.stp")):
        paths += [Path(p) for p in glob.glob(str(root / pattern), recursive=True)]
    paths = sorted(p for p in set(paths) if p.is_file())
    if limit_bytes is not None:
        paths = [p for p in paths if p.stat().st_size <= limit_bytes]
    return paths


def tokens(data: bytes) -> list[bytes]:
    return TOKEN.findall(data)


def mutate(rng, seeds: list[bytes]) -> bytes:
    """One mutant: a seed (or a splice of two) with one to eight mutations."""
    data = seeds[rng.randrange(len(seeds))]
    if rng.random() < 0.15:
        other = seeds[rng.randrange(len(seeds))]
        a, b = tokens(data), tokens(other)
        data = b"".join(a[: rng.randint(0, len(a))] + b[rng.randint(0, len(b)):])
    for _ in range(rng.randint(1, 8)):
        data = MUTATIONS[rng.randrange(len(MUTATIONS))](rng, data)
    return data


def _flip(rng, data: bytes) -> bytes:
    if not data:
        return data
    i = rng.randrange(len(data))
    byte = data[i] ^ (1 << rng.randrange(8)) if rng.random() < 0.7 else rng.randrange(256)
    return data[:i] + bytes((byte,)) + data[i + 1:]


def _span(rng, toks: list[bytes]) -> tuple[int, int]:
    i = rng.randrange(len(toks))
    return i, min(len(toks), i + 1 + (rng.randrange(12) if rng.random() < 0.3 else 0))


def _delete(rng, data: bytes) -> bytes:
    toks = tokens(data)
    if not toks:
        return data
    i, j = _span(rng, toks)
    return b"".join(toks[:i] + toks[j:])


def _duplicate(rng, data: bytes) -> bytes:
    toks = tokens(data)
    if not toks:
        return data
    i, j = _span(rng, toks)
    times = rng.choice((1, 1, 1, 2, 10, 100))
    return b"".join(toks[:j] + toks[i:j] * times + toks[j:])


def _swap(rng, data: bytes) -> bytes:
    toks = tokens(data)
    if len(toks) < 2:
        return data
    i, j = rng.randrange(len(toks)), rng.randrange(len(toks))
    toks[i], toks[j] = toks[j], toks[i]
    return b"".join(toks)


def _insert(rng, data: bytes, piece: bytes) -> bytes:
    toks = tokens(data)
    i = rng.randint(0, len(toks))
    return b"".join(toks[:i]) + piece + b"".join(toks[i:])


def _hostile(rng, data: bytes) -> bytes:
    return _insert(rng, data, HOSTILE[rng.randrange(len(HOSTILE))])


def _invalid_utf8(rng, data: bytes) -> bytes:
    piece = INVALID_UTF8[rng.randrange(len(INVALID_UTF8))]
    # Half the time inside a string or a comment, where the file still parses.
    places = [m.end() for m in re.finditer(rb'"|#|//|/\*', data)]
    if places and rng.random() < 0.5:
        i = places[rng.randrange(len(places))]
        return data[:i] + piece + data[i:]
    return _insert(rng, data, piece)


def _nest(rng, data: bytes) -> bytes:
    opener, closer = NESTERS[rng.randrange(len(NESTERS))]
    depth = rng.choice((10, 100, 300, 1000, 5000))
    inner = b"x" if rng.random() < 0.8 else b""
    closers = closer * depth if rng.random() < 0.8 else closer * rng.randrange(depth)
    return _insert(rng, data, opener * depth + inner + closers)


def _line_endings(rng, data: bytes) -> bytes:
    choice = rng.randrange(4)
    if choice == 0:
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if choice == 1:
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r")
    lines = data.split(b"\n")
    if len(lines) < 2:
        return data
    i = rng.randrange(len(lines) - 1)
    lines[i] += rng.choice((b"\r", b"\x00", b"\r\r", b" \t", b"\\"))
    return b"\n".join(lines)


def _truncate(rng, data: bytes) -> bytes:
    return data[: rng.randint(0, len(data))]


MUTATIONS = (_flip, _flip, _delete, _delete, _duplicate, _swap, _hostile, _hostile, _hostile, _invalid_utf8,
             _nest, _line_endings, _truncate)
