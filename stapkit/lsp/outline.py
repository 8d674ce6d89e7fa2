"""textDocument/documentSymbol and textDocument/foldingRange: the shape of the file.

Symbols come from the tree (probes, aliases, functions, globals) and the
file's macros; folding ranges from the tokens and comments, so a file with
syntax errors still folds.
"""

from __future__ import annotations

from lsprotocol import types

from ..diagnostics import Span
from ..syntax import ast
from .analysis import Analysis


def document_symbols(analysis: Analysis, hierarchical: bool = True):
    symbols: list[types.DocumentSymbol] = []
    script = analysis.script
    positions = analysis.positions
    for item in script.items if script is not None else ():
        if isinstance(item, ast.GlobalDecl):
            for var in item.variables:
                detail = ("private " if item.private else "") + ("global array" if var.size is not None else "global")
                symbols.append(_symbol(positions, var.name, types.SymbolKind.Variable, var.span, var.name_span,
                                       detail))
        elif isinstance(item, ast.FunctionDecl):
            params = ", ".join(p.name + (f":{p.type}" if p.type else "") for p in item.params)
            returns = f":{item.return_type}" if item.return_type else ""
            children = [_symbol(positions, p.name, types.SymbolKind.Variable, p.span, p.span, "parameter")
                        for p in item.params]
            symbols.append(_symbol(positions, item.name, types.SymbolKind.Function, item.span, item.name_span,
                                   f"function{returns}({params})", children))
        elif isinstance(item, ast.ProbeDecl):
            if not item.points:
                continue
            name = ", ".join(_point_text(p) for p in item.points)
            symbols.append(_symbol(positions, f"probe {name}", types.SymbolKind.Event, item.span,
                                   _points_span(item.points), None))
        elif isinstance(item, ast.AliasDecl):
            if not item.names:
                continue
            name = ", ".join(_point_text(n.point) for n in item.names)
            op = item.names[0].op
            target = ", ".join(_point_text(p) for p in item.points)
            symbols.append(_symbol(positions, f"probe {name}", types.SymbolKind.Interface, item.span,
                                   _points_span([n.point for n in item.names]), f"alias {op} {target}"))
    for name, macro in analysis.parse.macros.items():
        if macro.library:
            continue
        whole = _macro_span(analysis, macro.span) or macro.span
        params = f"({', '.join(macro.params)})" if macro.params else ""
        symbols.append(_symbol(positions, f"@{name}", types.SymbolKind.Constant, whole, macro.span,
                               f"macro{params}"))
    symbols.sort(key=lambda s: (s.range.start.line, s.range.start.character))
    if hierarchical:
        return symbols
    return [types.SymbolInformation(name=s.name, kind=s.kind, location=types.Location(analysis.uri, s.range),
                                    container_name=None) for s in symbols]


def _symbol(positions, name, kind, span: Span, selection: Span, detail, children=None) -> types.DocumentSymbol:
    selection = selection if span.start <= selection.start and selection.end <= span.end else span
    return types.DocumentSymbol(name=name or "?", kind=kind, range=positions.range(span),
                                selection_range=positions.range(selection), detail=detail, children=children)


def _point_text(point: ast.ProbePoint) -> str:
    mark = "!" if point.sufficient else "?" if point.optional else ""
    return point.dotted() + mark


def _points_span(points) -> Span:
    return Span(points[0].span.start, max(p.span.end for p in points))


def _macro_span(analysis: Analysis, name_span: Span) -> Span | None:
    """From `@define` to the `%)` that closes its body."""
    tokens = analysis.tokens()
    index = next((k for k, t in enumerate(tokens) if t.start == name_span.start), None)
    if index is None or index == 0 or tokens[index - 1].kind != "DEFINE":
        return None
    depth = 0
    for t in tokens[index:]:
        if t.kind == "PP_OPEN":
            depth += 1
        elif t.kind == "PP_CLOSE":
            depth -= 1
            if depth == 0:
                return Span(tokens[index - 1].start, t.end)
    return None


def folding_ranges(analysis: Analysis) -> list[types.FoldingRange]:
    positions = analysis.positions
    line = positions.line_of
    out: list[types.FoldingRange] = []
    seen: set[tuple[int, int]] = set()

    def add(start: int, end: int, kind=None) -> None:
        first, last = line(start), line(end)
        if last > first and (first, last) not in seen:
            seen.add((first, last))
            out.append(types.FoldingRange(start_line=first, end_line=last, kind=kind))

    stack: list = []
    conditionals: list = []
    for tok in analysis.tokens():
        kind = tok.kind
        if kind in ("LBRACE", "LPAR", "LSQB"):
            stack.append(tok)
        elif kind in ("RBRACE", "RPAR", "RSQB") and stack:
            opened = stack.pop()
            # The closing line stays visible: fold up to the line before it when it starts that line.
            end = tok.start
            if analysis.text[positions.line_starts[line(end)]:end].strip() == "":
                end = positions.line_starts[line(end)] - 1
            add(opened.start, max(end, opened.start))
        elif kind == "EMBEDDED":
            add(tok.start, tok.end, types.FoldingRangeKind.Region)
        elif kind == "PP_OPEN":
            conditionals.append(tok)
        elif kind == "PP_CLOSE" and conditionals:
            add(conditionals.pop().start, tok.start, types.FoldingRangeKind.Region)
    run_start = run_end = None
    for comment in analysis.parse.comments:
        if comment.text.startswith("/*"):
            add(comment.start, comment.end, types.FoldingRangeKind.Comment)
            continue
        if run_end is not None and line(comment.start) == line(run_end) + 1 and \
                analysis.text[positions.line_starts[line(comment.start)]:comment.start].strip() == "":
            run_end = comment.end
            continue
        if run_start is not None:
            add(run_start, run_end, types.FoldingRangeKind.Comment)
        standalone = analysis.text[positions.line_starts[line(comment.start)]:comment.start].strip() == ""
        run_start, run_end = (comment.start, comment.end) if standalone else (None, None)
    if run_start is not None:
        add(run_start, run_end, types.FoldingRangeKind.Comment)
    out.sort(key=lambda r: (r.start_line, r.end_line))
    return out
