"""process(...) probe points checked against the programs the tests build (userspace.points via the checker)."""

from __future__ import annotations

import os
import shutil

import pytest

from stapkit.semantic.checker import CheckOptions, check_text

USER_CODES = {"STP210", "STP213", "STP214", "STP215", "STP216", "STP330", "STP331"}


def _found(text: str, **options) -> list[tuple[str, str, int, str]]:
    result = check_text(text, "t.stp", CheckOptions(**options))
    assert result.unit is not None, [d.message for d in result.diagnostics]
    lines = result.text.splitlines(keepends=True)

    def line_of(offset):
        total = 0
        for number, line in enumerate(lines, 1):
            total += len(line)
            if offset < total:
                return number
        return len(lines)

    return [(d.code, d.severity.value, line_of(d.span.start), d.message) for d in result.diagnostics
            if d.code in USER_CODES]


def _hints(text: str, code: str, **options) -> tuple[str, ...]:
    result = check_text(text, "t.stp", CheckOptions(**options))
    return next(d.hints for d in result.diagnostics if d.code == code)


# ---------------------------------------------------------------- .mark


def test_markers_that_exist_pass(programs):
    p = programs.plain
    text = (f'probe process("{p}").mark("helper__entry") {{ println($arg1 + $arg2) }}\n'
            f'probe process("{p}").provider("myapp").mark("request__start") {{ println($arg3) }}\n'
            f'probe process("{p}").mark("start") {{ println(1) }}\n'
            f'probe process("{p}").mark("*") {{ println(1) }}\n'
            f'probe process("{p}").provider("my*").mark("re*") {{ println($arg3) }}\n'
            f'probe process("{p}").mark("request-start") {{ println(1) }}\n')  # dtrace's spelling
    assert _found(text) == []


def test_misspelt_marker_gets_a_suggestion(programs):
    p = programs.plain
    assert _found(f'probe process("{p}").mark("request_start") {{ println(1) }}\n') == [
        ("STP213", "error", 1, f"{os.path.realpath(p)} has no SDT marker 'request_start' "
                               "(did you mean 'request__start'?)")]


def test_wildcard_that_matches_no_marker(programs):
    found = _found(f'probe process("{programs.plain}").mark("stop*") {{ println(1) }}\n')
    assert [(c, m.split(" in ")[0]) for c, _, _, m in found] == [("STP213", "no SDT marker")]


def test_unknown_provider(programs):
    found = _found(f'probe process("{programs.plain}").provider("myap").mark("start") {{ println(1) }}\n')
    assert [(c, m.endswith("(did you mean 'myapp'?)")) for c, _, _, m in found] == [("STP213", True)]


def test_optional_marker_is_not_reported(programs):
    assert _found(f'probe process("{programs.plain}").mark("nosuch") ? {{ println(1) }}\n') == []


def test_program_without_markers(programs, tmp_path):
    need_plain = tmp_path / "nomarkers"
    shutil.copy("/bin/sh" if os.path.exists("/bin/sh") else programs.library, need_plain)
    found = _found(f'probe process("{need_plain}").mark("x") {{ println(1) }}\n')
    assert [(c, "has no SDT markers" in m) for c, _, _, m in found] == [("STP213", True)]


def test_marker_of_a_library(programs):
    text = (f'probe process("{programs.plain}").library("libdemo.so").mark("work") {{ println($arg1) }}\n'
            f'probe process("{programs.library}").mark("work") {{ println($arg2) }}\n')
    assert [(c, line) for c, _, line, _ in _found(text)] == [("STP330", 2)]


# ---------------------------------------------------------------- $argN


def test_argument_beyond_the_markers(programs):
    text = f'probe process("{programs.plain}").mark("helper__entry") {{ println($arg1, $arg3) }}\n'
    assert _found(text) == [("STP330", "error", 1, "$arg3: marker myapp:helper__entry has 2 arguments")]
    assert _hints(text, "STP330")[0] == "myapp:helper__entry($arg1:int32_t, $arg2:int64_t)"


def test_arguments_of_several_markers_count_the_fewest(programs):
    text = f'probe process("{programs.plain}").mark("*") {{ println($arg1) }}\n'
    assert [m for _, _, _, m in _found(text)] == ["$arg1: marker myapp:start has 0 arguments"]


def test_argument_under_defined_is_not_reported(programs):
    text = (f'probe process("{programs.plain}").mark("*") {{\n'
            '  if (@defined($arg3)) println($arg3)\n'
            '  println(@defined($arg2) ? $arg2 : 0)\n}\n')
    assert _found(text) == []


# ---------------------------------------------------------------- .function and .plt


def test_functions_of_an_unstripped_program(programs):
    p = programs.plain
    text = (f'probe process("{p}").function("helper") {{ println(1) }}\n'
            f'probe process("{p}").function("main").return {{ println(1) }}\n'
            f'probe process("{p}").function("help*").call {{ println(1) }}\n'
            f'probe process("{p}").function("helper@prog.c:12") {{ println(1) }}\n'
            f'probe process("{p}").function("helpr") {{ println(1) }}\n'
            f'probe process("{p}").function("always_inlined") {{ println(1) }}\n')
    found = _found(text)
    assert [(c, s, line) for c, s, line, _ in found] == [("STP214", "warning", 5), ("STP214", "warning", 6)]
    assert found[0][3].endswith("(did you mean 'helper'?)")
    hint = _hints(f'probe process("{p}").function("always_inlined") {{ println(1) }}\n', "STP214")[0]
    assert "inlined at every call" in hint and "stripped" not in hint


def test_functions_of_a_stripped_program_stay_unverifiable(programs):
    """Only .dynsym is left: main and every static function are missing from it, so a miss says nothing."""
    text = f'probe process("{programs.stripped}").function("helper") {{ println(1) }}\n'
    assert _found(text) == []
    found = _found(text, explain_unverifiable=True)
    assert [(c, "is stripped: only its exported functions" in m) for c, _, _, m in found] == [("STP210", True)]
    plt = f'probe process("{programs.stripped}").plt("prinft") {{ println(1) }}\n'
    assert [c for c, _, _, _ in _found(plt)] == ["STP214"]  # the PLT survives strip


def test_functions_of_a_program_with_mini_debuginfo(programs):
    if programs.mini is None:
        pytest.skip("xz, objcopy or nm missing: no .gnu_debugdata program built")
    text = (f'probe process("{programs.mini}").function("helper") {{ println(1) }}\n'
            f'probe process("{programs.mini}").function("nosuch") {{ println(1) }}\n')
    found = _found(text)
    assert [(c, line) for c, _, line, _ in found] == [("STP214", 2)]
    assert "mini-debuginfo" in _hints(text, "STP214")[0]


def test_debug_file_by_build_id_under_the_sysroot(programs, tmp_path):
    from stapkit.userspace.elf import read_elf

    root = tmp_path / "root"
    (root / "usr/bin").mkdir(parents=True)
    shutil.copy(programs.stripped, root / "usr/bin/prog")
    build_id = read_elf(str(programs.stripped)).build_id
    debug = root / "usr/lib/debug/.build-id" / build_id[:2] / f"{build_id[2:]}.debug"
    debug.parent.mkdir(parents=True)
    shutil.copy(programs.plain, debug)  # the same link: its .symtab names the functions
    text = ('probe process("/usr/bin/prog").function("helper") { println(1) }\n'
            'probe process("/usr/bin/prog").function("nosuch") { println(1) }\n')
    found = _found(text, sysroot=str(root))
    assert [(c, line) for c, _, line, _ in found] == [("STP214", 2)]
    assert "its debug file" in _hints(text, "STP214", sysroot=str(root))[0]


def test_plt(programs):
    p = programs.plain
    text = (f'probe process("{p}").plt("printf") {{ println(1) }}\n'
            f'probe process("{p}").plt("demo_*") {{ println(1) }}\n'
            f'probe process("{p}").plt("prinft") {{ println(1) }}\n'
            f'probe process("{p}").plt {{ println(1) }}\n')
    found = _found(text)
    assert [(c, line) for c, _, line, _ in found] == [("STP214", 3)]
    assert found[0][3].endswith("calls no 'prinft' through its PLT (did you mean 'printf'?)")


# ---------------------------------------------------------------- .library


def test_library_loaded_through_runpath(programs):
    p = programs.plain
    text = (f'probe process("{p}").library("libdemo.so").function("demo_work") {{ println(1) }}\n'
            f'probe process("{p}").library("libdemo.so").function("demo_wrk") {{ println(1) }}\n'
            f'probe process("{p}").library("libc.so.6").function("malloc") {{ println(1) }}\n'
            f'probe process("{p}").library("libnosuch.so.1").function("f") {{ println(1) }}\n'
            f'probe process("{p}").library("lib*").function("f") ? {{ println(1) }}\n'
            f'probe process("{p}").library("libzz*").function("f") {{ println(1) }}\n')
    found = _found(text)
    assert [(c, s, line) for c, s, line, _ in found] == [
        ("STP214", "warning", 2), ("STP215", "warning", 4), ("STP215", "warning", 6)]
    assert found[1][3] == "library 'libnosuch.so.1' is not found"


def test_library_the_program_does_not_load(programs, tmp_path):
    other = tmp_path / "libother.so"
    shutil.copy(programs.library, other)
    found = _found(f'probe process("{programs.plain}").library("{other}").function("demo_work") {{ println(1) }}\n')
    assert [(c, s) for c, s, _, _ in found] == [("STP215", "info")]
    assert "does not load" in found[0][3]


# ---------------------------------------------------------------- what is left unverifiable, and bad files


def test_missing_program_is_unverifiable(tmp_path):
    text = f'probe process("{tmp_path}/nosuch").mark("x") {{ println($arg9) }}\n'
    assert _found(text) == []
    assert [c for c, _, _, _ in _found(text, explain_unverifiable=True)] == ["STP210"]


def test_found_program_is_not_unverifiable(programs):
    text = f'probe process("{programs.plain}").mark("start") {{ println(1) }}\n'
    assert _found(text, explain_unverifiable=True) == []


def test_not_elf_is_one_finding(tmp_path):
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\n")
    text = (f'probe process("{script}").mark("x") {{ println(1) }}\n'
            f'probe process("{script}").function("f") {{ println(1) }}\n')
    assert _found(text) == [("STP216", "error", 1, f"{script} is not an ELF file"),
                            ("STP216", "error", 2, f"{script} is not an ELF file")]
    assert _found(f'probe process("{script}").mark("x") ? {{ println(1) }}\n') == []


def test_damaged_program_is_one_finding(programs, tmp_path):
    cut = tmp_path / "cut"
    cut.write_bytes(programs.plain.read_bytes()[:2000])
    found = _found(f'probe process("{cut}").mark("start") {{ println(1) }}\n')
    assert [(c, m.startswith(f"{cut} is a damaged ELF file")) for c, _, _, m in found] == [("STP216", True)]


def test_sysroot_option(programs, tmp_path):
    root = tmp_path / "root"
    (root / "usr/bin").mkdir(parents=True)
    shutil.copy(programs.plain, root / "usr/bin/prog")
    text = 'probe process("/usr/bin/prog").mark("strat") { println(1) }\n'
    assert _found(text) == []  # not on this machine: unverifiable
    found = _found(text, sysroot=str(root))
    assert [(c, m.endswith("(did you mean 'start'?)")) for c, _, _, m in found] == [("STP213", True)]


def test_points_of_a_tapset_alias_are_not_judged(programs):
    text = (f'probe myalias = process("{programs.plain}").mark("nosuch") {{ }}\n'
            'probe myalias { println(1) }\n')
    assert _found(text) == []


def test_process_by_number_and_any_process_are_left_alone():
    text = ('probe process(123).mark("x") { println($arg7) }\n'
            'probe process.function("x") { println(1) }\n')
    assert _found(text) == []


# ---------------------------------------------------------------- DWARF: $names of .function probes


def test_dwarf_parameters_locals_and_globals(programs):
    p = programs.debug
    text = (f'probe process("{p}").function("helper") {{ println($a, $b, $counter, $$parms) }}\n'
            f'probe process("{p}").function("helper") {{ println($c) }}\n'
            f'probe process("{p}").function("helper").return {{ println($return, @entry($bb)) }}\n'
            f'probe process("{p}").function("main") {{ if (@defined($zz)) println($zz) }}\n'
            f'probe process("{p}").function("h*") {{ println($a) }}\n')
    found = _found(text)
    assert [(c, s, line) for c, s, line, _ in found] == [("STP331", "warning", 2), ("STP331", "warning", 3)]
    assert found[0][3] == (f"$c is neither a parameter nor a local variable of helper in {os.path.realpath(p)}, "
                           "nor one of its global variables")
    assert found[1][3].endswith("(did you mean 'b'?)")
    assert _hints(text, "STP331")[0] == "the parameters of helper: $a, $b"


def test_without_dwarf_names_are_not_judged(programs):
    assert _found(f'probe process("{programs.plain}").function("helper") {{ println($zz) }}\n') == []


def test_dwarf_knows_inlined_functions(programs):
    text = f'probe process("{programs.debug}").function("always_inlined") {{ println($x, $y) }}\n'
    assert [(c, m.split(" is ")[0]) for c, _, _, m in _found(text)] == [("STP331", "$y")]  # no STP214
    nosuch = _found(f'probe process("{programs.debug}").function("nosuch") {{ println(1) }}\n')
    assert [c for c, _, _, _ in nosuch] == ["STP214"]


def test_dwarf_of_a_debug_file_by_build_id(programs, tmp_path):
    from stapkit.userspace.elf import read_elf

    need_debug = read_elf(str(programs.debug))
    root = tmp_path / "root"
    (root / "usr/bin").mkdir(parents=True)
    stripped = root / "usr/bin/prog"
    shutil.copy(programs.debug, stripped)
    import subprocess

    subprocess.run(["strip", str(stripped)], check=True)
    debug = root / "usr/lib/debug/.build-id" / need_debug.build_id[:2] / f"{need_debug.build_id[2:]}.debug"
    debug.parent.mkdir(parents=True)
    shutil.copy(programs.debug, debug)
    text = 'probe process("/usr/bin/prog").function("helper") { println($a, $nope) }\n'
    assert [(c, line) for c, _, line, _ in _found(text, sysroot=str(root))] == [("STP331", 1)]


def test_dwarf_is_read_only_when_a_question_needs_it(programs):
    from stapkit.userspace.dwarf import read_dwarf_file
    from stapkit.userspace.points import Place, UserPoint, check_point, check_variables

    asked = []

    def reader(path):
        asked.append(path)
        return read_dwarf_file(path)

    place = Place(dwarf_reader=reader)
    point = UserPoint("process.function", (("process", str(programs.debug)), ("function", "helper")), (), False)
    checked = check_point(point, place)
    assert checked.findings == () and asked == []  # helper is in .symtab
    from stapkit.syntax.parser import parse_text

    body = parse_text("probe begin { println(1) }\n").script.items[0].body
    assert check_variables(body, checked.scopes, place) == [] and asked == []  # a handler with no $names
    inlined = UserPoint("process.function", (("process", str(programs.debug)), ("function", "always_inlined")),
                        (), False)
    assert check_point(inlined, place).findings == () and len(asked) == 1  # not in .symtab: the DWARF says


def test_dwarf_too_big_is_not_read(programs, monkeypatch):
    from stapkit.userspace import dwarf

    monkeypatch.setattr(dwarf, "MAX_DEBUG_INFO", 16)
    assert dwarf.read_dwarf_file(str(programs.debug)) is None
    text = f'probe process("{programs.debug}").function("helper") {{ println($nope) }}\n'
    assert _found(text) == []
