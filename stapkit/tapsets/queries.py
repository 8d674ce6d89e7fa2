"""Questions asked of the database: what a probe sees, when an item was deprecated, similar names.

The functions take a `lookup(name) -> [ProbeAlias]`, so they work on a
loaded `TapsetDB` (`db.aliases`) and on the builder's items alike.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable

from .model import UNKNOWN, Conjunction, ProbeAlias

AliasLookup = Callable[[str], list[ProbeAlias]]
MAX_DEPTH = 20

_SYSTEMTAP_V = re.compile(r'^(!\()?systemtap_v\s*(<=|<|>=|>|==|!=)\s*"([^"]*)"\)?$')


def expansion_names(alias: ProbeAlias) -> list[str]:
    """The plain dotted names among an alias's points (those that may be other aliases)."""
    return [p.text for p in alias.points if "(" not in p.text and "*" not in p.text]


def visible_variables(lookup: AliasLookup, name: str, holds=None) -> dict[str, tuple[str, ProbeAlias]]:
    """The variables a probe on `name` sees: set by its alias bodies or those it expands to.

    name -> (type, the alias definition that sets it), following the expansion
    through other aliases.  With `holds` (a TargetView.holds) only the
    definitions and points that exist for that target count.
    """
    seen: set[str] = set()
    out: dict[str, tuple[str, ProbeAlias]] = {}

    def visit(alias_name: str, depth: int) -> None:
        if alias_name in seen or depth > MAX_DEPTH:
            return
        seen.add(alias_name)
        for alias in lookup(alias_name):
            if holds is not None and not holds(alias.conditions):
                continue
            for var in alias.variables:
                known = out.get(var.name)
                if known is None or known[0] == UNKNOWN:
                    out[var.name] = (var.type, alias)
            for point in alias.points:
                if holds is not None and not holds(point.conditions):
                    continue
                if "(" not in point.text and "*" not in point.text:
                    visit(point.text, depth + 1)

    visit(name, 0)
    return out


def _systemtap_v_bounds(conditions: Conjunction):
    """(operator, version) of each `systemtap_v OP "X"` condition, negations turned around."""
    for text in conditions:
        match = _SYSTEMTAP_V.match(text.strip())
        if not match:
            continue
        negated, op, version = match.groups()
        if negated:
            op = {"<=": ">", "<": ">=", ">=": "<", ">": "<="}.get(op, op)
        yield op, version


def deprecated_since(conditions: Conjunction) -> str | None:
    """The last SystemTap version that has an item, from a `systemtap_v <= "X"` condition.

    Items kept only for old scripts sit under `%( systemtap_v <= "2.1" %?`
    (or in the `%:` branch of `%( systemtap_v >= "2.2" %?`): available with
    `--compatible=2.1`, deprecated in the releases after it.
    """
    for op, version in _systemtap_v_bounds(conditions):
        if op in ("<=", "<"):
            return version
    return None


def introduced_in(conditions: Conjunction) -> str | None:
    """The SystemTap version an item needs, from a `systemtap_v >= "X"` condition."""
    for op, version in _systemtap_v_bounds(conditions):
        if op in (">=", ">"):
            return version
    return None


def similar_names(name: str, candidates: Iterable[str], limit: int = 5) -> list[str]:
    """The closest names, for "did you mean": by edit distance, then shared dotted prefix."""
    import difflib

    candidates = list(candidates)
    close = difflib.get_close_matches(name, candidates, n=limit, cutoff=0.75)
    if len(close) < limit and "." in name:
        # A wrong last component: socket.sendd -> the socket.* names nearest to it.
        prefix = name.rsplit(".", 1)[0] + "."
        family = [c for c in candidates if c.startswith(prefix)]
        close += [c for c in difflib.get_close_matches(name, family, n=limit, cutoff=0.5) if c not in close]
    return close[:limit]
