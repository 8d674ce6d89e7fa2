"""What a program's DWARF (built with -g, or its separate debug file) says of its functions:
each function's parameters and local variables, and the program's global variables, by name.

That is what stap resolves a `$name` in a `.function("f")` probe against (the names in scope
at the probe, then the globals of the compilation unit).  Only names are kept; the types stay
for stap.  A function defined in several compilation units (static functions of one name)
has the union of their names.  Reading is bounded: a `.debug_info` larger than
MAX_DEBUG_INFO, or more than MAX_DIES entries, is not read (the points stay unverifiable).
It is read only when a question needs it (a function the symbols lack, a handler's
`$name`), and cached by the caller (semantic.session.Session.dwarf).
"""

from __future__ import annotations

import attrs

MAX_DEBUG_INFO = 4 * 1024 * 1024  # pyelftools reads about 1.3 MB of it a second here
MAX_DIES = 1_000_000
_SCOPE_TAGS = frozenset({"DW_TAG_formal_parameter", "DW_TAG_variable"})


@attrs.frozen
class DwarfFunction:
    params: tuple[str, ...]  # in order
    names: frozenset[str]  # the parameters and every local variable of any block in it
    inline: bool  # declared inline (may have no out-of-line copy, and no symbol)


@attrs.frozen
class DwarfInfo:
    functions: dict[str, DwarfFunction]
    globals: frozenset[str]


def read_dwarf_file(path: str) -> DwarfInfo | None:
    """The DwarfInfo of the ELF file at `path`; None when it has none, is too big, or is damaged
    (read_elf has said what is wrong with a damaged file)."""
    from elftools.elf.elffile import ELFFile

    try:
        with open(path, "rb") as f:
            return read_dwarf(ELFFile(f))
    except Exception:  # noqa: BLE001 - pyelftools raises many kinds on damaged DWARF: then it is not known
        return None


def read_dwarf(elf) -> DwarfInfo | None:
    """The DwarfInfo of a pyelftools ELFFile with .debug_info, or None when it is too big."""
    section = elf.get_section_by_name(".debug_info")
    if section is None or section["sh_size"] > MAX_DEBUG_INFO:
        return None
    info = elf.get_dwarf_info(relocate_dwarf_sections=False)
    functions: dict[str, DwarfFunction] = {}
    globals_: set[str] = set()
    budget = [MAX_DIES]
    for cu in info.iter_CUs():
        top = cu.get_top_DIE()
        for die in top.iter_children():
            budget[0] -= 1
            if budget[0] < 0:
                return None
            if die.tag == "DW_TAG_variable":
                name = _name(die)
                if name:
                    globals_.add(name)
            elif die.tag == "DW_TAG_subprogram":
                name = _name(die)
                if not name or "DW_AT_declaration" in die.attributes:
                    continue
                params: list[str] = []
                names: set[str] = set()
                for child in die.iter_children():
                    if child.tag == "DW_TAG_formal_parameter":
                        n = _name(child)
                        if n:
                            params.append(n)
                _collect(die, names, budget)
                if budget[0] < 0:
                    return None
                inline = "DW_AT_inline" in die.attributes
                old = functions.get(name)
                if old is not None:
                    functions[name] = DwarfFunction(old.params or tuple(params), old.names | names, old.inline and inline)
                else:
                    functions[name] = DwarfFunction(tuple(params), frozenset(names), inline)
    return DwarfInfo(functions, frozenset(globals_))


def _name(die) -> str | None:
    attr = die.attributes.get("DW_AT_name")
    if attr is None:
        return None
    value = attr.value
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _collect(die, names: set[str], budget: list[int]) -> None:
    """The named parameters and variables anywhere below a function (its lexical blocks), iteratively."""
    stack = list(die.iter_children())
    while stack:
        child = stack.pop()
        budget[0] -= 1
        if budget[0] < 0:
            return
        if child.tag in _SCOPE_TAGS:
            name = _name(child)
            if name:
                names.add(name)
        if child.has_children and child.tag in ("DW_TAG_lexical_block", "DW_TAG_inlined_subroutine"):
            stack.extend(child.iter_children())
