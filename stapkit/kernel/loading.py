"""Finding a kernel description for a run: from files named on the command line or in
the configuration (a Session keeps what was read).

`--kernel-btf PATH` takes raw BTF (/sys/kernel/btf/vmlinux), a vmlinux ELF file
with a .BTF section, or a file saved by `stapkit db kernel build`; the word
`running` means this machine's kernel (its BTF and /proc/kallsyms).
`--kernel-symbols PATH` takes /proc/kallsyms or a System.map.
"""

from __future__ import annotations

import os
import platform

import attrs

RUNNING = "running"
RUNNING_BTF = "/sys/kernel/btf/vmlinux"
RUNNING_SYMBOLS = "/proc/kallsyms"


class KernelLoadError(Exception):
    """A kernel description that cannot be read; the message names the file."""


@attrs.frozen
class KernelSource:
    """Where a run's kernel description comes from (None: none)."""

    btf: str | None = None
    symbols: str | None = None

    def __bool__(self) -> bool:
        return bool(self.btf or self.symbols)

    def identity(self) -> list:
        """What a cached result depends on: each file's path, size and modification time."""
        found = []
        for path in self.paths():
            try:
                st = os.stat(path)
                found.append([path, st.st_size, st.st_mtime_ns])
            except OSError:
                found.append([path, None, None])
        return found

    def paths(self) -> list[str]:
        btf, symbols = self.btf, self.symbols
        if btf == RUNNING:
            btf = RUNNING_BTF
            symbols = symbols or RUNNING_SYMBOLS
        return [p for p in (btf, symbols) if p]


def load_kernel(source: KernelSource):
    """The KernelDescription for `source`, read now, or None if empty.  (A program that checks
    many files reads it once: semantic.session.Session.kernel keeps it.)

    Raises KernelLoadError with a one-line message naming the file."""
    if not source:
        return None
    return _read(source)


def _read(source: KernelSource):
    description = _read_files(source)
    _check_usable(description, source)
    return description


def _check_usable(description, source: KernelSource) -> None:
    """Read the names and follow the type references now: a file whose header is right but
    whose contents are damaged fails here, once, instead of in the check of every script."""
    import struct

    from . import btf as k
    from .btf import BtfError

    try:
        description.function_names()
        description.tracepoint_names()
        btf = description.btf
        if btf is not None:
            referring = (k.PTR, k.TYPEDEF, k.VOLATILE, k.CONST, k.RESTRICT, k.FUNC, k.TYPE_TAG, k.VAR,
                         k.DECL_TAG)
            count = len(btf)
            for kind in referring:
                for type_id in btf.ids_of_kind(kind):
                    if btf.size_or_type[type_id] >= count:
                        raise BtfError(f"type {type_id} refers to type {btf.size_or_type[type_id]}, "
                                       f"past the last ({count - 1})")
    except (BtfError, IndexError, struct.error, UnicodeError) as error:
        where = source.btf or source.symbols
        raise KernelLoadError(f"{where}: not a usable kernel description ({error})") from None


def _read_files(source: KernelSource):
    from .btf import Btf, BtfError, btf_bytes
    from .description import KernelDescription
    from .saved import SavedKernelError, is_saved, loads
    from .symbols import SymbolsError, parse_symbols

    btf_path, symbols_path = source.btf, source.symbols
    release = arch = None
    if btf_path == RUNNING:
        btf_path = RUNNING_BTF
        symbols_path = symbols_path or RUNNING_SYMBOLS
        release, arch = platform.release(), platform.machine()
    description = None
    btf = None
    if btf_path:
        data = _read_bytes(btf_path, "BTF")
        try:
            if is_saved(data):
                description = loads(data, btf_path)
            else:
                btf = Btf(btf_bytes(data, btf_path))
        except (BtfError, SavedKernelError) as error:
            message = str(error)
            if not message.startswith(btf_path):
                message = f"{btf_path}: {message}"
            raise KernelLoadError(message) from None
    symbols = None
    if symbols_path:
        text = _read_bytes(symbols_path, "symbol table").decode("utf-8", "replace")
        try:
            symbols = parse_symbols(text, symbols_path)
        except SymbolsError as error:
            raise KernelLoadError(str(error)) from None
    if description is not None:
        if symbols is not None:
            description.use_symbols(symbols)
        return description
    # Modules' split BTF lies beside vmlinux's: /sys/kernel/btf/{vmlinux,ext4,...}, or a copy of it.
    module_dir = os.path.dirname(btf_path) if btf is not None and os.path.basename(btf_path) == "vmlinux" \
        and data[:4] != b"\x7fELF" else None
    return KernelDescription(btf, symbols, release=release, arch=arch, module_dir=module_dir,
                             source=" + ".join(p for p in (btf_path, symbols_path) if p))


def described_target(btf: str | None) -> tuple[str | None, str | None]:
    """The (kernel release, stap arch) a kernel description says it is for, read cheaply (the
    word `running`, or a saved file's header); (None, None) when it does not say (raw BTF)."""
    if not btf:
        return None, None
    if btf == RUNNING:
        return platform.release(), _stap_arch(platform.machine())
    from .saved import read_header

    header = read_header(btf)
    if header is None:
        return None, None
    arch = header.get("arch")
    return header.get("release"), _stap_arch(arch) if arch else None


def _stap_arch(machine: str) -> str | None:
    """stap's name for `arch` on a machine of this `uname -m` name; None for one it has no target for."""
    from ..syntax.target import ARCHES, stap_arch_name

    arch = stap_arch_name(machine)
    return arch if arch in ARCHES else None


def _read_bytes(path: str, what: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise KernelLoadError(f"{path}: no such {what} file") from None
    except IsADirectoryError:
        raise KernelLoadError(f"{path}: is a directory, not a {what} file") from None
    except OSError as error:
        raise KernelLoadError(f"{path}: cannot read the {what} file: {error.strerror or error}") from None
