"""The C types of an object file's DWARF, as BTF: what a C compiler says about a header's structs.

`@cast(p, "sockaddr_un", "<sys/un.h>")` names a type of C headers; stap
compiles a file that includes them, with debug information, and reads the
types from its DWARF.  Here the DWARF's types are turned into a BTF blob
(Documentation/bpf/btf.rst), the form the kernel's types already have, so
that one reader (btf.Btf) and one set of questions (c_types, description)
serve both; the blob is also what the header cache keeps (c_headers.py).

Only types are read: base types, pointers, structs and unions with their
members, typedefs, qualifiers, arrays, enums and function prototypes.
"""

from __future__ import annotations

import io
import struct

from . import btf as k

# The most type records one object may give (glibc's largest headers give a few thousand).
MAX_TYPES = 200_000

_QUALIFIERS = {"DW_TAG_const_type": k.CONST, "DW_TAG_volatile_type": k.VOLATILE,
               "DW_TAG_restrict_type": k.RESTRICT}
_SAME_AS_TARGET = {"DW_TAG_atomic_type", "DW_TAG_immutable_type", "DW_TAG_packed_type", "DW_TAG_shared_type"}
_TYPE_TAGS = {"DW_TAG_base_type", "DW_TAG_pointer_type", "DW_TAG_structure_type", "DW_TAG_union_type",
              "DW_TAG_typedef", "DW_TAG_array_type", "DW_TAG_enumeration_type", "DW_TAG_subroutine_type",
              *_QUALIFIERS}
_DW_ATE_FLOAT = 0x04
_DW_ATE_SIGNED = (0x05, 0x06, 0x0D)


class DwarfTypesError(ValueError):
    """An object file whose DWARF cannot be read."""


def btf_from_object(data: bytes) -> bytes:
    """The types of an ELF object's DWARF, as a BTF blob.  Raises DwarfTypesError."""
    from elftools.common.exceptions import ELFError, DWARFError
    from elftools.elf.elffile import ELFFile

    try:
        elf = ELFFile(io.BytesIO(data))
        if not elf.has_dwarf_info():
            raise DwarfTypesError("the object has no DWARF (was it compiled with -g?)")
        dwarf = elf.get_dwarf_info()
        dies = [die for cu in dwarf.iter_CUs() for die in cu.iter_DIEs()]
    except (ELFError, DWARFError, struct.error, KeyError, ValueError) as err:
        raise DwarfTypesError(f"unreadable DWARF: {err}") from None
    return _Converter(dies).blob()


class _Converter:
    def __init__(self, dies):
        self.by_offset = {die.offset: die for die in dies}
        self.ids: dict[int, int] = {}  # DIE offset -> BTF type id
        self.records: list = []
        self.strings = bytearray(b"\0")
        self.string_offsets: dict[str, int] = {"": 0}
        typed = [die for die in dies if die.tag in _TYPE_TAGS]
        if len(typed) > MAX_TYPES:
            raise DwarfTypesError(f"more than {MAX_TYPES} types")
        next_id = 1
        for die in typed:
            self.ids[die.offset] = next_id
            next_id += self._extra_records(die) + 1
        self.typed = typed

    def _extra_records(self, die) -> int:
        """Arrays of several dimensions take one ARRAY record a dimension."""
        if die.tag != "DW_TAG_array_type":
            return 0
        return max(0, sum(1 for c in die.iter_children() if c.tag == "DW_TAG_subrange_type") - 1)

    def _str(self, text: str) -> int:
        if text not in self.string_offsets:
            self.string_offsets[text] = len(self.strings)
            self.strings += text.encode("utf-8", "replace") + b"\0"
        return self.string_offsets[text]

    def ref(self, die, attribute: str = "DW_AT_type") -> int:
        """The BTF id of the type a DIE's attribute names (0: void, or a type not described)."""
        for _ in range(16):  # through atomic and other transparent wrappers
            attr = die.attributes.get(attribute)
            if attr is None:
                return 0
            offset = attr.value if attr.form in ("DW_FORM_ref_addr", "DW_FORM_ref_sig8") else attr.value + die.cu.cu_offset
            found = self.ids.get(offset)
            if found is not None:
                return found
            target = self.by_offset.get(offset)
            if target is None or target.tag not in _SAME_AS_TARGET:
                return 0
            die = target
        return 0

    def add(self, kind: int, name: str, size_or_type: int, extra: list, vlen: int = 0, flag: int = 0) -> None:
        self.records.append((kind, name, size_or_type, extra, vlen, flag))

    def blob(self) -> bytes:
        for die in self.typed:
            self.convert(die)
        types = bytearray()
        for kind, name, size_or_type, extra, vlen, flag in self.records:
            info = (flag << 31) | (kind << 24) | vlen
            types += struct.pack("<III", self._str(name) if name else 0, info, size_or_type & 0xFFFFFFFF)
            for fmt, *values in extra:
                types += struct.pack("<" + fmt, *values)
        strings = bytes(self.strings)
        header = struct.pack("<HBBIIIII", k.MAGIC, 1, 0, 24, 0, len(types), len(types), len(strings))
        return header + bytes(types) + strings

    def convert(self, die) -> None:
        tag = die.tag
        name = _name(die)
        if tag == "DW_TAG_base_type":
            size = _int(die, "DW_AT_byte_size")
            encoding = _int(die, "DW_AT_encoding")
            if encoding == _DW_ATE_FLOAT:
                self.add(k.FLOAT, name, size, [])
            else:
                signed = 1 if encoding in _DW_ATE_SIGNED else 0
                self.add(k.INT, name, size, [("I", (signed << 24) | min(size * 8, 128))])
        elif tag == "DW_TAG_pointer_type":
            self.add(k.PTR, "", self.ref(die), [])
        elif tag in _QUALIFIERS:
            self.add(_QUALIFIERS[tag], "", self.ref(die), [])
        elif tag == "DW_TAG_typedef":
            self.add(k.TYPEDEF, name, self.ref(die), [])
        elif tag in ("DW_TAG_structure_type", "DW_TAG_union_type"):
            union = tag == "DW_TAG_union_type"
            if "DW_AT_declaration" in die.attributes:
                self.add(k.FWD, name, 0, [], flag=1 if union else 0)
                return
            members = []
            for child in die.iter_children():
                if child.tag != "DW_TAG_member":
                    continue
                location = child.attributes.get("DW_AT_data_member_location")
                offset = location.value if location is not None and isinstance(location.value, int) else 0
                members.append(("III", self._str(_name(child)), self.ref(child), (offset * 8) & 0xFFFFFFFF))
            self.add(k.UNION if union else k.STRUCT, name, _int(die, "DW_AT_byte_size"), members, len(members))
        elif tag == "DW_TAG_enumeration_type":
            values = [("Ii", self._str(_name(c)), _enum_value(c)) for c in die.iter_children()
                      if c.tag == "DW_TAG_enumerator"]
            self.add(k.ENUM, name, _int(die, "DW_AT_byte_size") or 4, values, len(values))
        elif tag == "DW_TAG_subroutine_type":
            params = [("II", 0, self.ref(c)) for c in die.iter_children() if c.tag == "DW_TAG_formal_parameter"]
            if any(c.tag == "DW_TAG_unspecified_parameters" for c in die.iter_children()):
                params.append(("II", 0, 0))
            self.add(k.FUNC_PROTO, "", self.ref(die), params, len(params))
        elif tag == "DW_TAG_array_type":
            element = self.ref(die)
            counts = [_count(c) for c in die.iter_children() if c.tag == "DW_TAG_subrange_type"] or [0]
            # int a[2][3]: an array of 2 arrays of 3 ints; the records after this one are the inner ones
            first = self.ids[die.offset]
            for i, count in enumerate(counts):
                inner = first + i + 1 if i + 1 < len(counts) else element
                self.add(k.ARRAY, "", 0, [("III", inner, 0, count)])


def _name(die) -> str:
    attr = die.attributes.get("DW_AT_name")
    if attr is None:
        return ""
    value = attr.value
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _int(die, attribute: str) -> int:
    attr = die.attributes.get(attribute)
    return attr.value if attr is not None and isinstance(attr.value, int) else 0


def _enum_value(die) -> int:
    value = _int(die, "DW_AT_const_value")
    return max(-(1 << 31), min(value, (1 << 31) - 1))


def _count(subrange) -> int:
    if "DW_AT_count" in subrange.attributes:
        return max(0, _int(subrange, "DW_AT_count"))
    if "DW_AT_upper_bound" in subrange.attributes:
        return max(0, _int(subrange, "DW_AT_upper_bound") + 1)
    return 0  # a flexible array member
