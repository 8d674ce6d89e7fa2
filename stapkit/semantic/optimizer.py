"""stap's pass-2 optimizer, as one model: what it removes before it checks types.

stap 4.8 resolves symbols on the whole tree, then optimizes (unless `-u`),
then infers and checks types on what is left (stap-language.md §3.1).  So a
type error in removed code is never reported by stap, and a script whose
every probe handler is removed is refused ("no probes found").  What it
removes, as modelled here:

* opt3 (dead assignments): a local that nothing left reads loses its
  assignments; the value stays only for its side effects.  Removing code may
  leave other locals unread, so this repeats until nothing changes.
* opt4 (side-effect-free statements): an expression statement, an `if`
  whose branches are gone, a loop whose body is gone (a `for`/`while` only if
  its clauses have no side effect either), an empty block or `try`.
* opt5 (the void-statement reducer): the value of an expression statement is
  not needed, so `a && b` becomes `if (a) b`, `a ? b : c` becomes
  `if (a) b else c`, `a + b`, `a . b`, `a < b`, `-a`, `a =~ "re"` become
  their operands, a call of a side-effect-free function or a `sprintf`
  becomes its arguments; each part is then kept or removed on its own.

A side effect is a write (assignment, `++`/`--`, `delete`), output
(`print`, `printf`, ...: not their `s` forms), embedded C that is not
`/* pure */`, and a call of a function with side effects: a script function
whose body has one (followed through its calls), a library function unless
all its definitions are tagged `/* pure */`; a call nothing resolves, and a
macro call left unexpanded, count as side effects (nothing is known of them).

One `Optimizer` serves one checked file (`for_unit`); it memoizes on itself,
by node id, so it must not outlive the tree it was asked about.
"""

from __future__ import annotations

from typing import Callable

from ..diagnostics import Related, Severity, Span
from ..syntax import ast
from ..tapsets.model import LONG
from .unit import library_global

# The operators whose value, when unused, is just their operands evaluated in turn (opt5).
_SPLIT_OPERATORS = frozenset({"|", "^", "&", "<", ">", "<=", ">=", "==", "!=", "<<", ">>", ">>>", ".",
                              "+", "-", "*", "/", "%"})
# Statements that always stay: they change what runs next, or run C.
_KEPT_STATEMENTS = (ast.NextStmt, ast.BreakStmt, ast.ContinueStmt, ast.ReturnStmt, ast.DeleteStmt,
                    ast.EmbeddedCode)

# Expressions without children and without an effect of their own: never asked about twice.
_LEAVES = frozenset({ast.Variable, ast.NumberLit, ast.StringLit})

REMOVED_BY_OPTIMIZER = "stap's optimizer removes this code (it has no side effect) before it checks types"


def never_checked(unit, code: str, message: str, span: Span, *, why: str, hints: tuple[str, ...] = (),
                  related: tuple[Related, ...] = ()) -> None:
    """Report a finding in code stap never checks: a warning whose hint says why stap is silent.

    (The finding is real, but stap runs the script anyway: an error would fail
    a CI run on a script stap accepts.)
    """
    unit.report(code, message, span, severity=Severity.WARNING,
                hints=hints + (f"stap does not report this: {why}",), related=related)


class Optimizer:
    """Which code of one file stap's optimizer keeps."""

    def __init__(self, *, enabled: bool, script_functions: Callable[[str], list],
                 library_functions: Callable[[str], list], is_global: Callable[[str], bool]):
        self.enabled = enabled  # False with -u
        self._script_functions = script_functions  # name -> [ast.FunctionDecl]
        self._library_functions = library_functions  # name -> [tapsets.model.Function]
        self._is_global = is_global
        self._globals: dict[str, bool] = {}
        self._kept: dict[tuple[int, frozenset], bool] = {}
        self._effects: dict[int, bool] = {}  # id(node) -> side_effects(node)
        self._pure_calls: dict[str, bool] = {}
        self._dead: dict[tuple[int, frozenset], frozenset[str]] = {}
        self._assigned: dict[int, tuple[object, tuple[str, ...]]] = {}  # id(body) -> (body, its names)
        # (id(expression), dead locals) -> (the expression, its parts that stay): void_parts
        self._void_parts: dict[tuple[int, frozenset], tuple[object, tuple]] = {}

    # -- side effects -----------------------------------------------------

    def side_effects(self, node) -> bool:
        """Could evaluating it change anything (stap's varuse_collecting_visitor)?"""
        if node is None or type(node) in _LEAVES:
            return False
        key = id(node)
        known = self._effects.get(key)
        if known is None:
            # Children first, iteratively: a deep tree must not exhaust the stack here.  (Each
            # node's children are listed once; leaves are no question: they have no effect.)
            effects = self._effects
            stack: list = [(node, None)]
            while stack:
                current, children = stack.pop()
                if id(current) in effects:
                    continue
                if children is None:
                    children = [c for c in ast.child_list(current) if type(c) not in _LEAVES]
                    stack.append((current, children))
                    stack.extend((c, None) for c in children if id(c) not in effects)
                    continue
                effects[id(current)] = self._own_effect(current) or any(effects[id(c)] for c in children)
            known = effects[key]
        return known

    def _own_effect(self, node) -> bool:
        kind = type(node)
        if kind in (ast.Assignment, ast.Crement, ast.MacroCall) or kind in _KEPT_STATEMENTS:
            return True
        if kind is ast.PrintCall:
            return not node.name.startswith("s")
        if kind is ast.EmbeddedExpr:
            return "/* pure */" not in node.code
        if kind is ast.Call:
            return not self.pure_call(node.name)
        return False

    def pure_call(self, name: str) -> bool:
        """Is every function of that name free of side effects (so a call of it can go)?"""
        known = self._pure_calls.get(name)
        if known is None:
            self._decide_purity(name)
            known = self._pure_calls[name]
        return known

    def _decide_purity(self, name: str) -> None:
        """Decide `name` and every script function it reaches, without recursion (a chain of
        thousands of calls must not exhaust the stack).  A function is pure when its bodies
        write nothing but their own locals, print nothing and call only pure functions;
        impurity flows from callee to caller, so a cycle of calls with no other effect stays
        pure (a recursive call adds nothing to what the body does)."""
        own_pure: dict[str, bool] = {}
        callees: dict[str, set[str]] = {}
        stack, seen = [name], {name}
        while stack:
            current = stack.pop()
            mine = self._script_functions(current)
            if not mine:
                found = self._library_functions(current)
                own_pure[current], callees[current] = bool(found) and all("pure" in f.tags for f in found), set()
                continue
            pure, called = True, set()
            for decl in mine:
                body_pure, body_calls = self._body_purity(decl.body)
                pure, called = pure and body_pure, called | body_calls
            own_pure[current], callees[current] = pure, called
            for callee in called:
                if callee not in seen and callee not in self._pure_calls:
                    seen.add(callee)
                    stack.append(callee)
        callers: dict[str, set[str]] = {}
        for caller, called in callees.items():
            for callee in called:
                callers.setdefault(callee, set()).add(caller)
        result = dict(own_pure)
        impure = [n for n, pure in own_pure.items() if not pure]
        impure += [callee for called in callees.values() for callee in called
                   if self._pure_calls.get(callee) is False]
        while impure:
            for caller in callers.get(impure.pop(), ()):
                if result.get(caller):
                    result[caller] = False
                    impure.append(caller)
        self._pure_calls.update(result)

    def _body_purity(self, body) -> tuple[bool, set[str]]:
        """(does the body itself have no side effect, the script functions it calls)."""
        if type(body) is ast.EmbeddedCode:
            return "/* pure */" in body.code, set()
        called: set[str] = set()
        # A function's own locals are not the caller's business: only other writes count.
        for node in ast.walk(body):
            kind = type(node)
            if kind in (ast.Assignment, ast.Crement):
                target = node.target if kind is ast.Assignment else node.operand
                if not self._writes_local(target):
                    return False, called
            elif kind is ast.DeleteStmt:
                if not self._writes_local(node.target):
                    return False, called
            elif kind is ast.Call and self._script_functions(node.name):
                known = self._pure_calls.get(node.name)
                if known is False:
                    return False, called
                if known is None:
                    called.add(node.name)
            elif kind in (ast.PrintCall, ast.EmbeddedExpr, ast.Call, ast.MacroCall, ast.EmbeddedCode):
                if self._own_effect(node):
                    return False, called
        return True, called

    def _writes_local(self, target) -> bool:
        while type(target) is ast.Paren:
            target = target.expr
        return type(target) is ast.Variable and not self.is_global(target.name)

    def is_global(self, name: str) -> bool:
        known = self._globals.get(name)
        if known is None:
            known = self._globals[name] = self._is_global(name)
        return known

    # -- opt5 and opt4: what of a statement stays ---------------------------

    def void_parts(self, expr, dead: frozenset[str] | set[str] = frozenset(),
                   dropped: set[int] | None = None) -> list[tuple[object, str | None]]:
        """The parts of an expression statement that stay, each with the type its use wants.

        Without the optimizer, the whole expression.  `dead` are the locals
        whose assignments go (opt3); the ids of what goes are added to
        `dropped` when given.
        """
        if not self.enabled:
            return [(expr, None)]
        dead = frozenset(dead)
        if dropped is None:  # asked again and again (each typing round): answered once
            key = (id(expr), dead)
            known = self._void_parts.get(key)
            if known is None or known[0] is not expr:
                parts: list[tuple[object, str | None]] = []
                self._void(expr, dead, parts, None)
                known = self._void_parts[key] = (expr, tuple(parts))
            return list(known[1])
        parts = []
        self._void(expr, dead, parts, dropped)
        return parts

    def _void(self, expr, dead, parts, dropped) -> None:
        kind = type(expr)
        before = len(parts)
        if kind is ast.Paren:
            self._void(expr.expr, dead, parts, dropped)
        elif kind is ast.Binary and expr.op in ("&&", "||"):
            rest: list = []
            self._void(expr.right, dead, rest, dropped)
            if rest:  # `if (a) b`: a is a condition, wholly evaluated
                parts.append((expr.left, LONG))
                parts.extend(rest)
            else:
                self._void(expr.left, dead, parts, dropped)
        elif kind is ast.Ternary:
            rest = []
            self._void(expr.then, dead, rest, dropped)
            self._void(expr.otherwise, dead, rest, dropped)
            if rest:
                parts.append((expr.condition, LONG))
                parts.extend(rest)
            else:
                self._void(expr.condition, dead, parts, dropped)
        elif kind is ast.Binary and expr.op in _SPLIT_OPERATORS:
            self._void(expr.left, dead, parts, dropped)
            self._void(expr.right, dead, parts, dropped)
        elif kind is ast.Unary:
            self._void(expr.operand, dead, parts, dropped)
        elif kind is ast.RegexMatch:
            self._void(expr.left, dead, parts, dropped)
        elif kind is ast.Cast:
            self._void(expr.operand, dead, parts, dropped)
        elif (kind is ast.Call and self.pure_call(expr.name)) or (
                kind is ast.PrintCall and expr.name.startswith("s")):
            for arg in expr.args:
                self._void(arg, dead, parts, dropped)
        elif kind is ast.Assignment and type(expr.target) is ast.Variable and expr.target.name in dead:
            self._void(expr.value, dead, parts, dropped)  # opt3: the value, for its side effects
        elif self.side_effects(expr):
            parts.append((expr, None))
        if dropped is not None and len(parts) == before:
            dropped.add(id(expr))

    def kept(self, stmt, dead: frozenset[str] | set[str] = frozenset()) -> bool:
        """Does the statement stay (opt4, after opt3 and opt5)?"""
        if stmt is None:
            return False
        if not self.enabled:
            return True
        key = (id(stmt), frozenset(dead))
        known = self._kept.get(key)
        if known is None:
            known = self._kept[key] = self._kept_now(stmt, dead)
        return known

    def _kept_now(self, stmt, dead) -> bool:
        kind = type(stmt)
        if kind is ast.ExprStmt:
            return bool(self.void_parts(stmt.expr, dead))
        if kind is ast.Block:
            return any(self.kept(s, dead) for s in stmt.statements)
        if kind is ast.EmptyStmt:
            return False
        if kind is ast.IfStmt:
            return self.kept(stmt.then, dead) or self.kept(stmt.otherwise, dead) or \
                bool(self.void_parts(stmt.condition, dead))
        if kind is ast.ForeachStmt:
            return self.kept(stmt.body, dead)
        if kind is ast.ForStmt:
            return self.kept(stmt.body, dead) or any(
                self.side_effects(part) for part in (stmt.init, stmt.condition, stmt.step))
        if kind is ast.WhileStmt:
            return self.kept(stmt.body, dead) or self.side_effects(stmt.condition)
        if kind is ast.TryStmt:
            return self.kept(stmt.body, dead)
        return True

    # -- opt3: dead locals ------------------------------------------------

    def dead_locals(self, body, params: frozenset[str] = frozenset()) -> frozenset[str]:
        """The locals a body writes that nothing stap keeps reads: their assignments go.

        `params` are the function's parameters (never elided); globals never are.
        """
        if not self.enabled or body is None:
            return frozenset()
        key = (id(body), params)
        known = self._dead.get(key)
        if known is not None:
            return known
        candidates = {n for n in self.assigned(body) if n not in params and not self.is_global(n)}
        dead: frozenset[str] = frozenset()
        if not candidates:  # (no walk for what it reads: nothing could be dead)
            self._dead[key] = dead
            return dead
        for _ in range(len(candidates) + 1):  # each round removes code, so at most one per local
            found = frozenset(candidates - self.reads(body, dead))
            if found == dead:
                break
            dead = found
        self._dead[key] = dead
        return dead

    def assigned(self, body) -> tuple[str, ...]:
        """The plain names a body assigns (`x = ...`, `x .= ...`), in the order of their first
        assignment.  (Asked of the same bodies by the dead-local search, the alias variables
        and their typing: one walk each.  The body is kept with its names, so that its id is
        not reused by another while the answer is kept.)"""
        known = self._assigned.get(id(body))
        if known is None or known[0] is not body:
            names = tuple(dict.fromkeys(n.target.name for n in ast.walk(body)
                                        if type(n) is ast.Assignment and type(n.target) is ast.Variable))
            known = self._assigned[id(body)] = (body, names)
        return known[1]

    def reads(self, body, dead: frozenset[str] | set[str] = frozenset()) -> set[str]:
        """The variable names read by what stays of a body."""
        found: set[str] = set()

        def expr(node) -> None:
            kind = type(node)
            if kind is ast.Variable:
                found.add(node.name)
                return
            if kind is ast.Assignment and type(node.target) is ast.Variable:
                if node.op not in ("=", "<<<"):
                    found.add(node.target.name)
                expr(node.value)
                return
            for child in ast.child_list(node):
                expr(child)

        def stmt(node) -> None:
            if node is None or not self.kept(node, dead):
                return
            kind = type(node)
            if kind is ast.ExprStmt:
                for part, _ in self.void_parts(node.expr, dead):
                    expr(part)
            elif kind is ast.Block:
                for s in node.statements:
                    stmt(s)
            elif kind is ast.IfStmt:
                expr(node.condition)
                stmt(node.then)
                stmt(node.otherwise)
            elif kind is ast.ForStmt:
                for part in (node.init, node.step):
                    if part is not None:
                        for piece, _ in self.void_parts(part, dead):
                            expr(piece)
                if node.condition is not None:
                    expr(node.condition)
                stmt(node.body)
            elif kind is ast.TryStmt:
                stmt(node.body)
                stmt(node.catch_body)
            else:
                for child in ast.child_list(node):
                    if isinstance(child, (ast.Block, ast.ExprStmt, ast.IfStmt, ast.ForStmt, ast.WhileStmt,
                                          ast.ForeachStmt, ast.TryStmt, ast.EmptyStmt) + _KEPT_STATEMENTS):
                        stmt(child)
                    else:
                        expr(child)

        stmt(body)
        return found

    # -- what goes, by node -----------------------------------------------

    def removed_nodes(self, body, *, dead_assignments: bool) -> set[int]:
        """The ids of the statements and expressions of a body that stap removes.

        `dead_assignments`: opt3 applies (a probe's handler or a function; not
        an alias body alone, whose locals the handler reads).
        """
        removed: set[int] = set()
        if not self.enabled or body is None:
            return removed
        dead = self.dead_locals(body) if dead_assignments else frozenset()
        stack = [body]
        while stack:
            node = stack.pop()
            if node is None:
                continue
            kind = type(node)
            if kind in (ast.ExprStmt, ast.Block, ast.EmptyStmt, ast.IfStmt, ast.ForeachStmt, ast.ForStmt,
                        ast.WhileStmt, ast.TryStmt) and not self.kept(node, dead):
                removed.add(id(node))
                continue
            if kind is ast.ExprStmt:
                self.void_parts(node.expr, dead, removed)
                continue
            if kind is ast.ForStmt:
                for part in (node.init, node.step):
                    if part is not None:
                        self.void_parts(part, dead, removed)
                stack.append(node.body)
                continue
            if kind in (ast.Block, ast.IfStmt, ast.WhileStmt, ast.ForeachStmt, ast.TryStmt):
                stack.extend(c for c in ast.child_list(node)
                             if type(c) in (ast.Block, ast.ExprStmt, ast.EmptyStmt, ast.IfStmt, ast.ForeachStmt,
                                            ast.ForStmt, ast.WhileStmt, ast.TryStmt))
        return removed


def for_unit(unit) -> Optimizer:
    """The optimizer of a checked file, made on first use and kept in its model.

    Its callables hold what they read (the database, the target's view, the script's
    globals), never the unit: the unit holds the model that holds the optimizer, and that
    cycle left every checked file to the cyclic collector (a tenth of the CPU time of
    linting the tapset library went to collecting them).
    """
    found = unit.model.optimizer
    if found is None:
        first_line = unit.result.first_line
        db, view = unit.db, unit.view
        functions = unit.script_functions()
        script_globals = unit.script_globals()
        found = unit.model.optimizer = Optimizer(
            enabled=not (first_line is not None and first_line.unoptimized),
            script_functions=lambda name: functions.get(name, []),
            library_functions=lambda name: [f for f in db.functions(name)
                                            if view.public(f) and view.exists(f)],
            is_global=lambda name: name in script_globals or library_global(db, view, name) is not None)
    return found
