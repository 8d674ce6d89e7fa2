"""The lint rules about names: STP501-STP508 (unused and misbound globals, functions, locals,
parameters), each on scripts that trigger it, on the tricky cases that must not, and its fix;
and all of them on the real corpora, where they must never raise.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stapkit.diagnostics import Severity
from stapkit.lint.runner import LintOptions, lint_file
from stapkit.lint.selection import Selection
from stapkit.semantic.checker import CheckOptions
from stapkit.syntax.parser import ParseOptions

from .rule_checks import lint, marked, messages
from .rule_checks import fixed as _fixed
from ..corpora import EXAMPLES, TAPSET, TESTSUITE, example_files, example_needs_guru, require, tapset_files
from stapkit.semantic.session import Session

SESSION = Session()  # one database and probe resolver for every check of the module


def fixed(text: str, code: str, **options) -> str:
    """The fixes --fix applies: the safe ones."""
    return _fixed(text, code, unsafe=False, **options)


NAME_CODES = ("STP501", "STP502", "STP503", "STP504", "STP505", "STP506", "STP507", "STP508")


# ---------------------------------------------------------------- STP501 unused-global


def test_unused_global_is_reported_at_its_name():
    text = "global hits, spare\nprobe begin { hits++; print(hits); exit() }\n"
    found = lint(text, "STP501")
    assert [d.message for d in found] == ["global 'spare' is never used"]
    assert marked(text, found) == ["spare"]
    assert found[0].severity is Severity.WARNING


@pytest.mark.parametrize("use", [
    "probe timer.s(1) if (g) { exit() }",  # a probe condition
    "probe begin { if (@defined(g)) exit() }",
    "probe begin { printf(\"%d\\n\", g) }",
    "probe begin {\n%( kernel_v < \"2.0\" %? g = 1 %: exit() %)\n}",  # the branch the target skips
    "@define OLD %( g = 1 %)\nprobe begin { exit() }",  # a macro nothing invokes
    "function f() { return g }\nprobe begin { exit() }",  # a function nothing calls
])
def test_unused_global_counts_every_kind_of_use(use):
    assert lint(f"global g\n{use}\n", "STP501") == []


def test_unused_global_counts_embedded_c():
    assert lint("#! stap -g\nglobal g\nfunction f:long() %{ /* pragma:read:g */ STAP_RETURN(STAP_GLOBAL_GET_g()); %}\n"
                "probe begin { print(f()); exit() }\n", "STP501") == []


def test_unused_global_fix_deletes_a_sole_declaration_with_its_line():
    text = "global hits\nglobal spare  # kept for later\nprobe begin { hits++; print(hits); exit() }\n"
    assert fixed(text, "STP501") == "global hits\nprobe begin { hits++; print(hits); exit() }\n"


def test_unused_global_fix_deletes_only_the_declaration_when_code_shares_the_line():
    text = "global spare; probe begin { exit() }\n"
    assert fixed(text, "STP501") == " probe begin { exit() }\n"


def test_unused_global_in_a_list_has_no_fix():
    (d,) = lint("global a, b\nprobe begin { a = 1; print(a); exit() }\n", "STP501")
    assert d.fix is None


def test_unused_global_of_a_macro_has_no_fix():
    (d,) = lint("@define G %( global spare %)\n@G\nprobe begin { exit() }\n", "STP501")
    assert d.fix is None


def test_unused_global_in_a_tapset_only_for_private_ones():
    text = "global shared\nprivate global mine\nfunction f() { return 1 }\n"
    assert messages(text, "STP501", tapset=True) == ["global 'mine' is never used"]
    assert messages(text, "STP501", path="lib/tapset/mine.stp") == ["global 'mine' is never used"]


# ---------------------------------------------------------------- STP502 unused-function


def test_unused_function_is_reported_at_its_name():
    text = "function used() { return 1 }\nfunction spare() { return 2 }\nprobe begin { print(used()); exit() }\n"
    found = lint(text, "STP502")
    assert [d.message for d in found] == ["function 'spare' is never called"]
    assert marked(text, found) == ["spare"]


def test_a_function_that_only_calls_itself_is_unused():
    assert messages("function r(n) { return n ? r(n - 1) : 0 }\nprobe begin { exit() }\n", "STP502") == \
        ["function 'r' is never called"]


@pytest.mark.parametrize("script", [
    # a callback the tapset library calls (STP113 knows these prototypes)
    "function tcpmib_filter_key:long (sk:long, op:long) { return 0 }\nprobe begin { exit() }",
    # called from another function, a probe condition, an untaken branch
    "function f() { return 1 }\nfunction g() { return f() }\nprobe begin { print(g()); exit() }",
    "global on\nfunction f() { return 1 }\nprobe timer.s(1) if (on) { exit() }\nprobe begin { on = f() }",
    "function f() { return 1 }\nprobe begin {\n%( kernel_v < \"2.0\" %? print(f()) %: exit() %)\n}",
    # a call through a command-line argument might call it
    "function f(x) { return x }\nprobe begin { print($1(1)); exit() }",
])
def test_unused_function_not_reported(script):
    assert lint(script + "\n", "STP502") == []


def test_unused_function_by_arity():
    text = "function f(x) { return x }\nfunction f(x, y) { return x + y }\nprobe begin { print(f(1)); exit() }\n"
    assert marked(text, lint(text, "STP502")) == ["f"]
    assert lint(text, "STP502")[0].span.start == text.index("f(x, y)")


def test_unused_function_in_a_tapset_only_for_private_ones():
    text = "function api() { return helper() }\nprivate function helper() { return 1 }\n" \
           "private function dead() { return 2 }\n"
    assert messages(text, "STP502", tapset=True) == ["function 'dead' is never called"]


# ---------------------------------------------------------------- STP503 unused-local


def test_unused_local_is_reported_at_its_first_assignment():
    text = "probe begin {\n  start = gettimeofday_ms()\n  start = 0\n  exit()\n}\n"
    found = lint(text, "STP503")
    assert [d.message for d in found] == ["local 'start' of probe begin is assigned but never read"]
    assert found[0].span.start == text.index("start")


def test_unused_local_hints_at_the_probe_that_reads_the_same_name():
    (d,) = lint("probe begin { start = 1 }\nprobe end { print(start) }\n", "STP503")
    assert d.hints == ("'start' is read in probe end, where it is another local: "
                       "to share one variable, declare it global",)


def test_a_local_only_updated_is_unused_but_one_whose_update_is_used_is_not():
    assert messages("probe begin { n = 0; n++; n += 2; exit() }\n", "STP503") == \
        ["local 'n' of probe begin is assigned but never read"]
    assert lint("probe begin { n = 0; if (n++ > 3) exit() }\n", "STP503") == []


@pytest.mark.parametrize("script", [
    # foreach keys and values, catch variables: the syntax asks for them
    "global a\nprobe begin { a[1, 2] = 3 }\n"
    "probe end { foreach ([k, j] in a) print(j); foreach (v = [k, j] in a) print(k) }",
    "probe begin { try { error(\"x\") } catch (msg) { exit() } }",
    # read in the branch the target skips
    "probe begin {\n  x = 1\n%( kernel_v < \"2.0\" %? print(x) %: exit() %)\n}",
    # the variables an alias sets for the handler, and the locals of an alias body
    "probe syscall.read { fd = 0 }",
    "probe my.thing = begin { value = 42 }\nprobe my.thing { exit() }",
    # read by an epilogue alias, which runs after the handler
    "probe timed += begin { printf(\"%d\\n\", t0) }\nprobe timed { t0 = 1 }",
    # read by the handler through @defined, in printf, by @count
    "probe begin { x = 1; if (@defined(x)) exit() }",
    "probe begin { x = 1; printf(\"%d\\n\", x) }",
])
def test_unused_local_not_reported(script):
    assert lint(script + "\n", "STP503") == []


def test_unused_local_assigned_by_a_macro_is_left_alone():
    assert lint("@define SAVE %( saved = 1 %)\nprobe begin { @SAVE; exit() }\n", "STP503") == []


# ---------------------------------------------------------------- STP504 unused-parameter


def test_unused_parameter_is_reported_at_the_parameter():
    text = "function percent(part, total:long) { return part * 100 / 1000 }\n" \
           "probe begin { print(percent(1, 2)); exit() }\n"
    found = lint(text, "STP504")
    assert [d.message for d in found] == ["parameter 'total' of function 'percent' is never read"]
    assert marked(text, found) == ["total:long"]
    assert found[0].severity is Severity.INFO


@pytest.mark.parametrize("script", [
    # the library calls it with this prototype
    "function tcpmib_filter_key:long (sk:long, op:long) { return 0 }\nprobe begin { exit() }",
    # overloads share one prototype
    "function f(x) : 1 { next }\nfunction f(x) : 2 { return x }\nprobe begin { print(f(1)); exit() }",
    # read in embedded C, by name or with STAP_ARG_
    "#! stap -g\nfunction f:long(x:long) %{ STAP_RETURN(STAP_ARG_x); %}\nprobe begin { print(f(1)); exit() }",
    "#! stap -g\nfunction f:long(x:long) %{ THIS->__retvalue = THIS->x; %}\nprobe begin { print(f(1)); exit() }",
    # read in the branch the target skips
    "function f(x) {\n%( kernel_v < \"2.0\" %? return x %: return 0 %)\n}\nprobe begin { print(f(1)); exit() }",
])
def test_unused_parameter_not_reported(script):
    assert lint(script + "\n", "STP504") == []


def test_unused_parameter_in_a_tapset_only_for_private_functions():
    text = "function stub(x) { return 0 }\nprivate function helper(y) { return 1 }\n"
    assert messages(text, "STP504", tapset=True) == ["parameter 'y' of function 'helper' is never read"]


# ---------------------------------------------------------------- STP505 write-only-global


def test_write_only_global_says_what_stap_prints():
    text = "global n, names, s\nprobe begin { n++; names[\"a\"] = \"b\"; s <<< 1; exit() }\n"
    found = {d.message.split("'")[1]: d for d in lint(text, "STP505")}
    assert set(found) == {"n", "names", "s"}
    assert found["n"].message == "global 'n' is written but never read: stap prints it when the script ends"
    assert "prints 'n=value'" in found["n"].hints[0]
    assert "every element, one line each" in found["names"].hints[0]
    assert "@count, @min, @max, @sum and @avg" in found["s"].hints[0]
    assert marked(text, found.values()) == ["n", "names", "s"]


@pytest.mark.parametrize("script", [
    "global n\nprobe begin { n++; exit() }\nprobe end { print(n) }",
    "global n\nprobe begin { n = 1; exit() }\nprobe timer.s(1) if (n) { exit() }",  # a probe condition reads
    "global a\nprobe begin { a[1] = 1; delete a; exit() }",  # stap counts delete as a use: no display
    "global s\nprobe begin { s <<< 1; exit() }\nprobe end { print(@hist_log(s)) }",
    "global n\nprobe begin { n = 1;\n%( kernel_v < \"2.0\" %? print(n) %: exit() %)\n}",
])
def test_write_only_global_not_reported(script):
    assert lint(script + "\n", "STP505") == []


def test_write_only_global_not_in_a_tapset():
    assert lint("global state\nfunction set(v) { state = v }\n", "STP505", tapset=True) == []


# ---------------------------------------------------------------- STP506 local-binds-tapset-global


def test_a_local_named_like_a_tapset_global_is_reported_where_it_is_written():
    text = "probe begin {\n  argc = 0\n  argc += 1\n  print(argc)\n  exit()\n}\n"
    found = lint(text, "STP506")
    assert len(found) == 1  # once per probe
    assert found[0].message.startswith("'argc' is a global of the tapset library (argv.stp:")
    assert found[0].message.endswith(": this writes the library's variable, not a local of probe begin")
    assert found[0].span.start == text.index("argc")


def test_tapset_global_as_a_foreach_key():
    assert marked("global a\nprobe begin { a[1] = 1; foreach (argc in a) print(argc); exit() }\n",
                  lint("global a\nprobe begin { a[1] = 1; foreach (argc in a) print(argc); exit() }\n",
                       "STP506")) == ["argc"]


@pytest.mark.parametrize("script", [
    "probe begin { printf(\"%d args\\n\", argc); exit() }",  # reading it is what it is for
    "probe begin { if (argc == 0) { argv[1] = \"eth0\"; argc = 1 } exit() }",  # reads the library's first
    "global argc\nprobe begin { argc = 3; print(argc); exit() }",  # the script's own global
])
def test_tapset_global_use_not_reported(script):
    assert lint(script + "\n", "STP506") == []


# ---------------------------------------------------------------- STP507 never-assigned-global


def test_never_assigned_global():
    text = "global last_error\nprobe begin { last_err = 1; print(last_error); exit() }\n"
    (d,) = lint(text, "STP507")
    assert d.message == "global 'last_error' is read but never written"
    assert marked(text, [d]) == ["last_error"]
    assert any("stap -G last_error=" in h for h in d.hints)


@pytest.mark.parametrize("script", [
    "global verbose = 0\nprobe begin { if (verbose) print(1); exit() }",  # an initial value (-G)
    "global n\nprobe begin { n++; print(n); exit() }",
    "global n\nprobe begin {\n%( kernel_v < \"2.0\" %? n = 1 %: exit() %)\n print(n) }",
    "#! stap -g\nglobal n\nfunction set() %{ /* pragma:write:n */ STAP_GLOBAL_SET_n(1); %}\n"
    "probe begin { set(); print(n); exit() }",
    "global a\nprobe begin { delete a; foreach (k in a) print(k); exit() }",
])
def test_never_assigned_global_not_reported(script):
    assert lint(script + "\n", "STP507") == []


# ---------------------------------------------------------------- STP508 global-shadows-alias-variable


def test_global_named_like_an_alias_variable():
    text = "global count\nprobe syscall.read { count++ }\nprobe end { print(count) }\n"
    (d,) = lint(text, "STP508")
    assert d.message == ("an alias behind probe syscall.read sets 'count', which is a global of the script: "
                         "each hit overwrites the global")
    assert marked(text, [d]) == ["syscall.read"]
    assert d.related[0].span == (text.index("count"), text.index("count") + len("count"))


def test_global_not_an_alias_variable_of_that_probe():
    assert lint("global count\nprobe begin { count++ }\nprobe end { print(count) }\n", "STP508") == []


# ---------------------------------------------------------------- the corpora


class CorpusRun:
    """The name rules over the three corpora, once for all the corpus tests of this file."""

    def __init__(self):
        self.checked = 0  # files that parsed and got to the rules
        self.findings: list[tuple[str, str, object]] = []  # (corpus, path, diagnostic)
        self.texts: dict[str, str] = {}
        for kind, path in self.files():
            parse = ParseOptions(tapset=kind == "tapset", guru=kind == "example" and example_needs_guru(path))
            result = lint_file(str(path), LintOptions(CheckOptions(parse=parse, session=SESSION), Selection(select=NAME_CODES)))
            self.checked += result.checked.unit is not None
            for d in result.diagnostics:
                if d.code in NAME_CODES:
                    self.findings.append((kind, str(path), d))
                    self.texts[str(path)] = result.text

    @staticmethod
    def files():
        yield from (("example", p) for p in example_files())
        yield from (("tapset", p) for p in tapset_files())
        yield from (("testsuite", p) for p in sorted(TESTSUITE.rglob("*.stp")))


@pytest.fixture(scope="module")
def corpus_run() -> CorpusRun:
    require(EXAMPLES)
    require(TAPSET)
    require(TESTSUITE)
    return CorpusRun()


@pytest.mark.corpus
def test_the_name_rules_never_raise_on_the_corpora(corpus_run):
    # Getting here means no rule raised on any file.
    assert corpus_run.checked > 1200


@pytest.mark.corpus
def test_findings_on_the_examples_are_the_known_ones(corpus_run):
    """The Debian examples: every finding was looked at."""
    found = {(str(Path(path).relative_to(EXAMPLES)), d.code, d.message.split("'")[1])
             for kind, path, d in corpus_run.findings if kind == "example"}
    assert found == {
        # never written: meant for `stap -G traced_pid=N`, without a default
        ("memory/mmanonpage.stp", "STP507", "traced_pid"),
        ("memory/mmwriteback.stp", "STP507", "traced_pid"),
        # written only, for stap's display at the end (on purpose there)
        ("network/tcp_init_cwnd.stp", "STP505", "counts"),
        ("profiling/perf.stp", "STP505", "insns"),
        ("profiling/perf.stp", "STP505", "cycles"),
        ("profiling/perf.stp", "STP505", "branches"),
        ("profiling/perf.stp", "STP505", "cacherefs"),
    }


@pytest.mark.corpus
def test_tapset_library_findings_are_private_declarations(corpus_run):
    """In the library only private globals and functions can be unused (dead code there),
    and stap prints no tapset global at the end, nor does a tapset bind library globals by mistake."""
    for kind, path, d in corpus_run.findings:
        if kind != "tapset":
            continue
        assert d.code not in ("STP505", "STP506"), (path, d.message)
        if d.code in ("STP501", "STP502"):
            text = corpus_run.texts[path]
            line = text[text.rfind("\n", 0, d.span.start) + 1:d.span.start]
            assert "private" in line, (path, d.message)


# -- STP525 unreachable-overload (semko/overload.stp)


def test_unreachable_overload_after_one_without_next():
    text = "function f() {\n  println(1)\n}\nfunction f() {\n  println(2)\n}\nprobe begin { f() }\n"
    (d,) = lint(text, "STP525")
    assert d.span.start == text.index("f()", 20) and "never says 'next'" in d.message
    assert d.related[0].span.start == text.index("f()")


def test_overloads_that_pass_on_or_differ_are_reachable():
    for text in (
        "function f() { if (randint(2)) next; println(1) }\nfunction f() { println(2) }\nprobe begin { f() }\n",
        "function f() { println(1) }\nfunction f(x) { println(x) }\nprobe begin { f(); f(1) }\n",
        "function f() { println(1) }\nprobe begin { f() }\n",
    ):
        assert lint(text, "STP525") == [], text


def test_overloads_are_tried_by_priority():
    # the priority-1 one comes after the default-0 one, whatever the order they are written in
    text = "function f():1 { println(1) }\nfunction f() { println(2) }\nprobe begin { f() }\n"
    (d,) = lint(text, "STP525")
    assert d.span.start == text.index("f():1")
