"""Probe points (STP2xx), their handlers' context (STP302-306), deprecated probes (STP401), guru points (STP604).

The expected messages are stap 4.8's where stap can decide offline (checked
with `stap -p2 -r <fake kernel tree> -e '...'`); the corpora are read in place.
"""

from __future__ import annotations

import pytest

from stapkit.diagnostics import Severity
from stapkit.semantic import checker, probe_points
from stapkit.semantic.checker import CheckOptions, check_file, check_text
from stapkit.semantic.unit import CheckUnit
from stapkit.syntax.parser import ParseOptions, parse_text
from stapkit.syntax.target import Target
from stapkit.tapsets.for_target import TargetView

from ..corpora import TESTSUITE, example_files, example_needs_guru, example_options, ids, require, stap_run_scripts
from stapkit.semantic.session import Session

SESSION = Session()  # one database and resolver for the module's checks

MINE = ("STP201", "STP202", "STP203", "STP204", "STP205", "STP210", "STP302", "STP303", "STP304",
        "STP305", "STP306", "STP401", "STP604")


def found(text: str, *, guru: bool = False, explain: bool = False, target: Target | None = None):
    """This module's diagnostics for a script (the other checks' are left out)."""
    parse = ParseOptions(guru=guru, target=target or Target())
    result = check_text(text, "t.stp", CheckOptions(parse=parse, explain_unverifiable=explain, session=SESSION))
    assert not result.parse.has_errors, [d.message for d in result.diagnostics]
    return [d for d in result.diagnostics if d.code in MINE]


def codes(text: str, **options) -> list[str]:
    return [d.code for d in found(text, **options)]


def only(text: str, code: str, **options):
    """The one diagnostic of the script, which must have that code."""
    diagnostics = found(text, **options)
    assert [d.code for d in diagnostics] == [code], [(d.code, d.message) for d in diagnostics]
    return diagnostics[0]


def spanned(text: str, diagnostic) -> str:
    return text[diagnostic.span.start:diagnostic.span.end]


def probe_info(text: str, **target):
    """unit.probes after probe_points.check, in the order of the script's declarations."""
    result = parse_text(text, "t.stp")
    target = result.target.evolve(**target) if target else result.target
    unit = CheckUnit(result.path, result, SESSION.db(None), TargetView(target), guru=result.guru,
                     privilege=target.privilege)
    probe_points.check(unit, SESSION)
    return [unit.probes[id(item)] for item in result.script.items if id(item) in unit.probes]


# ---------------------------------------------------------------- what resolves


@pytest.mark.parametrize("point", [
    "begin", "end(-1)", "error", "never", "timer.ms(100)", "timer.s(1).randomize(1)", "timer.hz(1000)",
    "timer.jiffies(100)", "timer.profile", "timer.profile.tick",
    "syscall.read", "syscall.read.return", "syscall.*", "nd_syscall.open?", "syscall.{open,close}.return",
    "vfs.read", "socket.send", "kprocess.create", "tcpmib.InSegs", "scheduler.cpu_on",
    # alias suffixes (SystemTap >= 2.0)
    "syscall.read.return.maxactive(10)", "syscall.*.return.maxactive(10)",
    # shapes of the families that need the target system: accepted offline
    'kernel.function("vfs_read")', 'kernel.function("*@fs/*.c:100-200").return.maxactive(5)',
    'module("ext4").function("ext4_*").call', 'kprobe.function("vfs_read").return',
    'process("/bin/ls").function("main")', 'process("/bin/ls").library("libc.so.6").function("malloc")',
    'process("/bin/ls").mark("foo")', "process.plt", 'kernel.trace("sched_switch")',
    "process(1234).statement(0x4005d0).absolute",
    'netfilter.hook("NF_INET_PRE_ROUTING").pf("NFPROTO_IPV4").priority("1")',
    'procfs("foo").umask(0002).write', 'procfs("a/b").read.maxsize(100)',
    "perf.type(0).config(0).sample(1000)",
    # stap's `**`: buildok/alias_suffixes06.stp, semok/doubleglob.stp
    "t**ile", "ti**es(1)", 'ke**on("vfs_read")', "syscall.open.return.maxact**(10)",
    # optional points that resolve to nothing
    "nosuchthing?", "syscall.nosuch?", "kernel.nosuch!",
    # spelled by the script's arguments: known only when they are given
    "$1.call", 'kernel.function(@1)', "timer.ms($1)",
])
def test_a_valid_point_gets_no_diagnostic(point):
    assert found(f"probe {point} {{ println(1) }}") == []


def test_the_script_own_aliases_resolve_and_extend_the_library():
    text = """
probe myread = syscall.read { tag = "r" }
probe myread { println(tag, fd) }
probe syscall.mine = begin { }
probe syscall.mine { println(1) }
probe twice = begin, end { }
probe twice.* ? { println(2) }
"""
    assert found(text) == []


# ---------------------------------------------------------------- STP201


def test_an_unknown_alias_gets_did_you_mean():
    d = only("probe socket.sendd { }", "STP201")
    assert d.message.startswith("unknown probe point 'socket.sendd' (did you mean 'socket.send'")
    assert d.severity is Severity.ERROR


def test_a_name_of_the_2009_manual_says_what_it_became():
    d = only("probe process.create { }", "STP201")
    assert "process.create" in d.message and "renamed kprocess.create in SystemTap 0.9.6" in d.message
    d = only("probe signal.sys_tkill { }", "STP201")
    assert "signal.systkill" in d.message


def test_a_wildcard_that_matches_nothing():
    d = only("probe foo**bar { }", "STP201")  # semko/doubleglob.stp
    assert d.message.startswith("no probe point matches 'foo**bar'")
    assert "didn't find any wildcard matches" in d.hints[0]
    assert found("probe foo**bar? { }") == []


def test_a_wildcard_whose_matches_do_not_resolve_says_why():
    # semko/fortythree.stp: foo.* matches foo.bar, whose expansion loops
    text = "probe foo.bar = foo.* { }\nprobe foo.* { }\n"
    messages = [d.message for d in found(text)]
    assert messages and all("matches foo.bar" in m and "recursive loop" in m for m in messages)


def test_an_unknown_namespace_is_an_error_as_a_typo_is():
    # glib.* comes with glib's own tapset, game.* with -I tapset/: stap without them errs,
    # so does stapkit, and says where they may come from
    d = only("probe glib.mem_alloc { }", "STP201")
    assert d.severity is Severity.ERROR and "another package" in d.hints[0]
    assert codes("probe glib.mem_alloc? { }\nprobe begin { }") == []  # optional: nothing to say
    d = only("probe begn { }", "STP201")
    assert d.severity is Severity.ERROR and "did you mean 'begin'" in d.message


def test_an_alias_for_another_target_is_unknown_for_this_one():
    # an alias of the i386 tapsets, checked for x86_64
    d = only("probe syscall.vm86 { }", "STP201")
    assert "for this target" in d.message


def test_an_alias_that_resolves_to_nothing_is_no_match():
    text = "probe a = b? { }\nprobe a { }\n"
    d = only(text, "STP201")
    assert d.message.startswith("no match: 'a'")
    assert found("probe a = b? { }\nprobe a? { }\n") == []


def test_a_wildcard_alias_name_is_refused():
    d = only("probe badalias.* = begin { }\n", "STP201")  # semko/twentythree.stp
    assert "invalid use of wildcard probe point component" in d.message


# ---------------------------------------------------------------- STP202


@pytest.mark.parametrize("point, component, message", [
    ('timer.ms("5")', 'ms("5")', "'ms' takes a number, not a string"),
    ('begin("x")', 'begin("x")', "'begin' takes no argument or a number, not a string"),
    ("procfs.read.maxsize", "maxsize", "'maxsize' needs an argument: a number"),
    ('kernel.function("*").return.maxactive("hi")', 'maxactive("hi")', "'maxactive' takes a number"),
    ('netfilter.hook.pf("NFPROTO_IPV4")', "hook", "'hook' needs an argument: a string"),
    ("syscall.read(5)", "read(5)", "'read' takes no argument, not a number"),
])
def test_an_argument_of_the_wrong_kind(point, component, message):
    text = f"probe {point} {{ }}"
    d = only(text, "STP202")
    assert spanned(text, d) == component
    assert d.message.startswith(message), d.message


def test_an_alias_name_takes_no_argument():
    d = only("probe foo(1) = begin { }\n", "STP202")
    assert d.message == "alias component foo contains illegal parameter"


# ---------------------------------------------------------------- STP203


def test_a_truncated_point_lists_what_may_follow():
    d = only("probe timer { }", "STP203")
    assert d.message.startswith("probe point truncated: 'timer' needs one more component (hz(number), ")
    d = only("probe procfs { }", "STP203")  # semko/procfs01.stp
    assert "(read, umask(number), write)" in d.message


@pytest.mark.parametrize("point, suffix", [
    ("timer.ms(5).return", "return"),
    ("begin.maxactive(3)", "maxactive(3)"),  # semko/maxactive06.stp
    ('kernel.function("*").maxactive(3)', "maxactive(3)"),  # semko/maxactive01.stp
    ("timer.hz(1000).randomize(500)", "randomize(500)"),  # semko/timer_hz_randomize.stp
    ("procfs.read.write", "write"),  # semko/procfs03.stp
    ('process("/bin/cat").end.return', "return"),  # semko/utrace03.stp
    ("perf.type(0).config(0).sample(100).hz(100)", "hz(100)"),  # semko/perf_sample.stp
])
def test_a_suffix_no_family_takes(point, suffix):
    text = f"probe {point} {{ }}"
    d = only(text, "STP203")
    assert d.message.startswith("invalid suffix for probe")
    assert spanned(text, d) == suffix


def test_an_alias_suffix_is_checked_on_what_the_alias_expands_to():
    text = "probe syscall.read.maxactive(10) { }"  # stap: invalid suffix for probe, at maxactive
    d = only(text, "STP203")
    assert spanned(text, d) == "maxactive(10)"
    assert d.message.startswith("invalid suffix for probe: 'syscall.read' takes no '.maxactive(10)'")
    text = "probe a = kernel.function(\"open\").return, begin { }\nprobe a.maxactive(10) { }\n"
    d = only(text, "STP203")  # semko/alias_suffixes07.stp
    assert "it expands to 'begin'" in d.message


def test_the_script_own_alias_with_a_suffix():
    # semko/alias_suffixes01.stp: b = a.q, so b.d is a.q.d, which is nothing
    text = """
probe a.q.b = begin { }
probe a.q.e = end { }
probe b = a.q { }
probe b.d { print("Hello, World!\\n") }
"""
    d = only(text, "STP201")
    assert spanned(text, d) == "d"
    assert "did you mean" in d.message


def test_alias_suffixes_need_systemtap_2():
    assert codes("probe syscall.read.return.maxactive(10) { }", target=Target(systemtap_v="1.8")) == ["STP201"]


# ---------------------------------------------------------------- STP204


def test_alias_recursion():
    text = "probe foo = bar { }\nprobe bar = foo { }\nprobe foo { }\n"  # semko/fortyfour.stp
    diagnostics = found(text)
    assert {d.code for d in diagnostics} == {"STP204"}
    assert all(d.message.startswith("recursive loop in alias expansion of") for d in diagnostics)


def test_alias_recursion_through_suffixes():
    text = """
probe r = a.b { }
probe q.c = r.c.c { }
probe a.b = q { }
probe a.b.c { print("what?") }
"""  # semko/alias_suffixes06.stp
    assert "STP204" in codes(text)


# ---------------------------------------------------------------- STP205


@pytest.mark.parametrize("point, message", [
    ("timer.us(1)", "interval value out of range (100, 86400000000)"),
    ("timer.ms(0)", "interval value out of range (1, 86400000)"),
    ("timer.s(100000)", "interval value out of range (1, 86400)"),
    ("timer.ns(1000)", "interval value out of range (100000, 86400000000000)"),
    ("timer.hz(5000000)", "interval value out of range (100000, 86400000000000)"),
    ("timer.hz(0)", "frequency must be greater than 0"),
    ("timer.ms(10).randomize(20)", "randomization value out of range"),
    ("timer.jiffies(2000000)", "invalid interval for jiffies timer"),
    ("timer.jiffies(10).randomize(20)", "invalid randomize for jiffies timer"),
    ('procfs("/x").read', "procfs path cannot start with a '/'"),
    ('procfs("x/").read', "procfs path cannot end with a '/'"),
    ('procfs("a//c").write', "procfs path component cannot be empty"),
    ('procfs("a/../c").write', "procfs path cannot be relative (and contain '.' or '..')"),
    ('procfs("..").write', "procfs path cannot be relative (and contain '.' or '..')"),
    ("procfs.read.maxsize(-1)", "maxsize must be greater than 0"),
    ("perf.type(0).config(0).sample(0)", "invalid perf sample period 0"),
    ('perf.type(1).config(1).counter("")', "missing perf probe counter component name"),
    ('perf.type(1).config(1).counter("a*")', "wildcard not allowed with perf probe counter component"),
    ('kernel.function("vfs_read").return.maxactive(-4)', "maxactive value out of range [0,65535]"),
    ('kernel.function("vfs_read").callees(0)', ".callees(N) only acceptable for N >= 1"),
    ('netfilter.hook("NF_INET_PRE_ROUTING").pf("INTERGALACTIC_IPV3000")',
     'unsupported netfilter protocol family "INTERGALACTIC_IPV3000"; need stap -g'),
    ('netfilter.hook("NF_INET_WARP_10").pf("NFPROTO_IPV4")',
     'unsupported netfilter hook "NF_INET_WARP_10" for protocol family "2"; need stap -g'),
    ('netfilter.pf("NFPROTO_IPV4").hook("NF_INET_LOCAL_IN").priority("abc")',
     'unsupported netfilter priority "abc" for protocol family "2"; need stap -g'),
])
def test_a_builder_rejects_the_value(point, message):
    d = only(f"probe {point} {{ }}", "STP205")
    assert d.message == message


def test_the_builder_checks_reach_through_aliases():
    text = "probe a = timer.s(1) { }\nprobe a.randomize(2) { }\n"
    d = only(text, "STP205")
    assert d.message == "randomization value out of range"


def test_netfilter_names_are_free_in_guru_mode():
    # semok/netfilter01.stp (-g)
    assert found('probe netfilter.hook("NF_INET_WARP_10").pf("INTERGALACTIC_IPV3000") { }', guru=True) == []


def test_one_read_probe_per_procfs_file():
    text = 'probe procfs.read { $value = "a" }\nprobe procfs("command").read { $value = "b" }\n'
    d = only(text, "STP205")
    assert d.message == 'only one read procfs probe can exist for procfs path "command"'
    assert found('probe procfs("x").read { $value = "a" }\nprobe procfs("x").write { println($value) }\n') == []


def test_perf_counter_names_are_used_once():
    text = 'probe perf.type(1).config(1).counter("a") { }\nprobe perf.type(1).config(2).counter("a") { }\n'
    assert only(text, "STP205").message == "duplicate counter name 'a'"


# ---------------------------------------------------------------- STP210


def test_unverifiable_points_are_explained_only_on_request():
    text = 'probe kernel.function("vfs_read") { println(1) }\nprobe syscall.read { println(fd) }\n'
    assert found(text) == []
    diagnostics = found(text, explain=True)
    assert [d.code for d in diagnostics] == ["STP210", "STP210"]
    assert all(d.severity is Severity.INFO for d in diagnostics)
    assert "the kernel's debuginfo" in diagnostics[0].message
    assert "'syscall.read': it expands to kernel.function probes" in diagnostics[1].message
    assert found("probe begin { println(1) }", explain=True) == []


# ---------------------------------------------------------------- STP302


def test_return_value_outside_a_return_probe():
    text = 'probe kernel.function("vfs_read") { println($return) }'  # semko/return02.stp
    d = only(text, "STP302")
    assert spanned(text, d) == "$return"
    assert "kernel.function(string)" in d.message
    only("probe begin { println($return) }", "STP302")
    d = only("probe begin { x = @entry(get_cycles()) ; println(x) }", "STP302")  # semko/entry02.stp
    assert d.message.startswith("@entry is only valid in .return probes")


def test_return_value_in_return_probes():
    assert found('probe kernel.function("vfs_read").return { println($return, @entry($count)) }') == []
    assert found("probe syscall.read.return { println($return) }") == []
    assert found('probe process("/bin/ls").syscall.return { println($return) }') == []


def test_return_value_needs_every_point_to_be_a_return_probe():
    text = 'probe kernel.function("a").return, kernel.function("b") { println($return) }'
    only(text, "STP302")
    # syscall.exit.return expands to `never`, where stap cannot resolve $return either
    d = only("probe syscall.*.return { println($return) }", "STP302")
    assert "never" in d.message


def test_a_guarded_or_elided_use_is_no_error():
    assert found("probe begin { if (@defined($return)) println($return) }") == []
    assert found("probe begin { println(@defined($return) ? $return : 0) }") == []
    # semok/entry02.stp: stap's optimizer removes the side-effect-free statement first
    assert found("global s\nprobe begin { s <<< get_cycles(); - @entry(get_cycles()) }") == []


# ---------------------------------------------------------------- STP303, STP304


def test_writing_a_target_variable_needs_guru():
    text = 'probe kernel.function("vfs_read") { $count = 0 }'
    d = only(text, "STP303")
    assert d.message == "write to target variable not permitted; need stap -g"
    assert found(text, guru=True) == []
    assert codes('probe kernel.function("vfs_read") { $count++ }') == ["STP303"]
    assert codes('probe kernel.function("vfs_read") { $file->f_pos = 0 }') == ["STP303"]


def test_writes_that_guru_mode_does_not_allow():
    text = 'probe kernel.function("vfs_read").return { $count = 0 }'
    assert only(text, "STP303", guru=True).message == "write to target variable not permitted in .return probes"
    assert found('probe kernel.function("vfs_read").return { $return = 0 }', guru=True) == []
    d = only('probe process("/bin/ls").syscall { $arg1 = 0 }', "STP303", guru=True)  # semko/utrace15.stp
    assert d.message == "utrace '$arg1' variable is read-only"


def test_writes_through_casts_and_pointers():
    text = 'probe begin { sun = & @cast(0, "sockaddr_un", "<sys/un.h>"); sun->sun_path[0] = 0 }'
    assert only(text, "STP303").message == "write not permitted; need stap -g"  # semko/autocast08.stp
    text = 'probe begin { @cast(0, "task_struct")->pid = 1 }'
    assert only(text, "STP303").message == "write to @cast context variable not permitted; need stap -g"
    assert found(text, guru=True) == []


def test_netfilter_and_tracepoint_writes():
    nf = 'probe netfilter.hook("NF_INET_LOCAL_IN").pf("NFPROTO_IPV4") { %s }'
    assert only(nf % "$verdict = 1", "STP303").message == \
        "write to netfilter verdict requires guru mode; need stap -g"
    assert found(nf % "$verdict = 1", guru=True) == []
    assert only(nf % "$skb = 0", "STP303", guru=True).message == "write to netfilter parameter not permitted"
    d = only('probe kernel.trace("sched_switch") { $prev = 0 }', "STP303")
    assert d.message == "write to tracepoint variable '$prev' not permitted; need stap -g"


def test_writing_a_pretty_printed_variable():
    text = 'probe begin { sun = & @cast(0, "sockaddr_un", "<sys/un.h>"); sun->sun_path$ = 0 }'
    assert only(text, "STP304", guru=True).message == "cannot write to pretty-printed variable"  # autocast07
    assert codes('probe kernel.function("f") { $p$ = "x" }', guru=True) == ["STP304"]
    assert codes('probe kernel.function("f") { $$vars = "x" }', guru=True) == ["STP304"]


# ---------------------------------------------------------------- STP305


@pytest.mark.parametrize("text, message", [
    ('probe procfs.write { $value = "hi" }', "procfs $value variable is read-only in a procfs write probe"),
    ('probe procfs.read { x = $value; printf("%s", x) }',
     "procfs $value variable cannot be read in a procfs read probe"),
    ("probe procfs.write { print($value->foo) }", "procfs variable '$value' may not be used as a structure"),
    ("probe procfs.write { print($value[0]) }", "procfs variable '$value' may not be used as array"),
    ('probe procfs("x").read { $foo = "a" }', "invalid target symbol for procfs probe, $value expected (found $foo)"),
    ('probe procfs("x").read { $value += 1 }',
     "Only the following assign operators are implemented on procfs read target variables: '=', '.='"),
    ("probe procfs.write { println(&$value) }", "cannot take address of procfs variable"),
    ("probe procfs.write { println($value$) }", "procfs variable '$value' may not be pretty-printed"),
])
def test_procfs_value_rules(text, message):
    assert only(text, "STP305").message == message


def test_procfs_value_used_rightly():
    assert found('probe procfs("x").read { $value = "a"; $value .= "b" }') == []
    assert found('probe procfs("x").write { printf("%s", $value) }') == []
    # one handler for both: each derived probe is checked (stap reports the write probe's copy)
    assert codes('probe procfs.read, procfs.write { $value = "a" }') == ["STP305"]


# ---------------------------------------------------------------- STP306


def test_a_target_variable_in_a_probe_that_has_none():
    text = "probe begin\n{\n\t$var=2015\n\texit()\n}\n"  # semko/var_definition.stp
    d = only(text, "STP306")
    assert spanned(text, d) == "$var"
    assert "unresolved target-symbol expression" in d.hints[0]
    for point in ("end", "timer.s(1)", "never", "perf.type(0).config(0)", 'kprobe.function("vfs_read")',
                  "process.begin"):
        assert codes(f"probe {point} {{ println($x) }}") == ["STP306"], point


def test_target_variables_of_restricted_families():
    assert codes('probe process("/bin/ls").syscall.return { println($arg1) }') == ["STP306"]  # utrace22
    assert codes('probe netfilter.hook("NF_INET_LOCAL_IN").pf("NFPROTO_IPV4") { println($foo) }') == ["STP306"]
    assert codes('probe process("/bin/ls").plt { println($x) }') == ["STP306"]
    assert found('probe process("/bin/ls").plt { println($$name) }') == []


def test_side_effect_free_code_is_elided_first_unless_unoptimized():
    # semok/optimize.stp: stap's optimizer removes these before it resolves target symbols
    text = "probe begin { no . $such . $target + $variable }\nprobe begin { foo = $bar; if (foo) {} }\n"
    assert found(text) == []
    assert codes("#! stap -u -p2\n" + text) == ["STP306"] * 4


def test_target_variables_in_the_script_alias_body():
    text = 'probe a = begin { x = $foo }\nprobe a { println(x) }\n'
    only(text, "STP306")
    assert found('probe a = kernel.function("f") { x = $foo }\nprobe a { println(x) }\n') == []
    # a use with a .return suffix makes $return right: the alias body is not held to its own points
    assert found('probe a = kernel.function("f") { x = $return }\nprobe a.return { println(x) }\n') == []


# ---------------------------------------------------------------- STP401


def test_a_deprecated_alias_is_a_warning_not_an_unknown_point():
    d = only("probe signal.send.return { println(retstr) }", "STP401")
    assert d.severity is Severity.WARNING
    assert d.message.startswith("signal.send.return is deprecated since SystemTap 2.1 (use --compatible=2.1")
    assert found("probe signal.send.return { println(retstr) }", target=Target(systemtap_v="2.1")) == []


def test_a_wildcard_does_not_reach_deprecated_aliases():
    # stap 4.8 does not register signal.send.return at all, so signal.* does not match it
    assert found("probe signal.*.return { println(1) }") == []
    [info] = probe_info("probe signal.*.return { }")
    assert info.resolved and info.families


# ---------------------------------------------------------------- STP604


@pytest.mark.parametrize("point", ["kernel.statement(0x1234).absolute", "kprobe.statement(0).absolute"])
def test_absolute_statements_need_guru(point):
    text = f"probe {point} {{ }}"
    d = only(text, "STP604")  # semko/thirtyeight.stp
    assert "absolute statement probe in unprivileged script; need stap -g" in d.message
    assert found(text, guru=True) == []


# ---------------------------------------------------------------- what the type checker gets


def test_probe_info_for_aliases_families_and_return_probes():
    begin, read, ret, _alias, mine, both = probe_info(
        "probe begin { }\n"
        "probe syscall.read { }\n"
        'probe syscall.read.return, kernel.function("f").return { }\n'
        'probe mine = syscall.read { tag = "x"; n = 1 }\n'
        "probe mine { }\n"
        "probe mine, timer.s(1) { }\n")
    assert begin.families == {"begin"} and not begin.has_target_variables and not begin.all_return
    assert begin.alias_variables == {}
    assert read.alias_variables["fd"] == "long" and read.alias_variables["argstr"] == "string"
    assert read.has_target_variables and read.resolved
    assert ret.all_return and ret.alias_variables["retval"] == "long"
    assert ret.families == {"kernel.function(string).return"}
    # A script alias's own variables are typed later, by the type checker (below).
    assert mine.alias_variables["tag"] == "unknown" and mine.alias_variables["n"] == "unknown"
    assert mine.alias_variables["fd"] == "long"
    assert [type(a).__name__ for a in mine.script_aliases] == ["AliasDecl"] and both.script_aliases == mine.script_aliases
    assert both.families == {"kernel.function(string).call", "timer.s(number)"}


def test_script_alias_variables_are_typed_by_the_expansions_through_the_alias():
    text = ('probe mine = syscall.read { tag = "x"; n = f(); m = 1 }\n'
            'function f() { return 2 }\n'
            'probe mine { printf("%s %d %d\\n", tag, n, fd) }\n')
    result = check_text(text, "t.stp", CheckOptions(session=SESSION))
    assert not [d for d in result.diagnostics if d.severity == Severity.ERROR]
    alias, _, probe = result.unit.script.items
    info = result.unit.probes[id(probe)]
    # n is typed through the script's own function, fd by the library alias.
    assert info.alias_variables == {**info.alias_variables, "tag": "string", "n": "long", "fd": "long", "m": "long"}


def test_probe_info_of_a_failed_or_deprecated_point():
    [bad] = probe_info("probe socket.sendd { }")
    assert not bad.resolved and bad.has_target_variables and not bad.all_return
    [old] = probe_info("probe signal.send.return { }")
    assert old.alias_variables["retstr"] == "string" and old.all_return


# ---------------------------------------------------------------- the corpora


def _errors(path, **parse) -> list:
    result = check_file(str(path), CheckOptions(parse=ParseOptions(**parse), session=SESSION))
    return [(d.code, d.message) for d in result.diagnostics
            if d.code in MINE and d.severity is Severity.ERROR]


@pytest.mark.corpus
@pytest.mark.parametrize("directory", ["semok", "buildok"])
def test_accepted_testsuite_scripts_get_no_probe_point_error(directory):
    # Every stap-run script (its first line's options applied: -g, -u, ...) that stap accepts.
    scripts = stap_run_scripts(directory)
    if not scripts:
        require(TESTSUITE / directory)
    bad = {f"{p.name}": errors for p in scripts if (errors := _errors(p))}
    assert bad == {}


# semko scripts that stap 4.8 rejects on their probe points or handler context, offline,
# and the code stapkit reports (stap's message in the comment).
SEMKO = {
    "alias_suffixes01.stp": "STP201",  # probe point mismatch (similar: b, e)
    "alias_suffixes02.stp": "STP203",  # (debuginfo first; with it: invalid suffix, `a = begin`)
    "alias_suffixes04.stp": "STP201",  # probe point mismatch (similar: data, mark, ...)
    "alias_suffixes05.stp": "STP201",  # probe point mismatch at maxactive
    "alias_suffixes06.stp": "STP204",  # recursive loop in alias expansion of q.c.c
    "alias_suffixes07.stp": "STP203",
    "alias_suffixes08.stp": "STP204",
    "alias_suffixes09.stp": "STP204",  # recursive loop in alias expansion of foo.whoosh.whoosh
    "autocast07.stp": "STP304",  # cannot write to pretty-printed variable
    "autocast08.stp": "STP303",  # write not permitted; need stap -g
    "doubleglob.stp": "STP201",  # probe point mismatch: didn't find any wildcard matches
    "entry02.stp": "STP302",  # internal error: @entry is only valid in .return probes
    "fortythree.stp": "STP201",
    "fortyfour.stp": "STP204",  # recursive loop in alias expansion of bar
    "maxactive01.stp": "STP203",  # invalid suffix for probe
    "maxactive02.stp": "STP202",  # invalid suffix for probe (maxactive("hi"))
    "maxactive03.stp": "STP203",
    "maxactive04.stp": "STP205",  # (debuginfo first) maxactive value out of range [0,65535]
    "maxactive05.stp": "STP205",
    "maxactive06.stp": "STP203",
    "netfilter01.stp": "STP203",  # probe point truncated (follow: arp bridge hook(string) ...)
    "netfilter02.stp": "STP202",  # probe point mismatch (similar: hook, ...)
    "netfilter03.stp": "STP203",
    "netfilter05.stp": "STP201",  # probe point mismatch (similar: pf)
    "netfilter08.stp": "STP205",  # unsupported netfilter protocol family ...; need stap -g
    "perf_sample.stp": "STP203",  # invalid suffix for probe
    "procfs01.stp": "STP203",  # probe point truncated (follow: read umask(number) write)
    "procfs02.stp": "STP201",  # probe point mismatch (similar: read, write, umask)
    "procfs03.stp": "STP203",  # invalid suffix for probe
    "procfs04.stp": "STP305",  # procfs $value variable is read-only in a procfs write probe
    "procfs05.stp": "STP305",  # procfs $value variable cannot be read in a procfs read probe
    "procfs06.stp": "STP205",  # procfs path cannot start with a '/'
    "procfs07.stp": "STP205",
    "procfs08.stp": "STP205",
    "procfs09.stp": "STP205",
    "procfs10.stp": "STP205",
    "procfs11.stp": "STP305",  # procfs variable '$value' may not be used as a structure
    "procfs12.stp": "STP305",  # procfs variable '$value' may not be used as array
    "procfs13.stp": "STP202",  # invalid suffix for probe (maxsize without its number)
    "procfs14.stp": "STP205",  # maxsize must be greater than 0
    "procfs15.stp": "STP205",
    "return02.stp": "STP302",  # (debuginfo first) $return outside a .return probe
    "thirtyeight.stp": "STP604",  # absolute statement probe in unprivileged script; need stap -g
    "thirtynine.stp": "STP203",  # invalid suffix for probe (.if(1))
    "timer_hz_randomize.stp": "STP203",  # invalid suffix for probe
    "twentythree.stp": "STP201",  # while registering probe alias: invalid use of wildcard ...
    "utrace03.stp": "STP203",
    "utrace15.stp": "STP303",  # utrace '$argN' variable is read-only
    "utrace22.stp": "STP306",  # only "process(PATH_OR_PID).syscall" support $argN or $$parms
    "var_definition.stp": "STP306",  # unresolved target-symbol expression
}


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(SEMKO))
def test_semko_probe_point_failures_are_reported(name):
    errors = _errors(require(TESTSUITE / "semko" / name))
    assert SEMKO[name] in {code for code, _ in errors}, errors


@pytest.mark.corpus
def test_the_debian_examples_get_no_probe_point_error():
    paths = example_files()
    if not paths:
        pytest.skip("the SystemTap examples are not installed")
    from .test_corpora import EXAMPLES_NEED_OTHER_TAPSETS

    bad = {name: errors for name, path in zip(ids(paths), paths)
           if path.name not in EXAMPLES_NEED_OTHER_TAPSETS and (errors := _errors(path, **example_options(path)))}
    assert bad == {}
    for name in EXAMPLES_NEED_OTHER_TAPSETS:  # as stap without those tapsets, an error
        (path,) = [p for p in paths if p.name == name]
        assert {code for code, _ in _errors(path, **example_options(path))} == {"STP201"}


def test_a_probe_point_of_millions_of_brace_expansions_is_counted_not_built():
    # Twenty-two `{a,b}` groups stand for 4,194,304 points: building them took gigabytes
    # and minutes (issue 18); now the first 10,000 are checked and the count is reported.
    from stapkit.semantic.checker import check_text
    from stapkit.syntax import ast

    text = "probe begin" + "".join(".{a,b}" for _ in range(22)) + " { exit() }\n"
    point = check_text(text).parse.script.items[0].points[0]
    assert point.expansion_count() == 2 ** 22
    assert len(point.expand()) == ast.MAX_EXPANDED_POINTS
    found = [d for d in check_text(text).diagnostics if d.code == "STP206"]
    assert len(found) == 1 and "4,194,304 probe points" in found[0].message
    assert found[0].severity.value == "warning"
    # A product under the bound is built whole and says nothing.
    small = "probe {begin,end}.{a,b}" + " { exit() }\n"
    assert not [d for d in check_text(small).diagnostics if d.code == "STP206"]


def test_a_double_glob_alias_that_matches_itself_ends_in_one_finding():
    # Found by the fuzzer: `**` in an alias definition matches the aliases built on it, and
    # the resolution grew without end (26 CPU s and 650 MB before it was stopped).
    from stapkit.semantic.checker import check_text

    found = [d for d in check_text("probe a.b = **.return { }\nprobe a.b { exit() }\n").diagnostics
             if d.code == "STP207"]
    assert len(found) == 1 and "300,000 steps" in found[0].message
    assert found[0].severity.value == "error"
