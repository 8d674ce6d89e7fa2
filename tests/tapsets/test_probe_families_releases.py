"""Built-in probe families per SystemTap release (tapset_db/probe-families-releases.json).

The data is read from each release's C++ registration code by
tools/build_family_releases.py; the rebuild test needs SystemTap's git
history (the mirror) and is skipped without it.  The release ranges asserted
here are what that code shows (e.g. `.callees` comes with tapsets.cxx's
TOK_CALLEES in 2.5; tapset-itrace.cxx is gone in 5.0).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from stapkit.tapsets import probe_families as pf

REPO = Path(__file__).resolve().parents[2]
MIRROR = Path("/work/.mirror/sailfishos-mirror+systemtap/repo")
DATA = REPO / "tapset_db" / pf.RELEASES_FILE


def patterns(release=None) -> set[str]:
    return {f.pattern for f in pf.families(release)}


def test_the_data_has_every_release_of_the_history():
    data = json.loads(DATA.read_text(encoding="utf-8"))
    history = json.loads((REPO / "tapset_db" / "tapsets-releases.jsonl").open(encoding="utf-8").readline())
    assert data["releases"] == history["releases"]
    assert data["provenance"]["commits"] == history["provenance"]["commits"]
    assert pf.known_releases()[0] == "1.0" and pf.known_releases()[-1] == "5.6"
    for release in data["releases"]:
        assert data["counts"][release] == len(patterns(release))


def test_4_8_read_from_the_sources_is_the_table_exactly():
    data = json.loads(DATA.read_text(encoding="utf-8"))
    position = data["releases"].index("4.8")
    from stapkit.tapsets.releases import ranges_members

    index = {r: i for i, r in enumerate(data["releases"])}
    from_sources = {p for p, ranges in data["families"].items() if position in ranges_members(ranges, index)}
    assert from_sources == patterns() == patterns("4.8")
    assert len(from_sources) == 270  # the 260 of `stap --dump-probe-types` and java and python
    assert pf.families("4.8") == pf.families()  # the same objects: 4.8 is the table


def test_every_pattern_has_a_known_group_and_keeps_the_table_facts():
    for release in ("1.0", "2.1", "5.6"):
        for family in pf.families(release):
            assert pf.group(family.group).name == family.group
            table = pf.find_family(family.pattern)
            if table is not None:
                assert family == table
    assert pf.group_for_pattern("kernel.function(string).return.die(number).pc(number)") == "kernel.function"
    assert pf.group_for_pattern("timer.profile") == "timer.profile"
    with pytest.raises(ValueError, match="no group"):
        pf.group_for_pattern("martian.probe(string)")


@pytest.mark.parametrize(("pattern", "ranges"), [
    ("kernel.function(string).callees", "2.5-5.6"),
    ("kernel.function(string).callee(string).return", "2.9-5.6"),
    ("kernel.statement(string).nearest", "2.6-5.6"),
    ("process(number).function(string)", "2.6-5.6"),
    ("kernel.function(string).exported", "1.7-5.6"),
    ("kernel.function(number).inline", "1.0-1.7"),  # gated by --compatible <= 1.7 afterwards
    ("timer.profile", "1.0-2.1"),
    ("timer.profile.tick", "2.2-5.6"),
    ("perfmon.counter(string)", "1.0-1.1"),
    ("perf.type(number).config(number).hz(number)", "3.0-5.6"),
    ("netfilter.hook(string).pf(string)", "1.8-5.6"),
    ("java(string).class(string).method(string)", "2.2-5.6"),
    ("process(string).insn", "1.0-4.9"),
    ("kernel.mark(string)", "1.0-5.5"),
    ("python2.module(string).function(string)", "3.1-5.5"),
    ("debuginfod.process(string)", "5.0-5.6"),
    ("process.data(number).rw", "5.1-5.6"),
    # The head's additions, which its stapprobes(3stap) documents too (kernel.tracepoint("name"),
    # kernel.lsm("hook_name"), process.data(ADDRESS)...; the .pc(N).die(N) forms are stap's own).
    ("kernel.tracepoint(string)", "5.6"),
    ("module(string).tracepoint(string)", "5.6"),
    ("kernel.lsm(string)", "5.6"),
    ("process.data(string).rw", "5.6"),
    ("kernel.function(string).return.pc(number).die(number)", "5.6"),
    ("python3.module(string).function(string)", "3.1-5.6"),
])
def test_release_ranges_of_real_families(pattern, ranges):
    assert pf.family_ranges(pattern) == ranges


def test_counts_of_some_releases():
    assert [len(patterns(r)) for r in ("1.0", "2.0", "3.0", "4.8", "5.5", "5.6")] == [107, 186, 264, 270, 272, 492]


def test_notes_name_the_release_that_has_a_family():
    assert pf.family_note("kernel.function(string).callees", "2.0") == \
        "'kernel.function(string).callees' was added in SystemTap 2.5; you target 2.0"
    assert pf.family_note("process(string).insn", "5.5") == \
        "'process(string).insn' was removed after SystemTap 4.9; you target 5.5"
    assert pf.family_note("timer.profile", "4.8") == "'timer.profile' was removed after SystemTap 2.1; you target 4.8"
    assert pf.family_note("kernel.function(string).callees", "4.8") is None  # 4.8 has it
    assert pf.family_note("martian(string)", "4.8") is None  # no release has it
    assert pf.family_note("timer.profile", "9.9") is None  # a release nothing knows


def test_lookups_take_the_release():
    point = [("kernel", None), ("function", "string"), ("callees", None)]
    assert pf.find_families(point, release="2.0") == ()
    assert [f.pattern for f in pf.find_families(point, release="2.5")] == ["kernel.function(string).callees"]
    assert [f.pattern for f in pf.find_families(point)] == ["kernel.function(string).callees"]
    assert len(pf.find_families([("process", "string"), ("insn*", None)], release="4.9")) == 1
    assert pf.find_families([("process", "string"), ("insn*", None)], release="5.0") == ()
    after_timer = {str(c) for c in pf.following([("timer", None)], release="2.0")}
    assert "profile" in after_timer
    assert pf.following([("timer", None), ("profile", None)], release="2.0") == ()
    assert [str(c) for c in pf.following([("timer", None), ("profile", None)])] == ["tick"]
    assert pf.families("9.9") == pf.families()  # unknown releases get the table


@pytest.mark.skipif(not MIRROR.is_dir(), reason="SystemTap's git history is not fetched here")
def test_the_tool_rebuilds_the_data_byte_for_byte(tmp_path):
    out = tmp_path / "families.json"
    done = subprocess.run([sys.executable, str(REPO / "tools" / "build_family_releases.py"),
                           "--git-dir", str(MIRROR), "-o", str(out)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == DATA.read_bytes()


def test_the_reader_on_registration_code_of_our_own():
    sys.path.insert(0, str(REPO / "tools"))
    try:
        from build_family_releases import Reader
    finally:
        sys.path.remove(str(REPO / "tools"))
    source = """
static const string TOK_KERNEL("kernel");
static const string TOK_FUNCTION("function");
static const string TOK_RETURN("return");
#if 0
void dead(systemtap_session& s) { s.pattern_root->bind("never_built")->bind(b); }
#endif
void helper(match_node *root, privilege_t privilege) {
  root->bind(b);
  if (! pr_contains (privilege, pr_stapusr))
    root->bind(TOK_RETURN)->bind(b);
  if (strverscmp(s.compatible.c_str(), "1.7") <= 0)
    root->bind("old")->bind(b);
}
void never_called(systemtap_session& s) { s.pattern_root->bind("dead")->bind(b); }
void register_standard_tapsets(systemtap_session& s) {
  s.pattern_root->bind("direct")->bind(new b());
  register_them(s);
}
void register_them(systemtap_session& s) {
  match_node* root = s.pattern_root;
  vector<match_node*> roots;
  roots.push_back(root->bind(TOK_KERNEL));
  roots.push_back(root->bind_str("user"));
  for (unsigned i = 0; i < roots.size(); ++i)
    roots[i]->bind_num("tick")->bind_privilege(pr_all)->bind(new builder());
  helper(root->bind(TOK_KERNEL)->bind_str(TOK_FUNCTION), pr_privileged);
  helper(root->bind_str("user")->bind_str(TOK_FUNCTION), pr_all);
}
"""
    assert Reader({"tapsets.cxx": source}, "2.0").read() == {
        "direct", "kernel.tick(number)", "user(string).tick(number)",
        "kernel.function(string)", "kernel.function(string).return", "user(string).function(string)"}
    assert "kernel.function(string).old" in Reader({"tapsets.cxx": source}, "1.7").read()


def test_db_show_and_list_answer_for_the_release(capsys):
    from stapkit.cli import main

    assert main(["db", "show", "kernel.function.callees", "--systemtap-version", "2.0"]) == 1
    assert "no probe point or function named 'kernel.function.callees'" in capsys.readouterr().out
    assert main(["db", "show", "kernel.function.callees", "--systemtap-version", "2.5"]) == 0
    assert "kernel.function(string).callees" in capsys.readouterr().out
    assert main(["db", "list", "perf*.counter(string)", "--systemtap-version", "1.1"]) == 0
    assert capsys.readouterr().out.split() == ["perfmon.counter(string)"]
    assert main(["db", "list", "perf*.counter(string)", "--systemtap-version", "4.8"]) == 1


def test_debuginfod_process_takes_the_rest_of_the_point_from_5_0(tmp_path, capsys):
    from stapkit.cli import main

    script = tmp_path / "fetched.stp"
    script.write_text('probe debuginfod.process("/usr/bin/true").function("main") { println(pp()) }\n'
                      'probe debuginfod.process("/usr/bin/true").nosuch { println(pp()) }\n')
    assert main(["lint", "--output-format", "concise", "--systemtap-version", "5.0", str(script)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith(f"{script}:2:43: error: unknown probe point "
                                               "'process(\"/usr/bin/true\").nosuch'")
    assert main(["lint", "--output-format", "concise", "--systemtap-version", "4.9", str(script)]) == 1
    out = capsys.readouterr().out
    assert out.count("('debuginfod.process(string)' was added in SystemTap 5.0; you target 4.9) [STP201]") == 2
