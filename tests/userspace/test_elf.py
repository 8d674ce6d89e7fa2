"""userspace.elf: what an ELF file says, compared with `readelf -n` (the oracle for markers)."""

from __future__ import annotations

import lzma
import os
import re
import shutil
import subprocess

import pytest

from stapkit.semantic.session import Session
from stapkit.userspace.elf import read_elf
from stapkit.userspace.sdt import parse_arguments

from .programs import MARKERS, need

PYTHON = "/usr/bin/python3.11"


def _readelf_markers(path) -> list[tuple[str, str, str]]:
    """(provider, name, arguments) of each stapsdt note, as binutils' readelf prints them."""
    need("readelf", shutil.which("readelf") is not None)
    out = subprocess.run(["readelf", "-n", str(path)], capture_output=True, text=True, check=True, timeout=60).stdout
    found = []
    for block in out.split("NT_STAPSDT")[1:]:
        provider = re.search(r"Provider: (\S+)", block).group(1)
        name = re.search(r"Name: (\S+)", block).group(1)
        args = re.search(r"Arguments: ?(.*)", block).group(1).strip()
        found.append((provider, name, args))
    return found


def _as_readelf(marker) -> tuple[str, str, str]:
    args = " ".join(f"{'-' if a.signed else ''}{a.size}{'f' if a.floating else ''}@{a.location}" for a in marker.args)
    return marker.provider, marker.name, args


@pytest.mark.parametrize("kind", ["plain", "debug", "stripped", "library"])
def test_markers_are_readelfs(programs, kind):
    path = getattr(programs, kind)
    elf = read_elf(str(path))
    assert elf.problem is None
    assert [_as_readelf(m) for m in elf.markers] == _readelf_markers(path)


def test_marker_arguments_and_semaphores(programs):
    elf = read_elf(str(programs.plain))
    assert {(m.provider, m.name): len(m.args) for m in elf.markers} == MARKERS
    helper = elf.markers_named("helper__entry")[0]
    assert [(a.size, a.signed, a.c_type) for a in helper.args] == [(4, True, "int32_t"), (8, True, "int64_t")]
    assert helper.signature() == "myapp:helper__entry($arg1:int32_t, $arg2:int64_t)"
    assert all(m.semaphore != 0 for m in elf.markers)  # the program defines _SDT_HAS_SEMAPHORES


def test_symbols_plt_needed_build_id(programs):
    elf = read_elf(str(programs.plain))
    assert {"main", "helper"} <= elf.symtab_functions
    assert "always_inlined" not in elf.functions  # inlined at its only call: no symbol
    assert {"printf", "demo_work"} <= elf.plt
    assert elf.needed == ("libdemo.so", "libc.so.6")
    assert elf.runpath == ("$ORIGIN",)
    readelf = subprocess.run(["readelf", "-n", str(programs.plain)], capture_output=True, text=True).stdout
    assert elf.build_id and elf.build_id in readelf
    assert not elf.stripped and not elf.has_dwarf
    assert read_elf(str(programs.debug)).has_dwarf


def test_stripped_program_keeps_only_exported_names(programs):
    elf = read_elf(str(programs.stripped))
    assert elf.stripped and not elf.symtab_functions
    assert "helper" not in elf.functions
    assert len(elf.markers) == 3  # the notes survive strip


def test_mini_debuginfo(programs):
    if programs.mini is None:
        pytest.skip("xz, objcopy or nm missing: no .gnu_debugdata program built")
    elf = read_elf(str(programs.mini))
    assert elf.stripped and elf.has_debugdata
    assert {"main", "helper"} <= elf.debugdata_functions <= elf.functions


def test_library(programs):
    elf = read_elf(str(programs.library))
    assert elf.kind == "shared object"
    assert "demo_work" in elf.dynsym_functions
    assert [m.signature() for m in elf.markers] == ["demolib:work($arg1:int32_t)"]


def test_this_machines_python_markers():
    if not os.path.isfile(PYTHON):
        pytest.skip(f"{PYTHON} is not on this machine")
    oracle = _readelf_markers(PYTHON)
    if not oracle:
        pytest.skip(f"{PYTHON} carries no SDT markers here (readelf -n lists none)")
    elf = read_elf(PYTHON)
    assert [_as_readelf(m) for m in elf.markers] == oracle
    assert "function__entry" in {m.name for m in elf.markers}


# ---------------------------------------------------------------- bad files: one problem, no exception


def test_not_elf(tmp_path):
    path = tmp_path / "script.sh"
    path.write_text("#!/bin/sh\necho hi\n")
    assert read_elf(str(path)).problem == f"{path} is not an ELF file"


def test_unreadable(tmp_path):
    assert "cannot read" in read_elf(str(tmp_path / "missing")).problem


@pytest.mark.parametrize("size", [4, 20, 64, 300, 3000])
def test_cut_short(programs, tmp_path, size):
    path = tmp_path / "cut"
    path.write_bytes(programs.plain.read_bytes()[:size])
    problem = read_elf(str(path)).problem
    assert problem is not None and problem.startswith(f"{path} is a damaged ELF file")


def test_every_byte_flipped_in_the_headers_never_raises(programs, tmp_path):
    data = bytearray(programs.plain.read_bytes())
    path = tmp_path / "flipped"
    for offset in range(0, 64):
        changed = bytearray(data)
        changed[offset] ^= 0xFF
        path.write_bytes(changed)
        read_elf(str(path))  # a problem or a reading, never an exception


def test_damaged_note(programs, tmp_path):
    data = programs.plain.read_bytes()
    at = data.index(b"myapp\0helper__entry")
    path = tmp_path / "damaged"
    path.write_bytes(data[:at] + b"\0" * 19 + data[at + 19:])  # provider and name blanked
    problem = read_elf(str(path)).problem
    assert problem is not None and "stapsdt note" in problem


def test_debugdata_that_is_not_xz(programs, tmp_path):
    need("objcopy", shutil.which("objcopy") is not None)
    junk = tmp_path / "junk.xz"
    junk.write_bytes(b"not xz at all")
    out = tmp_path / "junk-debugdata"
    subprocess.run(["objcopy", "--add-section", f".gnu_debugdata={junk}", str(programs.stripped), str(out)],
                   check=True, capture_output=True)
    problem = read_elf(str(out)).problem
    assert problem is not None and ".gnu_debugdata is not xz data" in problem


def test_debugdata_that_is_not_elf(programs, tmp_path):
    need("objcopy", shutil.which("objcopy") is not None)
    packed = tmp_path / "text.xz"
    packed.write_bytes(lzma.compress(b"hello"))
    out = tmp_path / "text-debugdata"
    subprocess.run(["objcopy", "--add-section", f".gnu_debugdata={packed}", str(programs.stripped), str(out)],
                   check=True, capture_output=True)
    assert "does not hold an ELF file" in read_elf(str(out)).problem


def test_argument_forms():
    args = parse_arguments("-4@%edi 8@(%rsi) 8f@%xmm0 %eax 1@$5")
    assert [(a.size, a.signed, a.floating, a.c_type) for a in args] == [
        (4, True, False, "int32_t"), (8, False, False, "uint64_t"), (8, False, True, "double"),
        (0, True, False, "long"), (1, False, False, "uint8_t")]


# ---------------------------------------------------------------- the session's cache


def test_session_reads_a_file_once_and_again_when_it_changes(programs, tmp_path):
    path = tmp_path / "prog"
    shutil.copy(programs.plain, path)
    session = Session()
    first = session.elf(str(path))
    assert session.elf(str(path)) is first
    shutil.copy(programs.library, path)  # another size: read again
    second = session.elf(str(path))
    assert second is not first and [m.name for m in second.markers] == ["work"]
    assert session.elf(str(tmp_path / "missing")) is None


def test_dwarf_functions(programs):
    from stapkit.userspace.dwarf import read_dwarf_file

    dwarf = read_dwarf_file(str(programs.debug))
    helper = dwarf.functions["helper"]
    assert helper.params == ("a", "b") and not helper.inline
    assert dwarf.functions["always_inlined"].inline
    assert {"counter", "myapp_start_semaphore"} <= dwarf.globals
    assert read_dwarf_file(str(programs.plain)) is None
    assert read_dwarf_file(str(programs.directory / "demo.h")) is None  # not ELF: nothing, no exception


def test_random_damage_anywhere_never_raises(programs, tmp_path):
    """Bytes changed anywhere in a -g program (notes, symbols, DWARF): a problem or a reading,
    never an exception, from read_elf and from the DWARF reader."""
    import random

    from stapkit.userspace.dwarf import read_dwarf_file

    data = programs.debug.read_bytes()
    rng = random.Random(16)
    path = tmp_path / "damaged"
    for _ in range(150):
        changed = bytearray(data)
        for _ in range(rng.randint(1, 40)):
            changed[rng.randrange(len(changed))] = rng.randrange(256)
        path.write_bytes(changed)
        read_elf(str(path))
        read_dwarf_file(str(path))
