"""The formatter's layout: one canonical indentation and spacing, on the raw token stream.

The formatter works on the tokens of the file as written — before macro
expansion and conditionals — with the comments between them, so every branch
of every `%( %? %: %)`, every `@define` and every `$1` is formatted and kept:
the output has exactly the same tokens in the same order, only the
whitespace between them changes.  That is what makes it safe by
construction (formatter.py checks it again on every run).

What it decides:
* indentation: one level (a tab, or N spaces) per open `{`, one more for a
  line that continues inside `(`/`[` or after an operator;
* spacing inside a line: one space around binary operators, after commas
  and keywords, none inside brackets, after unary operators and before
  `(` of a call;
* blank lines: runs of them become one; none at the start of a block or of
  the file, none before a closing `}`;
* line breaks are the author's (as gofmt keeps them), except that lines too
  long are wrapped after the commas of their outermost bracket.

What it keeps as written: embedded C `%{ %}` and `/* */` comments byte for
byte (their first line moves with the indentation), the spacing of probe
point and declaration headers (`probe`, `global`, `function`, `@define` up to
the body; only runs of blanks become one space, because whitespace there can
decide how stap glues a probe point), the regions between
`# stapkit: fmt: off` and `# stapkit: fmt: on`, the line endings, and
whether the file ends with a newline.
"""

from __future__ import annotations

import bisect
import re

import attrs

from ..syntax.lexer import lex
from ..syntax.tokens import KEYWORD_KINDS, OPERATORS

ALL_FEATURES = (99,)

# Kinds after which an operator is binary (the token ends an operand).
_OPERAND_END = frozenset({"IDENT", "NUMBER", "STRING", "RPAR", "RSQB", "TARGET", "ARG_NUM", "ARG_STR",
                          "AT_OTHER", "EMBEDDED", "INC", "DEC", "STAR_WILDCARD"})
_BINARY = frozenset({"ASSIGN_OP", "SHIFT_OP", "CMP_OP", "MATCH_OP", "PLUS_EQ", "ANDAND", "OROR", "EQ",
                     "SLASH", "PERCENT", "VBAR", "CIRC", "QMARK", "COLON", "DOT"})
_MAYBE_UNARY = frozenset({"MINUS", "PLUS", "STAR", "AMP"})
_PREFIX = frozenset({"BANG", "TILDE"})
_OPEN = frozenset({"LPAR", "LSQB"})
_CLOSE = frozenset({"RPAR", "RSQB"})
# Keywords followed by a space before their `(`.
_SPACED_KEYWORDS = frozenset({"IF", "WHILE", "FOR", "FOREACH", "CATCH", "RETURN", "DELETE", "IN", "LIMIT",
                              "ELSE", "TRY", "NEXT", "BREAK", "CONTINUE"})
_HEADER_STARTS = frozenset({"PROBE", "GLOBAL", "FUNCTION", "PRIVATE", "DEFINE"})
_FMT_OFF = re.compile(r"^(#|//)\s*stapkit:\s*fmt:\s*off\b")
_FMT_ON = re.compile(r"^(#|//)\s*stapkit:\s*fmt:\s*on\b")


@attrs.frozen
class Style:
    # The defaults are how the SystemTap examples are written (docs/formatting.md,
    # measured by tools/measure_style.py): two spaces a level in 2 of 3 example
    # scripts (the tapset library uses tabs: `indent = "tab"` in its config), and
    # 100 columns, which 99.6% of example lines and 90% of example files fit.
    indent: str = "  "  # one level: a tab, or spaces
    line_length: int = 100  # columns; a tab advances to the next multiple of TAB_WIDTH


class _Item:
    """A token or a comment, with what came before it in the file."""

    __slots__ = ("kind", "text", "start", "end", "newlines", "space_before", "comment")

    def __init__(self, kind, text, start, end, newlines, space_before, comment):
        self.kind = kind
        self.text = text
        self.start = start
        self.end = end
        self.newlines = newlines  # line breaks in the whitespace before it
        self.space_before = space_before  # any whitespace before it
        self.comment = comment


def _items(text: str, result=None) -> list[_Item]:
    result = result if result is not None else lex(text, version=ALL_FEATURES)
    merged = [(t.start, t.end, t.kind, t.text, False) for t in result.tokens]
    merged += [(c.start, c.end, "COMMENT", c.text, True) for c in result.comments]
    merged.sort()
    items = []
    previous_end = 0
    for start, end, kind, token_text, is_comment in merged:
        gap = text[previous_end:start]
        items.append(_Item(kind, token_text, start, end, gap.count("\n"), bool(gap), is_comment))
        previous_end = end
    return items


def layout(text: str, style: Style = Style(), lexed=None) -> str:
    """The text laid out in the canonical style (the caller checks it is still the same program).

    `lexed`: the text's LexResult, when the caller has it already (LF files only).
    """
    crlf = "\r\n" in text
    body = text.replace("\r\n", "\n") if crlf else text
    final_newline = body.endswith("\n")
    lines = _Layout(body, style, None if crlf else lexed).run()
    out = "\n".join(lines)
    if final_newline or not body:
        out += "\n" if out else ""
    if crlf:
        out = out.replace("\n", "\r\n")
    return out


class _Layout:
    def __init__(self, text: str, style: Style, lexed=None):
        self.text = text
        self.style = style
        self.items = _items(text, lexed)
        self.lines: list[str] = []
        self.current: list[str] = []  # pieces of the line being built
        self.line_depth = 0

    def run(self) -> list[str]:
        text = self.text
        items = self.items
        depth = 0  # open braces
        brackets: list[str] = []  # open ( and [
        header = None  # the kind that opened a declaration header (spacing kept there), or None
        unary: set[int] = set()  # starts of the - + * & (and ++ --) that are prefix operators
        groups = 0  # open brace groups of a probe header
        previous: _Item | None = None
        i = 0
        while i < len(items):
            item = items[i]
            if item.comment and _FMT_OFF.match(item.text):
                i, previous = self.verbatim(i, depth, previous)
                continue
            kind = item.kind
            if header == "GLOBAL" and item.newlines and not brackets:
                header = None  # a global declaration ends with its line
            if header is None and kind in _HEADER_STARTS and not brackets and (depth == 0 or kind == "DEFINE"):
                header = kind
            if kind in _MAYBE_UNARY and (previous is None or not _ends_operand(previous, unary)):
                unary.add(item.start)
            elif kind in ("INC", "DEC") and (previous is None or item.newlines or not _ends_operand(previous, unary)):
                unary.add(item.start)  # ++x
            if previous is None or item.newlines > 0:
                level = depth - (1 if kind == "RBRACE" and depth > 0 else 0)
                extra = 0
                if brackets and not (kind in _CLOSE and len(brackets) == 1):
                    extra = 1
                elif previous is not None and header is None and _continues(previous, item):
                    extra = 1
                if previous is not None:
                    self.flush()
                    if item.newlines >= 2 and previous.kind != "LBRACE" and kind != "RBRACE":
                        self.lines.append("")
                self.current.append(self.indent(level + extra))
            else:
                self.current.append(self.space(previous, item, header is not None, unary))
            self.current.append(item.text)
            # The state after the item.
            if kind == "LBRACE" and header == "PROBE" and previous is not None and \
                    previous.kind in _POINT_EXPECTED:
                groups += 1  # a brace group of probe points: {open,close}
            elif kind == "RBRACE" and groups:
                groups -= 1
            elif kind == "LBRACE":
                if header in ("PROBE", "FUNCTION", "PRIVATE") and not brackets:
                    header = None  # the body starts
                depth += 1
            elif kind == "RBRACE":
                depth = max(depth - 1, 0)
            elif kind in _OPEN:
                brackets.append(kind)
            elif kind in _CLOSE and brackets:
                brackets.pop()
            elif header is not None and not brackets and (
                    kind == "SEMI" or (kind == "EMBEDDED" and header != "GLOBAL")
                    or (kind == "PP_OPEN" and header == "DEFINE")):
                header = None  # `;`, an embedded-C body, or an @define's body
            previous = item
            i += 1
        self.flush()
        while self.lines and not self.lines[-1]:
            self.lines.pop()
        return self.wrap(self.lines)

    def verbatim(self, i: int, depth: int, previous):
        """Copy a `fmt: off` region as it is, up to and including its `fmt: on` comment."""
        items = self.items
        item = items[i]
        j = i + 1
        while j < len(items) and not (items[j].comment and _FMT_ON.match(items[j].text)):
            j += 1
        end = items[j].end if j < len(items) else len(self.text)
        if previous is not None:
            if item.newlines:
                self.flush()
                if item.newlines >= 2:
                    self.lines.append("")
                self.current.append(self.indent(depth))
            else:
                self.current.append(" ")
        region = self.text[item.start:end].split("\n")
        self.current.append(region[0])
        for line in region[1:]:
            self.lines.append("".join(self.current))  # kept exactly, trailing blanks too
            self.current = [line]
        last = items[j] if j < len(items) else items[-1]
        return j + 1, last

    # -- lines ------------------------------------------------------------

    def indent(self, level: int) -> str:
        return self.style.indent * max(level, 0)

    def flush(self) -> None:
        line = "".join(self.current).rstrip()
        self.current = []
        if line or self.lines:
            self.lines.append(line)

    # -- spacing ----------------------------------------------------------

    def space(self, previous: _Item, item: _Item, header: bool, unary: set[int]) -> str:
        gap = self._space(previous, item, header, unary)
        if not gap and _would_merge(previous.text, item.text):
            return " "  # `+ +x` must not become `++x`
        return gap

    def _space(self, previous: _Item, item: _Item, header: bool, unary: set[int]) -> str:
        kind = item.kind
        pkind = previous.kind
        if item.comment or previous.comment:
            return " "
        if header:
            if kind == "LBRACE" and pkind not in _POINT_EXPECTED:
                return " "  # the body's brace (not a brace group of probe points)
            if kind == "COMMA":
                return ""
            if pkind == "COMMA":
                return " "
            return " " if item.space_before else ""
        if kind in ("COMMA", "SEMI") or kind in _CLOSE:
            return ""
        if pkind in _OPEN:
            return ""
        if pkind in ("COMMA", "SEMI"):
            return " "
        if kind in ("LBRACE", "RBRACE") or pkind in ("LBRACE", "RBRACE"):
            return " "
        if kind == "ARROW" or pkind == "ARROW":
            return ""
        if pkind in _PREFIX or (pkind in _MAYBE_UNARY and previous.start in unary):
            return ""  # -x, !x, *p, &x
        if kind in ("INC", "DEC"):
            return "" if _ends_operand(previous, unary) else " "
        if pkind in ("INC", "DEC") and kind in _OPERAND_START:
            # `++x` (prefix) or `x++ y` (two statements)
            return "" if previous.start in unary else " "
        if kind == "LPAR":
            if pkind in _SPACED_KEYWORDS:
                return " "
            if pkind in _CALLABLE or pkind.startswith("AT_"):
                return ""  # a call, @cast(...), @entry(...)
            return " " if pkind in _BINARY or pkind in _MAYBE_UNARY or pkind in KEYWORD_KINDS else ""
        if kind == "LSQB":
            return "" if pkind in _CALLABLE or pkind in _CLOSE or pkind.startswith("AT_") else " "
        if kind in _BINARY or kind in _MAYBE_UNARY or pkind in _BINARY or pkind in _MAYBE_UNARY:
            return " "
        if kind in _PREFIX:
            return " "
        return " " if item.space_before or _words(pkind, kind) else ""

    # -- wrapping ----------------------------------------------------------

    def wrap(self, lines: list[str]) -> list[str]:
        """Break the lines longer than `style.line_length`; indent probe-header continuation lines.

        A line is measured in columns, a tab advancing to the next multiple
        of 8 (TAB_WIDTH) whatever the indent, up to its last token (a
        trailing comment does not count).  A line too long is broken after
        the commas of the outermost bracket pair around its first token past
        the limit or, when that bracket has no comma on the line, after its
        `&&` / `||` (at bracket depth 0 or 1); a bracket with neither is
        passed over for the next one inside it.  With no comma in any
        bracket around the overflow (`f(a, b) . g(c)` too long at `g`), the
        commas of the last bracket closed before it are used, if that brings
        the rest of the line within the limit.  The breaks are filled
        greedily (as many pieces on a line as fit) and a piece still too long
        is broken the same way.  In a probe header only the commas between
        probe points are break points; `global` and `@define` headers,
        `fmt: off` regions and the inside of a token (a string, a comment,
        embedded C) are never broken.  A continuation line is indented one
        level more than the brace depth, which is what the layout gives a
        line after a comma or an operator, or inside brackets: the breaks
        become the author's from then on, and laying the result out again
        changes nothing (see `_Scan`).

        Last, a probe header that runs over several lines gets its
        continuation lines (those outside brackets) indented one level, as
        every other continuation: the layout keeps header lines at the
        header's level.
        """
        limit = self.style.line_length - _indent_width(self.style.indent)
        # A line at column 0 may continue a probe header: it would get one more indent.
        long_lines = any(_too_wide(line, limit) if line[:1] not in (" ", "\t") else
                         _too_wide(line, self.style.line_length) for line in lines)
        # Which lines continue a probe header only the scan can tell (a cheaper guess
        # that missed one would make the next run indent it differently).
        if not long_lines and not any("probe" in line for line in lines):
            return lines
        scan = _Scan("\n".join(lines), self.style, self.items)
        return scan.render(scan.breaks() if long_lines else [])


_OPERAND_START = frozenset({"IDENT", "NUMBER", "STRING", "LPAR", "TARGET", "ARG_NUM", "ARG_STR", "AT_OTHER",
                            "BANG", "TILDE", "MINUS", "PLUS"})
# Where a probe header expects a point or component: a `{` there opens a brace group.
_POINT_EXPECTED = frozenset({"PROBE", "DOT", "COMMA", "LBRACE", "EQ", "PLUS_EQ", "PP_THEN", "PP_ELSE"})
_CALLABLE = frozenset({"IDENT", "TARGET", "AT_OTHER", "RSQB", "RPAR"})


def _ends_operand(item: _Item, unary: set[int]) -> bool:
    """Does the token end an operand (so a following - + * & is binary)?"""
    if item.start in unary:
        return item.kind == "STAR" and False
    return item.kind in _OPERAND_END


# Every beginning of an operator: `-` then `-` would lex as `--` when written together.
_OPERATOR_PREFIXES = frozenset(op[:k] for op in OPERATORS for k in range(1, len(op) + 1))


def _would_merge(a: str, b: str) -> bool:
    """Would the two tokens, written together, lex as something else (`-` `-` as `--`)?"""
    if not a or not b:
        return False
    last, first = a[-1], b[0]
    if last.isalnum() or last in "_$@":
        return first.isalnum() or first in "_$@"
    return (a + first) in _OPERATOR_PREFIXES or (last + first) in ("//", "/*", "#")


def _continues(previous: _Item, item: _Item) -> bool:
    """Does this line continue an expression of the line before?"""
    if previous.comment:
        return False
    return previous.kind in _BINARY or previous.kind in _MAYBE_UNARY or previous.kind == "COMMA"


def _words(a: str, b: str) -> bool:
    """Two tokens that would run together without a space (keywords, names, numbers)."""
    wordy = {"IDENT", "NUMBER", "TARGET", "ARG_NUM", "ARG_STR", "AT_OTHER", "STRING"} | KEYWORD_KINDS
    return (a in wordy or a.startswith("AT_")) and (b in wordy or b.startswith("AT_"))



# -- wrapping (used by _Layout.wrap) -------------------------------------------

TAB_WIDTH = 8  # columns: a tab advances to the next multiple of this
_LOGIC = frozenset({"ANDAND", "OROR"})
# The kinds that change the state _Scan follows.
_STATE_KINDS = frozenset({"LBRACE", "RBRACE", "LPAR", "LSQB", "RPAR", "RSQB", "SEMI", "EMBEDDED", "PP_OPEN"})
# Tokens after the overflow that belong with the token before them: `f(a, b);`
# too long at its `;` is broken inside `f( )`.
_TRAILING = frozenset({"RPAR", "RSQB", "SEMI", "COMMA"})
_BLANKS = re.compile(r"[ \t\n\r\f\v]*")


def _indent_width(indent: str) -> int:
    return _advance(indent, 0)


def _advance(text: str, column: int) -> int:
    """The column after writing `text` (one line) from `column`."""
    if "\t" not in text:
        return column + len(text)
    for ch in text:
        column = (column // TAB_WIDTH + 1) * TAB_WIDTH if ch == "\t" else column + 1
    return column


def _too_wide(line: str, limit: int) -> bool:
    """Is a physical line of `line` (it holds several after a multi-line token) wider than `limit`?"""
    for physical in line.split("\n"):
        # A tab is at most TAB_WIDTH columns: most lines are decided without counting.
        if len(physical) + (TAB_WIDTH - 1) * physical.count("\t") > limit and _advance(physical, 0) > limit:
            return True
    return False


def _locate(text: str, items: list[_Item]):
    """Where each item is in `text`, the laid-out text of the same items (None if it is not)."""
    starts = []
    ends = []
    position = 0
    find = text.find
    for item in items:
        # A comment may have lost the blanks that ended its line: look for its words.
        token = item.text.rstrip() if item.comment else item.text
        start = find(token, position)
        if start < 0 or (start > position and not text[position:start].isspace()):
            return None
        starts.append(start)
        position = start + len(token)
        ends.append(position)
    if text[position:].strip():
        return None
    return starts, ends


class _Scan:
    """The laid-out text, with the layout's state before each token or comment.

    The state (brace depth, open brackets, the declaration header, probe-point
    brace groups, `fmt: off` regions) is computed exactly as `_Layout.run`
    computes it, so the indentation the layout gives a line starting after a
    break is known: one level more than the brace depth, for every place
    `may_break` allows.  That is why the breaks are inserted with their
    indentation here, and why laying the result out again gives it back
    (the golden, corpus and property tests check it).
    """

    def __init__(self, text: str, style: Style, items: list[_Item]):
        self.text = text
        self.style = style
        self.limit = style.line_length
        self.indent_width = _indent_width(style.indent)
        located = _locate(text, items)
        if located is None:  # not expected: the layout only changes blanks
            items = _items(text)
            located = [item.start for item in items], [item.end for item in items]
        self.items = items
        self.start, self.end = located
        n = len(items)
        self.depth = depths = [0] * n  # open braces (not counting brace groups of probe points)
        self.parent = parents = [-1] * n  # the innermost open ( or [ (its index), -1 if none
        self.nesting = nestings = [0] * n  # how many ( and [ are open
        self.header = headers = [None] * n  # the declaration header the item is in
        self.in_group = [False] * n  # inside a brace group of probe points {a,b}
        self.verbatim = [False] * n  # in a fmt: off region
        self.body_brace = [False] * n  # the `{` that opens a probe body
        self.opens_header = [False] * n  # the keyword that starts a declaration header
        depth = 0
        brackets: list[int] = []
        header = None
        groups = 0
        previous: _Item | None = None
        i = 0
        while i < n:
            item = items[i]
            if item.comment and _FMT_OFF.match(item.text):
                j = i + 1
                while j < n and not (items[j].comment and _FMT_ON.match(items[j].text)):
                    j += 1
                for k in range(i, min(j + 1, n)):
                    self.verbatim[k] = True
                previous = items[j] if j < n else items[-1]
                i = j + 1
                continue
            kind = item.kind
            if header is not None:
                if header == "GLOBAL" and item.newlines and not brackets:
                    header = None
            if header is None and kind in _HEADER_STARTS and not brackets and (depth == 0 or kind == "DEFINE"):
                header = kind
                self.opens_header[i] = True
            depths[i] = depth
            if brackets:
                parents[i] = brackets[-1]
                nestings[i] = len(brackets)
            headers[i] = header
            if groups:
                self.in_group[i] = True
            if kind in _STATE_KINDS:
                if kind == "LBRACE" and header == "PROBE" and previous is not None and \
                        previous.kind in _POINT_EXPECTED:
                    groups += 1
                elif kind == "RBRACE" and groups:
                    groups -= 1
                elif kind == "LBRACE":
                    if header in ("PROBE", "FUNCTION", "PRIVATE") and not brackets:
                        self.body_brace[i] = header == "PROBE"
                        header = None
                    depth += 1
                elif kind == "RBRACE":
                    depth = max(depth - 1, 0)
                elif kind in _OPEN:
                    brackets.append(i)
                elif kind in _CLOSE:
                    if brackets:
                        brackets.pop()
                elif header is not None and not brackets and (
                        kind == "SEMI" or (kind == "EMBEDDED" and header != "GLOBAL")
                        or (kind == "PP_OPEN" and header == "DEFINE")):
                    header = None
            previous = item
            i += 1
        # The physical lines: where each starts, and the first item that starts on it.
        self.line_starts = [0]
        position = text.find("\n")
        while position >= 0:
            self.line_starts.append(position + 1)
            position = text.find("\n", position + 1)
        starts = self.start
        self.first_item = [bisect.bisect_left(starts, line_start) for line_start in self.line_starts]
        for line in range(len(self.line_starts) - 1):  # n: no item starts on the line
            if self.first_item[line] < n and starts[self.first_item[line]] >= self.line_starts[line + 1]:
                self.first_item[line] = n

    def line_end(self, line: int) -> int:
        return self.line_starts[line + 1] - 1 if line + 1 < len(self.line_starts) else len(self.text)

    # -- where to break --------------------------------------------------------

    def breaks(self) -> list[int]:
        """The items after which a line break goes, for every line too long."""
        text = self.text
        n = len(self.items)
        out: list[int] = []
        for line, line_start in enumerate(self.line_starts):
            first = self.first_item[line]
            if first == n:
                continue
            line_end = self.line_end(line)
            header_line = self.continues_probe_header(first, line_start)
            if not _too_wide(text[line_start:line_end], self.limit - (self.indent_width if header_line else 0)):
                continue
            last = first
            while last + 1 < n and self.start[last + 1] < line_end:
                last += 1
            if any(self.verbatim[first:last + 1]):
                continue
            column = _advance(text[line_start:self.start[first]], 0)
            if header_line:
                column += self.indent_width
            work = [(first, last, column)]  # pieces of the line: first item, last item, its column
            while work:
                first, last, column = work.pop()
                for piece in self.break_piece(first, last, column, line_end):
                    out.extend(piece[3:])
                    work.append(piece[:3])
        return out

    def columns(self, first: int, last: int, column: int, line_end: int):
        """The columns where items first..last start and end, the first starting at `column`."""
        text = self.text
        starts = {}
        ends = {}
        position = self.start[first]
        for k in range(first, last + 1):
            column = _advance(text[position:self.start[k]], column)
            starts[k] = column
            position = min(self.end[k], line_end)  # a multi-line token: up to the line's end
            column = _advance(text[self.start[k]:position], column)
            ends[k] = column
        return starts, ends

    def break_piece(self, first: int, last: int, column: int, line_end: int):
        """Break items first..last (one line, or a piece of one): its pieces, [] if it fits or cannot be.

        Each piece is (first item, last item, column, the item after which it
        ends), the last piece without the fourth.
        """
        items = self.items
        limit = self.limit
        code = [k for k in range(first, last + 1) if not items[k].comment]
        if not code:
            return []
        starts, ends = self.columns(first, last, column, line_end)
        if ends[code[-1]] <= limit:
            return []
        overflow = next(k for k in code if ends[k] > limit)
        while overflow > first and items[overflow].kind in _TRAILING and not items[overflow - 1].comment:
            overflow -= 1
        chain = []
        bracket = self.parent[overflow]
        while bracket != -1:
            chain.append(bracket)
            bracket = self.parent[bracket]
        chain.append(-1)
        for level in reversed(chain):  # the outermost first
            commas = []
            logic = []
            for k in range(max(first, level + 1), last):
                if self.parent[k] != level or items[k].comment:
                    continue
                if items[k].kind == "COMMA" and self.may_break(k, last):
                    commas.append(k)
                elif items[k].kind in _LOGIC and self.nesting[k] <= 1 and self.may_break(k, last):
                    logic.append(k)
            candidates = commas or logic
            if candidates:
                return self.fill(first, last, column, code[-1], candidates, starts, ends)
        # No bracket around the overflow has a comma: `f(a, b) . g(c)` too long at `g`
        # is broken after the commas of the last bracket closed before it, `f( )`,
        # if that brings the overflow within the limit (else it only adds a line).
        for level in chain:  # the innermost first
            inner: dict[int, list[int]] = {}
            for k in range(first, overflow):
                bracket = self.parent[k]
                if items[k].kind == "COMMA" and bracket >= first and self.parent[bracket] == level \
                        and self.may_break(k, last):
                    inner.setdefault(bracket, []).append(k)
            if inner:
                pieces = self.fill(first, last, column, code[-1], inner[max(inner)], starts, ends)
                rest_first, _, rest_column = pieces[-1][:3]
                if rest_column + ends[code[-1]] - starts[rest_first] <= limit:
                    return pieces
                return []
        return []

    def may_break(self, k: int, last: int) -> bool:
        """May a line break go after item k (a comma, `&&` or `||`)?"""
        following = k + 1
        if following > last or self.items[following].comment or self.items[following].kind in _CLOSE:
            return False  # a comment stays with what it follows; `)` with its `(`
        if self.verbatim[k] or self.verbatim[following]:
            return False
        header = self.header[k]
        if header is None:
            return True
        if header == "PROBE":  # only between probe points
            return self.items[k].kind == "COMMA" and self.nesting[k] == 0 and not self.in_group[k]
        if header in ("FUNCTION", "PRIVATE"):  # the parameter list
            return self.nesting[k] > 0
        return False  # global, @define

    def fill(self, first, last, column, last_code, candidates, starts, ends):
        """As many pieces on a line as fit: the pieces, each but the last with its break."""
        limit = self.limit
        pieces = []
        piece_first, piece_column = first, column
        width = ends[candidates[0]]
        for n, k in enumerate(candidates):
            following = k + 1
            until = candidates[n + 1] if n + 1 < len(candidates) else last_code
            gap = starts[following] - ends[k]
            segment = ends[until] - starts[following]
            if width + gap + segment <= limit:
                width += gap + segment
                continue
            pieces.append((piece_first, k, piece_column, k))
            piece_first, piece_column = following, self.continuation(following)
            width = piece_column + segment
        pieces.append((piece_first, last, piece_column))
        return pieces

    def continuation(self, k: int) -> int:
        """The column of item k on a line of its own after a break (`may_break` places only)."""
        return self.indent_width * (self.depth[k] + 1)

    # -- probe headers and the result -------------------------------------------

    def continues_probe_header(self, first: int, line_start: int) -> bool:
        """Does the line (its first item `first`) continue a probe header, outside brackets?"""
        return (self.header[first] == "PROBE" and not self.opens_header[first] and not self.body_brace[first]
                and self.nesting[first] == 0 and not self.verbatim[first]
                and not self.text[line_start:self.start[first]].strip())  # not inside a token

    def render(self, breaks: list[int]) -> list[str]:
        """The lines with the breaks, and probe-header continuation lines indented one level more."""
        text = self.text
        indent = self.style.indent
        edits = []  # (start, end, replacement), in order
        n = len(self.items)
        for line, line_start in enumerate(self.line_starts):
            first = self.first_item[line]
            if first < n and self.continues_probe_header(first, line_start):
                edits.append((line_start, line_start, indent))
        for k in set(breaks):
            edits.append((self.end[k], self.start[k + 1], "\n" + indent * (self.depth[k + 1] + 1)))
        if not edits:
            return text.split("\n")
        edits.sort()
        pieces = []
        position = 0
        for start, end, replacement in edits:
            pieces.append(text[position:start])
            pieces.append(replacement)
            position = end
        pieces.append(text[position:])
        return "".join(pieces).split("\n")
