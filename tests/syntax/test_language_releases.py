"""Syntax newer than the target SystemTap release (STP061): each feature of the table is
accepted at its first release and refused, at its place, by the release before."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from stapkit.cli import main
from stapkit.syntax.language_releases import BY_KEY, FEATURES, version_text
from stapkit.syntax.options import ParseOptions
from stapkit.syntax.parser import parse_text
from stapkit.syntax.target import Target

REPO = Path(__file__).resolve().parents[2]
MIRROR = Path("/work/.mirror/sailfishos-mirror+systemtap/repo")

# The release before each first release (the releases stapkit knows: 1.0 ... 5.5, 5.6).
BEFORE = {"1.2": "1.1", "1.3": "1.2", "1.7": "1.6", "1.8": "1.7", "2.0": "1.8", "2.1": "2.0", "2.3": "2.2",
          "2.5": "2.4", "2.6": "2.5", "3.0": "2.9", "3.1": "3.0", "4.0": "3.3", "4.4": "4.3", "5.5": "5.4",
          "5.6": "5.5"}

# feature -> (a script that uses it, the text the finding starts at).
SCRIPTS = {
    "try-catch": ("probe begin { try { x = 1 } catch (e) { println(e) } }", "try"),
    "@defined": ("probe kernel.function(\"f\") { if (@defined($a)) println(1) }", "@defined"),
    "string-gluing": ('probe begin { println("a" "b") }', '"a" "b"'),
    "@entry": ("probe kernel.function(\"f\").return { println(@entry($a)) }", "@entry"),
    "pretty-print": ("probe kernel.function(\"f\") { println($a$) }", "$a$"),
    "foreach-value": ("global a\nprobe begin { foreach (v = k in a) println(v) }", "v = k"),
    "embedded-expression": ("probe begin { x = %{ 1 %} println(x) }", "%{"),
    "systemtap_v": ('probe begin { %( systemtap_v >= "1.0" %? println(1) %) }', "systemtap_v"),
    "array-wrap": ("global a%\nprobe begin { a[1] = 1 }", "a%"),
    "@var": ('probe kernel.function("f") { println(@var("a")) }', "@var"),
    "@define": ("@define one %( 1 %)\nprobe begin { println(@one) }", "@define"),
    "systemtap_privilege": ('probe begin { %( systemtap_privilege == "stapdev" %? println(1) %) }',
                            "systemtap_privilege"),
    "@perf": ('probe process("p").statement("f@a.c:1") { println(@perf("c")) }', "@perf"),
    "regex-match": ('probe begin { if (execname() =~ "^a") println(1) }', "=~"),
    "foreach-aggregate": ("global a\nprobe begin { a[1] <<< 1 foreach (k in a @sum +) println(k) }",
                          "foreach"),
    "runtime": ('probe begin { %( runtime == "kernel" %? println(1) %) }', "runtime"),
    "guru_mode": ("probe begin { %( guru_mode == 0 %? println(1) %) }", "guru_mode"),
    "array-slice": ("global a\nprobe begin { a[1, 2] = 1 delete a[*, 2] }", "*"),
    "private": ("private global a\nprobe begin { a = 1 }", "private"),
    "function-overload": ("function f(x) { return x }\nfunction f(x, y) { return y }\n"
                          "probe begin { println(f(1) + f(1, 2)) }", "f(x, y)"),
    "next-in-function": ("function f() { next }\nprobe begin { f() }", "next"),
    "probe-point-braces": ("probe timer.{ms(1),s(1)} { exit() }", "{ms"),
    "@const": ('probe begin { println(@const("HZ")) }', "@const"),
    "@variance": ("global s\nprobe begin { s <<< 1 println(@variance(s)) }", "@variance"),
    "bare-return": ("function f() { return }\nprobe begin { f() }", "return"),
    "@kregister": ('probe kernel.function("f") { println(@kregister(0)) }', "@kregister"),
    "@kderef": ('probe kernel.function("f") { println(@kderef(8, 0)) }', "@kderef"),
    "@probewrite": ("global g\nprobe begin { g = 1 println(@probewrite(g)) }", "@probewrite"),
    "@enum": ('probe begin { println(@enum("X")) }', "@enum"),
    "@enumname": ('probe begin { println(@enumname(1)) }', "@enumname"),
}
# Features the language version gate (STP060, --compatible) knows too: by the release before,
# run without a first line, the gate reports them (the finding is not given twice).
LANGUAGE_GATED = {"@kregister", "@kderef", "@enum", "@enumname"}


def _parse(text: str, release: str):
    options = ParseOptions(target=Target(systemtap_v=release), guru=True, tapset_roots=())
    return parse_text(text, "t.stp", options)


def _start(text: str, needle: str) -> int:
    return text.index(needle)


def test_every_feature_has_a_script():
    assert set(SCRIPTS) == set(BY_KEY)


@pytest.mark.parametrize("feature", FEATURES, ids=lambda f: f.key)
def test_accepted_at_its_first_release(feature):
    text, _ = SCRIPTS[feature.key]
    result = _parse(text, version_text(feature.since))
    assert [d for d in result.diagnostics if d.code in ("STP060", "STP061", "STP010")] == []


@pytest.mark.parametrize("feature", FEATURES, ids=lambda f: f.key)
def test_refused_by_the_release_before(feature):
    text, needle = SCRIPTS[feature.key]
    since = version_text(feature.since)
    before = BEFORE[since]
    if feature.key in LANGUAGE_GATED:  # the language version of the newer release, stap of the older
        text = f"#! stap --compatible={since}\n" + text
    result = _parse(text, before)
    found = [d for d in result.diagnostics if d.code == "STP061"]
    assert len(found) == 1, result.diagnostics
    assert found[0].message == (f"{feature.label} needs a newer SystemTap "
                                f"(added in SystemTap {since}; you target {before})")
    assert found[0].span.start == _start(text, needle)
    # The old parser's syntax error at the same place gives way to the finding.
    assert not [d for d in result.diagnostics if d.code == "STP010" and d.span.start == found[0].span.start]


@pytest.mark.parametrize("key", sorted(LANGUAGE_GATED))
def test_a_use_the_language_gate_reports_is_reported_once(key):
    text, needle = SCRIPTS[key]
    before = BEFORE[version_text(BY_KEY[key].since)]
    codes = [d.code for d in _parse(text, before).diagnostics if d.span.start == text.index(needle)]
    assert codes == ["STP060"]


def test_compatible_on_the_first_line_changes_the_language_not_the_release():
    text = "#! stap --compatible=1.0\nprobe begin { try { x = 1 } catch { } }\n"
    assert [d.code for d in _parse(text, "4.8").diagnostics] == []  # stap 4.8 parses try whatever --compatible
    text = "#! stap --compatible=3.0\nprivate global a\nprobe begin { a = 1 }\n"
    found = [d for d in _parse(text, "2.9").diagnostics]
    assert [d.code for d in found] == ["STP061"]  # the language version has private, stap 2.9 does not


def test_a_branch_the_release_does_not_take_is_not_read():
    text = ('probe begin {\n%( systemtap_v >= "2.1" %? if (execname() =~ "a") println(1)\n'
            '%: if (execname() == "a") println(1) %)\n}\n')
    assert [d.code for d in _parse(text, "2.0").diagnostics] == []
    assert [d.code for d in _parse(text, "1.2").diagnostics] == ["STP061"]  # no systemtap_v before 1.3


def test_a_guard_in_a_macro_body_is_read_where_the_macro_is_used():
    text = ('@define matches(x) %( %( systemtap_v >= "2.1" %? @x =~ "a" %: @x == "a" %) %)\n'
            "probe begin { if (@matches(execname())) println(1) }\n")
    assert [d.code for d in _parse(text, "2.0").diagnostics] == []
    assert [d.code for d in _parse(text, "2.1").diagnostics] == []
    # A feature that a macro brings is reported where the macro is used.
    text = '@define matches(x) %( @x =~ "a" %)\nprobe begin { if (@matches(execname())) println(1) }\n'
    found = [d for d in _parse(text, "2.0").diagnostics if d.code == "STP061"]
    assert [d.span.start for d in found] == [text.index("@matches(")]


def test_what_a_library_macro_brings_is_the_librarys():
    from stapkit.syntax.preprocessor import MacroDef
    from stapkit.syntax.lexer import lex
    from stapkit.diagnostics import Span

    body = tuple(lex('@x "tail"', version=(99,)).tokens)
    library = {"tail": MacroDef("tail", ("x",), body, Span(0, 0), path="/lib/tail.stpm", library=True)}
    text = 'probe begin { println(@tail("a")) }'
    options = ParseOptions(target=Target(systemtap_v="1.0"), library_macros=library)
    assert [d.code for d in parse_text(text, "t.stp", options).diagnostics] == []


def test_the_default_target_reports_nothing_older_than_it():
    for key, (text, _) in SCRIPTS.items():
        if BY_KEY[key].since <= (4, 8):
            result = parse_text(text, "t.stp", ParseOptions(guru=True, tapset_roots=()))
            assert not [d for d in result.diagnostics if d.code == "STP061"], key


def test_tapset_files_are_read_with_every_feature():
    text = "@define one %( 1 %)\nfunction f() { return }\n"
    options = ParseOptions(target=Target(systemtap_v="1.0"), tapset=True, tapset_roots=())
    assert not [d for d in parse_text(text, "t.stp", options).diagnostics if d.code == "STP061"]


def test_the_range_check_names_the_releases_a_feature_rules_out(tmp_path, capsys):
    script = tmp_path / "t.stp"
    script.write_text('probe begin {\n  if (execname() =~ "^stap") println(1)\n}\n')
    status = main(["lint", "--systemtap-version", "1.8..2.2", str(script)])
    out, _ = capsys.readouterr()
    assert status == 1
    assert out.splitlines() == [
        f"{script}: passes on 2.1-2.2 of 1.8..2.2",
        f"  fails on 1.8-2.0: {script}:2:18: regular-expression matching (`=~`, `!~`) needs a newer "
        f"SystemTap (added in SystemTap 2.1; you target 1.8)",
    ]


@pytest.mark.skipif(not MIRROR.is_dir(), reason="no clone of SystemTap's history at " + str(MIRROR))
def test_the_table_agrees_with_systemtaps_history():
    spec = importlib.util.spec_from_file_location("language_releases_tool", REPO / "tools" / "language_releases.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert set(tool.WITNESSES) == set(BY_KEY)
    history = tool.History(MIRROR)
    assert tool.check(history) == []
    # A row one release off is caught: `@define` is in 2.0, not 2.1.
    wrong = BY_KEY["@define"]._replace(since=(2, 1))
    tool.FEATURES = tuple(wrong if f.key == "@define" else f for f in FEATURES)
    assert tool.check(history) == [
        "@define: parse.cxx has /\"@define\"/ at 2.1 and has it at 2.0 (the table says 2.1)"]


def test_formatting_is_not_stopped_by_syntax_newer_than_the_release():
    from stapkit.format.formatter import format_text

    text = "@define one %( 1 %)\nprobe begin {println(@one)}\n"
    result = format_text(text, "t.stp", options=ParseOptions(target=Target(systemtap_v="1.0"), tapset_roots=()))
    assert result.changed and result.text == "@define one %( 1 %)\nprobe begin { println(@one) }\n"


def test_the_releases_page_shows_the_table():
    page = (REPO / "docs" / "releases.md").read_text(encoding="utf-8")
    for feature in FEATURES:
        assert f"| {feature.label.replace('|', chr(92) + '|')} | {version_text(feature.since)} |" in page
