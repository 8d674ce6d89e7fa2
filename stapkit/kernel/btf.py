"""A reader of BTF, the kernel's compact type format (Documentation/bpf/btf.rst).

A BTF blob is a header, a type section and a string section.  Each type is a
12-byte record (name offset, info word, size-or-type) followed by data whose
length depends on its kind; type ids count from 1 in the order of the records
(0 is `void`).  One pass over the records notes where each one starts; the
members, parameters and names are decoded only when asked, so reading the
running kernel's 5 MB of BTF (about 130,000 types) stays a fraction of a second.

Only the layout is read here; c_types.py gives the types their C meaning.
"""

from __future__ import annotations

import struct
from array import array

MAGIC = 0xEB9F

# Kinds (btf.h BTF_KIND_*).
INT, PTR, ARRAY, STRUCT, UNION, ENUM, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT = range(1, 12)
FUNC, FUNC_PROTO, VAR, DATASEC, FLOAT, DECL_TAG, TYPE_TAG, ENUM64 = range(12, 20)

KIND_NAMES = {
    INT: "int", PTR: "ptr", ARRAY: "array", STRUCT: "struct", UNION: "union", ENUM: "enum", FWD: "fwd",
    TYPEDEF: "typedef", VOLATILE: "volatile", CONST: "const", RESTRICT: "restrict", FUNC: "func",
    FUNC_PROTO: "func_proto", VAR: "var", DATASEC: "datasec", FLOAT: "float", DECL_TAG: "decl_tag",
    TYPE_TAG: "type_tag", ENUM64: "enum64",
}

# Bytes after the 12-byte record: fixed, or per vlen item.
_FIXED = {INT: 4, PTR: 0, ARRAY: 12, FWD: 0, TYPEDEF: 0, VOLATILE: 0, CONST: 0, RESTRICT: 0, FUNC: 0,
          VAR: 4, FLOAT: 0, DECL_TAG: 4, TYPE_TAG: 0}
_PER_ITEM = {STRUCT: 12, UNION: 12, ENUM: 8, FUNC_PROTO: 8, DATASEC: 12, ENUM64: 12}
_HEADER = struct.Struct("<HBBIIIII")


class BtfError(ValueError):
    """Data that is not BTF, or BTF that is cut short or inconsistent."""


class Btf:
    """The types of one BTF blob, by id.

    `kinds[id]`, `name_offsets[id]`, `vlens[id]`, `size_or_type[id]` hold each
    record's header; `data_offsets[id]` is where its extra data starts in `types`.

    A module's BTF (/sys/kernel/btf/ext4) is split BTF: its type ids go on after
    vmlinux's, and its string offsets count from the start of vmlinux's strings.
    Read with `base`, it is one table of both: the base's records and strings first.
    """

    def __init__(self, data: bytes, base: "Btf | None" = None):
        if len(data) >= 2 and data[:2] not in (b"\x9f\xeb", b"\xeb\x9f"):
            raise BtfError(f"not BTF (it starts with {bytes(data[:4])!r}, BTF with 0x{MAGIC:04x})")
        if len(data) < _HEADER.size:
            raise BtfError("too short for a BTF header")
        magic, version, _flags, hdr_len, type_off, type_len, str_off, str_len = _HEADER.unpack_from(data, 0)
        if magic != MAGIC:
            raise BtfError("big-endian BTF is not supported")
        if version != 1:
            raise BtfError(f"unsupported BTF version {version}")
        start = hdr_len
        if start + type_off + type_len > len(data) or start + str_off + str_len > len(data):
            raise BtfError("the BTF header points past the end of the data")
        own_types = bytes(data[start + type_off:start + type_off + type_len])
        own_strings = bytes(data[start + str_off:start + str_off + str_len])
        self.base = base
        if base is None:
            self.types, self.strings = own_types, own_strings
            self.kinds = bytearray(b"\0")  # id 0 is void
            self.name_offsets = array("I", [0])
            self.vlens = array("I", [0])
            self.size_or_type = array("I", [0])
            self.data_offsets = array("I", [0])
            self.kind_flags = bytearray(b"\0")
        else:
            self.types, self.strings = base.types + own_types, base.strings + own_strings
            self.kinds = bytearray(base.kinds)
            self.name_offsets = array("I", base.name_offsets)
            self.vlens = array("I", base.vlens)
            self.size_or_type = array("I", base.size_or_type)
            self.data_offsets = array("I", base.data_offsets)
            self.kind_flags = bytearray(base.kind_flags)
        self.first_own_id = len(self.kinds)  # 1, or the first id after the base's
        self._scan(len(self.types) - len(own_types))
        self._names: dict[int, str] = {}

    def _scan(self, offset: int) -> None:
        types = self.types
        end = len(types)
        unpack = struct.unpack_from
        fixed, per_item = _FIXED, _PER_ITEM
        kinds, names, vlens, sizes, offsets, flags = (
            self.kinds, self.name_offsets, self.vlens, self.size_or_type, self.data_offsets, self.kind_flags)
        while offset < end:
            if offset + 12 > end:
                raise BtfError(f"type record {len(kinds)} is cut short")
            name_off, info, size_type = unpack("<III", types, offset)
            kind = (info >> 24) & 0x1F
            vlen = info & 0xFFFF
            offset += 12
            extra = fixed.get(kind)
            if extra is None:
                item = per_item.get(kind)
                if item is None:
                    raise BtfError(f"type record {len(kinds)} has unknown kind {kind}")
                extra = item * vlen
            kinds.append(kind)
            names.append(name_off)
            vlens.append(vlen)
            sizes.append(size_type)
            offsets.append(offset)
            flags.append(info >> 31)
            offset += extra
        if offset != end:
            raise BtfError("the last type record runs past the type section")

    def __len__(self) -> int:
        """The number of type ids, void included."""
        return len(self.kinds)

    def string(self, offset: int) -> str:
        strings = self.strings
        if offset >= len(strings):
            raise BtfError(f"string offset {offset} is past the string section")
        end = strings.find(b"\0", offset)
        if end < 0:
            end = len(strings)
        return strings[offset:end].decode("utf-8", "replace")

    def name(self, type_id: int) -> str:
        """The type's own name ('' for anonymous types and for void)."""
        found = self._names.get(type_id)
        if found is None:
            found = self._names[type_id] = self.string(self.name_offsets[type_id]) if type_id else ""
        return found

    def check_id(self, type_id: int) -> int:
        if not 0 <= type_id < len(self.kinds):
            raise BtfError(f"type id {type_id} is out of range")
        return type_id

    # -- the extra data of each kind

    def members(self, type_id: int) -> list[tuple[str, int, int]]:
        """A struct's or union's members: (name, type id, bit offset)."""
        offset = self.data_offsets[type_id]
        bitfields = self.kind_flags[type_id]
        found = []
        for i in range(self.vlens[type_id]):
            name_off, member_type, bit = struct.unpack_from("<III", self.types, offset + 12 * i)
            found.append((self.string(name_off), member_type, bit & 0xFFFFFF if bitfields else bit))
        return found

    def params(self, type_id: int) -> list[tuple[str, int]]:
        """A function prototype's parameters: (name, type id); a trailing (\"\", 0) means `...`."""
        offset = self.data_offsets[type_id]
        found = []
        for i in range(self.vlens[type_id]):
            name_off, param_type = struct.unpack_from("<II", self.types, offset + 8 * i)
            found.append((self.string(name_off), param_type))
        return found

    def array_info(self, type_id: int) -> tuple[int, int]:
        """An array's (element type id, number of elements)."""
        element, _index, count = struct.unpack_from("<III", self.types, self.data_offsets[type_id])
        return element, count

    def int_info(self, type_id: int) -> tuple[bool, int]:
        """An integer's (signed, bits)."""
        (word,) = struct.unpack_from("<I", self.types, self.data_offsets[type_id])
        return bool((word >> 24) & 1), word & 0xFF

    def enumerators(self, type_id: int) -> list[tuple[str, int]]:
        offset = self.data_offsets[type_id]
        found = []
        if self.kinds[type_id] == ENUM:
            for i in range(self.vlens[type_id]):
                name_off, value = struct.unpack_from("<Ii", self.types, offset + 8 * i)
                found.append((self.string(name_off), value))
        else:
            for i in range(self.vlens[type_id]):
                name_off, low, high = struct.unpack_from("<III", self.types, offset + 12 * i)
                found.append((self.string(name_off), (high << 32) | low))
        return found

    def ids_of_kind(self, kind: int, own: bool = False):
        """Every type id of one kind, in order (with `own`, only those of this blob, not its base's)."""
        start = self.first_own_id if own else 0
        kinds = self.kinds
        while True:
            start = kinds.find(kind, start)
            if start < 0:
                return
            yield start
            start += 1


# ---------------------------------------------------------------- where BTF is found

_ELF_MAGIC = b"\x7fELF"


def btf_bytes(data: bytes, source: str = "<data>") -> bytes:
    """The BTF blob in `data`: data itself, or the .BTF section of an ELF file (a vmlinux)."""
    if data[:4] == _ELF_MAGIC:
        return _elf_section(data, ".BTF", source)
    return data


def _elf_section(data: bytes, wanted: str, source: str) -> bytes:
    if len(data) < 64 or data[4] != 2 or data[5] != 1:
        raise BtfError(f"{source}: only 64-bit little-endian ELF files are read")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    if shoff == 0 or shoff + shnum * shentsize > len(data) or shstrndx >= shnum:
        raise BtfError(f"{source}: the ELF section table is missing or cut short")

    def header(index: int):
        base = shoff + index * shentsize
        name, _type, _flags, _addr, offset, size = struct.unpack_from("<IIQQQQ", data, base)
        return name, offset, size

    _, names_offset, names_size = header(shstrndx)
    names = data[names_offset:names_offset + names_size]
    for index in range(shnum):
        name_off, offset, size = header(index)
        end = names.find(b"\0", name_off)
        if names[name_off:end].decode("ascii", "replace") == wanted:
            if offset + size > len(data):
                raise BtfError(f"{source}: the {wanted} section runs past the end of the file")
            return data[offset:offset + size]
    raise BtfError(f"{source}: this ELF file has no {wanted} section (a kernel built without "
                   "CONFIG_DEBUG_INFO_BTF?)")
