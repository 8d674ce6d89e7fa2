"""One kernel as the checker sees it: its functions, tracepoints and types.

From BTF: every function with a body (a FUNC record, with its prototype and
parameter names), every struct and union with its members, and the
tracepoints (each has a `btf_trace_<name>` typedef; its parameter names come
from the `__probestub_<name>` function of kernels since 6.4, or from the
`__bpf_trace_<class>` function of its event class).  From a symbol table: the
names of code BTF leaves out (assembly entry points, functions BTF could not
describe).

What neither knows is a function the compiler inlined everywhere: stap finds
those with debuginfo, so a name missing here is "not found", never "does not
exist".
"""

from __future__ import annotations

import difflib
import fnmatch
import re

import attrs

from . import btf as k
from . import c_types
from .symbols import KernelSymbols

# The wrappers a system call gets from SYSCALL_DEFINE since 4.17, by architecture.
_SYSCALL_PREFIXES = ("__x64_sys_", "__ia32_sys_", "__arm64_sys_", "__s390x_sys_", "__riscv_sys_",
                     "__se_sys_", "__do_sys_", "ksys_", "__x64_compat_sys_", "__ia32_compat_sys_")
_TRACEPOINT_PREFIX = "btf_trace_"
_PROBESTUB_PREFIX = "__probestub_"
_BPF_TRACE_PREFIX = "__bpf_trace_"


@attrs.frozen
class Parameter:
    name: str
    type_id: int
    type: str  # as C writes it


@attrs.frozen
class KernelFunction:
    """A function of the kernel, as BTF describes it (params empty and return_type None
    when only the symbol table knows it)."""

    name: str
    params: tuple[Parameter, ...]
    return_type_id: int | None
    return_type: str | None
    variadic: bool = False
    from_btf: bool = True

    @property
    def returns_void(self) -> bool:
        return self.from_btf and self.return_type_id == 0

    def param(self, name: str) -> Parameter | None:
        for p in self.params:
            if p.name == name:
                return p
        return None


@attrs.frozen
class Tracepoint:
    name: str
    params: tuple[Parameter, ...]
    names_known: bool  # False when BTF gave the types but not the parameter names


@attrs.frozen
class Member:
    name: str
    type_id: int
    type: str


class KernelDescription:
    """Questions about one kernel.  `btf` may be None (symbols only) and so may `symbols`."""

    def __init__(self, btf: k.Btf | None, symbols: KernelSymbols | None, *,
                 release: str | None = None, arch: str | None = None, source: str = "",
                 module_dir: str | None = None, own_only: bool = False, saved_modules: dict | None = None):
        self.btf = btf
        self.symbols = symbols
        self.release = release
        self.arch = arch
        self.source = source
        # Where the modules' split BTF lies beside vmlinux's (/sys/kernel/btf), if anywhere.
        self.module_dir = module_dir
        # A module's description: its functions and tracepoints are its own, its types
        # include vmlinux's (its BTF refers to them).
        self.own_only = own_only
        # Modules' split BTF kept in a saved file (stapkit db kernel build): name -> object with read()
        self.saved_modules = saved_modules or {}
        self._modules: dict[str, KernelDescription | None] = {}
        self._functions: dict[str, int] | None = None
        self._types: dict[str, list[int]] | None = None
        self._tracepoints: dict[str, int] | None = None
        self._all_function_names: list[str] | None = None
        self._class_names: dict | None = None
        self._variables: frozenset[str] | None = None
        self._by_initial: dict[str, list[str]] | None = None
        self._similar: dict[tuple[str, int], list[str]] = {}

    def module(self, name: str) -> "KernelDescription | None":
        """A loaded module's description, from its split BTF (kept in a saved file, or beside
        vmlinux's: /sys/kernel/btf/<name>) and its part of the symbol table; None when there is none."""
        if name in self._modules:
            return self._modules[name]
        found = None
        btf = None
        path = f"{self.source} [{name}]"
        if name in self.saved_modules and self.btf is not None:
            data = self.saved_modules[name].read()
            try:
                btf = k.Btf(data, base=self.btf) if data is not None else None
            except k.BtfError:
                btf = None
        elif self.module_dir and self.btf is not None and name and "/" not in name and name != "vmlinux":
            import os

            path = os.path.join(self.module_dir, name)
            try:
                with open(path, "rb") as f:
                    btf = k.Btf(f.read(), base=self.btf)
            except (OSError, k.BtfError):
                btf = None  # no such module loaded (or unreadable): nothing is known of it
        if btf is not None:
            symbols = None
            if self.symbols is not None:
                symbols = KernelSymbols(self.symbols.module_functions.get(name, frozenset()), {})
            found = KernelDescription(btf, symbols, release=self.release, arch=self.arch, source=path,
                                      own_only=True)
        self._modules[name] = found
        return found

    def use_symbols(self, symbols: KernelSymbols) -> None:
        """Answer from this symbol table (one given beside a saved description)."""
        self.symbols = symbols
        self._all_function_names = None
        self._by_initial = None
        self._similar.clear()

    # -- indexes, built on first use

    def _function_ids(self) -> dict[str, int]:
        if self._functions is None:
            found: dict[str, int] = {}
            if self.btf is not None:
                btf = self.btf
                for type_id in btf.ids_of_kind(k.FUNC, own=self.own_only):
                    found.setdefault(btf.name(type_id), type_id)
            self._functions = found
        return self._functions

    def _type_ids(self) -> dict[str, list[int]]:
        """Named structs, unions, enums and typedefs, by name as C spells it
        (`struct sock`, `union bpf_attr`, `size_t`)."""
        if self._types is None:
            found: dict[str, list[int]] = {}
            btf = self.btf
            if btf is not None:
                words = {k.STRUCT: "struct ", k.UNION: "union ", k.ENUM: "enum ", k.ENUM64: "enum ",
                         k.TYPEDEF: ""}
                kinds, names = btf.kinds, btf.name_offsets
                for type_id in range(1, len(btf)):
                    word = words.get(kinds[type_id])
                    if word is not None and names[type_id]:
                        found.setdefault(word + btf.name(type_id), []).append(type_id)
            self._types = found
        return self._types

    def _tracepoint_ids(self) -> dict[str, int]:
        if self._tracepoints is None:
            found: dict[str, int] = {}
            if self.btf is not None:
                btf = self.btf
                for type_id in btf.ids_of_kind(k.TYPEDEF, own=self.own_only):
                    name = btf.name(type_id)
                    if name.startswith(_TRACEPOINT_PREFIX):
                        found[name[len(_TRACEPOINT_PREFIX):]] = type_id
            self._tracepoints = found
        return self._tracepoints

    # -- functions

    @property
    def has_btf(self) -> bool:
        return self.btf is not None

    def function_names(self) -> list[str]:
        """Every function name known, sorted."""
        if self._all_function_names is None:
            names = set(self._function_ids())
            if self.symbols is not None:
                names |= self.symbols.functions
            self._all_function_names = sorted(names)
        return self._all_function_names

    def has_function(self, name: str) -> bool:
        return name in self._function_ids() or (self.symbols is not None and name in self.symbols.functions)

    def has_symbol(self, name: str) -> bool:
        """In the symbol table (what a kprobe needs); with no symbol table, in BTF."""
        if self.symbols is not None:
            return name in self.symbols.functions
        return name in self._function_ids()

    def function(self, name: str) -> KernelFunction | None:
        func_id = self._function_ids().get(name)
        if func_id is None:
            if self.symbols is not None and name in self.symbols.functions:
                return KernelFunction(name, (), None, None, from_btf=False)
            return None
        btf = self.btf
        proto = btf.size_or_type[func_id]
        if not proto or btf.kinds[proto] != k.FUNC_PROTO:
            return KernelFunction(name, (), None, None, from_btf=False)
        params, variadic = self._parameters(proto)
        return_id = btf.size_or_type[proto]
        return KernelFunction(name, params, return_id, c_types.render(btf, return_id), variadic)

    def _parameters(self, proto: int) -> tuple[tuple[Parameter, ...], bool]:
        btf = self.btf
        params = []
        variadic = False
        for name, type_id in btf.params(proto):
            if not name and not type_id:
                variadic = True
                continue
            params.append(Parameter(name, type_id, c_types.render(btf, type_id)))
        return tuple(params), variadic

    def match_functions(self, pattern: str) -> list[str]:
        """The function names a stap wildcard pattern (`tcp_*`, `vfs_[rw]*`) matches, sorted."""
        if not _is_glob(pattern):
            return [pattern] if self.has_function(pattern) else []
        regex = re.compile(fnmatch.translate(pattern))
        return [name for name in self.function_names() if regex.match(name)]

    def _names_by_initial(self) -> dict[str, list[str]]:
        if self._by_initial is None:
            found: dict[str, list[str]] = {}
            for n in self.function_names():
                found.setdefault(n[:1], []).append(n)
            self._by_initial = found
        return self._by_initial

    def similar_functions(self, name: str, limit: int = 3) -> list[str]:
        """Names to suggest for one that is not found (remembered: an editor asks on every check)."""
        key = (name, limit)
        if key not in self._similar:
            self._similar[key] = self._similar_functions(name, limit)
        return list(self._similar[key])

    def _similar_functions(self, name: str, limit: int) -> list[str]:
        """Names to suggest for one that is not found: a system call's wrappers first
        (`sys_ioctl` became `__x64_sys_ioctl` in 4.17), then the closest spellings."""
        found: list[str] = []
        base = name
        for prefix in ("sys_",) + _SYSCALL_PREFIXES:
            if name.startswith(prefix):
                base = name[len(prefix):]
                break
        if base != name or name.startswith("compat_sys_"):
            base = base.removeprefix("compat_sys_")
            for prefix in _SYSCALL_PREFIXES + ("sys_",):
                candidate = prefix + base
                if candidate != name and self.has_function(candidate) and candidate not in found:
                    found.append(candidate)
        # `__vfs_read` became `vfs_read`, `tcp_transmit_skb` `__tcp_transmit_skb`.
        for candidate in (name.lstrip("_"), "__" + name.lstrip("_"), "_" + name.lstrip("_")):
            if candidate != name and self.has_function(candidate) and candidate not in found:
                found.append(candidate)
        # Since 6.10 the allocators are `kmem_cache_alloc_noprof` & co (memory allocation profiling).
        if self.has_function(name + "_noprof") and name + "_noprof" not in found:
            found.append(name + "_noprof")
        if len(found) >= limit:
            return found[:limit]
        # difflib over 100,000 names is slow: those of about the same length and first letter
        pool = [n for n in self._names_by_initial().get(name[:1], ()) if abs(len(n) - len(name)) <= 3]
        for candidate in difflib.get_close_matches(name, pool, n=limit, cutoff=0.75):
            if candidate not in found:
                found.append(candidate)
        return found[:limit]

    def has_variable(self, name: str) -> bool:
        """A global variable of the kernel image: a data symbol, or a BTF VAR (per-CPU data)."""
        if self.symbols is not None and name in self.symbols.variables:
            return True
        if self._variables is None:
            btf = self.btf
            self._variables = frozenset(btf.name(i) for i in btf.ids_of_kind(k.VAR)) if btf is not None \
                else frozenset()
        return name in self._variables

    # -- tracepoints

    def tracepoint_names(self) -> list[str]:
        return sorted(self._tracepoint_ids())

    def has_tracepoints(self) -> bool:
        return bool(self._tracepoint_ids())

    def match_tracepoints(self, pattern: str) -> list[str]:
        names = self._tracepoint_ids()
        if not _is_glob(pattern):
            return [pattern] if pattern in names else []
        regex = re.compile(fnmatch.translate(pattern))
        return sorted(n for n in names if regex.match(n))

    def tracepoint(self, name: str) -> Tracepoint | None:
        typedef_id = self._tracepoint_ids().get(name)
        if typedef_id is None:
            return None
        btf = self.btf
        functions = self._function_ids()
        stub = functions.get(_PROBESTUB_PREFIX + name) or functions.get(_BPF_TRACE_PREFIX + name)
        if stub is not None:
            params, _ = self._parameters(btf.size_or_type[stub])
            return Tracepoint(name, params[1:], True)  # the first is the probe's private data
        pointer = c_types.strip(btf, btf.size_or_type[typedef_id])
        proto = c_types.strip(btf, btf.size_or_type[pointer]) if pointer and btf.kinds[pointer] == k.PTR else 0
        if not proto or btf.kinds[proto] != k.FUNC_PROTO:
            return Tracepoint(name, (), False)
        params, _ = self._parameters(proto)
        # An event made with DEFINE_EVENT shares the __bpf_trace_<class> function of its class;
        # the class is not named in BTF, but its function has the same parameter types.
        names = self._class_parameter_names().get(tuple(p.type_id for p in params[1:]))
        if names is not None:
            return Tracepoint(name, tuple(attrs.evolve(p, name=n) for p, n in zip(params[1:], names)), True)
        return Tracepoint(name, params[1:], False)

    def _class_parameter_names(self) -> dict[tuple[int, ...], tuple[str, ...]]:
        """Parameter names of the __bpf_trace_<class> functions, by their parameter types
        (left out where two classes with the same types name them differently)."""
        if self._class_names is None:
            found: dict[tuple[int, ...], tuple[str, ...] | None] = {}
            btf = self.btf
            for name, func_id in self._function_ids().items():
                if name.startswith(_BPF_TRACE_PREFIX):
                    pairs = btf.params(btf.size_or_type[func_id])[1:]
                    types = tuple(t for _, t in pairs)
                    names = tuple(n for n, _ in pairs)
                    found[types] = names if found.get(types, names) == names else None
            self._class_names = {t: n for t, n in found.items() if n is not None}
        return self._class_names

    def similar_tracepoints(self, name: str, limit: int = 3) -> list[str]:
        return difflib.get_close_matches(name, self.tracepoint_names(), n=limit, cutoff=0.7)

    # -- types

    def type_named(self, name: str) -> int | None:
        """A type by its C name: `struct sock`, `sock` (a struct, union or typedef of that
        name), `size_t`.  Pointer stars are not followed here."""
        name = " ".join(name.split())
        types = self._type_ids()
        if name in types:
            return types[name][0]
        for word in ("struct ", "union ", "", "enum "):
            ids = types.get(word + name)
            if ids:
                return ids[0]
        return None

    def type_names(self) -> list[str]:
        return sorted(self._type_ids())

    def similar_types(self, name: str, limit: int = 3) -> list[str]:
        bare = {n.split(" ", 1)[-1]: n for n in self._type_ids()}
        return [bare[m] for m in difflib.get_close_matches(name.split(" ", 1)[-1], list(bare), n=limit, cutoff=0.75)]

    def members(self, aggregate_id: int) -> list[Member]:
        btf = self.btf
        return [Member(name, type_id, c_types.render(btf, type_id))
                for name, type_id in c_types.members(btf, aggregate_id)]

    def render(self, type_id: int) -> str:
        return c_types.render(self.btf, type_id)

    # -- what it is

    def summary(self) -> dict:
        return {
            "source": self.source,
            "release": self.release,
            "arch": self.arch,
            "btf_types": len(self.btf) - 1 if self.btf is not None else 0,
            "functions": len(self._function_ids()),
            "tracepoints": len(self._tracepoint_ids()),
            "symbols": len(self.symbols.functions) if self.symbols is not None else 0,
            "modules": sorted(self.saved_modules) if self.saved_modules else self._module_files(),
        }

    def _module_files(self) -> list[str]:
        """The modules whose BTF lies beside vmlinux's (loaded ones, for /sys/kernel/btf)."""
        import os

        if not self.module_dir:
            return []
        try:
            return sorted(n for n in os.listdir(self.module_dir) if n != "vmlinux")
        except OSError:
            return []


def _is_glob(text: str) -> bool:
    return any(c in text for c in "*?[")
