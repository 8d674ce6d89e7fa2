"""A kernel symbol table: /proc/kallsyms or a System.map.

Both are lines of `ADDRESS TYPE NAME [MODULE]`.  What a probe needs is the
names of code: types `t`/`T` (and weak `w`/`W`); the `__pfx_`/`__cfi_` labels
that padding and CFI put before each function are not functions.  The names of
the image's data (`d`/`D`, `b`/`B`, `r`/`R`) are kept too: a `$name` in a
kernel.function probe may be a global variable (`$jiffies`).  The compiler's clones of a
function (`foo.isra.0`, `foo.constprop.0`, `foo.part.0`, `foo.cold`) are
counted as `foo`: with debuginfo, stap finds them under the source name.
Symbols of modules (`[ext4]`) are kept apart: `kernel.function` does not
reach them, `module("ext4").function` does.
"""

from __future__ import annotations

import re

import attrs

_CODE_TYPES = frozenset("tTwW")
_CLONE_SUFFIX = re.compile(r"\.(?:isra|constprop|part|cold|llvm|lto_priv|localalias)(?:\.\d+)*.*$")


class SymbolsError(ValueError):
    """A file that is not a symbol table."""


@attrs.frozen
class KernelSymbols:
    functions: frozenset[str]  # code symbols of the kernel image
    module_functions: dict[str, frozenset[str]]  # module name -> its code symbols
    variables: frozenset[str] = frozenset()  # data symbols of the kernel image

    @property
    def count(self) -> int:
        return len(self.functions) + sum(len(names) for names in self.module_functions.values())


# One symbol a line: address, type (code t/T/w/W, data d/D/b/B/r/R), name, and kallsyms'
# tab-separated [module].  One pass over the whole text with one pattern: kallsyms has
# 100,000+ lines, and a second pass just for the few data symbols cost as much as the first.
_LINE = re.compile(r"^[0-9a-fA-F]+ ([tTwWdDbBrR]) (\S+)(?:\t\[([^\]\s]+)\])?[ \t]*$", re.M)
_NOT_FUNCTIONS = ("__pfx_", "__cfi_")


def parse_symbols(text: str, source: str = "<symbols>") -> KernelSymbols:
    first = next(((number, line) for number, line in enumerate(text.splitlines()[:50], 1) if line.strip()), None)
    if first is None:
        raise SymbolsError(f"{source}:1:1: no symbol table lines (expected 'ADDRESS TYPE NAME [MODULE]')")
    number, line = first
    parts = line.split()
    if len(parts) < 3 or len(parts[1]) != 1 or not _is_hex(parts[0]):
        raise SymbolsError(f"{source}:{number}:1: not a symbol table line (expected 'ADDRESS TYPE NAME [MODULE]')")
    kernel: set[str] = set()
    modules: dict[str, set[str]] = {}
    variables: set[str] = set()
    for kind, name, module in _LINE.findall(text):
        if kind not in _CODE_TYPES:
            if not module:  # the image's data; modules' data is not looked up
                variables.add(name)
            continue
        if name.startswith(_NOT_FUNCTIONS):
            continue
        if "." in name:
            name = _CLONE_SUFFIX.sub("", name)
        if module:
            modules.setdefault(module, set()).add(name)
        else:
            kernel.add(name)
    return KernelSymbols(frozenset(kernel), {m: frozenset(names) for m, names in modules.items()},
                         frozenset(variables))


def _is_hex(text: str) -> bool:
    try:
        int(text, 16)
    except ValueError:
        return False
    return True
