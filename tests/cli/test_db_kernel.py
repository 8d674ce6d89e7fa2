"""`stapkit db show|list` of kernel types: `struct x`, a bare name as @cast writes it, and
`@cast(p, "x")` itself; which questions go to the tapset database and which to the kernel.
(Kernel functions and tracepoints: tests/cli/test_kernel_options.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.kernel.sample_kernel import write_sample_kernel


def stapkit(*args):
    return subprocess.run([sys.executable, "-m", "stapkit", *args], capture_output=True, text=True)


@pytest.fixture
def btf(tmp_path):
    return str(write_sample_kernel(tmp_path)[0])


def test_a_bare_type_name_answers_from_the_kernel_when_the_database_does_not_know_it(btf):
    shown = stapkit("db", "show", "mm_struct", "--kernel-btf", btf)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines() == ["struct mm_struct", "  start_code:long unsigned int",
                                         "  end_code:long unsigned int", "  mmap_base:long unsigned int",
                                         f"  from {btf}"]
    typedef = stapkit("db", "show", "loff_t", "--kernel-btf", btf, "--output-format", "json")
    assert json.loads(typedef.stdout) == {"name": "loff_t", "known": True}
    # the tapset database first: a probe alias stays the alias with a kernel given
    assert stapkit("db", "show", "socket.send", "--kernel-btf", btf).stdout.startswith("socket.send ")
    # neither knows it: the database's answer, exit 1
    unknown = stapkit("db", "show", "no_such_thing", "--kernel-btf", btf)
    assert unknown.returncode == 1 and "no probe point or function named 'no_such_thing'" in unknown.stdout
    # without a kernel, a bare name is only the database's
    assert stapkit("db", "show", "mm_struct").returncode == 1


def test_a_cast(btf):
    shown = stapkit("db", "show", '@cast(tsk, "task_struct", "kernel")', "--kernel-btf", btf)
    assert shown.returncode == 0 and shown.stdout.splitlines()[:3] == [
        "struct task_struct", "  pid:pid_t", "  tgid:pid_t"]
    missing = stapkit("db", "show", '@cast(tsk, "task_strut")', "--kernel-btf", btf)
    assert missing.returncode == 1
    assert missing.stdout == "task_strut: no such type in this kernel's BTF (did you mean 'struct task_struct'?)\n"
    # a question for the kernel without one: say how to give one, as for kernel.function
    without = stapkit("db", "show", '@cast(tsk, "task_struct")')
    assert without.returncode == 2 and without.stdout == ""
    assert "is a question for a kernel description: give one with --kernel-btf PATH" in without.stderr


def test_list_types_by_pattern(btf):
    listed = stapkit("db", "list", "struct so*", "--kernel-btf", btf)
    assert listed.returncode == 0 and listed.stdout.splitlines() == ["struct sock", "struct sock_common"]
    none = stapkit("db", "list", "union *", "--kernel-btf", btf)
    assert none.returncode == 1 and none.stdout == "" and "nothing in the kernel matches 'union *'" in none.stderr


def test_a_bad_kernel_file_is_one_error_for_db_show_too(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a kernel\n")
    for query in ('kernel.function("tcp_sendmsg")', "mm_struct"):
        result = stapkit("db", "show", query, "--kernel-btf", str(text))
        assert result.returncode == 2 and "Traceback" not in result.stderr
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"stapkit: error: {text}: not BTF"), line


@pytest.mark.skipif(not os.path.exists("/sys/kernel/btf/vmlinux"),
                    reason="this machine's kernel has no /sys/kernel/btf/vmlinux")
def test_the_running_kernels_types():
    shown = stapkit("db", "show", "task_struct", "--kernel-btf", "running")
    assert shown.returncode == 0 and shown.stdout.splitlines()[0] == "struct task_struct"
    assert any(line.startswith("  comm:char[") for line in shown.stdout.splitlines())
    # 6.x's struct sock marks its cache-line groups with zero-length arrays: not in the summary
    sendmsg = stapkit("db", "show", 'kernel.function("tcp_sendmsg")', "--kernel-btf", "running")
    (members,) = [line for line in sendmsg.stdout.splitlines() if line.startswith("  $sk->")]
    assert "__cacheline_group" not in members and "__sk_common:struct sock_common" in members


def test_a_saved_file_is_readable_as_files_made_the_usual_way_are(tmp_path, btf):
    saved = tmp_path / "k.stpk"
    old = os.umask(0o022)
    try:
        built = stapkit("db", "kernel", "build", "--btf", btf, "-o", str(saved))
    finally:
        os.umask(old)
    assert built.returncode == 0 and built.stdout.rstrip().endswith(" kB")  # a small file: not "0.0 MB"
    assert saved.stat().st_mode & 0o777 == 0o644  # not the temporary file's 0600: it is meant to be shared
    saved.chmod(0o600)  # a file written over keeps its own
    assert stapkit("db", "kernel", "build", "--btf", btf, "-o", str(saved)).returncode == 0
    assert saved.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("command", [["db", "show"], ["db", "list"], ["db", "info"], ["db", "build"],
                                     ["db", "kernel", "build"], ["db", "kernel", "info"], ["lint"]])
def test_help_of_the_commands_that_take_a_kernel(command):
    # argparse %-formats help texts: a bare `%( %)` in one broke `db show --help` with a traceback
    result = stapkit(*command, "--help")
    assert result.returncode == 0 and "Traceback" not in result.stderr and "usage: stapkit" in result.stdout
