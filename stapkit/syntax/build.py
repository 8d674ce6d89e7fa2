"""Building the AST while the parser reduces: one method per grammar rule.

The parser (parser.py) calls these through Lark as it reduces, so no parse
tree is ever built.  Children arrive as tokens (stapkit Token tuples) and
nodes, with None for an optional part that is absent.

Besides building nodes, this is where stap's parse-time rules that a
context-free grammar cannot say are checked: operator precedence over the
flat operator chain, `in` and `=~` not chained, print-family formats,
where histograms and `[a, b]` lists may stand, `return` only in functions,
guru-only syntax, and constructs newer than the target's SystemTap.
"""

from __future__ import annotations

from ..diagnostics import Diagnostic, Severity, Span
from . import ast, codes
from .literals import INT64_MIN, UINT64_MAX, number_value, source_offset, string_value, wrap_int64
from .printf_format import parse_format
from .target import version_text
from .tokens import Token

PRINT_FUNCTIONS = frozenset({
    "print", "println", "printf", "printd", "printdln", "print_char",
    "sprint", "sprintln", "sprintf", "sprintd", "sprintdln",
})
_HISTOGRAM_PRINTERS = frozenset({"print", "println", "sprint", "sprintln"})

# stap's precedence levels for the flat operator chain (parse.cxx, lowest first).
_LEVEL = {
    "OROR": 1, "ANDAND": 2, "VBAR": 3, "CIRC": 4, "AMP": 5, "IN": 6, "CMP_OP": 7, "MATCH_OP": 7,
    "SHIFT_OP": 8, "DOT": 9, "PLUS": 10, "MINUS": 10, "STAR": 11, "SLASH": 11, "PERCENT": 11,
}
MAX_CHAIN = 250  # binary operators in one expression (the corpora need at most ~20)

# A tuple element is a comparison-level expression (stap: parse_comparison_or_regex_query).
_BELOW_COMPARISON = frozenset({"||", "&&", "|", "^", "&"})

# SystemTap versions that introduced syntax (stap's has_version checks).
_SINCE = {
    "@kregister": (4, 0), "@uregister": (4, 0),
    "@kderef": (4, 0), "@uderef": (4, 0), "@enum": (5, 5), "@enumname": (5, 6),
}


def _start(x) -> int:
    return x[2] if type(x) is Token else x.span.start


def _end(x) -> int:
    return x[3] if type(x) is Token else x.span.end


_new = tuple.__new__


def _span(first, last) -> Span:
    return _new(Span, (first[2] if type(first) is Token else first.span[0],
                       last[3] if type(last) is Token else last.span[1]))


def _tok_span(tok: Token) -> Span:
    return _new(Span, (tok[2], tok[3]))


class AstBuilder:
    """One method per grammar rule (or `-> alias`), called with the rule's children.

    `reset()` before each declaration; read `diagnostics` after.
    """

    def __init__(self):
        self.reset()

    def reset(self, *, guru: bool = False, version: tuple[int, ...] = (99,), in_function: bool = False,
              version_origin: str = "--systemtap-version"):
        self.diagnostics: list[Diagnostic] = []
        self.guru = guru
        self.version = version
        self.version_origin = version_origin  # what set the version, for hints
        self.in_function = in_function
        self.bare_returns: list[Token] = []  # `return` with no value and no ';'
        self.pending_histograms: list[ast.HistOp] = []
        self.pending_tuples: list[ast.Tuple] = []

    def report(self, code: str, message: str, span: Span, severity=Severity.ERROR, hints=()):
        self.diagnostics.append(Diagnostic(code, message, span, severity, hints=tuple(hints)))

    def finish_declaration(self, had_syntax_errors: bool) -> None:
        """Report what was left unconsumed: histograms and lists outside their places."""
        if not had_syntax_errors:
            for hist in self.pending_histograms:
                self.report(codes.MISPLACED_HISTOGRAM,
                            f"base histogram operator where expression expected: {hist.kind}() can "
                            f"only be printed whole (print/println), iterated (foreach) or indexed",
                            hist.span,
                            hints=(f"index it for one bucket: {hist.kind}(...)[i]",))
            for tup in self.pending_tuples:
                self.report(codes.INVALID_EXPRESSION,
                            "unexpected comma-separated expression list: '[a, b]' is only valid "
                            "before 'in'", tup.span)
        self.pending_histograms = []
        self.pending_tuples = []

    def require_version(self, word: str, span: Span) -> None:
        since = _SINCE.get(word)
        if since and self.version < since:
            self.report(codes.NEWER_LANGUAGE_FEATURE,
                        f"unknown operator {word}: it needs SystemTap {version_text(since)} or newer "
                        f"(the target is {version_text(self.version)})",
                        span, hints=(f"the target version comes from {self.version_origin}",))

    def require_guru(self, code: str, message: str, span: Span) -> None:
        if not self.guru:
            self.report(code, message, span,
                        hints=("run with -g (guru mode): put '#! stap -g' on the first line, "
                               "or pass --guru",))

    # ------------------------------------------------------------ declarations

    def item(self, decl):
        return decl

    def embedded_decl(self, tok):
        span = _tok_span(tok)
        self.require_guru(codes.EMBEDDED_C_NEEDS_GURU, "embedded code in unprivileged script; need stap -g",
                          span)
        return ast.EmbeddedCode(tok[1][2:-2], span)

    def global_decl(self, kw, variables):
        return ast.GlobalDecl(variables, False, _span(kw, variables[-1] if variables else kw))

    def private_global_decl(self, kw, *rest):
        variables = rest[-1]
        return ast.GlobalDecl(variables, True, _span(kw, variables[-1] if variables else kw))

    def global_vars(self, *children):
        return tuple(c for c in children if isinstance(c, ast.GlobalVar))

    def global_var(self, name, percent, lsqb, size, rsqb, eq, init):
        if size is not None and isinstance(size, ast.NumberLit) and not (0 < size.value <= 2**31 - 1):
            self.report(codes.INVALID_DECLARATION,
                        f"array size out of range: {size.text} (must be 1 to 2147483647)", size.span)
        if init is not None and size is not None:
            self.report(codes.INVALID_DECLARATION, "only scalar globals can be initialized",
                        _tok_span(eq), hints=("an array with a size cannot have an initial value",))
        last = init or rsqb or percent or name
        return ast.GlobalVar(name[1], percent is not None, size, init, _span(name, last), _tok_span(name))

    def function_decl(self, kw, rest):
        return self._function(kw, rest, private=False)

    def private_function_decl(self, kw, fn_kw, rest):
        return self._function(kw, rest, private=True)

    def _function(self, kw, rest, private):
        name_tok, return_type, params, priority, body = rest
        return ast.FunctionDecl(name_tok[1], return_type, params, priority, body, private,
                                _span(kw, body), _tok_span(name_tok))

    def function_rest(self, name, colon, type_tok, lpar, params, rpar, colon2, priority, body):
        if priority is not None:
            if not isinstance(priority, ast.NumberLit):
                if not isinstance(priority, ast.ScriptArgument):
                    self.report(codes.INVALID_DECLARATION, "expected literal number (a function priority)",
                                priority.span)
            elif priority.value < 1:
                self.report(codes.INVALID_DECLARATION, "specified priority must be > 0", priority.span,
                            hints=("priority 0 is reserved for script functions without a priority",))
        seen = set()
        for param in params or ():
            if param.name in seen:
                self.report(codes.INVALID_DECLARATION, f"duplicate parameter names: '{param.name}'",
                            param.span)
            seen.add(param.name)
        return (name, type_tok[1] if type_tok is not None else None, params or (), priority, body)

    def function_name(self, tok):
        return tok

    def type_name(self, tok):
        return tok

    def params(self, *children):
        return tuple(c for c in children if isinstance(c, ast.Param))

    def param(self, name, colon, type_tok):
        last = type_tok or name
        return ast.Param(name[1], type_tok[1] if type_tok is not None else None, _span(name, last))

    def function_body(self, body):
        if type(body) is Token:
            span = _tok_span(body)
            self.require_guru(codes.EMBEDDED_C_NEEDS_GURU,
                              "embedded code in unprivileged script; need stap -g", span)
            return ast.EmbeddedCode(body[1][2:-2], span)
        return body

    def probe_decl(self, kw, points, *rest):
        tails = [r for r in rest if type(r) is tuple and len(r) == 2 and type(r[0]) is Token]
        blocks = [r for r in rest if isinstance(r, ast.Block)]
        comma = next((r for r in rest if type(r) is Token and r[0] == "COMMA"), None)
        body = blocks[0]
        epilogue = blocks[1] if len(blocks) > 1 else None
        last = epilogue or body
        if not tails:
            if epilogue is not None:
                self.report(codes.SYNTAX_ERROR,
                            "expected 'probe', 'global', 'private', 'function', or '%{': "
                            "only an alias definition can have a second (epilogue) block",
                            _tok_span(comma))
            return ast.ProbeDecl(points, body, _span(kw, body))
        # probe NAME = [NAME = ...] POINTS: every list but the last names an alias.
        lists = [(None, points)] + [(op, pts) for op, pts in tails]
        names = []
        for (_, name_points), (op, _) in zip(lists, lists[1:]):
            if len(name_points) != 1:
                self.report(codes.INVALID_PROBE_POINT,
                            "expected probe point specifier: an alias defines one name at a time",
                            name_points[1].span)
            for point in name_points:
                if point.optional or point.sufficient:
                    self.report(codes.INVALID_PROBE_POINT,
                                "probe point alias name cannot be optional nor sufficient", point.span)
                names.append(ast.AliasName(point, op[1], Span(point.span.start, op[3])))
        decl = ast.AliasDecl(tuple(names), lists[-1][1], body, epilogue, _span(kw, last))
        if epilogue is not None and decl.is_epilogue:
            self.report(codes.INVALID_PROBE_POINT,
                        "Combined prologue and epilogue cannot be defined with '+='", _tok_span(comma),
                        hints=("use '=' to give an alias both a prologue and an epilogue block",))
        return decl

    def alias_tail(self, op, points):
        return (op, points)

    # ------------------------------------------------------------ probe points

    def probe_points(self, *children):
        return tuple(c for c in children if isinstance(c, ast.ProbePoint))

    def probe_point(self, *children):
        # component (DOT component)* [QMARK|BANG] [IF LPAR expr RPAR]
        components = []
        i = 0
        n = len(children)
        while i < n and (isinstance(children[i], (ast.Component, ast.BraceGroup))
                         or (type(children[i]) is Token and children[i][0] == "DOT")):
            if type(children[i]) is not Token:
                components.append(children[i])
            i += 1
        mark, if_tok, lpar, condition, rpar = children[i:i + 5]
        optional = mark is not None
        sufficient = mark is not None and mark[1] == "!"
        # '?', '!' and 'if' belong after the last component only; inside a brace
        # group they are fine on the group's last alternatives' ends.
        for comp in components[:-1]:
            if isinstance(comp, ast.BraceGroup):
                for point in comp.points:
                    for p in point.expand():
                        if p.optional or p.sufficient or p.condition is not None:
                            self.report(codes.INVALID_PROBE_POINT,
                                        "'?', '!' or condition must only be specified in suffix",
                                        p.span)
                            break
        if components and isinstance(components[-1], ast.BraceGroup):
            inner = [p for point in components[-1].points for p in point.expand()]
            if optional and any(p.optional for p in inner):
                self.report(codes.INVALID_PROBE_POINT, "'?' or '!' respecified", _tok_span(mark))
            if condition is not None and any(p.condition is not None for p in inner):
                self.report(codes.INVALID_PROBE_POINT, "condition respecified", _tok_span(if_tok))
        last = rpar or mark or components[-1]
        return ast.ProbePoint(tuple(components), optional, sufficient, condition,
                              _span(components[0], last))

    def named_component(self, name, lpar, arg, rpar):
        return ast.Component(name[1], arg, _span(name, rpar or name))

    def brace_component(self, lbrace, points, rbrace):
        return ast.BraceGroup(points, _span(lbrace, rbrace))

    # ------------------------------------------------------------ statements

    def block(self, lbrace, *rest):
        return ast.Block(rest[:-1], _span(lbrace, rest[-1]))

    def empty_statement(self, semi):
        return ast.EmptyStmt(_tok_span(semi))

    def try_statement(self, kw, body, catch, lpar, var, rpar, catch_body):
        variable = ast.Variable(var[1], _tok_span(var)) if var is not None else None
        return ast.TryStmt(body, variable, catch_body, _span(kw, catch_body))

    def if_statement(self, kw, lpar, cond, rpar, then, else_kw, otherwise):
        return ast.IfStmt(cond, then, otherwise, _span(kw, otherwise or then))

    def while_statement(self, kw, lpar, cond, rpar, body):
        return ast.WhileStmt(cond, body, _span(kw, body))

    def for_statement(self, kw, lpar, init, semi1, cond, semi2, step, rpar, body):
        return ast.ForStmt(init, cond, step, body, _span(kw, body))

    def foreach_statement(self, kw, lpar, head, rpar, body):
        (value, keys, bracketed, array, slices, aggregate, sort, limit) = head
        marks = [m for m in (value.sort if value else None, sort, *(k.sort for k in keys)) if m]
        if len(marks) > 1:
            self.report(codes.INVALID_EXPRESSION, "multiple sort directives: a foreach sorts by one column",
                        Span(kw[2], rpar[3]))
        return ast.ForeachStmt(value, keys, bracketed, array, slices, aggregate, sort, limit, body,
                               _span(kw, body))

    def return_statement(self, kw, value, semi):
        if not self.in_function:
            self.report(codes.RETURN_OUTSIDE_FUNCTION, "found 'return' not in function context",
                        _tok_span(kw), hints=("use 'next' to leave a probe handler early",))
        if value is None and semi is None:
            # stap takes a bare `return` only before ';' or '}' (checked by the parser).
            self.bare_returns.append(kw)
        return ast.ReturnStmt(value, _span(kw, semi or value or kw), semi is not None)

    def delete_statement(self, kw, target, semi):
        return ast.DeleteStmt(target, _span(kw, semi or target), semi is not None)

    def break_statement(self, kw, semi):
        return ast.BreakStmt(_span(kw, semi or kw), semi is not None)

    def continue_statement(self, kw, semi):
        return ast.ContinueStmt(_span(kw, semi or kw), semi is not None)

    def next_statement(self, kw, semi):
        return ast.NextStmt(_span(kw, semi or kw), semi is not None)

    def expr_statement(self, expr, semi):
        return ast.ExprStmt(expr, _span(expr, semi or expr), semi is not None)

    # ------------------------------------------------------------ foreach

    def foreach_head(self, vars_, in_kw, array, lsqb, slices, rsqb, sort, limit_kw, limit):
        value, keys, bracketed = vars_
        aggregate = None
        sort_mark = None
        if sort is not None:
            aggregate, sort_mark = sort
        if isinstance(array, ast.HistOp):
            _forget(self.pending_histograms, array)
        return (value, keys, bracketed, array, slices, aggregate, sort_mark, limit)

    def foreach_keys_only(self, key):
        return (None, (key,), False)

    def foreach_value_keys(self, value, eq, keys):
        return (value, keys[1], keys[2])

    def foreach_bracket_keys(self, lsqb, keys, rsqb):
        return (None, keys, True)

    def key_list(self, *children):
        return tuple(c for c in children if isinstance(c, ast.ForeachKey))

    def foreach_key(self, name, sort):
        variable = ast.Variable(name[1], _tok_span(name))
        return ast.ForeachKey(variable, sort[1] if sort is not None else None, _span(name, sort or name))

    def slices(self, *children):
        return tuple(c for c in children if type(c) is not Token)

    def foreach_sort(self, aggregate, mark):
        return (aggregate[1] if aggregate is not None else None, mark[1])

    # ------------------------------------------------------------ expressions

    def assignment(self, target, op, value):
        return ast.Assignment(op[1], target, value, _span(target, value))

    def ternary(self, cond, qmark, then, colon, otherwise):
        return ast.Ternary(cond, then, otherwise, _span(cond, otherwise))

    def binary_chain(self, *items):
        """Apply stap's precedence to `operand (op operand)*` (shunting-yard)."""
        if len(items) > 2 * MAX_CHAIN:
            # The tree of a chain is as deep as the chain is long; past this
            # everything that walks trees recursively would overflow.
            self.report(codes.INVALID_EXPRESSION,
                        f"expression too long: {len(items) // 2} binary operators in a row "
                        f"(stapkit checks at most {MAX_CHAIN}); split it", _span(items[0], items[-1]))
            return items[0]
        operands = [items[0]]
        ops: list[Token] = []
        previous: Token | None = None
        for k in range(1, len(items), 2):
            op = items[k]
            level = _LEVEL[op[0]]
            if previous is not None:
                prev_kind = previous[0]
                # `k in a` and `s =~ "x"` end their level: nothing of their level
                # or tighter may follow without parentheses.
                if (prev_kind == "IN" and level >= 6) or (prev_kind == "MATCH_OP" and level >= 7):
                    what = "an 'in' expression" if prev_kind == "IN" else f"a '{previous[1]}' match"
                    self.report(codes.INVALID_EXPRESSION,
                                f"'{op[1]}' cannot follow {what}; add parentheses", _tok_span(op))
                elif op[0] == "MATCH_OP" and prev_kind == "CMP_OP" and level == 7:
                    self.report(codes.INVALID_EXPRESSION,
                                f"'{op[1]}' cannot follow a comparison; add parentheses", _tok_span(op))
                elif op[0] == "CMP_OP" and prev_kind == "MATCH_OP":
                    pass  # reported above
            while ops and _LEVEL[ops[-1][0]] >= level:
                self._reduce(operands, ops)
            ops.append(op)
            operands.append(items[k + 1])
            previous = op
        while ops:
            self._reduce(operands, ops)
        return operands[0]

    def _reduce(self, operands, ops):
        op = ops.pop()
        right = operands.pop()
        left = operands.pop()
        kind = op[0]
        if kind == "IN":
            if isinstance(left, ast.Tuple):
                _forget(self.pending_tuples, left)
                node = ast.InExpr(left.items, right, True, _span(left, right))
            else:
                node = ast.InExpr((left,), right, False, _span(left, right))
            if isinstance(right, ast.HistOp):
                _forget(self.pending_histograms, right)
        elif kind == "MATCH_OP":
            node = ast.RegexMatch(op[1], left, right, _span(left, right))
        else:
            node = ast.Binary(op[1], left, right, _span(left, right))
        operands.append(node)

    def _check_not_tuple(self, node):
        if isinstance(node, ast.Paren) and isinstance(node.expr, ast.Tuple):
            _forget(self.pending_tuples, node.expr)
            self.report(codes.INVALID_EXPRESSION,
                        "unexpected comma-separated expression list: write '[a, b] in arr' "
                        "without parentheses around the list", node.span)

    def unary(self, op, operand):
        return ast.Unary(op[1], operand, _span(op, operand))

    def pre_crement(self, op, operand):
        return ast.Crement(op[1], operand, True, _span(op, operand))

    def post_crement(self, operand, op):
        return ast.Crement(op[1], operand, False, _span(operand, op))

    def address_of(self, amp, operand):
        inner = operand.expr if isinstance(operand, ast.Paren) else operand
        while isinstance(inner, ast.Paren):
            inner = inner.expr
        if isinstance(inner, ast.AddressOf):
            self.report(codes.INVALID_EXPRESSION, "cannot take address more than once", _tok_span(amp))
        return ast.AddressOf(operand, _span(amp, operand))

    def address_of_access(self, amp, base, *rest):
        return self.address_of(amp, self.access(base, *rest))

    def access(self, base, *rest):
        """`base` followed by `->member`, `[index]` steps and a `$`/`$$` mark."""
        steps = [item for item in rest if item is not None and type(item) is not Token]
        marks = [item for item in rest if type(item) is Token]
        last = rest[-1] if rest and rest[-1] is not None else (steps[-1] if steps else base)
        pretty = marks[0][1] if marks else None
        # A mark can also be the tail of a name: `$var$` (target_variable() has
        # made it an Access already) or `->member$`.  Nothing may follow a mark.
        if isinstance(base, ast.Access) and base.pretty and not base.steps:
            if steps or pretty:
                self.report(codes.INVALID_EXPRESSION,
                            "-> and [ are not accepted for a pretty-printing variable",
                            steps[0].span if steps else _tok_span(marks[0]))
            pretty = pretty or base.pretty
            base = base.base
        for i, step in enumerate(steps):
            if isinstance(step, ast.Member) and step.name.endswith("$"):
                name = step.name.rstrip("$")
                if i + 1 < len(steps) or marks:
                    after = steps[i + 1].span if i + 1 < len(steps) else _tok_span(marks[0])
                    self.report(codes.INVALID_EXPRESSION,
                                "-> and [ are not accepted for a pretty-printing variable", after)
                pretty = pretty or step.name[len(name):]
                steps[i] = ast.Member(name, step.span) if name else None
        steps = tuple(s for s in steps if s is not None)
        return ast.Access(base, steps, pretty, _span(base, last))

    def member_step(self, arrow, member):
        return ast.Member(member[1], _span(arrow, member))

    def index_step(self, lsqb, index, rsqb):
        return ast.Subscript(index, _span(lsqb, rsqb))

    def member(self, tok):
        return tok

    def keyword(self, tok):
        return tok

    def variable(self, name):
        return ast.Variable(name[1], _tok_span(name))

    def array_index(self, name, lsqb, indexes, rsqb):
        array = ast.Variable(name[1], _tok_span(name))
        return ast.ArrayIndex(array, indexes, _span(name, rsqb))

    def hist_bucket(self, hist, lsqb, index, rsqb):
        return ast.ArrayIndex(hist, (index,), _span(hist, rsqb))

    def call(self, name, lpar, args, rpar):
        args = args or ()
        span = _span(name, rpar)
        fname = name[1]
        if fname not in PRINT_FUNCTIONS:
            return ast.Call(fname, args, span, _tok_span(name))
        return self._print_call(fname, args, span, _tok_span(name), rpar)

    def _print_call(self, fname, args, span, name_span, rpar):
        if (fname in _HISTOGRAM_PRINTERS and len(args) == 1 and isinstance(args[0], ast.HistOp)
                and _forget(self.pending_histograms, args[0])):
            return ast.PrintCall(fname, args, span, name_span)
        node = ast.PrintCall(fname, args, span, name_span)
        if node.has_format or node.has_delimiter:
            what = "format" if node.has_format else "delimiter"
            first = args[0] if args else None
            if not isinstance(first, ast.StringLit):
                where = first.span if first is not None else Span(rpar[2], rpar[3])
                self.report(codes.INVALID_PRINT_CALL,
                            f"expected literal string: the {what} of {fname}() must be a string literal",
                            where)
            elif node.has_format and not first.has_arguments:
                _, error = parse_format(first.value)
                if error is not None:
                    self.report(codes.INVALID_PRINT_FORMAT, error.message,
                                _format_span(first, error.offset, self.version))
            if node.has_delimiter and len(args) < 3:
                self.report(codes.INVALID_PRINT_CALL,
                            f"{fname}() needs a delimiter and at least two values to separate",
                            Span(rpar[2], rpar[3]))
        elif fname in ("print", "sprint", "print_char") and not args:
            self.report(codes.INVALID_PRINT_CALL, f"expected value: {fname}() needs an argument",
                        Span(rpar[2], rpar[3]))
        return node

    def target_variable(self, tok):
        name = tok[1]
        mark = _pretty_suffix(name)
        if mark:
            base = ast.TargetVariable(name[: -len(mark)], _tok_span(tok))
            return ast.Access(base, (), mark, _tok_span(tok))
        return ast.TargetVariable(name, _tok_span(tok))

    def number(self, tok):
        value = number_value(tok[1])
        if value is None:
            self.report(codes.INVALID_NUMBER, f"number invalid or out of range: '{tok[1]}'", _tok_span(tok),
                        hints=("numbers are decimal, 0x hexadecimal or 0 octal, "
                               f"from 0 to {UINT64_MAX}",))
            value = 0
        return ast.NumberLit(wrap_int64(value), tok[1], _tok_span(tok))

    def negative_number(self, minus, tok):
        value = number_value(tok[1])
        span = _span(minus, tok)
        if value is None or -value < INT64_MIN:
            self.report(codes.INVALID_NUMBER, f"number invalid or out of range: '-{tok[1]}'", span)
            value = 0
        return ast.NumberLit(wrap_int64(-value & UINT64_MAX) if value else 0, "-" + tok[1], span)

    def negative_argument(self, minus, tok):
        """`-$1` where a literal number is expected (stap pastes the argument after the '-')."""
        return ast.Unary("-", ast.ScriptArgument(tok[1], None, _tok_span(tok)), _span(minus, tok))

    def script_argument(self, tok, lpar=None, args=None, rpar=None):
        if lpar is None:
            return ast.ScriptArgument(tok[1], None, _tok_span(tok))
        # `$3(x)`: the argument is pasted in as a function name.
        return ast.ScriptArgument(tok[1], args or (), _span(tok, rpar))

    def string_literal(self, *toks):
        version = self.version
        value = "".join(string_value(t[1], version) for t in toks if t[0] == "STRING")
        return ast.StringLit(value, tuple(t[1] for t in toks), _span(toks[0], toks[-1]))

    def embedded_expr(self, tok):
        span = _tok_span(tok)
        self.require_guru(codes.EMBEDDED_C_NEEDS_GURU,
                          "embedded expression code in unprivileged script; need stap -g", span)
        return ast.EmbeddedExpr(tok[1][2:-2], span)

    def paren(self, lpar, expr, rpar):
        node = ast.Paren(expr, _span(lpar, rpar))
        if isinstance(expr, ast.Tuple):
            self._check_not_tuple(node)
        return node

    def tuple(self, lsqb, items, rsqb):
        for item in items:
            if (isinstance(item, (ast.Assignment, ast.Ternary)) or
                    (isinstance(item, ast.Binary) and item.op in _BELOW_COMPARISON) or
                    isinstance(item, ast.InExpr)):
                self.report(codes.INVALID_EXPRESSION,
                            "expected ',' or ']': an element of '[...] in' is a comparison or simpler; "
                            "parenthesize it", item.span)
        if len(items) == 1 and not isinstance(items[0], ast.Wildcard):
            return items[0]  # stap reads `[a]` as `a`
        node = ast.Tuple(items, _span(lsqb, rsqb))
        self.pending_tuples.append(node)
        return node

    def wildcard(self, star):
        return ast.Wildcard(_tok_span(star))

    def indexes(self, *children):
        return tuple(c for c in children if type(c) is not Token)

    def arguments(self, *children):
        return tuple(c for c in children if type(c) is not Token)

    def cast(self, at, lpar, operand, comma, type_name, comma2, module, rpar):
        if not type_name.value and not type_name.has_arguments:
            self.report(codes.INVALID_OPERATOR_ARGUMENT, "expected non-empty string: the type to cast to",
                        type_name.span)
        return ast.Cast(operand, type_name, module, _span(at, rpar))

    def at_var(self, at, lpar, name, comma, module, rpar):
        return ast.AtVar(name, module, _span(at, rpar))

    def hist_op(self, at, lpar, operand, *rest):
        params = tuple(r for r in rest if isinstance(r, ast.Node))
        return ast.HistOp(at[1], operand, params, _span(at, rest[-1]))

    def bare_hist(self, hist):
        self.pending_histograms.append(hist)
        return hist

    def stat_op(self, at, lpar, operand, comma, param, rpar):
        span = _span(at, rpar)
        word = at[1]
        self.require_version(word, _tok_span(at))
        params = (param,) if param is not None else ()
        if params and word != "@variance":
            self.report(codes.INVALID_OPERATOR_ARGUMENT, f"not more than 1 parameter allowed: {word}(s) "
                        "takes only the statistic", param.span)
        elif params and isinstance(param, ast.NumberLit) and not 0 <= param.value <= 62:
            self.report(codes.INVALID_OPERATOR_ARGUMENT, f"bit shift ({param.value}) out of range <0..62>",
                        param.span)
        return ast.StatOp(word, operand, params, span)

    def defined(self, at, lpar, operand, rpar):
        return ast.Defined(operand, _span(at, rpar))

    def probewrite(self, at, lpar, name, rpar):
        return ast.ProbeWrite(ast.Variable(name[1], _tok_span(name)), _span(at, rpar))

    def entry(self, at, lpar, operand, rpar):
        return ast.Entry(operand, _span(at, rpar))

    def perf(self, at, lpar, name, rpar):
        if not name.value and not name.has_arguments:
            self.report(codes.INVALID_OPERATOR_ARGUMENT, "expected non-empty string: the perf counter name",
                        name.span)
        return ast.Perf(name, _span(at, rpar))

    def const(self, at, lpar, text, rpar):
        span = _span(at, rpar)
        self.require_version("@const", _tok_span(at))
        self.require_guru(codes.GURU_OPERATOR_NEEDS_GURU, "using @const operator not permitted; need stap -g",
                          _tok_span(at))
        if not text.value and not text.has_arguments:
            self.report(codes.INVALID_OPERATOR_ARGUMENT, "expected non-empty string: the C expression",
                        text.span)
        return ast.Const(text, span)

    def enum(self, at, lpar, name, rpar):
        self.require_version("@enum", _tok_span(at))
        if not name.value and not name.has_arguments:
            self.report(codes.INVALID_OPERATOR_ARGUMENT, "expected non-empty string: the enumerator name",
                        name.span)
        return ast.Enum(name, _span(at, rpar))

    def enumname(self, at, lpar, operand, comma, type_name, comma2, module, rpar):
        self.require_version("@enumname", _tok_span(at))
        if type_name is not None and not type_name.value and not type_name.has_arguments:
            self.report(codes.INVALID_OPERATOR_ARGUMENT, "expected non-empty string: the enum type",
                        type_name.span)
        return ast.EnumName(operand, type_name, module, _span(at, rpar))

    def register(self, at, lpar, number, rpar):
        word = at[1]
        self.require_version(word, _tok_span(at))
        if word == "@kregister":
            self.require_guru(codes.GURU_OPERATOR_NEEDS_GURU,
                              "using @kregister operator not permitted; need stap -g", _tok_span(at))
        return ast.Register(word, number, _span(at, rpar))

    def deref(self, at, lpar, size, comma, address, rpar):
        word = at[1]
        self.require_version(word, _tok_span(at))
        if word == "@kderef":
            self.require_guru(codes.GURU_OPERATOR_NEEDS_GURU,
                              "using @kderef operator not permitted; need stap -g", _tok_span(at))
        if isinstance(size, ast.NumberLit) and size.value not in (1, 2, 4, 8):
            self.report(codes.INVALID_OPERATOR_ARGUMENT, f"{word} size must be 1, 2, 4 or 8 bytes",
                        size.span)
        return ast.Deref(word, size, address, _span(at, rpar))

    def unknown_operator(self, at, lpar, args, rpar):
        word = at[1]
        span = _span(at, rpar or at)
        if word in _SINCE:
            self.require_version(word, _tok_span(at))
        else:
            self.report(codes.UNKNOWN_OPERATOR, f"unknown operator {word}" if word != "@" else
                        "unexpected '@'", _tok_span(at),
                        hints=("not a built-in @operator, and no macro of this name is defined "
                               "before this line (or in the tapset library)",))
        return ast.UnknownOperator(word, args if lpar is not None else None, span)

    def library_macro(self, at, lpar, args, rpar):
        return ast.MacroCall(at[1], (args or ()) if lpar is not None else None, _span(at, rpar or at))


def _format_span(literal: ast.StringLit, offset: int, version) -> Span:
    """The span of a format error: the conversion itself when the string is one piece."""
    if len(literal.pieces) == 1:
        at = source_offset(literal.pieces, offset, version)
        if at is not None:
            start = literal.span.start + at
            end = start + 1
            text = literal.pieces[0]
            # through the conversion letter (or the end of the string)
            while end < literal.span.end - 1 and end - literal.span.start < len(text) - 1 and \
                    not text[end - literal.span.start].isalpha():
                end += 1
            return Span(start, min(end + 1, literal.span.end - 1))
    return literal.span


def _forget(pending: list, node) -> bool:
    """Take `node` itself (not an equal one) off a pending list; True if it was there."""
    for i, item in enumerate(pending):
        if item is node:
            del pending[i]
            return True
    return False


def _pretty_suffix(name: str) -> str:
    """The trailing `$`/`$$` of `$var$`, if any (not the leading `$` of the name)."""
    stripped = name.rstrip("$")
    if stripped and len(stripped) < len(name) and stripped != "$":
        return name[len(stripped):]
    return ""
