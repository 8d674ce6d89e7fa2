"""Statement checks: what stap rejects in a statement whatever the types are.

* STP120 `break`/`continue` outside a loop (stap finds it in pass 3,
  translate.cxx: `cannot 'break' outside loop`);
* STP121 a `*` index anywhere but in `delete`, `[...] in A` and foreach
  slices (symresolution_info::visit_arrayindex);
* STP122 an array written inside a `foreach` over it, directly or by a
  called script function (semantic_pass_vars);
* STP123 assignments, `++`/`--` and `delete` of something that cannot be
  written (dead_assignment_remover, delete_statement_typeresolution_info and
  pass 3's c_unparser_assignment);
* STP124 probe `if` conditions that read non-globals, call functions or have
  side effects (symresolution_info, semantic_pass_conditions);
* STP125 regular expressions of `=~`/`!~` stap's own engine cannot compile
  (stapregex-parse.cxx, ported below with its messages and positions).

Each probe, alias and function body is walked once.  stap runs these checks
only on the functions a probe reaches; stapkit checks every function, as
the other checks do.  Where stap misses a case that fails the same way at
run time (a foreach array changed through a chain of calls, or deleted as a
whole), it is reported as a warning, not an error.
"""

from __future__ import annotations

from functools import lru_cache

from ..diagnostics import Related, Severity, Span
from ..syntax import ast
from . import codes
from .unit import CheckUnit


def check(unit: CheckUnit) -> None:
    ast.ensure_recursion_room()
    _Statements(unit).run()


def _unparen(node):
    # stap's tree has no parentheses: `(a) = 1` is `a = 1`.
    while type(node) is ast.Paren:
        node = node.expr
    return node


# Writes stap accepts or rejects only with information stapkit does not have
# here (debuginfo, guru mode, macro and argument expansion), or that other
# checks report: target variables, @cast, @var, registers and memory (guru),
# @entry, @defined, $N placeholders, library macros, unknown @operators.
_OPAQUE_LVALUES = frozenset({
    ast.TargetVariable, ast.Access, ast.Cast, ast.AtVar, ast.Register, ast.Deref, ast.Entry,
    ast.Defined, ast.ScriptArgument, ast.MacroCall, ast.UnknownOperator,
})
# `delete` takes a variable or an array element; stap lets the DWARF expander
# rewrite a deleted target variable, so those are left to the target checks.
_OPAQUE_DELETES = frozenset({
    ast.TargetVariable, ast.Access, ast.Cast, ast.AtVar, ast.Entry, ast.Defined,
    ast.ScriptArgument, ast.MacroCall, ast.UnknownOperator,
})
_LEAVES = frozenset({ast.NumberLit, ast.StringLit, ast.Variable, ast.TargetVariable, ast.EmbeddedExpr})
_children = ast.children


def _iterated_array(array) -> str | None:
    """The global a foreach iterates: `a` for `foreach (k in a)` and for `@hist_log(a)`."""
    array = _unparen(array)
    if type(array) is ast.HistOp:
        array = _unparen(array.operand)
    return array.name if type(array) is ast.Variable else None


class _BodyFacts:
    """What one body's walk found that the cross-function check needs."""

    __slots__ = ("mutated", "deleted", "calls")

    def __init__(self):
        # Arrays whose elements the body writes, and stats it `<<<`s into:
        # what stap's mutated_var_collector counts.
        self.mutated: set[str] = set()
        # Arrays the body deletes as a whole (stap does not count these).
        self.deleted: set[str] = set()
        self.calls: set[tuple[str, int]] = set()  # (name, number of arguments)


class _Statements:
    def __init__(self, unit: CheckUnit):
        self.unit = unit
        self.report = unit.report
        self.globals = unit.script_globals()
        self._library_globals: dict[str, bool] = {}
        # (name, arity) -> the facts of every overload of that script function.
        self.functions: dict[tuple[str, int], _BodyFacts] = {}
        # Calls made inside a foreach, checked once every function is known:
        # (call, ((array, foreach), ...) from the outermost loop in).
        self.pending: list[tuple[ast.Call, tuple[tuple[str, ast.ForeachStmt], ...]]] = []

    def run(self) -> None:
        for item in self.unit.script.items:
            t = type(item)
            if t is ast.FunctionDecl:
                if type(item.body) is ast.Block:
                    key = (item.name, len(item.params))
                    facts = self.functions.setdefault(key, _BodyFacts())
                    _Walker(self, facts).stmt(item.body)
            elif t is ast.ProbeDecl:
                self.check_conditions(item.points)
                _Walker(self, _BodyFacts()).stmt(item.body)
            elif t is ast.AliasDecl:
                self.check_conditions(item.points)
                facts = _BodyFacts()
                walker = _Walker(self, facts)
                walker.stmt(item.body)
                if item.epilogue is not None:
                    walker.stmt(item.epilogue)
        self.check_calls_in_foreach()

    def is_global(self, name: str) -> bool:
        if name in self.globals:
            return True
        known = self._library_globals.get(name)
        if known is None:
            known = self._library_globals[name] = self.unit.library_global(name) is not None
        return known

    # -- STP122 through calls ---------------------------------------------

    def check_calls_in_foreach(self) -> None:
        """Calls inside a foreach to script functions that change the array.

        stap (semantic_pass_vars) looks only at what the called function's own
        body writes: that is an error.  A change made further down the calls,
        or a whole-array delete, corrupts the iteration just the same but stap
        lets it through: that is a warning.  Tapset functions never touch a
        script's globals, so only the script's functions are followed.
        """
        reach_cache: dict[tuple[str, int], dict[str, tuple[str, str]]] = {}
        for call, loops in self.pending:
            key = (call.name, len(call.args))
            facts = self.functions.get(key)
            if facts is None:
                continue
            reached = None
            seen: set[str] = set()
            for name, loop in loops:
                if name in seen:
                    continue
                seen.add(name)
                related = (Related(f"the 'foreach' over '{name}'", None, loop.span),)
                if name in facts.mutated:
                    self.report(codes.MODIFIED_DURING_FOREACH,
                                f"function call modifies var '{name}' during 'foreach' iteration",
                                call.name_span, related=related)
                    continue
                if reached is None:
                    reached = reach_cache.get(key)
                    if reached is None:
                        reached = reach_cache[key] = self._reached_changes(key)
                how = reached.get(name)
                if how is None:
                    continue
                via, verb = how
                through = "" if via == call.name else f" (through '{via}')"
                self.report(codes.MODIFIED_DURING_FOREACH,
                            f"function call {verb} var '{name}' during 'foreach' iteration{through}",
                            call.name_span, severity=Severity.WARNING, related=related,
                            hints=("stap does not see this change, but the loop breaks at run time all the same",))

    def _reached_changes(self, start: tuple[str, int]) -> dict[str, tuple[str, str]]:
        """Arrays changed by a function or anything it calls: name -> (function, verb).

        A breadth-first walk of the call graph, so the function named is the
        nearest one that makes the change; cycles (recursion) end at seen nodes.
        """
        found: dict[str, tuple[str, str]] = {}
        seen = {start}
        queue = [start]
        while queue:
            key = queue.pop(0)
            facts = self.functions[key]
            for name in facts.deleted:
                found.setdefault(name, (key[0], "deletes"))
            if key != start:
                for name in facts.mutated:
                    found.setdefault(name, (key[0], "modifies"))
            for callee in sorted(facts.calls):
                if callee in self.functions and callee not in seen:
                    seen.add(callee)
                    queue.append(callee)
        if start in self.functions:
            for name in self.functions[start].mutated:
                found.pop(name, None)  # reported as stap reports it
        return found

    # -- STP124 -----------------------------------------------------------

    def check_conditions(self, points) -> None:
        for point in points:
            for node in ast.walk(point):
                if type(node) is ast.ProbePoint and node.condition is not None:
                    self.check_condition(node.condition)

    def check_condition(self, condition) -> None:
        """A probe condition is evaluated outside any probe, and again whenever a global it reads changes.

        So stap (symresolution_info, semantic_pass_conditions) lets it read
        only globals, call no function and change nothing.
        """
        report = self.report
        code = codes.INVALID_PROBE_CONDITION
        indexed: set[int] = set()
        for node in ast.walk(condition):
            t = type(node)
            if t is ast.Variable:
                if not self.is_global(node.name):
                    if id(node) in indexed:
                        report(code, f"unresolved arity-{_indexed_arity(condition, node)} global array {node.name}, "
                                     "missing global declaration?", node.span)
                    else:
                        report(code, "probe condition must not reference undeclared global", node.span)
            elif t is ast.ArrayIndex or t is ast.InExpr:
                base = _unparen(node.array)
                if type(base) is ast.Variable:
                    indexed.add(id(base))
                if t is ast.ArrayIndex:
                    for index in node.indexes:
                        if type(index) is ast.Wildcard:
                            report(codes.MISPLACED_WILDCARD_INDEX, "wildcard not allowed in array index", index.span)
            elif t is ast.Call:
                report(code, "probe condition must not reference function", node.name_span)
            elif t is ast.Assignment or t is ast.Crement:
                report(code, "probe condition must not modify any variables", node.span)
            elif t is ast.EmbeddedExpr:
                if "/* pure */" not in node.code:
                    report(code, "probe condition must not include impure embedded-C", node.span)
            elif t is ast.PrintCall:
                # stap counts output as an unknown side effect, like impure C.
                if not node.name.startswith("s"):
                    report(code, "probe condition must not include impure embedded-C", node.name_span)
            elif t is ast.RegexMatch:
                self.check_regex(node.pattern)

    # -- STP125 -----------------------------------------------------------

    def check_regex(self, pattern: ast.StringLit) -> None:
        if pattern.has_arguments:
            return  # an @N argument: the regex is not known until run time
        error = regex_error(pattern.value)
        if error is None:
            return
        pos, message = error
        if pos is None:
            self.report(codes.INVALID_REGEX, f"regex compilation error: {message}", pattern.span)
            return
        self.report(codes.INVALID_REGEX, f"regex compilation error (at position {pos}): {message}",
                    self._regex_span(pattern, pos))

    def _regex_span(self, pattern: ast.StringLit, pos: int) -> Span:
        """The character at `pos`, when the literal is written as its value; else the whole literal.

        stap counts positions in bytes of the value (before its regex
        unescaping): they map to the source when the literal is one ASCII
        piece whose value is its text (no escape that stap drops).
        """
        span = pattern.span
        value = pattern.value
        text = self.unit.text or ""
        if len(pattern.pieces) == 1 and value.isascii() and text[span.start:span.end] == f'"{value}"':
            start = span.start + 1 + pos
            return Span(start, min(start + 1, span.end))
        return span


def _indexed_arity(condition, variable) -> int:
    """How many indexes the array of `variable` has where it is used in a condition."""
    for node in ast.walk(condition):
        if type(node) is ast.ArrayIndex and _unparen(node.array) is variable:
            return len(node.indexes)
        if type(node) is ast.InExpr and _unparen(node.array) is variable:
            return len(node.keys)
    return 1


class _Walker:
    """One walk over one body (with recursion over the tree)."""

    __slots__ = ("owner", "report", "facts", "loops", "iterated")

    def __init__(self, owner: _Statements, facts: _BodyFacts):
        self.owner = owner
        self.report = owner.report
        self.facts = facts
        self.loops = 0  # how many loops enclose the current statement
        self.iterated: list[tuple[str, ast.ForeachStmt]] = []  # foreach arrays, outermost first

    # -- statements ---------------------------------------------------------

    def stmt(self, node) -> None:
        t = type(node)
        if t is ast.Block:
            for s in node.statements:
                self.stmt(s)
        elif t is ast.ExprStmt:
            self.expr(node.expr)
        elif t is ast.IfStmt:
            self.expr(node.condition)
            self.stmt(node.then)
            if node.otherwise is not None:
                self.stmt(node.otherwise)
        elif t is ast.WhileStmt:
            self.expr(node.condition)
            self.loop_body(node.body)
        elif t is ast.ForStmt:
            for part in (node.init, node.condition, node.step):
                if part is not None:
                    self.expr(part)
            self.loop_body(node.body)
        elif t is ast.ForeachStmt:
            self.foreach(node)
        elif t is ast.DeleteStmt:
            self.delete(node)
        elif t is ast.BreakStmt or t is ast.ContinueStmt:
            if not self.loops:
                word = "break" if t is ast.BreakStmt else "continue"
                self.report(codes.LOOP_CONTROL_OUTSIDE_LOOP, f"cannot '{word}' outside loop", node.span)
        elif t is ast.ReturnStmt:
            if node.value is not None:
                self.expr(node.value)
        elif t is ast.TryStmt:
            self.stmt(node.body)
            self.stmt(node.catch_body)
        elif t is ast.EmptyStmt or t is ast.NextStmt:
            pass
        else:  # a statement class this walker does not know yet: still see inside it
            for child in _children(node):
                if type(child) in _STATEMENTS:
                    self.stmt(child)
                else:
                    self.expr(child)

    def loop_body(self, body) -> None:
        self.loops += 1
        self.stmt(body)
        self.loops -= 1

    def foreach(self, node: ast.ForeachStmt) -> None:
        # stap checks the slices and the limit with the array already being
        # iterated (no_var_mutation_during_iteration_check::visit_foreach_loop).
        name = _iterated_array(node.array)
        if name is not None:
            self.iterated.append((name, node))
        self.expr(node.array)
        if node.slices is not None:
            for index in node.slices:
                if type(index) is not ast.Wildcard:
                    self.expr(index)
        if node.limit is not None:
            self.expr(node.limit)
        self.loop_body(node.body)
        if name is not None:
            self.iterated.pop()

    def delete(self, node: ast.DeleteStmt) -> None:
        target = _unparen(node.target)
        t = type(target)
        if t is ast.ArrayIndex:
            if type(_unparen(target.array)) is ast.HistOp:
                self.report(codes.NOT_AN_LVALUE, "cannot delete histogram bucket entries", target.span)
            self.array_index(target, wildcard_ok=True, written=True)
        elif t is ast.Variable:
            self.facts.deleted.add(target.name)
            for name, loop in self.iterated:
                if name == target.name:
                    # stap lets this through (a delete of a whole array is no
                    # array-element lvalue), but it frees the elements the loop
                    # is walking.
                    self.report(codes.MODIFIED_DURING_FOREACH,
                                f"variable '{name}' deleted during 'foreach' iteration", target.span,
                                severity=Severity.WARNING,
                                related=(Related(f"the 'foreach' over '{name}'", None, loop.span),),
                                hints=("stap does not see this change, but the loop breaks at run time all the same",))
                    break
        elif t in _OPAQUE_DELETES:
            self.expr(target)
        else:
            self.report(codes.NOT_AN_LVALUE, "invalid operand of delete expression", target.span)
            self.expr(target)

    # -- expressions ----------------------------------------------------------

    def expr(self, node) -> None:
        t = type(node)
        if t in _LEAVES:
            return
        if t is ast.Assignment:
            self.assignment(node)
        elif t is ast.Crement:
            self.crement(node)
        elif t is ast.ArrayIndex:
            self.array_index(node, wildcard_ok=False, written=False)
        elif t is ast.InExpr:
            for key in node.keys:
                if type(key) is not ast.Wildcard:
                    self.expr(key)
            self.expr(node.array)
        elif t is ast.Wildcard:
            self.report(codes.MISPLACED_WILDCARD_INDEX, "wildcard not allowed in array index", node.span)
        elif t is ast.Call:
            self.facts.calls.add((node.name, len(node.args)))
            if self.iterated:
                self.owner.pending.append((node, tuple(self.iterated)))
            for arg in node.args:
                self.expr(arg)
        elif t is ast.RegexMatch:
            self.expr(node.left)
            self.owner.check_regex(node.pattern)
        else:
            for child in _children(node):
                self.expr(child)

    def assignment(self, node: ast.Assignment) -> None:
        target = _unparen(node.target)
        t = type(target)
        if t is ast.ArrayIndex:
            if type(_unparen(target.array)) is ast.HistOp:
                self.report(codes.NOT_AN_LVALUE, "Expecting lvalue for assignment", target.span)
            self.array_index(target, wildcard_ok=False, written=True)
        elif t is ast.Variable:
            if node.op == "<<<":
                self.facts.mutated.add(target.name)  # as stap's mutated_var_collector
        elif t in _OPAQUE_LVALUES:
            self.expr(target)
        else:
            # stap names the '.' case: `$p->a.b = 1` was meant as `$p->a->b = 1`.
            dot = t is ast.Binary and target.op == "."
            message = "Expecting lvalue for assignment" + (", try -> instead" if dot else "")
            self.report(codes.NOT_AN_LVALUE, message, target.span)
            self.expr(target)
        self.expr(node.value)

    def crement(self, node: ast.Crement) -> None:
        target = _unparen(node.operand)
        t = type(target)
        if t is ast.ArrayIndex:
            if type(_unparen(target.array)) is ast.HistOp:
                self.report(codes.NOT_AN_LVALUE, "cannot assign to histogram buckets", target.span)
            self.array_index(target, wildcard_ok=False, written=True)
        elif t is ast.Variable:
            pass
        elif t in _OPAQUE_LVALUES:
            self.expr(target)
        else:
            self.report(codes.NOT_AN_LVALUE, "invalid lvalue type", target.span)
            self.expr(target)

    def array_index(self, node: ast.ArrayIndex, *, wildcard_ok: bool, written: bool) -> None:
        base = _unparen(node.array)
        if written and type(base) is ast.Variable:
            self.facts.mutated.add(base.name)
            for name, loop in self.iterated:
                if name == base.name:
                    self.report(codes.MODIFIED_DURING_FOREACH,
                                f"variable '{name}' modified during 'foreach' iteration", base.span,
                                related=(Related(f"the 'foreach' over '{name}'", None, loop.span),))
                    break
        elif type(base) is not ast.Variable:
            self.expr(base)
        for index in node.indexes:
            if type(index) is ast.Wildcard:
                if not wildcard_ok:
                    self.report(codes.MISPLACED_WILDCARD_INDEX, "wildcard not allowed in array index", index.span)
            else:
                self.expr(index)


_STATEMENTS = frozenset({
    ast.Block, ast.EmptyStmt, ast.ExprStmt, ast.IfStmt, ast.WhileStmt, ast.ForStmt, ast.ForeachStmt,
    ast.TryStmt, ast.ReturnStmt, ast.DeleteStmt, ast.BreakStmt, ast.ContinueStmt, ast.NextStmt,
})


# ---------------------------------------------------------------- stapregex
#
# A port of the parser of stap's regex engine (stapregex-parse.cxx, 4.8):
# POSIX ERE with `(?:...)`, `[[:class:]]` and `{m,n}`, read after stap's own
# unescaping of the literal's value.  It builds nothing: it only finds the
# first error, with stap's message and position (a byte offset in the value).
# Quirks are kept on purpose (a trailing ')' is accepted; `\x` with a bad
# first digit reports the position of the second one): stapkit must agree
# with stap, not with POSIX.


class _RegexError(Exception):
    def __init__(self, message: str, pos: int | None):
        # stap formats with printf: a NUL character (%c of 0) ends the message.
        message = message.split("\0", 1)[0]
        super().__init__(message)
        self.message = message
        self.pos = pos  # None: stap prints no position


_SPECIAL = frozenset(b".[{()\\*+?|^$")
_HEX = "0123456789abcdef"
_OCT = "01234567"
_NAMED_CLASSES = frozenset({
    "alpha", "alnum", "blank", "cntrl", "d", "digit", "xdigit", "graph", "l", "lower", "print",
    "punct", "s", "space", "u", "upper",
})
_MAX_DFA_REPETITIONS = 12345
_CONTROL_ESCAPES = {ord("a"): 7, ord("b"): 8, ord("t"): 9, ord("n"): 10, ord("v"): 11, ord("f"): 12, ord("r"): 13}


class _Cursor:
    """stapregex's cursor: one character of look-ahead, unescaping as it reads.

    Characters are byte values; 0 means "none" (stap's `rchar` 0), so a NUL
    in the value ends the regex as it does for stap.
    """

    __slots__ = ("input", "pos", "last_pos", "finished", "next_c")

    def __init__(self, data: bytes):
        self.input = data
        self.pos = 0  # where the next character starts
        self.last_pos = 0  # where the last character read started
        self.finished = not data
        self.next_c = 0

    def next(self) -> int:
        if not self.next_c and self.finished:
            raise _RegexError("unexpected end of regex", self.pos)
        if not self.next_c:
            self._unescape()
        c = self.next_c
        self.next_c = 0
        return c

    def peek(self) -> int:
        if not self.next_c and not self.finished:
            self._unescape()
        return self.next_c

    def has(self, n: int) -> bool:
        # stap computes `length - n` unsigned: with fewer than n bytes it wraps.
        length = len(self.input)
        return length < n or self.pos <= length - n

    def _unescape(self) -> None:
        data = self.input
        length = len(data)
        self.last_pos = self.pos
        c = data[self.pos]
        if c != 0x5C:  # not a backslash
            self.next_c = c
            self.pos += 1
            self.finished = self.pos >= length
            return
        self.pos += 1
        if self.pos >= length:
            raise _RegexError("unexpected end of regex", self.pos)
        pos = self.pos
        c = data[pos]
        if c in _CONTROL_ESCAPES:
            c = _CONTROL_ESCAPES[c]
        elif c == ord("x"):
            if pos >= length - 2:
                raise _RegexError("two hex digits required in escape sequence", pos)
            d1 = _HEX.find(chr(data[pos + 1]).lower()) if data[pos + 1] else -1
            d2 = _HEX.find(chr(data[pos + 2]).lower()) if data[pos + 2] else -1
            if d1 < 0 or d2 < 0:
                raise _RegexError("two hex digits required in escape sequence", pos + (1 if d1 >= 0 else 2))
            c = ((d1 << 4) + d2) & 0xFF
            self.pos += 2
        elif ord("4") <= c <= ord("7"):
            raise _RegexError("octal escape sequence out of range", pos)
        elif ord("0") <= c <= ord("3"):
            if pos >= length - 2:
                raise _RegexError("three octal digits required in escape sequence", pos)
            d0, d1, d2 = (_OCT.find(chr(b)) if b else -1 for b in data[pos:pos + 3])
            if d0 < 0 or d1 < 0 or d2 < 0:
                raise _RegexError("three octal digits required in escape sequence", pos + (1 if d1 >= 0 else 2))
            c = ((d0 << 6) + (d1 << 3) + d2) & 0xFF
            self.pos += 2
        self.next_c = c
        self.pos += 1
        self.finished = self.pos >= length


def _at(data: bytes, i: int) -> int:
    # std::string::operator[] gives '\0' at the end; stap relies on it.
    return data[i] if i < len(data) else 0


def _ch(c: int) -> str:
    return chr(c)


class _RegexParser:
    """stapregex's recursive-descent parser, without the tree it builds."""

    def __init__(self, data: bytes):
        self.cur = _Cursor(data)

    def error(self, message: str, pos: int | None = -1):
        raise _RegexError(message, self.cur.last_pos if pos == -1 else pos)

    def parse(self) -> None:
        self.parse_expr()
        cur = self.cur
        if not cur.finished:
            if cur.peek() == ord(")"):
                self.error("unbalanced ')'", cur.pos)
            self.error("BUG -- regex parse failed to finish for unknown reasons", cur.pos)

    def expect(self, expected: str) -> None:
        try:
            c = self.cur.next()
        except _RegexError:
            self.error(f"expected {expected}, found end of regex")
        if c != ord(expected):
            self.error(f"expected {expected}, found {_ch(c)}")

    def parse_expr(self) -> None:
        self.parse_term()
        while self.cur.peek() == ord("|"):
            self.cur.next()
            self.parse_term()

    def parse_term(self) -> None:
        self.parse_factor()
        c = self.cur.peek()
        while c and c != ord("|") and c != ord(")"):
            self.parse_factor()
            c = self.cur.peek()

    def parse_factor(self) -> None:
        cur = self.cur
        c = cur.peek()
        if not c or c == ord("|") or c == ord(")"):
            return
        if c in b"*+?{":
            self.error(f"unexpected '{chr(c)}'")
        if c in _SPECIAL and c != 0x5C:
            cur.next()
        anchor = False
        if c == ord("."):
            pass
        elif c == ord("["):
            self.parse_char_range()
            self.expect("]")
        elif c == ord("("):
            if cur.peek() == ord("?"):
                cur.next()
                c3 = cur.peek()
                if c3 != ord(":"):
                    self.error(f"unexpected '(?{_ch(c3)}'")
            self.parse_expr()
            self.expect(")")
        elif c == ord("^") or c == ord("$"):
            anchor = True
        else:  # a run of ordinary or escaped characters, not yet read
            while c and (c not in _SPECIAL or c == 0x5C):
                if c == 0x5C:
                    cur.next()
                    c = cur.peek()
                cur.next()
                d = cur.peek()
                if d in b"*+?{" and d:
                    break  # the closure governs only the last character
                c = d
        # closures and other postfix operators
        c = cur.peek()
        while c and c in b"*+?{":
            cur.next()
            if anchor:
                self.error(f"postfix closure '{chr(c)}' applied to anchoring operator")
            if c == ord("{"):
                self.parse_number()
                c = cur.next()
                if c == ord(","):
                    c = cur.peek()
                    if c == ord("}"):
                        cur.next()
                    elif ord("0") <= c <= ord("9"):
                        self.parse_number()
                        self.expect("}")
                    else:
                        self.error("expected '}' or number", cur.pos)
                elif c != ord("}"):
                    self.error("expected ',' or '}'")
            c = cur.peek()

    def parse_char_range(self) -> None:
        cur = self.cur
        if cur.peek() == ord("^"):
            cur.next()
        while True:
            if cur.finished:
                self.error("unclosed character class")
            _get_range(cur)
            if cur.peek() == ord("]"):
                break

    def parse_number(self) -> None:
        cur = self.cur
        digits = ""
        c = cur.peek()
        while c and ord("0") <= c <= ord("9"):
            cur.next()
            digits += chr(c)
            c = cur.peek()
        if not digits:
            self.error("expected number", cur.pos)
        value = int(digits)
        if value > (1 << 63) - 1:  # strtol's ERANGE
            self.error(f"could not parse number {digits}", cur.pos)
        value = ((value + (1 << 31)) % (1 << 32)) - (1 << 31)  # stap keeps it in an int
        if value >= _MAX_DFA_REPETITIONS:
            self.error(f"{digits} is too large", cur.pos)


def _get_range(cur: _Cursor) -> None:
    """stapregex_getrange: one item of a bracket expression."""
    c = cur.peek()
    if c == 0x5C:
        cur.next()
        c = cur.peek()
        cur.next()
    elif c == ord("["):
        cur.next()
        c = cur.peek()
        if c == ord(":"):
            cur.next()
            c = cur.peek()
            name = ""
            while True:
                if cur.finished:
                    raise _RegexError(f"unclosed character class '[:{name}'", cur.pos)
                if cur.has(2) and c == ord(":") and _at(cur.input, cur.pos) == ord("]"):
                    cur.next()
                    cur.next()
                    if name not in _NAMED_CLASSES:
                        raise _RegexError(f"unknown character class '{name}'", None)
                    return
                name += _ch(c)
                cur.next()
                c = cur.peek()
        c = ord("[")  # no '[:': the '[' is an ordinary member
    else:
        cur.next()
    low = c
    if not cur.has(2) or cur.peek() != ord("-") or _at(cur.input, cur.pos) == ord("]"):
        return
    cur.next()  # the '-'
    high = cur.peek()
    if high < low:
        raise _RegexError(f"Inverted character range {_ch(low)}-{_ch(high)}", cur.pos)
    cur.next()


@lru_cache(maxsize=1024)
def regex_error(value: str) -> tuple[int | None, str] | None:
    """The first error stap finds compiling a regex (a string literal's value): (position, message), or None."""
    data = value.encode("utf-8", "surrogateescape")
    try:
        _RegexParser(data).parse()
    except _RegexError as err:
        return err.pos, err.message
    return None
