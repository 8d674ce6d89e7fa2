"""Symbols and types (stapkit/semantic/type_check.py) on small scripts, as stap -p2 decides them."""

from __future__ import annotations

import pytest

from stapkit.diagnostics import Severity
from stapkit.semantic.checker import CheckOptions, check_text
from stapkit.syntax.parser import ParseOptions
from stapkit.semantic.session import Session

SESSION = Session()  # one database and resolver for the module's checks


def check(text: str, **parse):
    options = CheckOptions(parse=ParseOptions(library_macros={}, **parse), session=SESSION)
    return check_text(text, "t.stp", options).diagnostics


def codes(text: str, severity=Severity.ERROR, **parse) -> list[str]:
    return [d.code for d in check(text, **parse) if severity is None or d.severity is severity]


def messages(text: str, **parse) -> list[str]:
    return [f"{d.code} {d.message}" for d in check(text, **parse)]


# -- symbols


def test_unresolved_function_suggests_the_closest():
    (found,) = [m for m in messages('probe begin { println(exename()) exit() }') if m.startswith("STP101")]
    assert "'exename'" in found and "'execname'" in found


def test_arity_mismatch_says_what_the_overloads_take():
    (found,) = [m for m in messages('probe begin { println(substr("abc", 1)) }') if m.startswith("STP102")]
    assert "takes 3 arguments, given 2" in found


def test_script_functions_are_overloaded_by_arity():
    text = 'function f(a) { return a + 1 }\nfunction f(a, b) { return a . b }\nprobe begin { println(f(1)) println(f("a", "b")) }'
    assert codes(text) == []


def test_an_indexed_local_needs_a_global_declaration():
    found = messages('probe begin { a[1] = 2 }')
    assert any(m.startswith("STP103 unresolved arity-1 global array 'a'") for m in found)


def test_inconsistent_arity_of_a_global():
    assert "STP104" in codes('global a\nprobe begin { a[1] = 1; a[1, 2] = 2 }')
    assert "STP104" in codes('global a\nprobe begin { a = 1 }\nprobe end { if (4 in a) {} }')


def test_a_probe_local_named_like_a_tapset_global_is_that_global():
    # argc is a public global of the tapset library (argv.stp): it is a long,
    # so giving it a string is a type error, as stap says.
    assert "STP105" in codes('probe begin { argc = "x"; println(argc) }')


def test_parameters_shadow_globals():
    assert codes('global x = "s"\nfunction f(x) { return x + 1 }\nprobe begin { println(f(1)) println(x) }') == []


# -- types


@pytest.mark.parametrize("text", [
    'probe begin { x = 1; y = "a"; println(x . y) }',
    'global a\nprobe begin { a[1] = "s"; a["x"] = 2 }',
    'probe begin { printf("%d\\n", "s") }',
    'probe begin { try { error("x") } catch (m) { println(m + 1) } }',
    'global x\nprobe begin { x <<< 1; x = 1 }',
])
def test_type_mismatches_stap_reports(text):
    assert set(codes(text)) & {"STP105", "STP107"}, messages(text)


def test_a_mismatch_points_at_where_the_type_was_first_inferred():
    (d,) = [d for d in check('global a\nprobe begin { a = 1 }\nprobe end { a = "z" }') if d.code == "STP105"]
    assert d.related and "first inferred" in d.related[0].message


def test_unresolved_type_of_a_function_that_returns_nothing():
    found = codes('#! stap -u\nfunction f() { }\nprobe begin { a = f() }')
    assert "STP106" in found


def test_statistics_are_global_and_read_through_operators():
    assert codes('global s\nprobe begin { s <<< 1; println(@count(s)) }') == []
    assert "STP107" in codes('global s\nprobe begin { s <<< 1; println(s) }')
    assert "STP108" in codes('probe begin { s <<< 1; println(@count(s)) }')


def test_foreach_types_and_statistics_sorting():
    assert codes('global a\nprobe begin { a["x"] = 1; foreach (k in a) println(k . "!") }') == []
    assert "STP107" in codes('global a\nprobe begin { a[0] = 1; foreach (k in a @sum +) println(k) }')
    assert "STP107" in codes('global a\nprobe begin { a[1] <<< 1; foreach (k = v in a) println(v) }')


def test_printf_argument_count():
    assert "STP110" in codes('probe begin { printf("%s %d\\n", "x") }')
    assert "STP110" in codes('probe begin { printf("%d\\n", 1, 2) }')
    assert "STP110" not in codes('probe begin { printf("%*d\\n", 5, 1) }')


def test_wrapped_scalar():
    assert "STP109" in codes('global last%\nprobe begin { last = 1 }')


def test_aggregate_in_embedded_c():
    text = 'global s\nprobe begin { s <<< 1; println(%{ /* pragma:read:s */ 0 %}) }'
    assert "STP111" in codes(text, guru=True)


# -- what stap's optimizer removes is not type-checked


def test_dead_stores_and_pure_statements_are_not_type_checked():
    assert codes('global b\nprobe begin { a = b + 2; b = "x"; println(b) }') == []
    assert codes('probe begin { statvar <<< 4; exit() }') == []
    # ... unless -u (no optimizer) is on the first line:
    assert "STP106" in codes('#! stap -u\nfunction stamp(s) { }\nprobe begin { a = stamp("read") }')


def test_symbol_errors_are_found_in_dead_code_too():
    # stap resolves symbols before it optimizes.
    assert "STP104" in codes('global foo\nprobe begin { foo = 1 }\nprobe end { if (4 in foo) { } }')


# -- locals, privilege, versions


def test_never_assigned_local_is_a_warning_with_a_suggestion():
    found = [d for d in check('probe begin { size = 1; println(sizee + size) }') if d.code == "STP301"]
    assert found and found[0].severity is Severity.WARNING and "did you mean 'size'" in found[0].message


def test_guru_functions_need_guru_mode():
    assert "STP603" in codes('probe begin { set_kernel_long(0, 1) }')
    assert "STP603" not in codes('probe begin { set_kernel_long(0, 1) }', guru=True)


def test_unprivileged_users_may_call_only_functions_marked_for_them():
    from stapkit.syntax.target import Target

    target = Target(privilege="stapusr")
    assert "STP605" in codes('probe begin { println(kernel_string(0)) }', target=target)
    assert "STP605" not in codes('probe begin { println(execname()) }', target=target)


def test_deprecated_functions_for_the_target_version():
    from stapkit.syntax.target import Target

    text = 'probe begin { println(task_backtrace(task_current())) }'
    found = [d for d in check(text) if d.code == "STP402"]
    assert found and "1.6" in found[0].message and found[0].severity is Severity.WARNING
    assert "STP402" not in codes(text, target=Target(systemtap_v="1.6"), severity=None)


def test_private30_functions_are_callable_before_3_0():
    from stapkit.syntax.target import Target

    text = 'probe begin { println(WIFSIGNALED(0)) }'
    assert "STP101" in codes(text)
    assert "STP101" not in codes(text, target=Target(systemtap_v="2.9"))


def test_no_probes():
    assert "STP130" in codes('function f() { return 1 }')
    assert "STP130" not in codes('function f() { return 1 }', tapset=True)


# -- user callbacks of the tapsets (the SNMP counters)

SNMP_SCRIPT = """\
probe tcpmib.RetransSegs {}

function tcpmib_filter_key:long (sk:long, op:long) {
  if (!sk) return 0
  return __ip_sock_daddr(sk)
}

probe end {
  foreach (addr in RetransSegs)
    printf("%s %d\\n", ip_ntop(htonl(addr)), lport)
}
"""


def test_an_snmp_counter_with_its_callback():
    found = check(SNMP_SCRIPT)
    assert [d for d in found if d.severity is Severity.ERROR] == []
    assert "STP113" not in {d.code for d in found}  # the callback matches the tapset's prototype
    (undefined,) = [d for d in found if d.code == "STP301"]
    assert "'lport'" in undefined.message


def test_a_callback_with_the_wrong_prototype_is_not_called():
    text = SNMP_SCRIPT.replace("(sk:long, op:long)", "(sk:long)")
    (d,) = [d for d in check(text) if d.code == "STP113"]
    assert "tcpmib_filter_key:long (sk:long, op:long)" in d.message
    text = SNMP_SCRIPT.replace("(sk:long, op:long)", "(sk:string, op:long)")
    assert "STP113" in {d.code for d in check(text)}


def test_no_cascade_from_a_probe_point_that_did_not_resolve():
    found = {d.code for d in check('probe socket.sendd { println(size) }')}
    assert "STP201" in found and not found & {"STP106", "STP301"}


def test_alias_variables_are_set_locals_with_their_types():
    assert codes('probe socket.send { printf("%s %d\\n", name, size) }') == []
    found = [d for d in check('probe socket.send { printf("%d\\n", sizee) }') if d.code == "STP301"]
    assert found and "did you mean 'size'" in found[0].message
    assert "STP105" in codes('probe socket.send { println(name + 1) }')


# -- the types, for the editor (type_check.types)


def test_types_of_a_checked_file_are_read_without_reporting_again():
    from stapkit.semantic.type_check import types

    result = check_text('global count\nfunction f(a) { return a . "x" }\n'
                        'probe begin { n = 1; count[n, f("s")] = 2; println(n) }', "t.stp",
                        CheckOptions(parse=ParseOptions(library_macros={})))
    unit = result.unit
    before = list(unit.diagnostics)
    table = types(unit)
    assert unit.diagnostics == before  # reporting is check()'s alone
    assert table.globals["count"] == ("long", 2, ("long", "string"))
    (decl,) = [i for i in unit.script.items if i.__class__.__name__ == "FunctionDecl"]
    assert table.functions[id(decl)] == (("string",), "string")
    (probe,) = [i for i in unit.script.items if i.__class__.__name__ == "ProbeDecl"]
    assert table.locals[id(probe)]["n"].type == "long"
