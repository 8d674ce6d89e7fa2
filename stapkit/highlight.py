"""A Pygments lexer for SystemTap, built on stapkit's own lexer.

Pygments finds it through the `pygments.lexers` entry point (the extra
`stapkit[pygments]` installs Pygments): `pygmentize -l systemtap script.stp`, and
code blocks tagged `systemtap` or `stap` in Sphinx, MkDocs and anything else that
highlights with Pygments.

The text is split by stapkit.syntax.lexer, the lexer the parser uses, so a token
is what stap would read: `$#` is not a comment, `kernel.function(...).return` is
a probe point and not the keyword `return`, a string may go on after a
backslash at the end of a line, embedded C runs to the first `%}` (and is
highlighted as C). Characters that are not SystemTap are shown as errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pygments.lexer import Lexer
from pygments.lexers.c_cpp import CLexer
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
    _TokenType,
)

from .syntax.lexer import lex
from .syntax.tokens import AT_WORDS, KEYWORDS

_DECLARATIONS = {"PROBE", "FUNCTION", "GLOBAL", "PRIVATE"}
_TYPES = {"STRING_TYPE", "LONG_TYPE"}
_KEYWORD_KINDS = set(KEYWORDS.values())
_AT_OPERATORS = {kind for kind in AT_WORDS.values() if kind != "DEFINE"}
_PREPROCESSOR = {"PP_OPEN", "PP_THEN", "PP_ELSE", "PP_CLOSE", "DEFINE"}
_PUNCTUATION = {"LPAR", "RPAR", "LSQB", "RSQB", "LBRACE", "RBRACE", "COMMA", "SEMI"}
_FIXED: dict[str, _TokenType] = {
    "TARGET": Name.Variable,
    "PRETTY": Name.Variable,
    "ARG_NUM": Name.Variable.Magic,
    "ARG_STR": Name.Variable.Magic,
    "AT_OTHER": Name.Decorator,  # a macro invocation or a macro's parameter
    "STRAY": Error,
}
# Inside a string: escapes, and printf's conversions (which only matter in a format,
# but a string cannot tell whether it is one).
_STRING_PARTS = re.compile(
    r"(?P<escape>\\(?:[0-7]{1,3}|x[0-9A-Fa-f]+|[\s\S]))"
    r"|(?P<conversion>%(?:%|[-+ #0]*(?:[0-9]+|\*)?(?:\.(?:[0-9]+|\*))?(?:l{0,2}|h{0,2})[bcdiomMpsuxX]))"
)


class SystemTapLexer(Lexer):
    """SystemTap scripts and tapsets (stap, .stp, .stpm)."""

    name = "SystemTap"
    aliases = ["systemtap", "stap"]
    filenames = ["*.stp", "*.stpm"]
    mimetypes = ["text/x-systemtap"]
    url = "https://sourceware.org/systemtap/"

    def get_tokens_unprocessed(self, text: str) -> Iterator[tuple[int, _TokenType, str]]:
        result = lex(text)
        # Comments and tokens, in the order of the text; a token made from text that is
        # not in the file (a pasted argument, a macro body) has none and is skipped.
        # (start, end, index of the token, or -1 for a comment)
        pieces = [(c.start, c.end, -1) for c in result.comments]
        tokens = result.tokens
        pieces.extend((t.start, t.end, i) for i, t in enumerate(tokens) if t.origin is None)
        pieces.sort()
        pos = 0
        for start, end, index in pieces:
            if start < pos:  # cannot happen for the lexer's own tokens; never repeat text
                continue
            if start > pos:
                yield from _gap(pos, text[pos:start])
            value = text[start:end]
            if index < 0:
                yield start, _comment_type(value, start), value
            else:
                yield from _token(start, value, tokens, index)
            pos = end
        if pos < len(text):
            yield from _gap(pos, text[pos:])

    @staticmethod
    def analyse_text(text: str) -> float:
        first = text.split("\n", 1)[0]
        return 1.0 if first.startswith("#!") and re.search(r"\bstap\b", first) else 0.0


def _gap(offset: int, text: str) -> Iterator[tuple[int, _TokenType, str]]:
    """Whitespace between tokens, and the characters the lexer dropped as not SystemTap."""
    for match in re.finditer(r"\s+|\S+", text):
        kind = Whitespace if match.group().isspace() else Error
        yield offset + match.start(), kind, match.group()


def _comment_type(value: str, start: int) -> _TokenType:
    if value.startswith("/*"):
        return Comment.Multiline
    if start == 0 and value.startswith("#!"):
        return Comment.Hashbang
    return Comment.Single


def _token(start: int, value: str, tokens: list, i: int) -> Iterator[tuple[int, _TokenType, str]]:
    kind = tokens[i].kind
    previous = tokens[i - 1].kind if i > 0 else None
    if kind == "STRING":
        yield from _string(start, value)
    elif kind == "EMBEDDED":
        yield from _embedded(start, value)
    elif kind == "NUMBER":
        yield start, _number_type(value), value
    elif kind in _KEYWORD_KINDS or kind == "IDENT":
        yield start, _word_type(kind, previous, tokens[i + 1].kind if i + 1 < len(tokens) else None), value
    elif kind in _AT_OPERATORS:
        yield start, Name.Builtin, value
    elif kind in _PREPROCESSOR:
        yield start, Comment.Preproc, value
    elif kind in _FIXED:
        yield start, _FIXED[kind], value
    elif kind in _PUNCTUATION:
        yield start, Punctuation, value
    else:
        yield start, Operator, value


def _word_type(kind: str, previous: str | None, following: str | None) -> _TokenType:
    # After `.` a name is a probe-point component (kernel.function, .return), after
    # `->` a member, even when it is spelled like a keyword.
    if previous == "DOT":
        return Name.Attribute
    if previous == "ARROW":
        return Name.Variable
    if kind in _DECLARATIONS:
        return Keyword.Declaration
    if kind in _TYPES:
        return Keyword.Type
    if kind != "IDENT":
        return Keyword
    if previous == "FUNCTION" or following == "LPAR":
        return Name.Function
    return Name


def _number_type(value: str) -> _TokenType:
    lower = value.lower()
    if lower.startswith("0x"):
        return Number.Hex
    if len(value) > 1 and value.startswith("0") and value.isdigit():
        return Number.Oct
    return Number.Integer


def _string(start: int, value: str) -> Iterator[tuple[int, _TokenType, str]]:
    pos = 0
    for match in _STRING_PARTS.finditer(value):
        if match.start() > pos:
            yield start + pos, String.Double, value[pos:match.start()]
        kind = String.Escape if match.lastgroup == "escape" else String.Interpol
        yield start + match.start(), kind, match.group()
        pos = match.end()
    if pos < len(value):
        yield start + pos, String.Double, value[pos:]


def _embedded(start: int, value: str) -> Iterator[tuple[int, _TokenType, str]]:
    """`%{ ... %}`: the markers, and the C between them highlighted by Pygments' C lexer."""
    closed = value.endswith("%}") and len(value) >= 4
    inner = value[2:-2] if closed else value[2:]
    yield start, Comment.Preproc, "%{"
    offset = start + 2
    for index, kind, part in CLexer(stripnl=False, ensurenl=False).get_tokens_unprocessed(inner):
        yield offset + index, kind, part
    if closed:
        yield start + len(value) - 2, Comment.Preproc, "%}"
