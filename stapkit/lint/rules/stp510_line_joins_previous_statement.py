r"""## What it finds

A line that looks like a new statement but that stap reads as the end of the
statement above, because the line above has no `;` and this line starts with
something that can continue an expression:

| the line starts with | `x = a` on the line above becomes |
|---|---|
| `++b` or `--b` | `x = a++` (or `a--`), then a statement `b` on its own |
| `-b` or `+b` | `x = a - b` (or `a + b`) |
| `(b)` | `x = a(b)`, a call of a function named `a` |
| `[b] in arr` | `x = [a[b]] in arr` |
| `"text"` (after a string) | one string: adjacent strings are glued |

And a `return` that ends its line, with a statement on the next line: stap
reads `return` followed by an expression as returning that expression, so
`if (x) return` followed by `println("done")` returns the result of
`println("done")`, and prints only when `x` is true. A bare `return` needs
`;` or `}` right after it.

Only a line that starts at or left of the column where the statement above
starts is reported: a continuation line indented further is taken as meant
(a tab counts to the next multiple of 8 columns), and so is a string that
continues a column of strings, each on a line of its own.

## Why it matters

SystemTap needs no `;` between statements, so a newline ends nothing: the
parser reads as far as the expression can go. `x = a` followed by `++b` on
the next line increments `a` and leaves `b` alone, and stap only says
"Eliding side-effect-free expression" about the lone `b`, if it says
anything. A `(` line turns a variable into a function call, which stap
rejects only when no function of that name exists.

## Example

```systemtap
global hits, total

probe begin {
  total = hits
  ++hits
  printf("%d %d\n", total, hits)
  exit()
}
```

## Fix

End the statement with `;` (the fix does that), or indent a continuation
line further than the statement it continues:

```systemtap
global hits, total

probe begin {
  total = hits;
  ++hits
  printf("%d %d\n", total, hits)
  exit()
}
```

## Notes

The fix inserts `;` after the line above, which changes what the script
does (to what it looks like it does), so it is offered as unsafe. A `-` or
`+` line is often a continuation written at the wrong indentation; read the
two lines before applying it.
"""

from __future__ import annotations

from ...diagnostics import Applicability, Edit, Fix, Severity, Span
from ...syntax import ast
from ..flow import column, first_on_line, string_pieces, text_at
from ..rule import LintContext, Rule

RULE = Rule("STP510", "line-joins-previous-statement", Severity.WARNING,
            "a line that stap joins to the statement above (it starts with ++, --, -, +, (, [ or a "
            "string, or follows a 'return' that ends its line)",
            fix=Applicability.UNSAFE)


def check(ctx: LintContext) -> None:
    flow = ctx.flow
    for stmt, _ in flow.nodes(ast.ExprStmt, ast.ReturnStmt, ast.DeleteStmt):
        expr = _statement_expression(stmt)
        if expr is None:
            continue
        indent = column(ctx.text, stmt.span.start)
        if type(stmt) is ast.ReturnStmt:
            _check_return(ctx, stmt, indent)
        for left_end, joint, kind in _joints(ctx, expr):
            _check_joint(ctx, flow, indent, left_end, joint, kind)


def _statement_expression(stmt):
    if type(stmt) is ast.ExprStmt:
        return stmt.expr
    if type(stmt) is ast.ReturnStmt:
        return stmt.value
    return stmt.target


def _joints(ctx: LintContext, expr):
    """(end of the left part, offset of the joining token, what joins) for every place where
    the statement could have ended but goes on.

    Only the parts of the expression that are not inside brackets are visited:
    there the statement could have ended.  The `then` of a ternary cannot end a
    statement (a ':' must follow), nor can anything in parentheses.
    """
    pending = [expr]
    while pending:
        node = pending.pop()
        kind = type(node)
        if kind is ast.Assignment:
            pending += [node.target, node.value]
        elif kind is ast.Binary:
            if node.op in ("+", "-"):
                yield node.left.span.end, node.op, node
            pending += [node.left, node.right]
        elif kind is ast.Ternary:
            pending += [node.condition, node.otherwise]
        elif kind is ast.Unary:
            pending.append(node.operand)
        elif kind is ast.Crement:
            if not node.prefix:
                yield node.operand.span.end, node.op, node
            pending.append(node.operand)
        elif kind is ast.InExpr:
            if not node.bracketed:
                pending += list(node.keys)
        elif kind is ast.RegexMatch:
            pending.append(node.left)
        elif kind is ast.ArrayIndex:
            yield node.array.span.end, "[", node
            pending.append(node.array)
        elif kind is ast.Call:
            yield node.name_span.end, "(", node
        elif kind is ast.StringLit and len(node.pieces) > 1:
            pieces = string_pieces(ctx, node)
            if pieces is not None:
                for (previous_start, end), (start, _) in zip(pieces, pieces[1:]):
                    # Pieces that each start a line are a column of text, written so on purpose.
                    if not first_on_line(ctx.text, previous_start):
                        yield end, start, node


def _check_joint(ctx: LintContext, flow, indent: int, left_end: int, joint, node) -> None:
    text = ctx.text
    if isinstance(joint, int):  # a glued string piece starts here
        at, token = joint, '"'
    else:
        at, token = flow.next_code(left_end), joint
    if not text_at(ctx, at, token) or "\n" not in text[left_end:at]:
        return
    if not first_on_line(text, at) or column(text, at) > indent:
        return
    left = text[_line_start(text, left_end):left_end].strip()
    message, hint = _describe(token, node, left)
    fix = Fix("End the statement above with ';'", (Edit(Span(left_end, left_end), ";"),),
              Applicability.UNSAFE)
    ctx.report(RULE, Span(at, at + len(token)), message, fix=fix, hints=(hint,))


def _check_return(ctx: LintContext, stmt: ast.ReturnStmt, indent: int) -> None:
    """`return` at the end of a line, and a statement on the next: the statement is the value."""
    text = ctx.text
    keyword_end = stmt.span.start + len("return")
    value = stmt.value
    if not text_at(ctx, stmt.span.start, "return") or "\n" not in text[keyword_end:value.span.start]:
        return
    if not first_on_line(text, value.span.start) or column(text, value.span.start) > indent:
        return
    line_end = text.find("\n", value.span.start)
    shown = text[value.span.start:line_end if line_end >= 0 else len(text)].strip()
    if len(shown) > 40:
        shown = shown[:37] + "..."
    fix = Fix("End the return statement with ';'", (Edit(Span(keyword_end, keyword_end), ";"),),
              Applicability.UNSAFE)
    ctx.report(RULE, value.span,
               f"'return' at the end of the line above takes this line as the value it returns: "
               f"stap reads 'return {shown}'",
               fix=fix, hints=("a bare 'return' needs ';' or '}' right after it",))


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _describe(token: str, node, left: str) -> tuple[str, str]:
    shown = left if len(left) <= 40 else "..." + left[-37:]
    if token in ("++", "--"):
        return (f"'{token}' at the start of this line applies to the line above: stap reads "
                f"'{shown}{token}' and then a statement of its own",
                "the line above has no ';', and a newline does not end a statement")
    if token in ("+", "-"):
        return (f"'{token}' at the start of this line continues the expression above: stap reads "
                f"'{shown} {token} ...'",
                "indent a continuation line further, or end the statement above with ';'")
    if token == "(":
        name = node.name if type(node) is ast.Call else "it"
        return (f"'(' at the start of this line makes '{name}' on the line above a function call",
                "the line above has no ';', and a newline does not end a statement")
    if token == "[":
        return ("'[' at the start of this line indexes the value on the line above",
                "the line above has no ';', and a newline does not end a statement")
    return ("this string is glued to the string on the line above (adjacent strings are one string)",
            "end the statement above with ';' if this line is meant as a statement of its own")
