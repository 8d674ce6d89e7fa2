"""Macros and conditionals, as stap's scan_pp1 and scan_pp handle them."""

from __future__ import annotations

import pytest

from stapkit.diagnostics import Severity
from stapkit.syntax.lexer import lex
from stapkit.syntax.preprocessor import preprocess
from stapkit.syntax.target import Target

from ..helpers import codes, errors, parse, parse_ok


def run(text, target=Target(), library=None, argc=0):
    return preprocess(lex(text).tokens, target=target, library_macros=library, argc=argc)


def out(text, **kw):
    return " ".join(t.text for t in run(text, **kw).tokens)


# ---------------------------------------------------------------- conditionals


@pytest.mark.parametrize("condition,taken", [
    ('kernel_v >= "5.0"', True),
    ('kernel_v < "2.6.30"', False),
    ('kernel_vr == "6.12.0-amd64"', True),
    ('kernel_v == "6.*"', True),
    ('arch == "x86_64"', True),
    ('arch == "i?86"', False),
    ('arch != "i?86"', True),
    ('runtime == "kernel"', True),
    ('systemtap_v >= "4.0"', True),
    ('systemtap_v < "4.8"', False),
    ('systemtap_privilege == "stapdev"', True),
    ("guru_mode == 0", True),
    ('CONFIG_64BIT == "y"', True),
    ('CONFIG_NFSD == "[ym]"', True),
    ('CONFIG_NO_SUCH_OPTION == ""', True),
    ("CONFIG_NO_SUCH_OPTION == 0", True),  # unset reads as 0 (strtoll of "")
    ("CONFIG_NR_CPUS >= CONFIG_SPLIT_PTLOCK_CPUS", True),
    ('"abc" < "abd"', True),
    ("2 > 10", False),
    ("$# == 0", True),
    ('@# == "0"', True),
    ('kernel_v > "2.6" && arch == "x86_64"', True),
    ('arch == "i386" || arch == "x86_64"', True),
    ('1 == 1 || 1 == 0 && 0 == 1', True),  # && binds tighter than ||
])
def test_condition_evaluation(condition, taken):
    assert out(f"%( {condition} %? yes %: no %)") == ("yes" if taken else "no")


def test_target_changes_decisions():
    old = Target(kernel_v="2.6.18", kernel_vr="2.6.18-8.el5", arch="i686")
    assert out('%( kernel_v < "2.6.30" %? old %: new %)', target=old) == "old"
    assert out('%( arch == "i?86" %? x86 %: other %)', target=old) == "x86"


def test_nested_conditionals_and_missing_else():
    text = '%( arch == "x86_64" %? a %( kernel_v < "3" %? b %: c %) d %) e %( 1 == 0 %? f %)'
    assert out(text) == "a c d e"


@pytest.mark.parametrize("text,message", [
    ("%( kernel_v %? a %)", "incomplete condition"),
    ("%( kernel_v >= 5 %? a %)", "expected string literal"),
    ('%( arch < "x" %? a %)', "expected '==' or '!='"),
    ('%( kernel_v < "2.*" %? a %)', "wildcard not allowed with order comparison operators"),
    ("%( guru_mode == 2 %? a %)", "expected 0 or 1"),
    ('%( "a" == 1 %? a %)', "expected string literal as right value"),
    ('%( 1 == "a" %? a %)', "expected number literal as right value"),
    ('%( foo == "a" %? a %)', "expected 'arch', 'kernel_v'"),
    ("%( CONFIG_64BIT > 1 %? a %)", "Config option value not a number"),
    ('%( 1 == 1 a %)', "expected '%?' marker"),
    ("a %? b", "incomplete conditional - missing '%('"),
    ("a %: b", "incomplete conditional - missing '%('"),
    ("a %) b", "incomplete conditional - missing '%('"),
    ('%( 1 == 1 %? a %: b %: c %)', "invalid conditional - duplicate '%:'"),
    ('%( 1 == 1 %? a', "incomplete conditional at end of file"),
])
def test_conditional_errors(text, message):
    diagnostics = run(text).diagnostics
    assert any(message in d.message for d in diagnostics), [d.message for d in diagnostics]


def test_conditionals_are_recorded_with_branches():
    text = '%( arch == "x86_64" %? a %: b %)'
    result = run(text)
    (cond,) = result.conditionals
    assert cond.taken is True
    assert text[cond.then_branch.span.start:cond.then_branch.span.end].strip() == "a"
    assert text[cond.else_branch.span.start:cond.else_branch.span.end].strip() == "b"


# ---------------------------------------------------------------- macros


def test_macro_with_parameters():
    assert out("@define add(a, b) %( ((@a) + (@b)) %) x = @add(1, 2 * y)") == \
        "x = ( ( 1 ) + ( 2 * y ) )"


def test_macro_arguments_nest_brackets():
    assert out("@define first(a, b) %( @a %) @first(f(1, 2), [3, 4])") == "f ( 1 , 2 )"


def test_macro_without_parameters_leaves_parentheses():
    assert out("@define fn %( printf %) @fn(\"x\")") == 'printf ( "x" )'


def test_macro_body_may_hold_conditionals():
    text = '@define pick %( %( arch == "x86_64" %? 64 %: 32 %) %) x = @pick'
    assert out(text) == "x = 64"


def test_macros_in_skipped_branches_are_not_defined():
    # PR18462: checked with stap 4.8, the second definition wins here.
    text = "%( 1 == 0 %? @define foo %( 1 %) %: @define foo %( 2 %) %) print(@foo)"
    assert out(text) == "print ( 2 )"


def test_macro_visible_only_after_definition():
    result = parse("probe begin { x = @late } @define late %( 1 %)")
    assert "STP016" in codes(result)


def test_macro_expansion_maps_to_the_invocation():
    text = "@define three %( 1 + 2 %)\nprobe begin { x = @three }"
    tokens = run(text).tokens
    expanded = [t for t in tokens if t.origin is not None]
    assert [t.text for t in expanded] == ["1", "+", "2"]
    start = text.index("@three")
    assert {(t.start, t.end) for t in expanded} == {(start, start + len("@three"))}


def test_parameters_are_read_in_the_callers_context():
    text = "@define inner(x) %( [@x] %) @define outer(y) %( @inner(@y) %) @outer(42)"
    assert out(text) == "[ 42 ]"


@pytest.mark.parametrize("text,message", [
    ("@define %( x %)", "expected identifier"),
    ("@define define %( x %)", "attempt to redefine '@define'"),
    ("@define m %( 1 %) @define m %( 2 %)", "attempt to redefine macro '@m' in the same file"),
    ("@define m x", "expected '%(' or '('"),
    ("@define m(a b) %( x %)", "expected ',' or ')'"),
    ("@define m(a) x", "expected '%('"),
    ("@define m %( x", "incomplete macro definition - missing '%)'"),
    ("@define m(a, b) %( @a %) @m(1)", "too few parameters for macro '@m' (expected 2)"),
    ("@define m(a) %( @a %) @m(1, 2)", "too many parameters for macro '@m' (expected 1)"),
    ("@define m(a) %( @a %) @m", "expected '(' in invocation of macro '@m' taking 1 parameter"),
    ("@define m(a) %( @a %) @m(1", "could not find end of macro invocation"),
    ("@define m %( @define n %( 1 %) %) @m", "'@define' forbidden inside macro body"),
])
def test_macro_errors(text, message):
    diagnostics = run(text).diagnostics
    assert any(message in d.message for d in diagnostics), [d.message for d in diagnostics]


def test_macro_redefining_an_operator_warns():
    result = run("@define count(x) %( 1 %)")
    assert [(d.code, d.severity) for d in result.diagnostics] == [("STP044", Severity.WARNING)]


def test_recursive_macro_stops():
    result = run("@define loop %( @loop %) x = @loop")
    assert any("nested too deeply" in d.message for d in result.diagnostics)


def test_library_macros_and_their_scope():
    library = run("@define lib(x) %( lib_fn(@x) %) @define helper %( 7 %)").macros
    library = {name: macro for name, macro in library.items()}
    assert out("x = @lib(1)", library=library) == "x = lib_fn ( 1 )"


def test_library_macro_known_only_by_signature_is_an_opaque_call():
    from stapkit.diagnostics import Span
    from stapkit.syntax.preprocessor import MacroDef

    library = {"choose_defined": MacroDef("choose_defined", ("a", "b"), None, Span(0, 0), "x.stpm", True)}
    result = parse_ok("probe begin { x = @choose_defined($a, 1) }", library_macros=library)
    call = result.script.items[0].body.statements[0].expr.value
    assert type(call).__name__ == "MacroCall" and call.name == "@choose_defined" and len(call.args) == 2


def test_argument_out_of_range_only_where_used():
    result = parse('%( $# > 1 %? probe begin { print(@2) } %: probe end {} %)', args=("one",))
    assert not errors(result)
    result = parse("probe begin { print(@2) }", args=("one",))
    assert codes(result) == ["STP054"]


# -- placeholders in branches chosen by the argument count (parseko/preprocess12.stp)


def test_placeholder_in_a_branch_some_counts_take_without_it_is_a_warning():
    from stapkit.diagnostics import Severity

    result = parse("%( $# < 2 %? probe begin { print @1 } %)")
    (d,) = [d for d in result.diagnostics if d.code == "STP054"]
    assert d.severity is Severity.WARNING and d.message.startswith("@1 is out of range")
    assert "with 0 arguments" in d.message and "0 or 1" in d.hints[0]


def test_placeholder_no_count_taking_its_branch_provides_is_an_error():
    from stapkit.diagnostics import Severity

    result = parse("%( $# > 0 %? %( $# < 3 %? probe begin { print(@3) } %) %)")
    (d,) = [d for d in result.diagnostics if d.code == "STP054"]
    assert d.severity is Severity.ERROR and "1 or 2 arguments" in d.message


def test_placeholders_where_the_count_suffices_or_is_not_tested_are_not_judged():
    for source in ("%( $# < 1 %? probe begin { print(1) } %: probe begin { print($1) } %)",
                   "%( $# >= 2 %? probe begin { print(@1, @2) } %: probe begin { print(0) } %)",
                   "probe begin { print(@3) }"):
        assert "STP054" not in codes(parse(source)), source


# -- letters glued to $N (parseko/cmdlinearg02.stp)


def test_letters_glued_to_an_argument_placeholder_are_an_error():
    result = parse("probe begin { arg = $12A3; println(arg) }")
    (d,) = result.diagnostics
    assert d.code == "STP056" and "'$12A3' is not an argument reference" in d.message
    assert result.text[d.span.start:d.span.end] == "$12A3"


def test_glued_letters_are_lexed_with_the_given_argument_as_stap_does():
    args = tuple(str(i) for i in range(1, 13))
    assert codes(parse("probe begin { arg = $12A3; println(arg) }", args=args)) == ["STP005"]
    # a name or a hex number for $1 makes a longer name or number, which stap accepts
    assert codes(parse("probe begin { fooA = 1; println($1A) }", args=("foo",))) == []
    assert codes(parse("probe begin { println($1A) }", args=("0x1",))) == []
    # @N is a string literal: what follows it is a token of its own
    assert "STP056" not in codes(parse("probe begin { A = 1; println(@1A) }"))
