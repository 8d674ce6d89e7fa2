r"""## What it finds

`@avg`, `@min`, `@max` or `@variance` of a statistic (or of an element of a
statistics array) with nothing in sight that makes sure a value was added to
it first. Any of these counts as a guard:

* an `if`, `while`, `?:`, `&&` or `||` whose condition holds only when
  `@count(s)` of the same statistic is not 0 (`if (@count(s))`,
  `if (@count(s) > 0 && ...)`, the `else` of `if (@count(s) == 0)`), or for
  an element when `[k] in s`;
* an earlier `if` in the same block whose branch ends with `next`,
  `return`, `break` or `continue` and whose condition is false only when
  the statistic has a value (`if (!@count(s)) next`);
* a `foreach` whose keys are the element's keys (a key of the array
  exists only once a value was added to it; a loop over another array
  with the same keys is trusted to mirror it);
* an earlier `s <<< value` in the same block;
* a `try` block around it;
* a flag: a condition that holds only when a variable is not 0 (`if (found)`,
  `if (found > 0)`, `found && ...`, or an earlier `if (!found) next`), where
  that variable is a global or local of the script that is only ever set to
  something other than 0 beside an add to the statistic, in the same block
  (`s <<< v; found = 1`, `n++` next to the add, `found = @count(s)`), starts
  at 0, and is reset wherever the statistic is deleted.  A flag that is set
  anywhere else, or that embedded C or code stapkit does not follow may set,
  is no guard.

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
from ...semantic.bindings import ASSIGN, DELETE, GLOBAL, LOCAL, STATS
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
        if _keyed_by_parameter(body, operand) or _guarded(ctx, node, operand, body):
            continue
        name = operand.name if type(operand) is ast.Variable else operand.array.name
        shown = ctx.text[operand.span.start:operand.span.end] or name
        ctx.report(RULE, node.span,
                   f"{node.op}({shown}) stops the script with 'empty aggregate' if no value was "
                   f"added to '{shown}' yet",
                   hints=(f"check first: if (@count({shown})) ...",))


def _guarded(ctx: LintContext, node, operand, body) -> bool:
    """Does the statistic have a value whenever `node` runs, by what is around it?"""
    flow = ctx.flow
    known: list = []  # expressions that are not 0 whenever node runs (conditions around it)
    child = node
    for parent in flow.ancestors(node):
        kind = type(parent)
        if kind is ast.TryStmt and child is parent.body:
            return True
        if kind in (ast.IfStmt, ast.Ternary) and child is not parent.condition:
            known += _nonzero_when(parent.condition, child is parent.then)
        elif kind in (ast.WhileStmt, ast.ForStmt) and child is parent.body:
            if parent.condition is not None:
                known += _nonzero_when(parent.condition, True)
        elif kind is ast.Binary and parent.op in ("&&", "||") and child is parent.right:
            known += _nonzero_when(parent.left, parent.op == "&&")
        elif kind is ast.ForeachStmt and child is parent.body:
            if _iterates_keys_of(parent, operand):
                return True
        elif kind is ast.Block:
            for stmt in parent.statements:
                if stmt is child:
                    break
                if type(stmt) is ast.IfStmt and ends_control_flow(stmt.then):
                    known += _nonzero_when(stmt.condition, False)  # `if (!@count(s)) next`
                elif _adds(stmt, operand):
                    return True
        child = parent
    if any(_says_nonempty(expr, operand) for expr in known):
        return True
    flags = [expr.name for expr in known if type(expr) is ast.Variable]
    return bool(flags) and _flag_guarded(ctx, flags, operand, body)


def _keyed_by_parameter(body, operand) -> bool:
    """An element indexed by a parameter of the function it is read in: the callers may
    iterate the array (foreach) and pass the key."""
    if type(operand) is not ast.ArrayIndex or not isinstance(body.decl, ast.FunctionDecl):
        return False
    params = {p.name for p in body.decl.params}
    return any(type(unparen(i)) is ast.Variable and unparen(i).name in params for i in operand.indexes)


def _nonzero_when(condition, truth: bool) -> list:
    """The expressions that are not 0 when `condition` evaluates to `truth`: variables,
    `@count(...)` and `[k] in a` (the only ones the guards ask about)."""
    condition = unparen(condition)
    kind = type(condition)
    if kind is ast.Variable or kind is ast.InExpr or (kind is ast.StatOp and condition.op == "@count"):
        return [condition] if truth else []
    if kind is ast.Unary and condition.op == "!":
        return _nonzero_when(condition.operand, not truth)
    if kind is not ast.Binary:
        return []
    op = condition.op
    if op == "&&":
        return _nonzero_when(condition.left, True) + _nonzero_when(condition.right, True) if truth else []
    if op == "||":
        return _nonzero_when(condition.left, False) + _nonzero_when(condition.right, False) if not truth else []
    if op not in _COMPARE:
        return []
    left, right = unparen(condition.left), unparen(condition.right)
    if type(left) is ast.NumberLit or (type(right) is ast.StatOp and right.op == "@count"):
        left, right, op = right, left, _SWAPPED[op]
    is_count = type(left) is ast.StatOp and left.op == "@count"
    if is_count and type(right) is not ast.NumberLit:
        # `@count(s) >= mincount`: a threshold the script trusts to be above 0, as stapkit does.
        return [left] if (op in (">", ">=") and truth) or (op in ("<", "<=") and not truth) else []
    if type(right) is not ast.NumberLit or not (type(left) is ast.Variable or is_count):
        return []
    # `x OP n` has this outcome only for values other than 0 when 0 gives the other one.
    return [left] if _COMPARE[op](0, right.value) != truth else []


_COMPARE = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
_SWAPPED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _says_nonempty(expr, operand) -> bool:
    """Is `expr` being not 0 a sign that the statistic has a value: `@count(s)`, or for an
    element `@count(a[k])` or `[k] in a`?"""
    kind = type(expr)
    if kind is ast.StatOp:
        return unparen(expr.operand) == operand
    if kind is ast.InExpr and type(operand) is ast.ArrayIndex:
        array = unparen(expr.array)
        return type(array) is ast.Variable and array.name == operand.array.name \
            and tuple(expr.keys) == tuple(operand.indexes)
    return False


def _iterates_keys_of(loop: ast.ForeachStmt, operand) -> bool:
    """Does the loop iterate the keys the element is indexed with?  Over the same array, the
    element exists; over another one, the script keeps the two arrays' keys alike (a copy to
    sort by, or arrays filled together), which stapkit cannot see, so it trusts it."""
    if type(operand) is not ast.ArrayIndex:
        return False
    keys = tuple(ast.Variable(k.variable.name) for k in loop.keys)
    return keys == tuple(unparen(i) for i in operand.indexes)


def _adds(stmt, operand) -> bool:
    """An earlier statement of the block that adds a value to the statistic."""
    if type(stmt) is not ast.ExprStmt:
        return False
    expr = stmt.expr
    return type(expr) is ast.Assignment and expr.op == "<<<" and unparen(expr.target) == operand


# -- flags: `s <<< v; found = 1` in one probe, `if (found) @min(s)` in another ----------


def _flag_guarded(ctx: LintContext, flags: list[str], operand, body) -> bool:
    """Is one of the variables known not to be 0 where the statistic is read a flag that is
    set only beside an add to the statistic (so that it is not 0 only once the statistic
    has a value)?"""
    if type(operand) is not ast.Variable:
        return False  # an element: a scalar flag says nothing about which key has values
    bindings = ctx.bindings
    scope = bindings.body_of(body.decl)
    statistic = bindings.variable(operand.name, scope)
    if statistic is None or not _statistic_trusted(ctx, statistic):
        return False
    for name in flags:
        flag = bindings.variable(name, scope)
        if flag is not None and flag is not statistic and _set_only_with(ctx, flag, statistic):
            return True
    return False


def _statistic_trusted(ctx: LintContext, statistic) -> bool:
    """Everything that empties the statistic is seen: it is the script's own, nothing but
    stap code touches it, and what deletes it is a plain `delete s`."""
    if statistic.kind not in (GLOBAL, LOCAL) or statistic.mentions:
        return False
    return all(use.how in (STATS, DELETE) and use.node is not None for use in statistic.writes)


def _set_only_with(ctx: LintContext, flag, statistic) -> bool:
    """Does `flag` start at 0 and become something else only beside an add to `statistic`,
    and go back to 0 wherever the statistic is deleted?"""
    if flag.kind not in (GLOBAL, LOCAL) or flag.mentions:
        return False
    decl = flag.decl
    if decl is not None and decl.init is not None and not _is_zero(decl.init):
        return False
    flow = ctx.flow
    for use in flag.writes:
        if use.indexed or use.node is None:
            return False
        if use.how == DELETE or (use.how == ASSIGN and _is_zero(use.node.value)):
            continue
        if use.how == ASSIGN and _counts(use.node.value, statistic, ctx, use.body):
            continue
        if not _beside_add(ctx, flow, use, statistic):
            return False
    for use in statistic.writes:
        if use.how == DELETE and not _beside_reset(ctx, flow, use, flag):
            return False
    return True


def _is_zero(expr) -> bool:
    expr = unparen(expr)
    return type(expr) is ast.NumberLit and expr.value == 0


def _counts(value, statistic, ctx: LintContext, scope) -> bool:
    """`found = @count(s)`: not 0 exactly when the statistic has values."""
    value = unparen(value)
    if type(value) is not ast.StatOp or value.op != "@count":
        return False
    operand = unparen(value.operand)
    return type(operand) is ast.Variable and ctx.bindings.variable(operand.name, scope) is statistic


def _statement_of(flow, use):
    """The statement a write is, and the block it is in: (`found = 1;`, its block), or None
    when the write is part of a larger expression or not directly in a block."""
    stmt = use.node if type(use.node) is ast.DeleteStmt else flow.parent.get(id(use.node))
    if type(stmt) not in (ast.ExprStmt, ast.DeleteStmt):
        return None
    block = flow.parent.get(id(stmt))
    return (stmt, block) if type(block) is ast.Block else None


def _beside_add(ctx: LintContext, flow, use, statistic) -> bool:
    """Is the write a statement of a block that also adds to the statistic, with nothing
    between the two that leaves the block?"""
    found = _statement_of(flow, use)
    if found is None:
        return False
    stmt, block = found
    return _in_same_run(block, stmt, lambda other: _adds_to(ctx, other, statistic, use.body))


def _beside_reset(ctx: LintContext, flow, use, flag) -> bool:
    """Is a `delete s` a statement of a block that also sets the flag back to 0?"""
    found = _statement_of(flow, use)
    if found is None:
        return False
    stmt, block = found
    return _in_same_run(block, stmt, lambda other: _resets(ctx, other, flag, use.body))


def _in_same_run(block: ast.Block, stmt, wanted) -> bool:
    """Does `stmt` run only together with a statement of its block for which `wanted` holds:
    one before it, or one after it with nothing between the two that may leave the block?"""
    statements = block.statements
    at = next(i for i, s in enumerate(statements) if s is stmt)
    if any(wanted(other) for other in statements[:at]):
        return True
    for other in statements[at + 1:]:
        if wanted(other):
            return True
        if _may_leave(other):
            return False
    return False


def _may_leave(stmt) -> bool:
    """May control leave the block at this statement (`next`, `return`, `break`, `continue`,
    anywhere in it)?"""
    return any(type(node) in _LEAVING for node in ast.walk(stmt))


_LEAVING = (ast.NextStmt, ast.ReturnStmt, ast.BreakStmt, ast.ContinueStmt)


def _adds_to(ctx: LintContext, stmt, statistic, scope) -> bool:
    if type(stmt) is not ast.ExprStmt:
        return False
    expr = unparen(stmt.expr)
    if type(expr) is not ast.Assignment or expr.op != "<<<":
        return False
    target = unparen(expr.target)
    return type(target) is ast.Variable and ctx.bindings.variable(target.name, scope) is statistic


def _resets(ctx: LintContext, stmt, flag, scope) -> bool:
    bindings = ctx.bindings
    if type(stmt) is ast.DeleteStmt:
        target = unparen(stmt.target)
        return type(target) is ast.Variable and bindings.variable(target.name, scope) is flag
    if type(stmt) is not ast.ExprStmt:
        return False
    expr = unparen(stmt.expr)
    if type(expr) is not ast.Assignment or expr.op != "=" or not _is_zero(expr.value):
        return False
    target = unparen(expr.target)
    return type(target) is ast.Variable and bindings.variable(target.name, scope) is flag
