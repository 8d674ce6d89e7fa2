"""C types read from BTF: their names as C writes them, and their members.

What stap does with a context variable depends on the type under its typedefs
and qualifiers: a pointer or an integer is a number to a script, a struct or a
union has members reached with `->` (through one pointer or none), an array is
indexed.  `strip` finds that type; `render` names a type the way `stap -L`
prints it (`struct sock*`, `const char*`, `size_t`, `char[16]`).
"""

from __future__ import annotations

from . import btf as k

_QUALIFIERS = frozenset({k.TYPEDEF, k.CONST, k.VOLATILE, k.RESTRICT, k.TYPE_TAG})
_AGGREGATES = frozenset({k.STRUCT, k.UNION})


def strip(btf: k.Btf, type_id: int) -> int:
    """The type under typedefs, const, volatile, restrict and type tags."""
    kinds, under = btf.kinds, btf.size_or_type
    for _ in range(64):  # a loop in bad data must not hang us
        if type_id == 0 or kinds[type_id] not in _QUALIFIERS:
            return type_id
        type_id = under[type_id]
    return type_id


def kind_of(btf: k.Btf, type_id: int) -> int:
    """The kind under the qualifiers (0 for void)."""
    return btf.kinds[strip(btf, type_id)] if type_id else 0


def aggregate(btf: k.Btf, type_id: int) -> int | None:
    """The struct or union that `->` on a value of this type reaches: the type itself,
    or what a pointer points to; None when `->` has nothing to reach."""
    type_id = strip(btf, type_id)
    if type_id and btf.kinds[type_id] == k.PTR:
        type_id = strip(btf, btf.size_or_type[type_id])
    if type_id and btf.kinds[type_id] in _AGGREGATES:
        return type_id
    return None


def is_incomplete(btf: k.Btf, type_id: int) -> bool:
    """A declared-only struct (`struct foo;`): a pointer to it has members BTF does not know."""
    type_id = strip(btf, type_id)
    if type_id and btf.kinds[type_id] == k.PTR:
        type_id = strip(btf, btf.size_or_type[type_id])
    return bool(type_id) and btf.kinds[type_id] == k.FWD


def element(btf: k.Btf, type_id: int) -> int | None:
    """What `[i]` on a value of this type reads: an array's element or a pointer's target."""
    type_id = strip(btf, type_id)
    kind = btf.kinds[type_id] if type_id else 0
    if kind == k.ARRAY:
        return btf.array_info(type_id)[0]
    if kind == k.PTR:
        return btf.size_or_type[type_id]
    return None


def members(btf: k.Btf, aggregate_id: int) -> list[tuple[str, int]]:
    """The members a name reaches, the members of anonymous structs and unions inside included."""
    found: list[tuple[str, int]] = []
    stack = [aggregate_id]
    seen = set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        nested = []
        for name, member_type, _bit in btf.members(current):
            if name:
                found.append((name, member_type))
            else:
                inner = strip(btf, member_type)
                if inner and btf.kinds[inner] in _AGGREGATES:
                    nested.append(inner)
        stack.extend(reversed(nested))
    return found


def member(btf: k.Btf, aggregate_id: int, name: str) -> int | None:
    """The type id of the member `name` (looked for in anonymous members too), or None."""
    for member_name, member_type in members(btf, aggregate_id):
        if member_name == name:
            return member_type
    return None


def render(btf: k.Btf, type_id: int, depth: int = 0) -> str:
    """The type as C names it, without spaces before `*` (stap -L's style: `struct sock*`)."""
    if type_id == 0:
        return "void"
    if depth > 16:
        return "..."
    kind = btf.kinds[type_id]
    name = btf.name(type_id)
    under = btf.size_or_type[type_id]
    if kind in (k.INT, k.FLOAT, k.TYPEDEF):
        return name
    if kind in (k.STRUCT, k.UNION, k.ENUM, k.ENUM64):
        word = {k.STRUCT: "struct", k.UNION: "union"}.get(kind, "enum")
        return f"{word} {name}" if name else f"{word} {{...}}"
    if kind == k.FWD:
        return f"{'union' if btf.kind_flags[type_id] else 'struct'} {name}"
    if kind == k.PTR:
        target = strip(btf, under)
        if target and btf.kinds[target] == k.FUNC_PROTO:
            return _function_pointer(btf, target, depth)
        return render(btf, under, depth + 1) + "*"
    if kind in (k.CONST, k.VOLATILE, k.RESTRICT):
        word = {k.CONST: "const", k.VOLATILE: "volatile", k.RESTRICT: "restrict"}[kind]
        inner = render(btf, under, depth + 1)
        return f"{inner} {word}" if inner.endswith("*") else f"{word} {inner}"
    if kind == k.TYPE_TAG:
        return render(btf, under, depth + 1)
    if kind == k.ARRAY:
        element_id, count = btf.array_info(type_id)
        return f"{render(btf, element_id, depth + 1)}[{count}]"
    if kind == k.FUNC_PROTO:
        return _function_pointer(btf, type_id, depth).replace("(*)", "", 1)
    return name or k.KIND_NAMES.get(kind, "?")


def _function_pointer(btf: k.Btf, proto_id: int, depth: int) -> str:
    params = [("..." if not t and not n else render(btf, t, depth + 1)) for n, t in btf.params(proto_id)]
    return f"{render(btf, btf.size_or_type[proto_id], depth + 1)} (*)({', '.join(params) or 'void'})"


def script_type(btf: k.Btf, type_id: int) -> str:
    """What a script sees when it reads a value of this type: 'long' (integers, enums,
    pointers, and an array's address), or 'struct' for a struct or union read whole."""
    kind = kind_of(btf, type_id)
    if kind in _AGGREGATES:
        return "struct"
    return "long"
