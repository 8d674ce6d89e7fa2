"""Autocast: C types through a script's values, and `->` on them (semantic/autocast.py).

What stap does was checked with stap 4.8 (`stap -p2`) on each of these shapes; the
header types are compiled with gcc (those tests are skipped without it), the kernel's
come from the made-up kernel of tests/kernel/sample_kernel.py.
"""

from __future__ import annotations

import shutil

import pytest

from stapkit.kernel.c_headers import HeaderCompiler
from stapkit.kernel.loading import KernelSource
from stapkit.semantic.checker import check_text
from stapkit.semantic.options import CheckOptions
from stapkit.semantic.session import Session
from stapkit.syntax.options import ParseOptions
from tests.kernel.sample_kernel import write_sample_kernel

SESSION = Session()
CODES = {"STP321", "STP322", "STP325", "STP326", "STP327"}
UN = '& @cast(0, "sockaddr_un", "<sys/un.h>")'
UN2 = '& @cast(0, "sockaddr_un", "<sys/socket.h><sys/un.h>")'
needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs a C compiler (gcc) for <sys/un.h>")


def found(text: str, kernel: KernelSource = KernelSource(), session: Session = SESSION) -> list[tuple[str, str]]:
    result = check_text(text, "t.stp", CheckOptions(parse=ParseOptions(library_macros={}), kernel=kernel,
                                                     session=session))
    return [(d.code, d.severity.value) for d in result.diagnostics if d.code in CODES]


@needs_gcc
@pytest.mark.parametrize("text", [
    f"probe begin {{ println(({UN})->sun_family) }}",  # semok/autocast02
    f"probe begin {{ s = {UN}; println(s->sun_family) }}",  # a local
    f"probe begin {{ a = {UN}; b = a; println(b->sun_path[0]) }}",  # through two locals
    f"probe begin {{ println((randint(2) ? {UN} : & @cast(1, \"sockaddr_un\", \"<sys/un.h>\"))->sun_family) }}",
    f"probe begin {{ if (randint(2)) s = {UN}; else s = 0; println(s->sun_family) }}",  # a number adds nothing
    f"global g\nprobe begin {{ g = {UN}; println(g->sun_family) }}",  # a global
    f"function f(p) {{ return {UN} }}\nprobe begin {{ println(f(0)->sun_family) }}",  # a return
    f"probe begin {{ for (i = 0; i < 2; i++) {{ if (i) println(s->sun_family); s = {UN} }} }}",  # used before set
    f"probe begin {{ println(({UN} + 0)->sun_family) }}",  # stap folds `+ 0` away
    "probe begin { foo->has->no->type; println(1) }",  # semok/autocast09: elided
    f"probe begin {{ s = {UN}; println(s++); println(s->sun_family) }}",  # ++ does not retype
    "function f(p) { return p->sun_family }\nprobe begin { println(f(1)) }",  # a parameter: not followed
    "probe begin { println(task_current()->pid) }",  # a tapset function: may be typed
    "probe begin { if (@defined(x->y)) println(1) }",  # under @defined
])
def test_no_finding_where_stap_has_the_type_or_may_have_it(text):
    assert found(text) == []


@needs_gcc
@pytest.mark.parametrize("text, code", [
    (f"probe begin {{ println(({UN})->no_such_field) }}", "STP321"),  # semko/autocast02
    (f"probe begin {{ bad = (sun = {UN})->no_such_field; println(sun, bad) }}", "STP321"),  # autocast04
    (f"function f(p) {{ return {UN} }}\nprobe begin {{ println(f(0)->no_such_field) }}", "STP321"),  # autocast12
    (f"probe begin {{ println((randint(2) ? {UN} : {UN2})->sun_family) }}", "STP326"),  # autocast03
    (f"probe begin {{ if (randint(2)) s = {UN}; else s = {UN2}; println(s->sun_family) }}", "STP326"),  # 06
    (f"global suns\nprobe begin {{ suns[{UN}] = 1; foreach ([s] in suns) println(s->sun_family) }}", "STP326"),
    (f"global a\nprobe begin {{ a[1] = {UN}; println(a[1]->sun_family) }}", "STP326"),  # array elements
    (f"probe begin {{ println(({UN} + 1)->sun_family) }}", "STP326"),  # arithmetic
    ("probe begin { x = 0; println(x->foo) }", "STP326"),
    ("global g\nprobe begin { g = 1 }\nprobe end { println(g->x) }", "STP326"),
    (f"probe begin {{ s = {UN}; println(s->sun_family->x) }}", "STP322"),
    ('probe begin { println(@cast(0, "no_such_type", "<sys/un.h>")->x) }', "STP325"),
])
def test_the_error_stap_reports(text, code):
    assert code in {c for c, _ in found(text)}


def test_two_modules_with_the_same_struct_are_two_types_to_stap():
    pytest.importorskip("elftools")
    if shutil.which("gcc") is None:
        pytest.skip("needs gcc")
    text = f"function f() {{ if (randint(2)) return {UN}; return {UN2} }}\nprobe begin {{ println(f()->sun_family) }}"
    assert found(text) == [("STP326", "error")]  # semko/autocast13


def test_without_a_compiler_the_casts_are_unverifiable_said_once(tmp_path):
    session = Session()
    session._c_headers = HeaderCompiler(tmp_path, compiler="")
    text = f"probe begin {{ println(({UN})->no_such_field); println(({UN})->sun_path) }}"
    assert found(text, session=session) == [("STP327", "info")]


@needs_gcc
def test_a_header_that_does_not_compile_is_a_warning(tmp_path):
    text = 'probe begin { println(@cast(0, "x", "<sys/no_such_header_here.h>")->y) }'
    assert found(text) == [("STP327", "warning")]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    btf, symbols = write_sample_kernel(tmp_path_factory.mktemp("kernel"))
    return KernelSource(btf=str(btf), symbols=str(symbols))


def test_a_kernel_type_flows_through_a_local(sample):
    # semko/autocast11: mm = $prev->mm; println(mm->no_such_member)
    text = 'probe kernel.function("wake_up_new_task") {\n  mm = $p->mm\n  println(mm->no_such_member)\n}\n'
    assert found(text, sample) == [("STP321", "error")]
    good = 'probe kernel.function("wake_up_new_task") {\n  mm = $p->mm\n  println(mm->start_code)\n}\n'
    assert found(good, sample) == []


def test_without_a_kernel_description_a_variable_may_be_typed():
    text = 'probe kernel.function("wake_up_new_task") {\n  mm = $p->mm\n  println(mm->no_such_member)\n}\n'
    assert found(text) == []


@needs_gcc
def test_a_type_on_a_long_way_is_not_taken_for_no_type():
    # each round of the fixpoint moves the type one assignment on: past the bound of rounds,
    # "no type" is not sure, and not reported (a missing member of a type that arrived still is)
    n = 80
    chain = "".join(f"  s{i} = s{i + 1}\n" for i in range(n))
    text = f"probe begin {{\n{chain}  s{n} = {UN}\n  println(s0->sun_family)\n}}\n"
    assert found(text) == []
