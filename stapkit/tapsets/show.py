"""`stapkit db show NAME`: everything the database knows of one name, as text and as JSON.

The first line of a probe alias is what `stap -L` prints for it (the name,
then each variable a handler sees with its type); the lines under it say
where it is defined, what it expands to, under which conditions, and what
the manual says.  A name that is unknown gets what became of it (the 2009
manual's renames) or the names closest to it.
"""

from __future__ import annotations

import attrs

from .model import Function, ProbeAlias
from .queries import deprecated_since, introduced_in, similar_names, visible_variables


@attrs.frozen
class Description:
    known: bool
    text: str
    data: dict


def describe(db, name: str, view=None) -> Description:
    aliases = db.aliases(name)
    functions = [f for f in db.functions(name) if not f.private]
    families = _families_named(name, getattr(db, "systemtap_version", None))
    if not aliases and not functions and not families:
        return _unknown(db, name, view)
    lines: list[str] = []
    data: dict = {"name": name}
    if aliases:
        lines += _alias_lines(db, name, aliases, view, data)
    if families:
        lines += _family_lines(families, data)
    if functions:
        lines += _function_lines(db, name, functions, view, data)
    return Description(True, "\n".join(lines) + "\n", data)


def _exists(item, view) -> bool:
    return view is None or (view.reads(item.where.file) and view.holds(item.conditions))


def _alias_lines(db, name: str, aliases: list[ProbeAlias], view, data: dict) -> list[str]:
    holds = view.holds if view is not None else None
    present = [a for a in aliases if _exists(a, view)]
    if present:
        variables = visible_variables(lambda n: [a for a in db.aliases(n) if _exists(a, view)], name, holds)
    else:  # not for this target: what it would offer where it exists
        variables = visible_variables(db.aliases, name)
    head = " ".join([name] + [f"{var}:{t}" for var, (t, _) in sorted(variables.items())
                              if not var.startswith("_")])
    lines = [head]
    if not present:
        lines.append("  not available for this target (see the conditions below; --all-targets shows all)")
    data["probe_alias"] = {
        "available": bool(present),
        "variables": {var: {"type": t, "set_by": f"{alias.name} ({alias.where})"}
                      for var, (t, alias) in sorted(variables.items())},
        "definitions": [],
    }
    for alias in aliases:
        kind = "epilogue (+=)" if alias.epilogue else "prologue (=)"
        lines.append(f"  defined at {alias.where}, {kind}")
        points = [p for p in alias.points if holds is None or holds(p.conditions)]
        lines.append(f"    expands to: {', '.join(p.spelled() for p in points) or '(nothing for this target)'}")
        for p in alias.points:
            if p.conditions:
                lines.append(f"    {p.spelled()} only when {' && '.join(p.conditions)}")
        if alias.conditions:
            lines.append(f"    exists only when {' && '.join(alias.conditions)}")
        gone = deprecated_since(alias.conditions)
        if gone:
            lines.append(f"    deprecated: kept for scripts of SystemTap {gone} and older (--compatible={gone})")
        since = introduced_in(alias.conditions)
        if since:
            lines.append(f"    needs SystemTap {since} or newer")
        for var in alias.variables:
            if var.conditions:
                when = " || ".join(" && ".join(c) for c in var.conditions)
                lines.append(f"    sets {var.name} only when {when}")
        data["probe_alias"]["definitions"].append({
            "where": str(alias.where), "epilogue": alias.epilogue, "conditions": list(alias.conditions),
            "available": _exists(alias, view), "deprecated_after": gone,
            "points": [{"point": p.spelled(), "conditions": list(p.conditions)} for p in alias.points],
            "variables": [{"name": v.name, "type": v.type, "line": v.line,
                           "conditions": [list(c) for c in v.conditions]} for v in alias.variables],
        })
    facts = db.manual("probe", name)
    if facts is not None:
        lines += _manual_lines(facts)
        data["manual"] = _manual_data(facts)
        undocumented = sorted(set(v for v in variables if not v.startswith("_")) - set(facts.variables))
        missing = sorted(set(facts.variables) - set(variables) - {"None"})
        if missing:
            lines.append(f"    documented but not set: {', '.join(missing)}")
        if undocumented:
            lines.append(f"    set but not documented: {', '.join(undocumented)}")
    return lines


def _function_lines(db, name: str, functions: list[Function], view, data: dict) -> list[str]:
    lines = []
    entries = []
    for f in functions:
        lines.append(f.signature())
        tags = f", tags: {', '.join(f.tags)}" if f.tags else ""
        body = "embedded C" if f.embedded else "script"
        lines.append(f"  function ({body}) defined at {f.where}; callable by: {f.privilege}{tags}")
        inferred = [p.name for p in f.params if not p.declared and p.type != "unknown"]
        if inferred or (not f.return_declared and f.return_type != "unknown"):
            lines.append("    types not declared in the source were inferred from the body and its callers")
        if not _exists(f, view):
            lines.append("    not available for this target")
        if f.conditions:
            lines.append(f"    exists only when {' && '.join(f.conditions)}")
        gone = deprecated_since(f.conditions)
        if gone:
            lines.append(f"    deprecated: kept for scripts of SystemTap {gone} and older (--compatible={gone})")
        entries.append({"signature": f.signature(), "where": str(f.where), "privilege": f.privilege,
                        "tags": list(f.tags), "embedded": f.embedded, "conditions": list(f.conditions),
                        "available": _exists(f, view), "deprecated_after": gone,
                        "params": [{"name": p.name, "type": p.type, "declared": p.declared} for p in f.params],
                        "return_type": f.return_type, "return_declared": f.return_declared})
    facts = db.manual("function", name)
    if facts is not None:
        lines += _manual_lines(facts)
        data["manual_function"] = _manual_data(facts)
    data["function"] = entries
    return lines


def _manual_lines(facts) -> list[str]:
    chapter = f" ({facts.chapter})" if facts.chapter else ""
    lines = [f"  manual: {facts.kind}::{facts.name}{chapter}"]
    if facts.variables:
        lines.append(f"    documents: {', '.join(facts.variables)}")
    if facts.deprecated:
        since = f" since SystemTap {facts.deprecated_since}" if facts.deprecated_since else ""
        lines.append(f"    the manual says it is deprecated{since}")
    for var, since in facts.deprecated_variables:
        lines.append(f"    the manual says {var} is deprecated" + (f" since SystemTap {since}" if since else ""))
    if facts.summary:
        lines.append(f"    {facts.summary}")
    return lines


def _manual_data(facts) -> dict:
    return {"page": facts.page, "chapter": facts.chapter, "documented": list(facts.variables or facts.arguments),
            "deprecated": facts.deprecated, "deprecated_since": facts.deprecated_since,
            "signatures": list(facts.signatures), "summary": facts.summary, "description": facts.description}


def _families_named(name: str, release: str | None = None) -> list:
    """Built-in families of a release whose components (arguments aside) are the name's."""
    from .probe_families import families

    bare = _strip_arguments(name)
    return [f for f in families(release) if _strip_arguments(f.pattern) == bare]


def _strip_arguments(text: str) -> str:
    out = []
    depth = 0
    quoted = False
    for ch in text:
        if quoted:
            quoted = ch != '"'
            continue
        if ch == '"':
            quoted = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _family_lines(families, data: dict) -> list[str]:
    lines = []
    for f in families:
        needs = "needs debuginfo or symbols" if f.needs_debuginfo else "no debuginfo needed"
        lines.append(f"{f.pattern}")
        lines.append(f"  built-in probe family ({f.group}; {needs})")
    data["builtin_families"] = [{"pattern": f.pattern, "group": f.group, "needs_debuginfo": f.needs_debuginfo}
                                for f in families]
    return lines


def _unknown(db, name: str, view) -> Description:
    from .manual_2009 import FATE

    fate = FATE.get(name)
    if fate is not None:
        what = {"renamed": "was renamed", "misdocumented": "is the 2009 manual's name for",
                "deprecated": "is deprecated", "removed": "was removed"}[fate.kind]
        target = f" {fate.new_name}" if fate.new_name else ""
        since = f" in SystemTap {fate.since}" if fate.since and fate.kind == "renamed" else \
            f" since SystemTap {fate.since}" if fate.since else ""
        text = f"{name} {what}{target}{since}: {fate.note}\n"
        known = fate.kind == "deprecated"
        return Description(known, text, {"name": name, "fate": {"kind": fate.kind, "new_name": fate.new_name,
                                                                 "since": fate.since, "note": fate.note}})
    candidates = set(db.names("alias")) | set(db.names("function"))
    suggestions = similar_names(name, sorted(candidates))
    text = f"no probe point or function named '{name}' in the database\n"
    if suggestions:
        text += f"did you mean: {', '.join(suggestions)}?\n"
    return Description(False, text, {"name": name, "error": "unknown name", "did_you_mean": suggestions})
