"""The grammar, construct by construct, and the errors stap gives for each."""

from __future__ import annotations

import pytest

from stapkit.syntax import ast

from ..helpers import body, codes, errors, expr, parenthesize, parse, parse_ok


# ---------------------------------------------------------------- precedence
# Each expectation was checked against `stap -p1` (it prints every operation
# parenthesized); see shared/reference/stap-language.md §2.9.1.

@pytest.mark.parametrize("source,expected", [
    ('"a" . 1 + 2', '("a" . (1 + 2))'),  # concatenation sits between shift and additive
    ("a << 1 . b", "(a << (1 . b))"),
    ("a < b < c", "((a < b) < c)"),  # one level for all comparisons
    ("a == b < c", "((a == b) < c)"),
    ("!a in b", "([!a] in b)"),  # `in` binds looser than unary and comparisons
    ("a == b in c", "([(a == b)] in c)"),
    ("[a, b] in c", "([a, b] in c)"),
    ("[*, 2] in c", "([*, 2] in c)"),
    ("k in arr && 1", "(([k] in arr) && 1)"),
    ("a & b in c", "(a & ([b] in c))"),
    ("a | b ^ c & d", "(a | (b ^ (c & d)))"),
    ("a || b && c", "(a || (b && c))"),
    ("a ? b : c ? d : e", "(a ? b : (c ? d : e))"),
    ("a ? b = 1 : c", "(a ? (b = 1) : c)"),
    ("a - b - c", "((a - b) - c)"),
    ("a * b + c * d", "((a * b) + (c * d))"),
    ("-a * b", "(-a * b)"),
    ("a+++b", "((a++) + b)"),
    ("s =~ \"^a+$\"", '(s =~ "^a+$")'),
    ("s !~ \"x\" || t =~ \"y\"", '((s !~ "x") || (t =~ "y"))'),
    ("a >>> 2 >> 1", "((a >>> 2) >> 1)"),
])
def test_precedence(source, expected):
    assert parenthesize(expr(source)) == expected


def test_ternary_assignment_is_assignment_of_ternary():
    # `a ? b : c = d` reads `(a ? b : c) = d` (stap -p1)
    (stmt,) = body("a ? b : c = d")
    assert isinstance(stmt.expr, ast.Assignment) and isinstance(stmt.expr.target, ast.Ternary)


def test_assignment_is_right_associative():
    assert parenthesize(body("x = y = 1")[0].expr) == "(x = (y = 1))"


@pytest.mark.parametrize("op", ["=", "<<<", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=", "&=", "^=", "|=", ".="])
def test_assignment_operators(op):
    (stmt,) = body(f"a {op} b")
    assert stmt.expr.op == op


@pytest.mark.parametrize("source", [
    "k in arr == 0",  # nothing of the comparison level after `in`
    "a in b in c",
    'x =~ "a" == 1',  # =~ cannot be compared further
    'a == b =~ "c"',
    "1 + [a, b] in c",
])
def test_operator_combinations_stap_rejects(source):
    result = parse("probe begin { x = " + source + " }")
    assert errors(result), source


def test_regex_right_side_must_be_a_literal():
    result = parse("probe begin { x = a =~ b }")
    assert codes(result) == ["STP010"]


def test_comma_list_needs_in():
    assert "STP019" in codes(parse("probe begin { x = [1, 2] }"))
    assert "STP019" in codes(parse("probe begin { x = ([1, 2]) in arr }"))
    assert isinstance(expr("[a]"), ast.Variable)  # stap reads `[a]` as `a`


# ---------------------------------------------------------------- statements


def test_statements_need_no_separator():
    stmts = body("a = 1 b = 2 c++")
    assert [type(s).__name__ for s in stmts] == ["ExprStmt"] * 3


def test_juxtaposition_is_greedy_like_stap():
    # `x = 1` newline `-1` is one statement: x = 1 - 1 (error::pass1 documents this).
    (stmt,) = body("x = 1\n-1")
    assert parenthesize(stmt.expr) == "(x = (1 - 1))"
    # `a--b` is `a--` then `b`.
    assert [parenthesize(s.expr) for s in body("a--b")] == ["(a--)", "b"]


def test_one_optional_semicolon_per_statement():
    stmts = body("a = 1;; b = 2;")
    assert [type(s).__name__ for s in stmts] == ["ExprStmt", "EmptyStmt", "ExprStmt"]
    assert stmts[0].semicolon and not hasattr(stmts[1], "semicolon")


def test_if_else_binds_to_nearest_if():
    (stmt,) = body("if (a) if (b) x = 1 else x = 2")
    assert stmt.otherwise is None and stmt.then.otherwise is not None


@pytest.mark.parametrize("source,kind", [
    ("while (i < 10) i++", ast.WhileStmt),
    ("for (i = 0; i < 10; i++) ;", ast.ForStmt),
    ("for (;;) break", ast.ForStmt),
    ("try { error(\"x\") } catch (msg) { println(msg) }", ast.TryStmt),
    ("try { } catch { }", ast.TryStmt),
    ("delete arr[*, 2]", ast.DeleteStmt),
    ("next", ast.NextStmt),
    ("{ continue }", ast.Block),
])
def test_statement_kinds(source, kind):
    assert isinstance(body(source)[0], kind)


def test_for_defaults():
    (stmt,) = body("for (;;) break")
    assert stmt.init is None and stmt.condition is None and stmt.step is None


@pytest.mark.parametrize("source,check", [
    ("foreach (k in arr) ;", lambda s: [k.variable.name for k in s.keys] == ["k"] and not s.bracketed),
    ("foreach ([a, b] in arr) ;", lambda s: [k.variable.name for k in s.keys] == ["a", "b"] and s.bracketed),
    ("foreach ([a-, b] in arr) ;", lambda s: s.keys[0].sort == "-" and s.sort_direction == -1),
    ("foreach ([a, b] in arr+ limit 10) ;", lambda s: s.sort == "+" and s.limit.value == 10),
    ("foreach (v = [i, j] in foo- limit 10) ;", lambda s: s.value.variable.name == "v" and s.sort == "-"),
    ("foreach (v- = [i, j] in foo) ;", lambda s: s.value.sort == "-"),
    ("foreach ([a, b, c] in val[*, *, *]) ;", lambda s: len(s.slices) == 3),
    ("foreach ([a, b] in stats[*, 1] @sum+) ;", lambda s: s.aggregate == "@sum" and s.sort == "+"),
    ("foreach (bucket in @hist_linear(x, 1, 3, 1)) ;", lambda s: isinstance(s.array, ast.HistOp)),
])
def test_foreach_forms(source, check):
    (stmt,) = body(source)
    assert isinstance(stmt, ast.ForeachStmt) and check(stmt)


def test_foreach_errors():
    assert "STP019" in codes(parse("probe begin { foreach ([a+, b-] in arr) ; }"))  # multiple sort directives
    assert codes(parse("probe begin { foreach (a in arr @count) ; }")) == ["STP010"]  # expected sort directive
    assert codes(parse("probe begin { foreach (a arr) ; }")) == ["STP010"]


def test_return_only_in_functions():
    assert codes(parse("probe begin { return 1 }")) == ["STP012"]
    parse_ok("function f() { return } function g() { return 1 }")


def test_bare_return_needs_semicolon_or_brace():
    parse_ok("function f() { if (x) return; return }")
    assert codes(parse("function f() { return if (x) y = 1 }")) == ["STP010"]


# ---------------------------------------------------------------- primaries


def test_literals():
    assert expr("0x1F").value == 31 and expr("0777").value == 511
    assert expr('"a" "b"').value == "ab"
    assert expr('"x\\q\\n"').value == "xq\\n"  # unknown escapes drop the backslash
    assert expr("18446744073709551615").value == -1  # wraps to int64


@pytest.mark.parametrize("number", ["08", "1e5", "1abc", "0x", "18446744073709551616"])
def test_invalid_numbers(number):
    assert codes(parse(f"probe begin {{ x = {number} }}")) == ["STP005"]


def test_array_index_versus_autocast():
    assert isinstance(expr("foo[1]"), ast.ArrayIndex)  # an element of global foo
    value = expr("(foo)[1]")
    assert isinstance(value, ast.Access) and isinstance(value.base, ast.Paren)


@pytest.mark.parametrize("source,pretty,steps", [
    ("$var", None, ()),
    ("$var->f->g", None, ("f", "g")),
    ("$var$", "$", ()),
    ("$var$$", "$$", ()),
    ("$var->f$", "$", ("f",)),
    ("$var[1]$", "$", ("[]",)),
    ("$timer->function", None, ("function",)),  # keywords are member names
    ("@cast(p, \"task_struct\", \"kernel\")->parent->tgid", None, ("parent", "tgid")),
    ("@cast(t, \"task_struct\")$", "$", ()),
    ("@var(\"jiffies\")", None, ()),
    ("f(x)->m[2]", None, ("m", "[]")),
])
def test_target_expressions(source, pretty, steps):
    value = expr(source)
    if pretty is None and not steps:
        assert isinstance(value, (ast.TargetVariable, ast.AtVar))
        return
    assert isinstance(value, ast.Access)
    assert value.pretty == pretty
    assert tuple(s.name if isinstance(s, ast.Member) else "[]" for s in value.steps) == steps


def test_context_variable_families():
    for name in ("$$vars", "$$locals", "$$parms", "$$return", "$return"):
        assert expr(name) == ast.TargetVariable(name)
    value = expr("$$parms$$")
    assert isinstance(value, ast.Access) and value.pretty == "$$" and value.base.name == "$$parms"


def test_address_of():
    assert isinstance(expr("&$var->f"), ast.AddressOf)
    assert isinstance(expr("&(x)"), ast.AddressOf)
    assert "STP019" in codes(parse("probe begin { x = &(&$y) }"))  # cannot take address more than once
    assert codes(parse("probe begin { x = &&y }")) == ["STP010"]


def test_pretty_print_mark_ends_the_expression():
    assert "STP019" in codes(parse("probe begin { x = $var$->f }"))


@pytest.mark.parametrize("source,kind", [
    ("@count(s)", ast.StatOp), ("@sum(s[i])", ast.StatOp), ("@variance(s, 3)", ast.StatOp),
    ("@defined($foo->bar)", ast.Defined), ("@entry($addr)", ast.Entry), ("@perf(\"cycles\")", ast.Perf),
    ("@probewrite(v)", ast.ProbeWrite), ("@uregister(5)", ast.Register), ("@uderef(8, p)", ast.Deref),
    ("@hist_log(s)[3]", ast.ArrayIndex),
])
def test_at_operators(source, kind):
    assert isinstance(expr(source), kind)


def test_version_gated_operators():
    # @enum is from SystemTap 5.5; the default target is 4.8.
    assert codes(parse('probe begin { x = @enum("A") }')) == ["STP060"]
    parse_ok('probe begin { x = @enum("A") }', target=_target("5.5"))
    assert codes(parse("probe begin { x = @uregister(5) }", target=_target("3.9"))) == ["STP060"]
    # stap's parser does not gate @const and @variance (its list of @words says 3.1,
    # but that list only feeds a warning); stap 4.8 accepts them with --compatible=3.0.
    assert codes(parse("#! stap --compatible=3.0\nprobe begin { x = @variance(s) }")) == []
    # SystemTap 3.0 itself does not know @variance (STP061, test_language_releases.py).
    assert codes(parse("probe begin { x = @variance(s) }", target=_target("3.0"))) == ["STP061"]


def _target(version):
    from stapkit.syntax.target import Target

    return Target(systemtap_v=version)


def test_guru_only_syntax():
    assert codes(parse('probe begin { x = @const("current->pid") }')) == ["STP602"]
    assert codes(parse("probe begin { x = @kregister(0) }")) == ["STP602"]
    assert codes(parse("probe begin { x = @kderef(4, p) }")) == ["STP602"]
    assert codes(parse("%{ #include <linux/sched.h> %}")) == ["STP601"]
    assert codes(parse("function f() %{ /* pure */ %}")) == ["STP601"]
    assert codes(parse("probe begin { x = %{ 42 %} }")) == ["STP601"]
    parse_ok('probe begin { x = @const("x") + %{ 1 %} } %{ %}', guru=True)
    parse_ok("#! stap -g\nprobe begin { x = @kregister(0) }")


def test_unknown_operator():
    assert codes(parse("probe begin { x = @nosuch(1) }")) == ["STP016"]


def test_histograms_only_where_they_belong():
    parse_ok("probe end { print(@hist_log(s)) println(@hist_linear(s, 0, 100, 10)) x = @hist_log(s)[2] }")
    assert codes(parse("probe end { x = @hist_log(s) }")) == ["STP015"]
    assert codes(parse("probe end { print(1, @hist_log(s)) }")) == ["STP015"]


# ---------------------------------------------------------------- print family


def test_print_family_calls():
    (stmt,) = body('printf("%d %s\\n", 1, "a")')
    assert isinstance(stmt.expr, ast.PrintCall) and stmt.expr.has_format
    parse_ok('probe begin { printd(",", a, b) printdln(",", a, b) println() sprint(x) print_char(65) }')


@pytest.mark.parametrize("source,code", [
    ('printf("%z", 1)', "STP013"),
    ('printf("%-", 1)', "STP013"),
    ('printf("100%")', "STP013"),
    ("printf(fmt, 1)", "STP014"),
    ('printd(",", a)', "STP014"),
    ("print()", "STP014"),
])
def test_print_family_errors(source, code):
    assert code in codes(parse("probe begin { " + source + " }"))


# ---------------------------------------------------------------- declarations


def test_globals():
    result = parse_ok('global a, b = 1, c[100], d%, e%[10], s = "x" "y", n = -1')
    names = [(v.name, v.wrap, v.size.value if v.size else None) for v in result.script.items[0].variables]
    assert names == [("a", False, None), ("b", False, None), ("c", False, 100), ("d", True, None),
                     ("e", True, 10), ("s", False, None), ("n", False, None)]


@pytest.mark.parametrize("source,message", [
    ("global a[0]", "array size out of range"),
    ("global a[10] = 1", "only scalar globals can be initialized"),
    ("global a global a", "duplicate global name"),
    ("global a private a", "global versus private variable declaration conflict"),
    ("function f(a, a) { }", "duplicate parameter names"),
    ("function f():0 { }", "specified priority must be > 0"),
    ('function f():"x" { }', "expected literal number"),
])
def test_declaration_errors(source, message):
    result = parse(source)
    assert any(message in d.message for d in errors(result)), [d.message for d in errors(result)]


def test_functions():
    result = parse_ok("function thatfn:string(arg1:long, arg2) { return sprintf(\"%d%s\", arg1, arg2) } "
                      "function o():2 { next } private function p:long () { return 3 } function string(x) { }")
    f, o, p, s = result.script.items
    assert (f.name, f.return_type, [(a.name, a.type) for a in f.params]) == \
        ("thatfn", "string", [("arg1", "long"), ("arg2", None)])
    assert o.priority.value == 2 and p.private and s.name == "string"


def test_private_declarations():
    result = parse_ok("private global p = 2 private q private function f() { }")
    assert [type(i).__name__ for i in result.script.items] == ["GlobalDecl", "GlobalDecl", "FunctionDecl"]
    assert all(i.private for i in result.script.items)
    # Before SystemTap 3.0 `private` was an ordinary name.
    assert errors(parse("private x", target=_target("2.9")))


# ---------------------------------------------------------------- probes


def test_probe_points():
    result = parse_ok('probe kernel.function("sys_open").return, syscall.*.return.maxactive(10)?, '
                      'timer.ms(100), begin(-1), process("/bin/ls").function("main") { }')
    points = result.script.items[0].points
    assert [p.dotted() for p in points] == [
        'kernel.function("sys_open").return', "syscall.*.return.maxactive(10)", "timer.ms(100)",
        "begin(-1)", 'process("/bin/ls").function("main")']
    assert points[1].optional and not points[1].sufficient


def test_glued_wildcards():
    result = parse_ok("probe sys**open, *b, a*b, a*, kerne*.funct*(\"vfs_read\").* { f(x* x*y *y) }")
    assert [p.dotted() for p in result.script.items[0].points] == [
        "sys**open", "*b", "a*b", "a*", 'kerne*.funct*("vfs_read").*']
    # Inside the body `*` is multiplication.
    (arg,) = result.script.items[0].body.statements[0].expr.args
    assert parenthesize(arg) == "(((x * x) * y) * y)"


def test_whitespace_breaks_component_names():
    assert errors(parse("probe a * b { }"))


def test_brace_expansion_and_suffixes():
    result = parse_ok("probe {a,b}.{c,{d,e}}.f!, syscall.{open,close} if (enabled) { }")
    first, second = result.script.items[0].points
    assert [p.dotted() for p in first.expand()] == ["a.c.f", "a.d.f", "a.e.f", "b.c.f", "b.d.f", "b.e.f"]
    assert first.sufficient and second.condition is not None
    assert all(p.condition is not None for p in second.expand())


@pytest.mark.parametrize("source,message", [
    ("probe {a!}.{b,c} { }", "must only be specified in suffix"),
    ("probe {a?}? { }", "respecified"),
    ("probe foo? = begin { }", "cannot be optional nor sufficient"),
    ("probe foo += begin { }, { }", "Combined prologue and epilogue cannot be defined with '+='"),
    ("probe a, b = begin { }", "one name at a time"),
    ("probe begin { }, { }", "only an alias definition"),
])
def test_probe_point_errors(source, message):
    result = parse(source)
    assert any(message in d.message for d in errors(result)), [d.message for d in errors(result)]


@pytest.mark.parametrize("source", [
    "probe begin(1.5) { }", "probe timer.ms(3 + 2) { }", "probe timer.ms(N) { }",
])
def test_component_argument_is_one_literal(source):
    assert errors(parse(source))


def test_aliases():
    result = parse_ok("probe myalias = kernel.function(\"f\") { v = $x } probe myalias += begin { println(v) }"
                      " probe foo = begin { var = 0 }, { if (@probewrite(var)) println(var) }"
                      " probe x = y = begin { }")
    first, second, third, fourth = result.script.items
    assert isinstance(first, ast.AliasDecl) and not first.is_epilogue and second.is_epilogue
    assert third.epilogue is not None
    assert [n.point.dotted() for n in fourth.names] == ["x", "y"]


def test_embedded_c_at_top_level_and_as_function_body():
    result = parse_ok("%{ #include <x.h> %} function f:long (v:long) %{ /* pure */ STAP_RETURN(1); %}", guru=True)
    top, fn = result.script.items
    assert isinstance(top, ast.EmbeddedCode) and top.code == " #include <x.h> "
    assert isinstance(fn.body, ast.EmbeddedCode)


def test_script_arguments_as_placeholders():
    result = parse_ok('probe $1.return { x = $2 + @3 "suffix" } probe timer.s($1) { println($3(acc)) }')
    alias_point = result.script.items[0].points[0]
    assert alias_point.dotted() == "$1.return"
    value = result.script.items[0].body.statements[0].expr.value
    assert isinstance(value.left, ast.ScriptArgument) and value.right.pieces == ("@3", '"suffix"')


# ---------------------------------------------------------------- errors


def test_errors_point_at_the_token_and_say_what_was_expected():
    result = parse("probe begin {\n  foo(1, 2 bar)\n}")
    (d,) = errors(result)
    assert d.code == "STP010"
    assert "expected ')' or ','" in d.message and "identifier 'bar'" in d.message
    assert result.text[d.span.start:d.span.end] == "bar"


def test_top_level_junk_gets_stap_message():
    (d,) = errors(parse("x = 1"))
    assert d.message.startswith("expected 'probe', 'global', 'private', 'function', or '%{'")


def test_recovery_reports_every_independent_error():
    source = """
probe begin {
    x = (1 + 2
    y = 3
    if (y > ) z = 1
    w = [1, 2
}
probe timer.s(1 {
    k = 5 +
}
function f(a, b {
    return a +
}
global ok
"""
    result = parse(source)
    lines = sorted({result.text.count("\n", 0, d.span.start) + 1 for d in errors(result)})
    assert lines == [4, 5, 7, 8, 10, 11, 13], [(d.message, d.span) for d in errors(result)]
    # The good declaration after the broken ones is still there.
    assert isinstance(result.script.items[-1], ast.GlobalDecl)


def test_missing_closing_brace_is_reported_at_the_end_of_the_declaration():
    source = "probe begin {\n  if (x) {\n    y = 1\n}\nprobe end { }"
    result = parse(source)
    (d,) = errors(result)
    assert d.code == "STP011" and "missing '}'" in d.message
    # The `}` on line 4 closes the `if`; the probe's own `{` is the one left open.
    assert any("line 1" in h for h in d.hints)
    assert [type(i).__name__ for i in result.script.items] == ["ProbeDecl", "ProbeDecl"]


def test_unexpected_end_of_file():
    (d,) = errors(parse("probe begin"))
    assert d.code == "STP011"


def test_keyword_as_name_gets_a_hint():
    (d,) = errors(parse("probe begin { in = 1 }"))
    assert d.code == "STP010"


EMPTY_SOURCES = ("", "# only a comment\n", "@define m %( 1 %)", '%( arch == "sparc" %? probe begin {} %)')


def test_empty_scripts_are_an_error_as_stap_refuses_them():
    # parseko/seventeen.stp (empty) and parseko/macros05.stp (empty after preprocessing)
    from stapkit.diagnostics import Severity

    for source in EMPTY_SOURCES:
        result = parse(source)
        assert [(d.code, d.severity) for d in result.diagnostics] == [("STP050", Severity.ERROR)], source


def test_empty_tapset_files_are_a_warning():
    from stapkit.diagnostics import Severity

    for source in EMPTY_SOURCES:
        result = parse(source, tapset=True)
        assert [(d.code, d.severity) for d in result.diagnostics if d.code == "STP050"] == \
            [("STP050", Severity.WARNING)], source
        assert not errors(result)


def test_recovery_does_not_take_a_nested_closing_brace_for_the_enclosing_one():
    result = parse("probe begin {\n  if (x > 1 {\n    println(x)\n  }\n}\n")
    assert len(errors(result)) == 1


def test_parenthesized_list_reported_once():
    assert codes(parse("global a\nprobe begin { x = ([1, 2]) in a }")) == ["STP019"]


def test_expected_lists_are_exact():
    # LALR merges lookaheads; the message must not offer what would fail later.
    (d,) = errors(parse("probe timer.ms(100 + 1) { }"))
    assert d.message.startswith("expected ')'")
    (d,) = errors(parse("probe begin"))
    assert "'{'" in d.message and "'}'" not in d.message


def test_a_text_lexed_by_the_caller_is_not_lexed_again(monkeypatch):
    from stapkit.syntax import parser as parser_module
    from stapkit.syntax.lexer import lex
    from stapkit.syntax.parser import ParseOptions, parse_text

    text = 'probe begin { x = 1 try { y = x } catch { } exit() }\n'
    lexed = ((99,), lex(text, version=(99,)))
    expected = parse_text(text, "x.stp")
    monkeypatch.setattr(parser_module, "lex", lambda *a, **k: pytest.fail("lexed again"))
    result = parse_text(text, "x.stp", lexed=lexed)
    assert ast.trees_equal(result.script, expected.script) and result.diagnostics == expected.diagnostics
    # A version whose keywords differ (no `private` before 3.0), or pasted arguments: lexed again.
    monkeypatch.setattr(parser_module, "lex", lex)
    # (The language version of --compatible: a target release of 2.9 would report `private`
    # as newer than the release, STP061, whatever the lexing.)
    old_text = "#! stap --compatible=2.9\nprivate global x\n"
    old = parse_text(old_text, "x.stp", lexed=((99,), lex(old_text, version=(99,))))
    assert any(d.code == "STP010" for d in old.diagnostics)
