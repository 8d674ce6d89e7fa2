"""The SystemTap parser: text in, AST and every syntax diagnostic out.

The pipeline (each step its own module):

    source.py     bytes -> text (binary and non-UTF-8 input handled)
    lexer.py      text -> tokens, comments aside
    preprocessor  macros expanded, %( %) conditionals resolved for the target
    feeder.py     tokens -> declarations, probe-point names glued
    this module   each declaration through the LALR tables (stap.lark), the
                  AST built as rules reduce (build.py), errors recovered from
    alternatives  branches of conditionals the target does not take, checked too

Parsing never raises on bad input: every problem is a Diagnostic.  After a
syntax error the parser skips to the next statement of the enclosing block
(or, in a declaration's header, to its body), so one run reports every
independent error, as stap does at declaration level and finer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import attrs

from ..diagnostics import Diagnostic, Related, Severity, Span
from ..gcpause import collector_paused
from . import ast, codes
from .feeder import split_declarations
from .grammar import tables
from .lexer import Comment, LexResult, keywords_for, lex
from .macro_library import EMPTY_LIBRARY, load_macro_library
from .options import ParseOptions
from .preprocessor import Conditional, MacroDef, expanded_from, preprocess
from .reuse import DeclarationReuse
from .script_options import ScriptOptions, first_line_options
from .source import read_source
from .tapset_path import default_tapset_root
from .target import Target, parse_version
from .tokens import KEYWORD_KINDS, Token, describe_kind, describe_token, make_token

MAX_ERRORS_PER_DECLARATION = 10
# The parser's stack grows with nesting: about one entry per level of
# parentheses or braces, four per unbraced `if`.  Past this, a declaration is
# refused: no real script comes near, and deeper trees would overflow Python's
# recursion in everything that walks them.
MAX_PARSE_STACK = 250
MAX_ERRORS_PER_FILE = 200

ALL_FEATURES = (99,)  # the language version of the built-in tapset library (stap: pf_no_compatible)


@attrs.frozen
class ParseResult:
    path: str
    text: str | None
    script: ast.Script | None
    diagnostics: tuple[Diagnostic, ...]
    comments: tuple[Comment, ...] = ()
    conditionals: tuple[Conditional, ...] = ()
    macros: Mapping[str, MacroDef] = attrs.field(factory=dict)
    first_line: ScriptOptions | None = None
    target: Target = Target()
    guru: bool = False

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.diagnostics)


def parse_file(path: str, options: ParseOptions = ParseOptions(), *, display_path: str | None = None) -> ParseResult:
    source = read_source(path, max_size=options.max_file_size, display_path=display_path)
    shown = display_path or path
    if source.text is None:
        return ParseResult(shown, None, None, source.diagnostics)
    if options.macro_file is None:
        options = attrs.evolve(options, macro_file=path.endswith(".stpm"))
    result = parse_text(source.text, shown, options)
    if source.diagnostics:
        result = attrs.evolve(result, diagnostics=_sorted(source.diagnostics + result.diagnostics))
    return result


def parse_text(text: str, path: str = "<string>", options: ParseOptions = ParseOptions(), *,
               lexed: tuple[tuple[int, ...], LexResult] | None = None,
               reuse: DeclarationReuse | None = None, build: bool = True) -> ParseResult:
    """Parse a script's text.

    `lexed`, when the caller has lexed the text already (the formatter does),
    is (the language version it was lexed for, the LexResult); it is used if
    that version lexes as the file's does and no script arguments are pasted in.
    `reuse` (the language server's, one per document) gives back the trees of
    declarations an earlier parse of the document read (reuse.py).
    `build=False`, when the caller asks only whether the file has syntax
    errors (the formatter does): a declaration the grammar accepts is not
    built, so it has no tree and none of the checks made on its constructs
    (number ranges, print formats, duplicate names...); one with a syntax
    error is parsed in full, for the diagnostics of a full parse.
    """
    with collector_paused():
        return _parse_text(text, path, options, lexed, reuse, build)


def _parse_text(text: str, path: str, options: ParseOptions,
                pre_lexed: tuple[tuple[int, ...], LexResult] | None = None,
                reuse: DeclarationReuse | None = None, build: bool = True) -> ParseResult:
    # How this file is read: the options, then what its first line says.
    first_line = first_line_options(text) if options.honour_first_line else None
    target = options.target
    guru = options.guru or options.tapset
    roots = list(options.tapset_roots) if options.tapset_roots is not None else (
        [r] if (r := default_tapset_root()) else [])
    version_origin = "--systemtap-version (or systemtap-version in the configuration)"
    # The release whose stap reads the file: the target's, before the first line's
    # --compatible changes the language version (systemtap_v) but not the release.
    release = parse_version(target.systemtap_v)
    if first_line is not None:
        target = first_line.apply(target)
        guru = guru or first_line.guru
        roots += [Path(d) for d in first_line.include_dirs]
        if first_line.compatible:
            version_origin = f"--compatible={first_line.compatible} on the first line"
    if guru and not target.guru_mode:
        target = target.evolve(guru_mode=True)
    version = ALL_FEATURES if options.tapset else parse_version(target.systemtap_v)

    if options.library_macros is not None:
        library = dict(options.library_macros)
        library_problems = []
    else:
        loaded = load_macro_library(tuple(roots), target) if roots else EMPTY_LIBRARY
        library = loaded.macros
        library_problems = loaded.problems

    if pre_lexed is not None and options.args is None and keywords_for(pre_lexed[0]) is keywords_for(version):
        lexed = pre_lexed[1]
    else:
        lexed = lex(text, version=version, args=list(options.args) if options.args is not None else None)
    argc = len(options.args) if options.args is not None else 0
    session = FileParse(text, guru, version, version_origin)
    pre = preprocess(lexed.tokens, target=target, library_macros=library, argc=argc, path=path)
    diagnostics: list[Diagnostic] = list(lexed.diagnostics) + list(pre.diagnostics)
    diagnostics += _library_problems(library_problems)

    chunks = split_declarations(pre.tokens)
    items = []
    parse_one = session.parse_declaration_diagnostics if build else session.check_declaration
    if reuse is not None:
        reuse.begin()
        parse_one = reuse.parser(parse_one, guru, version, version_origin)
    for chunk in chunks:
        node, found = parse_one(chunk)
        session.diagnostics += found
        if node is not None:
            items.append(node)
    diagnostics += session.diagnostics
    diagnostics += _check_globals(items)

    if options.macro_file:
        if pre.tokens:
            first = pre.tokens[0]
            diagnostics.append(Diagnostic(
                codes.MACRO_LIBRARY_ERROR,
                f"unexpected token in library macro file: {describe_token(first)}",
                Span(first.start, first.end), Severity.ERROR,
                hints=("a .stpm file may hold only @define's (and %( %) conditionals around them); "
                       "stap skips a .stpm file with anything else",)))
    elif not pre.tokens:
        after = " after preprocessing" if lexed.tokens else ""
        # stap refuses an empty script; a tapset file empty for some targets is normal.
        diagnostics.append(Diagnostic(
            codes.EMPTY_FILE,
            f"the file is empty{after}" + (" for the target" if after else ""),
            Span(0, 0), Severity.WARNING if options.tapset else Severity.ERROR,
            hints=((f"stap refuses it as a script: \"Input file '{path}' is empty{after}.\"",)
                   if not options.tapset else ()),
        ))

    conditionals = list(pre.conditionals)
    if options.check_all_branches and pre.conditionals:
        from .alternatives import check_untaken_branches

        def parser_for(alt_target: Target):
            alt_guru = guru or alt_target.guru_mode
            alt_version = version if options.tapset else parse_version(alt_target.systemtap_v)
            if (alt_guru, alt_version) == (guru, version):
                parse_one = session.parse_declaration_diagnostics
            else:
                parse_one = FileParse(text, alt_guru, alt_version, version_origin).parse_declaration_diagnostics
            if reuse is not None:
                parse_one = reuse.parser(parse_one, alt_guru, alt_version, version_origin, trees=False)
            return parse_one

        extra, more_conditionals = check_untaken_branches(
            lexed.tokens, pre, target=target, library=library, argc=argc, path=path,
            parse_declaration=parser_for,
            reported=diagnostics,
        )
        diagnostics += extra
        conditionals += more_conditionals

    if options.args is None and conditionals:
        from .argument_counts import argument_count_findings

        diagnostics += argument_count_findings(lexed.tokens, conditionals, target)

    # The library of a release is read by that release's stap.  Without a tree (build=False: the
    # formatter asks only for syntax errors) the tree-level uses cannot be found, and are not asked for.
    if not options.tapset and build:
        diagnostics = _with_release_findings(diagnostics, lexed.tokens, pre.tokens, items,
                                             pre.conditionals, release)

    script = ast.Script(tuple(items), Span(0, len(text)))
    return ParseResult(path, text, script, _sorted(_capped(diagnostics)), tuple(lexed.comments),
                       tuple(conditionals), pre.macros, first_line, target, guru)


def _with_release_findings(diagnostics: list[Diagnostic], lexed, parsed, items, conditionals,
                           release: tuple[int, ...]) -> list[Diagnostic]:
    """The findings of syntax newer than the target release (language_releases.py), added to
    `diagnostics`.  A use that the language version gate (STP060) reports already is not
    reported twice; a syntax error at the start of a use is the old parser's way to say
    the same thing, and gives way to the clearer finding."""
    from .language_releases import release_findings

    skipped = []
    for cond in conditionals:
        if cond.taken is not None:
            branch = cond.branch(not cond.taken)
            if branch is not None:
                skipped.append((branch.span.start, branch.span.end))
    found = release_findings(lexed, parsed, items, release, skipped)
    if not found:
        return diagnostics
    gated = {d.span.start for d in diagnostics if d.code == codes.NEWER_LANGUAGE_FEATURE}
    found = [f for f in found if f.span.start not in gated]
    starts = {f.span.start for f in found}
    kept = [d for d in diagnostics if not (d.code == codes.SYNTAX_ERROR and d.span.start in starts)]
    return kept + found


def _check_globals(items) -> list[Diagnostic]:
    """stap's per-file global checks: no name declared twice, public and private apart."""
    found: list[Diagnostic] = []
    declared: dict[str, ast.GlobalVar] = {}
    private: dict[str, bool] = {}
    for item in items:
        if not isinstance(item, ast.GlobalDecl):
            continue
        for var in item.variables:
            first = declared.get(var.name)
            if first is None:
                declared[var.name] = var
                private[var.name] = item.private
                continue
            related = (Related(f"'{var.name}' first declared here", None, first.name_span),)
            if private[var.name] == item.private:
                found.append(Diagnostic(codes.INVALID_DECLARATION, f"duplicate global name '{var.name}'",
                                        var.name_span, related=related))
            else:
                found.append(Diagnostic(codes.INVALID_DECLARATION,
                                        f"global versus private variable declaration conflict: '{var.name}'",
                                        var.name_span, related=related))
    return found


def _library_problems(problems) -> list[Diagnostic]:
    """A warning for each broken .stpm file of the tapset library (stap skips such a file).

    Every script gets it, as every stap run would; the related location
    points at the problem in the .stpm file.
    """
    out = []
    seen = set()
    for path, diag, text in problems:
        if path in seen:
            continue
        seen.add(path)
        out.append(Diagnostic(codes.MACRO_LIBRARY_ERROR,
                              f"macro tapset \"{path}\" has errors, and will be skipped: {diag.message}",
                              Span(0, 0), Severity.WARNING,
                              related=(Related(diag.message, path, diag.span, text),)))
    return out


def _sorted(diagnostics) -> tuple[Diagnostic, ...]:
    return tuple(sorted(diagnostics, key=lambda d: (d.span.start, d.span.end, d.code, d.message)))


def _capped(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    if len(errors) <= MAX_ERRORS_PER_FILE:
        return diagnostics
    keep = sorted(diagnostics, key=lambda d: d.span.start)[:MAX_ERRORS_PER_FILE]
    last = keep[-1]
    keep.append(Diagnostic(codes.SYNTAX_ERROR,
                           f"too many errors ({len(errors)}); only the first {MAX_ERRORS_PER_FILE} are shown",
                           last.span, Severity.ERROR))
    return keep


# Tokens that begin a statement (for resynchronising after an error).
_STATEMENT_KEYWORDS = frozenset({"IF", "WHILE", "FOR", "FOREACH", "TRY", "RETURN", "DELETE",
                                 "BREAK", "CONTINUE", "NEXT"})
_EXPRESSION_STARTS = frozenset({
    "IDENT", "TARGET", "NUMBER", "STRING", "ARG_NUM", "ARG_STR", "EMBEDDED", "MACRO", "LPAR", "LSQB",
    "PLUS", "MINUS", "BANG", "TILDE", "INC", "DEC", "AMP", "AT_CAST", "AT_VAR", "AT_DEFINED",
    "AT_PROBEWRITE", "AT_ENTRY", "AT_PERF", "AT_CONST", "AT_REGISTER", "AT_DEREF", "AT_ENUM",
    "AT_ENUMNAME", "AT_STAT", "AT_HIST_LINEAR", "AT_HIST_LOG", "AT_OTHER",
})
_CONTINUATIONS = frozenset({
    "OROR", "ANDAND", "VBAR", "CIRC", "AMP", "CMP_OP", "SHIFT_OP", "DOT", "PLUS", "MINUS", "STAR",
    "SLASH", "PERCENT", "IN", "MATCH_OP", "EQ", "PLUS_EQ", "ASSIGN_OP", "QMARK", "INC", "DEC",
    "ARROW", "LSQB", "PRETTY", "LPAR",
})
_TOP_LEVEL_MESSAGE = "expected 'probe', 'global', 'private', 'function', or '%{'"


class _Abandon(Exception):
    """Too many errors in one declaration: stop reading it."""


class _TooDeep(Exception):
    def __init__(self, token: Token):
        self.token = token


class FileParse:
    """Parses the declarations of one file, collecting diagnostics."""

    def __init__(self, text: str, guru: bool, version: tuple[int, ...], version_origin: str):
        self.text = text
        self.guru = guru
        self.version = version
        self.version_origin = version_origin
        self.diagnostics: list[Diagnostic] = []
        self.t = tables()

    def parse_declaration(self, chunk: list[Token]) -> ast.Node | None:
        node, diagnostics = self.parse_declaration_diagnostics(chunk)
        self.diagnostics += diagnostics
        return node

    def check_declaration(self, chunk: list[Token]):
        """(None, []) for a declaration without syntax errors, else its full parse's (node, diagnostics).

        The grammar's automaton runs alone, building nothing.  Two syntax
        errors are found by the tree builder, not the grammar: a bare `return`
        followed by neither `;` nor `}` (stap reads an expression there), and a
        second block after a probe that is not an alias (`probe a {} , {}`).
        A declaration that may hold either is parsed in full, as is one the
        grammar rejects.
        """
        if _grammar_accepts(self.t, chunk) and not (chunk[0][0] == "PROBE" and _maybe_second_block(chunk)):
            return None, []
        return self.parse_declaration_diagnostics(chunk)

    def parse_declaration_diagnostics(self, chunk: list[Token]):
        builder = self.t.builder
        in_function = chunk[0].kind in ("FUNCTION", "PRIVATE")
        builder.reset(guru=self.guru, version=self.version, in_function=in_function,
                      version_origin=self.version_origin)
        run = _Run(self, chunk)
        try:
            node = run.parse("item")
        except _Abandon:
            node = None
        except _TooDeep as deep:
            node = None
            builder.pending_histograms.clear()
            builder.pending_tuples.clear()
            run.errors.append(Diagnostic(
                codes.SYNTAX_ERROR,
                "nesting too deep: more levels of parentheses, braces or statements than stapkit "
                f"checks (a parser stack of {MAX_PARSE_STACK}); this declaration is not checked",
                Span(deep.token.start, deep.token.end)))
        if builder.bare_returns:
            run.check_bare_returns(builder.bare_returns)
        builder.finish_declaration(bool(run.errors))
        return node, run.errors + builder.diagnostics


def _grammar_accepts(t, tokens: list[Token]) -> bool:
    """Does the grammar take the declaration as it is (and no `return` is bare before another token)?

    The automaton on the recogniser's flat tables (grammar.Recognizer); the
    stack holds the states under the top one, which is kept in `top`.
    """
    recognizer = t.recognizer
    rows = recognizer.rows
    single_columns = recognizer.single_columns
    reductions = recognizer.reductions
    singles = recognizer.singles
    last_single = ~singles  # step > last_single: a reduction of size 1
    chains = recognizer.chains
    chains_get = chains.get
    stack: list[int] = []
    top = t.start_state["item"]
    # Only a shift adds a state (the grammar has no empty rule: grammar.Recognizer): with
    # fewer tokens than the bound, no need to count.
    bounded = len(tokens) >= MAX_PARSE_STACK
    try:
        for tok in tokens:
            kind = tok[0]
            row = rows[top]
            while True:
                step = row[kind]
                if step >= 0:  # shift
                    stack.append(top)
                    top = step
                    break
                if step > last_single:
                    # A chain of size-1 reductions: where it ends depends only on the
                    # state below, the top state and the terminal (remembered).
                    key = (stack[-1], top, kind)
                    end = chains_get(key)
                    if end is None:
                        end = chains[key] = _single_chain(recognizer, stack[-1], top, kind)
                    top = end
                else:
                    size, column = reductions[~step - singles]
                    del stack[1 - size:]  # (size >= 2: the top state and size - 1 under it)
                    top = column[stack[-1]]
                row = rows[top]
            if bounded and len(stack) >= MAX_PARSE_STACK:
                return False
        end_state = t.end_state["item"]
        while True:
            step = rows[top]["$END"]
            if step >= 0:  # (the end is never shifted: Lark's tables accept at end_state)
                return False
            if step > last_single:
                top = single_columns[~step][stack[-1]]
            else:
                size, column = reductions[~step - singles]
                del stack[1 - size:]
                top = column[stack[-1]]
            if top == end_state:
                return True
    except KeyError:  # no action for the terminal: a syntax error
        return False


def _single_chain(recognizer, below: int, top: int, kind: str) -> int:
    """The top state after the reductions of size 1 that the terminal `kind` triggers in a row."""
    rows = recognizer.rows
    last_single = ~recognizer.singles
    while True:
        step = rows[top].get(kind)
        if step is None or step >= 0 or step <= last_single:
            return top
        top = recognizer.single_columns[~step][below]


def _follow_units(t, below: int, top: int, kind: str) -> int:
    """The top state after every unit reduction the lookahead `kind` triggers."""
    action = t.action
    goto = t.goto
    while True:
        step = action[top].get(kind)
        if step is None or type(step) is int or step.callback is not None:
            return top
        top = goto[below][step.origin]


def _maybe_second_block(tokens: list[Token]) -> bool:
    """May a probe that is not an alias have a second block (`probe a {} , {}`)?

    An alias has its `=` or `+=` before the first `{`; else a `}` followed by
    a `,` may be that (or the end of a brace group of probe points).
    """
    for tok in tokens:
        kind = tok[0]
        if kind == "LBRACE":
            break
        if kind == "EQ" or kind == "PLUS_EQ":
            return False
    return any(a[0] == "RBRACE" and b[0] == "COMMA" for a, b in zip(tokens, tokens[1:]))


class _Run:
    """One pass of the LR automaton over a declaration's tokens, with error recovery."""

    def __init__(self, file: FileParse, tokens: list[Token]):
        self.file = file
        self.t = file.t
        self.tokens = tokens
        self.errors: list[Diagnostic] = []
        last = tokens[-1]
        self.end = make_token("$END", "", last.end, last.end)
        self._depths: list[int] | None = None

    @property
    def depths(self) -> list[int]:
        """Brace depth of every token, computed on the first error."""
        if self._depths is None:
            self._depths = _brace_depths(self.tokens)
        return self._depths

    def parse(self, start: str, begin: int = 0):
        t = self.t
        action = t.action
        goto = t.goto
        tokens = self.tokens
        n = len(tokens)
        end_state = t.end_state[start]
        unit_chains = t.unit_chains
        state_stack = [t.start_state[start]]
        value_stack: list = []
        self.state_stack = state_stack
        self.value_stack = value_stack
        i = begin
        last_error_at = -1
        while True:
            tok = tokens[i] if i < n else self.end
            kind = tok[0]
            while True:
                step = action[state_stack[-1]].get(kind)
                if step is None:
                    resume = self.recover(i, tok, start, last_error_at)
                    last_error_at = i
                    if resume is None:
                        return self.finished_value(end_state)
                    i = resume
                    break
                if type(step) is int:  # shift
                    state_stack.append(step)
                    value_stack.append(tok)
                    i += 1
                    if len(state_stack) > MAX_PARSE_STACK:
                        raise _TooDeep(tok)
                    break
                size, origin, callback, spread = step
                if callback is None:
                    # A unit reduction (`?expr: ternary`): the value passes up as it
                    # is and only the top state changes.  Chains of them are common
                    # (an identifier climbs half a dozen levels to become an
                    # expression); their end depends only on the state below, the
                    # top state and the lookahead, so it is remembered.
                    key = (state_stack[-2], state_stack[-1], kind)
                    top = unit_chains.get(key)
                    if top is None:
                        top = unit_chains[key] = self.follow_units(state_stack[-2], state_stack[-1], kind)
                    state_stack[-1] = top
                else:
                    if size:
                        args = value_stack[-size:]
                        del value_stack[-size:]
                        del state_stack[-size:]
                    else:
                        args = []
                    value_stack.append(callback(*args) if spread else callback(args))
                    state_stack.append(goto[state_stack[-1]][origin])
                if kind == "$END" and state_stack[-1] == end_state:
                    return value_stack[-1]

    def follow_units(self, below: int, top: int, kind: str) -> int:
        return _follow_units(self.t, below, top, kind)

    def check_bare_returns(self, returns: list[Token]) -> None:
        """stap reads an expression after `return` unless ';' or '}' follows."""
        tokens = self.tokens
        for kw in returns:
            index = next((k for k in range(len(tokens)) if tokens[k] is kw), None)
            if index is None or index + 1 >= len(tokens):
                continue
            following = tokens[index + 1]
            if following[0] not in ("SEMI", "RBRACE"):
                self.errors.append(Diagnostic(
                    codes.SYNTAX_ERROR,
                    f"expected ';', '}}' or an expression after 'return'; found {describe_token(following)}",
                    Span(following.start, following.end)))

    def finished_value(self, end_state):
        if self.state_stack[-1] == end_state and self.value_stack:
            return self.value_stack[-1]
        return None

    # -- error handling ------------------------------------------------------

    def feed(self, tok: Token) -> bool:
        """Feed one token without recovery; False if the grammar rejects it."""
        t = self.t
        state_stack = self.state_stack
        value_stack = self.value_stack
        kind = tok[0]
        while True:
            step = t.action[state_stack[-1]].get(kind)
            if step is None:
                return False
            if type(step) is int:
                state_stack.append(step)
                value_stack.append(tok)
                return True
            size, origin, callback, spread = step
            if callback is None:
                state_stack[-1] = t.goto[state_stack[-2]][origin]
            else:
                args = value_stack[-size:] if size else []
                if size:
                    del value_stack[-size:]
                    del state_stack[-size:]
                value_stack.append(callback(*args) if spread else callback(args))
                state_stack.append(t.goto[state_stack[-1]][origin])
            if kind == "$END" and state_stack[-1] in t.end_state.values():
                return True

    def report(self, diagnostic: Diagnostic) -> None:
        self.errors.append(diagnostic)
        if len(self.errors) > MAX_ERRORS_PER_DECLARATION:
            raise _Abandon()

    def accepts(self, kind: str) -> bool:
        """Would the parser take a token of this kind now?  (A dry run on a copy of the stack.)

        LALR tables merge the lookaheads of similar states, so the current
        state may list terminals that a reduction would then reject; this
        follows the reductions to the end.
        """
        action = self.t.action
        goto = self.t.goto
        stack = list(self.state_stack)
        end_states = self.t.end_state.values()
        for _ in range(10000):
            step = action[stack[-1]].get(kind)
            if step is None:
                return False
            if type(step) is int:
                return True
            size = step[0]
            if size:
                del stack[-size:]
            stack.append(goto[stack[-1]][step[1]])
            if kind == "$END" and stack[-1] in end_states:
                return True
        return False

    def expected(self) -> set[str]:
        return {kind for kind in self.t.action[self.state_stack[-1]] if self.accepts(kind)}

    def recover(self, i: int, tok: Token, start: str, last_error_at: int) -> int | None:
        """Report the error at token i and return where to resume (None: stop)."""
        expected = self.expected()
        if not expected:
            return None  # the start rule is complete (a body parsed on its own)
        if tok[0] == "$END":
            return self.recover_at_end(expected, start)
        if "$END" in expected and start == "item":
            # The declaration is complete; what follows belongs to no declaration.
            self.report(Diagnostic(codes.SYNTAX_ERROR, f"{_TOP_LEVEL_MESSAGE}; found {describe_token(tok)}",
                                   Span(tok.start, tok.end)))
            self.feed(self.end)
            return None
        self.report(self.syntax_error(tok, expected))

        block = self.unwind_to_block()
        if block is None:
            # An error in a declaration's header: still check its body.
            body = self.body_after(i)
            if body is not None:
                saved = (self.state_stack, self.value_stack)
                self.parse("block", body)
                self.state_stack, self.value_stack = saved
            return None
        depth = block
        resume = self.next_statement(i, depth, must_move=(i == last_error_at))
        return resume

    def syntax_error(self, tok: Token, expected: set[str]) -> Diagnostic:
        return Diagnostic(codes.SYNTAX_ERROR, f"{_expected_text(expected)}; found {describe_token(tok)}",
                          Span(tok.start, tok.end),
                          hints=_hints_for(tok, expected), related=macro_trail(tok))

    def recover_at_end(self, expected: set[str], start: str) -> int | None:
        """The declaration ended too early: close its open blocks if that is all it lacks."""
        unclosed = self.innermost_open_brace()
        if self.unwind_to_block() is not None:
            opened = unclosed
            related = ()
            hint = ()
            if opened is not None:
                related = (Related("this '{' is not closed", None, Span(opened.start, opened.end)),)
                line = self.file.text.count("\n", 0, opened.start) + 1
                hint = (f"the '{{' on line {line} has no matching '}}'",)
            self.report(Diagnostic(codes.UNEXPECTED_EOF, "missing '}' at the end of this declaration",
                                   Span(self.end.start, self.end.end), related=related, hints=hint))
            closer = make_token("RBRACE", "}", self.end.start, self.end.end)
            for _ in range(200):
                if self.feed(self.end):
                    return None
                if not self.feed(closer):
                    break
            return None
        what = "declaration" if start == "item" else "block"
        self.report(Diagnostic(codes.UNEXPECTED_EOF,
                               f"unexpected end of {what}: {_expected_text(expected)}",
                               Span(self.end.start, self.end.end)))
        return None

    def unwind_to_block(self) -> int | None:
        """Pop the parser's stacks to the innermost open block; its brace depth, or None."""
        blocks = self.t.block_states
        stack = self.state_stack
        for k in range(len(stack) - 1, -1, -1):
            if stack[k] in blocks:
                del stack[k + 1:]
                del self.value_stack[k:]
                opened = self.innermost_open_brace()
                if opened is None:
                    return 1
                index = next((k for k in range(len(self.tokens)) if self.tokens[k] is opened), None)
                return self.depths[index] + 1 if index is not None else 1
        return None

    def innermost_open_brace(self) -> Token | None:
        for value in reversed(self.value_stack):
            if type(value) is Token and value[0] == "LBRACE":
                return value
        return None

    def next_statement(self, i: int, depth: int, must_move: bool) -> int:
        """Where the next statement of the block at `depth` starts, from token i on."""
        tokens = self.tokens
        depths = self.depths
        text = self.file.text
        n = len(tokens)
        k = i + 1 if must_move else i
        while k < n:
            tok = tokens[k]
            d = depths[k]
            if d < depth:
                return k  # the `}` that closes the block
            if d == depth:
                kind = tok[0]
                if kind == "RBRACE":
                    k += 1  # closes a block opened inside the skipped statement
                    continue
                if kind == "SEMI":
                    return k + 1
                if kind in _STATEMENT_KEYWORDS:
                    return k
                if k > i and (kind in _EXPRESSION_STARTS or kind == "LBRACE") and _starts_line(text, tokens, k):
                    return k
            k += 1
        return n

    def body_after(self, i: int) -> int | None:
        for k in range(i, len(self.tokens)):
            if self.tokens[k][0] == "LBRACE" and self.depths[k] == 0:
                return k
        return None


def macro_trail(tok: Token) -> tuple[Related, ...]:
    """For a token that came out of a macro: where it is in the macro, and each expansion."""
    origin = expanded_from(tok)
    if origin is None:
        return ()
    expansion, written = origin
    macro = expansion.macro
    related = [Related(f"in the expansion of macro '@{macro.name}'", macro.path,
                       Span(written.start, written.end), macro.text)]
    outer = expansion.parent
    while outer is not None:
        related.append(Related(f"which is used in macro '@{outer.macro.name}'", outer.macro.path,
                               outer.macro.span, outer.macro.text))
        outer = outer.parent
    return tuple(related)


def _brace_depths(tokens: list[Token]) -> list[int]:
    """For each token, how many `{` are open before it (within the declaration)."""
    depths = []
    depth = 0
    for tok in tokens:
        kind = tok[0]
        if kind == "RBRACE" and depth:
            depth -= 1
            depths.append(depth)
            continue
        depths.append(depth)
        if kind == "LBRACE":
            depth += 1
    return depths


def _starts_line(text: str, tokens: list[Token], k: int) -> bool:
    previous = tokens[k - 1]
    return "\n" in text[previous.end : tokens[k].start]


_DECLARATION_STARTS = frozenset({"PROBE", "GLOBAL", "PRIVATE", "FUNCTION", "EMBEDDED"})


def _expected_text(expected: set[str]) -> str:
    """A short "expected ..." for a set of terminals the parser would accept."""
    kinds = set(expected)
    if kinds == _DECLARATION_STARTS:
        return _TOP_LEVEL_MESSAGE
    if kinds & _EXPRESSION_STARTS >= {"IDENT", "NUMBER", "STRING"}:
        structural = sorted(kinds - _EXPRESSION_STARTS - _CONTINUATIONS - KEYWORD_KINDS - {"$END", "SEMI", "LBRACE", "RBRACE"})
        if "RBRACE" in kinds and "IF" in kinds:
            return "expected a statement or '}'"
        if not structural:
            return "expected an expression"
        return "expected an expression or " + _join(describe_kind(k) for k in structural)
    # After a complete operand every binary operator would do; leave them out
    # and say what else could come (`expected ')' or ','`).
    if kinds & {"OROR", "ANDAND", "CMP_OP"}:
        narrowed = (kinds - _CONTINUATIONS - {"$END"}) or (kinds - {"$END"}) or kinds
    else:
        narrowed = (kinds - {"$END"}) or kinds
    names = sorted({describe_kind(k) for k in narrowed})
    if len(names) > 10:
        return "expected one of " + ", ".join(names[:10]) + ", ..."
    return "expected " + _join(names)


def _join(names) -> str:
    names = list(names)
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


def _hints_for(tok: Token, expected: set[str]) -> tuple[str, ...]:
    kind = tok[0]
    if kind in KEYWORD_KINDS and "IDENT" in expected:
        return (f"'{tok[1]}' is a keyword and cannot be used as a name",)
    if kind == "STRAY":
        return (f"'{tok[1]}' has no meaning in SystemTap",)
    if kind == "MATCH_OP":
        return ("'=~' and '!~' cannot follow a comparison; parenthesize",)
    return ()
