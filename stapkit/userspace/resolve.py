"""Which file a `process(...)` or `.library(...)` names, found as stap finds it.

- `process("/usr/bin/python3")`: that path (links followed).  A relative path with a
  slash counts from the current directory.
- `process("python3")`: the first `$PATH` directory holding an executable regular file
  of that name.
- `.library("libc.so.6")`: a name with a slash is a path; otherwise the program's
  runpath (DT_RUNPATH/DT_RPATH, `$ORIGIN` expanded), `$LD_LIBRARY_PATH`, the
  directories of `/etc/ld.so.conf` (and the files it includes) and the linker's
  default directories, in that order, as the dynamic linker searches them.

Under a sysroot (`--sysroot DIR`, for a container image or a cross target) every
absolute path is taken inside DIR, and links that point outside it are followed
inside it too.  Nothing is executed; only directories are listed and files
stat'ed.
"""

from __future__ import annotations

import glob
import os

# The dynamic linker's own directories (after ld.so.conf's), for 64- and 32-bit and the
# Debian multiarch ones.
DEFAULT_LIBRARY_DIRS = ("/lib", "/usr/lib", "/lib64", "/usr/lib64", "/lib/x86_64-linux-gnu",
                        "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu")
MAX_CONF_FILES = 256  # ld.so.conf and the files its `include` lines name
MAX_LINK_HOPS = 40  # as the kernel's limit on symbolic links


def in_sysroot(path: str, sysroot: str | None) -> str:
    """`path` (absolute, as the target system sees it) as a path on this machine, links resolved
    inside the sysroot."""
    if not sysroot:
        return os.path.realpath(path)
    root = os.path.realpath(sysroot)
    parts = [p for p in path.split("/") if p]
    current = root
    hops = 0
    while parts:
        part = parts.pop(0)
        if part == ".":
            continue
        if part == "..":
            current = os.path.dirname(current) if current != root else root
            continue
        candidate = os.path.join(current, part)
        if os.path.islink(candidate) and hops < MAX_LINK_HOPS:
            hops += 1
            target = os.readlink(candidate)
            if target.startswith("/"):
                current = root
            parts = [p for p in target.split("/") if p] + parts
            continue
        current = candidate
    return current


def find_program(name: str, sysroot: str | None = None, path_env: str | None = None) -> str | None:
    """The file `process(name)` probes, on this machine, or None when there is none."""
    if not name:
        return None
    if "/" in name:
        if not name.startswith("/"):
            name = os.path.join(os.getcwd(), name)
        found = in_sysroot(name, sysroot)
        return found if os.path.isfile(found) else None
    search = path_env if path_env is not None else os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin")
    for directory in search.split(":")[:256]:
        if not directory.startswith("/"):
            continue
        found = in_sysroot(os.path.join(directory, name), sysroot)
        if os.path.isfile(found) and os.access(found, os.X_OK):
            return found
    return None


def library_dirs(sysroot: str | None, runpath: tuple[str, ...] = (), origin: str | None = None,
                 ld_library_path: str | None = None, conf: list[str] | None = None) -> list[str]:
    """The directories a library is searched in, in order (as the target sees them).  `conf`:
    ld_so_conf_dirs(sysroot), when the caller asks for many libraries."""
    dirs: list[str] = []
    for d in runpath:
        if origin is not None:
            d = d.replace("$ORIGIN", origin).replace("${ORIGIN}", origin)
        dirs.append(d)
    env = ld_library_path if ld_library_path is not None else os.environ.get("LD_LIBRARY_PATH", "")
    dirs += [d for d in env.split(":") if d]
    dirs += conf if conf is not None else ld_so_conf_dirs(sysroot)
    dirs += DEFAULT_LIBRARY_DIRS
    unique: list[str] = []
    for d in dirs:
        if d.startswith("/") and d not in unique:
            unique.append(d)
    return unique


def ld_so_conf_dirs(sysroot: str | None) -> list[str]:
    """The directories /etc/ld.so.conf names, with the files it includes."""
    found: list[str] = []
    pending = ["/etc/ld.so.conf"]
    read = 0
    while pending and read < MAX_CONF_FILES:
        conf = pending.pop(0)
        read += 1
        try:
            with open(in_sysroot(conf, sysroot), encoding="utf-8", errors="replace") as f:
                lines = f.read(1 << 20).splitlines()
        except OSError:
            continue
        for line in lines:
            line = line.split("#", 1)[0].strip()
            if line.startswith("include"):
                pattern = line[len("include"):].strip()
                if not pattern.startswith("/"):
                    pattern = os.path.join(os.path.dirname(conf), pattern)
                base = os.path.realpath(sysroot) if sysroot else ""
                pending += sorted(p[len(base):] if base else p for p in glob.glob(base + pattern))
            elif line.startswith("/"):
                found.append(line)
    return found


def find_library(name: str, sysroot: str | None = None, *, runpath: tuple[str, ...] = (),
                 origin: str | None = None, conf: list[str] | None = None) -> str | None:
    """The file `.library(name)` probes, on this machine, or None."""
    if "/" in name:
        return find_program(name, sysroot, path_env="")
    for directory in library_dirs(sysroot, runpath, origin, conf=conf):
        found = in_sysroot(os.path.join(directory, name), sysroot)
        if os.path.isfile(found):
            return found
    return None
