"""Printing an AST back to SystemTap source.

The contract: `parse(print_script(tree))` gives a tree equal to `tree` (spans
aside).  The output is plain and regular (four-space indentation, one
statement per line, every simple statement ended by `;`); the formatter
builds its layout on top of this printer, with comments and line breaks.

Parentheses: the tree keeps the ones the source had (Paren nodes), so a
parsed tree never needs more.  For trees built by other means, the printer
adds them where stap's precedence would otherwise read the text differently.
"""

from __future__ import annotations

from . import ast
from .literals import quote_string

INDENT = "    "

# stap's precedence levels, lowest first (parse.cxx); see build.py.
_BINARY_LEVEL = {
    "||": 3, "&&": 4, "|": 5, "^": 6, "&": 7,
    "<": 9, ">": 9, "<=": 9, ">=": 9, "==": 9, "!=": 9,
    "<<": 10, ">>": 10, ">>>": 10, ".": 11, "+": 12, "-": 12, "*": 13, "/": 13, "%": 13,
}
_LEVEL_ASSIGN, _LEVEL_TERNARY, _LEVEL_IN, _LEVEL_MATCH = 1, 2, 8, 9
_LEVEL_UNARY, _LEVEL_POSTFIX, _LEVEL_PRIMARY = 14, 15, 17


def print_script(script: ast.Script) -> str:
    ast.ensure_recursion_room()
    out: list[str] = []
    for item in script.items:
        out.append(print_declaration(item))
    return "\n".join(out) + ("\n" if out else "")


def print_declaration(decl) -> str:
    ast.ensure_recursion_room()
    if isinstance(decl, ast.GlobalDecl):
        keyword = "private global" if decl.private else "global"
        return f"{keyword} " + ", ".join(_global_var(v) for v in decl.variables) + "\n"
    if isinstance(decl, ast.FunctionDecl):
        head = "private function" if decl.private else "function"
        name = decl.name + (f":{decl.return_type}" if decl.return_type else "")
        params = ", ".join(p.name + (f":{p.type}" if p.type else "") for p in decl.params)
        priority = f" : {expression(decl.priority)}" if decl.priority is not None else ""
        return f"{head} {name}({params}){priority} {_body(decl.body)}\n"
    if isinstance(decl, ast.ProbeDecl):
        return f"probe {_points(decl.points)} {_block(decl.body, 0)}\n"
    if isinstance(decl, ast.AliasDecl):
        names = "".join(f"{probe_point(n.point)} {n.op} " for n in decl.names)
        text = f"probe {names}{_points(decl.points)} {_block(decl.body, 0)}"
        if decl.epilogue is not None:
            text += f", {_block(decl.epilogue, 0)}"
        return text + "\n"
    if isinstance(decl, ast.EmbeddedCode):
        return "%{" + decl.code + "%}\n"
    raise TypeError(f"not a declaration: {type(decl).__name__}")


def _global_var(var: ast.GlobalVar) -> str:
    text = var.name
    if var.wrap:
        text += "%"
    if var.size is not None:
        text += f"[{expression(var.size)}]"
    if var.init is not None:
        text += f" = {expression(var.init)}"
    return text


def _body(body) -> str:
    if isinstance(body, ast.EmbeddedCode):
        return "%{" + body.code + "%}"
    return _block(body, 0)


def _points(points) -> str:
    return ", ".join([probe_point(p) for p in points])


def probe_point(point: ast.ProbePoint) -> str:
    # Loops, not generator expressions: brace groups nest, and each frame counts.
    parts = []
    for comp in point.components:
        parts.append(component_text(comp))
    text = ".".join(parts)
    if point.sufficient:
        text += "!"
    elif point.optional:
        text += "?"
    if point.condition is not None:
        text += f" if ({expression(point.condition)})"
    return text


def component_text(comp) -> str:
    """One component of a probe point as stap writes it: `function("f")`, `{a,b}`, `*`."""
    if isinstance(comp, ast.BraceGroup):
        parts = []
        for point in comp.points:
            parts.append(probe_point(point))
        return "{" + ", ".join(parts) + "}"
    if comp.arg is None:
        return comp.name
    return f"{comp.name}({expression(comp.arg)})"


# ---------------------------------------------------------------- statements


def _block(block: ast.Block, depth: int) -> str:
    if not block.statements:
        return "{\n" + INDENT * depth + "}"
    lines = ["{"]
    for stmt in block.statements:
        lines.append(INDENT * (depth + 1) + statement(stmt, depth + 1))
    lines.append(INDENT * depth + "}")
    return "\n".join(lines)


def statement(stmt, depth: int = 0) -> str:
    """One statement, its first line unindented, nested lines at `depth`."""
    if isinstance(stmt, ast.Block):
        return _block(stmt, depth)
    if isinstance(stmt, ast.EmptyStmt):
        return ";"
    if isinstance(stmt, ast.ExprStmt):
        return expression(stmt.expr) + ";"
    if isinstance(stmt, ast.IfStmt):
        text = f"if ({expression(stmt.condition)}) {_nested(stmt.then, depth)}"
        if stmt.otherwise is not None:
            text += f"\n{INDENT * depth}else {_nested(stmt.otherwise, depth)}"
        return text
    if isinstance(stmt, ast.WhileStmt):
        return f"while ({expression(stmt.condition)}) {_nested(stmt.body, depth)}"
    if isinstance(stmt, ast.ForStmt):
        parts = [expression(e) if e is not None else "" for e in (stmt.init, stmt.condition, stmt.step)]
        return f"for ({parts[0]}; {parts[1]}; {parts[2]}) {_nested(stmt.body, depth)}"
    if isinstance(stmt, ast.ForeachStmt):
        return f"foreach ({_foreach_head(stmt)}) {_nested(stmt.body, depth)}"
    if isinstance(stmt, ast.TryStmt):
        catch = f" ({stmt.catch_var.name})" if stmt.catch_var is not None else ""
        return f"try {_block(stmt.body, depth)} catch{catch} {_block(stmt.catch_body, depth)}"
    if isinstance(stmt, ast.ReturnStmt):
        return "return;" if stmt.value is None else f"return {expression(stmt.value)};"
    if isinstance(stmt, ast.DeleteStmt):
        return f"delete {expression(stmt.target)};"
    if isinstance(stmt, ast.BreakStmt):
        return "break;"
    if isinstance(stmt, ast.ContinueStmt):
        return "continue;"
    if isinstance(stmt, ast.NextStmt):
        return "next;"
    raise TypeError(f"not a statement: {type(stmt).__name__}")


def _nested(stmt, depth: int) -> str:
    """The body of if/while/for/foreach: a block on the same line, else the next line."""
    if isinstance(stmt, ast.Block):
        return _block(stmt, depth)
    return "\n" + INDENT * (depth + 1) + statement(stmt, depth + 1)


def _foreach_head(stmt: ast.ForeachStmt) -> str:
    def key(k: ast.ForeachKey) -> str:
        return k.variable.name + (k.sort or "")

    keys = ", ".join(key(k) for k in stmt.keys)
    if stmt.bracketed:
        keys = f"[{keys}]"
    text = f"{key(stmt.value)} = {keys}" if stmt.value is not None else keys
    text += f" in {_operand(stmt.array, _LEVEL_PRIMARY)}"
    if stmt.slices is not None:
        text += "[" + ", ".join(expression(s) for s in stmt.slices) + "]"
    if stmt.aggregate:
        text += f" {stmt.aggregate}{stmt.sort}"
    elif stmt.sort:
        text += stmt.sort
    if stmt.limit is not None:
        text += f" limit {expression(stmt.limit)}"
    return text


# ---------------------------------------------------------------- expressions


def expression(expr) -> str:
    ast.ensure_recursion_room()
    return _expr(expr)


def _level(expr) -> int:
    """The precedence level an expression needs around it."""
    if isinstance(expr, ast.Assignment):
        return _LEVEL_ASSIGN
    if isinstance(expr, ast.Ternary):
        return _LEVEL_TERNARY
    if isinstance(expr, ast.Binary):
        return _BINARY_LEVEL[expr.op]
    if isinstance(expr, ast.InExpr):
        return _LEVEL_IN
    if isinstance(expr, ast.RegexMatch):
        return _LEVEL_MATCH
    if isinstance(expr, (ast.Unary, ast.Crement)):
        # `++x` and `x++` take an operand (`&a`, `$p->m`), not another increment.
        return _LEVEL_UNARY
    if isinstance(expr, (ast.Access, ast.AddressOf)) or (
            isinstance(expr, ast.NumberLit) and expr.text.startswith("-")):
        return _LEVEL_POSTFIX
    return _LEVEL_PRIMARY


def _operand(expr, minimum: int) -> str:
    """`expr` as an operand that must bind at least as tightly as `minimum`."""
    text = _expr(expr)
    if _level(expr) < minimum:
        return f"({text})"
    return text


def _expr(e) -> str:
    if isinstance(e, ast.NumberLit):
        return e.text
    if isinstance(e, ast.StringLit):
        if e.pieces:
            return " ".join(e.pieces)
        return quote_string(e.value)
    if isinstance(e, ast.ScriptArgument):
        if e.args is None:
            return e.text
        return e.text + "(" + ", ".join(_expr(a) for a in e.args) + ")"
    if isinstance(e, ast.Variable):
        return e.name
    if isinstance(e, ast.Wildcard):
        return "*"
    if isinstance(e, ast.ArrayIndex):
        base = _expr(e.array)
        return base + "[" + ", ".join(_expr(i) for i in e.indexes) + "]"
    if isinstance(e, (ast.Call, ast.PrintCall)):
        return e.name + "(" + ", ".join(_expr(a) for a in e.args) + ")"
    if isinstance(e, ast.Paren):
        return "(" + _expr(e.expr) + ")"
    if isinstance(e, ast.Tuple):
        return "[" + ", ".join(_expr(i) for i in e.items) + "]"
    if isinstance(e, ast.Unary):
        return _prefixed(e.op, _operand(e.operand, _LEVEL_UNARY))
    if isinstance(e, ast.Crement):
        if e.prefix:
            return _prefixed(e.op, _operand(e.operand, _LEVEL_POSTFIX))
        return _operand(e.operand, _LEVEL_POSTFIX) + e.op
    if isinstance(e, ast.Binary):
        level = _BINARY_LEVEL[e.op]
        left = _operand(e.left, level)
        right = _operand(e.right, level + 1)
        if level == 9 and isinstance(e.left, (ast.InExpr, ast.RegexMatch)):
            left = f"({_expr(e.left)})"
        return f"{left} {e.op} {right}"
    if isinstance(e, ast.InExpr):
        array = _operand(e.array, _LEVEL_PRIMARY)
        if e.bracketed or len(e.keys) != 1:
            keys = "[" + ", ".join(_expr(k) for k in e.keys) + "]"
        else:
            keys = _operand(e.keys[0], _LEVEL_MATCH)
        return f"{keys} in {array}"
    if isinstance(e, ast.RegexMatch):
        return f"{_operand(e.left, _LEVEL_MATCH + 1)} {e.op} {_expr(e.pattern)}"
    if isinstance(e, ast.Ternary):
        return (f"{_operand(e.condition, _LEVEL_TERNARY + 1)} ? {_expr(e.then)} : "
                f"{_operand(e.otherwise, _LEVEL_TERNARY)}")
    if isinstance(e, ast.Assignment):
        return f"{_operand(e.target, _LEVEL_TERNARY)} {e.op} {_expr(e.value)}"
    if isinstance(e, ast.TargetVariable):
        return e.name
    if isinstance(e, ast.Cast):
        module = f", {_expr(e.module)}" if e.module is not None else ""
        return f"@cast({_expr(e.operand)}, {_expr(e.type_name)}{module})"
    if isinstance(e, ast.AtVar):
        module = f", {_expr(e.module)}" if e.module is not None else ""
        return f"@var({_expr(e.name)}{module})"
    if isinstance(e, ast.Access):
        return _access(e)
    if isinstance(e, ast.AddressOf):
        return _prefixed("&", _operand(e.operand, _LEVEL_POSTFIX))
    if isinstance(e, ast.HistOp):
        params = "".join(", " + _expr(p) for p in e.params)
        return f"{e.kind}({_expr(e.operand)}{params})"
    if isinstance(e, ast.StatOp):
        params = "".join(", " + _expr(p) for p in e.params)
        return f"{e.op}({_expr(e.operand)}{params})"
    if isinstance(e, ast.Defined):
        return f"@defined({_expr(e.operand)})"
    if isinstance(e, ast.ProbeWrite):
        return f"@probewrite({e.name.name})"
    if isinstance(e, ast.Entry):
        return f"@entry({_expr(e.operand)})"
    if isinstance(e, ast.Perf):
        return f"@perf({_expr(e.name)})"
    if isinstance(e, ast.Const):
        return f"@const({_expr(e.text)})"
    if isinstance(e, ast.Enum):
        return f"@enum({_expr(e.name)})"
    if isinstance(e, ast.EnumName):
        extra = "".join(", " + _expr(x) for x in (e.type_name, e.module) if x is not None)
        return f"@enumname({_expr(e.operand)}{extra})"
    if isinstance(e, ast.Register):
        return f"{e.op}({_expr(e.number)})"
    if isinstance(e, ast.Deref):
        return f"{e.op}({_expr(e.size)}, {_expr(e.address)})"
    if isinstance(e, ast.EmbeddedExpr):
        return "%{" + e.code + "%}"
    if isinstance(e, (ast.UnknownOperator, ast.MacroCall)):
        if e.args is None:
            return e.name
        return e.name + "(" + ", ".join(_expr(a) for a in e.args) + ")"
    raise TypeError(f"not an expression: {type(e).__name__}")


# Two-character operators that a prefix operator could run into: `- -x` must
# not become `--x`, nor `! ~x` the regex operator `!~`.
_GLUED_OPERATORS = frozenset({"++", "--", "+=", "-=", "->", "!=", "!~", "&&", "&=", "~="})


def _prefixed(op: str, operand: str) -> str:
    if (op[-1] + operand[:1]) in _GLUED_OPERATORS:
        return f"{op} {operand}"
    return op + operand


def _access(e: ast.Access) -> str:
    base = e.base
    text = _expr(base)
    if isinstance(base, ast.Variable) and e.steps and isinstance(e.steps[0], ast.Subscript):
        text = f"({text})"  # `a[1]` would be an array element, not an autocast
    elif _level(base) < _LEVEL_PRIMARY and not isinstance(base, ast.Access):
        text = f"({text})"
    elif isinstance(base, ast.Access) and base.pretty:
        text = f"({text})"
    for step in e.steps:
        if isinstance(step, ast.Member):
            text += "->" + step.name
        else:
            text += "[" + _expr(step.index) + "]"
    if e.pretty:
        # Glued to a name the mark would become part of it (`x$` is one
        # identifier), so it is written apart: `$var $` means `$var$`.
        last = text[-1:]
        text += (" " + e.pretty) if (last.isalnum() or last in "_$") else e.pretty
    return text
