"""textDocument/codeAction: the fixes the diagnostics carry, their "did you mean"s, suppressions, fix-all.

For each diagnostic in the requested range:

* its fix (a lint rule's), preferred when it is safe;
* each name a "did you mean" of its message offers (an unknown probe point's
  component, an unresolved function, a never-assigned local): replace the
  name with it;
* for what can be suppressed (everything but the errors that make stap
  reject the script), a `# stapkit: disable=CODE` comment on the line before.

And for the file: "Fix all" (`source.fixAll.stapkit`), every safe fix
applied until none applies, as `stapkit lint --fix` does.
"""

from __future__ import annotations

import re

from lsprotocol import types

from ..diagnostics import Applicability, Diagnostic, Span
from .analysis import Analysis
from .convert import FIX_ALL_KIND, replace_all, text_edit
_DID_YOU_MEAN = re.compile(r"\(did you mean (.+?)\?\)")
_QUOTED = re.compile(r"'([^']*)'")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DIRECTIVE = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>#|//)\s*stapkit:\s*disable\s*=\s*(?P<codes>[A-Za-z0-9_, ]+?)\s*$")


def code_actions(analysis: Analysis, within: Span, only: list[str] | None) -> list[types.CodeAction]:
    # Kinds are hierarchical: asking for "source" includes "source.fixAll.stapkit".
    wants_quickfix = only is None or any(
        types.CodeActionKind.QuickFix.value.startswith(k) for k in only)
    wants_fix_all = only is not None and any(FIX_ALL_KIND.startswith(k) for k in only)
    actions: list[types.CodeAction] = []
    if wants_quickfix:
        for d, lsp in zip(analysis.diagnostics, analysis.lsp_diagnostics):
            if d.span.start <= within.end and d.span.end >= within.start:
                actions += _for_diagnostic(analysis, d, lsp)
    if wants_fix_all or (only is None and any(d.fix is not None and d.fix.applicability is Applicability.SAFE
                                              for d in analysis.diagnostics)):
        fix_all = _fix_all(analysis)
        if fix_all is not None:
            actions.append(fix_all)
    return actions


def _edit(analysis: Analysis, edits: list[types.TextEdit]) -> types.WorkspaceEdit:
    return types.WorkspaceEdit(changes={analysis.uri: edits})


def _for_diagnostic(analysis: Analysis, d: Diagnostic, lsp: types.Diagnostic) -> list[types.CodeAction]:
    actions = []
    positions = analysis.positions
    if d.fix is not None and d.fix.edits:
        actions.append(types.CodeAction(
            title=d.fix.title, kind=types.CodeActionKind.QuickFix, diagnostics=[lsp],
            is_preferred=d.fix.applicability is Applicability.SAFE,
            edit=_edit(analysis, [text_edit(e, positions) for e in d.fix.edits])))
    suggestions = did_you_mean(analysis.text, d)
    for old, new, span in suggestions:
        actions.append(types.CodeAction(
            title=f"Replace '{old}' with '{new}'", kind=types.CodeActionKind.QuickFix, diagnostics=[lsp],
            is_preferred=len(suggestions) == 1,
            edit=_edit(analysis, [types.TextEdit(range=positions.range(span), new_text=new)])))
    suppression = _suppression(analysis, d)
    if suppression is not None:
        actions.append(types.CodeAction(
            title=f"Disable {d.code} for this line", kind=types.CodeActionKind.QuickFix, diagnostics=[lsp],
            edit=_edit(analysis, [suppression])))
    return actions


def did_you_mean(text: str, d: Diagnostic) -> list[tuple[str, str, Span]]:
    """(the name written, a suggested name, the span to replace) for each suggestion of the message."""
    match = _DID_YOU_MEAN.search(d.message)
    if match is None:
        return []
    written = text[d.span.start:d.span.end]
    name = _NAME.match(written)
    if name is None:
        return []
    span = Span(d.span.start, d.span.start + name.end())
    out = []
    for suggestion in _QUOTED.findall(match.group(1)):
        # A probe point's suggestion is the point up to the unknown component: keep its last
        # component's name (its argument stays as written).
        suggestion = re.sub(r"\([^)]*\)", "", suggestion)  # `kernel.function(...)`: its name only
        last = suggestion.rsplit(".", 1)[-1] if d.code.startswith("STP2") else suggestion
        if _NAME.fullmatch(last) and last != name.group():
            out.append((name.group(), last, span))
    return out


def _suppression(analysis: Analysis, d: Diagnostic) -> types.TextEdit | None:
    from ..lint.registry import all_rules

    entry = all_rules().get(d.code)
    if entry is None or (entry.stage != "linter" and entry.severity.value == "error"):
        return None  # stap rejects the script: not suppressible
    positions = analysis.positions
    line = positions.line_of(d.span.start)
    line_span = positions.line_span(line)
    line_text = analysis.text[line_span.start:line_span.end]
    indent = line_text[:len(line_text) - len(line_text.lstrip(" \t"))]
    if line > 0:
        previous = positions.line_span(line - 1)
        match = _DIRECTIVE.match(analysis.text[previous.start:previous.end])
        if match is not None:
            codes = [c.strip() for c in match.group("codes").split(",") if c.strip()]
            if d.code not in codes:
                start = previous.start + match.start("codes")
                end = previous.start + match.end("codes")
                return types.TextEdit(range=positions.range(Span(start, end)),
                                      new_text=", ".join(codes + [d.code]) if ", " in match.group("codes")
                                      else ",".join(codes + [d.code]))
            return None
    newline = "\r\n" if analysis.text[line_span.end:line_span.end + 2] == "\r\n" else "\n"
    return types.TextEdit(range=positions.range(Span(line_span.start, line_span.start)),
                          new_text=f"{indent}# stapkit: disable={d.code}{newline}")


def _fix_all(analysis: Analysis) -> types.CodeAction | None:
    from ..lint.fixes import apply_until_stable
    from ..lint.runner import lint_text

    def lint(text: str):
        return lint_text(text, analysis.path, analysis.options.lint).diagnostics

    outcome = apply_until_stable(analysis.text, analysis.diagnostics, lint)
    if outcome.applied == 0 or outcome.text == analysis.text:
        return None
    return types.CodeAction(title=f"Fix all safe fixes ({outcome.applied})", kind=FIX_ALL_KIND,
                            edit=_edit(analysis, replace_all(analysis.text, outcome.text, analysis.positions)))
