"""Formatting a file, and proving on every run that nothing but whitespace changed.

`format_text` lays the text out (layout.py) and then checks, as black does,
that the result is the same program: the same tokens in the same order (so
every branch of every conditional, every macro and every `$1` is the same),
the same comments, and the same input to the parser in every branch of every
conditional, for the target and for the other targets (see
`check_same_program`).  If any check fails the text is not changed and a
`FormatError` says why; a file with syntax errors is not formatted at all.
"""

from __future__ import annotations

from collections import Counter
from itertools import compress, repeat
from operator import and_, itemgetter, xor
from pathlib import Path

import attrs

from ..diagnostics import Diagnostic
from ..syntax.tokens import AT_WORDS
from .layout import ALL_FEATURES, BLANKS, Style, layout

# How many times the file may be preprocessed for other targets, to read every branch
# of its conditionals (the parser's own check of untaken branches stops at 24).
MAX_ALTERNATIVE_RUNS = 200


# (kind, text) of a token: what must be the same before and after.
_KIND_AND_TEXT = itemgetter(0, 1)
_KIND = itemgetter(0)
_TEXT = itemgetter(1)
_TEXT_OF_COMMENT = itemgetter(2)  # a Comment's text
_FLAGS = itemgetter(4)


class FormatError(Exception):
    """The layout would change the program (a bug in stapkit): the file is left alone."""


@attrs.frozen
class FormatResult:
    text: str  # the formatted text (the input when it could not be formatted)
    changed: bool
    syntax_errors: tuple[Diagnostic, ...] = ()  # not formatted: it does not parse


def format_text(text: str, path: str = "<string>", style: Style = Style(), options=None) -> FormatResult:
    from ..gcpause import collector_paused

    # A file's tokens, tree and layout are freed as they go out of use (they hold no
    # cycles): the collector would only scan them, again and again, while they live.
    with collector_paused():
        return _format_text(text, path, style, options)


def syntax_options(options=None):
    """The ParseOptions of the formatter's parse, from the caller's (or the defaults).

    Guru-only syntax (embedded C, @const, ...) is still syntax: format it, do not judge it.
    The branches the target does not take are not parsed here: the layout keeps every
    token, and check_same_program reads every branch.  `$1` stays a placeholder: the
    text is formatted, not one run of it.
    """
    from ..syntax.parser import ParseOptions

    return attrs.evolve(options or ParseOptions(guru=True), check_all_branches=False, args=None)


def _format_text(text: str, path: str, style: Style, options) -> FormatResult:
    from ..syntax.lexer import lex
    from ..syntax.parser import parse_text

    options = syntax_options(options)

    # One lex for the layout and, where the file's language version lexes alike, the parser.
    lexed = lex(text, version=ALL_FEATURES)
    before = parse_text(text, path, options, lexed=(ALL_FEATURES, lexed), build=False)  # syntax errors only
    # An empty script is an error to stap, not to the layout (it has nothing to misread).
    errors = tuple(d for d in before.diagnostics if d.severity.value == "error" and d.code not in ("STP050", "STP061"))
    if errors:
        return FormatResult(text, False, errors)
    out = layout(text, style, lexed)
    if out == text:
        return FormatResult(text, False)
    check_same_program(text, out, before, path, options, lexed)
    return FormatResult(out, True)


def check_same_program(text: str, out: str, before, path: str, options, lexed=None) -> None:
    """Raise FormatError unless `out` is `text` with other whitespace, read the same by the parser.

    `before` is the ParseResult of `text` for `options`.  The parser reads
    whitespace in one place only: between the pieces of a probe point's name
    (`sys**open` is one, `sys* *open` two), after the preprocessor has expanded
    macros and chosen the branches of conditionals.  When the whitespace is
    the same before every token that may be such a piece, the parser gets the
    same input for every target; else the file is preprocessed for the target
    and for other targets until every branch of every conditional was taken,
    and the declarations the parser would read must be the same each time.
    """
    from ..syntax.lexer import lex

    a = lexed if lexed is not None else lex(text, version=ALL_FEATURES)
    b = lex(out, version=ALL_FEATURES)
    # The texts, then the kinds, each compared as one list: cheaper than (kind, text) pairs.
    if len(a.tokens) != len(b.tokens) or list(map(_TEXT, a.tokens)) != list(map(_TEXT, b.tokens)) \
            or list(map(_KIND, a.tokens)) != list(map(_KIND, b.tokens)):
        tokens_a = list(map(_KIND_AND_TEXT, a.tokens))
        tokens_b = list(map(_KIND_AND_TEXT, b.tokens))
        where = next((i for i, (x, y) in enumerate(zip(tokens_a, tokens_b)) if x != y), min(len(tokens_a),
                                                                                          len(tokens_b)))
        raise FormatError(f"{path}: formatting would change token {where + 1} "
                          f"({tokens_a[where:where + 1]} -> {tokens_b[where:where + 1]}); the file is left as it was")
    # The layout moves comments only with their lines, so they usually come out in the same
    # order, byte for byte; else they must be the same words, as many times each.
    if list(map(_TEXT_OF_COMMENT, a.comments)) != list(map(_TEXT_OF_COMMENT, b.comments)) and \
            Counter(_comment(c.text) for c in a.comments) != Counter(_comment(c.text) for c in b.comments):
        raise FormatError(f"{path}: formatting would change a comment; the file is left as it was")
    if _gluing_unchanged(a.tokens, b.tokens):
        return
    problem = _parser_input_difference(text, out, before, path, options, (a, b))
    if problem:
        raise FormatError(f"{path}: formatting would change how a probe point is read ({problem}); "
                          "the file is left as it was")


def _gluing_unchanged(a, b) -> bool:
    """Is the whitespace the same before every token the parser may glue to the one before it?

    The parser glues a name piece (a word, a keyword or `*`) to the piece
    before it when no whitespace comes between.  In the file as written, the
    piece before it is the token before it, except after a conditional's
    `%?`, `%:` or `%)`, a macro's name or parameter, the `%(` of a macro body
    and the `(`, `,` and `)` of a macro's arguments: what the preprocessor
    puts before it there can be any token.  A condition (between `%(` and
    `%?`) never reaches the parser.
    """
    from ..syntax.feeder import NAME_PIECES
    from ..syntax.tokens import WS_BEFORE

    # Most files change no whitespace there: see that first, at the tokens whose whitespace
    # before them changed (found without a Python loop: most tokens of a file have none).
    moved = compress(range(len(a)), map(and_, map(xor, map(_FLAGS, a), map(_FLAGS, b)), repeat(WS_BEFORE)))
    if not any(i and a[i].kind in NAME_PIECES and (
            a[i - 1].kind in NAME_PIECES or a[i - 1].kind in _AT_KINDS or a[i - 1].kind in _MAYBE_GLUED_AFTER)
            for i in moved):
        return True
    in_condition = False
    after_define = False  # between @define and its body's %(
    macro_brackets: list[bool] = []  # for each open ( and [: is it a macro's argument list?
    glued_after = False  # may the parser read the whitespace before the next token?
    previous_kind = ""
    for i, tok in enumerate(a):
        kind = tok.kind
        if kind in NAME_PIECES:
            if glued_after and not in_condition and (tok.flags ^ b[i].flags) & WS_BEFORE:
                return False
            glued_after = True
        elif kind in _MACRO_SYNTAX:
            # Brackets, commas and directives: follow macro calls, bodies and conditions.
            if kind in ("LPAR", "LSQB"):
                call = kind == "LPAR" and previous_kind in _AT_KINDS
                macro_brackets.append(call)
                glued_after = call
            elif kind in ("RPAR", "RSQB"):
                glued_after = bool(macro_brackets) and macro_brackets.pop()
            elif kind == "COMMA":
                glued_after = bool(macro_brackets) and macro_brackets[-1]
            else:
                glued_after = True
                if kind == "DEFINE":
                    after_define = True
                elif kind == "PP_OPEN":
                    in_condition = not after_define
                    after_define = False
                elif kind == "PP_THEN":
                    in_condition = False
        else:
            glued_after = kind in _AT_KINDS or kind in ("ARG_NUM", "ARG_STR")
        previous_kind = kind
    return True


# The tokens `_gluing_unchanged` follows: after a macro's name or parameter (an @-word), a
# directive or a `$1`, the preprocessor may put any token before the next one.
_AT_KINDS = frozenset(kind for word, kind in AT_WORDS.items() if word != "@define") | {"AT_OTHER"}
_MACRO_SYNTAX = frozenset({"LPAR", "LSQB", "RPAR", "RSQB", "COMMA", "DEFINE", "PP_OPEN", "PP_THEN", "PP_ELSE",
                           "PP_CLOSE"})
_MAYBE_GLUED_AFTER = _MACRO_SYNTAX | {"ARG_NUM", "ARG_STR"}


def _parser_input_difference(text: str, out: str, before, path: str, options, lexed=None) -> str:
    """Where the declarations the parser reads differ between `text` and `out` ("" if nowhere).

    Both are read for the target, then for as many other targets (and, where
    no target takes a branch, with the branch forced) as it takes to go
    through every branch of every conditional once (alternatives.py).
    """
    from ..syntax.alternatives import AlternativeRuns
    from ..syntax.feeder import split_declarations
    from ..syntax.lexer import keywords_for, lex
    from ..syntax.preprocessor import preprocess
    from ..syntax.target import parse_version

    target = before.target
    # Lexed as the parser lexes them (`private` is a name before 3.0): `lexed`, the texts
    # lexed with every feature (text, out), if that lexes alike.
    version = ALL_FEATURES if options.tapset else parse_version(target.systemtap_v)
    if lexed is not None and keywords_for(version) is keywords_for(ALL_FEATURES):
        tokens_a, tokens_b = lexed[0].tokens, lexed[1].tokens
    else:
        tokens_a = lex(text, version=version).tokens
        tokens_b = lex(out, version=version).tokens
    if len(tokens_a) != len(tokens_b):
        return "the tokens differ"
    # The text after formatting, at the offsets of the text before: the same conditionals
    # and macros, only the whitespace flags differ.
    tokens_b = [old._replace(flags=new.flags) for old, new in zip(tokens_a, tokens_b)]
    library = _library_macros(before, options)

    def read(tokens, run_target, argc, forced):
        result = preprocess(tokens, target=run_target, library_macros=library, argc=argc, forced=forced, path=path)
        return result, [[(t.kind, t.text) for t in chunk] for chunk in split_declarations(result.tokens)]

    main, declarations_a = read(tokens_a, target, 0, None)
    if read(tokens_b, target, 0, None)[1] != declarations_a:
        return "for the target"
    runs = AlternativeRuns(tokens_a, main, target=target, library=library, argc=0, path=path,
                           max_runs=MAX_ALTERNATIVE_RUNS)
    for run in runs:
        # The same choices after formatting: every conditional of the file as this run took it.
        forced = {c.open.start: c.taken for c in run.result.conditionals if c.taken is not None}
        declarations = [[(t.kind, t.text) for t in chunk] for chunk in split_declarations(run.result.tokens)]
        if read(tokens_b, run.target, run.argc, forced)[1] != declarations:
            return "in a branch of a %( %) conditional the target does not take"
    if not runs.exhausted:
        return f"the file has too many conditionals to read every branch ({runs.stopped})"
    return ""


def _library_macros(before, options) -> dict:
    """The library macros the parser used for `before` (as parse_text finds them)."""
    from ..syntax.macro_library import load_macro_library
    from ..syntax.tapset_path import default_tapset_root

    if options.library_macros is not None:
        return dict(options.library_macros)
    roots = list(options.tapset_roots) if options.tapset_roots is not None else (
        [r] if (r := default_tapset_root()) else [])
    if before.first_line is not None:
        roots += [Path(d) for d in before.first_line.include_dirs]
    return load_macro_library(tuple(roots), before.target).macros if roots else {}


def _comment(text: str) -> str:
    """A comment's words: blanks at the ends of its lines are not part of it (they are trimmed)."""
    return "\n".join(line.rstrip(BLANKS) for line in text.split("\n")).rstrip(BLANKS)
