"""The preprocessor: `@define` macros and `%( %? %: %)` conditionals.

It works on tokens, as stap does (parse.cxx `scan_pp1` and `scan_pp`), in two
layers:

* the macro layer takes `@define NAME(P1, ...) %( BODY %)` definitions out of
  the stream and replaces an invocation `@NAME(ARG1, ...)` by the body, with
  `@P1` in the body replaced by ARG1 (an argument is a run of tokens up to an
  unbracketed `,` or `)`);
* the conditional layer, reading from the macro layer, evaluates each
  `%( COND %? ... %: ... %)` against the target and keeps one branch.

Rules that follow stap and may surprise:
* a macro is visible after its definition, in its own file only; library
  macros (from `.stpm` files) are visible everywhere, and inside a library
  macro only library macros are;
* a macro without parameters called as `@m(a, b)` leaves `(a, b)` in place;
* `@define` inside a skipped branch defines nothing (PR18462);
* an `@word` that is not a macro is left for the parser (`@cast`, ...).

Tokens that come out of a macro body get the span of the invocation, so every
span stays within the file; their `origin` says which macro they came from.
Every conditional taken from the file is recorded with the branch it took, so
the parser can check the branches that were not taken (see parser.py).
"""

from __future__ import annotations

from typing import NamedTuple

import attrs

from ..diagnostics import Diagnostic, Related, Severity, Span
from . import codes
from .conditions import Condition, ConditionError, Term, evaluate
from .lexer import BadArgument
from .target import Target
from .tokens import AT_WORD_SINCE, AT_WORDS, Token, make_token

MAX_MACRO_DEPTH = 100
# The most tokens the macro expansions of one file may read from macro bodies
# and arguments.  Macros can expand exponentially (`@define m %( @m @m %)`,
# or nine macros each invoking the previous one ten times), so the expander
# has a budget; past it, one finding (STP046) at the invocation.  The largest
# real file (of the tapsets, examples and testsuite) reads 18,330 tokens
# (tapset/python3.stp); the bound is 55 times that, and reached in about a
# second on exponential input.
MAX_EXPANDED_TOKENS = 1_000_000
INVOCATION_COST = 10

# Token kinds that make the preprocessor stop and look; everything else goes
# straight through.  Every @word could be a macro invocation.
_AT_KINDS = frozenset(kind for word, kind in AT_WORDS.items() if word != "@define") | {"AT_OTHER"}
_SPECIAL_KINDS = _AT_KINDS | {"DEFINE", "PP_OPEN", "PP_THEN", "PP_ELSE", "PP_CLOSE", "ARG_NUM", "ARG_STR"}
_MARKER_KINDS = frozenset({"PP_OPEN", "PP_THEN", "PP_ELSE", "PP_CLOSE"})
# Built-in @operators, by the version that introduced them (for the redefinition warning).
_BUILTIN_AT_WORDS = {word[1:] for word in AT_WORDS if word != "@define"}


@attrs.frozen(eq=False)
class MacroDef:
    name: str
    params: tuple[str, ...]
    # The body's tokens; None for a library macro known only by its signature
    # (no SystemTap installation to read it from).
    body: tuple[Token, ...] | None
    span: Span  # the name in its @define, in the file that defines it
    path: str | None = None  # the defining file for a library macro; None: this file
    library: bool = False
    text: str | None = attrs.field(default=None, repr=False)  # the defining file's text (library macros)


@attrs.frozen(eq=False)
class MacroOrigin:
    """Where a token of a macro expansion came from."""

    macro: MacroDef
    invocation: Span  # the outermost invocation, in the file being parsed
    parent: "MacroOrigin | None" = None


def expanded_from(token: Token) -> tuple[MacroOrigin, Token] | None:
    """For a token that came out of a macro body: the expansion, and the token as written there.

    The preprocessor sets such a token's `origin` to the plain pair
    (MacroOrigin, original token): a pair is cheaper than any record, and
    hundreds of thousands of tokens of the tapset library come from macros.
    """
    origin = token.origin
    if type(origin) is tuple and len(origin) == 2 and type(origin[0]) is MacroOrigin:
        return origin
    return None


@attrs.frozen
class Branch:
    """One branch of a conditional: the tokens between its markers."""

    span: Span  # from after %? (or %:) to the start of %: (or %))
    condition_text: str  # "kernel_v >= \"2.6.30\"" or its negation, for messages


@attrs.frozen
class Conditional:
    """A `%( ... %)` of the file, as the preprocessor met it."""

    open: Span  # the "%(" token
    condition: Condition | None  # None when it could not be read
    then_branch: Branch
    else_branch: Branch | None
    end: int  # offset after "%)" (or the end of the file)
    taken: bool | None  # True: then branch; False: else branch; None: not decided
    parent: tuple[int, bool] | None  # (open offset, branch) of the enclosing conditional

    def branch(self, which: bool) -> Branch | None:
        return self.then_branch if which else self.else_branch


class PreprocessResult(NamedTuple):
    tokens: list[Token]
    diagnostics: list[Diagnostic]
    conditionals: list[Conditional]
    macros: dict[str, MacroDef]  # the file's own @define's
    expanded: int = 0  # tokens read from macro bodies and arguments (the expansion budget spent)


class _ParamBinding(NamedTuple):
    tokens: list[Token]
    caller: "_Activation | None"  # whose parameters the argument may refer to


class _ExpansionAbandoned(Exception):
    """An expansion past a bound: the outermost invocation is given up (see `abandon`)."""

    def __init__(self, code: str, message: str, hints: tuple[str, ...] = ()):
        super().__init__(message)
        self.code = code
        self.message = message
        self.hints = hints


class _Outermost(NamedTuple):
    """The invocation in the file that the macro bodies being read come from."""

    token: Token  # its @name
    span: Span  # from @name to the ')' of its arguments
    out_len: int  # the output's length before it
    open_len: int  # the open conditionals before it


class _Activation:
    """A macro body (or a macro argument) being read."""

    __slots__ = ("body", "cursor", "params", "library", "remap", "start", "end", "origin")

    def __init__(self, body, params, library, remap, start, end, origin):
        self.body = body
        self.cursor = 0
        self.params = params  # name -> _ParamBinding
        self.library = library  # file macros are invisible inside library macros
        self.remap = remap  # give body tokens the invocation's span (not for arguments)
        self.start = start
        self.end = end
        self.origin = origin


class _OpenConditional:
    __slots__ = ("open", "condition", "taken", "keeping", "then_start", "then_end",
                 "else_start", "seen_else", "parent", "from_file", "record")

    def __init__(self, open_tok, condition, taken, parent, from_file):
        self.open = open_tok
        self.condition = condition
        self.taken = taken
        self.keeping = taken is not False  # are we inside a kept branch right now?
        self.then_start = -1
        self.then_end = -1
        self.else_start = -1
        self.seen_else = False
        self.parent = parent
        self.from_file = from_file
        self.record = True


def preprocess(
    tokens: list[Token],
    *,
    target: Target,
    library_macros: dict[str, MacroDef] | None = None,
    argc: int = 0,
    forced: dict[int, bool] | None = None,
    path: str | None = None,
    max_expanded_tokens: int = MAX_EXPANDED_TOKENS,
) -> PreprocessResult:
    """Expand macros and resolve conditionals for `target`.

    `argc` is what `$#` counts when the arguments are placeholders.  `forced`
    maps the offset of a conditional's `%(` to the branch it must take
    whatever its condition says (used to check branches no target reaches).
    `max_expanded_tokens` bounds the tokens read from macro bodies (and
    arguments) in all; past it, an invocation is reported and left unexpanded.
    """
    return _Preprocessor(tokens, target, library_macros or {}, argc, forced or {}, path,
                         max_expanded_tokens).run()


class _Preprocessor:
    def __init__(self, tokens, target, library, argc, forced, path, max_expanded_tokens):
        self.tokens = tokens
        self.n = len(tokens)
        self.i = 0
        self.target = target
        self.library = library
        self.argc = argc
        self.forced = forced
        self.path = path
        self.stack: list[_Activation] = []
        self.macros: dict[str, MacroDef] = {}
        self.out: list[Token] = []
        self.diagnostics: list[Diagnostic] = []
        self.conditionals: list[Conditional] = []
        self.open: list[_OpenConditional] = []
        self.version = target.language_version
        self.budget = max_expanded_tokens
        self.limit = max_expanded_tokens
        self.expanded = 0  # tokens read from macro bodies and arguments so far
        self.over_budget = False  # once over, no further invocation is expanded
        self.outermost: _Outermost | None = None

    # -- reporting -------------------------------------------------------

    def error(self, code, message, tok_or_span, severity=Severity.ERROR, related=(), hints=()):
        span = tok_or_span if isinstance(tok_or_span, Span) else Span(tok_or_span.start, tok_or_span.end)
        self.diagnostics.append(Diagnostic(code, message, span, severity, related=tuple(related),
                                           hints=tuple(hints)))

    # -- raw token sources -----------------------------------------------

    def raw_next(self, *, within_body: bool = False) -> Token | None:
        """The next unexpanded token: from the innermost macro body, else the file.

        With `within_body`, the end of the innermost body is the end (None),
        as stap's next_pp1 has it when reading macro arguments.
        """
        stack = self.stack
        while stack:
            act = stack[-1]
            cursor = act.cursor
            body = act.body
            if cursor < len(body):
                tok = body[cursor]
                act.cursor = cursor + 1
                self.expanded += 1
                if self.expanded > self.budget:
                    self.over()
                if act.remap:
                    return tuple.__new__(Token, (tok[0], tok[1], act.start, act.end, tok[4], (act.origin, tok)))
                return tok
            if within_body:
                return None
            stack.pop()
        i = self.i
        if i < self.n:
            self.i = i + 1
            return self.tokens[i]
        return None

    def expanded_next(self) -> Token | None:
        """The next token after macro processing (stap's scan_pp1)."""
        while True:
            tok = self.raw_next()
            if tok is None:
                return None
            kind = tok.kind
            if kind == "DEFINE":
                if self.stack:
                    self.error(codes.INVALID_MACRO_DEFINITION, "'@define' forbidden inside macro body", tok)
                    continue
                self.define(tok)
                continue
            if kind in _AT_KINDS:
                macro, params = self.lookup_macro(tok.text[1:])
                if macro is None and params is None:
                    return tok
                if macro is not None and (macro.body is None or self.over_budget):
                    # A library macro known only by its signature (or any macro once
                    # the expansion budget is spent): the parser takes it as an opaque call.
                    return make_token("MACRO", tok.text, tok.start, tok.end, tok.flags, tok.origin)
                self.invoke(tok, macro, params)
                continue
            return tok

    # -- macros ------------------------------------------------------------

    def lookup_macro(self, name):
        """(macro, None) for a macro, (None, binding) for a parameter, (None, None) if neither."""
        act = self.stack[-1] if self.stack else None
        if act is not None and name in act.params:
            return None, act.params[name]
        if not (act is not None and act.library) and name in self.macros:
            return self.macros[name], None
        macro = self.library.get(name)
        if macro is not None:
            return macro, None
        return None, None

    def define(self, define_tok: Token) -> None:
        """Read `@define NAME[(P, ...)] %( BODY %)` (the @define is consumed)."""
        name_tok = self.raw_next()
        if name_tok is None or name_tok.kind != "IDENT":
            self.error(codes.INVALID_MACRO_DEFINITION, "expected identifier after '@define'",
                       name_tok or define_tok)
            self.skip_definition_body(name_tok)
            return
        name = name_tok.text
        valid = True
        if name == "define":
            self.error(codes.INVALID_MACRO_DEFINITION, "attempt to redefine '@define'", name_tok)
            valid = False
        elif name in self.macros:
            first = self.macros[name]
            self.error(codes.INVALID_MACRO_DEFINITION,
                       f"attempt to redefine macro '@{name}' in the same file", name_tok,
                       related=[Related(f"macro '@{name}' first defined here", None, first.span)])
            valid = False
        elif name in _BUILTIN_AT_WORDS and self.version >= AT_WORD_SINCE.get("@" + name, (0,)):
            self.error(codes.MACRO_REDEFINES_OPERATOR,
                       f"macro redefines built-in operator '@{name}'", name_tok, Severity.WARNING)

        params: list[str] = []
        tok = self.raw_next()
        saw_params = False
        if tok is not None and tok.kind == "LPAR":
            saw_params = True
            while True:
                tok = self.raw_next()
                if tok is None or tok.kind != "IDENT":
                    self.error(codes.INVALID_MACRO_DEFINITION, "expected identifier (a macro parameter)",
                               tok or name_tok)
                    self.skip_definition_body(tok)
                    return
                params.append(tok.text)
                tok = self.raw_next()
                if tok is not None and tok.kind == "COMMA":
                    continue
                if tok is not None and tok.kind == "RPAR":
                    tok = self.raw_next()
                    break
                self.error(codes.INVALID_MACRO_DEFINITION, "expected ',' or ')'", tok or name_tok)
                self.skip_definition_body(tok)
                return
        if tok is None or tok.kind != "PP_OPEN":
            self.error(codes.INVALID_MACRO_DEFINITION,
                       "expected '%('" if saw_params else "expected '%(' or '('", tok or name_tok,
                       hints=("a macro body is written between '%(' and '%)'",))
            return
        # The body, up to the %) that closes it: read from the file itself (an
        # @define is read only there, and reading the file pushes no macro body).
        tokens = self.tokens
        start = self.i
        depth = 0
        for i in range(start, self.n):
            kind = tokens[i][0]
            if kind == "PP_OPEN":
                depth += 1
            elif kind == "PP_CLOSE":
                if depth == 0:
                    break
                depth -= 1
        else:
            self.i = self.n
            self.error(codes.INVALID_MACRO_DEFINITION, "incomplete macro definition - missing '%)'",
                       name_tok)
            return
        self.i = i + 1
        if valid:
            self.macros[name] = MacroDef(name, tuple(params), tuple(tokens[start:i]),
                                         Span(name_tok.start, name_tok.end))

    def skip_definition_body(self, tok: Token | None) -> None:
        """After a bad @define header: drop tokens through its %( ... %) body, if one follows."""
        while tok is not None and tok.kind not in ("PP_OPEN", "PROBE", "FUNCTION", "GLOBAL", "DEFINE"):
            tok = self.raw_next()
        if tok is None or tok.kind != "PP_OPEN":
            if tok is not None:
                self.push_back(tok)
            return
        depth = 0
        while True:
            tok = self.raw_next()
            if tok is None:
                return
            if tok.kind == "PP_OPEN":
                depth += 1
            elif tok.kind == "PP_CLOSE":
                if depth == 0:
                    return
                depth -= 1

    def push_back(self, tok: Token) -> None:
        """Undo the last raw_next() (only for a token read from the file itself)."""
        if not self.stack and self.i > 0 and self.tokens[self.i - 1] is tok:
            self.i -= 1
        else:
            self.stack.append(_Activation([tok], {}, False, False, tok.start, tok.end, None))

    def invoke(self, at_tok: Token, macro: MacroDef | None, binding: _ParamBinding | None) -> None:
        """Expand `@name` (a macro, or a parameter of the macro being expanded)."""
        if len(self.stack) >= MAX_MACRO_DEPTH:
            raise _ExpansionAbandoned(
                codes.INVALID_MACRO_INVOCATION,
                f"macro expansion nested too deeply at '{at_tok.text}' (a recursive macro?)",
                (f"macros expand inside each other at most {MAX_MACRO_DEPTH} levels deep",))
        # An invocation costs as much as several tokens read (its records and lookups).
        self.expanded += INVOCATION_COST
        if self.expanded > self.budget:
            self.over()
        caller = self.stack[-1] if self.stack else None
        if caller is None:
            self.outermost = _Outermost(at_tok, Span(at_tok.start, at_tok.end), len(self.out), len(self.open))
        if binding is not None:
            # An argument: read in the context of the invocation that supplied it.
            params = binding.caller.params if binding.caller is not None else {}
            library = binding.caller.library if binding.caller is not None else False
            self.stack.append(_Activation(binding.tokens, params, library, False, 0, 0, None))
            return

        assert macro is not None and macro.body is not None
        end_tok = at_tok
        params: dict[str, _ParamBinding] = {}
        if macro.params:
            tok = self.raw_next(within_body=True)
            count = len(macro.params)
            if tok is None or tok.kind != "LPAR":
                plural = "parameter" if count == 1 else "parameters"
                self.error(codes.INVALID_MACRO_INVOCATION,
                           f"expected '(' in invocation of macro '@{macro.name}' taking {count} {plural}",
                           tok or at_tok)
                if tok is not None:
                    self.push_back(tok)
                return
            for index, param in enumerate(macro.params):
                arg: list[Token] = []
                depth = 0
                while True:
                    tok = self.raw_next(within_body=True)
                    if tok is None:
                        self.error(codes.INVALID_MACRO_INVOCATION, "could not find end of macro invocation",
                                   at_tok)
                        return
                    kind = tok.kind
                    if kind in ("LPAR", "LSQB"):
                        depth += 1
                    elif depth and kind in ("RPAR", "RSQB"):
                        depth -= 1
                    elif not depth and kind in ("RPAR", "COMMA"):
                        break
                    arg.append(tok)
                params[param] = _ParamBinding(arg, caller)
                last = index + 1 == count
                if tok.kind == "COMMA" and last:
                    self.error(codes.INVALID_MACRO_INVOCATION,
                               f"too many parameters for macro '@{macro.name}' (expected {count})", tok)
                    self.skip_to_invocation_end()
                    return
                if tok.kind == "RPAR" and not last:
                    self.error(codes.INVALID_MACRO_INVOCATION,
                               f"too few parameters for macro '@{macro.name}' (expected {count})", tok)
                    return
            end_tok = tok
        if caller is None:
            outer = self.outermost
            self.outermost = _Outermost(outer.token, Span(at_tok.start, end_tok.end), outer.out_len, outer.open_len)
        if caller is not None and caller.remap:
            start, end, parent = caller.start, caller.end, caller.origin
        elif caller is not None:
            start, end, parent = at_tok.start, end_tok.end, at_tok.origin
        else:
            start, end, parent = at_tok.start, end_tok.end, None
        if type(parent) is tuple and len(parent) == 2 and type(parent[0]) is MacroOrigin:
            parent = parent[0]
        origin = MacroOrigin(macro, Span(start, end), parent if isinstance(parent, MacroOrigin) else None)
        self.stack.append(_Activation(macro.body, params, macro.library, True, start, end, origin))

    def over(self) -> None:
        """The expansion budget is spent: give up the expansion being read."""
        limit = self.budget
        self.over_budget = True
        self.budget = float("inf")  # nothing more is expanded; stop counting
        raise _ExpansionAbandoned(
            codes.MACRO_EXPANSION_TOO_LARGE,
            f"macro expansion too large: the macro invocations of this file expand to more than "
            f"{limit:,} tokens (macros that invoke each other more than once, nested?)",
            ("this invocation and the macro invocations after it in the file are left unexpanded",
             f"the bound counts the tokens read from macro bodies and arguments, and {INVOCATION_COST} "
             "for each invocation"))

    def abandon(self, why: _ExpansionAbandoned) -> None:
        """Drop what the outermost invocation expanded to so far; leave it as an opaque call.

        One finding at the invocation in the file, instead of the expansion
        (which may be exponential) or an error per nested invocation.
        """
        self.stack.clear()
        outer = self.outermost
        self.outermost = None
        if outer is None:  # not inside an invocation of the file (cannot happen): report where the file is
            tok = self.tokens[self.i - 1] if self.i else None
            span = Span(tok.start, tok.end) if tok is not None else Span(0, 0)
            self.error(why.code, why.message, span, hints=why.hints)
            return
        del self.out[outer.out_len:]
        del self.open[outer.open_len:]
        at = outer.token
        self.out.append(make_token("MACRO", at.text, outer.span.start, outer.span.end, at.flags, at.origin))
        self.error(why.code, why.message, outer.span, hints=why.hints)

    def skip_to_invocation_end(self) -> None:
        depth = 0
        while True:
            tok = self.raw_next(within_body=True)
            if tok is None:
                return
            if tok.kind in ("LPAR", "LSQB"):
                depth += 1
            elif tok.kind in ("RPAR", "RSQB"):
                if depth == 0:
                    return
                depth -= 1

    # -- conditionals ------------------------------------------------------

    def run(self) -> PreprocessResult:
        while True:
            try:
                self.read_all()
                break
            except _ExpansionAbandoned as why:
                self.abandon(why)
        for cond in reversed(self.open):
            self.error(codes.INVALID_CONDITIONAL, "incomplete conditional at end of file - missing '%)'",
                       cond.open)
            self.finish(cond)
        self.open.clear()
        spent = self.expanded if not self.over_budget else self.limit + 1
        return PreprocessResult(self.out, self.diagnostics, self.conditionals, self.macros, spent)

    def read_all(self) -> None:
        """Read to the end of the file (raises _ExpansionAbandoned for an expansion past a bound)."""
        out = self.out
        append = out.append
        tokens = self.tokens
        n = self.n
        special = _SPECIAL_KINDS
        new = tuple.__new__
        stack = self.stack
        while True:
            # Fast path: plain tokens (of the file, or of the macro body being
            # expanded) go straight out; open conditionals are always in a
            # kept branch here, since skipped branches are skipped eagerly.
            if not stack:
                for i in range(self.i, n):
                    tok = tokens[i]
                    if tok[0] in special:
                        break
                    append(tok)
                else:
                    i = n
                self.i = i
            else:
                act = stack[-1]
                body = act.body
                m = len(body)
                if act.remap:
                    start, end, origin = act.start, act.end, act.origin
                    for c in range(act.cursor, m):
                        tok = body[c]
                        if tok[0] in special:
                            break
                        append(new(Token, (tok[0], tok[1], start, end, tok[4], (origin, tok))))
                    else:
                        c = m
                else:
                    for c in range(act.cursor, m):
                        tok = body[c]
                        if tok[0] in special:
                            break
                        append(tok)
                    else:
                        c = m
                self.expanded += c - act.cursor
                act.cursor = c
                if self.expanded > self.budget:
                    self.over()
            tok = self.expanded_next()
            if tok is None:
                return
            kind = tok.kind
            if kind == "PP_OPEN":
                self.open_conditional(tok)
            elif kind == "PP_ELSE":
                self.else_marker(tok)
            elif kind == "PP_CLOSE":
                self.close_marker(tok)
            elif kind == "PP_THEN":
                self.error(codes.INVALID_CONDITIONAL, "incomplete conditional - missing '%('", tok)
            else:
                if isinstance(tok.origin, BadArgument):
                    self.error(codes.ARGUMENT_OUT_OF_RANGE, tok.origin.message, tok,
                               hints=("give the script's arguments with --arg",))
                append(tok)

    def read_condition(self, open_tok: Token) -> Condition | None:
        """Read the terms up to `%?` (consumed).  None after reporting an error."""
        groups: list[tuple[Term, ...]] = []
        group: list[Term] = []
        while True:
            left = self.expanded_next()
            op = self.expanded_next() if left is not None else None
            right = self.expanded_next() if op is not None else None
            if right is None:
                self.error(codes.INVALID_CONDITION, "incomplete condition after '%('", open_tok)
                return None
            if any(t.kind in ("PP_THEN", "PP_ELSE", "PP_CLOSE") for t in (left, op, right)):
                bad = next(t for t in (left, op, right) if t.kind in ("PP_THEN", "PP_ELSE", "PP_CLOSE"))
                self.error(codes.INVALID_CONDITION,
                           "incomplete condition: a term is three tokens, as in 'kernel_v >= \"5.0\"'", bad)
                self.resume_after_bad_condition(bad)
                return None
            group.append(Term(left, op, right))
            joiner = self.expanded_next()
            if joiner is not None and joiner.kind == "ANDAND":
                continue
            groups.append(tuple(group))
            group = []
            if joiner is not None and joiner.kind == "OROR":
                continue
            if joiner is None or joiner.kind != "PP_THEN":
                self.error(codes.INVALID_CONDITIONAL, "expected '%?' marker for conditional", joiner or open_tok,
                           hints=("a condition is terms joined by && and ||, then '%?'",))
                if joiner is not None:
                    self.resume_after_bad_condition(joiner)
                return None
            return tuple(groups)

    def resume_after_bad_condition(self, tok: Token) -> None:
        """After an unreadable condition, continue at its %? if one is near."""
        if tok.kind == "PP_THEN":
            return
        if tok.kind in ("PP_ELSE", "PP_CLOSE"):
            self.push_back(tok)
            return
        # Look for the %? of this conditional; give up at its end.
        depth = 0
        while True:
            t = self.raw_next()
            if t is None:
                return
            if t.kind == "PP_OPEN":
                depth += 1
            elif t.kind == "PP_CLOSE":
                if depth == 0:
                    self.push_back(t)
                    return
                depth -= 1
            elif t.kind in ("PP_THEN", "PP_ELSE") and depth == 0:
                if t.kind == "PP_ELSE":
                    self.push_back(t)
                return

    def open_conditional(self, open_tok: Token) -> None:
        from_file = open_tok.origin is None
        condition = self.read_condition(open_tok)
        taken: bool | None = None
        forced = self.forced.get(open_tok.start) if from_file else None
        if forced is not None:
            taken = forced
        elif condition is not None:
            try:
                taken = evaluate(condition, self.target, self.argc)
            except ConditionError as err:
                self.error(codes.INVALID_CONDITION, err.message, err.token)
                taken = None
        parent = None
        for outer in reversed(self.open):
            if outer.from_file:
                parent = (outer.open.start, not outer.seen_else)
                break
        cond = _OpenConditional(open_tok, condition, taken, parent, from_file)
        # The branch starts after %? (the last token read); approximate with the
        # end of the condition's last token, which is the %? itself.
        cond.then_start = self.last_end()
        self.open.append(cond)
        if taken is not True:
            # Skip the then-branch (also when undecided: neither branch is trusted).
            self.skip_branch(cond)

    def last_end(self) -> int:
        """The end offset of the token read last from the file (for branch spans)."""
        if self.i > 0:
            return self.tokens[self.i - 1].end
        return 0

    def skip_branch(self, cond: _OpenConditional) -> None:
        """Drop tokens up to this conditional's next %: or %) (not consumed)."""
        depth = 0
        markers = _MARKER_KINDS
        tokens = self.tokens
        stack = self.stack
        while True:
            if not stack:
                # In the file itself: only conditional markers matter.
                for i in range(self.i, self.n):
                    kind = tokens[i][0]
                    if kind not in markers:
                        continue
                    if kind == "PP_OPEN":
                        depth += 1
                    elif kind == "PP_CLOSE":
                        if depth == 0:
                            break
                        depth -= 1
                    elif depth == 0 and kind == "PP_ELSE":
                        break
                    elif depth == 0 and kind == "PP_THEN":
                        self.error(codes.INVALID_CONDITIONAL, "incomplete conditional - missing '%('", tokens[i])
                else:
                    i = self.n
                self.i = i
                return
            # In a macro body (or argument): its tokens up to the next marker are
            # passed by at once, counted as read (up to the budget: past it, raw_next
            # reads the token that spends it and gives up, as token by token).
            act = stack[-1]
            body = act.body
            for c in range(act.cursor, len(body)):
                if body[c][0] in markers:
                    break
            else:
                c = len(body)
            passed = c - act.cursor
            if self.expanded + passed > self.budget:
                act.cursor += self.budget - self.expanded
                self.expanded = self.budget
                self.raw_next()  # raises _ExpansionAbandoned
            act.cursor = c
            self.expanded += passed
            tok = self.raw_next()  # the marker, or what follows the body
            if tok is None:
                return
            kind = tok.kind
            if kind == "PP_OPEN":
                depth += 1
            elif kind == "PP_CLOSE":
                if depth == 0:
                    self.push_back(tok)
                    return
                depth -= 1
            elif depth == 0 and kind == "PP_ELSE":
                self.push_back(tok)
                return
            elif depth == 0 and kind == "PP_THEN":
                self.error(codes.INVALID_CONDITIONAL, "incomplete conditional - missing '%('", tok)

    def else_marker(self, tok: Token) -> None:
        if not self.open:
            self.error(codes.INVALID_CONDITIONAL, "incomplete conditional - missing '%('", tok,
                       hints=("'%:' is only valid between '%?' and '%)'",))
            return
        cond = self.open[-1]
        if cond.seen_else:
            self.error(codes.INVALID_CONDITIONAL, "invalid conditional - duplicate '%:'", tok)
            self.skip_branch(cond)
            return
        cond.seen_else = True
        cond.then_end = tok.start
        cond.else_start = tok.end
        if cond.taken is not False:
            self.skip_branch(cond)

    def close_marker(self, tok: Token) -> None:
        if not self.open:
            self.error(codes.INVALID_CONDITIONAL, "incomplete conditional - missing '%('", tok,
                       hints=("this '%)' closes no '%('",))
            return
        cond = self.open.pop()
        self.finish(cond, close_tok=tok)

    def finish(self, cond: _OpenConditional, close_tok: Token | None = None) -> None:
        if not cond.from_file:
            return
        end = close_tok.end if close_tok is not None else (self.tokens[-1].end if self.tokens else 0)
        close_start = close_tok.start if close_tok is not None else end
        text = _condition_text(cond.condition)
        if cond.seen_else:
            then_branch = Branch(Span(cond.then_start, cond.then_end), text)
            else_branch = Branch(Span(cond.else_start, close_start), f"!({text})")
        else:
            then_branch = Branch(Span(cond.then_start, close_start), text)
            else_branch = None
        self.conditionals.append(
            Conditional(Span(cond.open.start, cond.open.end), cond.condition, then_branch, else_branch,
                        end, cond.taken, cond.parent)
        )


def _condition_text(condition: Condition | None) -> str:
    if condition is None:
        return "?"
    return " || ".join(" && ".join(f"{t.left.text} {t.op.text} {t.right.text}" for t in group)
                       for group in condition)
