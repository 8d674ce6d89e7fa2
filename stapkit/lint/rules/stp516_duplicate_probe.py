r"""## What it finds

* The same probe point twice in one probe's list (`probe begin, begin`,
  also through braces: `probe syscall.{read,read}`);
* two probe declarations with the same points and the same handler, as a
  copy left behind by editing.

Two probes on the same point with different handlers are not reported:
that is an ordinary way to split work. Nor is `never`, which does not run
and stands in for a point that a condition left out.

## Why it matters

stap makes one probe for each point of a list, and one for each
declaration: a point listed twice runs the handler twice for every event,
so counts come out doubled and every line is printed twice. stap accepts it
without a word.

## Example

```systemtap
global opens

probe syscall.openat, syscall.open, syscall.openat {
  opens++
}

probe timer.s(5) {
  printf("%d opens\n", opens)
  exit()
}
```

## Fix

Delete the repeated point (the fix does that for a point written twice in a
list) or the repeated declaration:

```systemtap
global opens

probe syscall.openat, syscall.open {
  opens++
}

probe timer.s(5) {
  printf("%d opens\n", opens)
  exit()
}
```

## Notes

The fix changes how often the handler runs, so it is offered as unsafe.
"""

from __future__ import annotations

from ...diagnostics import Applicability, Edit, Fix, Related, Severity, Span
from ...syntax import ast
from ..rule import LintContext, Rule

RULE = Rule("STP516", "duplicate-probe", Severity.WARNING,
            "a probe point listed twice, or a probe declared twice with the same handler",
            fix=Applicability.UNSAFE)


def check(ctx: LintContext) -> None:
    probes = []
    for item in ctx.script.items:
        if isinstance(item, ast.ProbeDecl):
            info = ctx.unit.probes.get(id(item))
            if info is not None and info.resolved:  # points that resolve: no parse-only test text
                probes.append(item)
    for probe in probes:
        _check_list(ctx, probe)
    _check_declarations(ctx, probes)


def _check_list(ctx: LintContext, probe: ast.ProbeDecl) -> None:
    # The hash of an expanded point -> (that point, the written point it came from), keyed by
    # tree_hash: a point's own hash is shallow, and a list of a few thousand points made every
    # one of them collide with every other.
    seen: dict[int, list[tuple[ast.ProbePoint, ast.ProbePoint]]] = {}
    for index, point in enumerate(probe.points):
        reported = False
        for expanded in point.expand():
            if expanded.dotted() == "never":
                continue  # never runs: a placeholder (`%( $# >= 2 %? $2 %: never %)`)
            same_hash = seen.setdefault(ast.tree_hash(expanded), [])
            first = next((written for other, written in same_hash if other == expanded), None)
            if first is None:
                same_hash.append((expanded, point))
                continue
            if reported:
                continue
            reported = True
            fix = None
            if first is not point and index > 0 and expanded == point:
                fix = _delete_point(ctx, probe, index)
            ctx.report(RULE, point.span,
                       f"'{expanded.dotted()}' is already in this probe's list: the handler runs twice "
                       f"for each event",
                       fix=fix,
                       related=(Related("listed first here", None, first.span),) if first is not point else ())


def _delete_point(ctx: LintContext, probe: ast.ProbeDecl, index: int) -> Fix | None:
    """Delete `, point` (from the end of the point before to the end of this one)."""
    before, point = probe.points[index - 1], probe.points[index]
    between = ctx.text[before.span.end:point.span.start]
    if between.strip() != "," or not ctx.text[point.span.start:point.span.end].strip():
        return None  # a comment or a macro in the way: leave it to a person
    return Fix("Delete the repeated probe point", (Edit(Span(before.span.end, point.span.end), ""),),
               Applicability.UNSAFE)


def _check_declarations(ctx: LintContext, probes: list[ast.ProbeDecl]) -> None:
    # Keyed by a hash of the whole declaration: a node's own hash is shallow, and keying
    # by the trees made every probe collide with every other (n² comparisons).
    firsts_of: dict[int, list[ast.ProbeDecl]] = {}
    for probe in probes:
        firsts = firsts_of.setdefault(ast.tree_hash((probe.points, probe.body)), [])
        first = next((f for f in firsts if f.points == probe.points and f.body == probe.body), None)
        if first is None:
            firsts.append(probe)
            continue
        line = ctx.lines.line_col(first.span.start)[0]
        ctx.report(RULE, Span(probe.span.start, probe.points[-1].span.end),
                   f"this probe repeats the one on line {line} (same points, same handler): "
                   f"both run for each event",
                   related=(Related("the first one", None, first.span),))
