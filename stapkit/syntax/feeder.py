"""From preprocessed tokens to what the grammar reads: declarations, and glued probe points.

Two jobs the LALR grammar cannot do, because they depend on whitespace or on
a keyword's position:

* **Splitting into declarations.**  `probe`, `function`, `global` and
  `private` can only start a declaration (as words they are keywords, not
  names), so wherever one appears (except as a probe-point component, or a
  member after `.`/`->`) a new declaration begins.  A top-level `%{ %}`
  starts one too.  Each declaration is parsed on its own: a missing `}` is
  then reported where the declaration ends, and the next one still parses.

* **Gluing probe-point components.**  In a probe point, a component name is
  a run of identifiers, keywords and `*` with no whitespace or comment between
  them (stap's parse_component): `sys**open`, `*do_fork*`, `kernel.function`.
  Such a run becomes one PP_NAME token; `probe a * b {}` stays three tokens
  and is the syntax error it is for stap.
"""

from __future__ import annotations

from .tokens import KEYWORD_KINDS, WS_BEFORE, Token, make_token

_DECL_KEYWORDS = frozenset({"PROBE", "FUNCTION", "GLOBAL", "PRIVATE"})
# The kinds of token a probe point's name is glued from when written without spaces
# (`sys*open`); the formatter reads it too, to keep such pieces together.
NAME_PIECES = KEYWORD_KINDS | {"IDENT", "STAR"}
_NOT_AFTER = frozenset({"DOT", "ARROW"})  # `x.function`, `$t->function` are not declarations
_MARKS = _DECL_KEYWORDS | {"EMBEDDED", "LBRACE", "RBRACE"}  # what split_declarations looks at


def split_declarations(tokens: list[Token]) -> list[list[Token]]:
    """Split a file's tokens into declarations, gluing probe-point names."""
    chunks: list[list[Token]] = []
    current: list[Token] = []
    n = len(tokens)
    i = 0
    prev_kind = ""
    depth = 0  # braces open in the current declaration
    body_started = False  # for `function`: has its body begun?
    decl_kind = ""
    while i < n:
        # A run of tokens that neither start a declaration nor count braces joins
        # the current one whole.
        for j in range(i, n):
            if tokens[j][0] in _MARKS:
                break
        else:
            j = n
        if j > i:
            current += tokens[i:j]
            prev_kind = tokens[j - 1][0]
            i = j
            if i == n:
                break
        tok = tokens[i]
        kind = tok[0]
        starts = False
        if kind in _DECL_KEYWORDS and prev_kind not in _NOT_AFTER:
            # `private function`, `private global` are one declaration.
            if prev_kind == "PRIVATE" and kind in ("FUNCTION", "GLOBAL"):
                decl_kind = kind
            else:
                starts = True
        elif kind == "EMBEDDED" and depth == 0:
            # A top-level %{ %}, unless it is the body of the function being read.
            starts = not (decl_kind == "FUNCTION" and not body_started)
        if starts:
            if current:
                chunks.append(current)
            current = [tok]
            depth = 0
            body_started = False
            decl_kind = kind
            prev_kind = kind
            i += 1
            if kind == "PROBE":
                i = _probe_header(tokens, i, current)
                if i < n and tokens[i][0] == "LBRACE":
                    body_started = True
                prev_kind = current[-1][0]
            continue
        if kind == "LBRACE":
            depth += 1
            body_started = True
        elif kind == "RBRACE":
            if depth:
                depth -= 1
        elif kind == "EMBEDDED" and depth == 0:
            body_started = True
        current.append(tok)
        prev_kind = kind
        i += 1
    if current:
        chunks.append(current)
    return chunks


def _probe_header(tokens: list[Token], i: int, out: list[Token]) -> int:
    """Copy a probe header (the points, up to its body's `{`), gluing component names.

    Returns the index of the first token not copied: the body's `{`, or a
    token that cannot be part of a header (the parser reports it).
    """
    n = len(tokens)
    expect_component = True  # after `probe`, `.`, `,`, `=`, `+=`, or a brace group's `{`
    braces = 0  # open brace groups
    while i < n:
        tok = tokens[i]
        kind = tok[0]
        if expect_component:
            if kind in NAME_PIECES or kind == "ARG_NUM":
                i = _glue_name(tokens, i, out)
                expect_component = False
                continue
            if kind == "LBRACE":
                braces += 1
                out.append(tok)
                i += 1
                continue
            expect_component = False
        if kind in ("DOT", "COMMA", "EQ", "PLUS_EQ"):
            expect_component = True
        elif kind == "LBRACE":
            if braces == 0:
                return i  # the body
            braces += 1  # an error the parser will report
        elif kind == "RBRACE":
            if braces == 0:
                return i
            braces -= 1
        elif kind == "LPAR":
            # A component argument or an `if (...)` condition: copy it whole.
            j = _matching_paren(tokens, i)
            out.extend(tokens[i:j])
            i = j
            continue
        elif kind in _DECL_KEYWORDS or (kind == "EMBEDDED" and braces == 0):
            return i  # the header never got a body; a new declaration starts
        out.append(tok)
        i += 1
    return i


def _glue_name(tokens: list[Token], i: int, out: list[Token]) -> int:
    first = tokens[i]
    j = i + 1
    if first[0] != "ARG_NUM":  # (`probe $1.return`: a placeholder for a whole probe point or a component)
        n = len(tokens)
        while j < n:
            tok = tokens[j]
            if tok[4] & WS_BEFORE or tok[0] not in NAME_PIECES:
                break
            j += 1
    if j == i + 1:
        out.append(tuple.__new__(Token, ("PP_NAME", first[1], first[2], first[3], first[4], first[5])))
    else:
        last = tokens[j - 1]
        text = "".join(t.text for t in tokens[i:j])
        out.append(make_token("PP_NAME", text, first.start, last.end, first.flags, first.origin))
    return j


def _matching_paren(tokens: list[Token], i: int) -> int:
    """The index after the `)` matching tokens[i] (a `(`), or where it should have been."""
    depth = 0
    n = len(tokens)
    j = i
    while j < n:
        kind = tokens[j].kind
        if kind == "LPAR":
            depth += 1
        elif kind == "RPAR":
            depth -= 1
            if depth == 0:
                return j + 1
        elif kind in ("LBRACE", "RBRACE") or (
                kind in _DECL_KEYWORDS and tokens[j - 1].kind not in _NOT_AFTER):
            return j  # unbalanced: stop before anything that cannot be inside (`$t->function` can)
        j += 1
    return j
