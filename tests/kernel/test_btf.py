"""The BTF reader on blobs we write (tests/kernel/btf_writer.py) and on this machine's kernel."""

from __future__ import annotations

import os
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stapkit.kernel import btf as k
from stapkit.kernel import c_types
from stapkit.kernel.btf import Btf, BtfError, btf_bytes

from .btf_writer import BtfWriter, elf_with_section
from .sample_kernel import sample_btf

RUNNING_BTF = "/sys/kernel/btf/vmlinux"
needs_running_btf = pytest.mark.skipif(not os.path.exists(RUNNING_BTF),
                                       reason="this machine's kernel has no /sys/kernel/btf/vmlinux")


def _id_named(btf: Btf, kind: int, name: str) -> int:
    return next(i for i in btf.ids_of_kind(kind) if btf.name(i) == name)


def test_every_kind_the_writer_makes_is_read_back():
    w = BtfWriter()
    i = w.int("int", 4, signed=True)
    u = w.int("unsigned char", 1)
    p = w.ptr(i)
    a = w.array(u, 16)
    s = w.struct("pair", 8)
    w.members(s, [("a", i), ("b", p)])
    e = w.enum("colour", [("RED", 0), ("BLUE", -1)])
    f = w.fwd("later", union=True)
    t = w.typedef("pair_t", s)
    c = w.const(t)
    v = w.volatile(c)
    proto = w.func_proto(i, [("x", i), ("y", p)], variadic=True)
    fn = w.func("add", proto)
    var = w.var("counter", i)
    fl = w.float("double", 8)
    tag = w.decl_tag("user", fn)
    btf = Btf(w.bytes())
    assert len(btf) == tag + 1
    assert [btf.kinds[x] for x in (i, p, a, s, e, f, t, c, v, proto, fn, var, fl, tag)] == [
        k.INT, k.PTR, k.ARRAY, k.STRUCT, k.ENUM, k.FWD, k.TYPEDEF, k.CONST, k.VOLATILE, k.FUNC_PROTO, k.FUNC,
        k.VAR, k.FLOAT, k.DECL_TAG]
    assert btf.int_info(i) == (True, 32) and btf.int_info(u) == (False, 8)
    assert btf.array_info(a) == (u, 16)
    assert btf.members(s) == [("a", i, 0), ("b", p, 64)]
    assert btf.enumerators(e) == [("RED", 0), ("BLUE", -1)]
    assert btf.params(proto) == [("x", i), ("y", p), ("", 0)]
    assert btf.name(fn) == "add" and btf.size_or_type[fn] == proto
    assert btf.name(0) == "" and btf.name(p) == ""
    assert list(btf.ids_of_kind(k.INT)) == [i, u]


def test_c_names_as_stap_prints_them():
    btf = Btf(sample_btf())
    func = _id_named(btf, k.FUNC, "vfs_write")
    params = {name: c_types.render(btf, t) for name, t in btf.params(btf.size_or_type[func])}
    assert params == {"file": "struct file*", "buf": "const char*", "count": "size_t", "pos": "loff_t*"}
    task = _id_named(btf, k.STRUCT, "task_struct")
    rendered = {name: c_types.render(btf, t) for name, t in c_types.members(btf, task)}
    assert rendered["comm"] == "char[16]"
    assert rendered["files"] == "struct files_struct*"
    assert rendered["tasks"] == "struct list_head"


def test_anonymous_members_are_reached_through():
    btf = Btf(sample_btf())
    task = _id_named(btf, k.STRUCT, "task_struct")
    names = [name for name, _ in c_types.members(btf, task)]
    assert "__state" in names and "saved_state" in names and "" not in names
    assert c_types.render(btf, c_types.member(btf, task, "__state")) == "unsigned int"
    assert c_types.member(btf, task, "no_such_member") is None


def test_arrow_reaches_a_struct_through_one_pointer_and_typedefs():
    btf = Btf(sample_btf())
    task = _id_named(btf, k.STRUCT, "task_struct")
    parent = c_types.member(btf, task, "parent")  # struct task_struct*
    assert c_types.aggregate(btf, parent) == task
    assert c_types.aggregate(btf, c_types.member(btf, task, "pid")) is None  # pid_t: an int
    assert c_types.is_incomplete(btf, c_types.member(btf, task, "files"))  # struct files_struct;
    comm = c_types.member(btf, task, "comm")
    assert c_types.render(btf, c_types.element(btf, comm)) == "char"
    assert c_types.script_type(btf, comm) == "long" and c_types.script_type(btf, task) == "struct"


def test_vmlinux_elf_section_is_found():
    blob = sample_btf()
    elf = elf_with_section(".BTF", blob)
    assert btf_bytes(elf, "vmlinux") == blob
    assert len(Btf(btf_bytes(elf))) == len(Btf(blob))


def test_elf_without_btf_says_so():
    with pytest.raises(BtfError, match=r"vmlinux: this ELF file has no \.BTF section"):
        btf_bytes(elf_with_section(".text", b"\x90" * 8), "vmlinux")


@pytest.mark.parametrize("data, message", [
    (b"", "too short for a BTF header"),
    (b"not btf at all, just some text....", "not BTF"),
    (struct.pack("<HBBIIIII", 0x9FEB, 1, 0, 24, 0, 0, 0, 0), "big-endian"),
    (struct.pack("<HBBIIIII", 0xEB9F, 2, 0, 24, 0, 0, 0, 0), "unsupported BTF version 2"),
    (struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, 100, 100, 10), "past the end"),
])
def test_bad_headers(data, message):
    with pytest.raises(BtfError, match=message):
        Btf(data)


def test_a_cut_record_and_an_unknown_kind_are_errors():
    good = sample_btf()
    header = struct.unpack_from("<HBBIIIII", good, 0)
    type_len = header[5]
    # The type section cut in the middle of a record (the strings follow it, so shift them).
    cut = struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, type_len - 6, type_len - 6, header[7])
    data = cut + good[24:24 + type_len - 6] + good[24 + type_len:]
    with pytest.raises(BtfError):
        Btf(data)
    w = BtfWriter()
    w.int("int", 4)
    blob = bytearray(w.bytes())
    blob[24 + 7] = 31  # the kind byte of the first record's info word
    with pytest.raises(BtfError, match="unknown kind 31"):
        Btf(bytes(blob))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_are_an_error_or_read_never_a_crash(tail):
    data = struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(tail) // 2, len(tail) // 2,
                       len(tail) - len(tail) // 2) + tail
    try:
        btf = Btf(data)
    except BtfError:
        return
    for type_id in range(1, len(btf)):
        try:
            btf.name(type_id)
            c_types.render(btf, type_id)
        except (BtfError, IndexError, struct.error):
            pass  # a bad offset inside a record is read as an error, not a hang or a crash


@needs_running_btf
def test_the_running_kernels_btf():
    with open(RUNNING_BTF, "rb") as f:
        btf = Btf(f.read())
    assert len(btf) > 10_000
    funcs = {btf.name(i): i for i in btf.ids_of_kind(k.FUNC)}
    assert "tcp_sendmsg" in funcs and "vfs_read" in funcs
    proto = btf.size_or_type[funcs["tcp_sendmsg"]]
    assert [(n, c_types.render(btf, t)) for n, t in btf.params(proto)] == [
        ("sk", "struct sock*"), ("msg", "struct msghdr*"), ("size", "size_t")]
    task = _id_named(btf, k.STRUCT, "task_struct")
    members = dict(c_types.members(btf, task))
    assert c_types.render(btf, members["comm"]) == "char[16]"
    assert c_types.aggregate(btf, members["real_parent"]) == task
