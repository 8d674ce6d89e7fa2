"""The per-kernel file of `stapkit db kernel build`: one kernel's description, saved.

CI machines check scripts for kernels they do not run, so the description of
a kernel travels as a file.  Layout (all integers little-endian):

    magic    b"STAPKIT-KERNEL\\0" and a format version byte
    u32      length of the JSON header that follows
    header   JSON: release, arch, where it was built from, the section lengths
    section  the kernel's BTF blob, zlib-compressed (as it was: our reader reads it)
    section  the symbol table's names, zlib-compressed text: one code name a
             line for the kernel image, `[module] name` for modules' code,
             `=name` for the image's data
    sections the split BTF of each module loaded when it was built, zlib-compressed,
             in the order of the header's "modules" (name -> section length)

The BTF stays BTF, so what a saved file answers is exactly what the kernel's
own BTF and symbol table answer; about 2.1 MB for a 5.5 MB vmlinux BTF and
118,000 symbols.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # (imported when used: read_header must stay light for `stapkit lint`'s warm runs)
    from .description import KernelDescription
    from .symbols import KernelSymbols

MAGIC = b"STAPKIT-KERNEL\0"
VERSION = 1


class SavedKernelError(ValueError):
    pass


def is_saved(data: bytes) -> bool:
    return data.startswith(MAGIC)


def dumps(description: "KernelDescription", btf_blob: bytes | None,
          modules: dict[str, bytes] | None = None) -> bytes:
    """The file's bytes.  `btf_blob` is the BTF the description was read from; `modules` the
    split BTF of modules over it (/sys/kernel/btf/<module>), by module name."""
    btf_section = zlib.compress(btf_blob, 6) if btf_blob is not None else b""
    module_sections = {name: zlib.compress(blob, 6) for name, blob in sorted((modules or {}).items())}
    symbols = description.symbols
    lines: list[str] = []
    if symbols is not None:
        lines += sorted(symbols.functions)
        for module, names in sorted(symbols.module_functions.items()):
            lines += [f"[{module}] {n}" for n in sorted(names)]
        lines += [f"={n}" for n in sorted(symbols.variables)]
    symbols_section = zlib.compress("\n".join(lines).encode(), 6) if symbols is not None else b""
    header = json.dumps({
        "release": description.release,
        "arch": description.arch,
        "source": description.source,
        "btf": len(btf_section),
        "symbols": len(symbols_section) if symbols is not None else None,
        "modules": {name: len(section) for name, section in module_sections.items()},
    }, sort_keys=True).encode()
    return (MAGIC + bytes([VERSION]) + struct.pack("<I", len(header)) + header + btf_section + symbols_section
            + b"".join(module_sections.values()))


def read_header(path: str) -> dict | None:
    """The JSON header of a saved file (release, arch, ...), without reading the rest; None for
    anything else (another kind of file, an unreadable or damaged one: loading reports those)."""
    try:
        with open(path, "rb") as f:
            start = f.read(len(MAGIC) + 5)
            if not is_saved(start) or len(start) < len(MAGIC) + 5 or start[len(MAGIC)] != VERSION:
                return None
            (length,) = struct.unpack_from("<I", start, len(MAGIC) + 1)
            header = json.loads(f.read(min(length, 1 << 16)))
    except (OSError, ValueError):
        return None
    return header if isinstance(header, dict) else None


def loads(data: bytes, source: str = "<saved>") -> "KernelDescription":
    from .btf import Btf, BtfError
    from .description import KernelDescription

    if not is_saved(data):
        raise SavedKernelError(f"{source}: not a kernel description written by `stapkit db kernel build`")
    at = len(MAGIC)
    if len(data) < at + 5:
        raise SavedKernelError(f"{source}: damaged kernel description (the file is cut short)")
    if data[at] != VERSION:
        raise SavedKernelError(f"{source}: format version {data[at]} is not one this stapkit reads "
                               f"(it reads {VERSION}); rebuild it with `stapkit db kernel build`")
    (header_len,) = struct.unpack_from("<I", data, at + 1)
    at += 5
    try:
        header = json.loads(data[at:at + header_len])
        at += header_len
        btf_len = header["btf"]
        symbols_len = header["symbols"]
        btf = Btf(zlib.decompress(data[at:at + btf_len])) if btf_len else None
        at += btf_len
        symbols = None
        if symbols_len is not None:
            symbols = _symbols(zlib.decompress(data[at:at + symbols_len]).decode())
            at += symbols_len
        modules = {}
        for name, length in sorted(header.get("modules", {}).items()):
            modules[name] = data[at:at + length]  # decompressed when a script asks for the module
            at += length
    except (ValueError, KeyError, TypeError, zlib.error, BtfError) as error:
        raise SavedKernelError(f"{source}: damaged kernel description ({error})") from None
    if at != len(data):
        raise SavedKernelError(f"{source}: damaged kernel description (its sections do not add up)")
    return KernelDescription(btf, symbols, release=header.get("release"), arch=header.get("arch"),
                             source=header.get("source") or source,
                             saved_modules={name: _Deferred(blob) for name, blob in modules.items()})


class _Deferred:
    """A module's compressed split BTF: decompressed when first asked for (a damaged one is
    then no module, not an error of the whole file)."""

    def __init__(self, compressed: bytes):
        self.compressed = compressed

    def read(self) -> bytes | None:
        try:
            return zlib.decompress(self.compressed)
        except zlib.error:
            return None


def _symbols(text: str) -> "KernelSymbols":
    """The symbol table back from its saved lines."""
    from .symbols import KernelSymbols

    kernel: set[str] = set()
    modules: dict[str, set[str]] = {}
    variables: set[str] = set()
    for line in text.split("\n"):
        if not line:
            continue
        if line.startswith("="):
            variables.add(line[1:])
        elif line.startswith("["):
            module, _, name = line[1:].partition("] ")
            modules.setdefault(module, set()).add(name)
        else:
            kernel.add(line)
    return KernelSymbols(frozenset(kernel), {m: frozenset(n) for m, n in modules.items()}, frozenset(variables))
