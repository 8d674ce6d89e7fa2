"""stap's optimizer (stapkit/semantic/optimizer.py): what it removes, and what the checks make of it.

Each script's verdict is stap 4.8's `-p2` (checked with the real stap when
these were written): code the optimizer removes is never type-checked by
stap, so a finding there is a warning that says so, not an error.
"""

from __future__ import annotations

import pytest

from stapkit.diagnostics import Severity
from stapkit.semantic.checker import CheckOptions, check_text
from stapkit.semantic.optimizer import for_unit
from stapkit.syntax import ast
from stapkit.syntax.parser import ParseOptions


def check(text: str, **parse):
    options = CheckOptions(parse=ParseOptions(library_macros={}, **parse))
    return check_text(text, "t.stp", options)


def found(text: str, **parse) -> list[tuple[str, str]]:
    return [(d.code, d.severity.name) for d in check(text, **parse).diagnostics]


# -- an expression statement: what of it stays (opt5, then opt4)


@pytest.mark.parametrize("text", [
    'probe begin { exit() && ("a" + 1) }',  # `if (exit()) "a" + 1`: the operand goes
    'function f() { println("x"); return 1 }\nprobe begin { exit(); f() || ("a" + 1) }',
    'probe begin { exit() + "a" }',  # `exit(); "a"`
    'probe begin { exit(); (exit() ? "a" + 1 : 2) }',
    'probe begin { exit(); strlen("a" + 1) }',  # a pure library function: its arguments only
    'probe begin { exit(); sprintf("%d", "a") }',  # an s-print is pure too
    'function g(x) { return x + 1 }\nprobe begin { exit(); g("a") }',  # a pure script function
])
def test_a_type_error_in_a_removed_operand_is_a_warning_saying_why(text):
    diagnostics = check(text).diagnostics
    assert [d.code for d in diagnostics] == ["STP105"] * len(diagnostics) and diagnostics
    for d in diagnostics:
        assert d.severity is Severity.WARNING
        assert any("stap does not report this" in h and "optimizer" in h for h in d.hints)


@pytest.mark.parametrize("text", [
    'probe begin { exit(); if (0) { println("a" + 1) } }',  # const folding hides nothing in 4.8
    'probe begin { exit(); 0 && println("a" + 1) }',  # the operand has a side effect: it stays
    'function g(x) { println(x); return x + 1 }\nprobe begin { exit(); g("a") }',
    'probe begin { println(exit() && ("a" + 1)) }',  # the value is used
])
def test_a_type_error_in_code_that_stays_is_an_error(text):
    assert ("STP105", "ERROR") in found(text)


def test_without_the_optimizer_nothing_is_removed():
    assert ("STP105", "ERROR") in found('#! stap -u\nprobe begin { exit() && ("a" + 1) }')


# -- no probes left


@pytest.mark.parametrize("text", [
    "probe begin { x = 1 }",
    "probe begin { x = 1 } probe end { }",
    'probe begin { x = strlen("a") }',
    "probe begin { x = 1; y = x }",  # y is dead, then x is
    "probe begin { try { x = 1 } catch { } }",
    "probe begin { while (0) { } }",
    "probe begin { statvar <<< 4 }",
])
def test_a_script_whose_every_handler_the_optimizer_empties_has_no_probes(text):
    assert ("STP130", "ERROR") in found(text)


@pytest.mark.parametrize("text", [
    "global x; probe begin { x = 1 }",  # a global keeps its writes (stap prints it at the end)
    "probe begin { x = 1; next }",
    "probe begin { for (i = 0; i < 3; i++) { } }",  # the clauses write i
    "probe begin { x = 1 } probe never { println(1) }",
    "probe begin { foreach (k in argv) { } }",  # argv.stp comes in, and its own probe with it
    "#! stap -u\nprobe begin { x = 1 }",
])
def test_a_handler_that_keeps_something_is_a_probe(text):
    assert "STP130" not in [code for code, _ in found(text)]


def test_a_tapset_file_needs_no_probe():
    assert "STP130" not in [code for code, _ in found("probe begin { x = 1 }", tapset=True)]


# -- the model itself


def _unit(text: str):
    return check(text).unit


def test_one_optimizer_per_file_kept_on_its_unit():
    unit = _unit("probe begin { exit() }")
    assert for_unit(unit) is for_unit(unit)
    assert for_unit(_unit("probe begin { exit() }")) is not for_unit(unit)


def test_which_calls_have_side_effects():
    unit = _unit('function quiet(a) { b = a; return b }\nfunction loud() { println(1) }\n'
                 'function indirect() { return loud() }\nglobal g\nfunction writes() { g = 1 }\n'
                 'probe begin { exit() }')
    optimizer = for_unit(unit)
    assert optimizer.pure_call("quiet")  # its own locals are its own business
    assert not optimizer.pure_call("loud")
    assert not optimizer.pure_call("indirect")
    assert not optimizer.pure_call("writes")
    assert optimizer.pure_call("strlen")  # /* pure */ in the library
    assert not optimizer.pure_call("exit")
    assert not optimizer.pure_call("no_such_function")  # nothing known: kept


def test_removed_nodes_are_what_the_target_checks_skip():
    unit = _unit('probe begin { exit() && ($x + 1); y = $z; a = 1; println(a) }')
    body = unit.script.items[0].body
    removed = for_unit(unit).removed_nodes(body, dead_assignments=True)
    (operand,) = [n for n in ast.walk(body) if isinstance(n, ast.Paren)]  # ($x + 1)
    assert id(operand) in removed
    dead_statement = body.statements[1]
    assert id(dead_statement) in removed  # y is never read: `y = $z` goes
    assert id(body.statements[2]) not in removed and id(body.statements[3]) not in removed


def test_a_target_variable_in_removed_code_is_no_error():
    # stap elides side-effect-free code before it resolves target symbols.
    assert not [code for code, severity in found('probe begin { exit() && ($x + 1) }') if severity == "ERROR"]
