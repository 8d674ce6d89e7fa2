"""The built-in probe family table, checked against what the real stap 4.8 says.

The expected values were observed with Debian's stap 4.8 (a fake kernel tree,
passes 1-2): `--dump-probe-types` (read in place from ../shared/reference),
`--privilege=stapusr --dump-probe-types`, the error messages of `stap -p2`
for mismatched points, and `stap --runtime=bpf -p4` for the bpf runtime.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from stapkit.tapsets.probe_families import (
    Component,
    ProbeFamily,
    families,
    find_families,
    find_family,
    following,
    group,
    groups,
)
from stapkit.tapsets.probe_patterns import parse_point

from ..corpora import REPO, require

DUMP = REPO.parent / "shared" / "reference" / "stap-4.8-dump-probe-types.txt"
STAPPROBES = Path("/usr/share/man/man3/stapprobes.3stap.gz")


def point(text: str) -> list[tuple[str, str | None]]:
    """A probe point as written in a script, as find_families takes it."""
    return [(c.name, c.kind) for c in parse_point(text).components]


def patterns(found: tuple[ProbeFamily, ...]) -> list[str]:
    return [f.pattern for f in found]


@pytest.mark.corpus
def test_every_dumped_pattern_is_a_registered_family():
    dump = require(DUMP).read_text().splitlines()
    assert len(dump) == 260
    registered = [f.pattern for f in families() if f.registered]
    assert sorted(registered) == sorted(dump)
    for line in dump:
        assert find_family(line) is not None, line


def test_patterns_are_unique_and_spelled_from_their_components():
    all_patterns = [f.pattern for f in families()]
    assert len(all_patterns) == len(set(all_patterns)) == 270
    for f in families():
        assert ".".join(str(c) for c in f.components) == f.pattern
        # the pattern reader of probe_patterns reads the same components
        assert point(f.pattern) == list(f.key)
        assert f.group in {g.name for g in groups()}


def test_group_facts_are_copied_onto_families():
    for f in families():
        g = group(f.group)
        assert (f.needs_debuginfo, f.needs_target, f.side, f.runtimes, f.unprivileged,
                f.guru_only, f.registered) == (g.needs_debuginfo, g.needs_target, g.side,
                                               g.runtimes, g.unprivileged, g.guru_only,
                                               g.registered)
        assert f.description == g.description
    for g in groups():
        assert g.side in ("session", "kernel", "user")
        assert g.runtimes[0] == "kernel" and set(g.runtimes) <= {"kernel", "bpf"}
        assert not g.needs_debuginfo or g.needs_target  # DWARF is part of the target
        assert any(f.group == g.name for f in families())
    assert [f.pattern for f in families() if not f.registered] == [
        "java(number).class(string).method(string)",
        "java(number).class(string).method(string).return",
        "java(string).class(string).method(string)",
        "java(string).class(string).method(string).return",
        "python2.module(string).function(string)",
        "python2.module(string).function(string).call",
        "python2.module(string).function(string).return",
        "python3.module(string).function(string)",
        "python3.module(string).function(string).call",
        "python3.module(string).function(string).return",
    ]


def test_unprivileged_families_are_those_stap_lists_for_stapusr():
    # `stap --privilege=stapusr --dump-probe-types` printed 171 patterns: begin/end/error,
    # never, every timer but timer.profile.tick, and every process pattern but .insn.
    expected = [
        f.pattern for f in families() if f.registered and (
            f.pattern.split(".")[0].split("(")[0] in ("begin", "end", "error", "never")
            or (f.pattern.startswith("timer.") and f.pattern != "timer.profile.tick")
            or (f.pattern.startswith("process") and ".insn" not in f.pattern))
    ]
    assert len(expected) == 171
    assert [f.pattern for f in families() if f.registered and f.unprivileged] == expected


def test_debuginfo_and_target_needs():
    def needs(text: str) -> tuple[bool, bool]:
        (f,) = find_families(point(text))
        return f.needs_debuginfo, f.needs_target

    assert needs('kernel.function("vfs_read").return') == (True, True)
    assert needs('module("ext4").statement("*@fs/ext4/inode.c:10")') == (True, True)
    assert needs('process("/bin/ls").function("main")') == (True, True)
    assert needs('kernel.trace("sched_switch")') == (True, True)  # DWARF made from headers
    assert needs('kprobe.function("vfs_read")') == (False, True)  # symbol table only
    assert needs('process("/bin/ls").mark("x")') == (False, True)  # SDT notes
    assert needs('process("/bin/ls").plt') == (False, True)
    assert needs("kernel.statement(0xffffffff81000000).absolute") == (False, False)
    assert needs("process(123).statement(0x4005d0).absolute") == (False, False)
    # these resolved with `stap -p2` against a fake kernel tree with no debuginfo
    for text in ("begin", "end(1)", "never", "timer.ms(100)", "timer.jiffies(5).randomize(1)",
                 'procfs("x").read.maxsize(10)', "procfs.umask(1).read",
                 'netfilter.hook("NF_INET_PRE_ROUTING").pf("NFPROTO_IPV4")'):
        assert needs(text) == (False, False), text


def test_runtimes():
    def runtimes(text: str) -> tuple[str, ...]:
        (f,) = find_families(point(text))
        return f.runtimes

    # compiled by `stap --runtime=bpf -p4` with no warning
    for text in ("begin", "end", "error", "never", "timer.ms(5)", "timer.s(5)", "timer.hz(5)",
                 "timer.jiffies(5)", "timer.ms(5).randomize(1)", "timer.ns(200000)",
                 "procfs.read", "procfs.write", "procfs.read.maxsize(10)", "procfs.umask(1).read"):
        assert runtimes(text) == ("kernel", "bpf"), text
    # "WARNING: netfilter probe will be ignored by bpf backend"
    assert runtimes('netfilter.hook("NF_INET_PRE_ROUTING").pf("NFPROTO_IPV4")') == ("kernel",)
    # bpf-translate.cxx (release-4.8): utrace, hwbkpt, itrace, profile, marker probes are ignored
    for text in ("process.begin", 'process("/bin/ls").syscall', "kernel.data(1).write",
                 'process("/bin/ls").insn', "timer.profile.tick", 'kernel.mark("x")'):
        assert runtimes(text) == ("kernel",), text
    # ... and kprobe, uprobe, tracepoint and perf probes are translated
    for text in ('kernel.function("vfs_read")', 'kprobe.function("vfs_read")',
                 'process("/bin/ls").function("main")', 'process("/bin/ls").mark("x")',
                 'kernel.trace("sched_switch")', "perf.type(0).config(0).sample(1000)"):
        assert runtimes(text) == ("kernel", "bpf"), text


def test_guru_only():
    # "absolute statement probe in unprivileged script; need stap -g"
    guru = [f.pattern for f in families() if f.guru_only]
    assert guru == ["kernel.statement(number).absolute", "kprobe.statement(number).absolute"]


@pytest.mark.parametrize(("text", "expected"), [
    ('kernel.function("vfs_read").return', ["kernel.function(string).return"]),
    ("kernel.function(0xffffffff81234560)", ["kernel.function(number)"]),
    ('kernel.function("vfs_read").return.maxactive(10)', ["kernel.function(string).return.maxactive(number)"]),
    ('kernel.function("*@fs/*.c:100-200")', ["kernel.function(string)"]),
    ("timer.ms(100)", ["timer.ms(number)"]),
    ("timer.profile.tick", ["timer.profile.tick"]),
    ("begin", ["begin"]),
    ("begin(-1)", ["begin(number)"]),  # stap -p2 accepts a negative priority
    ("process.begin", ["process.begin"]),
    ('process("/bin/ls").begin', ["process(string).begin"]),
    ("process(1234).begin", ["process(number).begin"]),
    ('process("/bin/ls").function("main")', ["process(string).function(string)"]),
    ('process("a").library("libc.so.6").function("malloc").callee("x").return',
     ["process(string).library(string).function(string).callee(string).return"]),
    ("process(1234).statement(0x4005d0).absolute", ["process(number).statement(number).absolute"]),
    ('procfs("foo").umask(0002).write', ["procfs(string).umask(number).write"]),
    ("perf.type(0).config(0).sample(1000)", ["perf.type(number).config(number).sample(number)"]),
    ('netfilter.hook("NF_INET_PRE_ROUTING").pf("NFPROTO_IPV4").priority("1")',
     ["netfilter.hook(string).pf(string).priority(string)"]),
    ('kernel.trace("sched_switch")', ["kernel.trace(string)"]),
    ('java("org.my.App").class("Foo").method("bar")', ["java(string).class(string).method(string)"]),
    # mismatches stap -p2 reported: "probe point mismatch (similar: ms, s, ns, us, hz)" ...
    ('timer.ms("5")', []),
    ('begin("1")', []),
    ("procfs(1).read", []),
    ('procfs.umask("1").read', []),
    ('netfilter.hook(1).pf("NFPROTO_IPV4")', []),
    ("timer.ms", []),
    # ... "probe point truncated (follow: ...)" and "invalid suffix for probe"
    ("timer", []),
    ("procfs", []),
    ("timer.ms(5).return", []),
    ("procfs.read.maxsize(1).x", []),
    ("process(1).statement(1).absolute.return.x", []),
    ('process("/bin/ls").statement(1).absolute', []),  # only process(PID) takes .absolute
    ('kprobe.function("f").label("x")', []),
])
def test_find_families(text: str, expected: list[str]):
    assert patterns(find_families(point(text))) == expected


def test_find_families_with_wildcards():
    # shape only: stap -l 'timer.*(1)' printed hz, jiffies, ms, msec, s, sec — the
    # ns/us timers were dropped by the builder (1 ns is below its interval range).
    assert patterns(find_families(point("timer.*(1)"))) == [
        "timer.hz(number)", "timer.jiffies(number)", "timer.ms(number)", "timer.msec(number)",
        "timer.ns(number)", "timer.nsec(number)", "timer.s(number)", "timer.sec(number)",
        "timer.us(number)", "timer.usec(number)",
    ]
    assert patterns(find_families(point("timer.m*(1)"))) == ["timer.ms(number)", "timer.msec(number)"]
    assert patterns(find_families(point("procfs.*"))) == ["procfs.read", "procfs.write"]
    assert patterns(find_families(point('procfs("a").**'))) == ["procfs(string).read", "procfs(string).write"]
    assert patterns(find_families(point('kernel.func*("vfs_*").ret*'))) == ["kernel.function(string).return"]
    assert patterns(find_families(point('python*.module("m").function("f")'))) == [
        "python2.module(string).function(string)", "python3.module(string).function(string)"]
    assert find_families(point('python*.module("m").function("f")'), include_unregistered=False) == ()


def test_find_families_takes_tuples_and_rejects_bad_kinds():
    assert patterns(find_families((("kernel", None), ("trace", "string")))) == ["kernel.trace(string)"]
    with pytest.raises(ValueError, match="argument kind"):
        find_families([("timer", None), ("ms", "long")])
    with pytest.raises(ValueError, match="argument kind"):
        Component("ms", "int")


def test_following_matches_stap_truncated_messages():
    # stap -p2 'probe timer {}': probe point truncated (follow:  hz(number) jiffies(number)
    # ms(number) msec(number) ns(number) nsec(number) profile s(number) sec(number) us(number) usec(number))
    assert " ".join(str(c) for c in following([("timer", None)])) == (
        "hz(number) jiffies(number) ms(number) msec(number) ns(number) nsec(number) "
        "profile s(number) sec(number) us(number) usec(number)")
    # stap -p2 'probe procfs {}': probe point truncated (follow:  read umask(number) write)
    assert " ".join(str(c) for c in following([("procfs", None)])) == "read umask(number) write"
    assert following(point("timer.profile.tick")) == ()
    assert Component("begin", None) in following([])


def test_families_is_built_once():
    assert families() is families()


@pytest.mark.corpus
def test_descriptions_are_our_own_words():
    """No description shares a run of six words with stapprobes(3stap)."""
    with gzip.open(require(STAPPROBES), "rt", errors="replace") as f:
        manual = f.read()
    manual = re.sub(r"\\f[BIRP]|\\-|\\\(..|\\&", "", manual)
    words = re.findall(r"[a-z0-9]+", manual.lower())
    runs = {tuple(words[i:i + 6]) for i in range(len(words) - 5)}
    for g in groups():
        mine = re.findall(r"[a-z0-9]+", g.description.lower())
        for i in range(len(mine) - 5):
            assert tuple(mine[i:i + 6]) not in runs, (g.name, " ".join(mine[i:i + 6]))
