"""Alias expansion per alternative and what stap never elaborates (semantic/model.py,
semantic/elaboration.py), on small scripts whose verdicts are stap 4.8 -p2's
(checked with ../shared/tools/stap_oracle.py --pass 2)."""

from __future__ import annotations

import pickle

import attrs
import pytest

from stapkit.diagnostics import Severity
from stapkit.semantic.checker import CheckOptions, check_text
from stapkit.semantic.model import SemanticModel
from stapkit.semantic.session import Session
from stapkit.syntax.parser import ParseOptions

SESSION = Session()  # one database and resolver for the module's checks


def check(text: str):
    result = check_text(text, "t.stp", CheckOptions(parse=ParseOptions(library_macros={}), session=SESSION))
    assert not result.parse.has_errors, [d.message for d in result.diagnostics]
    return result


def found(text: str, severity=None) -> list[tuple[str, str]]:
    """(code, source text of the span) of each finding, of one severity if given."""
    return [(d.code, text[d.span.start:d.span.end]) for d in check(text).diagnostics
            if severity is None or d.severity is severity]


def errors(text: str) -> list[tuple[str, str]]:
    return found(text, Severity.ERROR)


# ---------------------------------------------------------------- one scope per expansion


def test_a_variable_of_an_alias_is_seen_by_the_alias_built_on_it():
    # stap -p2: accepted (stapkit said STP106 and STP301 on x)
    text = "probe a = begin { x = 1 }\nprobe b = a { println(x) }\nprobe b { exit() }\n"
    assert found(text) == []


def test_the_variable_passed_to_a_function():
    text = ("function f(v) { println(v) }\nprobe a = begin { x = 1 }\nprobe b = a { f(x) }\n"
            "probe b { exit() }\n")
    assert found(text) == []


def test_a_library_alias_under_a_script_alias():
    text = "probe myrecv = tcp.receive { println(dport) }\nprobe myrecv { exit() }\n"
    assert errors(text) == [] and ("STP301", "dport") not in found(text)


def test_the_types_of_an_outer_level_reach_the_handler():
    # x is a string in a's body: b's body uses it as a number (stap: type mismatch)
    text = 'probe a = begin { x = "s" }\nprobe b = a { println(x + 1) }\nprobe b { exit() }\n'
    assert errors(text) == [("STP105", "x")]
    text = 'probe a = begin { x = "s" }\nprobe b = a { y = x }\nprobe b { println(y . "!") }\n'
    assert found(text) == []


def test_each_alternative_is_typed_on_its_own():
    # stap -p2: "unresolved type : identifier 'x'" (in the `end` expansion, where no alias sets it)
    text = "probe a = begin { x = 1 }\nprobe a?, end { println(x) }\n"
    assert ("STP106", "x") in errors(text)
    text = "probe a = begin { x = 1 }\nprobe a, end { println(x) }\n"
    assert ("STP106", "x") in errors(text)
    text = "probe a = begin { x = 1 }\nprobe a { println(x) }\nprobe end { println(x) }\n"
    assert errors(text) == [("STP106", "x")]


def test_the_model_holds_each_expansion_with_its_alias_chain_and_variables():
    text = 'probe a = begin { x = 1 }\nprobe b = a { s = "t" }\nprobe b?, end { println(x, s) }\n'
    unit = check(text).unit
    a, b, probe = unit.script.items
    first, second = unit.model.expansions_of(probe)
    assert first.aliases == (b, a) and first.elaborated
    assert [body for _, body in first.bodies()] == [a.body, b.body, probe.body]  # prologues first
    assert first.variables == {id(a): {"x": "long"}, id(b): {"s": "string"}}
    assert second.aliases == () and second.elaborated and second.variables == {}
    assert unit.model.elaboration is not None and unit.model.elaboration.is_elaborated(a)


def test_library_variables_come_with_the_expansion():
    model = check("probe syscall.open { println(filename) }\n").unit.model
    (expansion,) = model.expansions
    assert expansion.library_aliases[0] == "syscall.open" and expansion.library_variables["filename"] == "string"


def test_an_alias_reached_with_a_suffix_brings_the_variables_of_its_expansion():
    # nd_syscall.accept4.return is nd_syscall.accept4 with the suffix .return: retval comes from inside
    text = "probe nd_syscall.accept.return, nd_syscall.accept4.return { println(retval) }\n"
    assert found(text) == []


# ---------------------------------------------------------------- what stap never elaborates


def test_a_function_nobody_calls_gets_warnings_that_say_why():
    # stap -p2: accepted
    text = "function f() { return nosuchfn() }\nprobe begin { exit() }\n"
    (d,) = check(text).diagnostics
    assert (d.code, d.severity) == ("STP101", Severity.WARNING)
    assert "stap never elaborates this function" in d.hints[-1]


def test_a_function_called_only_from_an_alias_nobody_uses_is_not_elaborated():
    text = "function f() { return nosuchfn() }\nprobe a = begin { f() }\nprobe begin { exit() }\n"
    assert errors(text) == [] and ("STP101", "nosuchfn") in found(text, Severity.WARNING)
    used = "function f() { return nosuchfn() }\nprobe a = begin { f() }\nprobe a { exit() }\n"
    assert errors(used) == [("STP101", "nosuchfn")]


def test_an_unused_function_does_not_type_the_globals_of_the_rest():
    # stap -p2: accepted (g is a number where stap looks)
    text = 'global g\nfunction f() { g = "s" }\nprobe begin { g = 1; println(g); exit() }\n'
    assert errors(text) == [] and found(text, Severity.WARNING) == [("STP105", '"s"')]


def test_an_alias_nobody_uses_gets_warnings():
    # stap -p2: accepted, errors inside or not
    text = "probe a = nosuch.point { }\nprobe begin { exit() }\n"
    assert errors(text) == [] and found(text, Severity.WARNING) == [("STP201", "nosuch")]
    text = 'probe a = begin { x = "s" }\nprobe b = a { println(x + 1) }\nprobe end { exit() }\n'
    assert errors(text) == []


def test_the_points_after_a_bang_point_that_resolves_are_never_tried():
    # stap -p2: both accepted
    assert errors("probe a = begin { x = 1 }\nprobe a!, end { println(x) }\n") == []
    text = "probe begin!, nosuch.point { exit() }\n"
    (d,) = check(text).diagnostics
    assert d.code == "STP201" and d.severity is Severity.WARNING and "'!' point" in d.hints[-1]


def test_after_a_bang_point_only_the_target_can_confirm_the_rest_is_checked():
    # where kernel.function("vfs_read") does not exist, stap goes on to the next point
    text = 'probe kernel.function("vfs_read")!, nosuch.point { exit() }\n'
    assert errors(text) == [("STP201", "nosuch")]


def test_a_dropped_optional_probe_gets_no_finding_on_its_alias_variables():
    # hotspot.* comes with the JDK's tapset: where it is missing, stap drops the probe
    text = "probe hotspot.method_entry? { println(name) }\nprobe begin { exit() }\n"
    assert found(text) == []
    unit = check(text).unit
    assert unit.probes[id(unit.script.items[0])].dropped
    assert not unit.model.elaboration.is_elaborated(unit.script.items[0])


def test_no_probes_is_still_reported_with_an_unused_function_or_a_dropped_probe():
    assert errors("function f() { return 1 }") == [("STP130", "")]
    assert [code for code, _ in errors("probe nosuch? { }")] == ["STP130"]


# ---------------------------------------------------------------- probe points, once


def test_an_unknown_point_is_reported_once_per_written_point():
    text = "probe nosuch.{a,b}, nosuch.c { }\nprobe begin { exit() }\n"
    assert errors(text) == [("STP201", "nosuch"), ("STP201", "nosuch")]  # one per written point
    text = "probe syscall.{opn,clse} { exit() }\n"
    assert errors(text) == [("STP201", "opn"), ("STP201", "clse")]  # two places: two reports


def test_an_epilogue_runs_after_the_handler_and_sees_its_variables():
    # stap -p2: both accepted
    assert found("probe a += begin { println(x) }\nprobe a { x = 1 }\n") == []
    assert found('probe a = begin { x = 1 }, { println(x, y) }\nprobe a { y = "s" }\n') == []


# ---------------------------------------------------------------- the model and the session


def test_a_part_of_the_model_read_before_it_is_filled_is_an_error():
    model = SemanticModel()
    with pytest.raises(RuntimeError, match="'probes'"):
        model.require("probes")
    model.mark("probes")
    model.require("probes")


def test_the_session_is_no_part_of_the_options_value_and_travels_empty():
    session = Session()
    session.db(None)
    options = CheckOptions(session=session)
    assert repr(options) == repr(CheckOptions()) and options == CheckOptions()  # (cache keys)
    copy = pickle.loads(pickle.dumps(options))
    assert copy.session is not session and copy.session._dbs == {}
    assert attrs.evolve(options, explain_unverifiable=True).session is session


def test_the_editor_sees_the_types_of_a_used_alias_bodys_locals():
    # (lsp/analysis.infer_types: an alias typed inside the expansions that use it)
    from stapkit.lsp.analysis import infer_types

    unit = check('probe a = begin { x = 1 }\nprobe b = a { y = sprint(x) }\nprobe b { exit() }\n').unit
    a, b, _ = unit.script.items
    table = infer_types(unit)
    assert table.locals[id(a)]["x"].type == "long" and table.locals[id(b)]["y"].type == "string"


@pytest.mark.corpus
def test_the_example_that_probes_hotspot_optionally_gets_no_never_assigned_local():
    # profiling/ucalls.stp: `probe hotspot.method_entry?, ...` read the JDK tapset's variables
    # (12 STP301 before); where that tapset is missing stap drops those probes
    from ..corpora import EXAMPLES, require

    path = require(EXAMPLES / "profiling" / "ucalls.stp")
    result = check_text(path.read_text(), str(path), CheckOptions(session=SESSION))
    assert [d for d in result.diagnostics if d.code in ("STP301", "STP106")] == []
