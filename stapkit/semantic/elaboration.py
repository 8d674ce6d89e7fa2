"""Which code of a script stap elaborates, and which it never reaches.

stap builds its probes from the points that resolve (probe_points.py), pulls
in the functions they call, and checks only that: a function nothing calls,
an alias no probe uses, a probe whose optional points resolve to nothing, and
the points after a `!` point that resolves are never elaborated, and stap
accepts a script with errors there.  stapkit still checks that code (a latent
bug is worth knowing), but its errors become warnings whose hint says why
stap does not report them (`as_warnings`, called by the checker).

Other checks may mark more code that stap drops (`Elaboration.add`), e.g. an
operand its optimizer removes.  In a tapset file nothing is marked: there
every error is already a warning, for the scripts that use it.
"""

from __future__ import annotations

import attrs

from ..diagnostics import Diagnostic, Severity, Span
from ..syntax import ast
from . import codes


@attrs.define(eq=False)
class Elaboration:
    # id(declaration) -> why stap never elaborates it (functions, aliases, probes).
    skipped_decls: dict[int, str] = attrs.field(factory=dict)
    # Regions of the file stap never elaborates, with why (the declarations' spans too).
    regions: list[tuple[Span, str]] = attrs.field(factory=list)

    def is_elaborated(self, decl: ast.Node) -> bool:
        return id(decl) not in self.skipped_decls

    def add(self, span: Span, reason: str) -> None:
        """Mark code stap never elaborates (reason: 'stap never ...: why')."""
        self.regions.append((span, reason))

    def skip(self, decl: ast.Node, reason: str) -> None:
        self.skipped_decls[id(decl)] = reason
        span = decl.span
        if isinstance(decl, ast.AliasDecl) and decl.points:
            # stap registers every alias name (and reports a bad one), elaborates the rest on use
            span = Span(decl.points[0].span.start, span.end)
        self.add(span, reason)

    def reason(self, span: Span) -> str | None:
        """Why stap never elaborates the code at `span`, or None if it does."""
        for region, why in self.regions:
            # (an empty span at a region's start is the file's, as "no probes found" at 0)
            if region.start <= span.start and span.end <= region.end and \
                    (span.start > region.start or span.end > span.start):
                return why
        return None


def compute(unit) -> Elaboration:
    """What of the unit's script stap elaborates (needs the model's "probes" part)."""
    model = unit.model
    model.require("probes")
    found = Elaboration()
    if unit.tapset:
        return found
    script = unit.script
    used_aliases: set[int] = set()
    for expansion in model.expansions:
        if expansion.elaborated:
            used_aliases.update(id(a) for a in expansion.aliases)
    # A point that fails may fail inside any alias (a loop, a bad suffix): which ones it
    # tried is not kept, so then every alias counts as used (their errors stay errors).
    failed = any(isinstance(item, ast.ProbeDecl) and (info := model.probes.get(id(item))) is not None
                 and not info.resolved and not info.dropped for item in script.items)
    if failed:
        used_aliases.update(id(item) for item in script.items if isinstance(item, ast.AliasDecl))
    roots: list[ast.Node] = []
    for item in script.items:
        if isinstance(item, ast.ProbeDecl):
            info = model.probes.get(id(item))
            if info is not None and info.dropped:
                found.skip(item, "stap never elaborates this probe: none of its optional probe points "
                                 "resolves here, so stap drops it")
            else:
                roots.append(item.body)
        elif isinstance(item, ast.AliasDecl):
            if id(item) in used_aliases:
                roots += [item.body] + ([item.epilogue] if item.epilogue is not None else [])
            else:
                found.skip(item, "stap never elaborates this alias: no probe of the script uses it")
    for point in model.skipped_points:
        found.add(point.span, "stap never resolves this probe point: a '!' point before it resolves, "
                              "and stap then tries none of the later ones")
    _unreached_functions(unit, roots, found)
    return found


def _unreached_functions(unit, roots: list[ast.Node], found: Elaboration) -> None:
    """The script's functions no elaborated code calls, directly or through other functions."""
    functions: dict[str, list[ast.FunctionDecl]] = {}
    for item in unit.script.items:
        if isinstance(item, ast.FunctionDecl):
            functions.setdefault(item.name, []).append(item)
    if not functions:
        return
    # A function named like a library one may be the library's callback (tcpmib_filter_key):
    # the library's code calls it.
    reached = {name for name in functions if any(True for _ in unit.db.functions(name))}
    todo = list(roots) + [d.body for name in reached for d in functions[name]]
    while todo:  # each function's body is queued once: bounded by the script's size
        body = todo.pop()
        for node in ast.walk(body):
            if type(node) is ast.Call and node.name in functions and node.name not in reached:
                reached.add(node.name)
                todo += [d.body for d in functions[node.name]]
    for name, decls in functions.items():
        if name not in reached:
            for decl in decls:
                found.skip(decl, "stap never elaborates this function: no probe calls it")


def as_warnings(diagnostics: list[Diagnostic], elaboration: Elaboration | None) -> list[Diagnostic]:
    """The errors in code stap never elaborates, as warnings that say why."""
    if elaboration is None or not elaboration.regions:
        return diagnostics
    out = []
    for d in diagnostics:
        if d.severity is Severity.ERROR and d.code != codes.NO_PROBES:  # (that one is the whole script's)
            why = elaboration.reason(d.span)
            if why is not None:
                d = attrs.evolve(d, severity=Severity.WARNING,
                                 hints=d.hints + (f"{why}; so stap does not report this",))
        out.append(d)
    return out
