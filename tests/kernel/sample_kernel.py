"""A small made-up kernel for tests: BTF written by tests/kernel/btf_writer.py and a
kallsyms-style symbol table.  Its names follow Linux's, so scripts read naturally.

Functions (BTF and symbols): tcp_sendmsg(sk, msg, size) -> int,
tcp_recvmsg(sk, msg, len, flags, addr_len) -> int, vfs_read(file, buf, count, pos)
-> ssize_t, vfs_write(file, buf, count, pos) -> ssize_t, do_exit(code) -> void,
schedule() -> void, wake_up_new_task(p) -> void, __x64_sys_ioctl(regs) -> long,
__x64_sys_openat(regs) -> long, _printk(fmt, ...) -> int.
Symbols only: entry_SYSCALL_64, tcp_v4_do_rcv (as tcp_v4_do_rcv.isra.0);
module ext4: ext4_file_write_iter; data: jiffies; a padding label __pfx_tcp_sendmsg.
Tracepoints: sched_switch(preempt, prev, next, prev_state) (names from
__probestub_), sched_process_exec(p, old_pid, bprm) (names from __bpf_trace_),
irq_handler_entry (types only, no names).
Structs: task_struct {pid, tgid, comm[16], parent, real_parent, mm, tasks,
files (an incomplete struct), and in an anonymous union: __state, saved_state},
mm_struct {start_code, end_code, mmap_base}, sock {__sk_common, sk_rcvbuf,
sk_sndbuf}, sock_common {skc_family, skc_state}, msghdr {msg_name,
msg_namelen}, file {f_flags, f_pos, f_inode}, inode {i_ino, i_size},
list_head {next, prev}, pt_regs {di, si, dx, ax}.
"""

from __future__ import annotations

from pathlib import Path

from .btf_writer import BtfWriter

SYMBOLS = """\
ffffffff81000000 T _stext
ffffffff81001000 T entry_SYSCALL_64
ffffffff81001ff0 T __pfx_tcp_sendmsg
ffffffff81002000 T tcp_sendmsg
ffffffff81002100 T tcp_recvmsg
ffffffff81002200 t tcp_v4_do_rcv.isra.0
ffffffff81003000 T vfs_read
ffffffff81003100 T vfs_write
ffffffff81004000 T do_exit
ffffffff81004100 T schedule
ffffffff81004200 T wake_up_new_task
ffffffff81005000 T __x64_sys_ioctl
ffffffff81005100 T __x64_sys_openat
ffffffff81005200 T _printk
ffffffff81006000 t __probestub_sched_switch
ffffffff81006100 t __bpf_trace_sched_process_exec
ffffffff82000000 D jiffies
ffffffffc0001000 t ext4_file_write_iter\t[ext4]
"""


def sample_btf() -> bytes:
    w = BtfWriter()
    int_ = w.int("int", 4, signed=True)
    uint = w.int("unsigned int", 4)
    long_ = w.int("long int", 8, signed=True)
    ulong = w.int("long unsigned int", 8)
    char = w.int("char", 1, signed=True)
    ushort = w.int("short unsigned int", 2)
    llong = w.int("long long int", 8, signed=True)
    bool_ = w.typedef("bool", w.int("_Bool", 1))
    size_t = w.typedef("size_t", ulong)
    ssize_t = w.typedef("ssize_t", long_)
    loff_t = w.typedef("loff_t", llong)
    pid_t = w.typedef("pid_t", int_)
    void_ptr = w.ptr(0)

    list_head = w.struct("list_head", 16)
    w.members(list_head, [("next", w.ptr(list_head)), ("prev", w.ptr(list_head))])
    mm = w.struct("mm_struct", 24)
    w.members(mm, [("start_code", ulong), ("end_code", ulong), ("mmap_base", ulong)])
    files = w.fwd("files_struct")
    task = w.struct("task_struct", 256)
    state = w.struct("", 8, union=True)
    w.members(state, [("__state", uint), ("saved_state", uint)])
    task_ptr = w.ptr(task)
    w.members(task, [("", state), ("pid", pid_t), ("tgid", pid_t), ("comm", w.array(char, 16)),
                     ("parent", task_ptr), ("real_parent", task_ptr), ("mm", w.ptr(mm)),
                     ("tasks", list_head), ("files", w.ptr(files))])
    sock_common = w.struct("sock_common", 8)
    w.members(sock_common, [("skc_family", ushort), ("skc_state", w.volatile(w.int("unsigned char", 1)))])
    sock = w.struct("sock", 64)
    w.members(sock, [("__sk_common", sock_common), ("sk_rcvbuf", int_), ("sk_sndbuf", int_)])
    msghdr = w.struct("msghdr", 16)
    w.members(msghdr, [("msg_name", void_ptr), ("msg_namelen", int_)])
    inode = w.struct("inode", 16)
    w.members(inode, [("i_ino", ulong), ("i_size", loff_t)])
    file = w.struct("file", 24)
    w.members(file, [("f_flags", uint), ("f_pos", loff_t), ("f_inode", w.ptr(inode))])
    pt_regs = w.struct("pt_regs", 32)
    w.members(pt_regs, [("di", ulong), ("si", ulong), ("dx", ulong), ("ax", ulong)])
    w.enum("sock_type", [("SOCK_STREAM", 1), ("SOCK_DGRAM", 2)])

    sock_ptr, msghdr_ptr, file_ptr = w.ptr(sock), w.ptr(msghdr), w.ptr(file)
    const_char_ptr = w.ptr(w.const(char))
    regs_ptr = w.ptr(w.const(pt_regs))
    w.function("tcp_sendmsg", int_, [("sk", sock_ptr), ("msg", msghdr_ptr), ("size", size_t)])
    w.function("tcp_recvmsg", int_, [("sk", sock_ptr), ("msg", msghdr_ptr), ("len", size_t),
                                     ("flags", int_), ("addr_len", w.ptr(int_))])
    w.function("vfs_read", ssize_t, [("file", file_ptr), ("buf", w.ptr(char)), ("count", size_t),
                                     ("pos", w.ptr(loff_t))])
    w.function("vfs_write", ssize_t, [("file", file_ptr), ("buf", const_char_ptr), ("count", size_t),
                                      ("pos", w.ptr(loff_t))])
    w.function("do_exit", 0, [("code", long_)])
    w.function("schedule", 0, [])
    w.function("wake_up_new_task", 0, [("p", task_ptr)])
    w.function("__x64_sys_ioctl", long_, [("regs", regs_ptr)])
    w.function("__x64_sys_openat", long_, [("regs", regs_ptr)])
    w.func("_printk", w.func_proto(int_, [("fmt", const_char_ptr)], variadic=True))

    binprm = w.fwd("linux_binprm")
    irqaction = w.fwd("irqaction")
    w.typedef("btf_trace_sched_switch", w.ptr(w.func_proto(0, [("", void_ptr), ("", bool_), ("", task_ptr),
                                                                ("", task_ptr), ("", uint)])))
    w.function("__probestub_sched_switch", 0, [("__data", void_ptr), ("preempt", bool_), ("prev", task_ptr),
                                                ("next", task_ptr), ("prev_state", uint)])
    w.typedef("btf_trace_sched_process_exec",
              w.ptr(w.func_proto(0, [("", void_ptr), ("", task_ptr), ("", pid_t), ("", w.ptr(binprm))])))
    w.function("__bpf_trace_sched_process_exec", 0, [("__data", void_ptr), ("p", task_ptr), ("old_pid", pid_t),
                                                      ("bprm", w.ptr(binprm))])
    w.typedef("btf_trace_irq_handler_entry",
              w.ptr(w.func_proto(0, [("", void_ptr), ("", int_), ("", w.ptr(irqaction))])))
    return w.bytes()


def write_sample_kernel(directory: Path) -> tuple[Path, Path]:
    """The sample kernel's BTF and symbol table as files in `directory`: (btf, symbols)."""
    btf = directory / "vmlinux.btf"
    btf.write_bytes(sample_btf())
    symbols = directory / "kallsyms"
    symbols.write_text(SYMBOLS)
    return btf, symbols


def sample_description():
    from stapkit.kernel.btf import Btf
    from stapkit.kernel.description import KernelDescription
    from stapkit.kernel.symbols import parse_symbols

    return KernelDescription(Btf(sample_btf()), parse_symbols(SYMBOLS, "kallsyms"), source="sample")


def sample_module_btf(base_blob: bytes | None = None) -> bytes:
    """The split BTF of a module `ext4` over the sample kernel's BTF (as /sys/kernel/btf/ext4):
    ext4_file_write_iter(iocb, from) -> ssize_t, ext4_sync_file(file, start, end, datasync) -> int,
    and a struct kiocb {ki_filp, ki_pos} of its own that refers to vmlinux's struct file."""
    from stapkit.kernel.btf import Btf

    base = Btf(base_blob or sample_btf())

    def base_id(kind_name: str, name: str) -> int:
        from stapkit.kernel import btf as k

        kind = {"int": k.INT, "struct": k.STRUCT, "typedef": k.TYPEDEF}[kind_name]
        return next(i for i in base.ids_of_kind(kind) if base.name(i) == name)

    w = BtfWriter(first_id=len(base), string_base=len(base.strings))
    file_ptr = w.ptr(base_id("struct", "file"))
    loff_t, ssize_t, int_ = base_id("typedef", "loff_t"), base_id("typedef", "ssize_t"), base_id("int", "int")
    kiocb = w.struct("kiocb", 16)
    w.members(kiocb, [("ki_filp", file_ptr), ("ki_pos", loff_t)])
    iov_iter = w.fwd("iov_iter")
    w.function("ext4_file_write_iter", ssize_t, [("iocb", w.ptr(kiocb)), ("from", w.ptr(iov_iter))])
    w.function("ext4_sync_file", int_, [("file", file_ptr), ("start", loff_t), ("end", loff_t),
                                        ("datasync", int_)])
    return w.bytes()


def write_sample_btf_dir(directory: Path) -> tuple[Path, Path]:
    """Like /sys/kernel/btf: `vmlinux` and the split BTF of module `ext4`; and the symbol table."""
    btf_dir = directory / "btf"
    btf_dir.mkdir()
    blob = sample_btf()
    (btf_dir / "vmlinux").write_bytes(blob)
    (btf_dir / "ext4").write_bytes(sample_module_btf(blob))
    symbols = directory / "kallsyms"
    symbols.write_text(SYMBOLS)
    return btf_dir / "vmlinux", symbols
