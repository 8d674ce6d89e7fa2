"""stapkit/semantic/bindings.py: where each name is declared, read, written and called.

Each test parses a small script, checks it, and looks at what Bindings.of
recorded, by the text at each recorded place.
"""

from __future__ import annotations

from stapkit.lint.library import library_file
from stapkit.semantic.bindings import (
    ALIAS, ASSIGN, CATCH, DELETE, EMBEDDED, FOREACH, GLOBAL, LIBRARY, LOCAL, MENTION, PARAM, READ, STATS,
    UPDATE, Bindings,
)
from stapkit.semantic.checker import CheckOptions, check_text
from stapkit.syntax.parser import ParseOptions
from stapkit.semantic.session import Session

SESSION = Session()  # one database and probe resolver for every check of the module


def unit_of(text: str, *, tapset: bool = False, path: str = "test.stp"):
    options = CheckOptions(parse=ParseOptions(library_macros={}, tapset=tapset), session=SESSION)
    result = check_text(text, path, options)
    assert result.unit is not None, [(d.code, d.message) for d in result.diagnostics]
    return result.unit


def symbols_of(text: str, **options) -> tuple[Bindings, str]:
    unit = unit_of(text, **options)
    return Bindings.of(unit), unit.text


def at(text: str, uses) -> list[str]:
    """The text at each use, in order."""
    return [text[u.span.start:u.span.end] for u in sorted(uses, key=lambda u: u.span.start)]


def hows(uses) -> list[str]:
    return [u.how for u in sorted(uses, key=lambda u: u.span.start)]


def body(symbols: Bindings, description: str):
    (found,) = [b for b in symbols.bodies if b.describe() == description]
    return found


# ---------------------------------------------------------------- globals


def test_globals_record_their_declaration_reads_and_each_kind_of_write():
    s, text = symbols_of(
        "global n, names, st, gone\n"
        "probe begin {\n"
        "  n = 1; n += 2; n++\n"
        "  names[\"a\"] = \"b\"\n"
        "  st <<< 3\n"
        "  delete gone\n"
        "  printf(\"%d %s %d\\n\", n, names[\"a\"], @count(st))\n"
        "  exit()\n"
        "}\n")
    n = s.globals["n"]
    assert n.kind == GLOBAL
    assert text[n.declared.start:n.declared.end] == "n"
    assert hows(n.writes) == [ASSIGN, UPDATE, UPDATE]
    assert at(text, n.reads) == ["n"]  # printf's argument; the updates' results are not used
    names = s.globals["names"]
    assert [(w.how, w.indexed) for w in names.writes] == [(ASSIGN, True)]
    assert [r.indexed for r in names.reads] == [True]
    assert hows(s.globals["st"].writes) == [STATS]
    assert len(s.globals["st"].reads) == 1  # @count(st)
    assert hows(s.globals["gone"].writes) == [DELETE]
    assert not s.globals["gone"].reads


def test_an_update_whose_value_is_used_is_a_read_too():
    s, text = symbols_of("global a, i\nprobe begin { a[i++] = 1; x = i--; print(x); exit() }\n")
    i = s.globals["i"]
    assert hows(i.writes) == [UPDATE, UPDATE]
    assert len(i.reads) == 2


def test_for_loop_steps_are_updates_only():
    s, _ = symbols_of("probe begin { for (i = 0; j < 3; i++) j++; print(j); exit() }\n")
    i = body(s, "probe begin").locals["i"]
    assert hows(i.writes) == [ASSIGN, UPDATE] and not i.reads


def test_probe_conditions_printf_arguments_defined_and_statistics_read_globals():
    s, text = symbols_of(
        "global on, s, h\n"
        "probe timer.s(1) if (on) { s <<< 1; h <<< 2 }\n"
        "probe begin { on = 1 }\n"
        "probe end { printf(\"%d\\n\", @count(s)); print(@hist_log(h)); print(@defined(on)) }\n")
    assert [u.body for u in s.globals["on"].reads][0] is None  # the condition is at file level
    assert len(s.globals["on"].reads) == 2
    assert len(s.globals["s"].reads) == 1
    assert len(s.globals["h"].reads) == 1


def test_foreach_reads_the_array_and_binds_its_keys_and_value():
    s, text = symbols_of(
        "global arr\n"
        "probe begin { arr[1, \"a\"] = 2 }\n"
        "probe end { foreach (v = [k, name] in arr) printf(\"%d %s\\n\", k, name); if ([1, \"a\"] in arr) exit() }\n")
    end = body(s, "probe end")
    assert hows(end.locals["v"].writes) == [FOREACH] and not end.locals["v"].reads
    assert hows(end.locals["k"].writes) == [FOREACH] and len(end.locals["k"].reads) == 1
    assert len(s.globals["arr"].reads) == 2
    assert all(r.indexed for r in s.globals["arr"].reads)


def test_catch_variable():
    s, _ = symbols_of("probe begin { try { error(\"x\") } catch (msg) { } }\n")
    assert hows(body(s, "probe begin").locals["msg"].writes) == [CATCH]


# ---------------------------------------------------------------- scopes


def test_locals_belong_to_their_body_and_parameters_shadow_globals():
    s, text = symbols_of(
        "global count\n"
        "function f(count) { total = count; return total }\n"
        "probe begin { total = 1; count = f(2); print(count + total); exit() }\n")
    f = body(s, "function 'f'")
    begin = body(s, "probe begin")
    assert f.params["count"].kind == PARAM
    assert len(f.params["count"].reads) == 1
    assert f.locals["total"] is not begin.locals["total"]
    assert f.locals["total"].kind == begin.locals["total"].kind == LOCAL
    # In the probe, `count` is the global; in f, the parameter.
    assert hows(s.globals["count"].writes) == [ASSIGN]
    assert [u.body for u in s.globals["count"].writes] == [begin]
    assert s.variable("count", f) is f.params["count"]
    assert s.variable("count", begin) is s.globals["count"]
    assert s.variable("total", None) is None
    assert s.body_of(f.node) is f
    assert at(text, begin.locals["total"].uses()) == ["total", "total"]


def test_a_public_tapset_global_is_not_a_local():
    s, text = symbols_of("probe begin { argc = 0; print(argc); exit() }\n")
    assert "argc" not in body(s, "probe begin").locals
    argc = s.library_globals["argc"]
    assert argc.kind == LIBRARY
    assert hows(argc.writes) == [ASSIGN] and len(argc.reads) == 1


def test_a_probe_handler_sees_its_aliases_variables():
    s, _ = symbols_of("probe syscall.read { printf(\"%d\\n\", fd); n = count }\n")
    read = body(s, "probe syscall.read")
    assert read.alias_variables["fd"].kind == ALIAS
    assert len(read.alias_variables["fd"].reads) == 1
    assert "fd" not in read.locals and "count" not in read.locals
    assert "n" in read.locals


def test_an_alias_prologue_and_epilogue_are_one_body():
    s, _ = symbols_of(
        "probe timing = begin { t0 = 1 }, { printf(\"%d %d\\n\", t0, elapsed) }\n"
        "probe timing { elapsed = 2 }\n")
    alias = body(s, "alias 'timing'")
    assert alias.kind == "alias"
    assert hows(alias.locals["t0"].writes) == [ASSIGN] and len(alias.locals["t0"].reads) == 1
    assert {"t0", "elapsed"} <= s.epilogue_reads


# ---------------------------------------------------------------- functions


def test_calls_are_recorded_with_their_arity_and_caller():
    s, text = symbols_of(
        "function f(x) { return x }\n"
        "function f(x, y) { return x + y }\n"
        "function rec(n) { return n ? rec(n - 1) : 0 }\n"
        "probe begin { print(f(1) + f(1, 2) + f(3)); exit() }\n")
    f = s.functions["f"]
    one, two = f.decls
    assert len(f.callers(one)) == 2
    assert len(f.callers(two)) == 1
    assert [c.body.describe() for c in f.calls] == ["probe begin"] * 3
    rec = s.functions["rec"]
    assert len(rec.calls) == 1 and rec.callers(rec.decls[0]) == []  # calling itself is no use


def test_a_call_through_a_command_line_argument_makes_calls_unknown():
    s, _ = symbols_of("function f() { return 1 }\nprobe begin { print($1(2)); exit() }\n")
    assert s.dynamic_calls


# ---------------------------------------------------------------- what the tree does not hold


def test_names_in_a_branch_the_target_does_not_take_are_mentions():
    s, text = symbols_of(
        "global old_count, new_count\n"
        "function old_helper() { return 1 }\n"
        "probe begin {\n"
        "  x = 1\n"
        "%( kernel_v < \"2.6\" %?\n"
        "  old_count++; print(x + old_helper())\n"
        "%:\n"
        "  new_count++\n"
        "%)\n"
        "  exit()\n"
        "}\n")
    begin = body(s, "probe begin")
    assert hows(s.globals["old_count"].mentions) == [MENTION]
    assert not s.globals["old_count"].writes
    assert hows(s.globals["new_count"].writes) == [UPDATE]
    assert not s.globals["new_count"].mentions  # the taken branch is in the tree
    assert len(begin.locals["x"].mentions) == 1 and not begin.locals["x"].reads
    assert len(s.functions["old_helper"].mentions) == 1


def test_the_taken_branch_is_not_scanned():
    s, _ = symbols_of("probe begin {\n%( systemtap_v >= \"1.0\" %? y = 1 %: z = 2 %)\n exit() }\n")
    begin = body(s, "probe begin")
    assert hows(begin.locals["y"].writes) == [ASSIGN] and not begin.locals["y"].mentions
    assert "z" not in begin.locals


def test_nested_conditionals_are_scanned_once_each_untaken_branch():
    s, _ = symbols_of(
        "global a, b, c\n"
        "probe begin {\n"
        "%( systemtap_v >= \"1.0\" %? %( kernel_v < \"2.0\" %? a++ %: b++ %) %: c++ %( arch == \"x\" %? c++ %) %)\n"
        "}\n")
    assert len(s.globals["a"].mentions) == 1 and not s.globals["a"].writes
    assert hows(s.globals["b"].writes) == [UPDATE] and not s.globals["b"].mentions
    assert len(s.globals["c"].mentions) == 2  # the outer else branch once, with its nested conditional


def test_embedded_c_pragmas_and_accessors_say_what_they_do():
    s, text = symbols_of(
        "#! stap -g\n"
        "global seen, total, other\n"
        "function get:long() %{ /* pragma:read:seen */ STAP_RETURN(STAP_GLOBAL_GET_seen()); %}\n"
        "function put(v:long) %{ /* pragma:write:total */ STAP_GLOBAL_SET_total(STAP_ARG_v); %}\n"
        "function old(w:long) %{ THIS->__retvalue = THIS->w + other; %}\n"
        "probe begin { put(get() + old(1)); exit() }\n")
    assert hows(s.globals["seen"].reads) == [READ, READ]
    assert EMBEDDED in hows(s.globals["total"].writes)
    assert len(body(s, "function 'put'").params["v"].reads) == 1
    assert len(body(s, "function 'old'").params["w"].mentions) == 1
    assert len(s.globals["other"].mentions) == 1


def test_top_level_embedded_c_names_are_file_level_mentions():
    s, _ = symbols_of("#! stap -g\nglobal limit_hits\n%{ static int limit_hits_seen; %}\n"
                      "%{ /* limit_hits */ %}\nprobe begin { exit() }\n")
    (mention,) = s.globals["limit_hits"].mentions
    assert mention.body is None


def test_macro_expansions_are_in_the_tree_and_unused_macro_bodies_are_mentions():
    s, text = symbols_of(
        "@define BUMP(v) %( @v++ %)\n"
        "@define NEVER %( spare++; helper() %)\n"
        "global hits, spare\n"
        "function helper() { return 1 }\n"
        "probe begin { @BUMP(hits); print(hits); exit() }\n")
    assert hows(s.globals["hits"].writes) == [UPDATE]
    assert not s.globals["hits"].mentions  # BUMP is invoked: its body is not scanned
    assert hows(s.globals["spare"].mentions) == [MENTION]
    assert len(s.functions["helper"].mentions) == 1


def test_a_macro_invoked_only_in_an_untaken_branch_is_scanned():
    s, _ = symbols_of(
        "@define OLD %( legacy++ %)\n"
        "global legacy\n"
        "probe begin {\n%( kernel_v < \"2.6\" %? @OLD %: exit() %)\n}\n")
    assert len(s.globals["legacy"].mentions) == 1


# ---------------------------------------------------------------- library files


def test_library_files_by_what_they_look_like():
    assert library_file(unit_of("function f() { return 1 }\n"))  # no probe
    assert library_file(unit_of("probe my.thing = begin { x = 1 }\nprobe end { }\n"))  # an alias for others
    assert not library_file(unit_of("probe my.thing = begin { x = 1 }\nprobe my.thing { print(x) }\n"))
    assert not library_file(unit_of("probe my.* = begin { }\nprobe m*.thing { }\n".replace("my.* =", "my.thing =")))
    assert library_file(unit_of("probe begin { }\n", path="project/tapset/helpers.stp"))
    assert not library_file(unit_of("probe begin { }\n", path="project/scripts/tapsets.stp"))
    assert library_file(unit_of("function f() { return 1 }\n", tapset=True))


# ---------------------------------------------------------------- once per unit, calls, the call graph


def test_bindings_are_computed_once_per_unit():
    unit = unit_of("global n\nprobe begin { n = 1; print(n); exit() }\n")
    first = Bindings.of(unit)
    assert Bindings.of(unit) is first
    other = unit_of("global n\nprobe begin { n = 1; print(n); exit() }\n")
    assert Bindings.of(other) is not first


def test_every_call_of_a_scope_and_the_call_graph():
    s, text = symbols_of(
        "function f(x) { return g(x) + g(x, 1) }\n"
        "function g(x) { return x }\n"
        "function g(x, y) { return x + y }\n"
        "function h() { return 0 }\n"
        "probe begin { println(f(1)); exit() }\n")
    f = body(s, "function 'f'")
    assert [(c.name, c.arity) for c in f.calls] == [("g", 1), ("g", 2)]
    assert [(d.name, len(d.params)) for d in s.callees(f)] == [("g", 1), ("g", 2)]
    begin = body(s, "probe begin")
    assert [c.name for c in begin.calls] == ["f", "exit"]  # library functions too (println is a print)
    assert [d.name for d in s.callees(begin)] == ["f"]
    assert s.callees(body(s, "function 'h'")) == []
    assert not s.functions["h"].calls


def test_writes_carry_the_node_that_makes_them():
    s, _ = symbols_of("global n, a\nprobe begin { n = 1; n++; delete a; a[1] <<< 2; exit() }\n")
    assert [type(w.node).__name__ for w in s.globals["n"].writes] == ["Assignment", "Crement"]
    assert [type(w.node).__name__ for w in s.globals["a"].writes] == ["DeleteStmt", "Assignment"]


def test_alias_names_include_the_ones_a_global_takes_the_place_of():
    s, _ = symbols_of("global count\nprobe syscall.read { count++; println(fd) }\nprobe end { exit() }\n")
    probe = body(s, "probe syscall.read")
    assert {"count", "fd"} <= set(probe.alias_names)
    assert "fd" in probe.alias_variables
    assert "count" not in probe.alias_variables  # the global takes its place
    assert s.variable("count", probe) is s.globals["count"]
