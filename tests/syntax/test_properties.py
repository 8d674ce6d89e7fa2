"""Property tests of the parser and the printer (hypothesis; strategies in strategies.py).

1. Parsing never raises, whatever the text: arbitrary text, soups of SystemTap
   tokens, deeply nested or very long input, under varied options.  It returns
   a ParseResult whose diagnostics (their related places and fixes too) and
   tree spans point inside the text, and whose tree can be printed.
2. Valid programs (made by hand, covering the whole language) parse without
   errors and round-trip: parse(print(tree)) == tree, and printing the
   re-parsed tree gives the same text.  Their tree does not depend on
   whitespace and comments, and the branches of their `%( %)` conditionals
   that the target does not take are found valid too, for several targets.
3. Strings derived from stap.lark itself (hypothesis.extra.lark) parse
   without raising; those without errors round-trip.

The bugs they found are fixed; each has a regression test at the end, and
the strategies keep producing the constructs involved.
"""

from __future__ import annotations

import contextlib
import sys

import attrs
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from stapkit.diagnostics import Diagnostic, Severity, Span
from stapkit.syntax import ParseOptions, ParseResult, Target, ast, parse_text
from stapkit.syntax.preprocessor import MacroDef
from stapkit.syntax.printer import print_script

from . import strategies as S

# Library macros known by their signature only (as the tapset database gives
# them): no tapset library is read, whatever is installed.
LIBRARY = {
    "libm": MacroDef("libm", (), None, Span(0, 0), path="/lib/libm.stpm", library=True),
    "libp": MacroDef("libp", ("a", "b"), None, Span(0, 0), path="/lib/libp.stpm", library=True),
}
NO_LIBRARY = ParseOptions(library_macros={})

parse_options = st.builds(
    ParseOptions,
    library_macros=st.sampled_from(({}, LIBRARY)),
    guru=st.booleans(),
    args=st.sampled_from((None, (), ("1",), ("42", "x y", "$1", '"s"'))),
    target=st.sampled_from((Target(), Target(systemtap_v="2.9"), Target(systemtap_v="5.6", arch="arm64"),
                            Target(kernel_v="2.6.32", runtime="dyninst", guru_mode=True))),
    tapset=st.booleans(),
    check_all_branches=st.booleans(),
    macro_file=st.sampled_from((None, False, True)),
)


def errors(result: ParseResult) -> list[Diagnostic]:
    return [d for d in result.diagnostics if d.severity is Severity.ERROR]


def shown(result: ParseResult) -> list[tuple[str, str, str]]:
    """Errors as (code, message, the text they point at), for assertion messages."""
    text = result.text or ""
    return [(d.code, d.message, text[d.span.start:d.span.end][:40]) for d in errors(result)]



def _in(span: Span, length: int) -> bool:
    return 0 <= span.start <= span.end <= length


def check_result(text: str, result) -> None:
    """What every parse must give, however bad its input."""
    assert isinstance(result, ParseResult)
    length = len(text)
    for d in result.diagnostics:
        assert isinstance(d, Diagnostic) and isinstance(d.severity, Severity)
        assert _in(d.span, length), (d.code, d.message, d.span, length)
        for related in d.related:
            # A related place without a path is in this file; one in another file
            # can be checked when its text comes with it.
            if related.path is None:
                assert _in(related.span, length), (d.message, related)
            elif related.text is not None:
                assert _in(related.span, len(related.text)), (d.message, related)
        if d.fix is not None:
            for edit in d.fix.edits:
                assert _in(edit.span, length), (d.message, edit)
    if result.script is not None:
        for node in ast.walk(result.script):
            for field in ("span", "name_span"):
                span = getattr(node, field, None)
                if span is not None:
                    assert _in(span, length), (type(node).__name__, field, span, length)
        assert isinstance(print_script(result.script), str)


def parse_checked(text: str, options: ParseOptions = NO_LIBRARY):
    result = parse_text(text, "prop.stp", options)
    check_result(text, result)
    return result


def assert_round_trip(text: str, options: ParseOptions = NO_LIBRARY) -> str:
    """`text` parses without errors, and its tree survives printing and parsing again."""
    first = parse_checked(text, options)
    assert not errors(first), shown(first)
    printed = print_script(first.script)
    # The printed text has no `#! stap -g` line: pass on what the first line asked for.
    again = attrs.evolve(options, guru=first.guru, target=first.target, honour_first_line=False)
    second = parse_checked(printed, again)
    assert not errors(second), (shown(second), printed)
    assert second.script == first.script, printed
    assert print_script(second.script) == printed
    return printed


# ---------------------------------------------------------------- 1. never raises


@settings(max_examples=250, deadline=None)
@given(text=S.arbitrary_text, options=parse_options)
@example(text="", options=NO_LIBRARY)
@example(text="\x00probe", options=NO_LIBRARY)
@example(text='probe begin { printf("%', options=NO_LIBRARY)
@example(text="%( %? %: %) %)", options=NO_LIBRARY)
@example(text="#! stap -g --compatible=2.9 -I /nonexistent\nprivate x", options=NO_LIBRARY)
def test_parse_never_raises_on_arbitrary_text(text, options):
    parse_checked(text, options)


@settings(max_examples=400, deadline=None)
@given(text=S.token_soup, options=parse_options)
@example(text="@define m %( @m %) probe begin { x = @m }", options=NO_LIBRARY)
@example(text="probe a if ($t->function), b {}", options=NO_LIBRARY)
@example(text="%{ unterminated", options=NO_LIBRARY)
@example(text='probe begin { x = "unterminated\n}', options=NO_LIBRARY)
@example(text="probe begin { @libp(1) @libp @libm(1, 2) }", options=ParseOptions(library_macros=LIBRARY))
def test_parse_never_raises_on_token_soup(text, options):
    result = parse_checked(text, options)
    if result.script is not None and not errors(result) and not options.macro_file:
        # The soup is sometimes a valid program: then it round-trips too.
        assert_round_trip(text, options)


@settings(max_examples=60, deadline=None)
@given(text=S.deep_inputs)
@example(text="probe begin { x = " + "(" * 399 + "1" + ")" * 399 + " }")  # refused: nesting too deep
@example(text="probe begin { x = " + "- " * 380 + "1 }")
@example(text="probe " + "{" * 250 + "a" + "}" * 250 + " { }")
@example(text="probe begin { x = " + "1 + " * 1000 + "1 }")
def test_parse_never_raises_on_deep_or_long_input(text):
    parse_checked(text)


# ---------------------------------------------------------------- 2. valid programs


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=S.programs())
@example(text="probe begin { x = 1 }")
@example(text='global a, b = 1, c[100], d%, e%[10], s = "x" "y", n = -1;\n'
              "private global p = 2 private q\n"
              "function f:long (x:long, y) : 3 { return x + y } function string(s) { return; }\n"
              "probe kernel.function(\"vfs_*\").return?, timer.ms(100), sys**open, *foo*!, {a,b}.c "
              "if (p > 1) { f(1, 2); next }")
@example(text="probe begin { foreach ([a, b-] in c[*, 1] limit 5) { break } foreach (v = k in c @sum+) "
              "continue foreach (b in @hist_log(c)) ; print(@hist_log(c)) x = @hist_linear(c, 0, 10, 1)[2] }")
@example(text='probe begin { x = [a, b == c, *] in arr && (s =~ "^x") == 1; y = k in arr | 1; '
              "z = a ? b = 1 : c ? d : e; w = - + ! ~x++ - --y . $var->f[1]$ }")
@example(text='@define m(a) %( (@a + 1) %) %( kernel_v >= "5.0" %? global g = 1 %: global g = 2 %)\n'
              'probe begin { x = @m(2) + @cast(p, "task_struct")->pid + @defined($x) + @entry($y) }')
@example(text="probe a.b = begin { x = 1 }, { if (@probewrite(x)) println(x) } probe c += end { }\n"
              "probe x = y = never { } probe begin { try { delete a[*]; } catch (e) { } for (;;) ; }")
@example(text="probe begin { x = $t->probe + $t->function; y = &$v->global }")
@example(text="probe a if ($t->function), b {}")
@example(text="probe begin { ++&a; x = &$p->m-- }")
@example(text="global x = -$1 probe begin(-$1) { }")
def test_valid_programs_parse_and_round_trip(text):
    assert_round_trip(text)


# Targets that take other branches of the generated `%( %)` conditions.
TARGETS = (
    Target(),
    Target(kernel_v="4.19.0", kernel_vr="4.19.0-27-arm64", arch="arm64", systemtap_v="5.6"),
    Target(kernel_v="2.6.32", kernel_vr="2.6.32-754.el6.i686", arch="i686", runtime="dyninst",
           systemtap_v="4.0", privilege="stapusr"),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs=S.relaid_programs(), target=st.sampled_from(TARGETS))
@example(
    target=Target(),
    programs=("probe begin { x = %( CONFIG_NR_CPUS >= CONFIG_HZ %? 1 %: 2 %) "
              "+ %( CONFIG_HZ > 100 %? 3 %: 4 %) }",
              "probe begin{x=%(CONFIG_NR_CPUS>=CONFIG_HZ%?1%:2%)+%(CONFIG_HZ>100%?3%:4%)}"))
def test_valid_programs_whatever_the_layout_and_target(programs, target):
    """Whitespace and comments do not change the tree, and no branch of a conditional is broken."""
    options = ParseOptions(library_macros={}, target=target)
    first, second = (parse_checked(text, options) for text in programs)
    # A program whose every declaration sits in a branch the target does not take is empty for
    # it: stap refuses such a script (STP050, an error since issue 20), which is no fault of
    # the layout or of a branch.  Nor is syntax newer than the target's release (STP061: the
    # programs are valid for the newest SystemTap; a generated target may be 1.0).
    assert not [d for d in errors(first) if d.code not in ("STP050", "STP061")], shown(first)
    assert first.script == second.script
    # Both branches of every generated conditional are valid, so checking the
    # branches the target does not take finds nothing, except constructs newer
    # than the SystemTap a `systemtap_v` condition's other branch is for.
    assert [(d.code, d.message) for d in first.diagnostics if d.code not in ("STP050", "STP060", "STP061")] == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=S.guru_programs())
@example(program=("%{ #include <linux/sched.h> %}\nfunction f:long (v:long) %{ STAP_RETURN(1); %}\n"
                  'probe begin { x = %{ 42 %} + @const("c") + @kregister(0) + @kderef(4, p) }', False))
@example(program=("#! stap -g\nprobe begin { x = %{ 1 %} }", True))
def test_valid_guru_programs_parse_and_round_trip(program):
    text, asks_for_guru = program
    options = NO_LIBRARY if asks_for_guru else ParseOptions(library_macros={}, guru=True)
    assert_round_trip(text, options)


# ---------------------------------------------------------------- 3. the grammar's own language

# Guru mode and SystemTap 5.6 accept every construct of the grammar.
GRAMMAR_OPTIONS = ParseOptions(library_macros=LIBRARY, guru=True, target=Target(systemtap_v="5.6"))



@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=S.lark_items())
@example(text="probe begin { } ")
@example(text="probe begin { ++ & a } ")  # found by this test: the printer wrote `++(&a)`
@example(text="function long:string(a, b:long):$1 { return @enumname($x, \"a\") } ")
@example(text="probe a = kernel.function(\"a\") ! if (@1) { }, { @libm(a) @libp x = @enum(\"a\") } ")
def test_grammar_derived_items(text):
    result = parse_checked(text, GRAMMAR_OPTIONS)
    # What the grammar derives is not always valid: stap's rules outside it
    # (return only in functions, printf formats, global sizes, histograms...)
    # reject about two thirds of it.
    assume(not errors(result))
    assert_round_trip(text, GRAMMAR_OPTIONS)


# ---------------------------------------------------------------- regressions
# Bugs in stapkit the properties above found, reduced by hand, now fixed.


@pytest.mark.parametrize("text", [
    "probe a if ($t->function), b {}",
    "probe a if (x->probe) , b.c {}",
    "probe a if ($t->global$) , *b {}",
])
def test_declaration_keyword_member_in_probe_point_condition(text):
    """A member named function/probe/global/private in a probe point's `if (...)`.

    The feeder took the keyword for the start of a new declaration, so the
    next probe point's name was not glued into one component.  stap 4.8
    accepts these (`stap -p1`).
    """
    assert_round_trip(text)


@pytest.mark.parametrize("text", ["probe begin { ++&a }", "probe begin { x = &$p->m-- }"])
def test_crement_of_address_of(text):
    """`++&a` and `&a++` parse as written (stap 4.8 too); the printer wrote `++(&a)`."""
    assert_round_trip(text)


@contextlib.contextmanager
def python_default_recursion_limit():
    """What a program using the library has: only stapkit's CLI raises the limit."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


def test_long_operator_chain_is_refused_cleanly():
    """A flat chain makes a tree as deep as it is long: past build.MAX_CHAIN it is an error, not a crash."""
    with python_default_recursion_limit():
        result = parse_text("probe begin { x = " + "1 + " * 10000 + "1 }", "chain.stp", NO_LIBRARY)
        assert any("expression too long" in d.message for d in errors(result))
        print_script(result.script)
        ok = parse_text("probe begin { x = " + "1 + " * 240 + "1 }", "chain.stp", NO_LIBRARY)
        assert not errors(ok)
        assert_round_trip(ok.text)


def _equal_to_a_second_parse(result) -> bool:
    return result.script == parse_text(result.text, "again.stp", NO_LIBRARY).script


DEEPEST = {  # how deep each construct can be before the parser refuses it
    "brace-groups": lambda n: "probe " + "{" * n + "a" + "}" * n + " { }",
    "parens": lambda n: "probe begin { x = " + "(" * n + "1" + ")" * n + " }",
    "unary": lambda n: "probe begin { x = " + "- " * n + "1 }",
    "blocks": lambda n: "probe begin " + "{ " * n + "x = 1" + " }" * n,
    "ifs": lambda n: "probe begin { " + "if (a) " * n + "x = 1 }",
    "chain": lambda n: "probe begin { x = " + "1 + " * n + "1 }",
}


def _deepest_accepted(make) -> str:
    low, high = 1, 2000
    while low < high:
        middle = (low + high + 1) // 2
        if errors(parse_text(make(middle), "deep.stp", NO_LIBRARY)):
            high = middle - 1
        else:
            low = middle
    return make(low)


@pytest.mark.parametrize("shape", sorted(DEEPEST))
@pytest.mark.parametrize("walk", [
    lambda result: print_script(result.script),
    _equal_to_a_second_parse,
    lambda result: hash(result.script),
    lambda result: ast.to_data(result.script),
    lambda result: ast.dump(result.script),
], ids=["print", "eq", "hash", "to_data", "dump"])
def test_deepest_trees_the_parser_accepts_can_be_walked(shape, walk):
    """At Python's default recursion limit, the deepest accepted trees print, compare and convert."""
    text = _deepest_accepted(DEEPEST[shape])
    with python_default_recursion_limit():
        result = parse_text(text, "deep.stp", NO_LIBRARY)
        assert not errors(result)
        walk(result)


@pytest.mark.parametrize("text", ["global x = -$1", "probe begin(-$1) { }"])
def test_negated_argument_placeholder_as_literal(text):
    """`-$1` where a literal is expected, with `$1` a placeholder (stap accepts any numeric argument)."""
    assert not errors(parse_text(text, "arg.stp", ParseOptions(library_macros={}, args=("5",))))
    assert_round_trip(text)


def test_alternative_target_keeps_other_conditions_valid():
    """To take one branch, the checker must not pick values that break other conditions.

    It chose CONFIG_HZ = 'y' to make `CONFIG_NR_CPUS >= CONFIG_HZ` false, and
    then `CONFIG_HZ > 100` could not be evaluated: a spurious warning.
    """
    text = ("probe begin { x = %( CONFIG_NR_CPUS >= CONFIG_HZ %? 1 %: 2 %) "
            "+ %( CONFIG_HZ > 100 %? 3 %: 4 %) }")
    assert [(d.code, d.message) for d in parse_checked(text).diagnostics] == []
