"""A small BTF writer for tests: builds blobs in the kernel's documented layout
(Documentation/bpf/btf.rst), so the reader is tested on data we wrote ourselves.

Types are added in order and get ids from 1; a struct's members may name types
added after it (`struct` then `members`), as in real BTF.
"""

from __future__ import annotations

import struct

INT, PTR, ARRAY, STRUCT, UNION, ENUM, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT = range(1, 12)
FUNC, FUNC_PROTO, VAR, DATASEC, FLOAT, DECL_TAG, TYPE_TAG, ENUM64 = range(12, 20)


class BtfWriter:
    """`first_id` and `string_base` make split BTF (a module's): ids after the base's
    (len(base)), string offsets after the base's strings (len(base.strings))."""

    def __init__(self, first_id: int = 1, string_base: int = 0):
        self._first_id = first_id
        self._string_base = string_base
        self._strings = bytearray(b"\0")
        self._offsets: dict[str, int] = {"": 0}
        self._records: list[list] = []  # [kind, name, size_or_type, extra(list), kind_flag]

    def _str(self, text: str) -> int:
        if text not in self._offsets:
            self._offsets[text] = self._string_base + len(self._strings)
            self._strings += text.encode() + b"\0"
        return self._offsets[text]

    def _add(self, kind, name="", size_or_type=0, extra=None, kind_flag=0) -> int:
        self._records.append([kind, name, size_or_type, extra if extra is not None else [], kind_flag])
        return len(self._records) + self._first_id - 1

    # -- kinds
    def int(self, name: str, size: int, signed: bool = False) -> int:
        return self._add(INT, name, size, [("I", (1 << 24 if signed else 0) | size * 8)])

    def ptr(self, target: int) -> int:
        return self._add(PTR, "", target)

    def const(self, target: int) -> int:
        return self._add(CONST, "", target)

    def volatile(self, target: int) -> int:
        return self._add(VOLATILE, "", target)

    def typedef(self, name: str, target: int) -> int:
        return self._add(TYPEDEF, name, target)

    def array(self, element: int, count: int, index_type: int = 0) -> int:
        return self._add(ARRAY, "", 0, [("III", element, index_type, count)])

    def struct(self, name: str, size: int = 0, union: bool = False) -> int:
        return self._add(UNION if union else STRUCT, name, size)

    def members(self, aggregate: int, members: list[tuple[str, int]]) -> int:
        record = self._records[aggregate - self._first_id]
        record[3] = [("III", self._str(name), type_id, 64 * i) for i, (name, type_id) in enumerate(members)]
        return aggregate

    def fwd(self, name: str, union: bool = False) -> int:
        return self._add(FWD, name, 0, kind_flag=1 if union else 0)

    def enum(self, name: str, values: list[tuple[str, int]], size: int = 4) -> int:
        return self._add(ENUM, name, size, [("Ii", self._str(n), v) for n, v in values])

    def func_proto(self, returns: int, params: list[tuple[str, int]], variadic: bool = False) -> int:
        items = [("II", self._str(n), t) for n, t in params]
        if variadic:
            items.append(("II", 0, 0))
        return self._add(FUNC_PROTO, "", returns, items)

    def func(self, name: str, proto: int, linkage: int = 1) -> int:
        record = self._add(FUNC, name, proto)
        self._records[record - self._first_id].append(linkage)
        return record

    def function(self, name: str, returns: int, params: list[tuple[str, int]]) -> int:
        return self.func(name, self.func_proto(returns, params))

    def var(self, name: str, type_id: int) -> int:
        return self._add(VAR, name, type_id, [("I", 1)])

    def float(self, name: str, size: int) -> int:
        return self._add(FLOAT, name, size)

    def decl_tag(self, name: str, target: int, component: int = -1) -> int:
        return self._add(DECL_TAG, name, target, [("i", component)])

    # -- the blob
    def bytes(self) -> bytes:
        types = bytearray()
        for record in self._records:
            kind, name, size_or_type, extra, kind_flag = record[:5]
            vlen = record[5] if kind == FUNC and len(record) > 5 else (len(extra) if kind in (
                STRUCT, UNION, ENUM, FUNC_PROTO, DATASEC, ENUM64) else 0)
            info = (kind_flag << 31) | (kind << 24) | vlen
            types += struct.pack("<III", self._str(name) if name else 0, info, size_or_type)
            for fmt, *values in extra:
                types += struct.pack("<" + fmt, *values)
        strings = bytes(self._strings)
        header = struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(types), len(types), len(strings))
        return header + bytes(types) + strings


def elf_with_section(name: str, payload: bytes) -> bytes:
    """A minimal 64-bit little-endian ELF file with one named section (and .shstrtab)."""
    shstrtab = b"\0" + name.encode() + b"\0.shstrtab\0"
    data_offset = 64
    names_offset = data_offset + len(payload)
    shoff = (names_offset + len(shstrtab) + 7) // 8 * 8
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    header = ident + struct.pack("<HHIQQQIHHHHHH", 1, 62, 1, 0, 0, shoff, 0, 64, 0, 0, 64, 3, 2)
    body = header + payload + shstrtab
    body += bytes(shoff - len(body))

    def section(name_off, sh_type, offset, size):
        return struct.pack("<IIQQQQIIQQ", name_off, sh_type, 0, 0, offset, size, 0, 0, 1, 0)

    body += section(0, 0, 0, 0)
    body += section(1, 1, data_offset, len(payload))
    body += section(1 + len(name) + 1, 3, names_offset, len(shstrtab))
    return body
