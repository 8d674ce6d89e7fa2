"""`stapkit db diff A B`: what the library of release B adds, removes and changes against release A.

Compared per name: probe aliases (their variables with types, their
expansions), public functions (their signatures: one per overload), globals
and library macros (their names), and stap's built-in probe families (their
patterns, from probe_families: `kernel.function(string).callees`).  Items of every target are compared (the
whole library, as the release history holds it), so that a name one
architecture lost counts as changed, not removed.
"""

from __future__ import annotations


def _alias_facts(db, name: str) -> set[str]:
    facts = set()
    for alias in db.aliases(name):
        facts.add(f"{'+=' if alias.epilogue else '='} {alias.expansion(lambda conditions: True)}")
        facts.update(f"variable {v.name}:{v.type}" for v in alias.variables)
    return facts


def _function_facts(db, name: str) -> set[str]:
    return {f"{f.name}({', '.join(f'{p.name}:{p.type}' for p in f.params)}):{f.return_type}"
            for f in db.functions(name) if not f.private}


def _name_facts(kind: str):
    def facts(db, name: str) -> set[str]:
        return {name} if (db.globals(name) if kind == "global" else db.macros(name)) else set()
    return facts


KINDS = {"alias": _alias_facts, "function": _function_facts, "global": _name_facts("global"),
         "macro": _name_facts("macro")}


def diff(old, new) -> dict:
    """{kind: {"added": [name], "removed": [name], "changed": [{"name", "added": [...], "removed": [...]}]}}."""
    out = {}
    for kind, facts_of in KINDS.items():
        before = {n for n in old.names(kind) if facts_of(old, n)}
        after = {n for n in new.names(kind) if facts_of(new, n)}
        changed = []
        for name in sorted(before & after):
            a, b = facts_of(old, name), facts_of(new, name)
            if a != b:
                changed.append({"name": name, "added": sorted(b - a), "removed": sorted(a - b)})
        out[kind] = {"added": sorted(after - before), "removed": sorted(before - after), "changed": changed}
    out["family"] = _family_diff(old.systemtap_version, new.systemtap_version)
    return out


def _family_diff(old: str, new: str) -> dict:
    from .probe_families import families

    before = {f.pattern for f in families(old)}
    after = {f.pattern for f in families(new)}
    return {"added": sorted(after - before), "removed": sorted(before - after), "changed": []}


LABELS = {"alias": "probe alias", "function": "function", "global": "global", "macro": "macro",
          "family": "probe family"}
PLURALS = {"alias": "probe aliases", "function": "functions", "global": "globals", "macro": "macros",
           "family": "built-in probe families"}


def render(result: dict, old: str, new: str) -> str:
    lines = [f"SystemTap {old} -> {new}"]
    for kind, found in result.items():
        label = LABELS[kind]
        lines.append(f"{PLURALS[kind]}: {len(found['added'])} added, {len(found['removed'])} removed, "
                     f"{len(found['changed'])} changed")
        lines += [f"+ {label} {name}" for name in found["added"]]
        lines += [f"- {label} {name}" for name in found["removed"]]
        for change in found["changed"]:
            lines.append(f"~ {label} {change['name']}")
            lines += [f"    + {fact}" for fact in change["added"]]
            lines += [f"    - {fact}" for fact in change["removed"]]
    return "\n".join(lines) + "\n"
