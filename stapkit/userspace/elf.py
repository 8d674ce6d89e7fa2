"""One ELF file, read once for everything a `process(...)` probe point asks of it.

`read_elf(path)` returns an `ElfFile`: its SDT markers, the functions its symbol
tables name (`.symtab`, `.dynsym` and, when present, the xz-compressed
`.gnu_debugdata` mini-debuginfo that Fedora-style builds keep in stripped
binaries), the names its PLT calls, its `DT_NEEDED` libraries, soname, build id,
and whether it carries DWARF (read on demand by dwarf.py).  A file that is not ELF, or is damaged, gives an
ElfFile whose `problem` says what is wrong (one finding, never an exception).

Every read is bounded: at most MAX_SYMBOLS symbols and MAX_NOTES notes are read,
and the mini-debuginfo is decompressed to at most MAX_DEBUGDATA bytes.  The
caller caches (see semantic.session.Session.elf): nothing is kept here.
"""

from __future__ import annotations

import io
import os

import attrs

from .sdt import NOTE_OWNER, Marker, NoteError, parse_note

MAX_SYMBOLS = 2_000_000
MAX_NOTES = 100_000
MAX_DEBUGDATA = 256 * 1024 * 1024  # decompressed; Fedora's libc's is under 1 MB
MAX_NEEDED = 4096


@attrs.frozen
class ElfFile:
    path: str
    problem: str | None = None  # why the file could not be read (not ELF, damaged, unreadable)
    kind: str = ""  # "executable", "shared object", "relocatable", "core"
    machine: str = ""  # pyelftools' e_machine: EM_X86_64, EM_AARCH64, ...
    markers: tuple[Marker, ...] = ()
    symtab_functions: frozenset[str] = frozenset()  # from .symtab (absent in a stripped file)
    dynsym_functions: frozenset[str] = frozenset()  # defined in .dynsym (exported)
    debugdata_functions: frozenset[str] = frozenset()  # from .gnu_debugdata's .symtab
    plt: frozenset[str] = frozenset()  # the functions called through the PLT
    needed: tuple[str, ...] = ()  # DT_NEEDED, in order
    soname: str | None = None
    runpath: tuple[str, ...] = ()  # DT_RUNPATH or DT_RPATH directories, as written ($ORIGIN unexpanded)
    build_id: str | None = None  # hex
    has_symtab: bool = False
    has_debugdata: bool = False
    has_dwarf: bool = False  # a .debug_info section (built with -g, not stripped)
    debuglink: str | None = None  # .gnu_debuglink's file name

    @property
    def functions(self) -> frozenset[str]:
        return self.symtab_functions | self.dynsym_functions | self.debugdata_functions

    @property
    def stripped(self) -> bool:
        """No full symbol table: a function that is not exported may be there, unnamed."""
        return not self.has_symtab

    def markers_named(self, name_glob: str, provider_glob: str | None = None) -> list[Marker]:
        from fnmatch import fnmatchcase

        return [m for m in self.markers if fnmatchcase(m.name, name_glob)
                and (provider_glob is None or fnmatchcase(m.provider, provider_glob))]


class _Damaged(Exception):
    pass


def read_elf(path: str) -> ElfFile:
    """What `path` holds (see ElfFile); never raises for what the file contains."""
    try:
        f = open(path, "rb")
    except OSError as e:
        return ElfFile(path, problem=f"cannot read {path}: {e.strerror or e}")
    with f:
        magic = f.read(4)
        if magic != b"\x7fELF":
            return ElfFile(path, problem=f"{path} is not an ELF file")
        f.seek(0)
        try:
            return _read(path, f)
        except _Damaged as e:
            return ElfFile(path, problem=f"{path} is a damaged ELF file: {e}")
        except RecursionError:
            return ElfFile(path, problem=f"{path} is a damaged ELF file (nested too deeply)")
        except Exception as e:  # noqa: BLE001 - pyelftools raises many kinds (ELFError, construct's, struct.error, ...) on a damaged file
            return ElfFile(path, problem=f"{path} is a damaged ELF file: {type(e).__name__}: {e}")


def _read(path: str, stream) -> ElfFile:
    from elftools.elf.elffile import ELFFile

    elf = ELFFile(stream)
    kind = {"ET_EXEC": "executable", "ET_DYN": "shared object", "ET_REL": "relocatable",
            "ET_CORE": "core"}.get(elf.header.e_type, str(elf.header.e_type))
    markers: list[Marker] = []
    build_id = None
    debuglink = None
    has_symtab = has_debugdata = has_dwarf = False
    symtab: frozenset[str] = frozenset()
    dynsym: frozenset[str] = frozenset()
    debugdata: frozenset[str] = frozenset()
    plt: frozenset[str] = frozenset()
    needed: list[str] = []
    soname = None
    runpath: tuple[str, ...] = ()
    word = elf.elfclass // 8
    for section in elf.iter_sections():
        name, stype = section.name, section["sh_type"]
        if stype == "SHT_NOTE":
            for note in _notes(section):
                # pyelftools names type 3 after GNU's build-id note whatever the owner
                if note["n_name"] == NOTE_OWNER and note["n_type"] in (3, "NT_GNU_BUILD_ID"):
                    try:
                        markers.append(parse_note(_bytes(note["n_descdata"]), word, elf.little_endian))
                    except NoteError as e:
                        raise _Damaged(f"section {name}: {e}") from None
                elif note["n_name"] == "GNU" and note["n_type"] == "NT_GNU_BUILD_ID":
                    build_id = note["n_desc"] if isinstance(note["n_desc"], str) else _bytes(note["n_desc"]).hex()
        elif name == ".symtab":
            has_symtab = True
            symtab = _functions(section)
        elif name == ".dynsym":
            dynsym = _functions(section)
        elif name == ".gnu_debugdata":
            has_debugdata = True
            debugdata = _debugdata_functions(section.data())
        elif name == ".debug_info":
            has_dwarf = True
        elif name == ".gnu_debuglink":
            debuglink = section.data().split(b"\0", 1)[0].decode("utf-8", "replace") or None
        elif stype == "SHT_DYNAMIC":
            needed, soname, runpath = _dynamic(section)
    plt = _plt(elf)
    return ElfFile(path, kind=kind, machine=str(elf["e_machine"]), markers=tuple(markers),
                   symtab_functions=symtab, dynsym_functions=dynsym, debugdata_functions=debugdata,
                   plt=plt, needed=tuple(needed), soname=soname, runpath=runpath, build_id=build_id,
                   has_symtab=has_symtab, has_debugdata=has_debugdata, has_dwarf=has_dwarf,
                   debuglink=debuglink)


def _bytes(value) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("latin-1")


def _notes(section):
    for count, note in enumerate(section.iter_notes()):
        if count >= MAX_NOTES:
            return
        yield note


_STT_FUNC, _STT_GNU_IFUNC = 2, 10


def _symbols(section) -> list[tuple[str, int, int]]:
    """(name, type, section index) of each symbol of a symbol table, at most MAX_SYMBOLS.

    Read with struct from the section's bytes: pyelftools' per-symbol parsing took 0.3 s for
    python3.11's 1,700 dynamic symbols; this takes milliseconds.
    """
    import struct

    elf = section.elffile
    little = "<" if elf.little_endian else ">"
    if elf.elfclass == 64:
        entry, layout, fields = 24, little + "IBBHQQ", (0, 1, 3)  # st_name, st_info, st_other, st_shndx, ...
    else:
        entry, layout, fields = 16, little + "IIIBBH", (0, 3, 5)  # st_name, st_value, st_size, st_info, ...
    data = section.data()
    strtab = elf.get_section(section["sh_link"]).data()
    count = min(len(data) // entry, MAX_SYMBOLS)
    found = []
    name_at, info_at, shndx_at = fields
    for values in struct.iter_unpack(layout, data[:count * entry]):
        start = values[name_at]
        end = strtab.find(b"\0", start)
        name = strtab[start:end if end >= 0 else len(strtab)].decode("utf-8", "replace")
        found.append((name, values[info_at] & 0xF, values[shndx_at]))
    return found


def _functions(section) -> frozenset[str]:
    """The names of the defined functions of a symbol table (STT_FUNC and STT_GNU_IFUNC)."""
    return frozenset(name.split("@", 1)[0] for name, kind, shndx in _symbols(section)
                     if kind in (_STT_FUNC, _STT_GNU_IFUNC) and shndx != 0 and name)


def _debugdata_functions(compressed: bytes) -> frozenset[str]:
    """The functions of the mini-debuginfo: an xz-compressed ELF file with a .symtab."""
    import lzma

    from elftools.elf.elffile import ELFFile

    decompressor = lzma.LZMADecompressor()
    try:
        data = decompressor.decompress(compressed, max_length=MAX_DEBUGDATA)
    except lzma.LZMAError as e:
        raise _Damaged(f".gnu_debugdata is not xz data ({e})") from None
    if not decompressor.eof:
        raise _Damaged(f".gnu_debugdata decompresses to more than {MAX_DEBUGDATA:,} bytes, or is cut short")
    if not data.startswith(b"\x7fELF"):
        raise _Damaged(".gnu_debugdata does not hold an ELF file")
    inner = ELFFile(io.BytesIO(data))
    section = inner.get_section_by_name(".symtab")
    return _functions(section) if section is not None else frozenset()


def _dynamic(section):
    needed: list[str] = []
    soname = None
    runpath: tuple[str, ...] = ()
    for count, tag in enumerate(section.iter_tags()):
        if count >= MAX_NEEDED * 4:
            break
        t = tag.entry.d_tag
        if t == "DT_NEEDED" and len(needed) < MAX_NEEDED:
            needed.append(tag.needed)
        elif t == "DT_SONAME":
            soname = tag.soname
        elif t in ("DT_RUNPATH", "DT_RPATH"):
            text = tag.runpath if t == "DT_RUNPATH" else tag.rpath
            runpath = runpath + tuple(d for d in text.split(":") if d)
        elif t == "DT_NULL":
            break
    return needed, soname, runpath


def _plt(elf) -> frozenset[str]:
    """The names of the PLT's jump-slot relocations (what `.plt("name")` probes)."""
    import struct

    little = "<" if elf.little_endian else ">"
    found = set()
    for name in (".rela.plt", ".rel.plt"):
        section = elf.get_section_by_name(name)
        if section is None or not section["sh_link"]:
            continue
        symbols = elf.get_section(section["sh_link"])
        if symbols["sh_type"] not in ("SHT_DYNSYM", "SHT_SYMTAB"):
            continue
        table = _symbols(symbols)
        rela = name == ".rela.plt"
        if elf.elfclass == 64:
            entry, layout, shift = (24 if rela else 16), little + ("QQq" if rela else "QQ"), 32
        else:
            entry, layout, shift = (12 if rela else 8), little + ("IIi" if rela else "II"), 8
        data = section.data()
        count = min(len(data) // entry, MAX_SYMBOLS)
        for values in struct.iter_unpack(layout, data[:count * entry]):
            index = values[1] >> shift
            if 0 < index < len(table) and table[index][0]:
                found.add(table[index][0].split("@", 1)[0])
    return frozenset(found)


def file_identity(path: str):
    """(real path, size, mtime in ns) — what a cached ElfFile depends on; None if it cannot be stat'd."""
    try:
        real = os.path.realpath(path)
        st = os.stat(real)
    except (OSError, ValueError):
        return None
    return (real, st.st_size, st.st_mtime_ns)
