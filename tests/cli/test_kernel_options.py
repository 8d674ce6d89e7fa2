"""The command line with a kernel description: lint's --kernel-btf/--kernel-symbols and
the configuration keys, the cache, `db show|list` of kernel points, `db kernel build|info`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.kernel.sample_kernel import write_sample_kernel

RUNNING_BTF = "/sys/kernel/btf/vmlinux"
needs_running_btf = pytest.mark.skipif(not os.path.exists(RUNNING_BTF),
                                       reason="this machine's kernel has no /sys/kernel/btf/vmlinux")

SCRIPT = 'probe kernel.function("tcp_sendmsg") {\n  printf("%d\\n", $sk->sk_rcvbuff)\n}\n'


def stapkit(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "stapkit", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **(env or {})})


@pytest.fixture
def kernel(tmp_path):
    btf, symbols = write_sample_kernel(tmp_path)
    return btf, symbols


def _codes(stdout: str) -> list[str]:
    return [d["code"] for d in json.loads(stdout)]


def test_lint_finds_kernel_mistakes_only_with_a_kernel(tmp_path, kernel):
    btf, symbols = kernel
    script = tmp_path / "s.stp"
    script.write_text(SCRIPT)
    without = stapkit("lint", "--no-cache", "--output-format", "json", str(script))
    assert without.returncode == 0 and _codes(without.stdout) == []
    found = stapkit("lint", "--no-cache", "--output-format", "json", "--kernel-btf", str(btf),
                    "--kernel-symbols", str(symbols), str(script))
    assert found.returncode == 1
    (diagnostic,) = json.loads(found.stdout)
    assert diagnostic["code"] == "STP321" and diagnostic["line"] == 2
    assert diagnostic["message"] == "struct sock has no member 'sk_rcvbuff' (did you mean 'sk_rcvbuf'?)"


def test_configuration_keys_are_relative_to_their_file(tmp_path, kernel):
    btf, symbols = kernel
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    (project / "stapkit.toml").write_text(f'kernel-btf = "../{btf.name}"\nkernel-symbols = "../{symbols.name}"\n')
    (project / "scripts" / "s.stp").write_text(SCRIPT)
    result = stapkit("lint", "--no-cache", "--output-format", "json", "scripts/s.stp", cwd=project)
    assert result.returncode == 1 and _codes(result.stdout) == ["STP321"], result.stderr
    shown = json.loads(stapkit("config", "--output-format", "json", str(project / "scripts")).stdout)
    assert shown["settings"]["kernel-btf"] == str(project.resolve() / ".." / btf.name)
    assert shown["settings"]["kernel-symbols"] == str(project.resolve() / ".." / symbols.name)


def test_a_bad_configuration_value_names_the_key(tmp_path):
    (tmp_path / "stapkit.toml").write_text("kernel-btf = 3\n")
    (tmp_path / "s.stp").write_text("probe begin { exit() }\n")
    result = stapkit("lint", "--no-cache", "s.stp", cwd=tmp_path)
    assert result.returncode == 2 and "kernel-btf: must be a file name" in result.stderr


@pytest.mark.parametrize("make, message", [
    (lambda d: d / "missing.btf", "no such BTF file"),
    (lambda d: _write(d / "text.btf", b"probe begin {}\n"), "not BTF"),
    (lambda d: _write(d / "cut.btf", b"\x9f\xeb\x01\x00\x18\x00\x00\x00" + bytes(8)), "too short"),
    (lambda d: _write(d / "damaged.stpk", b"STAPKIT-KERNEL\x00\x01\xff\x00\x00\x00{}"), "damaged kernel description"),
])
def test_bad_kernel_files_are_one_error_and_exit_2(tmp_path, make, message):
    path = make(tmp_path)
    (tmp_path / "a.stp").write_text(SCRIPT)
    (tmp_path / "b.stp").write_text(SCRIPT)
    result = stapkit("lint", "--no-cache", "--kernel-btf", str(path), "a.stp", "b.stp", cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"stapkit: error: {path}:") and message in lines[0]
    assert "Traceback" not in result.stderr


def test_a_binary_file_as_symbol_table(tmp_path, kernel):
    bad = _write(tmp_path / "System.map", bytes(range(256)))
    (tmp_path / "a.stp").write_text(SCRIPT)
    result = stapkit("lint", "--no-cache", "--kernel-symbols", str(bad), "a.stp", cwd=tmp_path)
    assert result.returncode == 2 and "not a symbol table line" in result.stderr


def test_the_cache_tells_kernels_apart(tmp_path, kernel):
    btf, _ = kernel
    script = tmp_path / "s.stp"
    script.write_text(SCRIPT)
    env = {"STAPKIT_CACHE_DIR": str(tmp_path / "cache")}
    args = ("lint", "--output-format", "json", str(script))
    assert _codes(stapkit(*args, env=env).stdout) == []
    assert _codes(stapkit("lint", "--kernel-btf", str(btf), *args[1:], env=env).stdout) == ["STP321"]
    # another kernel at the same path: a new result, not the cached one
    from tests.kernel.btf_writer import BtfWriter

    w = BtfWriter()
    w.int("int", 4, signed=True)
    btf.write_bytes(w.bytes())
    os.utime(btf, ns=(10**18, 10**18))
    assert _codes(stapkit("lint", "--kernel-btf", str(btf), *args[1:], env=env).stdout) == ["STP211"]


# ---------------------------------------------------------------- db

def test_db_show_a_kernel_function(kernel):
    btf, symbols = kernel
    result = stapkit("db", "show", 'kernel.function("vfs_write")', "--kernel-btf", str(btf))
    assert result.returncode == 0
    assert result.stdout.splitlines()[:3] == [
        'kernel.function("vfs_write") $file:struct file* $buf:const char* $count:size_t $pos:loff_t*',
        "  returns ssize_t",
        "  $file->  f_flags:unsigned int f_pos:loff_t f_inode:struct inode*",
    ]
    ret = stapkit("db", "show", 'kernel.function("tcp_sendmsg").return', "--kernel-btf", str(btf))
    assert ret.stdout.splitlines()[0].endswith("$size:size_t $return:int")


def test_db_show_tracepoints_kprobes_and_types(kernel):
    btf, symbols = kernel
    tp = stapkit("db", "show", 'kernel.trace("sched_switch")', "--kernel-btf", str(btf))
    assert tp.stdout.splitlines()[0] == ('kernel.trace("sched_switch") $preempt:bool $prev:struct task_struct* '
                                         '$next:struct task_struct* $prev_state:unsigned int')
    kp = stapkit("db", "show", 'kprobe.function("entry_SYSCALL_64")', "--kernel-btf", str(btf),
                 "--kernel-symbols", str(symbols))
    assert kp.returncode == 0 and "in the kernel's symbol table" in kp.stdout
    struct = stapkit("db", "show", "struct sock", "--kernel-btf", str(btf))
    assert struct.stdout.splitlines()[:4] == ["struct sock", "  __sk_common:struct sock_common",
                                              "  sk_rcvbuf:int", "  sk_sndbuf:int"]
    data = json.loads(stapkit("db", "show", 'kernel.function("do_exit")', "--kernel-btf", str(btf),
                              "--output-format", "json").stdout)
    assert data["matches"][0]["parameters"] == [{"name": "code", "type": "long int"}]
    assert data["matches"][0]["returns"] == "void"


def test_db_show_unknown_and_without_a_kernel(kernel):
    btf, _ = kernel
    unknown = stapkit("db", "show", 'kernel.function("sys_ioctl")', "--kernel-btf", str(btf))
    assert unknown.returncode == 1
    assert unknown.stdout.strip() == ("kernel.function(\"sys_ioctl\"): no such function in this kernel "
                                      "(did you mean '__x64_sys_ioctl'?)")
    without = stapkit("db", "show", 'kernel.function("tcp_sendmsg")')
    assert without.returncode == 2 and "--kernel-btf" in without.stderr
    # a tapset name still answers from the tapset database with a kernel given
    assert stapkit("db", "show", "socket.send", "--kernel-btf", str(btf)).returncode == 0


def test_db_list_kernel_patterns(kernel):
    btf, symbols = kernel
    listed = stapkit("db", "list", 'kernel.function("vfs_*")', "--kernel-btf", str(btf))
    assert listed.stdout.splitlines() == ['kernel.function("vfs_read")', 'kernel.function("vfs_write")']
    traces = stapkit("db", "list", 'kernel.trace("sched_*")', "--kernel-btf", str(btf))
    assert traces.stdout.splitlines() == ['kernel.trace("sched_process_exec")', 'kernel.trace("sched_switch")']
    none = stapkit("db", "list", 'kernel.function("udp_*")', "--kernel-btf", str(btf))
    assert none.returncode == 1 and none.stdout == ""


def test_db_kernel_build_and_info_round_trip(tmp_path, kernel):
    btf, symbols = kernel
    saved = tmp_path / "out" / "sample.stpk"
    built = stapkit("db", "kernel", "build", "--btf", str(btf), "--symbols", str(symbols), "--release",
                    "6.1.0-13-amd64", "--arch", "x86_64", "-o", str(saved))
    assert built.returncode == 0, built.stderr
    assert built.stdout.startswith(f"wrote {saved}: kernel 6.1.0-13-amd64 x86_64, ")
    info = json.loads(stapkit("db", "kernel", "info", str(saved), "--output-format", "json").stdout)
    assert info["release"] == "6.1.0-13-amd64" and info["functions"] == 12 and info["tracepoints"] == 3
    query = ('db', 'show', 'kernel.function("tcp_recvmsg")')
    from_raw = stapkit(*query, "--kernel-btf", str(btf), "--kernel-symbols", str(symbols)).stdout
    from_saved = stapkit(*query, "--kernel-btf", str(saved)).stdout
    assert from_raw.splitlines()[:-1] == from_saved.splitlines()[:-1]
    assert from_saved.splitlines()[-1].endswith("(kernel 6.1.0-13-amd64)")
    # a saved file, not BTF: refused, and nothing written
    again = stapkit("db", "kernel", "build", "--btf", str(saved), "-o", str(tmp_path / "again.stpk"))
    assert again.returncode == 2 and not (tmp_path / "again.stpk").exists()


def test_db_kernel_build_errors(tmp_path):
    result = stapkit("db", "kernel", "build", "--btf", str(tmp_path / "nothing"), "-o", str(tmp_path / "x"))
    assert result.returncode == 2 and "no such BTF file" in result.stderr and not (tmp_path / "x").exists()
    assert stapkit("db", "kernel").returncode == 2


@needs_running_btf
def test_db_show_on_the_running_kernel():
    result = stapkit("db", "show", 'kernel.function("tcp_sendmsg")', "--kernel-btf", "running")
    assert result.stdout.splitlines()[0] == ('kernel.function("tcp_sendmsg") $sk:struct sock* '
                                             '$msg:struct msghdr* $size:size_t')


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def test_a_warm_run_does_not_read_the_kernel(tmp_path, kernel):
    btf, _ = kernel
    script = tmp_path / "s.stp"
    script.write_text(SCRIPT)
    env = {"STAPKIT_CACHE_DIR": str(tmp_path / "cache")}
    args = ("lint", "--output-format", "json", "--kernel-btf", str(btf), str(script))
    assert _codes(stapkit(*args, env=env).stdout) == ["STP321"]
    program = ("import runpy, sys\nsys.argv = ['stapkit', *sys.argv[1:]]\n"
               "try:\n    runpy.run_module('stapkit', run_name='__main__')\nexcept SystemExit:\n    pass\n"
               "print(sorted(m for m in sys.modules if m.startswith('stapkit.kernel.') or "
               "m.startswith('stapkit.syntax.parser')), file=sys.stderr)\n")
    warm = subprocess.run([sys.executable, "-c", program, *args], capture_output=True, text=True,
                          env={**os.environ, **env})
    assert _codes(warm.stdout) == ["STP321"]
    # no BTF read, no parser: only the light modules that name the kernel's release
    assert warm.stderr.strip().splitlines()[-1] == "['stapkit.kernel.loading', 'stapkit.kernel.saved']"


def test_a_described_kernel_is_the_target_of_the_conditionals(tmp_path, kernel):
    btf, symbols = kernel
    saved = tmp_path / "old.stpk"
    assert stapkit("db", "kernel", "build", "--btf", str(btf), "--release", "4.19.0-1-amd64", "--arch", "aarch64",
                   "-o", str(saved)).returncode == 0
    script = tmp_path / "v.stp"
    # only the old kernels' branch has a mistake
    script.write_text('%( kernel_v >= "5.0" %? probe begin { println(1) exit() } %: '
                      'probe begin { printf("%d\\n", "x") exit() } %)\n')
    lint = ("lint", "--no-cache", "--only-target-branches", "--output-format", "json", "--kernel-btf", str(saved))
    assert _codes(stapkit(*lint, str(script)).stdout) == ["STP105"]  # the saved file says 4.19
    assert _codes(stapkit(*lint, "--kernel-version", "6.1.0", str(script)).stdout) == []  # the option wins
    from stapkit.cli.target_options import parse_options_from_arguments
    from stapkit.cli import build_parser

    args = build_parser().parse_args(["lint", "--kernel-btf", str(saved), str(script)])
    target = parse_options_from_arguments(args).target
    assert (target.kernel_vr, target.kernel_v, target.arch) == ("4.19.0-1-amd64", "4.19.0", "arm64")
    args = build_parser().parse_args(["lint", "--kernel-btf", str(saved), "--kernel-version", "6.1.0",
                                      "--arch", "x86_64", str(script)])
    target = parse_options_from_arguments(args).target
    assert (target.kernel_vr, target.arch) == ("6.1.0", "x86_64")
    # raw BTF does not say which release it is: the default target stays
    args = build_parser().parse_args(["lint", "--kernel-btf", str(btf), str(script)])
    assert parse_options_from_arguments(args).target.kernel_vr == "6.12.0-amd64"


def test_a_saved_file_keeps_the_modules_btf(tmp_path):
    from tests.kernel.sample_kernel import write_sample_btf_dir

    vmlinux, symbols = write_sample_btf_dir(tmp_path)
    saved = tmp_path / "with-modules.stpk"
    built = stapkit("db", "kernel", "build", "--btf", str(vmlinux), "--symbols", str(symbols), "-o", str(saved))
    assert built.returncode == 0 and ", 1 modules, " in built.stdout
    info = stapkit("db", "kernel", "info", str(saved))
    assert "modules: ext4" in info.stdout.splitlines()
    script = tmp_path / "m.stp"
    script.write_text('probe module("ext4").function("ext4_sync_file") { println($file->f_flagz) }\n')
    # the same finding from the saved file as from the directory the modules' BTF was in
    for source in (str(saved), str(vmlinux)):
        found = json.loads(stapkit("lint", "--no-cache", "--output-format", "json", "--kernel-btf", source,
                                   str(script)).stdout)
        assert [(d["code"], d["message"]) for d in found] == [
            ("STP321", "struct file has no member 'f_flagz' (did you mean 'f_flags'?)")], source


def test_db_show_and_list_a_modules_functions(tmp_path):
    from tests.kernel.sample_kernel import write_sample_btf_dir

    vmlinux, _ = write_sample_btf_dir(tmp_path)
    shown = stapkit("db", "show", 'module("ext4").function("ext4_sync_file")', "--kernel-btf", str(vmlinux))
    assert shown.returncode == 0
    assert shown.stdout.splitlines()[0] == ('module("ext4").function("ext4_sync_file") $file:struct file* '
                                            '$start:loff_t $end:loff_t $datasync:int')
    listed = stapkit("db", "list", 'module("ext4").function("*")', "--kernel-btf", str(vmlinux))
    assert listed.stdout.splitlines() == ['module("ext4").function("ext4_file_write_iter")',
                                          'module("ext4").function("ext4_sync_file")']
    missing = stapkit("db", "show", 'module("xfs").function("xfs_file_read_iter")', "--kernel-btf", str(vmlinux))
    assert missing.returncode == 1 and "module xfs: no BTF for it" in missing.stdout


def test_a_kernel_file_damaged_past_its_header_is_one_error(tmp_path, kernel):
    import struct

    btf, _ = kernel
    data = bytearray(btf.read_bytes())
    struct.pack_into("<I", data, 20, 1)  # btf_header.str_len: the names now point past the strings
    damaged = _write(tmp_path / "damaged.btf", bytes(data))
    (tmp_path / "a.stp").write_text(SCRIPT)
    result = stapkit("lint", "--no-cache", "--kernel-btf", str(damaged), "a.stp", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"stapkit: error: {damaged}: not a usable kernel description (string offset ")


def test_a_type_reference_past_the_end_is_caught_when_loading(tmp_path):
    from stapkit.kernel.loading import KernelLoadError

    from tests.kernel.btf_writer import BtfWriter

    w = BtfWriter()
    w.int("int", 4)
    w.ptr(99)  # no type 99
    bad = _write(tmp_path / "refs.btf", w.bytes())
    with pytest.raises(KernelLoadError, match=r"refs\.btf: not a usable kernel description \(type 2 refers to type 99"):
        from stapkit.kernel.loading import KernelSource, load_kernel

        load_kernel(KernelSource(btf=str(bad)))


def test_the_options_win_over_the_configuration(tmp_path, kernel):
    btf, symbols = kernel
    project = tmp_path / "project"
    project.mkdir()
    # the configuration names files that do not exist: only the options are read
    (project / "stapkit.toml").write_text('kernel-btf = "gone.btf"\nkernel-symbols = "gone.map"\n')
    (project / "s.stp").write_text(SCRIPT)
    configured = stapkit("lint", "--no-cache", "s.stp", cwd=project)
    assert configured.returncode == 2
    assert configured.stderr.strip() == f"stapkit: error: {project.resolve() / 'gone.btf'}: no such BTF file"
    given = stapkit("lint", "--no-cache", "--output-format", "json", "--kernel-btf", str(btf),
                    "--kernel-symbols", str(symbols), "s.stp", cwd=project)
    assert given.returncode == 1 and _codes(given.stdout) == ["STP321"], given.stderr


def test_running_in_the_configuration_is_kept_as_the_word(tmp_path):
    (tmp_path / "stapkit.toml").write_text('kernel-btf = "running"\n')
    shown = json.loads(stapkit("config", "--output-format", "json", str(tmp_path)).stdout)
    assert shown["settings"]["kernel-btf"] == "running" and shown["settings"]["kernel-symbols"] is None
    text = stapkit("config", str(tmp_path)).stdout
    assert any("kernel-btf" in line and "running" in line for line in text.splitlines()), text
