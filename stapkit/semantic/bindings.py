"""Bindings: what each name of a checked script means, and where it is declared, read,
written and called.  One pass per checked unit, read by every lint rule and the editor.

`Bindings.of(unit)` walks the script once (and keeps the result on the unit,
so the lint rules and the language server share it) and records

* the scopes: the file (`None`: probe conditions, top-level embedded C, the
  file's macros and untaken `%( %)` branches), each function, each probe
  handler and each probe alias (its prologue and epilogue are one scope:
  stap pastes both around the handler);
* the variables: the script's globals, the public tapset globals the script
  uses, each function's parameters, each scope's locals, and the variables
  that a probe's aliases set for its handler (alias variables);
* every binding of a variable, with its location and how: read, assigned,
  updated (`+=`, `++`), added to (`<<<`), deleted, bound by foreach or by a
  catch, written by embedded C (`/* pragma:write:x */`, `STAP_GLOBAL_SET_x`),
  or only mentioned where stapkit does not follow the code;
* the script's functions, each call with its scope (every call a scope makes,
  library functions included, is in `Body.calls`), and the call graph
  (`callees`, `FunctionSymbol.callers`).

Names resolve as the checker resolves them (semantic/type_check.py, after
stap's symbol resolution): in a function, its parameters first; then the
script's globals, then the tapset library's public globals; in a probe
handler, then the variables its aliases set; anything else is a local of the
scope it is used in.  What the checker knows about a probe's aliases and the
library's globals is read in `_alias_variables` and `_library_global` only.

The tree holds only what the target compiles: the branches of `%( %)` that
the target does not take, the text of embedded C, and the bodies of the
file's `@define` macros that the tree does not expand are not in it.  Names
that appear there are recorded as *mentions*: uses of unknown kind, which
count as both a read and a write for every rule that asks "is it used?".
Embedded C is read for what it says exactly where it can (`/* pragma:read:x */`,
`/* pragma:write:x */`, `STAP_GLOBAL_GET_x`, `STAP_GLOBAL_SET_x`,
`STAP_ARG_x`); any other identifier in it is a mention.

The bindings describe the unit once the checker has run (probe points
resolved); they hold no reference to anything but the unit's tree.
"""

from __future__ import annotations

import bisect
import re
from typing import TYPE_CHECKING, NamedTuple

import attrs

from ..diagnostics import Span
from ..syntax import ast
from ..syntax.lexer import lex

if TYPE_CHECKING:
    from .unit import CheckUnit

# How a name is used (Use.how).
READ = "read"  # its value is used
ASSIGN = "assign"  # x = v, a[k] = v
UPDATE = "update"  # x += v, x++: a write that reads the old value (also a READ when the result is used)
STATS = "stats"  # s <<< v
DELETE = "delete"  # delete x, delete a[k]
FOREACH = "foreach"  # bound by foreach, as a key or the value
CATCH = "catch"  # try { } catch (msg)
EMBEDDED = "embedded"  # written by embedded C (pragma:write, STAP_GLOBAL_SET_x)
MENTION = "mention"  # named where stapkit does not follow the code: could be anything

# Kinds of variable (Symbol.kind).
GLOBAL = "global"  # declared by the script
LIBRARY = "library"  # a public global of the tapset library
PARAM = "param"
LOCAL = "local"
ALIAS = "alias"  # set by the alias bodies of a probe, for its handler

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_INVOCATION = re.compile(r"@([A-Za-z_][A-Za-z0-9_]*)(?![A-Za-z0-9_$])")
_PRAGMA = re.compile(r"/\*\s*pragma:(read|write):([A-Za-z_][A-Za-z0-9_]*)\s*\*/")
# Embedded C's accessors of the script's values: these name what they touch.
_C_ACCESSORS = (("STAP_GLOBAL_GET_", READ), ("STAP_GLOBAL_SET_", EMBEDDED), ("STAP_ARG_", READ))


class Use(NamedTuple):
    span: Span
    how: str  # READ, ASSIGN, ... MENTION
    body: "Body | None"  # where: None at file level (a probe condition, top-level C, a macro, a branch)
    indexed: bool = False  # an element (a[k] = v, delete a[k]), not the variable itself
    # The node that makes the use: the Assignment, Crement or DeleteStmt of a write, the
    # Variable (or ArrayIndex, InExpr) of a read, the ForeachStmt or TryStmt that binds;
    # None for what the tree does not hold (embedded C, mentions).
    node: object = None


class Call(NamedTuple):
    name: str
    span: Span  # the function's name at the call
    arity: int
    body: "Body | None"


@attrs.define(eq=False)
class Symbol:
    """A variable: a global, a tapset global, a parameter, a local or an alias variable."""

    name: str
    kind: str  # GLOBAL, LIBRARY, PARAM, LOCAL, ALIAS
    body: "Body | None" = None  # whose it is; None for globals
    decl: ast.GlobalVar | ast.Param | None = None
    declared: Span | None = None  # the name in its declaration (globals, parameters)
    reads: list[Use] = attrs.field(factory=list)
    writes: list[Use] = attrs.field(factory=list)
    mentions: list[Use] = attrs.field(factory=list)
    library: object = None  # LIBRARY: the tapset DB's record of the global (its file and line)

    @property
    def used(self) -> bool:
        return bool(self.reads or self.writes or self.mentions)

    def uses(self) -> list[Use]:
        """Every use, in the order of the text."""
        return sorted((*self.reads, *self.writes, *self.mentions), key=lambda u: (u.span.start, u.span.end))


@attrs.define(eq=False)
class FunctionSymbol:
    """A function the script defines, with all its definitions (overloads) and calls."""

    name: str
    decls: list[ast.FunctionDecl] = attrs.field(factory=list)
    calls: list[Call] = attrs.field(factory=list)
    mentions: list[Use] = attrs.field(factory=list)

    def callers(self, decl: ast.FunctionDecl) -> list[Call]:
        """The calls that may reach `decl`, but for its own recursive calls.

        A call reaches the definitions that take as many arguments; a call
        that fits none (an arity error) is counted for all of them.
        """
        arities = {len(d.params) for d in self.decls}
        found = []
        for call in self.calls:
            if call.arity != len(decl.params) and call.arity in arities:
                continue
            if call.body is not None and call.body.node is decl:
                continue
            found.append(call)
        return found


@attrs.define(eq=False)
class Body:
    """The code of one function, probe or probe alias, and its own variables."""

    kind: str  # "function", "probe" or "alias"
    node: ast.FunctionDecl | ast.ProbeDecl | ast.AliasDecl
    params: dict[str, Symbol] = attrs.field(factory=dict)
    locals: dict[str, Symbol] = attrs.field(factory=dict)
    alias_variables: dict[str, Symbol] = attrs.field(factory=dict)
    # Every variable the aliases of a probe set for its handler, also the ones a global of the
    # same name takes the place of (those are not in alias_variables).
    alias_names: tuple[str, ...] = ()
    # Every call the scope makes, in the order of the walk: the script's functions, the
    # library's, and names that are neither (the checker reports those).
    calls: list[Call] = attrs.field(factory=list)

    @property
    def span(self) -> Span:
        return self.node.span

    def describe(self) -> str:
        """How a message names it: function 'f', probe begin, alias 'a.b'."""
        node = self.node
        if isinstance(node, ast.FunctionDecl):
            return f"function '{node.name}'"
        if isinstance(node, ast.ProbeDecl):
            points = ", ".join(p.dotted() for p in node.points[:2])
            return f"probe {points}{', ...' if len(node.points) > 2 else ''}"
        return f"alias '{node.names[0].point.dotted()}'" if node.names else "alias"


@attrs.define(eq=False)
class Bindings:
    """The scopes, variables, uses and calls of one checked unit: `Bindings.of(unit)`."""

    globals: dict[str, Symbol]  # the script's, by name
    library_globals: dict[str, Symbol]  # the tapset globals the script uses, by name
    functions: dict[str, FunctionSymbol]  # the script's, by name
    bodies: list[Body]
    # The script calls a function whose name is a command-line argument ($1(x)):
    # which functions are called is not known.
    dynamic_calls: bool = False
    # Names read by the epilogues of the file's aliases (`probe a += b { ... }`), which run
    # after the handlers of the probes that use them and see their locals.
    epilogue_reads: frozenset[str] = frozenset()
    # id(declaration node) -> its scope, for body_of.
    by_node: dict[int, Body] = attrs.field(factory=dict, repr=False)

    @classmethod
    def of(cls, unit: "CheckUnit") -> "Bindings":
        """The bindings of a checked unit, computed on first use and kept in its model."""
        found = unit.model.bindings
        if found is None:
            found = unit.model.bindings = _Collector(unit).run()
        return found

    def body_of(self, node) -> Body | None:
        """The scope of a function, probe or alias declaration."""
        body = self.by_node.get(id(node))
        return body if body is not None and body.node is node else None

    def variable(self, name: str, body: Body | None = None) -> Symbol | None:
        """What `name` means in `body` (or at file level), as the checker resolves it."""
        if body is not None and name in body.params:
            return body.params[name]
        if name in self.globals:
            return self.globals[name]
        if name in self.library_globals:
            return self.library_globals[name]
        if body is not None:
            return body.alias_variables.get(name) or body.locals.get(name)
        return None

    def callees(self, body: Body) -> list[ast.FunctionDecl]:
        """The script's function definitions that the calls of `body` may reach (the call graph's
        edges out of it): the definitions that take as many arguments as the call passes, or all
        of that name when none does (an arity error)."""
        found: list[ast.FunctionDecl] = []
        seen: set[int] = set()
        for call in body.calls:
            function = self.functions.get(call.name)
            if function is None:
                continue
            decls = [d for d in function.decls if len(d.params) == call.arity] or function.decls
            for decl in decls:
                if id(decl) not in seen:
                    seen.add(id(decl))
                    found.append(decl)
        return found


# -- what the checker decided: the only places the bindings read it -------------


def _alias_variables(unit: "CheckUnit", probe: ast.ProbeDecl) -> list[str]:
    """The variables the aliases behind a probe set for its handler, as probe-point
    resolution found them."""
    info = unit.probes.get(id(probe))
    return list(info.alias_variables) if info is not None else []


def _library_global(unit: "CheckUnit", name: str):
    """The public global of the tapset library named `name`, for the target, if any."""
    return unit.library_global(name)


class _Collector:
    """One walk over the script, filling Bindings."""

    def __init__(self, unit: "CheckUnit"):
        self.unit = unit
        self.bindings = Bindings({}, {}, {}, [])
        self._library_known: dict[str, object] = {}  # name -> the library's global, or None
        self.epilogue_reads: set[str] = set()

    def run(self) -> Bindings:
        ast.ensure_recursion_room()
        unit = self.unit
        bindings = self.bindings
        items = unit.script.items
        for item in items:
            if isinstance(item, ast.GlobalDecl):
                for var in item.variables:
                    if var.name not in bindings.globals:
                        bindings.globals[var.name] = Symbol(var.name, GLOBAL, None, var, var.name_span)
            elif isinstance(item, ast.FunctionDecl):
                bindings.functions.setdefault(item.name, FunctionSymbol(item.name)).decls.append(item)
        for item in items:
            if isinstance(item, ast.FunctionDecl):
                body = Body("function", item)
                for p in item.params:
                    body.params.setdefault(p.name, Symbol(p.name, PARAM, body, p, p.span))
                bindings.bodies.append(body)
                if isinstance(item.body, ast.Block):
                    self.statement(item.body, body)
                else:
                    self.embedded(item.body.code, item.body.span, body)
            elif isinstance(item, ast.ProbeDecl):
                body = Body("probe", item, alias_names=tuple(_alias_variables(unit, item)))
                for name in body.alias_names:
                    if name not in bindings.globals and not self.is_library_global(name):
                        body.alias_variables[name] = Symbol(name, ALIAS, body)
                bindings.bodies.append(body)
                self.conditions(item.points)
                self.statement(item.body, body)
            elif isinstance(item, ast.AliasDecl):
                body = Body("alias", item)
                bindings.bodies.append(body)
                self.conditions(item.points)
                self.statement(item.body, body)
                if item.epilogue is not None:
                    self.statement(item.epilogue, body)
                for block in ([item.body] if item.is_epilogue else []) + (
                        [item.epilogue] if item.epilogue is not None else []):
                    self.epilogue_reads |= {n.name for n in ast.walk(block) if type(n) is ast.Variable}
            elif isinstance(item, ast.EmbeddedCode):
                self.embedded(item.code, item.span, None)
        self.text_mentions()
        bindings.epilogue_reads = frozenset(self.epilogue_reads)
        bindings.by_node = {id(body.node): body for body in bindings.bodies}
        return bindings

    # -- names ------------------------------------------------------------

    def is_library_global(self, name: str) -> bool:
        return self.library_global(name) is not None

    def library_global(self, name: str):
        if name not in self._library_known:
            self._library_known[name] = _library_global(self.unit, name)
        return self._library_known[name]

    def resolve(self, name: str, body: Body | None) -> Symbol | None:
        """The variable `name` is in `body`; a new local if it is nothing else (None at file level)."""
        bindings = self.bindings
        if body is not None and name in body.params:
            return body.params[name]
        found = bindings.globals.get(name) or bindings.library_globals.get(name)
        if found is not None:
            return found
        if self.is_library_global(name):
            found = bindings.library_globals[name] = Symbol(name, LIBRARY, library=self.library_global(name))
            return found
        if body is None:
            return None
        found = body.alias_variables.get(name) or body.locals.get(name)
        if found is None:
            found = body.locals[name] = Symbol(name, LOCAL, body)
        return found

    def use(self, name: str, span: Span, how: str, body: Body | None, indexed: bool = False,
            node: object = None) -> None:
        symbol = self.resolve(name, body)
        if symbol is None:
            return
        record = Use(span, how, body, indexed, node)
        if how == READ:
            symbol.reads.append(record)
        elif how == MENTION:
            symbol.mentions.append(record)
        else:
            symbol.writes.append(record)

    # -- statements -------------------------------------------------------

    def conditions(self, points) -> None:
        """`probe P if (cond)`: the condition reads globals (it has no locals)."""
        for point in points:
            for node in ast.walk(point):
                if type(node) is ast.ProbePoint and node.condition is not None:
                    self.expr(node.condition, None)

    def statement(self, node, body: Body) -> None:  # noqa: C901 - one case per statement type
        kind = type(node)
        if kind is ast.Block:
            for s in node.statements:
                self.statement(s, body)
        elif kind is ast.ExprStmt:
            self.expr(node.expr, body, used=False)
        elif kind is ast.IfStmt:
            self.expr(node.condition, body)
            self.statement(node.then, body)
            if node.otherwise is not None:
                self.statement(node.otherwise, body)
        elif kind is ast.WhileStmt:
            self.expr(node.condition, body)
            self.statement(node.body, body)
        elif kind is ast.ForStmt:
            if node.init is not None:
                self.expr(node.init, body, used=False)
            if node.condition is not None:
                self.expr(node.condition, body)
            if node.step is not None:
                self.expr(node.step, body, used=False)
            self.statement(node.body, body)
        elif kind is ast.ForeachStmt:
            self.foreach(node, body)
        elif kind is ast.TryStmt:
            self.statement(node.body, body)
            if node.catch_var is not None:
                self.use(node.catch_var.name, node.catch_var.span, CATCH, body, node=node)
            self.statement(node.catch_body, body)
        elif kind is ast.ReturnStmt:
            if node.value is not None:
                self.expr(node.value, body)
        elif kind is ast.DeleteStmt:
            self.write(node.target, DELETE, body, node=node)
        # EmptyStmt, break, continue, next: no names

    def foreach(self, node: ast.ForeachStmt, body: Body) -> None:
        if isinstance(node.array, ast.Variable):
            self.use(node.array.name, node.array.span, READ, body, indexed=True, node=node)
        else:
            self.expr(node.array, body)
        for s in node.slices or ():
            self.expr(s, body)
        if node.limit is not None:
            self.expr(node.limit, body)
        if node.value is not None:
            self.use(node.value.variable.name, node.value.variable.span, FOREACH, body, node=node)
        for key in node.keys:
            self.use(key.variable.name, key.variable.span, FOREACH, body, node=node)
        self.statement(node.body, body)

    # -- expressions ------------------------------------------------------

    def write(self, target, how: str, body: Body | None, *, used: bool = False, node: object = None) -> None:
        """A write to `target` by `node`; `used`: the expression's value is used too (y = x++)."""
        while type(target) is ast.Paren:
            target = target.expr
        kind = type(target)
        if kind is ast.Variable:
            self.use(target.name, target.span, how, body, node=node)
            if used and how == UPDATE:
                self.use(target.name, target.span, READ, body, node=target)
        elif kind is ast.ArrayIndex and type(target.array) is ast.Variable:
            self.use(target.array.name, target.array.span, how, body, indexed=True, node=node)
            if used and how == UPDATE:
                self.use(target.array.name, target.array.span, READ, body, indexed=True, node=target)
            for index in target.indexes:
                self.expr(index, body)
        else:  # a target variable, a struct member, ...: what it is made of is read
            self.expr(target, body)

    def expr(self, node, body: Body | None, used: bool = True) -> None:  # noqa: C901 - one case per node type
        kind = type(node)
        if kind is ast.Variable:
            self.use(node.name, node.span, READ, body, node=node)
        elif kind is ast.Assignment:
            self.expr(node.value, body)
            if node.op == "=":
                self.write(node.target, ASSIGN, body, node=node)
            elif node.op == "<<<":
                self.write(node.target, STATS, body, node=node)
            else:
                self.write(node.target, UPDATE, body, used=used, node=node)
        elif kind is ast.Crement:
            self.write(node.operand, UPDATE, body, used=used, node=node)
        elif kind is ast.Paren:
            self.expr(node.expr, body, used)
        elif kind is ast.ArrayIndex:
            if type(node.array) is ast.Variable:
                self.use(node.array.name, node.array.span, READ, body, indexed=True, node=node)
            else:
                self.expr(node.array, body)
            for index in node.indexes:
                self.expr(index, body)
        elif kind is ast.InExpr:
            for key in node.keys:
                self.expr(key, body)
            if type(node.array) is ast.Variable:
                self.use(node.array.name, node.array.span, READ, body, indexed=True, node=node)
            else:
                self.expr(node.array, body)
        elif kind is ast.Call:
            call = Call(node.name, node.name_span, len(node.args), body)
            if body is not None:
                body.calls.append(call)
            function = self.bindings.functions.get(node.name)
            if function is not None:
                function.calls.append(call)
            for arg in node.args:
                self.expr(arg, body)
        elif kind is ast.ScriptArgument:
            if node.args is not None:
                self.bindings.dynamic_calls = True
                for arg in node.args:
                    self.expr(arg, body)
        elif kind is ast.EmbeddedExpr:
            self.embedded(node.code, node.span, body)
        elif kind is ast.Wildcard:
            pass
        else:
            for child in ast.child_list(node):
                self.expr(child, body)

    # -- what the tree does not hold ----------------------------------------

    def embedded(self, code: str, span: Span, body: Body | None) -> None:
        """Names in embedded C: pragmas and accessors say what they do; anything else is a mention."""
        for match in _PRAGMA.finditer(code):
            how, name = match.groups()
            if name in self.bindings.globals or self.is_library_global(name):
                self.use(name, span, READ if how == "read" else EMBEDDED, body)
        for match in _IDENTIFIER.finditer(code):
            word = match.group()
            for prefix, how in _C_ACCESSORS:
                if word.startswith(prefix) and len(word) > len(prefix):
                    name = word[len(prefix):]
                    if prefix == "STAP_ARG_":
                        if body is not None and name in body.params:
                            self.use(name, span, how, body)
                    elif name in self.bindings.globals or self.is_library_global(name):
                        self.use(name, span, how, body)
                    break
            else:
                self.mention(word, span, body)

    def mention(self, name: str, span: Span, body: Body | None) -> None:
        """`name` appears where the code is not followed: a use of any kind of whatever it may be."""
        bindings = self.bindings
        record = Use(span, MENTION, body)
        if body is not None:
            local = body.params.get(name) or body.alias_variables.get(name) or body.locals.get(name)
            if local is not None:
                local.mentions.append(record)
        for table in (bindings.globals, bindings.library_globals, bindings.functions):
            found = table.get(name)
            if found is not None:
                found.mentions.append(record)
        if name not in bindings.globals and name not in bindings.library_globals \
                and self.is_library_global(name):
            bindings.library_globals[name] = Symbol(name, LIBRARY, mentions=[record],
                                                    library=self.library_global(name))

    def text_mentions(self) -> None:
        """Names in the untaken branches of `%( %)` and in the bodies of macros the tree lacks."""
        result = self.unit.result
        text = self.unit.text
        bodies = sorted(self.bindings.bodies, key=lambda b: b.span.start)
        starts = [b.span.start for b in bodies]

        def body_at(offset: int) -> Body | None:
            i = bisect.bisect_right(starts, offset) - 1
            if i >= 0 and bodies[i].span.start <= offset < bodies[i].span.end:
                return bodies[i]
            return None

        branches: list[Span] = []
        for cond in result.conditionals:
            if text[cond.open.start:cond.open.end] != "%(":
                continue  # not a conditional of this file's text
            if cond.taken is not True:
                branches.append(cond.then_branch.span)
            if cond.taken is not False and cond.else_branch is not None:
                branches.append(cond.else_branch.span)
        # A conditional met only when the parser re-read the file for another target
        # (parser.py, alternatives.py) is nested in a branch this target skips: it is
        # scanned with that branch, whichever of its own branches it says it took.
        untaken: list[Span] = []
        for span in sorted(branches):
            if not (0 <= span.start <= span.end <= len(text)):
                continue
            if untaken and span.start < untaken[-1].end:
                continue  # inside a branch scanned already
            untaken.append(span)
        for span in untaken:
            for tok in lex(text[span.start:span.end]).tokens:
                start, end = span.start + tok.start, span.start + tok.end
                self.token_mention(tok, Span(start, end), body_at(start))

        invoked = self.invoked_macros(untaken)
        for name, macro in result.macros.items():
            if macro.library or macro.body is None or name in invoked:
                continue
            for tok in macro.body:
                self.token_mention(tok, Span(tok.start, tok.end), None)

    def token_mention(self, tok, span: Span, body: Body | None) -> None:
        if tok.kind == "IDENT":
            self.mention(tok.text, span, body)
        elif tok.kind == "EMBEDDED":
            self.embedded(tok.text, span, body)

    def invoked_macros(self, untaken: list[Span]) -> set[str]:
        """The file's macros invoked outside the branches the target does not take.

        Their expansions are in the tree.  (An invocation is looked for in the
        text: one written only in a comment counts too, which only means the
        macro's body is not scanned for mentions.)
        """
        own = {name for name, macro in self.unit.result.macros.items() if not macro.library}
        invoked: set[str] = set()
        if not own:
            return invoked
        starts = [span.start for span in untaken]
        for match in _INVOCATION.finditer(self.unit.text):
            name = match.group(1)
            if name not in own or name in invoked:
                continue
            at = match.start()
            i = bisect.bisect_right(starts, at) - 1
            if i >= 0 and at < untaken[i].end:
                continue  # in a branch the target skips (untaken spans are sorted and disjoint)
            invoked.add(name)
        return invoked


def library_functions(unit: "CheckUnit", name: str) -> list:
    """The tapset library's public functions of that name, for the target.

    A script function of the same name and arity replaces the library's for
    every caller, the library's own included: that is how the tapsets' callback
    hooks (tcpmib_filter_key, ...) are filled in (see type_check.library_prototypes).
    """
    view = unit.view
    return [f for f in unit.db.functions(name) if view.public(f) and view.exists(f)]
