"""The lint rules about control flow and run-time risks: STP403-STP404 and STP510-STP524.

Each rule on scripts that trigger it, on the tricky cases that must not, and
its fix; then all of them on the real corpora, where they must never raise,
and where the findings on the Debian examples are the ones that were looked at.
"""

from __future__ import annotations

import pytest

from stapkit.diagnostics import Applicability, Severity
from stapkit.lint.fixes import apply_fixes
from stapkit.lint.runner import LintOptions, lint_file
from stapkit.lint.selection import Selection
from stapkit.semantic.checker import CheckOptions
from stapkit.syntax.parser import ParseOptions

from .rule_checks import fixed, lint, marked, messages
from ..corpora import EXAMPLES, TAPSET, TESTSUITE, example_files, example_needs_guru, require, tapset_files
from stapkit.semantic.session import Session

SESSION = Session()  # one database and probe resolver for every check of the module

FLOW_CODES = ("STP403", "STP404", "STP510", "STP511", "STP512", "STP513", "STP514", "STP515", "STP516",
              "STP517", "STP518", "STP519", "STP520", "STP521", "STP522", "STP523", "STP524")


def begin(body: str, before: str = "") -> str:
    return f"{before}probe begin {{\n{body}\n  exit()\n}}\n"


# ---------------------------------------------------------------- STP510 line-joins-previous-statement


@pytest.mark.parametrize("second, token, message", [
    ("++b", "++", "'++' at the start of this line applies to the line above: stap reads 'x = a++' and then "
                  "a statement of its own"),
    ("--b", "--", "'--' at the start of this line applies to the line above: stap reads 'x = a--' and then "
                  "a statement of its own"),
    ("-b", "-", "'-' at the start of this line continues the expression above: stap reads 'x = a - ...'"),
    ("+b", "+", "'+' at the start of this line continues the expression above: stap reads 'x = a + ...'"),
    ("(b)", "(", "'(' at the start of this line makes 'a' on the line above a function call"),
])
def test_line_joins_previous_statement(second, token, message):
    text = begin(f"  a = 1; b = 2\n  x = a\n  {second}\n  printf(\"%d %d\\n\", x, b)")
    found = lint(text, "STP510")
    assert [d.message for d in found] == [message]
    assert marked(text, found) == [token]
    assert found[0].fix.applicability is Applicability.UNSAFE


def test_line_joins_previous_statement_fix_ends_the_statement():
    text = begin("  a = 1; b = 2\n  x = a\n  ++b\n  printf(\"%d %d\\n\", x, b)")
    assert fixed(text, "STP510") == begin("  a = 1; b = 2\n  x = a;\n  ++b\n  printf(\"%d %d\\n\", x, b)")


def test_line_joins_previous_statement_index_and_string():
    text = begin("  v = a\n  [b] in arr\n  s = \"abc\"\n  \"def\"\n  println(s, v)", "global arr\n")
    found = lint(text, "STP510")
    assert marked(text, found) == ["[", '"']
    assert "indexes the value on the line above" in found[0].message
    assert "glued to the string on the line above" in found[1].message


@pytest.mark.parametrize("body", [
    "  x = a\n      + b",  # a continuation indented further
    "  x = a +\n  b",  # the operator ends the line above: nothing ambiguous
    "  x = a;\n  ++b",  # ended with ';'
    "  x = f(a,\n  -b)",  # inside parentheses the statement cannot end
    "  x = c ? a\n  - b : 0",  # the `then` of ?: cannot end a statement
    "  if (a\n  - b > 0) x = 1",  # a condition is in parentheses
    "  printf(\"a\"\n  \"b\\n\")",  # glued strings as arguments
    "  s = \"abc\" .\n  \"def\"",  # concatenation written out
    "\tx = a\n\t\t- b",  # tabs: indented further
    "  s .=\n    \"a\"\n  \"b\"",  # a column of strings, each on its own line
    "  x = a - b",  # one line
])
def test_line_joins_previous_statement_not_reported(body):
    text = begin("  a = 1; b = 2; c = 0\n" + body + "\n  println(x)", "function f(p, q) { return p + q }\n")
    assert lint(text, "STP510") == []


def test_line_joins_previous_statement_return_takes_the_next_line():
    text = ("function f:long (x:long) {\n  if (x) return\n  println(\"done\")\n  return 1\n}\n"
            "probe begin { println(f(0)); exit() }\n")
    found = lint(text, "STP510")
    assert marked(text, found) == ['println("done")']
    assert found[0].message == ("'return' at the end of the line above takes this line as the value it returns: "
                                "stap reads 'return println(\"done\")'")
    assert fixed(text, "STP510") == text.replace("if (x) return\n", "if (x) return;\n")


@pytest.mark.parametrize("body", [
    "  return\n    x + 1",  # a value continued on an indented line
    "  if (x) return;\n  x++\n  return x",
    "  if (x) { return }\n  x++\n  return x",
])
def test_line_joins_previous_statement_return_not_reported(body):
    text = f"function f:long (x:long) {{\n{body}\n}}\nprobe begin {{ println(f(0)); exit() }}\n"
    assert lint(text, "STP510") == []


def test_line_joins_previous_statement_after_if_on_one_line():
    text = begin("  a = 1; b = 2\n  if (b) x = a\n  ++b\n  println(x)")
    assert marked(text, lint(text, "STP510")) == ["++"]


# ---------------------------------------------------------------- STP511 statistic-may-be-empty


def test_statistic_may_be_empty_reports_unguarded_extremes():
    text = ("global s\nprobe timer.ms(10) { s <<< 1 }\n"
            "probe end { printf(\"%d %d %d %d %d\\n\", @count(s), @sum(s), @avg(s), @min(s), @max(s)) }\n")
    found = lint(text, "STP511")
    assert marked(text, found) == ["@avg(s)", "@min(s)", "@max(s)"]
    assert found[0].message == "@avg(s) stops the script with 'empty aggregate' if no value was added to 's' yet"
    assert found[0].fix is None


@pytest.mark.parametrize("use", [
    "if (@count(s)) println(@avg(s))",
    "if (@count(s) == 0) println(0) else println(@avg(s))",
    "x = @count(s) ? @max(s) : 0; println(x)",
    "if (@count(s) > 0 && @min(s) < 0) println(1)",
    "if (!@count(s)) next\n  println(@avg(s))",
    "s <<< 5\n  println(@avg(s))",
    "try { println(@variance(s)) } catch { println(0) }",
    "while (@count(s) && @max(s) > 10) break",
    "if (@count(s) >= least) println(@avg(s))",  # a threshold: trusted to be above 0
    "if (least < @count(s)) println(@avg(s))",
])
def test_statistic_may_be_empty_guards(use):
    text = f"global s\nprobe timer.ms(10) {{ s <<< 1 }}\nprobe end {{\n  {use}\n}}\n"
    assert lint(text, "STP511") == []


@pytest.mark.parametrize("use, reported", [
    ("foreach (k in a) println(@avg(a[k]))", False),
    ("foreach ([k] in a- limit 5) println(@max(a[k]))", False),
    ("foreach (k in copy) println(@avg(a[k]))", False),  # the same keys: trusted
    ("if (\"x\" in a) println(@avg(a[\"x\"]))", False),
    ("println(@avg(a[\"x\"]))", True),
    ("foreach (k in a) println(@avg(a[\"x\"]))", True),
    ("if (@count(a[\"y\"])) println(@avg(a[\"x\"]))", True),  # a guard on another element
])
def test_statistic_may_be_empty_arrays(use, reported):
    text = (f"global a, copy\nprobe timer.ms(10) {{ a[execname()] <<< 1; copy[execname()] = 1 }}\n"
            f"probe end {{\n  {use}\n}}\n")
    assert bool(lint(text, "STP511")) is reported


def test_statistic_may_be_empty_in_a_function_keyed_by_a_parameter():
    text = ("global a\nprobe timer.ms(10) { a[execname()] <<< 1 }\n"
            "function show(k) { println(@avg(a[k])) }\n"
            "probe end { foreach (k in a) show(k) }\n")
    assert lint(text, "STP511") == []


@pytest.mark.parametrize("use", [
    "if (@count(s)) println(1) else println(@avg(s))",  # the branch where s is empty
    "if (@count(s)) next\n  println(@avg(s))",
    "if (pid() || @count(s)) println(@avg(s))",
    "if (@count(s) < 1) println(@avg(s))",
    "x = @count(s) ? 0 : @max(s); println(x)",
    "while (!@count(s)) { println(@min(s)); break }",
])
def test_statistic_may_be_empty_guard_of_the_wrong_polarity(use):
    text = f"global s\nprobe timer.ms(10) {{ s <<< 1 }}\nprobe end {{\n  {use}\n}}\n"
    assert len(lint(text, "STP511")) == 1


def test_statistic_may_be_empty_guard_must_end_the_block():
    # `exit()` does not stop the handler: the @avg still runs.
    text = "global s\nprobe timer.ms(10) { s <<< 1 }\nprobe end {\n  if (!@count(s)) exit()\n  println(@avg(s))\n}\n"
    assert marked(text, lint(text, "STP511")) == ["@avg(s)"]


def flagged(setter: str, reader: str, globals_: str = "s, found") -> str:
    """A statistic filled with a flag by a timer probe, and read by the end probe."""
    return (f"global {globals_}\nprobe timer.ms(10) {{\n  {setter}\n}}\n"
            f"probe end {{\n  {reader}\n}}\n")


@pytest.mark.parametrize("reader", [
    "if (found) println(@min(s))",
    "if (found > 0) println(@min(s))",
    "if (found != 0) println(@min(s))",
    "if (0 < found) println(@min(s))",
    "if (found >= 1 && @count(s) > 1) println(@min(s))",
    "if (!found) next\n  println(@min(s))",
    "if (found == 0) { println(\"none\"); next }\n  println(@min(s))",
    "if (!found) println(\"none\") else println(@min(s))",
    "x = found ? @max(s) : 0; println(x)",
    "if (found && @avg(s) > 10) println(1)",
    "if (@count(s)) println(@min(s))",
])
def test_statistic_may_be_empty_flag_set_with_the_add_guards(reader):
    # Case 5 of issue 14: the flag is set together with the add, so it is 0 until s has a value.
    text = flagged("s <<< 1; found = 1", reader)
    assert lint(text, "STP511") == []


@pytest.mark.parametrize("setter", [
    "found = 1; s <<< 1",  # after the flag, nothing between leaves
    "if (pid()) { s <<< pid(); found++ }",
    "s <<< 1\n  found = @count(s)",
    "s <<< 1; found = 1\n  found = 0",
])
def test_statistic_may_be_empty_flag_shapes_of_the_setter(setter):
    assert lint(flagged(setter, "if (found) println(@min(s))"), "STP511") == []


@pytest.mark.parametrize("setter, reader", [
    # The flag is set somewhere else than beside the add.
    ("s <<< 1\n}\nprobe timer.ms(20) {\n  found = 1", "if (found) println(@min(s))"),
    ("if (pid()) s <<< 1\n  found = 1", "if (found) println(@min(s))"),
    ("found = 1; if (pid()) next; s <<< 1", "if (found) println(@min(s))"),
    ("s <<< 1; found = 1\n}\nfunction f() {\n  found = pid()", "f(); if (found) println(@min(s))"),
    # The guard says the flag is 0, or says nothing about it.
    ("s <<< 1; found = 1", "if (!found) println(@min(s))"),
    ("s <<< 1; found = 1", "if (found) println(1) else println(@min(s))"),
    ("s <<< 1; found = 1", "if (found || pid()) println(@min(s))"),
    ("s <<< 1; found = 1", "if (found < 1) println(@min(s))"),
    # exit() does not stop the handler: @min still runs when found is 0.
    ("s <<< 1; found = 1", "if (!found) exit()\n  println(@min(s))"),
    # The statistic is emptied without the flag.
    ("s <<< 1; found = 1\n  if (pid() > 100) delete s", "if (found) println(@min(s))"),
])
def test_statistic_may_be_empty_flag_that_is_no_guard(setter, reader):
    text = flagged(setter, reader)
    assert marked(text, lint(text, "STP511")) == ["@min(s)"]


def test_statistic_may_be_empty_flag_that_starts_set():
    text = flagged("s <<< 1; found = 1", "if (found) println(@min(s))", globals_="s, found = 1")
    assert marked(text, lint(text, "STP511")) == ["@min(s)"]


def test_statistic_may_be_empty_flag_reset_with_the_delete():
    text = flagged("s <<< 1; found = 1",
                   "if (found) println(@min(s))\n  delete s; found = 0\n}\nprobe timer.s(1) {\n"
                   "  if (found) println(@max(s))\n  delete s\n  delete found")
    assert lint(text, "STP511") == []


def test_statistic_may_be_empty_flag_of_another_statistic():
    text = ("global s, t, found\nprobe timer.ms(10) { t <<< 1; found = 1 }\n"
            "probe timer.ms(20) { s <<< 1 }\nprobe end { if (found) println(@min(s)) }\n")
    assert marked(text, lint(text, "STP511")) == ["@min(s)"]


def test_statistic_may_be_empty_flag_written_by_embedded_c():
    text = ("#! stap -g\nglobal s, found\nprobe timer.ms(10) { s <<< 1; found = 1 }\n"
            "function set() %{ /* pragma:write:found */ STAP_GLOBAL_SET_found(1); %}\n"
            "probe begin { set() }\nprobe end { if (found) println(@min(s)) }\n")
    assert marked(text, lint(text, "STP511")) == ["@min(s)"]


# ---------------------------------------------------------------- STP512 array-grows-without-bound


def start_table(read: str) -> str:
    """A per-thread table of start times, read by the return probe with `read`."""
    return ("global start\n"
            "probe syscall.read { start[tid()] = gettimeofday_us() }\n"
            f"probe syscall.read.return {{ {read} }}\n")


def test_array_grows_without_bound_per_thread_table():
    text = start_table("if (tid() in start) println(gettimeofday_us() - start[tid()])")
    found = lint(text, "STP512")
    assert marked(text, found) == ["start"]
    assert found[0].message.startswith("global array 'start' gets a new key for each new process, thread or "
                                       "time in probe syscall.read, and nothing deletes from it")
    assert [text[r.span.start:r.span.end] for r in found[0].related] == ["start[tid()] = gettimeofday_us()"]


@pytest.mark.parametrize("text", [
    # deleted once used
    start_table("println(start[tid()]); delete start[tid()]"),
    # deleted as a whole somewhere else
    start_table("println(start[tid()])") + "probe timer.s(10) { delete start }\n",
    # sized, or wrapping
    start_table("println(start[tid()])").replace("global start", "global start[100000]"),
    start_table("println(start[tid()])").replace("global start", "global start%"),
    # the script knows about the limit
    "# run with -DMAXMAPENTRIES=100000\n" + start_table("println(start[tid()])"),
    # only reported at the end, never looked up by event probes
    "global calls\nprobe syscall.read { calls[pid()]++ }\nprobe end { foreach (p in calls) println(p) }\n",
    # keys that repeat (names, cpus)
    "global t\nprobe syscall.read { t[execname()] = 1 }\nprobe syscall.write { println(t[execname()]) }\n",
    # written only by probes that do not fire on events
    "global t\nprobe timer.s(1) { t[gettimeofday_s()] = 1 }\nprobe timer.s(2) { println(t[1]) }\n",
])
def test_array_grows_without_bound_not_reported(text):
    assert lint(text, "STP512") == []


def test_array_grows_without_bound_follows_function_calls():
    text = ("global seen\nfunction note() { seen[pid()] = 1 }\n"
            "probe syscall.read { if (!(pid() in seen)) note() }\n")
    assert marked(text, lint(text, "STP512")) == ["seen"]


def test_array_grows_without_bound_is_not_checked_in_the_tapset_library():
    text = start_table("println(start[tid()])")
    assert lint(text, "STP512", tapset=True) == []


# ---------------------------------------------------------------- STP513 script-never-exits


def test_script_never_exits():
    text = "probe begin {\n  println(\"hello\")\n}\nprobe end { println(\"bye\") }\n"
    found = lint(text, "STP513")
    assert marked(text, found) == ["probe begin"]
    assert found[0].severity is Severity.WARNING


@pytest.mark.parametrize("text", [
    "probe begin { println(\"hello\"); exit() }\n",
    "function done() { exit() }\nprobe begin { done() }\n",
    "probe begin { error(\"stop\") }\n",
    "probe begin { println(\"x\") }\nprobe timer.s(5) { println(\"y\") }\n",  # something else runs
    "probe begin { printf(\"%d\\n\", target()) }\n",  # for -c / -x
    "#! stap -p2\nprobe begin { println(\"x\") }\n",  # never run
    "#! /usr/bin/stap -c 'sleep 1'\nprobe begin { println(\"x\") }\n",
])
def test_script_never_exits_not_reported(text):
    assert lint(text, "STP513") == []


def test_script_never_exits_is_not_checked_in_the_tapset_library():
    assert lint("probe begin { println(\"x\") }\n", "STP513") != []
    assert lint("probe begin { println(\"x\") }\n", "STP513", tapset=True) == []


def test_script_never_exits_trusts_aliases():
    # `oneshot` is an alias whose body calls exit(); a script alias may do the same.
    text = "probe once = begin { exit() }\nprobe once { println(\"x\") }\n"
    assert lint(text, "STP513") == []


# ---------------------------------------------------------------- STP514 probe-on-every-kernel-function


@pytest.mark.parametrize("point, what", [
    ('kernel.function("*")', "the kernel"),
    ('kernel.function("*").return', "the kernel"),
    ('kernel.function("*@*")', "the kernel"),
    ('module("*").function("*").call', "every module"),
    ('{kernel,module("*")}.function("*")', "the kernel"),
])
def test_probe_on_every_kernel_function(point, what):
    text = f"probe {point} {{ next }}\n"
    found = lint(text, "STP514")
    assert len(found) == 1
    assert f"probes every function of {what}" in found[0].message
    assert marked(text, found) == [point]


@pytest.mark.parametrize("point", [
    'kernel.function("vfs_*")', 'kernel.function("*@fs/*.c")', 'module("ext4").function("*")',
    'process("/bin/ls").function("*")', 'kernel.trace("*")', 'module("*").function("tcp_sendmsg")',
])
def test_probe_on_every_kernel_function_not_reported(point):
    assert lint(f"probe {point} {{ next }}\n", "STP514") == []


# ---------------------------------------------------------------- STP515 output-ends-without-newline


def test_output_ends_without_newline():
    text = "global n\nprobe timer.s(1) { n++; exit() }\nprobe end {\n  printf(\"total: %d\", n)\n}\n"
    found = lint(text, "STP515")
    assert marked(text, found) == ['printf("total: %d", n)']
    assert fixed(text, "STP515") == text.replace('"total: %d"', '"total: %d\\n"')


def test_output_ends_without_newline_print_of_a_string():
    text = "probe end {\n  print(\"done\")\n}\nprobe timer.s(1) { exit() }\n"
    assert fixed(text, "STP515") == text.replace('"done"', '"done\\n"')


def test_output_ends_without_newline_glued_format_gets_it_on_the_last_piece():
    text = "probe end {\n  printf(\"a\" \"b%d\", 1)\n}\nprobe timer.s(1) { exit() }\n"
    assert fixed(text, "STP515") == text.replace('"b%d"', '"b%d\\n"')


@pytest.mark.parametrize("body", [
    'printf("total: %d\\n", 1)',
    'printf("total: %d", 1)\n  printf("\\n")',  # a later print ends the line
    'printf("total: %d", 1)\n  println("")',
    'printf("%s", "x")',  # a string may end with the newline
    'printf("total: %d", 1)\n  foreach (k in a) println(k)',  # something that may print after
    'printf("total: %d", 1)\n  show()',  # a function that may print
])
def test_output_ends_without_newline_not_reported(body):
    text = (f"global a\nfunction show() {{ println(\"x\") }}\nprobe timer.s(1) {{ a[1] = 1; exit() }}\n"
            f"probe end {{\n  {body}\n}}\n")
    assert lint(text, "STP515") == []


def test_output_ends_without_newline_exit_prints_nothing():
    text = "probe timer.s(1) { exit() }\nprobe end {\n  printf(\"total: %d\", 1)\n  exit()\n}\n"
    assert marked(text, lint(text, "STP515")) == ['printf("total: %d", 1)']


def test_output_ends_without_newline_looks_at_the_last_end_probe_only():
    text = ("probe end { printf(\"first\") }\nprobe end { println(\" second\") }\n"
            "probe timer.s(1) { exit() }\n")
    assert lint(text, "STP515") == []


# ---------------------------------------------------------------- STP516 duplicate-probe


def test_duplicate_probe_point_in_a_list():
    text = "probe begin, timer.s(1), begin {\n  println(\"x\")\n  exit()\n}\n"
    found = lint(text, "STP516")
    assert marked(text, found) == ["begin"]
    assert found[0].span.start == text.rindex("begin")
    assert found[0].message == "'begin' is already in this probe's list: the handler runs twice for each event"
    assert fixed(text, "STP516") == "probe begin, timer.s(1) {\n  println(\"x\")\n  exit()\n}\n"


def test_duplicate_probe_point_through_braces_has_no_fix():
    text = "probe timer.{s(1),s(1)} { exit() }\n"
    found = lint(text, "STP516")
    assert len(found) == 1 and found[0].fix is None


def test_duplicate_probe_declaration():
    text = "probe timer.s(1) { println(1) }\nprobe timer.s(2) { exit() }\nprobe timer.s(1) { println(1) }\n"
    found = lint(text, "STP516")
    assert [d.message for d in found] == [
        "this probe repeats the one on line 1 (same points, same handler): both run for each event"]
    assert marked(text, found) == ["probe timer.s(1)"]


@pytest.mark.parametrize("text", [
    "probe timer.s(1) { println(1) }\nprobe timer.s(1) { println(2) }\n",  # split work
    "probe begin { println(1) }\nprobe begin { exit() }\n",
    "probe begin, end { println(1) }\nprobe timer.s(1) { exit() }\n",
    "probe never, never { println(1) }\nprobe begin { exit() }\n",  # placeholders
    "probe timer.s(1), timer.ms(1000) { exit() }\n",  # the same rate written two ways is not the same point
])
def test_duplicate_probe_not_reported(text):
    assert lint(text, "STP516") == []


# ---------------------------------------------------------------- STP517 unreachable-statement


def test_unreachable_statement_after_return():
    text = ("function f(x) {\n  if (x) return 1\n  return 2\n  println(\"never\")\n  x++\n}\n"
            "probe begin { println(f(1)); exit() }\n")
    found = lint(text, "STP517")
    assert marked(text, found) == ['println("never")\n  x++']
    assert found[0].message == "this code is never run: it follows 'return'"
    assert found[0].fix.applicability is Applicability.SAFE
    assert fixed(text, "STP517") == ("function f(x) {\n  if (x) return 1\n  return 2\n}\n"
                                     "probe begin { println(f(1)); exit() }\n")


_EVERY_WAY = "every way through the statement before it ends with next, return, break or continue"


@pytest.mark.parametrize("body, reason", [
    ("foreach (k in a) { continue; println(k) }", "it follows 'continue'"),
    ("while (1) { break\n println(1) }", "it follows 'break'"),
    ("if (a[1]) next\n  else { return }\n  println(2)", _EVERY_WAY),
    ("{ next }\n  println(3)", _EVERY_WAY),
])
def test_unreachable_statement_after_other_exits(body, reason):
    text = f"global a\nfunction f() {{\n  a[1] = 1\n  {body}\n}}\nprobe timer.s(1) {{ f() }}\n"
    assert messages(text, "STP517") == [f"this code is never run: {reason}"]


@pytest.mark.parametrize("body", [
    "exit()\n  println(1)",  # exit() does not stop the handler
    "if (a[1]) next\n  println(1)",  # only one branch leaves
    "next;",  # an empty statement after it
    "%( kernel_v >= \"2.6\" %? next %)\n  println(1)",  # dead for this target only
])
def test_unreachable_statement_not_reported(body):
    text = f"global a\nprobe timer.s(1) {{\n  a[1] = 1\n  {body}\n}}\n"
    assert lint(text, "STP517") == []


def test_unreachable_statement_fix_keeps_comments():
    text = "probe timer.s(1) {\n  next\n  # a note\n  println(1)\n}\n"
    found = lint(text, "STP517")
    assert len(found) == 1 and found[0].fix is None


# ---------------------------------------------------------------- STP518 assignment-in-condition


@pytest.mark.parametrize("code, condition", [
    ("if (x = 0) println(1)", "x = 0"),
    ("while (x = 1) break", "x = 1"),
    ("for (i = 0; x = 5; i++) break", "x = 5"),
    ("y = (x = 2) ? 1 : 0", "x = 2"),
])
def test_assignment_in_condition(code, condition):
    text = begin(f"  x = 7\n  {code}\n  println(x)")
    found = lint(text, "STP518")
    assert marked(text, found) == [condition]
    assert fixed(text, "STP518") == text.replace(condition, condition.replace("=", "=="))


@pytest.mark.parametrize("code", [
    "if (x == 0) println(1)",
    "if ((x = f())) println(1)",  # extra parentheses: meant
    "while ((x = f()) != 0) break",
    "y = ((x = 2)) ? 1 : 0",
    "if (x += 1) println(1)",  # not a plain '='
])
def test_assignment_in_condition_not_reported(code):
    text = begin(f"  x = 1; y = 0\n  {code}\n  println(x, y)", "function f() { return 0 }\n")
    assert lint(text, "STP518") == []


# ---------------------------------------------------------------- STP519 number-compared-as-string


@pytest.mark.parametrize("condition, literal", [
    ('s < "10"', '"10"'), ('"100" >= s', '"100"'), ('s > "-5"', '"-5"'), ('s <= "42"', '"42"'),
])
def test_number_compared_as_string(condition, literal):
    text = begin(f'  s = "9"\n  if ({condition}) println(s)')
    found = lint(text, "STP519")
    assert marked(text, found) == [literal]
    assert "compares strings alphabetically" in found[0].message


@pytest.mark.parametrize("condition", [
    's == "10"',  # equality of strings is exact
    's >= "0" && s <= "9"',  # one character: the digit test
    's < "abc"',
    's < "1.5"',  # not a whole number
])
def test_number_compared_as_string_not_reported(condition):
    assert lint(begin(f'  s = "9"\n  if ({condition}) println(s)'), "STP519") == []


# ---------------------------------------------------------------- STP520 division-by-zero


@pytest.mark.parametrize("code, what", [
    ("y = x / 0", "division"), ("y = x % 0", "remainder"), ("x /= 0", "division"), ("x %= (0)", "remainder"),
    ("y = x / -0", "division"), ("y = x / 0x0", "division"),
])
def test_division_by_zero(code, what):
    text = begin(f"  x = 5; y = 0\n  {code}\n  println(x, y)")
    assert messages(text, "STP520") == [f"{what} by zero: when this runs, stap stops the script with 'division by 0'"]


@pytest.mark.parametrize("code", ["y = x / 1", "y = 0 / x", "y = x / z", "x -= 0", "y = x * 0"])
def test_division_by_zero_not_reported(code):
    assert lint(begin(f"  x = 5; y = 0; z = 0\n  {code}\n  println(x, y, z)"), "STP520") == []


# ---------------------------------------------------------------- STP521 loop-never-ends


@pytest.mark.parametrize("loop", [
    "while (1) { n++; if (n > 3) exit() }",  # exit() does not leave the loop
    "for (;;) n++",
    "for (n = 0; 2; n++) { foreach (k in a) break }",  # that break leaves the inner loop only
    "while ((1)) { n++ }",
])
def test_loop_never_ends(loop):
    text = f"global a\nprobe begin {{\n  n = 0\n  {loop}\n  println(n)\n}}\n"
    found = lint(text, "STP521")
    assert len(found) == 1
    assert text[found[0].span.start:found[0].span.end] in ("while", "for")
    assert "MAXACTION exceeded" in found[0].message


@pytest.mark.parametrize("loop", [
    "while (1) { n++; if (n > 3) break }",
    "while (1) { if (n++ > 3) next }",
    "while (1) { if (n++ > 3) error(\"too many\") }",
    "while (1) { if (n++ > 3) fail() }",  # a script function that raises
    "while (n < 3) n++",
    "for (;;) { n++; if (n > 3) { foreach (k in a) println(k); break } }",
    "while (0) n++",
])
def test_loop_never_ends_not_reported(loop):
    text = (f"global a\nfunction fail() {{ error(\"x\") }}\n"
            f"probe begin {{\n  n = 0\n  {loop}\n  println(n)\n  exit()\n}}\n")
    assert lint(text, "STP521") == []


# ---------------------------------------------------------------- STP522 recursive-function


def test_recursive_function_directly_and_through_others():
    text = ("function fact(n) { return n <= 1 ? 1 : n * fact(n - 1) }\n"
            "function even(n) { return n == 0 ? 1 : odd(n - 1) }\n"
            "function odd(n) { return n == 0 ? 0 : even(n - 1) }\n"
            "probe begin { println(fact(5), even(4)); exit() }\n")
    found = lint(text, "STP522")
    assert [d.message.split(":")[0] for d in found] == [
        "function 'fact' calls itself", "function 'even' calls itself through odd()",
        "function 'odd' calls itself through even()"]
    assert found[0].severity is Severity.INFO
    assert marked(text, found) == ["fact", "even", "odd"]


def test_recursive_function_overloads_are_not_recursion():
    text = ("function show(x) { return show(x, 0) }\nfunction show(x, y) { return x + y }\n"
            "probe begin { println(show(1)); exit() }\n")
    assert lint(text, "STP522") == []


# ---------------------------------------------------------------- STP523 process-name-too-long


def test_process_name_too_long():
    text = begin('  if (execname() == "systemd-journald") println(1)\n'
                 '  if ("NetworkManager-dispatcher" != pid2execname(1)) println(2)')
    found = lint(text, "STP523")
    assert marked(text, found) == ['"systemd-journald"', '"NetworkManager-dispatcher"']
    assert found[0].message == ("execname() is at most 15 characters long (the kernel cuts task names): "
                                "this comparison with a 16-character name is never true")
    assert found[1].message.endswith("is always true")
    assert fixed(text, "STP523") == begin('  if (execname() == "systemd-journal") println(1)\n'
                                          '  if ("NetworkManager-" != pid2execname(1)) println(2)')


@pytest.mark.parametrize("code", [
    'if (execname() == "systemd-journal") println(1)',  # 15: fits
    'if (execname() =~ "systemd-journald") println(1)',
    'if (execname() < "systemd-journald-x") println(1)',
    'if (name() == "systemd-journald") println(1)',
])
def test_process_name_too_long_not_reported(code):
    assert lint(begin(f"  {code}", "function name() { return \"x\" }\n"), "STP523") == []


def test_process_name_too_long_a_script_may_define_its_own_execname():
    text = begin('  if (execname() == "a-very-long-process-name") println(1)',
                 'function execname() { return "a-very-long-process-name" }\n')
    assert lint(text, "STP523") == []


# ---------------------------------------------------------------- STP524 comparison-as-statement


def test_comparison_as_statement():
    text = begin("  x = 0; a[1] = 0\n  x == 10\n  a[1] == 2\n  x < 3\n  println(x, a[1])", "global a\n")
    found = lint(text, "STP524")
    assert marked(text, found) == ["x == 10", "a[1] == 2", "x < 3"]
    assert [d.fix is not None for d in found] == [True, True, False]
    assert fixed(text, "STP524") == begin("  x = 0; a[1] = 0\n  x = 10\n  a[1] = 2\n  x < 3\n  println(x, a[1])",
                                          "global a\n")


@pytest.mark.parametrize("code", ["x = 10", "if (x == 10) println(x)", "y = x == 10", "f(x == 10)"])
def test_comparison_as_statement_not_reported(code):
    assert lint(begin(f"  x = 0; y = 0\n  {code}\n  println(x, y)", "function f(v) { println(v) }\n"),
                "STP524") == []


# ---------------------------------------------------------------- STP403 unknown-architecture-name


@pytest.mark.parametrize("name, better", [
    ("i686", "i386"), ("aarch64", "arm64"), ("s390x", "s390"), ("ppc64le", "powerpc"), ("armv7l", "arm"),
    ("riscv64", "riscv"), ("mips64", "mips"), ("amd64", "x86_64"),
])
def test_unknown_architecture_name(name, better):
    text = f'probe begin {{\n%( arch == "{name}" %? println(1) %: println(2) %)\n  exit()\n}}\n'
    found = lint(text, "STP403")
    assert marked(text, found) == [f'"{name}"']
    assert found[0].message == (f'stap never calls the architecture "{name}" (it calls it "{better}"): '
                                f'this condition is never true')
    assert fixed(text, "STP403") == text.replace(f'"{name}"', f'"{better}"')


def test_unknown_architecture_name_x86_has_no_single_fix():
    text = 'probe begin {\n%( arch != "x86" %? println(1) %)\n  exit()\n}\n'
    found = lint(text, "STP403")
    assert found[0].message.endswith('(it calls it "i386" or "x86_64"): this condition is always true')
    assert found[0].fix is None


def test_unknown_architecture_name_in_a_branch_the_target_skips_and_runtimes():
    text = ('%( kernel_v < "2.0" %?\nprobe begin { %( arch == "i586" %? exit() %) }\n%:\n'
            'probe begin { %( runtime == "linux" %? exit() %: exit() %) }\n%)\n')
    assert messages(text, "STP403") == [
        'stap never calls the architecture "i586" (it calls it "i386"): this condition is never true',
        'the runtime is never "linux" (it is one of kernel, dyninst, bpf): this condition is never true']


@pytest.mark.parametrize("condition", [
    'arch == "x86_64"', 'arch == "arm64"', 'arch == "i?86"', 'arch != "powerpc"', 'runtime == "bpf"',
    'arch == "sparc64"',
])
def test_unknown_architecture_name_not_reported(condition):
    assert lint(f"probe begin {{\n%( {condition} %? exit() %: exit() %)\n}}\n", "STP403") == []


# ---------------------------------------------------------------- STP404 misleading-kernel-version-test


def test_misleading_kernel_version_test_release_part():
    text = 'probe begin {\n%( kernel_v >= "5.14.0-284" %? println(1) %)\n  exit()\n}\n'
    found = lint(text, "STP404")
    assert marked(text, found) == ['kernel_v >= "5.14.0-284"']
    assert found[0].message == ('kernel_v never has the release part (it is like "5.14.0"): on every 5.14.0 '
                                'kernel it compares "5.14.0", which sorts before "5.14.0-284", whatever the '
                                "kernel's release")
    assert fixed(text, "STP404") == text.replace("kernel_v >=", "kernel_vr >=")


def test_misleading_kernel_version_test_short_versions():
    text = ('probe begin {\n%( kernel_v == "3.10" %? println(1) %)\n'
            '%( kernel_vr <= "3.5" %? println(2) %)\n  exit()\n}\n')
    found = lint(text, "STP404")
    assert [d.message for d in found] == [
        'a kernel version has three numbers ("3.10.0"), so it never equals "3.10": this test is never true',
        '"3.5.0" and every later 3.5 kernel sort after "3.5": \'<= "3.5"\' leaves them out (it means \'< "3.5"\')']
    assert found[1].hints == ('for "3.5 or older" write < "3.6"',)
    assert fixed(text, "STP404") == text.replace('"3.10"', '"3.10.*"')


@pytest.mark.parametrize("condition", [
    'kernel_v >= "3.10"', 'kernel_v < "3.5"', 'kernel_v > "3.9"', 'kernel_v == "3.10.*"',
    'kernel_vr >= "5.14.0-284"', 'kernel_v <= "3.5.9"', 'systemtap_v <= "2.9"',
])
def test_misleading_kernel_version_test_not_reported(condition):
    assert lint(f"probe begin {{\n%( {condition} %? exit() %: exit() %)\n}}\n", "STP404") == []


# ---------------------------------------------------------------- the corpora


def _corpus_files():
    files = [("example", p) for p in example_files()]
    files += [("tapset", p) for p in tapset_files()]
    files += [("testsuite", p) for p in sorted(TESTSUITE.rglob("*.stp"))]
    return files


def _lint_corpus_file(kind, path, codes=FLOW_CODES):
    parse = ParseOptions(tapset=kind == "tapset", guru=kind == "example" and example_needs_guru(path))
    return lint_file(str(path), LintOptions(CheckOptions(parse=parse, session=SESSION), Selection(select=codes)))


@pytest.mark.corpus
def test_the_flow_rules_never_raise_on_the_corpora():
    require(EXAMPLES)
    require(TAPSET)
    require(TESTSUITE)
    checked = 0
    for kind, path in _corpus_files():
        result = _lint_corpus_file(kind, path)
        checked += result.checked.unit is not None
        for d in result.diagnostics:
            if d.code in FLOW_CODES:
                assert 0 <= d.span.start <= d.span.end <= len(result.text), (str(path), d)
    assert checked > 1200  # the files that parse and get to the rules


@pytest.mark.corpus
def test_fixes_on_the_corpora_give_text_that_parses():
    """Every fix of these rules, applied alone to the corpus file it was offered for, leaves a
    file that still parses."""
    from stapkit.syntax.parser import parse_text

    require(TESTSUITE)
    require(TAPSET)
    tried = 0
    for kind, path in _corpus_files():
        result = _lint_corpus_file(kind, path)
        for d in result.diagnostics:
            if d.code in FLOW_CODES and d.fix is not None:
                new, applied = apply_fixes(result.text, [d], unsafe=True)
                assert applied == 1
                parsed = parse_text(new, str(path), ParseOptions(tapset=kind == "tapset"))
                assert not parsed.has_errors, (str(path), d.code, [x.message for x in parsed.diagnostics])
                tried += 1
    assert tried >= 10


@pytest.mark.corpus
def test_findings_on_the_examples_are_the_known_ones():
    """The Debian examples: every finding was looked at, and each is a real risk."""
    require(EXAMPLES)
    found = set()
    for path in example_files():
        for d in _lint_corpus_file("example", path).diagnostics:
            if d.code in FLOW_CODES:
                found.add((str(path.relative_to(EXAMPLES)), d.code, d.message.split(" ")[0]
                           if d.code == "STP511" else d.message.split("'")[1]))
    assert found == {
        # `if (...) return` and an assignment on the next line: the assignment became the value
        # returned, made only when the function returns early
        ("general/socket-events.stp", "STP510", "return"),
        # printed in `end` with no @count check: an error when the probed function never ran
        ("general/func_time_stats.stp", "STP511", "@min(intervals)"),
        ("general/func_time_stats.stp", "STP511", "@avg(intervals)"),
        ("general/func_time_stats.stp", "STP511", "@max(intervals)"),
        ("general/func_time_stats.stp", "STP511", "@variance(intervals)"),
        ("profiling/latencytap.stp", "STP511", "@max(reason_len)"),
        # per-thread or per-process tables that event probes fill and look up, never cleaned
        ("general/socket-events.stp", "STP512", "sendtofd"),
        ("locks/bkl_stats.stp", "STP512", "holder_time"),
        ("memory/cachestat.stp", "STP512", "active"),
        ("process/chng_cpu.stp", "STP512", "threads"),
        ("process/futexes.stp", "STP512", "process_names"),
        ("process/futexes2.stp", "STP512", "process_names"),
        ("process/pstree.stp", "STP512", "depth"),
        ("process/schedtimes.stp", "STP512", "pid_names"),
        ("process/semop-watch.stp", "STP512", "threads"),
        ("process/semop-watch.stp", "STP512", "times"),
        ("process/sig_by_pid.stp", "STP512", "pid2name"),
    }
