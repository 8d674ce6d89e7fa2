"""What the language server says about the kernel, when a kernel description is given
(docs/kernel.md): the C types of $variables and members for hover, kernel function
signatures for probe points, and the names, parameters and members to complete.

The types of a checked document come from the checker (CheckUnit.c_types and
kernel_contexts, filled by semantic/kernel_targets.py); completion, which must
answer on text the checker has not seen yet, follows `$var->a->b` itself.
"""

from __future__ import annotations

import re

from ..kernel import c_types

# The $variable and member chain just before a `->` the cursor follows: `$sk->__sk_common->`.
CHAIN_BEFORE_ARROW = re.compile(r"(\$[A-Za-z_]\w*)((?:->[A-Za-z_]\w*|\[[^\[\]]*\])*)->$")


def signature(kernel, name: str) -> str | None:
    """`int tcp_sendmsg(struct sock* sk, struct msghdr* msg, size_t size)`."""
    func = kernel.function(name)
    if func is None:
        return None
    if not func.from_btf:
        return None
    params = [f"{p.type} {p.name}".strip() for p in func.params] + (["..."] if func.variadic else [])
    return f"{func.return_type} {name}({', '.join(params) or 'void'})"


def point_text(kernel, family: str, name: str) -> str | None:
    """Markdown for a kernel.function/kprobe.function/kernel.trace point's target."""
    source = f"from {kernel.source}" + (f" (kernel {kernel.release})" if kernel.release else "")
    glob = any(c in name for c in "*?[")
    if family == "kernel.trace":
        if glob:
            names = kernel.match_tracepoints(name)
            return f"matches {len(names)} tracepoint{'s' if len(names) != 1 else ''} · {source}"
        tracepoint = kernel.tracepoint(name)
        if tracepoint is None:
            return f"no tracepoint `{name}` in this kernel · {source}"
        params = ", ".join(f"${p.name}: {p.type}" if p.name else p.type for p in tracepoint.params)
        return f"```c\ntracepoint {name}({params})\n```\n\n{source}"
    if glob:
        names = kernel.match_functions(name)
        shown = ", ".join(f"`{n}`" for n in names[:8]) + (", ..." if len(names) > 8 else "")
        return f"matches {len(names)} kernel function{'s' if len(names) != 1 else ''}" + \
            (f": {shown}" if names else "") + f" · {source}"
    text = signature(kernel, name)
    if text is not None:
        return f"```c\n{text}\n```\n\n{source}"
    if kernel.has_function(name):
        return f"`{name}`: in the kernel's symbol table; BTF does not describe its parameters · {source}"
    return f"no function `{name}` in this kernel · {source}"


def contexts_at(analysis, offset: int):
    """The kernel functions and tracepoints the probe around `offset` reaches (checked text)."""
    unit = analysis.unit() if analysis is not None else None
    if unit is None or unit.kernel is None:
        return None, None
    item = analysis.item_at(offset)
    return unit.kernel, unit.kernel_contexts.get(id(item)) if item is not None else None


def chain_type(kernel, contexts, variable: str, steps: str) -> int | None:
    """The type id `$variable` followed by `->a[..]->b` reaches, or None."""
    bare = variable[1:]
    ids = {c.params[bare].type_id for c in contexts if bare in c.params} if bare != "return" else \
        {c.return_type_id for c in contexts if c.is_return}
    if len(ids) != 1:
        return None
    current = ids.pop()
    btf = (contexts[0].description or kernel).btf
    for member, index in re.findall(r"->(\w+)|(\[[^\[\]]*\])", steps):
        if member:
            aggregate = c_types.aggregate(btf, current)
            current = c_types.member(btf, aggregate, member) if aggregate is not None else None
        else:
            current = c_types.element(btf, current)
        if current is None:
            return None
    return current


def members_after(kernel, contexts, text_before: str):
    """The members to offer after `$x->...->` (name, C type), or None when it is no such place."""
    match = CHAIN_BEFORE_ARROW.search(text_before)
    if match is None or not contexts:
        return None
    type_id = chain_type(kernel, contexts, match.group(1), match.group(2))
    if type_id is None:
        return None
    kernel = contexts[0].description or kernel  # a module's types are in its own description
    aggregate = c_types.aggregate(kernel.btf, type_id)
    if aggregate is None:
        return None
    return [(m.name, m.type) for m in kernel.members(aggregate)]
