r"""## What it finds

A global variable that the script declares and never uses: no probe,
function, probe condition or embedded C reads or writes it.

## Why it matters

It is dead weight at best: stap reserves room for it in the module and
locks it in every probe that could touch it, which is none. More often it is
the trace of a change left half done (the code that used it was removed, or
it uses a misspelt name instead, which then is a different variable).

## Example

```systemtap
global reads, writes

probe vfs.read {
  reads++
}

probe end {
  printf("%d reads\n", reads)
}
```

## Fix

Delete the declaration, or use the variable:

```systemtap
global reads

probe vfs.read {
  reads++
}

probe end {
  printf("%d reads\n", reads)
}
```

## Notes

A name counts as used wherever it appears in code that the target does not
compile (the other branch of a `%( %)` conditional, the body of a `@define`
macro that is never invoked, embedded C), so a global that one kernel
version needs is not reported on another.

In a tapset file, or a file without probes (a tapset of your own, read
with `-I`), only `private` globals are checked: a tapset's public globals
are there for the scripts and tapsets that use them.

The fix deletes the declaration when the global is the only variable it
declares (with its line, when nothing else is on it); a declaration of
several variables is left to you.
"""

from __future__ import annotations

from ...diagnostics import Applicability, Edit, Fix, Severity, Span
from ...syntax import ast
from ..rule import LintContext, Rule

RULE = Rule("STP501", "unused-global", Severity.WARNING, "a global variable that nothing reads or writes",
            fix=Applicability.SAFE)


def check(ctx: LintContext) -> None:
    bindings = ctx.bindings
    library = ctx.library_file
    for item in ctx.script.items:
        if not isinstance(item, ast.GlobalDecl):
            continue
        if library and not item.private:
            continue
        for var in item.variables:
            symbol = bindings.globals.get(var.name)
            if symbol is None or symbol.decl is not var or symbol.used:
                continue
            fix = None
            if len(item.variables) == 1:
                span = _declaration_lines(ctx, item)
                if span is not None:
                    fix = Fix(f"Delete the declaration of '{var.name}'", (Edit(span, ""),))
            ctx.report(RULE, var.name_span, f"global '{var.name}' is never used", fix=fix)


def _declaration_lines(ctx: LintContext, decl: ast.GlobalDecl) -> Span | None:
    """What to delete for a declaration: itself and a `;` after it, and its whole line
    (with a comment that ends the line) when nothing else is on it.  None when the
    declaration is not written out in the text (it came from a macro)."""
    text = ctx.text
    start, end = decl.span
    if not text.startswith(("global", "private"), start) or not 0 < end <= len(text):
        return None
    after = end
    while after < len(text) and text[after] in " \t":
        after += 1
    if after < len(text) and text[after] == ";":
        end = after = after + 1
        while after < len(text) and text[after] in " \t":
            after += 1
    for comment in ctx.unit.result.comments:
        if comment.start == after and "\n" not in comment.text.rstrip("\n"):
            after = comment.end
            break
    line_start = text.rfind("\n", 0, start) + 1
    if text[line_start:start].strip() or (after < len(text) and text[after] not in "\r\n"):
        return Span(start, end)  # other code shares the line: only the declaration goes
    line_end = text.find("\n", after)
    return Span(line_start, len(text) if line_end < 0 else line_end + 1)
