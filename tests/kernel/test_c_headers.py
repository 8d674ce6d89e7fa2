"""C header types for @cast(p, "T", "<h.h>"): the compile (gcc), the DWARF read, the cache."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from stapkit.kernel.btf import Btf
from stapkit.kernel.c_headers import HeaderCompiler, bad_header_name, header_set
from stapkit.kernel.description import KernelDescription
from stapkit.kernel.dwarf_types import DwarfTypesError, btf_from_object

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="needs a C compiler (gcc)")


def test_only_modules_of_headers_alone_are_header_sets():
    assert header_set("<sys/un.h>") == ("sys/un.h",)
    assert header_set("<sys/socket.h><sys/un.h>") == ("sys/socket.h", "sys/un.h")
    for module in ("kernel", "kernel<linux/sched.h>", "/bin/ls", "<a.h>:kernel", "", "<a.h"):
        assert header_set(module) is None, module


def test_header_names_that_are_not_compiled():
    assert bad_header_name(("sys/un.h", "linux/if_ether.h", "c++/v1.h")) is None
    for name in ("../etc/passwd", "/etc/passwd", "a b.h", "a.h>\n#include <b.h", "$(x).h", ""):
        assert bad_header_name((name,)) is not None, name
    assert "more than" in bad_header_name(("a.h",) * 100)


def test_a_bad_name_is_refused_without_running_anything(tmp_path):
    compiler = HeaderCompiler(tmp_path, compiler=str(tmp_path / "never-run"))
    found = compiler.types(("../secret.h",))
    assert found.types is None and "not a header name" in found.problem


def test_without_a_compiler_the_types_are_unknown(tmp_path):
    found = HeaderCompiler(tmp_path, compiler="").types(("sys/un.h",))
    assert found.no_compiler and found.types is None


@needs_gcc
def test_a_header_set_compiles_to_its_structs(tmp_path):
    found = HeaderCompiler(tmp_path).types(("sys/socket.h", "sys/un.h"))
    types = found.types
    assert found.problem is None and not found.from_cache
    sun = types.type_named("sockaddr_un")
    assert types.render(sun) == "struct sockaddr_un"
    assert [(m.name, m.type) for m in types.members(sun)] == [("sun_family", "sa_family_t"), ("sun_path", "char[108]")]
    assert types.type_named("struct msghdr") is not None


@needs_gcc
def test_a_missing_header_gives_the_compilers_message(tmp_path):
    found = HeaderCompiler(tmp_path).types(("sys/no_such_header_here.h",))
    assert found.types is None and "No such file" in found.problem


@needs_gcc
def test_the_second_run_reads_the_cache_until_a_header_changes(tmp_path):
    cache = tmp_path / "cache"
    assert not HeaderCompiler(cache).types(("sys/un.h",)).from_cache
    again = HeaderCompiler(cache).types(("sys/un.h",))
    assert again.from_cache and again.types.type_named("sockaddr_un") is not None
    # the entry lists the files the compile read; one that changed makes it compile again
    (entry,) = cache.glob("*.json")
    fake = tmp_path / "fake.h"
    fake.write_text("/* a header */\n")
    stat = os.stat(fake)
    entry.write_text(json.dumps({"deps": [[str(fake), stat.st_size, stat.st_mtime_ns]]}))
    assert HeaderCompiler(cache).types(("sys/un.h",)).from_cache
    fake.write_text("/* a header, changed */\n")
    assert not HeaderCompiler(cache).types(("sys/un.h",)).from_cache


@needs_gcc
def test_a_damaged_cache_entry_is_compiled_again(tmp_path):
    cache = tmp_path / "cache"
    HeaderCompiler(cache).types(("sys/un.h",))
    (blob,) = cache.glob("*.btf")
    blob.write_bytes(b"not btf")
    again = HeaderCompiler(cache).types(("sys/un.h",))
    assert not again.from_cache and again.types.type_named("sockaddr_un") is not None


@needs_gcc
def test_dwarf_types_of_every_kind(tmp_path):
    source = tmp_path / "t.c"
    source.write_text(
        "typedef unsigned long ulong_t;\n"
        "enum colour { RED = 1, GREEN = 2 };\n"
        "struct node { struct node *next; int grid[2][3]; const volatile char *name;\n"
        "  union { int i; float f; }; unsigned flag : 1; enum colour c; int (*cb)(int, ...);\n"
        "  struct opaque *hidden; ulong_t size; _Atomic int counter; };\n")
    obj = tmp_path / "t.o"
    subprocess.run(["gcc", "-g", "-fno-eliminate-unused-debug-types", "-c", str(source), "-o", str(obj)], check=True)
    types = KernelDescription(Btf(btf_from_object(obj.read_bytes())), None)
    node = types.type_named("node")
    members = {m.name: m.type for m in types.members(node)}
    assert members == {
        "next": "struct node*", "grid": members["grid"], "name": "volatile const char*",
        "i": "int", "f": "float", "flag": "unsigned int", "c": "enum colour", "cb": "int (*)(int, ...)",
        "hidden": "struct opaque*", "size": "ulong_t", "counter": "int"}
    grid = [m for m in types.members(node) if m.name == "grid"][0]
    outer = types.btf.array_info(grid.type_id)
    assert outer[1] == 2 and types.btf.array_info(outer[0])[1] == 3
    assert types.btf.enumerators(types.type_named("enum colour")) == [("RED", 1), ("GREEN", 2)]


def test_an_object_without_dwarf_is_refused():
    with pytest.raises(DwarfTypesError):
        btf_from_object(b"\x7fELF" + bytes(60))
