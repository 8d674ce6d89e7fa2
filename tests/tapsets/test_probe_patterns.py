"""stap's wildcard rules for probe-point patterns, cross-checked with the real `stap -l`.

The expected listings were observed with Debian's stap 4.8 (fake kernel tree),
`stap -I DIR -l PATTERN`, where DIR held one tapset file defining ALIASES
below, each as `probe NAME = begin {}` (aliases on `begin` resolve without
kernel debuginfo, so stap lists them).  stap's own names (begin, end, error,
never and the other library aliases that resolve here) are left out of the
expected values.  stap is not run by these tests.
"""

from __future__ import annotations

import fnmatch
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stapkit.tapsets.probe_families import families
from stapkit.tapsets.probe_patterns import (
    PatternError,
    expand_braces,
    match_names,
    matches,
    parse_point,
    split_pattern,
)

from ..corpora import REPO, require

ALIASES = sorted([
    "zz", "zz.a", "zz.a.b", "zz.a.b.c", "zz.ab", "zz.b", "zz.b.return", "zz.xay",
    "zz.n.x.y", "zzz.q", "yy.a.zz.b",
])

# stap -l PATTERN, observed (sorted, as stap prints).
OBSERVED = {
    "zz.*": ["zz.a", "zz.ab", "zz.b", "zz.xay"],  # `*` stays in one component
    "zz.**": ["zz.a", "zz.a.b", "zz.a.b.c", "zz.ab", "zz.b", "zz.b.return", "zz.n.x.y", "zz.xay"],
    "zz": ["zz"],
    "zz*": ["zz"],
    "zz.a*": ["zz.a", "zz.ab"],
    "zz.*a*": ["zz.a", "zz.ab", "zz.xay"],
    "zz.*a": ["zz.a"],
    "zz.*.b": ["zz.a.b"],
    "zz.**.c": ["zz.a.b.c"],
    "zz.a.**": ["zz.a.b", "zz.a.b.c"],
    "zz**": ["zz", "zz.a", "zz.a.b", "zz.a.b.c", "zz.ab", "zz.b", "zz.b.return", "zz.n.x.y",
             "zz.xay", "zzz.q"],  # `**` in a name: zero or more further components
    "zz.{a,b}": ["zz.a", "zz.b"],
    "zz.{a,{b,ab}}": ["zz.a", "zz.ab", "zz.b"],
    "zz.{a,b}.*": ["zz.a.b", "zz.b.return"],
    "zz.{a.b,b}": ["zz.a.b", "zz.b"],
    "zz.{a,b.return}": ["zz.a", "zz.b.return"],
    "{zz,yy}.**.b": ["yy.a.zz.b", "zz.a.b"],
    "*.b": ["zz.b"],
    "**.b": ["yy.a.zz.b", "zz.a.b", "zz.b"],
    "zz.**.b": ["zz.a.b"],  # a lone `**` needs at least one component
    "zz**c": ["zz.a.b.c"],
    "zz*.**c": ["zz.a.b.c"],
    "**": ["yy.a.zz.b", "zz", "zz.a", "zz.a.b", "zz.a.b.c", "zz.ab", "zz.b", "zz.b.return",
           "zz.n.x.y", "zz.xay", "zzz.q"],
    "zz.a**": ["zz.a", "zz.a.b", "zz.a.b.c", "zz.ab"],
    "zz.*.*": ["zz.a.b", "zz.b.return"],
    "zz.n.**": ["zz.n.x.y"],
    "zz.n.*": [],  # zz.n is not an alias: nothing complete one level below it
    "zz.***": ["zz.a", "zz.a.b", "zz.a.b.c", "zz.ab", "zz.b", "zz.b.return", "zz.n.x.y", "zz.xay"],
    "zz.**.**": ["zz.a.b", "zz.a.b.c", "zz.b.return", "zz.n.x.y"],
    "ZZ.a": [],  # case-sensitive
    "zz.a(1)": [],  # an alias component takes no argument
    "zz . a": ["zz.a"],
    "zz.{a , b}": ["zz.a", "zz.b"],
    "zz.a?": ["zz.a"],
    "zz.a!": ["zz.a"],
    "zz.q?": [],
    "zz.{a,q}?": ["zz.a"],
    "zz.{a?,b}": ["zz.a", "zz.b"],
    "zz.a,zz.b": ["zz.a", "zz.b"],
    "zz.a?,zz.b": ["zz.a", "zz.b"],
    # `!`: the first alternative that resolves ends the list
    "zz.{a!,b}": ["zz.a"],
    "zz.{a,b}!": ["zz.a"],
    "{zz.b,zz.a}!": ["zz.b"],
    "zz.{a,b}.{return,b}!": ["zz.a.b"],  # zz.a.return, then zz.a.b: first component outermost
    "{zz}": ["zz"],
    "zz.{a,{b}}": ["zz.a", "zz.b"],
}

# stap -l on built-in families (these resolve with no debuginfo), as family patterns:
# pattern -> (what stap listed, what stapkit lists on top).  A second fake kernel tree with
# CONFIG_TRACEPOINTS, CONFIG_ARCH_SUPPORTS_UPROBES and CONFIG_PERF_EVENTS let the process
# probes resolve.  stap lists only points that resolve on the machine: process.plt needs a
# program (-c/-x or a path), perf needs the kernel's perf_event_create_kernel_counter; the
# shape-level listing keeps them.  Tapset aliases in stap's listing are left out.
OBSERVED_FAMILIES = {
    "procfs.*": (["procfs.read", "procfs.write"], []),
    "procfs.**": (["procfs.read", "procfs.write"], []),
    'procfs("a").**': (["procfs(string).read", "procfs(string).write"], []),
    "timer.m*(1)": (["timer.ms(number)", "timer.msec(number)"], []),
    "*.*": (["process.begin", "process.end", "process.syscall", "procfs.read", "procfs.write"],
            ["process.plt"]),
    "process.*": (["process.begin", "process.end", "process.syscall"], ["process.plt"]),
    "process.**": (["process.begin", "process.end", "process.syscall", "process.syscall.return",
                    "process.thread.begin", "process.thread.end"],
                   ["process.plt", "process.plt.return"]),
    "perf.**": ([], []),  # every perf pattern needs type(N).config(N)
    "begin.*": ([], []),
    "begin**": (["begin"], []),
    "timer.*": ([], []),  # every timer needs an argument or a further component
}

# stap -l PATTERN gave "parse error: ..." for these; here: (column, part of our message)
BAD = {
    "pro?fs.read": (4, "'?' or '!' must only come after the last component"),
    "proc[f]s.read": (5, "unexpected character '['"),
    "timer.ms(*)": (10, "expected a literal string or number"),
    "zz.{a,b": (8, "expected ',' or '}'"),
    'zz."a"': (4, "expected a component name"),
    "zz.a.": (6, "expected a component name"),
    "zz..a": (4, "expected a component name"),
    "zz.{}": (5, "empty braces"),
    "zz.{a,}": (7, "expected a component name"),
    "zz.{a,b}{x,y}": (9, "braces must stand for a whole component"),
    "zz.a{b,c}": (5, "braces must stand for a whole component"),
    "zz.a?.b": (5, "'?' or '!' must only come after the last component"),
    "zz.a??": (6, "'?' or '!' respecified"),
    "zz.{a?}?": (8, "'?' or '!' respecified"),
    "zz.{a!}?": (8, "'?' or '!' respecified"),
    "zz.{a?,b}!": (10, "'?' or '!' respecified"),
    "{a!}.{b,c}?": (3, "'?' or '!' must only come after the last component"),
    "zz.1a": (4, "expected a component name"),
    "zz.a*1": (6, "unexpected '1'"),
    "zz.a'": (5, "unexpected character"),
    # not tried with stap (or accepted by the shell differently), same rules
    'kernel.function("vfs_read': (17, "unterminated string"),
    "zz.a}": (5, "'}' without a matching '{'"),
    "zz.a(1": (7, "expected ')'"),
    "zz.a b": (6, "a name cannot hold whitespace"),
    "timer.ms(08)": (10, "number invalid or out of range"),
    "timer.ms(0x)": (10, "number invalid or out of range"),
    "timer.ms(18446744073709551616)": (10, "number invalid or out of range"),
    "": (1, "expected a component name"),
}


@pytest.mark.parametrize("pattern", sorted(OBSERVED))
def test_listing_matches_stap(pattern: str):
    assert match_names(pattern, ALIASES) == OBSERVED[pattern]


# `!` is left out: which names it stops at depends on the whole list.
@pytest.mark.parametrize("pattern", sorted(p for p in OBSERVED if "!" not in p))
def test_matches_agrees_with_listing(pattern: str):
    assert [n for n in ALIASES if matches(pattern, n)] == OBSERVED[pattern]


@pytest.mark.parametrize("pattern", sorted(OBSERVED_FAMILIES))
def test_listing_built_in_families(pattern: str):
    names = sorted(f.pattern for f in families() if f.registered)
    observed, shape_only = OBSERVED_FAMILIES[pattern]
    assert match_names(pattern, names) == sorted(observed + shape_only)


@pytest.mark.parametrize("pattern", sorted(BAD))
def test_bad_patterns(pattern: str):
    column, message = BAD[pattern]
    with pytest.raises(PatternError) as info:
        expand_braces(pattern)
    assert message in info.value.message
    assert info.value.column == column
    assert f"(column {column})" in str(info.value)
    assert isinstance(info.value, ValueError)
    with pytest.raises(PatternError):
        match_names(pattern, ALIASES)


def test_arguments_compare_by_kind():
    assert matches('kernel.function("vfs_*")', "kernel.function(string)")
    assert matches('kernel.function("vfs_*").return', 'kernel.function("sys_open").return')
    assert not matches('kernel.function("vfs_*")', "kernel.function(number)")
    assert not matches('timer.ms("5")', "timer.ms(number)")  # stap: probe point mismatch
    assert matches("timer.ms(5)", "timer.ms(number)")
    assert matches("begin(-1)", "begin(number)")
    assert not matches("begin", "begin(number)")
    assert not matches("begin(1)", "begin")
    assert matches("timer.ms(0x10)", "timer.ms(16)")
    # `**` spans only components without an argument; the argument goes to the last one
    assert matches("timer.**(1)", "timer.ms(number)")
    assert not matches("timer.**(1)", "timer.ms(number).randomize(number)")
    assert matches("process.**", "process.library(string)") is False
    assert matches("perf.**", "perf.type(number)") is False
    assert matches("process(string).**", "process(string).thread.begin")
    assert matches('process("/usr/bin/a.b").**', "process(string).plt.return")


def test_expand_braces():
    assert expand_braces("syscall.{open,close}.return") == ["syscall.open.return", "syscall.close.return"]
    assert expand_braces("{a,b}.{c,{d,e}}.f!") == ["a.c.f!", "a.d.f!", "a.e.f!", "b.c.f!", "b.d.f!", "b.e.f!"]
    assert expand_braces('{kernel,module("nfs")}.function("nfs*")!') == [
        'kernel.function("nfs*")!', 'module("nfs").function("nfs*")!']
    assert expand_braces("zz.{a!,b}") == ["zz.a!", "zz.b"]
    assert expand_braces("zz.{a.b,b}?") == ["zz.a.b?", "zz.b?"]
    assert expand_braces("a,b") == ["a", "b"]
    assert expand_braces('kernel.function("a{b,c}")') == ['kernel.function("a{b,c}")']
    assert expand_braces("zz . a") == ["zz.a"]
    assert expand_braces('procfs("a" "b").read') == ['procfs("a" "b").read']
    assert expand_braces("timer.ms( 5 )") == ["timer.ms(5)"]


def test_split_pattern():
    assert split_pattern('process("/usr/bin/a.b").function("x")') == ['process("/usr/bin/a.b")', 'function("x")']
    assert split_pattern("zz.{a.b,c}.d") == ["zz", "{a.b,c}", "d"]
    assert split_pattern("zz.{a,{b.c,d}}?") == ["zz", "{a,{b.c,d}}"]
    assert split_pattern('kernel.function("*@fs/*.c:100-200").return') == [
        "kernel", 'function("*@fs/*.c:100-200")', "return"]
    assert split_pattern('a("x)y.z").b') == ['a("x)y.z")', "b"]
    assert split_pattern('a("q\\"x.y").b') == ['a("q\\"x.y")', "b"]
    with pytest.raises(PatternError) as info:
        split_pattern("zz.{a,b},c")
    assert info.value.column == 9
    with pytest.raises(PatternError):
        split_pattern('process("x.b.function("y")')


def test_parse_point():
    p = parse_point('kernel.function("vfs_read").return?')
    assert [(c.name, c.kind, c.value) for c in p.components] == [
        ("kernel", None, None), ("function", "string", "vfs_read"), ("return", None, None)]
    assert p.optional and not p.sufficient
    assert p.key == "kernel.function(string).return"
    # numbers as stap reads them (strtoull base 0), strings glued, escapes as stap keeps them
    assert parse_point("begin(-5)").components[0].value == -5
    assert parse_point("timer.ms(0x1F)").components[1].value == 31
    assert parse_point("timer.ms(0777)").components[1].value == 0o777
    assert parse_point('procfs("a" "b")').components[0].value == "ab"
    assert parse_point(r'a("\q\"\n")').components[0].value == 'q"\\n'
    assert parse_point("timer.ms(number)").components[1].value is None
    with pytest.raises(PatternError):
        parse_point("zz.{a,b}")
    assert parse_point('process("{x}").begin').components[0].value == "{x}"


@pytest.mark.corpus
def test_real_alias_names():
    """`*` stays in one component on the real 4.8 alias list too."""
    dump = require(REPO.parent / "shared" / "reference" / "stap-4.8-dump-probe-aliases.txt")
    names = sorted({line.split(" = ")[0] for line in dump.read_text().splitlines() if " = " in line})
    one = match_names("socket.*", names)
    assert "socket.send" in one and "socket.sendmsg" in one
    assert all(n.count(".") == 1 for n in one)
    deep = match_names("socket.**", names)
    assert "socket.sendmsg.return" in deep and set(one) < set(deep)
    assert match_names("socket.{send,receive}", names) == ["socket.receive", "socket.send"]
    assert match_names("syscall.open*.return", names) == [
        n for n in names if re.fullmatch(r"syscall\.open[^.]*\.return", n)]


# --- properties -----------------------------------------------------------------------------


def reference_match(pattern: list[tuple[str, str | None]], name: list[tuple[str, str | None]]) -> bool:
    """stap's match_node::find_and_build, followed along one name.

    `foo**bar` is tried as `foo*bar` and as `foo*` then `**bar` (the argument
    stays with the latter); a glob compares names with fnmatch and needs the
    same argument kind.
    """
    if not pattern:
        return not name
    pname, pkind = pattern[0]
    if "**" in pname:
        start = pname.index("**")
        end = start
        while end < len(pname) and pname[end] == "*":
            end += 1
        prefix, suffix = pname[:start], pname[end:]
        simple = [(prefix + "*" + suffix, pkind)] + pattern[1:]
        expanded = [(prefix + "*", None), ("**" + suffix, pkind)] + pattern[1:]
        return reference_match(simple, name) or reference_match(expanded, name)
    if not name:
        return False
    nname, nkind = name[0]
    return fnmatch.fnmatchcase(nname, pname) and pkind == nkind and reference_match(pattern[1:], name[1:])


KINDS = st.sampled_from([None, None, None, "string", "number"])
NAME_PART = st.sampled_from(["a", "b", "ab", "ba", "abc", "c"])
PATTERN_PART = st.sampled_from(["a", "b", "ab", "*", "a*", "*b", "*a*", "**", "a**", "**b", "a**b",
                                "***", "a*b", "**a**"])
NAMES = st.lists(st.tuples(NAME_PART, KINDS), min_size=1, max_size=5)
PATTERNS = st.lists(st.tuples(PATTERN_PART, KINDS), min_size=1, max_size=4)


def spell(components: list[tuple[str, str | None]]) -> str:
    return ".".join(n if k is None else f"{n}({k})" for n, k in components)


@given(PATTERNS, NAMES)
def test_matches_follows_stap_algorithm(pattern, name):
    assert matches(spell(pattern), spell(name)) == reference_match(pattern, name)


@given(PATTERNS, st.lists(NAMES, max_size=12))
def test_match_names_is_a_sorted_filter(pattern, names):
    text = spell(pattern)
    spelled = sorted({spell(n) for n in names})
    assert match_names(text, spelled) == [n for n in spelled if matches(text, n)]


@given(st.lists(st.lists(PATTERN_PART, min_size=1, max_size=3), min_size=1, max_size=3),
       st.lists(st.sampled_from(["x", "y.z"]), min_size=0, max_size=2))
def test_braces_expand_to_the_product(alternatives, tail):
    group = "{" + ",".join(".".join(a) for a in alternatives) + "}"
    pattern = ".".join(["p", group, *tail])
    expected = [".".join(["p", ".".join(a), *tail]) for a in alternatives]
    assert expand_braces(pattern) == expected


def test_hostile_patterns_give_pattern_errors():
    with pytest.raises(PatternError, match="nested more than 100 deep") as info:
        expand_braces("{" * 10_000 + "a" + "}" * 10_000)
    assert info.value.column == 101
    with pytest.raises(PatternError, match="expand to more than 100000"):
        expand_braces(".".join(["{a,b}"] * 30))
    assert len(expand_braces(".".join(["{a,b}"] * 16))) == 2**16
    with pytest.raises(PatternError, match="unexpected character"):
        expand_braces("zz.\x00")
    assert match_names("a" * 100_000, ["a" * 100_000]) == ["a" * 100_000]
