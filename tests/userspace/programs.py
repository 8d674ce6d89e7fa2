"""Programs the user-space tests build themselves: a small C program with SDT markers
(`<sys/sdt.h>`, from Debian's systemtap-sdt-dev), compiled with and without -g,
stripped, with a .gnu_debugdata mini-debuginfo, and a shared library it links.

Without gcc or sys/sdt.h the tests that need them are skipped, unless
STAPKIT_REQUIRE_CORPORA is set (as .ci/run does): then they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import attrs
import pytest

PROGRAM = r"""
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>
#include <stdio.h>
#include "demo.h"

/* With _SDT_HAS_SEMAPHORES every marker has one; a tracer sets it while it is attached. */
unsigned short myapp_request__start_semaphore __attribute__((section(".probes")));
unsigned short myapp_helper__entry_semaphore __attribute__((section(".probes")));
unsigned short myapp_start_semaphore __attribute__((section(".probes")));

int counter;

__attribute__((noinline)) int helper(int a, long b)
{
    DTRACE_PROBE2(myapp, helper__entry, a, b);
    return a + (int)b;
}

static inline int always_inlined(int x) { return x * 3; }

int main(int argc, char **argv)
{
    DTRACE_PROBE(myapp, start);
    if (myapp_request__start_semaphore)
        DTRACE_PROBE3(myapp, request__start, argc, argv[0], (unsigned long)argc);
    counter += always_inlined(argc);
    printf("%d %d\n", helper(argc, 3), demo_work(argc));
    return 0;
}
"""

LIBRARY = r"""
#include <sys/sdt.h>
#include "demo.h"

int demo_work(int n)
{
    STAP_PROBE1(demolib, work, n);
    return n * 2;
}
"""

HEADER = "int demo_work(int n);\n"

# What `readelf -n` says the program has (the oracle the marker tests compare with).
MARKERS = {("myapp", "helper__entry"): 2, ("myapp", "start"): 0, ("myapp", "request__start"): 3}


@attrs.frozen
class Programs:
    directory: Path
    plain: Path  # -O1, not stripped
    debug: Path  # -g
    stripped: Path
    mini: Path | None  # stripped, with a .gnu_debugdata mini-debuginfo (None without xz/objcopy)
    library: Path  # libdemo.so (a marker, demo_work)


def need(tool_or_header: str, found: bool) -> None:
    if found:
        return
    message = f"{tool_or_header} is not installed (apt-get install gcc systemtap-sdt-dev)"
    if os.environ.get("STAPKIT_REQUIRE_CORPORA"):
        pytest.fail(message)
    pytest.skip(message)


def _have_sdt_header(directory: Path) -> bool:
    """Does the compiler find <sys/sdt.h> (Debian keeps it in the multiarch include directory)?"""
    (directory / "probe-sdt.c").write_text("#include <sys/sdt.h>\n")
    result = subprocess.run(["gcc", "-E", "-o", os.devnull, "probe-sdt.c"], cwd=directory,
                            capture_output=True, timeout=60)
    return result.returncode == 0


def _run(*argv, cwd: Path) -> None:
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True, timeout=120)


def build(directory: Path) -> Programs:
    need("gcc", shutil.which("gcc") is not None)
    need("sys/sdt.h", _have_sdt_header(directory))
    need("strip", shutil.which("strip") is not None)
    (directory / "demo.h").write_text(HEADER)
    (directory / "prog.c").write_text(PROGRAM)
    (directory / "demo.c").write_text(LIBRARY)
    _run("gcc", "-O1", "-shared", "-fPIC", "-o", "libdemo.so", "demo.c", cwd=directory)
    link = ["-L.", "-ldemo", "-Wl,-rpath,$ORIGIN"]
    _run("gcc", "-O1", "-o", "prog", "prog.c", *link, cwd=directory)
    _run("gcc", "-O1", "-g", "-o", "prog-g", "prog.c", *link, cwd=directory)
    shutil.copy(directory / "prog", directory / "prog-stripped")
    _run("strip", "prog-stripped", cwd=directory)
    mini = None
    if shutil.which("xz") and shutil.which("objcopy") and shutil.which("nm"):
        mini = _with_mini_debuginfo(directory)
    return Programs(directory, directory / "prog", directory / "prog-g", directory / "prog-stripped", mini,
                    directory / "libdemo.so")


def _with_mini_debuginfo(directory: Path) -> Path:
    """Fedora's recipe (find-debuginfo's add_minidebug): the function symbols that .dynsym lacks, in an
    xz-compressed ELF file, as the .gnu_debugdata section of the stripped program."""
    _run("objcopy", "--only-keep-debug", "prog", "prog.debug", cwd=directory)
    functions = subprocess.run(["nm", "prog", "--format=posix", "--defined-only"], cwd=directory,
                               capture_output=True, text=True, check=True, timeout=60).stdout
    keep = sorted({line.split()[0] for line in functions.splitlines()
                   if len(line.split()) > 1 and line.split()[1] in "Tt"})
    (directory / "keep.txt").write_text("\n".join(keep) + "\n")
    _run("objcopy", "-S", "--remove-section", ".comment", "--keep-symbols=keep.txt", "prog.debug", "mini.debug",
         cwd=directory)
    _run("xz", "-f", "mini.debug", cwd=directory)
    shutil.copy(directory / "prog-stripped", directory / "prog-mini")
    _run("objcopy", "--add-section", ".gnu_debugdata=mini.debug.xz", "prog-mini", cwd=directory)
    return directory / "prog-mini"
