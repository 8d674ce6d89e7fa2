"""Where stap looks for tapset files, for a target.

stap reads the top level of several directories under each tapset root
(main.cxx): for the kernel runtime on x86_64 and kernel 6.12.0-amd64, in order,

    linux/6.12.0-amd64/x86_64  linux/6.12.0-amd64  linux/6.12.0/x86_64  linux/6.12.0
    linux/6.12/x86_64  linux/6.12  linux/x86_64  linux
    6.12.0-amd64/x86_64  6.12.0-amd64  ...  x86_64  (the root itself)

The dyninst and bpf runtimes use `dyninst/` and `bpf/` instead of `linux/`
and have no kernel-version directories.
"""

from __future__ import annotations

import os
from pathlib import Path

from .target import Target

# Where Debian, Fedora and a default source build put the tapset library.
_STANDARD_TAPSET_ROOTS = (
    "/usr/share/systemtap/tapset",
    "/usr/local/share/systemtap/tapset",
)


def default_tapset_root() -> Path | None:
    """The tapset library of the local SystemTap installation, if there is one.

    $SYSTEMTAP_TAPSET overrides the search, as it does for stap.
    """
    env = os.environ.get("SYSTEMTAP_TAPSET")
    candidates = [env] if env else list(_STANDARD_TAPSET_ROOTS)
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


def search_suffixes(target: Target) -> list[str]:
    """The subdirectories of a tapset root stap reads for `target`, in order."""
    versions: list[str] = []
    if target.runtime == "kernel":
        release = target.kernel_vr
        versions.append("/" + release)
        base = target.kernel_v
        if base != release:
            versions.append("/" + base)
        family = base
        # 6.12.0 -> 6.12 (but not down to a bare major number)
        while family.count(".") > 1:
            family = family[: family.rfind(".")]
            versions.append("/" + family)
    versions.append("")
    with_arch: list[str] = []
    for suffix in versions:
        with_arch.append(f"{suffix}/{target.arch}")
        with_arch.append(suffix)
    prefix = {"kernel": "/linux", "dyninst": "/dyninst", "bpf": "/bpf"}.get(target.runtime, "")
    ordered = [prefix + s for s in with_arch] if prefix else []
    ordered += with_arch
    return [s.lstrip("/") for s in ordered]


def search_dirs(roots: list[Path], target: Target) -> list[Path]:
    """Existing directories to read, root by root, in stap's order."""
    dirs = []
    for root in roots:
        for suffix in search_suffixes(target):
            path = root / suffix if suffix else root
            if path.is_dir():
                dirs.append(path)
    return dirs


def library_files(roots: list[Path], target: Target, extension: str) -> list[Path]:
    """The tapset files (`.stp` or `.stpm`) stap would read, without duplicates."""
    seen_names: set[str] = set()
    seen_inodes: set[tuple[int, int]] = set()
    files = []
    for root in roots:
        for suffix in search_suffixes(target):
            directory = root / suffix if suffix else root
            try:
                entries = sorted(os.scandir(directory), key=lambda e: e.name)
            except OSError:
                continue
            for entry in entries:
                if not entry.name.endswith(extension):
                    continue
                try:
                    if not entry.is_file():
                        continue
                    st = entry.stat()
                except OSError:
                    continue
                inode = (st.st_dev, st.st_ino)
                tail = f"{suffix}/{entry.name}"
                if inode in seen_inodes or tail in seen_names:
                    continue
                seen_inodes.add(inode)
                seen_names.add(tail)
                files.append(Path(entry.path))
    return files


def in_tapset_library(path: str, roots) -> bool:
    """Is the file in a tapset library directory (read then as stap reads tapsets)?

    `roots`: the tapset roots in use, None for the local SystemTap's."""
    real = os.path.realpath(path)
    return any(real.startswith(prefix) for prefix in _library_prefixes(roots))


def _library_prefixes(roots) -> tuple[str, ...]:
    """The roots' resolved directory prefixes (resolved at each call: a root may be a link
    that changes, and a few realpath calls cost nothing next to checking the file)."""
    if roots is None:
        default = default_tapset_root()
        roots = (default,) if default else ()
    return tuple(os.path.realpath(r) + os.sep for r in roots)
