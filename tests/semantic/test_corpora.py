"""The semantic checker on the real corpora, read in place.

* semko: each script that stap 4.8 rejects for a static reason (the list of
  ../shared/reference/corpus-expectations.md) gets an error, of the same kind
  as stap's first one.  stap's first errors were recorded with
  `../shared/tools/stap_oracle.py --pass 2` (stap 4.8, fake kernel tree).
* semok: the 51 scripts stap accepts offline get no error.
* buildok, the Debian examples, the tapset library: no error at error severity
  but for the cases listed, each with the reason.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

import pytest

from stapkit.diagnostics import Severity
from stapkit.semantic.checker import CheckOptions, check_file
from stapkit.syntax.parser import ParseOptions

from ..corpora import EXAMPLES, EXPECTATIONS, TAPSET, TESTSUITE, example_options, require
from stapkit.semantic.session import Session

SESSION = Session()  # one database and resolver for the module's checks

# The kinds of error: stap's first message, and the stapkit codes of that kind.
KINDS = {
    "symbols": {"STP101", "STP102", "STP103", "STP104"},
    "types": {"STP105", "STP106", "STP107", "STP108", "STP109", "STP110", "STP111"},
    "statements": {"STP120", "STP121", "STP122", "STP123", "STP124", "STP125"},
    "probes": {"STP201", "STP202", "STP203", "STP204", "STP205", "STP604"},
    "context": {"STP302", "STP303", "STP304", "STP305", "STP306"},
    "privilege": {"STP603", "STP605"},
    "no-probes": {"STP130"},
    # -W on the first line makes stap's warnings errors: the lint rules of stap's warnings
    "warnings-as-errors": {"STP501", "STP525"},
    # C types through values: a member the struct lacks, `->` on a value with no C type
    "autocast": {"STP321", "STP326"},
}

# semko script -> (kind of stap's first error, stap's message), from stap 4.8 -p2.
STAP_SEMKO = {
    "array01.stp": ("symbols", "inconsistent arity"),
    "array02.stp": ("symbols", "unresolved arity-2 global array array, missing global declaration?"),
    "array_slicing01.stp": ("symbols", "unresolved arity-6 global array __global_val, missing global declaration?"),
    "array_slicing02.stp": ("types", "index 0 type mismatch (string)"),
    "array_slicing03.stp": ("types", "index 0 type mismatch (string)"),
    "array_slicing04.stp": ("types", "index 2 type mismatch (string)"),
    "array_slicing05.stp": ("symbols", "inconsistent arity (3 vs 4)"),
    "array_slicing06.stp": ("symbols", "inconsistent arity (3 vs 2)"),
    "autocast01.stp": ("symbols", "inconsistent arity (0 vs 1)"),
    "autocast07.stp": ("context", "cannot write to pretty-printed variable"),
    "autocast08.stp": ("context", "write not permitted; need stap -g"),
    "autocast09.stp": ("types", "unresolved type"),
    "badregex01.stp": ("statements", "regex compilation error (at position 6): unclosed character class"),
    "binexpr_infer_type.stp": ("types", "type mismatch (long)"),
    "binexpr_infer_type2.stp": ("types", "type mismatch (long)"),
    "binexpr_infer_type3.stp": ("types", "type mismatch: expected long but found string"),
    "binexpr_infer_type4.stp": ("types", "type mismatch: expected long but found string"),
    "eight.stp": ("types", "type mismatch: expected long but found string"),
    "eleven.stp": ("types", "type mismatch (string)"),
    "entry02.stp": ("context", "while processing probe begin (@entry outside a .return probe)"),
    "fifteen.stp": ("statements", "variable 'tangle' modified during 'foreach' iteration"),
    "five.stp": ("symbols", "arity mismatch found (function 'bar' takes 0 args)"),
    "foreachstmt01.stp": ("types", "type mismatch: expected long but found string"),
    "foreachstmt02.stp": ("types", "type mismatch (long)"),
    "foreachstmt03.stp": ("types", "invalid type stats"),
    "foreachstmt04.stp": ("types", "invalid type long"),
    "fortynine.stp": ("types", "type mismatch (long)"),
    "fortysix.stp": ("types", "type mismatch: expected string but found long"),
    "four.stp": ("types", "unresolved type"),
    "fourteen.stp": ("statements", "function call modifies var 'foo' during 'foreach' iteration"),
    "global_access.stp": ("types", "Aggregates not available in embedded-C"),
    "gurufunc.stp": ("privilege", "function may not be used unless -g is specified"),
    "local_array.stp": ("symbols", "unresolved arity-1 global array a, missing global declaration?"),
    "local_stat.stp": ("types", "stat locals not supported, missing global declaration?"),
    "logging-embedded.stp": ("privilege", "function may not be used unless -g is specified"),
    "map_wrap_bad.stp": ("types", "wrapping not supported for scalars"),
    "nine.stp": ("symbols", "inconsistent arity (1 vs 0)"),
    "nofunc.stp": ("symbols", "unresolved function foo (similar: log, HZ, pn, pp, cpu)"),
    "one.stp": ("types", "unresolved type"),
    "probe_elision.stp": ("no-probes", "no probes found"),
    "procfs04.stp": ("context", "procfs $value variable is read-only in a procfs write probe"),
    "procfs05.stp": ("context", "procfs $value variable cannot be read in a procfs read probe"),
    "procfs11.stp": ("context", "procfs variable '$value' may not be used as a structure"),
    "procfs12.stp": ("context", "procfs variable '$value' may not be used as array"),
    "seven.stp": ("types", "index 0 type mismatch (string)"),
    "six.stp": ("symbols", "inconsistent arity (1 vs 2)"),
    "source_context.stp": ("symbols", "unresolved function eeexit (similar: exit, egid, euid, gid, pid)"),
    "task_ns.stp": ("privilege", "function may not be used unless -g is specified"),
    "ten.stp": ("symbols", "inconsistent arity (0 vs 1)"),
    "thirteen.stp": ("statements", "function call modifies var 'foo' during 'foreach' iteration"),
    "thirty.stp": ("types", "type mismatch (long)"),
    "thirtyone.stp": ("types", "type mismatch (long)"),
    "three.stp": ("types", "invalid type stats"),
    "twelve.stp": ("types", "type mismatch: expected long but found string"),
    "twenty.stp": ("types", "type mismatch: expected long but found string"),
    "twentyeight.stp": ("types", "type mismatch (long)"),
    "twentyfive.stp": ("types", "unresolved type"),
    "twentyfour.stp": ("types", "unresolved type"),
    "twentynine.stp": ("types", "type mismatch: expected stats but found long"),
    "twentyseven.stp": ("types", "type mismatch (stats)"),
    "twentysix.stp": ("types", "type mismatch (long)"),
    "twentythree.stp": ("probes", "while registering probe alias"),
    "two.stp": ("types", "type mismatch: expected long but found string"),
    "twotwo.stp": ("types", "unresolved type"),
    "typemismatch1.stp": ("types", "type mismatch (string)"),
    "typemismatch2.stp": ("types", "type mismatch (string)"),
    "typemismatch3.stp": ("types", "type mismatch (stats)"),
    "typemismatch4.stp": ("types", "type mismatch (long)"),
    "typemismatch5.stp": ("types", "type mismatch (string)"),
    "var_definition.stp": ("context", "unresolved target-symbol expression"),
    "zero.stp": ("statements", "Expecting lvalue for assignment"),
    "thirtyseven.stp": ("context", "debuginfo scope not found for module '', cannot resolve context variable"),
    # With -W; stap 4.8 prints these warnings only with -vvvv (overload) or not at all
    # (fortyeight: its global is excluded as unused before the warning), but the testsuite
    # expects them refused.
    "fortyeight.stp": ("warnings-as-errors", "eliding unused variable 'foo' (a warning, an error with -W)"),
    "overload.stp": ("warnings-as-errors", "instance of overloaded function will never be reached (with -W)"),
}

# semko scripts whose C types come from headers compiled with gcc (skipped without it), or
# from the kernel's BTF (the running kernel's /sys/kernel/btf/vmlinux; skipped without it).
AUTOCAST_SEMKO = {
    "autocast02.stp": "unable to find member 'no_such_field' for struct sockaddr_un",
    "autocast03.stp": "unknown type in dereference",
    "autocast04.stp": "unable to find member 'no_such_field' for struct sockaddr_un",
    "autocast06.stp": "unknown type in dereference",
    "autocast12.stp": "unable to find member 'no_such_field' for struct sockaddr_un",
    "autocast13.stp": "unknown type in dereference",
    "autocast14.stp": "unknown type in dereference",
    # offline stap says "no probes found"; with the kernel's types the member is missing
    "autocast11.stp": "unable to find member 'no_such_member' for struct mm_struct (with debuginfo)",
}
RUNNING_BTF = Path("/sys/kernel/btf/vmlinux")


def _listed(heading: str) -> list[str]:
    text = require(EXPECTATIONS).read_text()
    part = text.split(heading, 1)[1].split("\n## ", 1)[0]
    return [line[2:].strip() for line in part.splitlines() if line.startswith("- ")]


def _errors(path: Path, **parse) -> list:
    result = check_file(str(path), CheckOptions(parse=ParseOptions(**parse), session=SESSION))
    return [d for d in result.diagnostics if d.severity is Severity.ERROR]


def _lint_errors(path: Path) -> list:
    """The errors of `stapkit lint` (the checker's and the lint rules', -W applied)."""
    from stapkit.lint.runner import LintOptions, lint_file

    result = lint_file(str(path), LintOptions(CheckOptions(parse=ParseOptions(), session=SESSION)))
    return [d for d in result.diagnostics if d.severity is Severity.ERROR]


SEMKO = "## semko: fail for a purely static reason"
SEMOK = "## semok: pass stap 4.8 -p2 offline"


@pytest.mark.corpus
def test_the_expectations_list_82_semko_and_51_semok_scripts():
    assert len(_listed(SEMKO)) == 82 and len(_listed(SEMOK)) == 51
    assert set(_listed(SEMKO)) == set(STAP_SEMKO) | set(AUTOCAST_SEMKO)


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(STAP_SEMKO))
def test_semko_gets_an_error_of_the_kind_stap_reports(name):
    kind, stap_message = STAP_SEMKO[name]
    path = require(TESTSUITE / "semko" / name)
    errors = _lint_errors(path) if kind == "warnings-as-errors" else _errors(path)
    assert errors, f"no error; stap says: {stap_message}"
    found = {d.code for d in errors}
    assert found & KINDS[kind], f"stap: {stap_message} ({kind}); stapkit: {[(d.code, d.message) for d in errors]}"


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(AUTOCAST_SEMKO))
def test_autocast_semko_gets_the_error_stap_reports(name):
    import shutil

    from stapkit.kernel.loading import KernelSource

    path = require(TESTSUITE / "semko" / name)
    kernel = KernelSource()
    if name == "autocast11.stp":
        if not os.access(RUNNING_BTF, os.R_OK):
            pytest.skip("needs the running kernel's BTF (/sys/kernel/btf/vmlinux)")
        kernel = KernelSource(btf=str(RUNNING_BTF))
    elif shutil.which("gcc") is None:
        pytest.skip("needs a C compiler (gcc) to read <sys/un.h>, as stap does")
    result = check_file(str(path), CheckOptions(parse=ParseOptions(), session=SESSION, kernel=kernel))
    errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
    assert {d.code for d in errors} & KINDS["autocast"], \
        f"stap: {AUTOCAST_SEMKO[name]}; stapkit: {[(d.code, d.message) for d in errors]}"


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(_listed(SEMOK)) if EXPECTATIONS.exists() else [])
def test_semok_gets_no_error(name):
    errors = _errors(require(TESTSUITE / "semok" / name))
    assert errors == [], [(d.code, d.message, d.span) for d in errors]


# -- no error on real code


# The examples stap rejects too (tests/syntax/test_corpus.py says why).
EXAMPLES_STAP_REJECTS = {"security-bandaid-template.stp"}
# Examples for the tapsets of other packages, which stap (and stapkit) without them rejects:
# an unknown probe point (STP201) that is not optional is an error, whatever its name.
EXAMPLES_NEED_OTHER_TAPSETS = {"gmalloc_watch.stp": "glib.* (the tapset of glib's development package)"}
# buildok scripts that call functions stap 4.8's tapsets do not have (the test is older
# than their removal): stap fails on them as stapkit does.
BUILDOK_GONE_IN_4_8 = {"inet_sock-embedded.stp": "inet_get_dest_port, inet_get_ip_dest"}


def _example_paths():
    from ..corpora import example_files

    return [p for p in example_files() if p.name not in EXAMPLES_STAP_REJECTS | set(EXAMPLES_NEED_OTHER_TAPSETS)]


@pytest.mark.corpus
def test_no_error_on_the_debian_examples():
    require(EXAMPLES)
    found = {}
    for path in _example_paths():
        errors = _errors(path, **example_options(path))
        if errors:
            found[str(path.relative_to(EXAMPLES))] = [(d.code, d.message) for d in errors[:3]]
    assert found == {}


@pytest.mark.corpus
def test_no_error_on_the_buildok_scripts_stap_runs():
    from ..corpora import stap_run_scripts

    scripts = stap_run_scripts("buildok")
    assert len(scripts) == 213
    found = {}
    for path in scripts:
        errors = _errors(path)
        if errors and path.name not in BUILDOK_GONE_IN_4_8:
            found[path.name] = [(d.code, d.message) for d in errors[:3]]
    assert found == {}


@pytest.mark.corpus
def test_gone_functions_of_old_buildok_scripts_are_reported():
    (path,) = [TESTSUITE / "buildok" / name for name in BUILDOK_GONE_IN_4_8]
    assert {d.code for d in _errors(require(path))} == {"STP101"}


@pytest.mark.corpus
def test_no_error_on_the_tapset_library():
    require(TAPSET)
    found = {}
    for path in sorted(TAPSET.glob("**/*.stp")):
        errors = _errors(path, tapset=True)
        if errors:
            found[str(path.relative_to(TAPSET))] = [(d.code, d.message) for d in errors[:3]]
    assert found == {}
