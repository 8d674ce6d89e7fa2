"""`stapkit db show|list` for the kernel: functions, tracepoints and types, offline.

`db show 'kernel.function("tcp_sendmsg")'` prints what `stap -L` prints with
debuginfo (the point, then each `$parameter:type`), minus the file:line BTF
does not have; the lines under it give the return type, the members of
struct parameters and where the description came from.
"""

from __future__ import annotations

import fnmatch
import re

from ..tapsets.show import Description
from . import btf as k
from . import c_types
from .description import KernelDescription

_POINT = re.compile(r'^\s*(kernel\.function|kprobe\.function|kernel\.trace)\s*\(\s*"([^"]*)"\s*\)'
                    r'((?:\.[A-Za-z_]+)*)\s*$')
_TYPE = re.compile(r"^\s*(?:(struct|union|enum)\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*$")
_SHOW_AT_MOST = 50


# `module("ext4").function("ext4_sync_file")`: the same questions, of a module's description
_MODULE_POINT = re.compile(r'^\s*module\s*\(\s*"([^"*?\[\]]+)"\s*\)\.(function\s*\(.*)$')


# `@cast(p, "task_struct")` or `@cast(p, "task_struct", "kernel<linux/sched.h>")`: the type
# named there (the expression does not matter here), and the module it is looked up in
_CAST = re.compile(r'^\s*@cast\s*\(.*?,\s*"([^"]+)"\s*(?:,\s*"([^"]*)"\s*)?\)\s*$', re.S)
# `struct sk_*` in `db list`
_TYPE_PATTERN = re.compile(r"^\s*(struct|union|enum)\s+([A-Za-z0-9_*?\[\]]+)\s*$")


def is_kernel_query(text: str) -> bool:
    """Is this a question for the kernel description (a kernel point, `struct x`, `@cast(p, "x")`)?"""
    return bool(_POINT.match(text) or _module_query(text) or _CAST.match(text) or _TYPE_PATTERN.match(text))


def is_type_name(text: str) -> bool:
    """Could this be a C type's bare name (`task_struct`, `size_t`) as @cast writes it?"""
    return bool(_TYPE.match(text))


def knows_type(kernel: KernelDescription, text: str) -> bool:
    return bool(_TYPE.match(text)) and kernel.type_named(text) is not None


def _module_query(text: str):
    """(module, the same point as a kernel.function one) for a module(...).function(...) point."""
    match = _MODULE_POINT.match(text)
    if match is None or not _POINT.match("kernel." + match.group(2)):
        return None
    return match.group(1), "kernel." + match.group(2)


def _in_module(kernel: KernelDescription, text: str):
    """A module point's module description and the point as a kernel one; (kernel, text) else."""
    query = _module_query(text)
    if query is None:
        return kernel, text, None
    module, point = query
    return kernel.module(module), point, module


def list_points(kernel: KernelDescription, pattern: str) -> list[str] | None:
    """The kernel points a pattern such as `kernel.function("tcp_send*")` matches; None when
    the pattern is not a kernel point."""
    kernel, pattern, module = _in_module(kernel, pattern)
    if kernel is None:
        return []
    types = _TYPE_PATTERN.match(pattern)
    if types is not None:
        word, glob = types.groups()
        return [n for n in kernel.type_names() if n.startswith(word + " ")
                and fnmatch.fnmatchcase(n[len(word) + 1:], glob)]
    match = _POINT.match(pattern)
    if match is None:
        return None
    family, name, suffix = match.groups()
    if module is not None:
        return [f'module("{module}").function("{n}"){suffix}' for n in kernel.match_functions(name.split("@", 1)[0])]
    if family == "kernel.trace":
        names = kernel.match_tracepoints(name.split(":", 1)[-1])
    elif family == "kprobe.function":
        names = [n for n in kernel.match_functions(name) if kernel.has_symbol(n)]
    else:
        names = kernel.match_functions(name.split("@", 1)[0])
    return [f'{family}("{n}"){suffix}' for n in names]


def describe_kernel(kernel: KernelDescription, text: str) -> Description:
    cast = _CAST.match(text)
    if cast is not None:
        return _describe_cast(kernel, *cast.groups())
    described, point, module = _in_module(kernel, text)
    if described is None:
        line = (f"module {module}: no BTF for it in {kernel.source} (modules are described only while "
                "loaded: /sys/kernel/btf/<module>)")
        return Description(False, line + "\n", {"name": text, "known": False, "similar": []})
    if module is not None:
        found = describe_kernel(described, point)  # as kernel.function(...), then said of the module
        head = f'module("{module}").function'
        return Description(found.known, found.text.replace("kernel.function", head),
                           {**found.data, "name": text, "module": module})
    match = _POINT.match(text)
    if match is None:
        return _describe_type(kernel, text)
    family, name, suffix = match.groups()
    bare = name.split(":", 1)[-1] if family == "kernel.trace" else name.split("@", 1)[0]
    glob = any(c in bare for c in "*?[")
    names = (kernel.match_tracepoints(bare) if family == "kernel.trace" else kernel.match_functions(bare))
    if not names:
        similar = ([] if glob else kernel.similar_tracepoints(bare) if family == "kernel.trace"
                   else kernel.similar_functions(bare))
        what = "tracepoint" if family == "kernel.trace" else "function"
        line = (f"no {what} of {_kernel_name(kernel)} matches '{bare}'" if glob
                else f"{family}(\"{bare}\"): no such {what} in {_kernel_name(kernel)}")
        if similar:
            line += " (did you mean " + " or ".join(f"'{n}'" for n in similar) + "?)"
        return Description(False, line + "\n", {"name": text, "known": False, "similar": similar})
    lines: list[str] = []
    entries = []
    for n in names[:_SHOW_AT_MOST]:
        if family == "kernel.trace":
            entry_lines, entry = _tracepoint_lines(kernel, n)
        else:
            entry_lines, entry = _function_lines(kernel, family, n, suffix)
        lines += entry_lines
        entries.append(entry)
    if len(names) > _SHOW_AT_MOST:
        lines.append(f"... and {len(names) - _SHOW_AT_MOST} more (`stapkit db list` lists them all)")
    lines.append(f"  from {kernel.source}" + (f" (kernel {kernel.release})" if kernel.release else ""))
    return Description(True, "\n".join(lines) + "\n",
                       {"name": text, "known": True, "source": kernel.source, "release": kernel.release,
                        "matches": entries})


def _function_lines(kernel: KernelDescription, family: str, name: str, suffix: str):
    func = kernel.function(name)
    head = f'{family}("{name}"){suffix}'
    entry = {"point": head, "function": name}
    if family == "kprobe.function":
        present = kernel.has_symbol(name)
        entry["symbol"] = present
        return [head, "  " + ("in the kernel's symbol table" if present else "not in the kernel's symbol table")
                + " (kprobe probes have no $variables)"], entry
    if not func.from_btf:
        entry["parameters"] = None
        return [head, "  only in the symbol table: BTF does not describe its parameters"], entry
    variables = [f"${p.name}:{p.type}" for p in func.params]
    if "return" in suffix.split(".") and not func.returns_void:
        variables.append(f"$return:{func.return_type}")
    lines = [" ".join([head] + variables)]
    lines.append(f"  returns {func.return_type}" + (" (a variable number of arguments)" if func.variadic else ""))
    lines += _member_lines(kernel, func.params)
    entry.update(parameters=[{"name": p.name, "type": p.type} for p in func.params],
                 returns=func.return_type, variadic=func.variadic)
    return lines, entry


def _tracepoint_lines(kernel: KernelDescription, name: str):
    tracepoint = kernel.tracepoint(name)
    head = f'kernel.trace("{name}")'
    entry = {"point": head, "tracepoint": name,
             "parameters": [{"name": p.name or None, "type": p.type} for p in tracepoint.params]}
    if not tracepoint.names_known:
        return [head, "  parameter types (BTF has no names for them): "
                + ", ".join(p.type for p in tracepoint.params)], entry
    lines = [" ".join([head] + [f"${p.name}:{p.type}" for p in tracepoint.params])]
    lines += _member_lines(kernel, tracepoint.params)
    return lines, entry


def _member_lines(kernel: KernelDescription, params) -> list[str]:
    """For each parameter that reaches a struct: its members, one level down."""
    lines = []
    for p in params:
        aggregate = c_types.aggregate(kernel.btf, p.type_id)
        if aggregate is None:
            continue
        members = [m for m in kernel.members(aggregate) if not _is_marker(kernel, m)]
        shown = " ".join(f"{m.name}:{m.type}" for m in members[:12])
        more = f" ... ({len(members)} members)" if len(members) > 12 else ""
        lines.append(f"  ${p.name}->  {shown}{more}")
    return lines


def _is_marker(kernel: KernelDescription, member) -> bool:
    """`__cacheline_group_begin__sock_write_rx:__u8[0]`: a zero-length array that only marks
    a place in the layout.  Left out of the one-line summaries, where it hides the data."""
    if not member.name.startswith("__cacheline_group_"):
        return False
    type_id = c_types.strip(kernel.btf, member.type_id)
    return kernel.btf.kinds[type_id] == k.ARRAY and kernel.btf.array_info(type_id)[1] == 0


def _describe_cast(kernel: KernelDescription, type_name: str, module: str | None) -> Description:
    """`@cast(p, "T", "M")`: the type T, in the module M's BTF when M names a module."""
    if module and module != "kernel" and not module.startswith("kernel<"):
        described = kernel.module(module)
        if described is None:
            line = (f"module {module}: no BTF for it in {kernel.source} (modules are described only while "
                    "loaded: /sys/kernel/btf/<module>)")
            return Description(False, line + "\n", {"name": type_name, "known": False, "similar": []})
        kernel = described
    return _describe_type(kernel, type_name)


def _describe_type(kernel: KernelDescription, text: str) -> Description:
    match = _TYPE.match(text)
    type_id = kernel.type_named(text) if match else None
    if type_id is None:
        similar = kernel.similar_types(text.strip())
        line = f"{text.strip()}: no such type in {_kernel_name(kernel)}'s BTF"
        if similar:
            line += " (did you mean " + " or ".join(f"'{n}'" for n in similar) + "?)"
        return Description(False, line + "\n", {"name": text, "known": False, "similar": similar})
    name = kernel.render(type_id)
    inner = c_types.strip(kernel.btf, type_id)
    aggregate = c_types.aggregate(kernel.btf, inner)
    lines = [name if c_types.strip(kernel.btf, type_id) == type_id else f"{name} = {kernel.render(inner)}"]
    data: dict = {"name": name, "known": True}
    if aggregate is not None:
        members = kernel.members(aggregate)
        lines += [f"  {m.name}:{m.type}" for m in members]
        data["members"] = [{"name": m.name, "type": m.type} for m in members]
    lines.append(f"  from {kernel.source}")
    return Description(True, "\n".join(lines) + "\n", data)


def _kernel_name(kernel: KernelDescription) -> str:
    return f"kernel {kernel.release}" if kernel.release else "this kernel"

