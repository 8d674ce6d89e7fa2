r"""## What it finds

`@avg`, `@min`, `@max` or `@variance` of a statistic (or of an element of a
statistics array) with nothing in sight that makes sure a value was added to
it first. Any of these counts as a guard:

* an `if`, `while`, `?:`, `&&` or `||` whose condition mentions
  `@count(s)` of the same statistic (or `[k] in s` for an element);
* an earlier `if` in the same block whose condition mentions it and whose
  branch ends with `next`, `return`, `break` or `continue`;
* a `foreach` whose keys are the element's keys (a key of the array
  exists only once a value was added to it; a loop over another array
  with the same keys is trusted to mirror it);
* an earlier `s <<< value` in the same block;
* a `try` block around it.

In a function, an element whose key is one of the function's parameters is
not reported: its callers may loop over the array and pass the key.

## Why it matters

A statistic that has no values has no average, minimum or maximum: at run
time stap stops the probe with the error `empty aggregate`, and, as with any
run-time error, ends the script. It happens exactly when the script has
nothing to report, often in the `end` probe of a short run or of a run where
the probed event never fired, so the summary is lost. `@count` and `@sum`
of an empty statistic are 0 and never fail.

## Example

```systemtap
global sizes

probe syscall.read {
  if (pid() == target())
    sizes <<< count
}

probe end {
  printf("average read: %d bytes\n", @avg(sizes))
}
```

## Fix

Check `@count` first:

```systemtap
global sizes

probe syscall.read {
  if (pid() == target())
    sizes <<< count
}

probe end {
  if (@count(sizes))
    printf("average read: %d bytes\n", @avg(sizes))
  else
    println("no reads")
}
```
"""

from __future__ import annotations

from ...diagnostics import Severity
from ...syntax import ast
from ..flow import ends_control_flow, unparen
from ..rule import LintContext, Rule

RULE = Rule("STP511", "statistic-may-be-empty", Severity.WARNING,
            "@avg, @min, @max or @variance of a statistic that may have no values yet (no @count guard)")

_FAILING_OPS = ("@avg", "@min", "@max", "@variance")


def check(ctx: LintContext) -> None:
    flow = ctx.flow
    for node, body in flow.nodes(ast.StatOp):
        if node.op not in _FAILING_OPS:
            continue
        operand = unparen(node.operand)
        if type(operand) is ast.ArrayIndex and type(operand.array) is not ast.Variable:
            continue
        if type(operand) not in (ast.Variable, ast.ArrayIndex):
            continue
        if _guarded(flow, node, operand) or _keyed_by_parameter(body, operand):
            continue
        name = operand.name if type(operand) is ast.Variable else operand.array.name
        shown = ctx.text[operand.span.start:operand.span.end] or name
        ctx.report(RULE, node.span,
                   f"{node.op}({shown}) stops the script with 'empty aggregate' if no value was "
                   f"added to '{shown}' yet",
                   hints=(f"check first: if (@count({shown})) ...",))


def _guarded(flow, node, operand) -> bool:
    child = node
    for parent in flow.ancestors(node):
        kind = type(parent)
        if kind is ast.TryStmt and child is parent.body:
            return True
        if kind in (ast.IfStmt, ast.Ternary) and child is not parent.condition:
            if _mentions_guard(parent.condition, operand):
                return True
        elif kind in (ast.WhileStmt, ast.ForStmt) and child is parent.body:
            if parent.condition is not None and _mentions_guard(parent.condition, operand):
                return True
        elif kind is ast.Binary and parent.op in ("&&", "||") and child is parent.right:
            if _mentions_guard(parent.left, operand):
                return True
        elif kind is ast.ForeachStmt and child is parent.body:
            if _iterates_keys_of(parent, operand):
                return True
        elif kind is ast.Block:
            for stmt in parent.statements:
                if stmt is child:
                    break
                if _makes_nonempty(stmt, operand):
                    return True
        child = parent
    return False


def _keyed_by_parameter(body, operand) -> bool:
    """An element indexed by a parameter of the function it is read in: the callers may
    iterate the array (foreach) and pass the key."""
    if type(operand) is not ast.ArrayIndex or not isinstance(body.decl, ast.FunctionDecl):
        return False
    params = {p.name for p in body.decl.params}
    return any(type(unparen(i)) is ast.Variable and unparen(i).name in params for i in operand.indexes)


def _mentions_guard(condition, operand) -> bool:
    for node in ast.walk(condition):
        kind = type(node)
        if kind is ast.StatOp and node.op == "@count" and unparen(node.operand) == operand:
            return True
        if kind is ast.InExpr and type(operand) is ast.ArrayIndex:
            array = unparen(node.array)
            if type(array) is ast.Variable and array.name == operand.array.name \
                    and tuple(node.keys) == tuple(operand.indexes):
                return True
    return False


def _iterates_keys_of(loop: ast.ForeachStmt, operand) -> bool:
    """Does the loop iterate the keys the element is indexed with?  Over the same array, the
    element exists; over another one, the script keeps the two arrays' keys alike (a copy to
    sort by, or arrays filled together), which stapkit cannot see, so it trusts it."""
    if type(operand) is not ast.ArrayIndex:
        return False
    keys = tuple(ast.Variable(k.variable.name) for k in loop.keys)
    return keys == tuple(unparen(i) for i in operand.indexes)


def _makes_nonempty(stmt, operand) -> bool:
    """An earlier statement after which the statistic has a value (or the code below is skipped)."""
    if type(stmt) is ast.IfStmt and ends_control_flow(stmt.then) and _mentions_guard(stmt.condition, operand):
        return True
    if type(stmt) is ast.ExprStmt:
        expr = stmt.expr
        return type(expr) is ast.Assignment and expr.op == "<<<" and unparen(expr.target) == operand
    return False
