"""Tokens of the SystemTap language and the tables that classify them.

A token's `kind` is the name of the terminal in `stap_grammar/stap.lark`, so the
lexer's output can be fed to the Lark parser as it is.  Tokens are plain named
tuples: the tapset library alone has half a million of them, and a tuple is the
cheapest record Python can make.
"""

from __future__ import annotations

from typing import NamedTuple

# Token.flags bits
WS_BEFORE = 1  # whitespace or a comment came right before the token (breaks probe-point gluing)
COMMENT_BEFORE = 2  # a comment came right before the token


class Token(NamedTuple):
    kind: str  # terminal name: "IDENT", "NUMBER", "LBRACE", ...
    text: str  # the token as written (a string keeps its quotes, embedded C its %{ %})
    start: int  # offset of the first character in the file being parsed
    end: int  # offset after the last character
    flags: int = 0
    # Where a token that did not come from the file's own text came from:
    # a macro body or a command-line argument.  Its start/end then point at the
    # invocation in the file, so every span stays inside the file's text.
    origin: object | None = None


def make_token(kind: str, text: str, start: int, end: int, flags: int = 0, origin=None) -> Token:
    return tuple.__new__(Token, (kind, text, start, end, flags, origin))


# Keywords, as stap's lexer knows them.  `private` is a keyword only from
# SystemTap 3.0 on (see keywords_for).
KEYWORDS = {
    "probe": "PROBE",
    "global": "GLOBAL",
    "private": "PRIVATE",
    "function": "FUNCTION",
    "if": "IF",
    "else": "ELSE",
    "for": "FOR",
    "foreach": "FOREACH",
    "in": "IN",
    "limit": "LIMIT",
    "return": "RETURN",
    "delete": "DELETE",
    "while": "WHILE",
    "break": "BREAK",
    "continue": "CONTINUE",
    "next": "NEXT",
    "string": "STRING_TYPE",
    "long": "LONG_TYPE",
    "try": "TRY",
    "catch": "CATCH",
}
KEYWORD_KINDS = frozenset(KEYWORDS.values())

# The @-words the parser gives a meaning to.  Anything else that starts with
# "@" is a macro invocation (resolved by the preprocessor) or, failing that,
# the error "unknown operator".
AT_WORDS = {
    "@cast": "AT_CAST",
    "@var": "AT_VAR",
    "@defined": "AT_DEFINED",
    "@probewrite": "AT_PROBEWRITE",
    "@entry": "AT_ENTRY",
    "@perf": "AT_PERF",
    "@const": "AT_CONST",
    "@kregister": "AT_REGISTER",
    "@uregister": "AT_REGISTER",
    "@kderef": "AT_DEREF",
    "@uderef": "AT_DEREF",
    "@enum": "AT_ENUM",
    "@enumname": "AT_ENUMNAME",
    "@count": "AT_STAT",
    "@sum": "AT_STAT",
    "@min": "AT_STAT",
    "@max": "AT_STAT",
    "@avg": "AT_STAT",
    "@variance": "AT_STAT",
    "@hist_linear": "AT_HIST_LINEAR",
    "@hist_log": "AT_HIST_LOG",
    "@define": "DEFINE",
}

# The first SystemTap version whose parser knows an @-word (stap's lexer::atwords).
AT_WORD_SINCE = {
    "@const": (3, 1),
    "@variance": (3, 1),
    "@kregister": (4, 0),
    "@uregister": (4, 0),
    "@kderef": (4, 0),
    "@uderef": (4, 0),
    "@enum": (5, 5),
    "@enumname": (5, 6),
}

OPERATORS = {
    "<<<": "ASSIGN_OP",
    ">>>": "SHIFT_OP",
    "<<=": "ASSIGN_OP",
    ">>=": "ASSIGN_OP",
    "==": "CMP_OP",
    "!=": "CMP_OP",
    "<=": "CMP_OP",
    ">=": "CMP_OP",
    "=~": "MATCH_OP",
    "!~": "MATCH_OP",
    "+=": "PLUS_EQ",
    "-=": "ASSIGN_OP",
    "*=": "ASSIGN_OP",
    "/=": "ASSIGN_OP",
    "%=": "ASSIGN_OP",
    "&=": "ASSIGN_OP",
    "^=": "ASSIGN_OP",
    "|=": "ASSIGN_OP",
    ".=": "ASSIGN_OP",
    "&&": "ANDAND",
    "||": "OROR",
    "++": "INC",
    "--": "DEC",
    "->": "ARROW",
    "<<": "SHIFT_OP",
    ">>": "SHIFT_OP",
    "%(": "PP_OPEN",
    "%?": "PP_THEN",
    "%:": "PP_ELSE",
    "%)": "PP_CLOSE",
    "<": "CMP_OP",
    ">": "CMP_OP",
    "=": "EQ",
    "+": "PLUS",
    "-": "MINUS",
    "*": "STAR",
    "/": "SLASH",
    "%": "PERCENT",
    "&": "AMP",
    "|": "VBAR",
    "^": "CIRC",
    "!": "BANG",
    "~": "TILDE",
    ".": "DOT",
    ",": "COMMA",
    ";": "SEMI",
    ":": "COLON",
    "?": "QMARK",
    "(": "LPAR",
    ")": "RPAR",
    "[": "LSQB",
    "]": "RSQB",
    "{": "LBRACE",
    "}": "RBRACE",
    # Punctuation stap lexes as an operator but no rule uses.
    "'": "STRAY",
    "\\": "STRAY",
    "`": "STRAY",
}

# How a token kind is named in "expected ..." messages.
KIND_DESCRIPTIONS = {
    "IDENT": "identifier",
    "TARGET": "$variable",
    "PRETTY": "'$'",
    "NUMBER": "number",
    "STRING": "string",
    "EMBEDDED": "embedded C '%{ %}'",
    "ARG_NUM": "command-line argument",
    "ARG_STR": "command-line argument",
    "PP_NAME": "probe point component",
    "MACRO": "macro",
    "ASSIGN_OP": "assignment operator",
    "CMP_OP": "comparison operator",
    "SHIFT_OP": "shift operator",
    "MATCH_OP": "'=~' or '!~'",
    "AT_STAT": "statistical operation",
    "AT_OTHER": "@operator",
    "$END": "end of file",
}


def describe_kind(kind: str) -> str:
    """A person's name for a terminal, for "expected X" messages."""
    if kind in KIND_DESCRIPTIONS:
        return KIND_DESCRIPTIONS[kind]
    for word, k in KEYWORDS.items():
        if k == kind:
            return f"'{word}'"
    for word, k in AT_WORDS.items():
        if k == kind:
            return f"'{word}'"
    for op, k in OPERATORS.items():
        if k == kind:
            return f"'{op}'"
    return kind


def describe_token(token: Token) -> str:
    """A person's name for a token that was found, for "found X" messages."""
    if token.kind == "$END":
        return "end of file"
    text = token.text
    if len(text) > 40:
        text = text[:37] + "..."
    if token.kind in KEYWORD_KINDS:
        return f"keyword '{text}'"
    if token.kind == "STRING":
        return f"string {text}"
    if token.kind == "NUMBER":
        return f"number '{text}'"
    if token.kind in ("IDENT", "TARGET", "PP_NAME"):
        return f"identifier '{text}'"
    if token.kind == "EMBEDDED":
        return "embedded C"
    return f"'{text}'"
