"""stapkit/kernel/show.py: `db show|list` of kernel functions, tracepoints and types, as
text and as JSON data, on the sample kernel (tests/kernel/sample_kernel.py)."""

from __future__ import annotations

import pytest

from stapkit.kernel.btf import Btf
from stapkit.kernel.description import KernelDescription
from stapkit.kernel.show import describe_kernel, is_kernel_query, is_type_name, knows_type, list_points

from .btf_writer import BtfWriter
from .sample_kernel import sample_description


@pytest.fixture(scope="module")
def kernel():
    return sample_description()


def _lines(kernel, query):
    return describe_kernel(kernel, query).text.splitlines()


def test_a_function_as_stap_lists_it_with_debuginfo(kernel):
    found = describe_kernel(kernel, 'kernel.function("tcp_sendmsg")')
    assert found.known
    assert found.text.splitlines() == [
        'kernel.function("tcp_sendmsg") $sk:struct sock* $msg:struct msghdr* $size:size_t',
        "  returns int",
        "  $sk->  __sk_common:struct sock_common sk_rcvbuf:int sk_sndbuf:int",
        "  $msg->  msg_name:void* msg_namelen:int",
        "  from sample",
    ]
    assert found.data["matches"] == [{
        "point": 'kernel.function("tcp_sendmsg")', "function": "tcp_sendmsg",
        "parameters": [{"name": "sk", "type": "struct sock*"}, {"name": "msg", "type": "struct msghdr*"},
                       {"name": "size", "type": "size_t"}],
        "returns": "int", "variadic": False}]


def test_return_probes_void_and_variadic_functions(kernel):
    assert _lines(kernel, 'kernel.function("vfs_read").return')[0] == (
        'kernel.function("vfs_read").return $file:struct file* $buf:char* $count:size_t $pos:loff_t* '
        "$return:ssize_t")
    # a void function has no $return to list
    assert _lines(kernel, 'kernel.function("schedule").return')[:2] == [
        'kernel.function("schedule").return', "  returns void"]
    assert _lines(kernel, 'kernel.function("_printk")')[:2] == [
        'kernel.function("_printk") $fmt:const char*', "  returns int (a variable number of arguments)"]
    # the source file part of the point is not something BTF can check: the function answers
    assert _lines(kernel, 'kernel.function("do_exit@kernel/exit.c")')[0] == 'kernel.function("do_exit") $code:long int'


def test_a_symbol_without_btf_says_so(kernel):
    assert _lines(kernel, 'kernel.function("entry_SYSCALL_64")')[:2] == [
        'kernel.function("entry_SYSCALL_64")', "  only in the symbol table: BTF does not describe its parameters"]


def test_kprobes_answer_from_the_symbol_table(kernel):
    found = describe_kernel(kernel, 'kprobe.function("tcp_v4_do_rcv")')  # a clone, tcp_v4_do_rcv.isra.0
    assert found.text.splitlines()[:2] == [
        'kprobe.function("tcp_v4_do_rcv")', "  in the kernel's symbol table (kprobe probes have no $variables)"]
    assert found.data["matches"][0]["symbol"] is True
    assert not describe_kernel(kernel, 'kprobe.function("tcp_v4_rcv")').known


def test_tracepoints_with_and_without_parameter_names(kernel):
    assert _lines(kernel, 'kernel.trace("sched_process_exec")')[0] == (
        'kernel.trace("sched_process_exec") $p:struct task_struct* $old_pid:pid_t $bprm:struct linux_binprm*')
    # a subsystem prefix is allowed, as stap allows it
    assert _lines(kernel, 'kernel.trace("sched:sched_switch")')[0].startswith('kernel.trace("sched_switch") $preempt:bool')
    found = describe_kernel(kernel, 'kernel.trace("irq_handler_entry")')
    assert found.text.splitlines()[1] == "  parameter types (BTF has no names for them): int, struct irqaction*"
    assert found.data["matches"][0]["parameters"] == [{"name": None, "type": "int"},
                                                      {"name": None, "type": "struct irqaction*"}]


def test_unknown_names_suggest_close_ones(kernel):
    found = describe_kernel(kernel, 'kernel.function("sys_ioctl")')
    assert not found.known and found.data["similar"][0] == "__x64_sys_ioctl"
    assert found.text == ("kernel.function(\"sys_ioctl\"): no such function in this kernel "
                          "(did you mean '__x64_sys_ioctl'?)\n")
    assert _lines(kernel, 'kernel.trace("sched_swich")') == [
        "kernel.trace(\"sched_swich\"): no such tracepoint in this kernel (did you mean 'sched_switch'?)"]
    assert _lines(kernel, "struct sok") == ["struct sok: no such type in this kernel's BTF (did you mean 'struct sock'?)"]
    # a wildcard that matches nothing: no suggestion
    assert _lines(kernel, 'kernel.function("udp_*")') == ["no function of this kernel matches 'udp_*'"]


def test_a_wildcard_shows_each_match(kernel):
    lines = _lines(kernel, 'kernel.function("vfs_*")')
    assert [line for line in lines if not line.startswith(" ")] == [
        'kernel.function("vfs_read") $file:struct file* $buf:char* $count:size_t $pos:loff_t*',
        'kernel.function("vfs_write") $file:struct file* $buf:const char* $count:size_t $pos:loff_t*']
    assert lines[-1] == "  from sample"


def test_types_by_c_name_and_as_cast_writes_them(kernel):
    assert _lines(kernel, "struct mm_struct") == [
        "struct mm_struct", "  start_code:long unsigned int", "  end_code:long unsigned int",
        "  mmap_base:long unsigned int", "  from sample"]
    # members of an anonymous union are reached as the struct's own, as `->` reaches them
    assert "  __state:unsigned int" in _lines(kernel, "struct task_struct")
    assert _lines(kernel, "size_t") == ["size_t = long unsigned int", "  from sample"]
    for cast in ('@cast(p, "mm_struct")', '@cast($task->mm, "struct mm_struct", "kernel")',
                 '@cast(p, "mm_struct", "kernel<linux/mm_types.h>")'):
        assert _lines(kernel, cast)[0] == "struct mm_struct", cast
    data = describe_kernel(kernel, '@cast(p, "list_head")').data
    assert data == {"name": "struct list_head", "known": True,
                    "members": [{"name": "next", "type": "struct list_head*"},
                                {"name": "prev", "type": "struct list_head*"}]}
    # a module the description has no BTF for
    found = describe_kernel(kernel, '@cast(p, "inode", "xfs")')
    assert not found.known and found.text.startswith("module xfs: no BTF for it in sample")


def test_which_queries_are_for_the_kernel(kernel):
    for query in ('kernel.function("f")', 'kprobe.function("f")', 'kernel.trace("t")', "struct sock",
                  'module("ext4").function("f")', '@cast(p, "sock")', "struct sk_*"):
        assert is_kernel_query(query), query
    for query in ("socket.send", "task_struct", "probe begin", 'process("/bin/ls").function("main")'):
        assert not is_kernel_query(query), query
    # a bare name is the kernel's only when the tapset database does not know it and the kernel does
    assert is_type_name("task_struct") and knows_type(kernel, "task_struct") and knows_type(kernel, "pid_t")
    assert not knows_type(kernel, "socket") and not is_type_name("socket.send")


def test_lists(kernel):
    assert list_points(kernel, 'kernel.function("tcp_*")') == [
        'kernel.function("tcp_recvmsg")', 'kernel.function("tcp_sendmsg")', 'kernel.function("tcp_v4_do_rcv")']
    assert list_points(kernel, 'kernel.function("tcp_*").return') == [
        'kernel.function("tcp_recvmsg").return', 'kernel.function("tcp_sendmsg").return',
        'kernel.function("tcp_v4_do_rcv").return']
    assert list_points(kernel, 'kernel.trace("sched_*")') == [
        'kernel.trace("sched_process_exec")', 'kernel.trace("sched_switch")']
    # kprobes: only what the symbol table has (the BTF-only tracepoint helpers are there too here)
    assert list_points(kernel, 'kprobe.function("*sys_*")') == [
        'kprobe.function("__x64_sys_ioctl")', 'kprobe.function("__x64_sys_openat")']
    assert list_points(kernel, "struct so*") == ["struct sock", "struct sock_common"]
    assert list_points(kernel, "enum *") == ["enum sock_type"]
    assert list_points(kernel, 'kernel.function("nothing_*")') == []
    assert list_points(kernel, "probe begin") is None


def _kernel_with_markers() -> KernelDescription:
    """A struct laid out as 6.x kernels lay out `struct sock`: zero-length arrays mark groups."""
    w = BtfWriter()
    int_ = w.int("int", 4, signed=True)
    u8 = w.typedef("__u8", w.int("unsigned char", 1))
    marker = w.array(u8, 0)
    sock = w.struct("sock", 8)
    w.members(sock, [("__cacheline_group_begin__sock_write_rx", marker), ("sk_drops", int_),
                     ("__cacheline_group_end__sock_write_rx", marker), ("sk_rcvbuf", int_),
                     ("padding", marker)])
    w.function("tcp_sendmsg", int_, [("sk", w.ptr(sock))])
    return KernelDescription(Btf(w.bytes()), None, source="markers")


def test_layout_markers_are_left_out_of_the_summaries_only():
    kernel = _kernel_with_markers()
    # one level down, under the function: the data members (a zero-length array not named
    # as a marker stays)
    assert _lines(kernel, 'kernel.function("tcp_sendmsg")')[2] == "  $sk->  sk_drops:int sk_rcvbuf:int padding:__u8[0]"
    # the struct itself: every member, markers too
    assert _lines(kernel, "struct sock")[1:3] == ["  __cacheline_group_begin__sock_write_rx:__u8[0]", "  sk_drops:int"]
