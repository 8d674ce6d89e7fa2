"""What the cursor is in, read from the tokens around it: for completion and signature help.

These features answer while the user types, so they cannot wait for the
document to be checked again, and the text is usually half a statement that
does not parse.  They read the tokens of the current top-level declaration
instead: a declaration starts at a line that begins with `probe`,
`function`, `global`, `private`, `@define`, `%{` or `%(` (as every script
in the SystemTap examples is written), so only that region is lexed.
"""

from __future__ import annotations

import bisect
import re

import attrs

from ..diagnostics import Span
from ..syntax.lexer import lex
from ..syntax.tokens import KEYWORD_KINDS, Token

# Where the cursor is (CursorContext.kind).
COMMENT = "comment"
STRING = "string"  # inside a string that is not one of the two below
FORMAT = "format"  # inside the format string of printf/sprintf
POINT = "point"  # a probe point's component names, in a probe or alias header
POINT_ARGUMENT = "point-argument"  # inside the string argument of a component: kernel.function("
ALIAS_NAME = "alias-name"  # the name an alias defines (left of = or +=)
TOP_LEVEL = "top-level"  # between declarations
CODE = "code"  # in a body (or a probe's `if` condition)
MEMBER = "member"  # after `->`: a struct member (known with a kernel description)
NONE = "none"  # nothing to offer: embedded C, a function's parameter list, a number, ...

_DECLARATION_START = re.compile(r"^(?:(?:probe|function|global|private|@define)\b|%\{|%\()", re.MULTILINE)
_WORD_KINDS = KEYWORD_KINDS | {"IDENT"}
_PREFIX = re.compile(r"[$@]?[A-Za-z0-9_$]*\Z")


@attrs.frozen
class CursorContext:
    kind: str
    offset: int
    prefix: str  # the partial word before the cursor ("" when none)
    prefix_span: Span  # what a completion replaces
    # POINT / POINT_ARGUMENT: the components before the current one, as written
    # (`("kernel", None)`, `("function", '"vfs_read"')`), and the current one's name.
    components: tuple[tuple[str, str | None], ...] = ()
    component: str = ""
    # FORMAT: the format text from its opening quote to the cursor.
    format_before: str = ""
    declaration: str | None = None  # "probe", "alias", "function", "global", ... of the region
    # The probe or alias header's points, as written without suffixes, for the alias variables.
    header_points: tuple[str, ...] = ()
    region: Span = Span(0, 0)
    tokens: tuple[Token, ...] = ()  # the region's tokens, offsets in the whole text
    body_start: int | None = None  # offset of the body's `{`, if written


def _region_start(text: str, offset: int) -> int:
    """The start of the last declaration line at or before the offset's line."""
    # Back line by line from the cursor's (cheap for the usual short declarations).
    position = text.rfind("\n", 0, offset) + 1
    while position > 0 and not _DECLARATION_START.match(text, position):
        position = text.rfind("\n", 0, position - 1) + 1
    return position


def context_at(text: str, offset: int, version: tuple[int, ...] = (5, 6)) -> CursorContext:
    offset = max(0, min(offset, len(text)))
    start = _region_start(text, offset)
    next_line = text.find("\n", offset)
    end_match = _DECLARATION_START.search(text, next_line + 1) if next_line >= 0 else None
    end = end_match.start() if end_match else len(text)
    region = Span(start, end)
    lexed = lex(text[start:end], version=version)
    tokens = tuple(t._replace(start=t.start + start, end=t.end + start) for t in lexed.tokens)
    starts = [t.start for t in tokens]

    for comment in lexed.comments:
        c_start, c_end = comment.start + start, comment.end + start
        line_comment = not comment.text.startswith("/*") or not comment.text.endswith("*/")
        if c_start < offset < c_end or (line_comment and offset == c_end and c_start < offset):
            return CursorContext(COMMENT, offset, "", Span(offset, offset), region=region, tokens=tokens)

    i = bisect.bisect_right(starts, offset) - 1  # the last token starting at or before the cursor
    at = tokens[i] if i >= 0 else None
    if at is not None and at.kind == "EMBEDDED" and at.start < offset < at.end:
        return CursorContext(NONE, offset, "", Span(offset, offset), region=region, tokens=tokens)
    if at is not None and at.kind == "STRING" and at.start < offset and (
            offset < at.end or text[at.start:at.end] != at.text):  # unterminated: runs to the line's end
        return _string_context(text, tokens, i, offset, region)

    # The partial word being typed ends at the cursor.
    match = _PREFIX.search(text, max(0, offset - 200), offset)
    prefix = match.group() if match else ""
    if prefix and prefix[0].isdigit():
        return CursorContext(NONE, offset, "", Span(offset, offset), region=region, tokens=tokens)
    prefix_span = Span(offset - len(prefix), offset)
    before = [t for t in tokens if t.end <= prefix_span.start]
    declaration = _declaration_kind(tokens)
    body = _body_brace(tokens)
    body_start = body.start if body is not None else None
    base = dict(offset=offset, prefix=prefix, prefix_span=prefix_span, declaration=declaration,
                region=region, tokens=tokens, body_start=body_start)
    if before and before[-1].kind == "ARROW":
        return CursorContext(MEMBER, **base)
    header_points = _header_points(tokens, body_start)
    base["header_points"] = header_points
    if not before:
        return CursorContext(TOP_LEVEL, **base)  # the first word of a declaration
    in_body = body_start is not None and offset > body_start
    if declaration in ("probe", "alias") and not in_body:
        return _header_context(before, base)
    if declaration == "function" and not in_body:
        return CursorContext(NONE, **base)  # its name or parameters
    if declaration == "macro":
        opened = any(t.kind == "PP_OPEN" for t in before)
        return CursorContext(CODE if opened else NONE, **base)
    if declaration in ("global", "embedded"):
        return CursorContext(NONE, **base)
    if declaration == "conditional":
        branch = any(t.kind in ("PP_THEN", "PP_ELSE") for t in before)
        return CursorContext(TOP_LEVEL if branch else NONE, **base)
    if not in_body:
        return CursorContext(TOP_LEVEL, **base)
    depth = 0
    for t in before:
        if t.kind == "LBRACE":
            depth += 1
        elif t.kind == "RBRACE":
            depth -= 1
    return CursorContext(CODE if depth > 0 else TOP_LEVEL, **base)


def _declaration_kind(tokens) -> str | None:
    kinds = [t.kind for t in tokens[:2]]
    if not kinds:
        return None
    first = kinds[0]
    if first == "PRIVATE" and len(kinds) > 1:
        first = kinds[1]
    if first == "PROBE":
        # `probe NAME = ...` or `probe NAME += ...` before the body: an alias definition.
        depth = 0
        for t in tokens[1:]:
            if t.kind in ("LPAR", "LSQB"):
                depth += 1
            elif t.kind in ("RPAR", "RSQB"):
                depth -= 1
            elif depth == 0 and t.kind in ("EQ", "PLUS_EQ"):
                return "alias"
            elif depth == 0 and t.kind in ("LBRACE", "COMMA", "IF"):
                break
        return "probe"
    return {"FUNCTION": "function", "GLOBAL": "global", "DEFINE": "macro", "EMBEDDED": "embedded",
            "PP_OPEN": "conditional"}.get(first)


def _body_brace(tokens) -> Token | None:
    """The `{` that opens the declaration's body (the first one outside parentheses)."""
    depth = 0
    for t in tokens:
        if t.kind in ("LPAR", "LSQB"):
            depth += 1
        elif t.kind in ("RPAR", "RSQB"):
            depth = max(0, depth - 1)
        elif t.kind == "LBRACE" and depth == 0:
            return t
    return None


def _header_points(tokens, body_start) -> tuple[str, ...]:
    """The probe points of a probe's header (an alias's right side), without suffixes or arguments' quotes."""
    if not tokens or tokens[0].kind != "PROBE":
        return ()
    header = [t for t in tokens[1:] if body_start is None or t.start < body_start]
    for k, t in enumerate(header):
        if t.kind in ("EQ", "PLUS_EQ"):
            header = header[k + 1:]
            break
    points = []
    for piece in _split_points(header):
        components, current = _components(piece)
        if current:
            components.append(_component(current))
        if components:
            points.append(".".join(name + (f"({arg})" if arg is not None else "") for name, arg in components))
    return tuple(points)


def _split_points(tokens) -> list[list[Token]]:
    """A header's tokens cut at the commas between points (not those inside parentheses)."""
    points: list[list[Token]] = [[]]
    depth = 0
    for t in tokens:
        if t.kind in ("LPAR", "LSQB", "LBRACE"):
            depth += 1
        elif t.kind in ("RPAR", "RSQB", "RBRACE"):
            depth -= 1
        if depth == 0 and t.kind == "COMMA":
            points.append([])
        else:
            points[-1].append(t)
    return points


def _components(tokens) -> tuple[list[tuple[str, str | None]], list[Token]]:
    """The complete components of a point, and the tokens of the last (incomplete) one.

    Names are glued from the pieces written without space between them
    (`sys*open`); suffixes (`?`, `!`, `if (...)`) end the point.
    """
    components: list[tuple[str, str | None]] = []
    current: list[Token] = []
    depth = 0
    for t in tokens:
        if depth == 0 and t.kind in ("QMARK", "BANG", "IF"):
            break
        if t.kind == "LPAR":
            depth += 1
        elif t.kind == "RPAR":
            depth -= 1
        if depth == 0 and t.kind == "DOT":
            components.append(_component(current))
            current = []
        else:
            current.append(t)
    if current and current[-1].kind == "RPAR":
        components.append(_component(current))
        current = []
    return components, current


def _component(tokens: list[Token]) -> tuple[str, str | None]:
    name_parts = []
    arg = None
    for k, t in enumerate(tokens):
        if t.kind == "LPAR":
            inner = [x.text for x in tokens[k + 1:] if x.kind != "RPAR"]
            arg = " ".join(inner)
            break
        name_parts.append(t.text)
    return "".join(name_parts), arg


def _header_context(before: list[Token], base: dict) -> CursorContext:
    header = before[1:]  # after `probe`
    if base["declaration"] == "alias":
        for k, t in enumerate(header):
            if t.kind in ("EQ", "PLUS_EQ"):
                header = header[k + 1:]
                break
        else:
            return CursorContext(ALIAS_NAME, **base)
    point = _split_points(header)[-1]
    depth = 0
    for t in point:
        if t.kind == "LPAR":
            depth += 1
        elif t.kind == "RPAR":
            depth -= 1
        elif depth == 0 and t.kind in ("QMARK", "BANG"):
            return CursorContext(NONE, **base)
        elif t.kind == "IF":
            return CursorContext(CODE, **base)  # the condition: globals and functions
    if depth > 0:
        return CursorContext(NONE, **base)  # a number or $1 argument being typed
    components, current = _components(point)
    partial = "".join(t.text for t in current)
    if partial and not base["prefix"]:
        # `syscall.*|` or a name that ended with a wildcard: complete after it, nothing replaced.
        return CursorContext(POINT, components=tuple(components), component=partial, **base)
    return CursorContext(POINT, components=tuple(components), component=partial + base["prefix"], **base)


def _string_context(text: str, tokens, i: int, offset: int, region: Span) -> CursorContext:
    tok = tokens[i]
    inside = text[tok.start + 1:offset]
    base = dict(offset=offset, region=region, tokens=tokens)
    declaration = _declaration_kind(tokens)
    body = _body_brace(tokens)
    body_start = body.start if body is not None else None
    previous = tokens[i - 1] if i >= 1 else None
    before_previous = tokens[i - 2] if i >= 2 else None
    if previous is not None and previous.kind == "LPAR" and before_previous is not None:
        if before_previous.text in ("printf", "sprintf") and (body_start is None or tok.start > body_start):
            return CursorContext(FORMAT, prefix="", prefix_span=Span(offset, offset), format_before=inside,
                                 declaration=declaration, body_start=body_start, **base)
        if declaration in ("probe", "alias") and (body_start is None or tok.start < body_start) \
                and before_previous.kind in _WORD_KINDS:
            header = [t for t in tokens[1:i - 1]]
            for k, t in enumerate(header):
                if t.kind in ("EQ", "PLUS_EQ"):
                    header = header[k + 1:]
                    break
            point = _split_points(header)[-1]
            components, current = _components(point)
            name = "".join(t.text for t in current)
            # The argument typed so far, without its opening quote; a completion replaces it.
            return CursorContext(POINT_ARGUMENT, prefix=inside, prefix_span=Span(tok.start + 1, offset),
                                 components=tuple(components), component=name, declaration=declaration,
                                 body_start=body_start, **base)
    return CursorContext(STRING, prefix="", prefix_span=Span(offset, offset), declaration=declaration,
                         body_start=body_start, **base)


def enclosing_call(ctx: CursorContext) -> tuple[Token, int] | None:
    """The call whose parentheses hold the cursor: its name token and the index of the argument typed.

    The name is an identifier (a function or a print), an @-operator or a
    macro; None outside any call's parentheses (or in an `if (`, `while (`...).
    """
    depth = 0
    commas = 0
    tokens = [t for t in ctx.tokens if t.end <= ctx.offset or (t.kind == "STRING" and t.start < ctx.offset)]
    for k in range(len(tokens) - 1, -1, -1):
        t = tokens[k]
        if ctx.body_start is not None and t.start <= ctx.body_start and ctx.offset > ctx.body_start:
            return None
        if t.kind in ("RPAR", "RSQB", "RBRACE"):
            depth += 1
        elif t.kind in ("LSQB", "LBRACE"):
            if depth == 0:
                return None
            depth -= 1
        elif t.kind == "LPAR":
            if depth == 0:
                name = tokens[k - 1] if k >= 1 else None
                if name is not None and (name.kind == "IDENT" or name.kind.startswith("AT_")):
                    return name, commas
                return None
            depth -= 1
        elif t.kind == "COMMA" and depth == 0:
            commas += 1
        elif t.kind == "SEMI" and depth == 0:
            return None
    return None
