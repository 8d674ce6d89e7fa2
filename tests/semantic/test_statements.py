"""Statement checks (stapkit/semantic/statements.py): STP120-STP125.

The messages are stap 4.8's, checked with `stap -p2` (and `-p3` for the
checks stap makes while translating) on the scripts below.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stapkit.diagnostics import Severity
from stapkit.semantic.checker import CheckOptions, check_file, check_text
from stapkit.semantic.statements import regex_error
from stapkit.syntax.literals import string_value
from stapkit.syntax.parser import ParseOptions

from ..corpora import (
    EXAMPLES,
    EXPECTATIONS,
    TAPSET,
    TESTSUITE,
    example_files,
    example_needs_guru,
    require,
    stap_run_scripts,
    tapset_files,
)
from stapkit.semantic.session import Session

SESSION = Session()  # one database and resolver for the module's checks

STATEMENT_CODES = {"STP120", "STP121", "STP122", "STP123", "STP124", "STP125"}


def found(text: str, code: str, *, guru: bool = False) -> list[tuple[str, str, str]]:
    """(severity, message, source text of the span) of each `code` diagnostic on a script."""
    result = check_text(text, "test.stp", CheckOptions(parse=ParseOptions(guru=guru), session=SESSION))
    assert not any(d.code.startswith("STP0") and d.severity is Severity.ERROR for d in result.diagnostics), \
        [(d.code, d.message) for d in result.diagnostics]
    return [(d.severity.value, d.message, text[d.span.start:d.span.end])
            for d in result.diagnostics if d.code == code]


def errors(text: str, code: str, **kw) -> list[str]:
    return [message for severity, message, _ in found(text, code, **kw) if severity == "error"]


# ---------------------------------------------------------------- STP120


@pytest.mark.parametrize("text, message", [
    ("probe begin { break }", "cannot 'break' outside loop"),
    ("probe begin { continue }", "cannot 'continue' outside loop"),
    ("probe begin { try { break } catch { } }", "cannot 'break' outside loop"),
    ("function f() { if (1) continue; return 1 } probe begin { println(f()) }", "cannot 'continue' outside loop"),
    ("probe begin { while (0) { } break }", "cannot 'break' outside loop"),
])
def test_loop_control_outside_a_loop(text, message):
    assert errors(text, "STP120") == [message]


@pytest.mark.parametrize("text", [
    "probe begin { while (1) { if (1) break; continue } }",
    "probe begin { for (i = 0; i < 3; i++) { try { continue } catch { break } } }",
    "global a probe begin { a[1] = 1; foreach (k in a) { if (k) break } }",
    "function f() { while (1) { { break } } return 1 } probe begin { println(f()) }",
])
def test_loop_control_inside_a_loop(text):
    assert found(text, "STP120") == []


# ---------------------------------------------------------------- STP121


@pytest.mark.parametrize("text, where", [
    ("global a probe begin { a[*] = 1 }", "*"),
    ("global a probe begin { a[1] = 1; println(a[*]) }", "*"),
    ("global a, b probe begin { a[1] = 1; b[1] = 1; delete a[b[*]] }", "*"),
    ("global a, b probe begin { a[1] = 1; b[1] = 1; println([b[*]] in a) }", "*"),
])
def test_wildcard_outside_delete_in_and_foreach(text, where):
    assert [(m, w) for _, m, w in found(text, "STP121")] == [("wildcard not allowed in array index", where)]


def test_wildcard_in_delete_in_and_foreach_slices():
    text = """global a
probe begin {
  a[1, 2] = 3
  delete a[*, 2]
  println([1, *] in a)
  foreach ([i, j] in a[*, 2]) println(i + j)
}"""
    assert found(text, "STP121") == []


# ---------------------------------------------------------------- STP122


@pytest.mark.parametrize("write", ["a[k] = 2", "a[k] += 1", "a[k]++", "--a[k]", "delete a[k]", "a[k+1] = a[k]"])
def test_array_written_inside_foreach_over_it(write):
    text = f"global a probe begin {{ a[1] = 1; foreach (k in a) {{ {write} }} }}"
    assert [(m, w) for _, m, w in found(text, "STP122")] == [("variable 'a' modified during 'foreach' iteration", "a")]


def test_stats_array_and_nested_and_limit():
    stats = "global s probe begin { s[1] <<< 1; foreach (k in s) { s[k] <<< 2 } }"
    assert errors(stats, "STP122") == ["variable 's' modified during 'foreach' iteration"]
    nested = "global a, b probe begin { a[1]=1; b[1]=1; foreach (i in a) { foreach (j in b) { a[j] = 1 } } }"
    assert errors(nested, "STP122") == ["variable 'a' modified during 'foreach' iteration"]
    limit = "global a probe begin { a[1] = 1; foreach (k in a limit a[1]++) { println(k) } }"
    assert errors(limit, "STP122") == ["variable 'a' modified during 'foreach' iteration"]


@pytest.mark.parametrize("text", [
    "global a probe begin { a[1] = 1; foreach (k in a) { println(a[k]) } }",
    "global a, b probe begin { a[1] = 1; foreach (k in a) { b[k] = a[k] } }",
    "global a probe begin { a[1] = 1; foreach (k in a) { println(k) } a[2] = 2 }",
    "global a probe begin { a[1] = 1; foreach (v = k in a) { v = 2; k = 3; println(v + k) } }",
])
def test_no_change_to_the_iterated_array(text):
    assert found(text, "STP122") == []


def test_function_called_in_foreach_modifies_the_array():
    # semko/thirteen.stp and fourteen.stp
    text = """global foo
function bar() { foo["hello"] = 10; return 10 }
function baz() { a = foo["x"]++; return a }
probe begin { foreach (a in foo) { bar(); println(baz()) } }"""
    assert [(m, w) for _, m, w in found(text, "STP122")] == [
        ("function call modifies var 'foo' during 'foreach' iteration", "bar"),
        ("function call modifies var 'foo' during 'foreach' iteration", "baz"),
    ]


def test_only_the_overload_of_that_arity_is_followed():
    text = """global foo
function bar(x) { foo[x] = 1; return 1 }
function bar(x, y) { return x + y }
probe begin { foo[1] = 1; foreach (a in foo) { println(bar(1, 2)) } }"""
    assert found(text, "STP122") == []


def test_stats_written_by_a_function_during_a_histogram_foreach():
    # stap's mutated_var_collector counts `s <<< v` in a function, though a
    # `s <<< v` right in the loop body is no error.
    direct = "global s probe begin { s <<< 1; foreach (b in @hist_log(s)) { s <<< 2 } }"
    assert found(direct, "STP122") == []
    called = "global s function f() { s <<< 1; return 1 } probe begin { s <<< 1; foreach (b in @hist_log(s)) { f() } }"
    assert errors(called, "STP122") == ["function call modifies var 's' during 'foreach' iteration"]


def test_changes_stap_misses_are_warnings():
    deeper = """global foo
function g() { foo[1] = 1 }
function bar() { g(); return 1 }
probe begin { foreach (a in foo) { println(bar()) } }"""
    assert found(deeper, "STP122") == [
        ("warning", "function call modifies var 'foo' during 'foreach' iteration (through 'g')", "bar")]
    whole = "global a probe begin { a[1] = 1; foreach (k in a) { delete a } }"
    assert found(whole, "STP122") == [("warning", "variable 'a' deleted during 'foreach' iteration", "a")]
    called = "global a function f() { delete a } probe begin { a[1] = 1; foreach (k in a) { f() } }"
    assert found(called, "STP122") == [("warning", "function call deletes var 'a' during 'foreach' iteration", "f")]


def test_recursive_functions_end():
    text = """global a
function f(n) { if (n) return g(n - 1); return 0 }
function g(n) { a[n] = 1; return f(n) }
probe begin { a[1] = 1; foreach (k in a) { println(f(k)) } }"""
    assert found(text, "STP122") == [
        ("warning", "function call modifies var 'a' during 'foreach' iteration (through 'g')", "f")]


# ---------------------------------------------------------------- STP123


@pytest.mark.parametrize("statement, message, where", [
    ("print (1 = a)", "Expecting lvalue for assignment", "1"),  # semko/zero.stp
    ("print (a + 1 = 4)", "Expecting lvalue for assignment", "a + 1"),
    ('a = "1"; a.b = "1"', "Expecting lvalue for assignment, try -> instead", "a.b"),
    ("x = 1; (x ? x : x) = 2", "Expecting lvalue for assignment", "x ? x : x"),
    ("1 <<< 2", "Expecting lvalue for assignment", "1"),
    ("println(4++)", "invalid lvalue type", "4"),
    ("a = 1; ++(a + 1)", "invalid lvalue type", "a + 1"),
    ("delete 1", "invalid operand of delete expression", "1"),
    ('delete "x"', "invalid operand of delete expression", '"x"'),
    ("a = 1; delete a + 1", "invalid operand of delete expression", "a + 1"),
    ("delete pid()", "invalid operand of delete expression", "pid()"),
])
def test_not_an_lvalue(statement, message, where):
    assert [(m, w) for _, m, w in found(f"probe begin {{ {statement} }}", "STP123")] == [(message, where)]


def test_histogram_buckets_cannot_be_written():
    text = "global s probe begin { s <<< 1; @hist_log(s)[1] = 1; @hist_log(s)[2]++; delete @hist_log(s)[3] }"
    assert errors(text, "STP123") == [
        "Expecting lvalue for assignment",
        "cannot assign to histogram buckets",
        "cannot delete histogram bucket entries",
    ]


@pytest.mark.parametrize("statement", [
    "x = 1; (x) = 2; x++; --x; delete x; println(x)",
    "a[1] = 1; a[2] += 1; a[3]++; delete a[1]; delete a; s <<< 1; t[1] <<< 2",
    "x = y = 3; println(x + y)",
])
def test_lvalues(statement):
    text = f"global a, s, t probe begin {{ {statement} }}"
    assert found(text, "STP123") == []


def test_target_variable_writes_are_left_to_the_context_checks():
    text = 'probe kernel.function("vfs_read") { $count = 0; $file->f_pos++ }'
    assert found(text, "STP123", guru=True) == []


# ---------------------------------------------------------------- STP124


@pytest.mark.parametrize("condition, message, where", [
    ("x", "probe condition must not reference undeclared global", "x"),  # semko/fortyone.stp
    ("g = 1", "probe condition must not modify any variables", "g = 1"),  # semko/forty.stp
    ("g++", "probe condition must not modify any variables", "g++"),
    ("pid() > 1", "probe condition must not reference function", "pid"),  # semko/fortytwo.stp
    ("y[1] > 0", "unresolved arity-1 global array y, missing global declaration?", "y"),
    ("print(1)", "probe condition must not include impure embedded-C", "print"),
])
def test_invalid_probe_conditions(condition, message, where):
    text = f"global g probe begin if ({condition}) {{ println(1) }}"
    assert [(m, w) for _, m, w in found(text, "STP124")] == [(message, where)]


def test_impure_embedded_c_in_a_condition():
    text = "global g probe begin if (g && %{ 1 %}) { println(1) }"
    assert errors(text, "STP124", guru=True) == ["probe condition must not include impure embedded-C"]
    pure = "global g probe begin if (g && %{ /* pure */ 1 %}) { println(1) }"
    assert found(pure, "STP124", guru=True) == []


@pytest.mark.parametrize("text", [
    "global g probe begin if (g > 0) { println(1) }",
    'global g probe begin if (sprint(g) == "1") { println(1) }',
    "global s probe begin { s <<< 1 } probe end if (@count(s) > 0) { println(1) }",
    "global a probe begin if ([1] in a || a[2] > 0) { println(1) }",
    "probe begin if (argc > 0) { println(1) }",  # a public tapset global
    # semok/twentynine.stp: conditions on aliases and through alias levels
    "global p probe alias0 = begin if (3) { p = 1 } probe alias2 = alias0 if (1) { p = 2 }"
    " probe alias2 if (p) { print(p) }",
])
def test_valid_probe_conditions(text):
    assert found(text, "STP124") == []


def test_alias_point_conditions_are_checked():
    text = "probe myalias = begin if (undeclared) { } probe myalias { println(1) }"
    assert errors(text, "STP124") == ["probe condition must not reference undeclared global"]


# ---------------------------------------------------------------- STP125

# The first error of `stap -p2` 4.8 on `"abc" =~ "<literal>"`, for each literal
# as written in the script (position, message); None: stap compiles it.
STAP_REGEX_VERDICTS = {
    "a[b-d}+": (6, "unclosed character class"),  # semko/badregex01.stp
    "a(b": (2, "expected ), found end of regex"),
    "a)b": (2, "unbalanced ')'"),
    "a)": None,
    "*a": (0, "unexpected '*'"),
    "a|*": (2, "unexpected '*'"),
    "a(*)": (2, "unexpected '*'"),
    "a{2": (3, "unexpected end of regex"),
    "a{2,x}": (5, "expected '}' or number"),
    "a{,2}": (3, "expected number"),
    "a{}": (3, "expected number"),
    "a{2 }": (3, "expected ',' or '}'"),
    "ab{1,2": (5, "expected }, found end of regex"),
    "a{1}{": (5, "expected number"),
    "a{99999}": (8, "99999 is too large"),
    "a{12345}": (8, "12345 is too large"),
    "a{1,99999}": (10, "99999 is too large"),
    "a{4294967296}": None,
    "a{99999999999999999999}": (23, "could not parse number 99999999999999999999"),
    "[z-a]": (4, "Inverted character range z-a"),
    "[a-[:d:]]": (4, "Inverted character range a-["),
    r"[a-\\]]": (5, "Inverted character range a-\\"),
    "[[:foo:]]": (None, "unknown character class 'foo'"),
    "[[:alp": (6, "unclosed character class '[:al'"),
    "[[:alpha:]": (10, "unclosed character class '[:alpha:'"),
    "[a": (1, "unclosed character class"),
    "[]": (1, "unclosed character class"),
    "[^]": (2, "unclosed character class"),
    "[^": (1, "unclosed character class"),
    "^*": (1, "postfix closure '*' applied to anchoring operator"),
    "a$+": (2, "postfix closure '+' applied to anchoring operator"),
    "$^+": (2, "postfix closure '+' applied to anchoring operator"),
    r"a\\": (3, "unexpected end of regex"),
    r"\\": (2, "unexpected end of regex"),
    "(?x)": (2, "unexpected '(?x'"),
    "(?": (1, "unexpected '(?"),
    "(?:": (2, "expected ), found end of regex"),
    "(a|b": (3, "expected ), found end of regex"),
    "((a)": (3, "expected ), found end of regex"),
    r"a\x7b": (5, "expected number"),
    "(?:ab)": None, "a||b": None, "()": None, "x{3}{2}": None, "[]a]": None, "[a-]": None,
    "[-a]": None, r"[\\]]": None, "[[]": None, "[[a]": None, "(((a)))": None, r".*\\.": None,
    "^$": None, r"\\\\": None, "[[:d:]-z]": None, "a{0,0}": None, "a{2,}": None, r"\\(": None,
    "x*+?": None, "[[:alpha:]]": None, r"a\|b": None, r"\t+": None, "(?:)*": None,
}


@pytest.mark.parametrize("literal", sorted(STAP_REGEX_VERDICTS))
def test_regex_errors_match_stap(literal):
    assert regex_error(string_value(f'"{literal}"')) == STAP_REGEX_VERDICTS[literal]


def test_invalid_regex_is_reported_at_stap_position():
    text = 'probe begin { println("abc" =~ "a[b-d}+") }'
    assert found(text, "STP125") == [
        ("error", "regex compilation error (at position 6): unclosed character class", "+")]
    text = 'probe begin { println("abc" !~ "[[:foo:]]") }'
    assert found(text, "STP125") == [
        ("error", "regex compilation error: unknown character class 'foo'", '"[[:foo:]]"')]


def test_regex_with_an_argument_placeholder_is_not_checked():
    result = check_text('probe begin { println("abc" =~ @1 "(") }', "test.stp")
    assert not [d for d in result.diagnostics if d.code == "STP125"]


# ---------------------------------------------------------------- corpora


def _statement_errors(path: Path, options: ParseOptions) -> list:
    result = check_file(str(path), CheckOptions(parse=options, session=SESSION))
    return [(path.name, d.code, d.message) for d in result.diagnostics
            if d.code in STATEMENT_CODES and d.severity is Severity.ERROR]


@pytest.mark.corpus
@pytest.mark.parametrize("name, code", [
    ("fifteen.stp", "STP122"), ("thirteen.stp", "STP122"), ("fourteen.stp", "STP122"),
    ("zero.stp", "STP123"), ("badregex01.stp", "STP125"),
    # stap stops earlier offline (the kernel.function probe), but these test probe conditions.
    ("forty.stp", "STP124"), ("fortyone.stp", "STP124"), ("fortytwo.stp", "STP124"),
])
def test_semko_gets_the_statement_error(name, code):
    errors_found = _statement_errors(require(TESTSUITE / "semko" / name), ParseOptions())
    assert code in {c for _, c, _ in errors_found}, errors_found


def _semok_names() -> list[str]:
    text = require(EXPECTATIONS).read_text()
    part = text.split("## semok: pass stap 4.8 -p2 offline", 1)[1].split("\n## ", 1)[0]
    return [line[2:].strip() for line in part.splitlines() if line.startswith("- ")]


@pytest.mark.corpus
def test_no_statement_error_on_semok():
    names = _semok_names()
    assert len(names) == 51
    found_errors = [e for name in names for e in _statement_errors(require(TESTSUITE / "semok" / name), ParseOptions())]
    assert found_errors == []


@pytest.mark.corpus
def test_no_statement_error_on_buildok():
    require(TESTSUITE)
    scripts = stap_run_scripts("buildok")
    assert len(scripts) == 213
    assert [e for path in scripts for e in _statement_errors(path, ParseOptions())] == []


@pytest.mark.corpus
def test_no_statement_error_on_the_examples():
    require(EXAMPLES)
    found_errors = []
    for path in example_files():
        options = ParseOptions(guru=example_needs_guru(path), tapset=path.parent.name == "tapset")
        found_errors += _statement_errors(path, options)
    assert found_errors == []


@pytest.mark.corpus
def test_no_statement_error_on_the_tapset_library():
    require(TAPSET)
    files = [p for p in tapset_files() if p.suffix == ".stp"]
    assert [e for path in files for e in _statement_errors(path, ParseOptions(tapset=True))] == []
