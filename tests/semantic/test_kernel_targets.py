"""Kernel probes and $variables against a kernel description (semantic/kernel_targets.py).

The made-up kernel of tests/kernel/sample_kernel.py for exact answers; this
machine's kernel (when it has BTF) and the Debian examples for real ones.
"""

from __future__ import annotations

import glob
import os
import platform

import pytest

from stapkit.kernel.loading import KernelSource
from stapkit.semantic.checker import check_file, check_text
from stapkit.semantic.options import CheckOptions
from stapkit.syntax.options import ParseOptions
from tests.kernel.sample_kernel import write_sample_kernel
from stapkit.semantic.session import Session

SESSION = Session()  # one database and resolver for the module's checks

KERNEL_CODES = {"STP211", "STP212", "STP320", "STP321", "STP322", "STP323", "STP324", "STP325"}
RUNNING_BTF = "/sys/kernel/btf/vmlinux"
needs_running_btf = pytest.mark.skipif(not os.path.exists(RUNNING_BTF),
                                       reason="this machine's kernel has no /sys/kernel/btf/vmlinux")


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    btf, symbols = write_sample_kernel(tmp_path_factory.mktemp("kernel"))
    return KernelSource(btf=str(btf), symbols=str(symbols))


def _check(text: str, kernel: KernelSource, **parse):
    result = check_text(text, "t.stp", CheckOptions(parse=ParseOptions(**parse), kernel=kernel, session=SESSION))
    return [(d.code, d.severity.value, result.text.count("\n", 0, d.span.start) + 1, d.message)
            for d in result.diagnostics if d.code in KERNEL_CODES or d.code == "STP210"]


def _codes(text, kernel, **parse):
    return [code for code, *_ in _check(text, kernel, **parse)]


# ---------------------------------------------------------------- functions and tracepoints

def test_a_missing_kernel_function_with_the_syscall_wrapper_suggested(sample):
    found = _check('probe kernel.function("sys_ioctl") { println(1) }\n', sample)
    assert found == [("STP211", "warning", 1,
                      "kernel function 'sys_ioctl' is not in this kernel (did you mean '__x64_sys_ioctl'?)")]


def test_existing_functions_clones_and_symbol_only_names_are_fine(sample):
    text = ('probe kernel.function("tcp_sendmsg"), kernel.function("tcp_v4_do_rcv"),\n'
            '      kernel.function("entry_SYSCALL_64").call { println(1) }\n')
    assert _codes(text, sample) == []


def test_wildcards_that_match_nothing(sample):
    found = _check('probe kernel.function("udp_*") { println(1) }\n'
                   'probe kernel.function("tcp_*") { println(1) }\n', sample)
    assert found == [("STP211", "warning", 1, "no function of this kernel matches 'udp_*'")]


def test_kprobes_need_a_symbol_and_are_errors_with_a_table(sample):
    found = _check('probe kprobe.function("vfs_reed") { println(1) }\n', sample)
    assert found == [("STP211", "error", 1, "kprobe.function('vfs_reed'): this kernel has no such symbol "
                                            "(did you mean 'vfs_read'?)")]
    btf_only = KernelSource(btf=sample.btf)
    assert [s for _, s, *_ in _check('probe kprobe.function("vfs_reed") { println(1) }\n', btf_only)] == ["warning"]


def test_tracepoints(sample):
    found = _check('probe kernel.trace("sched_swich") { println(1) }\n'
                   'probe kernel.trace("sched:sched_switch") { println(1) }\n'
                   'probe kernel.trace("irq_*") { println(1) }\n', sample)
    assert found == [("STP212", "warning", 1,
                      "tracepoint 'sched_swich' is not in this kernel (did you mean 'sched_switch'?)")]


def test_optional_inline_and_file_qualified_points(sample):
    text = ('probe kernel.function("gone")?, kernel.function("tcp_sendmsg") { println(1) }\n'
            'probe kernel.function("gone_inline").inline { println(1) }\n'
            'probe kernel.function("tcp_sendmsg@net/ipv4/tcp.c") { println(1) }\n'
            'probe kernel.function("gone@net/ipv4/tcp.c:100") { println(1) }\n')
    assert _check(text, sample) == [("STP211", "warning", 4, "kernel function 'gone' is not in this kernel")]


def test_points_of_tapset_aliases_are_not_judged(sample):
    # syscall.* aliases expand to kernel functions of many kernels, guarded with `?`
    assert _codes("probe syscall.open { println(filename) }\nprobe kernel.function(\"vfs_read\") {}\n",
                  sample) == []


def test_nothing_without_a_kernel():
    text = ('probe kernel.function("sys_ioctl") { println($nothing->x) }\n'
            'probe kernel.trace("sched_swich") { println($prev . pid) }\n')
    assert _codes(text, KernelSource()) == []


def test_the_kernel_makes_points_verifiable(sample):
    text = 'probe kernel.function("tcp_sendmsg") { println(1) }\nprobe process("/bin/ls").function("main") {}\n'
    result = check_text(text, "t.stp", CheckOptions(explain_unverifiable=True, kernel=sample))
    unverifiable = [d.message for d in result.diagnostics if d.code == "STP210"]
    assert len(unverifiable) == 1 and "process" in unverifiable[0]
    result = check_text(text, "t.stp", CheckOptions(explain_unverifiable=True))
    assert len([d for d in result.diagnostics if d.code == "STP210"]) == 2


# ---------------------------------------------------------------- $variables

def test_parameters_of_a_function(sample):
    found = _check('probe kernel.function("tcp_sendmsg") { println($sizee + $size) }\n', sample)
    assert found == [("STP320", "warning", 1, "$sizee is not a parameter of function tcp_sendmsg: it has "
                                              "$sk, $msg, $size (did you mean '$size'?)")]


def test_parameters_of_a_tracepoint_are_exact(sample):
    found = _check('probe kernel.trace("sched_switch") { println($nextt->pid, $prev->pid, $preempt) }\n', sample)
    assert found == [("STP320", "error", 1, "$nextt is not a parameter of tracepoint sched_switch: it has "
                                            "$preempt, $prev, $next, $prev_state (did you mean '$next'?)")]


def test_tracepoint_without_parameter_names_is_not_judged(sample):
    assert _codes('probe kernel.trace("irq_handler_entry") { println($irq, $whatever) }\n', sample) == []


def test_wildcards_check_every_function_they_match(sample):
    found = _check('probe kernel.function("vfs_*") { println($count, $buf, $flags) }\n', sample)
    assert [(c, m.split(":")[0]) for c, _, _, m in found] == [
        ("STP320", "$flags is not a parameter of function vfs_read (nor of 1 more)")]


def test_defined_guards_and_context_variables(sample):
    text = ('probe kernel.function("tcp_sendmsg") {\n'
            '  if (@defined($len)) println($len)\n'
            '  x = @defined($sk->nothing) ? $sk->nothing : 0\n'
            '  println(x, $$parms, $$vars$)\n'
            '}\n')
    assert _codes(text, sample) == []


def test_probes_mixing_kinds_are_not_judged(sample):
    text = 'probe kernel.function("tcp_sendmsg"), timer.s(1) { if (@defined($sk)) println($anything) }\n'
    assert "STP320" not in _codes(text, sample)


def test_kernel_globals_are_variables_of_a_function_probe(sample):
    # stap reads the globals a function's code sees: $jiffies is a data symbol of the kernel
    assert _codes('probe kernel.function("schedule") { println($jiffies) }\n', sample) == []
    assert _codes('probe kernel.trace("sched_switch") { println($jiffies) }\n', sample) == ["STP320"]


def test_code_stap_optimizes_away_is_not_judged(sample):
    # semok/cast.stp: "bogus @casts can get optimized away"; so are unread locals' values
    text = ('probe kernel.function("tcp_sendmsg") {\n'
            '  @cast(0, "task_struct")->no_such_field\n'
            '  unread = $sk->nothing\n'
            '  println($size)\n'
            '}\n')
    assert _codes(text, sample) == []
    assert _codes("#! stap -u\n" + text, sample) == ["STP321", "STP321"]


def test_return_of_a_void_function(sample):
    found = _check('probe kernel.function("do_exit").return { println($return) }\n'
                   'probe kernel.function("tcp_sendmsg").return { println($return) }\n', sample)
    assert found == [("STP324", "error", 1, "$return: do_exit returns nothing (void)")]


# ---------------------------------------------------------------- members

def test_member_chains(sample):
    text = ('probe kernel.function("tcp_sendmsg") {\n'
            '  println($sk->__sk_common->skc_family, $sk->sk_rcvbuf)\n'
            '  println($sk->sk_rcvbuff)\n'
            '  println($msg->msg_namelen->x)\n'
            '}\n'
            'probe kernel.function("wake_up_new_task") {\n'
            '  println($p->comm[0], $p->__state, $p->mm->start_code, $p->tasks->next->prev)\n'
            '  println($p->files->anything, $p->pid[1])\n'
            '}\n')
    assert _check(text, sample) == [
        ("STP321", "error", 3, "struct sock has no member 'sk_rcvbuff' (did you mean 'sk_rcvbuf'?)"),
        ("STP322", "error", 4, "'->x' on member 'msg_namelen' (int): it has no members"),
        ("STP322", "error", 8, "'[...]' on member 'pid' (pid_t): it is neither an array nor a pointer"),
    ]


def test_dot_used_for_a_member(sample):
    found = _check('probe kernel.function("tcp_sendmsg") { println($sk . sk_sndbuf) }\n', sample)
    assert [(c, s) for c, s, *_ in found] == [("STP323", "error")]
    assert "read it with '->sk_sndbuf'" in found[0][3]
    # a real concatenation is not one
    assert _codes('global sk_sndbuf\nprobe kernel.function("tcp_sendmsg") { sk_sndbuf = "a"; '
                  'println(sprint($size) . sk_sndbuf) }\n', sample) == []


def test_casts(sample):
    text = ('function f(t) {\n'
            '  return @cast(t, "task_struct")->pid + @cast(t, "struct task_struct", "kernel")->tgid\n'
            '    + @cast(t, "task_strct")->pid + @cast(t, "task_struct", "kernel<linux/sched.h>")->pidd\n'
            '    + @cast(t, "timeval", "<sys/time.h>")->tv_sec\n'
            '}\n'
            'probe begin { println(f(0)) }\n')
    assert _check(text, sample) == [
        ("STP325", "warning", 3, "@cast to 'task_strct': the kernel's BTF has no such type "
                                 "(did you mean 'struct task_struct'?)"),
        ("STP321", "error", 3, "struct task_struct has no member 'pidd' (did you mean 'pid'?)"),
    ]


def test_cast_read_as_an_array_and_casts_in_program_probes(sample):
    # PR11556: @cast(p, "T")[i] reads p as an array of T
    assert _codes('probe begin { println(@cast(0, "task_struct", "kernel")[42]->tgid) }\n', sample) == []
    # without a module, a @cast in a process probe reads the program's types
    text = 'probe process("/usr/bin/stap").function("main") { println(@cast($s, "systemtap_session")->x) }\n'
    assert _codes(text, sample) == []
    assert _codes('probe begin { println(@cast(0, "systemtap_session")->x) }\n', sample) == ["STP325"]


def test_types_are_recorded_for_the_language_server(sample):
    text = 'probe kernel.function("tcp_sendmsg") { println($sk->__sk_common->skc_family) }\n'
    result = check_text(text, "t.stp", CheckOptions(kernel=sample))
    assert sorted(result.unit.c_types.values()) == ["short unsigned int", "short unsigned int",
                                                    "struct sock*", "struct sock_common"]
    (contexts,) = result.unit.kernel_contexts.values()
    assert [c.name for c in contexts] == ["tcp_sendmsg"]


def test_tapset_files_are_not_judged(sample):
    assert _codes('probe kernel.function("sys_ioctl") { println($x->y) }\n', sample, tapset=True) == []


# ---------------------------------------------------------------- the running kernel

@needs_running_btf
def test_the_running_kernel():
    running = KernelSource(btf="running")
    text = ('probe kernel.function("tcp_sendmsg") { println($sk->__sk_common->skc_family, $size) }\n'
            'probe kernel.trace("sched_switch") { println($prev->pid, $prev->pidd) }\n'
            'probe kernel.function("sys_ioctl") { println(1) }\n')
    found = _check(text, running)
    assert [(c, line) for c, _, line, _ in found] == [("STP321", 2), ("STP211", 3)]
    assert "did you mean 'pid'" in found[0][3]
    if platform.machine() == "x86_64":
        assert "__x64_sys_ioctl" in found[1][3]


@needs_running_btf
def test_a_member_of_an_unnamed_struct_on_the_running_kernel():
    # examples/process/futexes2.stp: futex_key's `shared` lost `inode` (now `i_seq`) in Linux 5.8
    running = KernelSource(btf="running")
    text = ('function f(key) { return @cast(key, "union futex_key")->shared->pgoff\n'
            '  + @cast(key, "union futex_key")->shared->inode }\nprobe begin { println(f(0)) }\n')
    found = _check(text, running)
    if not found or found[0][0] == "STP325":
        pytest.skip("this kernel has no futex_key, or its shared.inode is still there")
    (code, severity, line, message), = found
    assert (code, severity, line) == ("STP321", "error", 2)
    assert message.startswith("the unnamed struct of member 'shared' has no member 'inode' (it has ")
    assert "'pgoff'" in message


@needs_running_btf
@pytest.mark.corpus
def test_every_debian_example_checks_against_the_running_kernel():
    paths = sorted(glob.glob("/usr/share/systemtap/examples/**/*.stp", recursive=True))
    if not paths:
        pytest.skip("systemtap-doc's examples are not installed")
    options = CheckOptions(kernel=KernelSource(btf="running"))
    for path in paths:
        check_file(path, options)  # no crash on any of them


def test_optional_and_sufficient_uses_of_script_aliases(sample):
    # semok/twentytwo.stp and twentyseven.stp: the use decides, and `!` is optional too
    text = ('probe baz.a = kernel.function("no_such_function") { }\n'
            'probe baz.* ? { }\n'
            'probe foo = kernel.function("sys_read") !, kernel.function("schedule") { }\n'
            'probe foo { }\n'
            'probe bar = kernel.function("no_such_function") { }\n'
            'probe bar { }\n')
    assert _check(text, sample) == [("STP211", "warning", 5, "kernel function 'no_such_function' is not in "
                                                            "this kernel")]


def test_a_char_array_printed_as_a_string_gets_the_kernel_type_in_the_hint(sample):
    text = 'probe kernel.function("wake_up_new_task") { printf("%s %s\\n", $p->comm, kernel_string($p->comm)) }\n'
    result = check_text(text, "t.stp", CheckOptions(kernel=sample))
    (mismatch,) = [d for d in result.diagnostics if d.code == "STP105"]
    assert mismatch.message == "type mismatch: expected string but found long"
    assert mismatch.hints == ("it is a char[16]: read the text with kernel_string(...)",)
    without = check_text(text, "t.stp", CheckOptions())
    assert [d.hints for d in without.diagnostics if d.code == "STP105"] == [()]


def test_points_after_a_sufficient_one_that_exists_are_not_tried(sample):
    # examples/process/cycle_thief.stp: kernel.{trace("irq_handler_entry")!, trace("irq_entry")}
    text = ('probe kernel.{trace("sched_switch")!, trace("no_such_tp")} { println(1) }\n'
            'probe kernel.{trace("gone_tp")!, trace("also_gone")} { println(1) }\n')
    assert _check(text, sample) == [("STP212", "warning", 2, "tracepoint 'also_gone' is not in this kernel")]


def test_functions_of_a_module_in_the_symbol_table(sample):
    text = ('probe module("ext4").function("ext4_file_write_iter") { println($iocb) }\n'
            'probe module("ext4").function("ext4_file_read_iter") { println(1) }\n'
            'probe kprobe.module("ext4").function("ext4_file_writ_iter") { println(1) }\n'
            'probe module("xfs").function("xfs_anything") { println(1) }\n'  # not loaded: unknown
            'probe module("ext4").function("ext4_*") { println(1) }\n'
            'probe module("ext4").function("btrfs_*") { println(1) }\n')
    assert _check(text, sample) == [
        ("STP211", "warning", 2, "module ext4 has no function 'ext4_file_read_iter' "
                                 "(did you mean 'ext4_file_write_iter'?)"),
        ("STP211", "error", 3, "module ext4 has no function 'ext4_file_writ_iter' "
                               "(did you mean 'ext4_file_write_iter'?)"),
        ("STP211", "warning", 6, "no function of module ext4 matches 'btrfs_*'"),
    ]
    assert _codes(text, KernelSource(btf=sample.btf)) == []  # no symbol table: nothing known of modules


def test_a_function_named_with_its_file_has_its_parameters(sample):
    text = 'probe kernel.function("tcp_sendmsg@net/ipv4/tcp.c") { println($sizee) }\n'
    assert _codes(text, sample) == ["STP320"]


def test_kernel_findings_can_be_ignored_and_suppressed(sample):
    # They hold for the kernel given; a script may be meant for other kernels too.
    from stapkit.lint.options import LintOptions
    from stapkit.lint.runner import lint_text
    from stapkit.lint.selection import Selection

    text = ('probe kernel.function("tcp_sendmsg") {\n'
            '  println($sk->sk_rcvbuff)  # stapkit: disable=STP321\n'
            '  println($sk->sk_sndbuff)\n'
            '  printf("%d\\n", "x")  # stapkit: disable=STP105\n'
            '}\n')
    found = lint_text(text, "t.stp", LintOptions(CheckOptions(kernel=sample)))
    assert sorted((d.code, d.span.start) for d in found.diagnostics if d.code in ("STP321", "STP105")) == [
        ("STP105", text.index('"x"')), ("STP321", text.index("->sk_sndbuff"))]  # stap's own error stays
    ignored = lint_text(text, "t.stp", LintOptions(CheckOptions(kernel=sample), Selection(ignore=("STP32",))))
    assert "STP321" not in {d.code for d in ignored.diagnostics}


def test_a_modules_functions_and_variables_from_its_split_btf(tmp_path):
    from tests.kernel.sample_kernel import write_sample_btf_dir

    vmlinux, symbols = write_sample_btf_dir(tmp_path)
    kernel = KernelSource(btf=str(vmlinux), symbols=str(symbols))
    text = ('probe module("ext4").function("ext4_sync_file") {\n'
            '  println($datasync, $file->f_pos, $file->f_flagz, $nope)\n'
            '}\n'
            'probe module("ext4").function("ext4_sync_fil") { println(1) }\n'
            'probe module("ext4").function("ext4_file_write_iter") { println($iocb->ki_filp->f_inode->i_ino) }\n')
    assert _check(text, kernel) == [
        ("STP321", "error", 2, "struct file has no member 'f_flagz' (did you mean 'f_flags'?)"),
        ("STP320", "warning", 2, "$nope is not a parameter of function ext4_sync_file: it has $file, $start, "
                                 "$end, $datasync"),
        ("STP211", "warning", 4, "module ext4 has no function 'ext4_sync_fil' (did you mean 'ext4_sync_file'?)"),
    ]
