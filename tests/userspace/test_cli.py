"""--sysroot and the `sysroot` configuration key; `db list`/`db show` for process points."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

SCRIPT = 'probe process("/usr/bin/prog").mark("strat") { println($arg1) }\n'


def stapkit(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "stapkit", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


@pytest.fixture
def image(tmp_path, programs):
    root = tmp_path / "image"
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/lib").mkdir(parents=True)
    shutil.copy(programs.plain, root / "usr/bin/prog")
    shutil.copy(programs.library, root / "usr/lib/libdemo.so")
    return root


def _codes(stdout: str) -> list[str]:
    return [d["code"] for d in json.loads(stdout)]


def test_lint_with_sysroot(tmp_path, image):
    script = tmp_path / "s.stp"
    script.write_text(SCRIPT)
    without = stapkit("lint", "--output-format", "json", str(script))
    assert without.returncode == 0 and _codes(without.stdout) == [], without.stderr
    given = stapkit("lint", "--output-format", "json", "--sysroot", str(image), str(script))
    assert given.returncode == 1 and _codes(given.stdout) == ["STP213"], given.stderr
    assert "(did you mean 'start'?)" in json.loads(given.stdout)[0]["message"]


def test_lint_with_sysroot_from_the_configuration(tmp_path, image):
    project = tmp_path / "project"
    project.mkdir()
    (project / "stapkit.toml").write_text(f'sysroot = "{os.path.relpath(image, project)}"\n')
    (project / "s.stp").write_text(SCRIPT)
    found = stapkit("lint", "--output-format", "json", "s.stp", cwd=project)
    assert found.returncode == 1 and _codes(found.stdout) == ["STP213"], found.stderr


def test_sysroot_that_is_not_a_directory(tmp_path):
    script = tmp_path / "s.stp"
    script.write_text(SCRIPT)
    found = stapkit("lint", "--sysroot", str(tmp_path / "nothing"), str(script))
    assert found.returncode == 2
    assert f"--sysroot: {tmp_path / 'nothing'} is not a directory" in found.stderr
    assert "Traceback" not in found.stderr


def test_configuration_sysroot_must_be_a_string(tmp_path):
    (tmp_path / "stapkit.toml").write_text("sysroot = 3\n")
    (tmp_path / "s.stp").write_text(SCRIPT)
    found = stapkit("lint", "s.stp", cwd=tmp_path)
    assert found.returncode == 2 and "sysroot" in found.stderr and "Traceback" not in found.stderr


def test_a_rebuilt_program_is_checked_again(tmp_path, programs):
    """The result cache must not keep an answer about an older build of the program."""
    program = tmp_path / "prog"
    shutil.copy(programs.library, program)  # first: no 'start' marker
    script = tmp_path / "s.stp"
    script.write_text(f'probe process("{program}").mark("start") {{ println(1) }}\n')
    first = stapkit("lint", "--output-format", "json", str(script))
    assert _codes(first.stdout) == ["STP213"]
    shutil.copy(programs.plain, program)
    second = stapkit("lint", "--output-format", "json", str(script))
    assert _codes(second.stdout) == [], second.stdout


def test_db_list_markers(programs):
    found = stapkit("db", "list", f'process("{programs.plain}").mark("*")')
    assert found.returncode == 0, found.stderr
    assert found.stdout.splitlines() == [
        f'process("{programs.plain}").provider("myapp").mark("helper__entry") $arg1:int32_t $arg2:int64_t',
        f'process("{programs.plain}").provider("myapp").mark("start")',
        f'process("{programs.plain}").provider("myapp").mark("request__start") '
        '$arg1:int32_t $arg2:uint64_t $arg3:uint64_t']


def test_db_list_functions_plt_and_a_library(programs):
    functions = stapkit("db", "list", f'process("{programs.plain}").function("h*")')
    assert functions.stdout.splitlines() == [f'process("{programs.plain}").function("helper")']
    plt = stapkit("db", "list", f'process("{programs.plain}").plt("*")', "--output-format", "json")
    assert {f'process("{programs.plain}").plt("printf")', f'process("{programs.plain}").plt("demo_work")'} \
        <= set(json.loads(plt.stdout))
    library = stapkit("db", "list", f'process("{programs.plain}").library("libdemo.so").mark("*")')
    assert library.stdout.splitlines() == [
        f'process("{programs.plain}").library("libdemo.so").provider("demolib").mark("work") $arg1:int32_t']
    nothing = stapkit("db", "list", f'process("{programs.plain}").mark("zz*")')
    assert nothing.returncode == 1 and "nothing in the program matches" in nothing.stderr


def test_db_show(programs):
    marker = stapkit("db", "show", f'process("{programs.plain}").mark("helper__entry")', "--output-format", "json")
    assert marker.returncode == 0, marker.stderr
    data = json.loads(marker.stdout)
    assert [(a["name"], a["type"]) for a in data["markers"][0]["arguments"]] == [
        ("$arg1", "int32_t"), ("$arg2", "int64_t")]
    function = stapkit("db", "show", f'process("{programs.stripped}").function("helper")')
    assert function.returncode == 1 and "not named in its symbol tables (the file is stripped)" in function.stdout
    exported = stapkit("db", "show", f'process("{programs.library}").function("demo_work")')
    assert exported.returncode == 0 and ".dynsym (exported)" in exported.stdout


@pytest.mark.parametrize("query, message", [
    ('process("/no/such/prog").mark("x")', "'/no/such/prog' is not on this machine"),
    ('process("/etc/passwd").mark("x")', "is not an ELF file"),
    ('process("/bin/sh").syscall', "is no process(\"PATH\").mark, .function or .plt point"),
    ('process("/bin/sh").mark(', "is not one probe point"),
])
def test_db_bad_queries(query, message):
    found = stapkit("db", "show", query)
    assert found.returncode == 2 and message in found.stderr and "Traceback" not in found.stderr


def test_db_show_function_parameters_from_dwarf(programs):
    shown = stapkit("db", "show", f'process("{programs.debug}").function("helper")')
    assert shown.returncode == 0, shown.stderr
    assert "  named in: .symtab, DWARF" in shown.stdout and "  parameters: $a $b" in shown.stdout


def test_db_show_of_process_aliases_and_families_is_the_databases():
    shown = stapkit("db", "show", "process.create")
    assert "renamed kprocess.create" in shown.stdout, shown.stderr
    family = stapkit("db", "list", "process.function(string)")
    assert family.returncode == 0 and "process.function(string)" in family.stdout


def test_config_command_shows_the_sysroot(tmp_path, image):
    (tmp_path / "stapkit.toml").write_text('sysroot = "image"\n')
    shown = stapkit("config", str(tmp_path), "--output-format", "json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["settings"]["sysroot"] == str(image)


def _cache_entries(directory) -> int:
    return sum(1 for p in directory.rglob("*") if p.is_file() and not p.name.startswith("."))


def test_only_scripts_naming_a_program_file_bypass_the_result_cache(tmp_path, monkeypatch):
    """`process.begin` or the word in a comment names no program file: such a script is cached."""
    monkeypatch.setenv("STAPKIT_CACHE_DIR", str(tmp_path / "cache"))
    plain = tmp_path / "plain.stp"
    plain.write_text("# one process, then exit\nprobe process.begin { println(pid()); exit() }\n")
    assert stapkit("lint", str(plain)).returncode == 0
    stored = _cache_entries(tmp_path / "cache")
    assert stored > 0
    naming = tmp_path / "naming.stp"
    naming.write_text('probe process /* the shell */ ("/bin/sh").begin { exit() }\n')
    assert stapkit("lint", str(naming)).returncode == 0
    assert _cache_entries(tmp_path / "cache") == stored
