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


_TOKEN_RE = re.compile(
    r"""
    [ \t\n\r\f\v]*                                   # whitespace before the token
    (?:
       (?P<ARG>[$@](?:\#|[0-9]+))                     # $1 @1 $# @#  (before '#' comments)
      |(?P<WORD>[A-Za-z_$@][A-Za-z0-9_$]*)
      |(?P<NUMBER>[0-9][A-Za-z0-9]*)
      |(?P<STRING>"[^"\\\n]*(?:\\[\s\S][^"\\\n]*)*")
      |(?P<COMMENT>\#[^\n]*|//[^\n]*|/\*[\s\S]*?\*/)
      |(?P<EMBEDDED>%\{[\s\S]*?%\})
      |(?P<BAD_COMMENT>/\*[\s\S]*)
      |(?P<BAD_EMBEDDED>%\{[\s\S]*)
      |(?P<OP><<<|>>>|<<=|>>=|==|!=|<=|>=|=~|!~|\+=|-=|\*=|/=|%=|&=|\^=|\|=|\.=
             |&&|\|\||\+\+|--|->|<<|>>|%[(?:)]
             |[!%&'()*+,\-./:;<=>?\[\\\]^`{|}~])
      |(?P<BAD_STRING>"[^"\\\n]*(?:\\[\s\S][^"\\\n]*)*)
      |(?P<END>\Z)
      |(?P<JUNK>[\s\S])
    )
    """,
    re.VERBOSE,
)

# The groups of _TOKEN_RE, by number (Match.lastindex is cheaper than lastgroup).
(_ARG, _WORD, _NUMBER, _STRING, _COMMENT, _EMBEDDED, _BAD_COMMENT, _BAD_EMBEDDED, _OP, _BAD_STRING,
 _END, _JUNK) = (_TOKEN_RE.groupindex[name] for name in (
    "ARG", "WORD", "NUMBER", "STRING", "COMMENT", "EMBEDDED", "BAD_COMMENT", "BAD_EMBEDDED", "OP",
    "BAD_STRING", "END", "JUNK"))

# Keywords of a language version older than 3.0 lack `private`.
_KEYWORDS_BEFORE_3_0 = {k: v for k, v in KEYWORDS.items() if k != "private"}


def keywords_for(version: tuple[int, ...]) -> dict[str, str]:
    return KEYWORDS if version >= (3, 0) else _KEYWORDS_BEFORE_3_0


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
    """The reference lexer: every case, one token at a time."""
    tokens: list[Token] = []
    comments: list[Comment] = []
    diagnostics: list[Diagnostic] = []
    keywords_get = keywords_for(version).get
    at_words_get = AT_WORDS.get
    operators = OPERATORS
    append = tokens.append
    match = _TOKEN_RE.match
    new = tuple.__new__
    pos = 0
    pending_flags = 0  # flags owed to the next token by a comment before it
    junk_start = -1  # start of a run of junk characters not yet reported

    while True:
        m = match(text, pos)
        group = m.lastindex
        start, end = m.span(group)
        flags = pending_flags
        if start > pos:
            flags |= WS_BEFORE
        pending_flags = 0
        pos = end
        if junk_start >= 0 and group != _JUNK:
            _report_junk(text, junk_start, start if start > junk_start else end, diagnostics)
            junk_start = -1

        if group == _WORD:
            value = text[start:end]
            first = value[0]
            if first == "$":
                kind = "PRETTY" if value.strip("$") == "" else "TARGET"
            elif first == "@":
                kind = at_words_get(value, "AT_OTHER")
            else:
                kind = keywords_get(value, "IDENT")
            append(new(Token, (kind, value, start, end, flags, None)))
            continue
        if group == _OP:
            value = text[start:end]
            append(new(Token, (operators[value], value, start, end, flags, None)))
            continue
        if group == _NUMBER:
            append(new(Token, ("NUMBER", text[start:end], start, end, flags, None)))
        elif group == _STRING:
            append(new(Token, ("STRING", text[start:end], start, end, flags, None)))
        elif group == _COMMENT:
            comments.append(Comment(start, end, text[start:end]))
            pending_flags = flags | WS_BEFORE | COMMENT_BEFORE
        elif group == _END:
            break
        elif group == _JUNK:
            if junk_start < 0:
                junk_start = start
            # A junk character separates tokens as whitespace would.
            pending_flags = flags | WS_BEFORE
        elif group == _ARG:
            value = text[start:end]
            glued = _GLUED_WORD.match(text, end) if value[0] == "$" and value[1] != "#" else None
            if glued is not None and args is not None:
                # stap pastes the argument's text and lexes on: `$1A` with $1 = 5 is the number `5A`.
                pos = glued.end()
                tokens.extend(_paste_argument(value, start, pos, flags, args, version, diagnostics,
                                              glued.group()))
                continue
            if glued is not None:
                diagnostics.append(_glued_argument(value, glued.group(), start, glued.end()))
            if args is None:
                kind = "ARG_NUM" if value[0] == "$" else "ARG_STR"
                origin = None
                if value[1:] != "#" and int(value[1:]) == 0:
                    origin = BadArgument(
                        f"command line argument '{value}' does not exist: arguments are numbered from 1")
                append(new(Token, (kind, value, start, end, flags, origin)))
            else:
                tokens.extend(_paste_argument(value, start, end, flags, args, version, diagnostics))
        elif group == _EMBEDDED:
            value = text[start:end]
            append(new(Token, ("EMBEDDED", value, start, end, flags, None)))
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
            value = text[start:end]
            diagnostics.append(
                Diagnostic(
                    codes.UNTERMINATED_STRING,
                    "unterminated string: no closing '\"' on this line",
                    Span(start, end),
                    hints=("a string must end on the line where it starts "
                           "(or continue after a backslash)",),
                )
            )
            append(new(Token, ("STRING", value + '"', start, end, flags, None)))
        elif group == _BAD_COMMENT:
            comments.append(Comment(start, end, text[start:end]))
            diagnostics.append(
                Diagnostic(
                    codes.UNTERMINATED_COMMENT,
                    "unterminated comment: '/*' has no closing '*/' (it runs to the end of the file)",
                    Span(start, start + 2),
                    Severity.WARNING,
                )
            )
            pending_flags = flags | WS_BEFORE | COMMENT_BEFORE
        elif group == _BAD_EMBEDDED:
            diagnostics.append(
                Diagnostic(
                    codes.UNTERMINATED_EMBEDDED,
                    "unterminated embedded C: '%{' has no closing '%}'",
                    Span(start, start + 2),
                )
            )
            append(new(Token, ("EMBEDDED", text[start:end] + "%}", start, end, flags, None)))

    if junk_start >= 0:
        _report_junk(text, junk_start, len(text), diagnostics)
    return LexResult(tokens, comments, diagnostics)


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
