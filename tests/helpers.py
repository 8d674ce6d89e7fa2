"""Small helpers the syntax tests share."""

from __future__ import annotations

from stapkit.diagnostics import Severity
from stapkit.syntax import ParseOptions, parse_text
from stapkit.syntax import ast

NO_LIBRARY = ParseOptions(library_macros={})


def parse(text: str, **options):
    """Parse with no tapset library (so tests do not depend on one) unless asked."""
    base = {"library_macros": {}}
    base.update(options)
    return parse_text(text, "test.stp", ParseOptions(**base))


def errors(result) -> list:
    return [d for d in result.diagnostics if d.severity is Severity.ERROR]


def codes(result, severity: Severity | None = Severity.ERROR) -> list[str]:
    return [d.code for d in result.diagnostics if severity is None or d.severity is severity]


def parse_ok(text: str, **options):
    result = parse(text, **options)
    assert not errors(result), [(d.code, d.message) for d in errors(result)]
    return result


def body(text: str, **options) -> tuple:
    """The statements of `probe begin { TEXT }`."""
    result = parse_ok("probe begin {\n" + text + "\n}", **options)
    return result.script.items[0].body.statements


def expr(text: str, **options):
    """The expression of `probe begin { x = TEXT }` (the right side)."""
    statements = body("x = " + text, **options)
    assert len(statements) == 1, statements
    return statements[0].expr.value


def parenthesize(node) -> str:
    """An expression written with every operation parenthesized, as `stap -p1` prints it."""
    if isinstance(node, ast.Binary):
        return f"({parenthesize(node.left)} {node.op} {parenthesize(node.right)})"
    if isinstance(node, ast.Unary):
        return f"{node.op}{parenthesize(node.operand)}"
    if isinstance(node, ast.Crement):
        inner = parenthesize(node.operand)
        return f"({node.op}{inner})" if node.prefix else f"({inner}{node.op})"
    if isinstance(node, ast.Ternary):
        return f"({parenthesize(node.condition)} ? {parenthesize(node.then)} : {parenthesize(node.otherwise)})"
    if isinstance(node, ast.Assignment):
        return f"({parenthesize(node.target)} {node.op} {parenthesize(node.value)})"
    if isinstance(node, ast.InExpr):
        keys = ", ".join(parenthesize(k) for k in node.keys)
        return f"([{keys}] in {parenthesize(node.array)})"
    if isinstance(node, ast.RegexMatch):
        return f"({parenthesize(node.left)} {node.op} {parenthesize(node.pattern)})"
    if isinstance(node, ast.Paren):
        return parenthesize(node.expr)
    if isinstance(node, ast.Variable):
        return node.name
    if isinstance(node, ast.NumberLit):
        return node.text
    if isinstance(node, ast.StringLit):
        return " ".join(node.pieces)
    if isinstance(node, ast.Wildcard):
        return "*"
    from stapkit.syntax.printer import expression

    return expression(node)
