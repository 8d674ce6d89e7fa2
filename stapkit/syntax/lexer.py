"""The SystemTap lexer: source text to tokens, comments kept aside.

It follows stap's `lexer::scan` (parse.cxx) character for character where that
decides what is valid:

* identifiers start with a letter, `_`, `$` or `@` and go on with letters,
  digits, `_` and `$`; those starting with `$` are context variables (`$var`,
  `$$vars`, and the pretty-print marks `$` / `$$` alone), those starting with
  `@` are operators or macro invocations;
* a number is a digit followed by any letters and digits (checked later);
* a string runs to the next unescaped `"` on the same line, but a backslash
  escapes anything, even a line break;
* `#`, `//` and `/* */` are comments (an unterminated `/*` runs to the end of
  the file), and `$#` / `@#` are not comments but the argument count;
* `%{ ... %}` is one embedded-C token;
* operators are matched longest first; any other ASCII punctuation is a
  one-character operator, anything else is junk.

Lexing never fails: a lexical error is reported once as a diagnostic and the
token stream is repaired (an unterminated string is closed at the end of its
line, junk characters are dropped) so that the parser reports only the errors
that are really there.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..diagnostics import Diagnostic, Severity, Span
from . import codes
from .tokens import (
    AT_WORDS,
    COMMENT_BEFORE,
    KEYWORDS,
    OPERATORS,
    WS_BEFORE,
    Token,
    make_token,
)


class Comment(NamedTuple):
    start: int
    end: int
    text: str  # with its markers: "# x", "// x", "/* x */"


class ArgumentOrigin(NamedTuple):
    """Marks tokens pasted in from a command-line argument (`$1`, `@2`, ...)."""

    text: str  # "$1"
    value: str  # the argument given with --arg


class BadArgument(NamedTuple):
    """Marks a `$N`/`@N` that names no argument.

    stap reports it only where the token is used, not in a skipped branch of
    a conditional, so the preprocessor reports it (see preprocessor.py).
    """

    message: str


class LexResult(NamedTuple):
    tokens: list[Token]
    comments: list[Comment]
    diagnostics: list[Diagnostic]


# The token patterns, in the order they are tried: the commonest tokens
# (operators, words) first, but after nothing that must win over them.
_WHITESPACE = r"[ \t\n\r\f\v]*"
_PATTERNS = (
    # The longest operator (`<<<` before `<<` before `<`), by first character, the
    # commonest first; those starting with `/` or `%` are OP2.
    ("OP", r"[(),;\[\]{}]|=[=~]?|[.*^]=?|-[-=>]?|\+[+=]?|<(?:<[<=]?|=)?|>(?:>[>=]?|=)?|![=~]?"
           r"|&[&=]?|\|[|=]?|[?:~'\\`]"),
    ("WORD", r"[A-Za-z_][A-Za-z0-9_$]*"),
    ("NUMBER", r"[0-9][A-Za-z0-9]*"),
    ("STRING", r'"[^"\\\n]*(?:\\[\s\S][^"\\\n]*)*"'),
    ("ARG", r"[$@](?:\#|[0-9]+)"),  # $1 @1 $# @#  (before `#` comments, before SIGIL_WORD)
    ("COMMENT", r"\#[^\n]*|//[^\n]*|/\*[\s\S]*?\*/"),
    ("EMBEDDED", r"%\{[\s\S]*?%\}"),
    ("BAD_COMMENT", r"/\*[\s\S]*"),
    ("BAD_EMBEDDED", r"%\{[\s\S]*"),
    ("OP2", r"/=?|%[=(?:)]?"),  # after comments and embedded C
    ("SIGIL_WORD", r"[$@][A-Za-z0-9_$]*"),  # $var $$vars $ $$ @cast @macro
    ("BAD_STRING", r'"[^"\\\n]*(?:\\[\s\S][^"\\\n]*)*'),
    ("END", r"\Z"),
    ("JUNK", r"[\s\S]"),  # (never whitespace: the whitespace before a token is taken first)
)
_PATTERN = dict(_PATTERNS)

# One token, each kind in a group of its own (Match.lastindex says which).
_TOKEN_RE = re.compile(_WHITESPACE + "(?:" + "|".join(f"(?P<{name}>{rx})" for name, rx in _PATTERNS) + ")")
(_OP, _WORD, _NUMBER, _STRING, _ARG, _COMMENT, _EMBEDDED, _BAD_COMMENT, _BAD_EMBEDDED, _OP2,
 _SIGIL_WORD, _BAD_STRING, _END, _JUNK) = (_TOKEN_RE.groupindex[name] for name, _ in _PATTERNS)

# The same tokens for re.findall, which makes no Match object: (whitespace
# before, a plain token, a special token).  A plain token is one whose kind
# follows from its text alone (operators, words, numbers, strings, `$var`,
# `@word`); OP2 and SIGIL_WORD move up among them, with lookaheads that leave
# comments, embedded C and ARG to come first as before.  The special ones are
# read again with _TOKEN_RE.  At the end, whitespace matches nothing (END is
# left out; JUNK takes no whitespace); anywhere else a match starts, so
# findall skips nothing.
_FAST_RE = re.compile(
    f"({_WHITESPACE})(?:"
    f"({_PATTERN['OP']}|/(?![/*])=?|%(?!\\{{)[=(?:)]?|{_PATTERN['WORD']}|{_PATTERN['NUMBER']}"
    f"|{_PATTERN['STRING']}|[$@](?![#0-9])[A-Za-z0-9_$]*)"
    f"|({_PATTERN['ARG']}|{_PATTERN['COMMENT']}|{_PATTERN['EMBEDDED']}|{_PATTERN['BAD_COMMENT']}"
    f"|{_PATTERN['BAD_EMBEDDED']}|{_PATTERN['BAD_STRING']}|[^ \\t\\n\\r\\f\\v]))"
)

# Keywords of a language version older than 3.0 lack `private`.
_KEYWORDS_BEFORE_3_0 = {k: v for k, v in KEYWORDS.items() if k != "private"}


def keywords_for(version: tuple[int, ...]) -> dict[str, str]:
    return KEYWORDS if version >= (3, 0) else _KEYWORDS_BEFORE_3_0


# The kinds of the plain tokens whose text is an operator, a keyword or an
# @-word of the parser's, with keywords_for's two tables of keywords.
_PLAIN_KINDS = {**OPERATORS, **AT_WORDS, **KEYWORDS}
_PLAIN_KINDS_BEFORE_3_0 = {**OPERATORS, **AT_WORDS, **_KEYWORDS_BEFORE_3_0}


def word_kind(text: str, keywords: dict[str, str]) -> str:
    first = text[0]
    if first == "$":
        return "PRETTY" if text.strip("$") == "" else "TARGET"
    if first == "@":
        return AT_WORDS.get(text, "AT_OTHER")
    return keywords.get(text, "IDENT")


def lex(
    text: str,
    *,
    version: tuple[int, ...] = (5, 6),
    args: list[str] | None = None,
) -> LexResult:
    """Split `text` into tokens.

    `args` are the script's command-line arguments.  When None, `$1`, `@1`,
    `$#` and `@#` stay as placeholder tokens (ARG_NUM, ARG_STR) so that a
    script that needs arguments can still be parsed; otherwise they are
    replaced by the argument text, as stap does.
    """
    return _lex(text, version, args)


def _lex(text: str, version: tuple[int, ...], args: list[str] | None) -> LexResult:
    """The plain tokens from _FAST_RE's list, the special ones by _Lexer.step."""
    lexer = _Lexer(text, version, args)
    tokens = lexer.tokens
    new = tuple.__new__
    token = Token
    length = len
    ws_before = WS_BEFORE
    step = lexer.step
    # The kinds of plain tokens by their text, with the words met so far added:
    # a file uses a few hundred different words, each many times.
    kinds = (_PLAIN_KINDS if lexer.keywords is KEYWORDS else _PLAIN_KINDS_BEFORE_3_0).copy()
    kinds_get = kinds.get
    pos = 0  # where the last token ended
    # Flags owed to the next token by a comment or junk before it (never 0: they
    # include WS_BEFORE), and the start of a run of junk not yet reported.
    pending = 0
    junk_start = -1
    for space, value, special in _FAST_RE.findall(text):
        if value:
            if space:
                start = pos + length(space)
                flags = ws_before
            else:
                start = pos
                flags = 0
            if pending:
                flags = pending
                pending = 0
                if junk_start >= 0:
                    _report_junk(text, junk_start, start, lexer.diagnostics)
                    junk_start = -1
            kind = kinds_get(value)
            if kind is None:
                kind = kinds[value] = _plain_kind(value)
            pos = start + length(value)
            tokens.append(new(token, (kind, value, start, pos, flags, None)))
            continue
        lexer.pending = pending
        lexer.junk_start = junk_start
        end = step(pos)
        pending = lexer.pending
        junk_start = lexer.junk_start
        if end != pos + len(space) + len(special):
            pos = end
            break  # an argument pasted with the letters glued to it (`$1A`): go on one at a time
        pos = end
    else:
        pos = -1  # the end of the text
    lexer.pending = pending
    lexer.junk_start = junk_start
    while pos >= 0:
        pos = step(pos)
    if lexer.junk_start >= 0:
        _report_junk(text, lexer.junk_start, len(text), lexer.diagnostics)
    return LexResult(tokens, lexer.comments, lexer.diagnostics)


def _plain_kind(text: str) -> str:
    """The kind of a plain token that is no operator, keyword or @-word of the parser's
    (those are in _lex's table already)."""
    first = text[0]
    if first == '"':
        return "STRING"
    if first in "0123456789":
        return "NUMBER"
    return word_kind(text, {})  # a name, `$var`, `$$`, or an @-word not the parser's (no keyword left)


class _Lexer:
    """The lexer's state, and its step for any one token."""

    __slots__ = ("text", "version", "args", "keywords", "tokens", "comments", "diagnostics",
                 "pending", "junk_start")

    def __init__(self, text: str, version: tuple[int, ...], args: list[str] | None):
        self.text = text
        self.version = version
        self.args = args
        self.keywords = keywords_for(version)
        self.tokens: list[Token] = []
        self.comments: list[Comment] = []
        self.diagnostics: list[Diagnostic] = []
        self.pending = 0  # see _lex
        self.junk_start = -1

    def step(self, pos: int) -> int:
        """Read the token (after whitespace) at `pos`: where it ends, or -1 at the end of the text."""
        text = self.text
        tokens = self.tokens
        diagnostics = self.diagnostics
        args = self.args
        m = _TOKEN_RE.match(text, pos)
        group = m.lastindex
        start, end = m.span(group)
        if self.pending:
            flags = self.pending
            self.pending = 0
            if self.junk_start >= 0 and group != _JUNK:
                _report_junk(text, self.junk_start, start if start > self.junk_start else end, diagnostics)
                self.junk_start = -1
        else:
            flags = WS_BEFORE if start > pos else 0
        value = text[start:end]
        if group == _OP or group == _OP2:
            tokens.append(make_token(OPERATORS[value], value, start, end, flags))
        elif group == _WORD:
            tokens.append(make_token(self.keywords.get(value, "IDENT"), value, start, end, flags))
        elif group == _NUMBER:
            tokens.append(make_token("NUMBER", value, start, end, flags))
        elif group == _STRING:
            tokens.append(make_token("STRING", value, start, end, flags))
        elif group == _SIGIL_WORD:
            tokens.append(make_token(word_kind(value, self.keywords), value, start, end, flags))
        elif group == _COMMENT:
            self.comments.append(Comment(start, end, value))
            self.pending = flags | WS_BEFORE | COMMENT_BEFORE
        elif group == _END:
            return -1
        elif group == _JUNK:
            if self.junk_start < 0:
                self.junk_start = start
            # A junk character separates tokens as whitespace would.
            self.pending = flags | WS_BEFORE
        elif group == _ARG:
            glued = _GLUED_WORD.match(text, end) if value[0] == "$" and value[1] != "#" else None
            if glued is not None and args is not None:
                # stap pastes the argument's text and lexes on: `$1A` with $1 = 5 is the number `5A`.
                end = glued.end()
                tokens.extend(_paste_argument(value, start, end, flags, args, self.version, diagnostics,
                                              glued.group()))
                return end
            if glued is not None:
                diagnostics.append(_glued_argument(value, glued.group(), start, glued.end()))
            if args is None:
                kind = "ARG_NUM" if value[0] == "$" else "ARG_STR"
                origin = None
                if value[1:] != "#" and int(value[1:]) == 0:
                    origin = BadArgument(
                        f"command line argument '{value}' does not exist: arguments are numbered from 1")
                tokens.append(make_token(kind, value, start, end, flags, origin))
            else:
                tokens.extend(_paste_argument(value, start, end, flags, args, self.version, diagnostics))
        elif group == _EMBEDDED:
            tokens.append(make_token("EMBEDDED", value, start, end, flags))
            typo = value.find("}%", 2)
            if typo >= 0:
                diagnostics.append(
                    Diagnostic(
                        codes.EMBEDDED_CLOSE_TYPO,
                        "possible erroneous closing '}%', use '%}'?",
                        Span(start + typo, start + typo + 2),
                        Severity.WARNING,
                    )
                )
        elif group == _BAD_STRING:
            # Close the string at the end of its line so the parser can go on.
            diagnostics.append(
                Diagnostic(
                    codes.UNTERMINATED_STRING,
                    "unterminated string: no closing '\"' on this line",
                    Span(start, end),
                    hints=("a string must end on the line where it starts "
                           "(or continue after a backslash)",),
                )
            )
            tokens.append(make_token("STRING", value + '"', start, end, flags))
        elif group == _BAD_COMMENT:
            self.comments.append(Comment(start, end, value))
            diagnostics.append(
                Diagnostic(
                    codes.UNTERMINATED_COMMENT,
                    "unterminated comment: '/*' has no closing '*/' (it runs to the end of the file)",
                    Span(start, start + 2),
                    Severity.WARNING,
                )
            )
            self.pending = flags | WS_BEFORE | COMMENT_BEFORE
        elif group == _BAD_EMBEDDED:
            diagnostics.append(
                Diagnostic(
                    codes.UNTERMINATED_EMBEDDED,
                    "unterminated embedded C: '%{' has no closing '%}'",
                    Span(start, start + 2),
                )
            )
            tokens.append(make_token("EMBEDDED", value + "%}", start, end, flags))
        return end


def _report_junk(text: str, start: int, end: int, diagnostics: list[Diagnostic]) -> None:
    """One diagnostic for a run of characters that are not SystemTap."""
    # The run ends at the first character that lexed as something else; report
    # only the junk characters themselves (whitespace between them is fine).
    run = text[start:end].rstrip(" \t\n\r\f\v")
    first = run[0]
    shown = _show_char(first)
    if len(run.replace(" ", "")) > 1:
        message = f"unexpected characters starting with {shown}"
    else:
        message = f"unexpected character {shown}"
    diagnostics.append(
        Diagnostic(
            codes.INVALID_CHARACTER,
            message,
            Span(start, start + len(run)),
            hints=("SystemTap source is ASCII outside strings and comments",),
        )
    )


def _show_char(ch: str) -> str:
    code = ord(ch)
    if ch.isprintable() and code < 0xD800:
        return f"'{ch}' (U+{code:04X})"
    if code == 0xFFFD:
        return "U+FFFD (a byte that is not valid UTF-8)"
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, read to be written back (stapkit/fileio.py)
        return f"byte 0x{code - 0xDC00:02x} (not valid UTF-8)"
    return f"U+{code:04X}"


# Letters right after `$N`: stap reads them with the argument's text as one token.
_GLUED_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _glued_argument(value: str, word: str, start: int, end: int) -> Diagnostic:
    """`$12A3` with no arguments given: what stap makes of it depends on $12's text."""
    return Diagnostic(
        codes.GLUED_ARGUMENT,
        f"'{value}{word}' is not an argument reference: stap pastes the text of {value} "
        f"and reads it with '{word}' as one token",
        Span(start, end),
        hints=(f"with a number for {value} that is an invalid number (stap: \"number invalid or out "
               "of range\"); write a space or an operator after the argument",
               "give the script's arguments with --arg to check one run of it"),
    )


def _paste_argument(
    value: str,
    start: int,
    end: int,
    flags: int,
    args: list[str],
    version: tuple[int, ...],
    diagnostics: list[Diagnostic],
    glued: str = "",
) -> list[Token]:
    """The tokens of a command-line argument given with --arg, as stap pastes them
    (with the letters `glued` to a `$N`, which stap lexes with the argument's text)."""
    raw = value[0] == "$"
    if value[1] == "#":
        pasted = str(len(args))
    else:
        index = int(value[1:])
        if index == 0 or index > len(args):
            message = (f"command line argument {value} out of range [1-{len(args)}]" if args
                       else f"command line argument {value} used but no arguments were given")
            return [make_token("ARG_NUM" if raw else "ARG_STR", value, start, end, flags,
                               BadArgument(message))]
        pasted = args[index - 1] + glued
    origin = ArgumentOrigin(value + glued, pasted)
    if not raw:
        quoted = '"' + pasted.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return [make_token("STRING", quoted, start, end, flags, origin)]
    inner = lex(pasted, version=version, args=None)
    out = []
    for i, tok in enumerate(inner.tokens):
        if tok.kind in ("ARG_NUM", "ARG_STR"):
            diagnostics.append(
                Diagnostic(
                    codes.ARGUMENT_OUT_OF_RANGE,
                    "invalid nested substitution of command line arguments",
                    Span(start, end),
                )
            )
            continue
        tok_flags = flags if i == 0 else tok.flags
        out.append(make_token(tok.kind, tok.text, start, end, tok_flags, origin))
    for diag in inner.diagnostics:
        diagnostics.append(
            Diagnostic(
                diag.code,
                f"in command line argument {value} ({pasted!r}): {diag.message}",
                Span(start, end),
                diag.severity,
            )
        )
    return out
