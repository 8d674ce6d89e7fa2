"""KernelDescription, the symbol table reader and the saved per-kernel file."""

from __future__ import annotations

import os
import platform

import pytest

from stapkit.kernel.description import KernelDescription
from stapkit.kernel.loading import KernelLoadError, KernelSource, load_kernel
from stapkit.kernel.saved import SavedKernelError, dumps, loads
from stapkit.kernel.symbols import SymbolsError, parse_symbols

from .sample_kernel import SYMBOLS, sample_btf, sample_description, write_sample_kernel

RUNNING_BTF = "/sys/kernel/btf/vmlinux"
needs_running_btf = pytest.mark.skipif(not os.path.exists(RUNNING_BTF),
                                       reason="this machine's kernel has no /sys/kernel/btf/vmlinux")


# ---------------------------------------------------------------- symbols

def test_symbol_table_keeps_code_names_and_folds_compiler_clones():
    symbols = parse_symbols(SYMBOLS, "kallsyms")
    assert "tcp_v4_do_rcv" in symbols.functions  # tcp_v4_do_rcv.isra.0
    assert "jiffies" not in symbols.functions and "jiffies" in symbols.variables  # data, not code
    assert "__pfx_tcp_sendmsg" not in symbols.functions  # a padding label, not a function
    assert "ext4_file_write_iter" not in symbols.functions
    assert symbols.module_functions == {"ext4": frozenset({"ext4_file_write_iter"})}


def test_system_map_lines_read_like_kallsyms():
    symbols = parse_symbols("0000000000000000 A VDSO32_PRELINK\nffffffff81000000 T _stext\n"
                            "ffffffff81000100 t run_init_process.cold\n")
    assert symbols.functions == {"_stext", "run_init_process"}


def test_not_a_symbol_table():
    with pytest.raises(SymbolsError, match=r"^notes\.txt:1:1: not a symbol table line"):
        parse_symbols("hello world, this is prose\n", "notes.txt")
    with pytest.raises(SymbolsError, match="no symbol table lines"):
        parse_symbols("\n\n", "empty")


# ---------------------------------------------------------------- questions

def test_functions_with_their_parameters():
    d = sample_description()
    f = d.function("tcp_sendmsg")
    assert [(p.name, p.type) for p in f.params] == [("sk", "struct sock*"), ("msg", "struct msghdr*"),
                                                    ("size", "size_t")]
    assert f.return_type == "int" and not f.returns_void
    assert d.function("do_exit").returns_void
    assert d.function("_printk").variadic
    only_symbol = d.function("entry_SYSCALL_64")
    assert only_symbol is not None and not only_symbol.from_btf and not only_symbol.returns_void
    assert d.function("no_such_function") is None


def test_symbols_and_btf_answer_different_questions():
    d = sample_description()
    assert d.has_function("entry_SYSCALL_64")  # only the symbol table has it
    assert d.has_symbol("tcp_sendmsg")
    btf_only = KernelDescription(d.btf, None)
    assert btf_only.has_function("tcp_sendmsg") and not btf_only.has_function("entry_SYSCALL_64")
    assert btf_only.has_symbol("tcp_sendmsg")  # no table: BTF's functions have symbols


def test_wildcards_and_suggestions():
    d = sample_description()
    assert d.match_functions("tcp_*msg") == ["tcp_recvmsg", "tcp_sendmsg"]
    assert d.match_functions("vfs_[rw]*") == ["vfs_read", "vfs_write"]
    assert d.match_functions("nothing*") == []
    assert d.similar_functions("sys_ioctl") == ["__x64_sys_ioctl"]
    assert d.similar_functions("__tcp_sendmsg")[0] == "tcp_sendmsg"  # underscores come and go
    assert d.similar_functions("tcp_sendmesg")[0] == "tcp_sendmsg"
    assert d.match_tracepoints("sched_*") == ["sched_process_exec", "sched_switch"]
    assert d.similar_tracepoints("sched_swtch") == ["sched_switch"]


def test_tracepoint_parameter_names_from_probestub_and_event_class():
    d = sample_description()
    switch = d.tracepoint("sched_switch")
    assert switch.names_known
    assert [(p.name, p.type) for p in switch.params] == [
        ("preempt", "bool"), ("prev", "struct task_struct*"), ("next", "struct task_struct*"),
        ("prev_state", "unsigned int")]
    assert [p.name for p in d.tracepoint("sched_process_exec").params] == ["p", "old_pid", "bprm"]
    irq = d.tracepoint("irq_handler_entry")
    assert not irq.names_known and [p.type for p in irq.params] == ["int", "struct irqaction*"]
    assert d.tracepoint("sched_nothing") is None


def test_types_by_c_name():
    d = sample_description()
    task = d.type_named("struct task_struct")
    assert task is not None and d.type_named("task_struct") == task
    assert d.render(d.type_named("size_t")) == "size_t"
    assert {m.name: m.type for m in d.members(task)}["mm"] == "struct mm_struct*"
    assert d.type_named("struct no_such") is None
    assert d.similar_types("task_strct") == ["struct task_struct"]


# ---------------------------------------------------------------- saved files

def test_a_saved_description_answers_as_the_original():
    original = sample_description()
    saved = loads(dumps(original, sample_btf()), "k.stpk")
    assert saved.function_names() == original.function_names()
    assert saved.function("vfs_read") == original.function("vfs_read")
    assert saved.tracepoint("sched_switch") == original.tracepoint("sched_switch")
    assert saved.symbols.module_functions == original.symbols.module_functions
    assert saved.symbols.variables == original.symbols.variables == {"jiffies"}
    assert saved.summary() == original.summary()


def test_a_saved_description_without_symbols_has_none():
    original = KernelDescription(sample_description().btf, None, release="6.1.0-13-amd64", arch="x86_64")
    saved = loads(dumps(original, sample_btf()))
    assert saved.symbols is None and saved.release == "6.1.0-13-amd64" and saved.arch == "x86_64"


@pytest.mark.parametrize("cut", [10, 20, 40, -5])
def test_damaged_saved_files_are_errors(cut):
    data = dumps(sample_description(), sample_btf())
    with pytest.raises(SavedKernelError, match=r"^k\.stpk: "):
        loads(data[:cut], "k.stpk")


def test_a_newer_format_is_refused_with_advice():
    data = bytearray(dumps(sample_description(), sample_btf()))
    data[len(b"STAPKIT-KERNEL\0")] = 99
    with pytest.raises(SavedKernelError, match="format version 99"):
        loads(bytes(data), "k.stpk")


# ---------------------------------------------------------------- loading

def test_load_from_files_raw_and_saved(tmp_path):
    btf, symbols = write_sample_kernel(tmp_path)
    raw = load_kernel(KernelSource(btf=str(btf), symbols=str(symbols)))
    assert raw.has_function("entry_SYSCALL_64") and raw.has_btf
    saved_path = tmp_path / "k.stpk"
    saved_path.write_bytes(dumps(raw, btf.read_bytes()))
    saved = load_kernel(KernelSource(btf=str(saved_path)))
    assert saved.function_names() == raw.function_names()
    assert load_kernel(KernelSource()) is None


def test_a_session_keeps_a_kernel_until_its_file_changes(tmp_path):
    # (kernel.loading keeps nothing itself: no module holds state; the Session does.)
    from stapkit.semantic.session import Session

    btf, _ = write_sample_kernel(tmp_path)
    source = KernelSource(btf=str(btf))
    session = Session()
    first = session.kernel(source)
    assert session.kernel(source) is first and first.has_btf
    assert load_kernel(source) is not first and Session().kernel(source) is not first
    data = btf.read_bytes()
    btf.write_bytes(data + b"")  # same bytes, new mtime
    os.utime(btf, ns=(1, 1))
    assert session.kernel(source) is not first
    assert session.kernel(KernelSource()) is None


@pytest.mark.parametrize("content, message", [
    (None, "no such BTF file"),
    (b"just text", "not BTF"),
    (b"STAPKIT-KERNEL\0\x01\x05", "damaged kernel description"),
])
def test_load_errors_name_the_file(tmp_path, content, message):
    path = tmp_path / "kernel.btf"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(KernelLoadError, match=message) as error:
        load_kernel(KernelSource(btf=str(path)))
    assert str(error.value).startswith(str(path))
    assert "\n" not in str(error.value)


def test_symbols_errors_name_the_file(tmp_path):
    path = tmp_path / "System.map"
    path.write_bytes(b"\x00\x01binary\xff")
    with pytest.raises(KernelLoadError, match=r"System\.map:1:1"):
        load_kernel(KernelSource(symbols=str(path)))
    with pytest.raises(KernelLoadError, match="is a directory"):
        load_kernel(KernelSource(btf=str(tmp_path)))


@needs_running_btf
def test_the_running_kernel():
    d = load_kernel(KernelSource(btf="running"))
    assert d.release == platform.release()
    f = d.function("tcp_sendmsg")
    assert [p.name for p in f.params] == ["sk", "msg", "size"]
    switch = d.tracepoint("sched_switch")
    assert switch.names_known and [p.name for p in switch.params][-3:] == ["prev", "next", "prev_state"]
    if platform.machine() == "x86_64":
        assert "__x64_sys_ioctl" in d.similar_functions("sys_ioctl")


def test_a_symbol_table_beside_a_saved_description_is_used(tmp_path):
    btf, symbols = write_sample_kernel(tmp_path)
    saved_path = tmp_path / "btf-only.stpk"
    saved_path.write_bytes(dumps(KernelDescription(sample_description().btf, None), sample_btf()))
    alone = load_kernel(KernelSource(btf=str(saved_path)))
    assert not alone.has_function("entry_SYSCALL_64")
    both = load_kernel(KernelSource(btf=str(saved_path), symbols=str(symbols)))
    assert both.has_function("entry_SYSCALL_64") and "entry_SYSCALL_64" in both.function_names()


def test_a_modules_split_btf_beside_vmlinux(tmp_path):
    from .sample_kernel import write_sample_btf_dir

    vmlinux, symbols = write_sample_btf_dir(tmp_path)
    kernel = load_kernel(KernelSource(btf=str(vmlinux), symbols=str(symbols)))
    ext4 = kernel.module("ext4")
    assert ext4 is not None and ext4.source == str(tmp_path / "btf" / "ext4")
    assert ext4.function_names() == ["ext4_file_write_iter", "ext4_sync_file"]  # its own, not vmlinux's
    func = ext4.function("ext4_sync_file")
    assert [(p.name, p.type) for p in func.params] == [("file", "struct file*"), ("start", "loff_t"),
                                                       ("end", "loff_t"), ("datasync", "int")]
    # its types refer to vmlinux's, which its description reads through
    kiocb = ext4.type_named("struct kiocb")
    assert {m.name: m.type for m in ext4.members(kiocb)} == {"ki_filp": "struct file*", "ki_pos": "loff_t"}
    assert kernel.module("xfs") is None and kernel.module("../etc") is None
    # a vmlinux that is not in a btf directory (or an ELF file, a saved file) has no modules beside it
    assert load_kernel(KernelSource(btf=str(write_sample_kernel(tmp_path)[0]))).module("ext4") is None
