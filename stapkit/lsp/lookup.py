"""What is at an offset of a checked document: the name under the cursor and what it means.

Hover, definition, references, highlights and rename all start here.  The
word comes from the tokens (so a name inside a macro invocation is found
even though the tree gives every node of the expansion the invocation's
span); what it means comes from the tree around it and the symbols of
semantic/bindings.py.
"""

from __future__ import annotations

import attrs

from ..diagnostics import Span
from ..syntax import ast
from ..syntax.tokens import AT_WORDS, KEYWORD_KINDS
from .analysis import Analysis

FUNCTION = "function"  # the script's or the library's function (a call or a definition)
PRINT = "print"  # print, printf, ...: built into the language
VARIABLE = "variable"  # a global, tapset global, parameter, local or alias variable
PROBE_POINT = "probe-point"  # a point of a probe's (or an alias's) header
ALIAS_NAME = "alias-name"  # the name an alias of this file defines
CONTEXT = "context"  # a context variable: $var, $$vars, $return
MEMBER = "member"  # `->name` of a $variable, @cast or autocast chain
MACRO = "macro"
OPERATOR = "operator"  # @cast, @count, ...
KEYWORD = "keyword"

_AT_KINDS = frozenset(AT_WORDS.values()) - {"DEFINE"}
_NAME_KINDS = KEYWORD_KINDS | {"IDENT"}
_WORD_KINDS = _NAME_KINDS | _AT_KINDS | {"AT_OTHER", "DEFINE", "TARGET"}


@attrs.frozen
class Found:
    kind: str
    name: str  # the function's, variable's, macro's name; a probe point's dotted text
    span: Span  # the word at the cursor
    item: object | None = None  # the top-level declaration around it
    node: object | None = None
    symbol: object | None = None  # semantic.bindings.Symbol or FunctionSymbol
    body: object | None = None  # semantic.bindings.Body
    points: tuple[str, ...] = ()  # PROBE_POINT: the points the component is part of (brace groups expanded)
    declaration: bool = False  # the cursor is on the name where it is declared or defined


def find(analysis: Analysis, offset: int) -> Found | None:
    candidates = analysis.tokens_at(offset)
    tok = next((t for t in candidates if t.kind in _WORD_KINDS), None)
    if tok is None:
        # A probe point's argument: `kernel.function("vfs_read")`, `timer.ms(100)`.
        tok = next((t for t in candidates if t.kind in ("STRING", "NUMBER")), None)
        item = analysis.item_at(offset) if tok is not None else None
        if isinstance(item, (ast.ProbeDecl, ast.AliasDecl)):
            found = _from_tree(analysis, item, tok, Span(tok.start, tok.end))
            if found is not None and found.kind in (PROBE_POINT, ALIAS_NAME):
                return found
        return None
    span = Span(tok.start, tok.end)
    if tok.kind == "AT_OTHER":
        return Found(MACRO, tok.text[1:], span)
    if tok.kind in _AT_KINDS:
        return Found(OPERATOR, tok.text, span)
    if tok.kind == "DEFINE":
        return Found(OPERATOR, "@define", span)
    if tok.kind == "IDENT" and _previous_kind(analysis, tok) == "DEFINE":
        return Found(MACRO, tok.text, span, declaration=True)
    if tok.kind not in _NAME_KINDS and tok.kind != "TARGET":
        return None
    item = analysis.item_at(offset)
    found = None
    if item is not None:
        found = _from_tree(analysis, item, tok, span)
    if found is None and tok.kind in KEYWORD_KINDS:
        return Found(KEYWORD, tok.text, span)
    if found is None and tok.kind == "IDENT" and item is not None:
        found = _from_tokens(analysis, item, tok, span)
    return found


def _previous_kind(analysis: Analysis, tok) -> str | None:
    index = analysis.token_index(tok)
    return analysis.tokens()[index - 1].kind if index > 0 else None


def _path(item, offset: int) -> list:
    """The nodes from the declaration down to the innermost one around the offset."""
    path = [item]
    node = item
    while True:
        for child in ast.child_list(node):
            s = child.span
            if s.start <= offset <= s.end and s != ast.NO_SPAN:
                path.append(child)
                node = child
                break
        else:
            return path


def _from_tree(analysis: Analysis, item, tok, span: Span) -> Found | None:
    word = tok.text
    offset = span.start
    path = _path(item, offset)
    node = path[-1]
    kind = type(node)
    if kind is ast.FunctionDecl and node.name_span.contains(offset):
        return _function(analysis, item, node.name, span, declaration=True)
    if kind is ast.Call and node.name_span.contains(offset) and word == node.name:
        return _function(analysis, item, node.name, span)
    if kind is ast.PrintCall and node.name_span.contains(offset):
        return Found(PRINT, node.name, span, item, node)
    if kind is ast.GlobalVar and node.name_span.contains(offset):
        symbols = analysis.symbols()
        symbol = symbols.globals.get(node.name) if symbols else None
        return Found(VARIABLE, node.name, span, item, node, symbol, declaration=True)
    if kind is ast.Param and word == node.name:
        return _variable(analysis, item, path, word, span, node, declaration=True)
    if kind is ast.TargetVariable:
        return Found(CONTEXT, node.name, Span(node.span.start, node.span.end), item, node)
    if kind is ast.Member and word == node.name:
        return Found(MEMBER, node.name, span, item, node)
    if any(type(n) is ast.Component for n in path):
        return _probe_point(analysis, item, path, tok, span)
    if kind in (ast.Variable, ast.ForeachKey, ast.ArrayIndex, ast.InExpr, ast.Call, ast.Assignment,
                ast.Crement, ast.StatOp, ast.HistOp, ast.ExprStmt, ast.DeleteStmt, ast.Binary) \
            and tok.kind == "IDENT":
        variable = _variable_node(path, word)
        if variable is not None:
            return _variable(analysis, item, path, word, span, variable)
        if kind is ast.Call and word == node.name:
            return _function(analysis, item, word, span)
    return None


def _variable_node(path, word):
    """The Variable named `word` at the end of the path (a macro's expansion may hold it deeper)."""
    node = path[-1]
    if type(node) is ast.Variable and node.name == word:
        return node
    if type(node) is ast.ForeachKey and node.variable.name == word:
        return node.variable
    for inner in ast.walk(node):
        if type(inner) is ast.Variable and inner.name == word:
            return inner
    return None


def _function(analysis: Analysis, item, name: str, span: Span, declaration: bool = False) -> Found:
    symbols = analysis.symbols()
    symbol = symbols.functions.get(name) if symbols else None
    return Found(FUNCTION, name, span, item, None, symbol, declaration=declaration)


def _variable(analysis: Analysis, item, path, name: str, span: Span, node, declaration: bool = False) -> Found:
    symbols = analysis.symbols()
    body = None
    symbol = None
    if symbols is not None:
        in_condition = any(type(n) is ast.ProbePoint for n in path)
        body = None if in_condition else symbols.body_of(item)
        symbol = symbols.variable(name, body)
    return Found(VARIABLE, name, span, item, node, symbol, body, declaration=declaration)


def _probe_point(analysis: Analysis, item, path, tok, span: Span) -> Found | None:
    points = [n for n in path if type(n) is ast.ProbePoint]
    component = next((n for n in reversed(path) if type(n) is ast.Component), None)
    if not points or component is None:
        return None
    outer = points[0]
    if outer.condition is not None and outer.condition.span.contains(span.start):
        return None
    expanded = [p for p in outer.expand() if any(c is component for c in p.components)] or [outer]
    texts = tuple(dict.fromkeys(_point_text(p) for p in expanded))
    if type(item) is ast.AliasDecl and any(n.point is outer for n in item.names):
        return Found(ALIAS_NAME, texts[0], span, item, outer, points=texts, declaration=True)
    return Found(PROBE_POINT, texts[0], span, item, outer, points=texts)


def _point_text(point: ast.ProbePoint) -> str:
    return point.dotted()


def _from_tokens(analysis: Analysis, item, tok, span: Span) -> Found | None:
    """A name in code the parser skipped (a statement with a syntax error): read it from the tokens."""
    tokens = analysis.tokens()
    index = analysis.token_index(tok)
    following = tokens[index + 1] if 0 <= index < len(tokens) - 1 else None
    previous = tokens[index - 1] if index > 0 else None
    if previous is not None and previous.kind in ("ARROW", "DOT") and type(item) is not ast.ProbeDecl:
        return None
    if following is not None and following.kind == "LPAR":
        return _function(analysis, item, tok.text, span)
    return _variable(analysis, item, [item], tok.text, span, None)
