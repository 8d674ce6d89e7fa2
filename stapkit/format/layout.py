"""The formatter's layout: one canonical indentation and spacing, on the raw token stream.

The formatter works on the tokens of the file as written — before macro
expansion and conditionals — with the comments between them, so every branch
of every `%( %? %: %)`, every `@define` and every `$1` is formatted and kept:
the output has exactly the same tokens in the same order, only the
whitespace between them changes.  That is what makes it safe by
construction (formatter.py checks it again on every run).

What it decides (docs/formatting.md has the measurements behind each):
* indentation: one level (a tab, or N spaces) per open `{`, one per
  unbraced body of `if`/`else`/`while`/`for`/`foreach` written on a line of
  its own, and for a line that continues a statement: under the first
  argument of the innermost open bracket when one follows it on its line,
  else one level more than the line holding that bracket, or one level
  after an operator or a comma;
* braces: every `{` on its header's line (`brace-style = "linux"`: a
  probe or function body of several lines on a line of its own), `} else`
  and `} catch` on one line, and in a block of several lines nothing after
  its `{` but a comment and its `}` on a line of its own;
* trailing comments of consecutive lines start in one column;
* spacing inside a line: one space around binary operators, after commas
  and keywords, none inside brackets, after unary operators, before `(` of
  a call and between a `foreach` sort mark and its array (`a-`);
* blank lines: runs of them become one; none at the start of a block or of
  the file, none before a closing `}`;
* line breaks are the author's (as gofmt keeps them), except for the
  braces above, that each top-level declaration starts a line, and that
  lines too long are wrapped after the commas of their outermost bracket,
  else after its operators, the loosest first.

What it keeps as written: embedded C `%{ %}` and strings byte for byte,
`/* */` comments but for the blanks that end their lines (the first line of
each moves with the indentation), the spacing of probe point and
declaration headers (`probe`, `global`, `@define` up to the body; a
`function` header is spaced as a call; only runs of blanks become one space, because whitespace there can
decide how stap glues a probe point), the regions between
`# stapkit: fmt: off` and `# stapkit: fmt: on`, and whether the file ends
with a newline.  Line endings are those of the first line.
"""

from __future__ import annotations

import bisect
import itertools
import re

import attrs

from ..syntax.feeder import NAME_PIECES  # the pieces of a probe point's name (glued when written together)
from ..syntax.lexer import lex
from ..syntax.tokens import AT_WORDS, KEYWORD_KINDS, OPERATORS

ALL_FEATURES = (99,)
# The blanks the layout trims at the ends of lines and comments: stap's (C isspace).  Not
# str.rstrip()'s Unicode whitespace: a no-break space or U+2028 ending a comment is part of it.
BLANKS = " \t\n\r\f\v"

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
# Keywords used as operators: always one space on each side (`[a, b] in x`, `a- limit 5`).
_KEYWORD_OPERATORS = frozenset({"IN", "LIMIT"})
_HEADER_STARTS = frozenset({"PROBE", "GLOBAL", "FUNCTION", "PRIVATE", "DEFINE"})
_DIRECTIVES = frozenset({"PP_OPEN", "PP_THEN", "PP_ELSE", "PP_CLOSE"})
# Tokens that start no statement, declaration or block and are never unary (names, literals,
# brackets, binary operators, `!x`, `@cast(...)`): inside a statement's line `run` only spaces
# them and keeps the bracket stack (see its short way).
_PLAIN = frozenset({"IDENT", "NUMBER", "STRING", "TARGET", "ARG_NUM", "ARG_STR", "COMMA", "DOT", "ARROW",
                    "ASSIGN_OP", "SHIFT_OP", "CMP_OP", "MATCH_OP", "PLUS_EQ", "ANDAND", "OROR", "EQ", "SLASH",
                    "PERCENT", "VBAR", "CIRC", "QMARK", "COLON", "LPAR", "RPAR", "LSQB", "RSQB", "BANG", "TILDE",
                    "AT_OTHER"} | (set(AT_WORDS.values()) - {"DEFINE"}))
_BRACKETS_AND_DIRECTIVES = _OPEN | _CLOSE | _DIRECTIVES | {"LBRACE", "RBRACE"}
# The last tokens of a declaration: a declaration after one of them starts a line.
_DECLARATION_ENDS = frozenset({"RBRACE", "SEMI", "EMBEDDED", "PP_CLOSE"})
# One space after `%(`, `%?`, `%:` and before `%?`, `%:`, `%)` (most of the tapset library's 1432 `%(`
# have it); not after `%?` / `%:` in a probe header, where it can decide how a probe point is glued.
_SPACE_BEFORE_DIRECTIVE = frozenset({"PP_THEN", "PP_ELSE", "PP_CLOSE"})
# After these a `+` or `-` cannot be arithmetic: it is a foreach sort mark
# (`foreach ([k, v-] in a+ limit 5)`, `foreach (v- = k in a)`, `a[*] @sum-)`).
_AFTER_SORT_MARK = frozenset({"RPAR", "COMMA", "RSQB", "EQ", "IN", "LIMIT"})
# Statements whose body may be a single statement without braces; `catch` has no
# such body, but its optional `(msg)` is read the same way.
_HEADS = frozenset({"IF", "WHILE", "FOR", "FOREACH"})
# Tokens that cannot continue the statement before them: they start the next one.
_STATEMENT_STARTS = frozenset({"IF", "WHILE", "FOR", "FOREACH", "TRY", "RETURN", "DELETE", "NEXT", "BREAK",
                               "CONTINUE", "ELSE", "LBRACE", "RBRACE"})
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
    # Where the `{` of a block goes (docs/formatting.md, "Braces"): "attach", on the line of
    # its header (for every block, as 63% of the examples' bodies and 97% of their statements
    # are written), or "linux": the `{` of a probe or function body of several lines on a
    # line of its own (as 81% of the tapset library's are), the others attached.
    brace_style: str = "attach"


BRACE_STYLES = ("attach", "linux")


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
    # The tokens and the comments, each in the order of the text (no argument is pasted
    # in: every token is where it is written), merged.
    comments = result.comments
    next_comment = comments[0].start if comments else len(text) + 1
    c = 0
    count = text.count
    items = []
    append = items.append
    previous_end = 0
    for kind, token_text, start, end, _, _ in result.tokens:
        while next_comment < start:
            comment = comments[c]
            append(_Item("COMMENT", comment.text, next_comment, comment.end,
                         count("\n", previous_end, next_comment), next_comment > previous_end, True))
            previous_end = comment.end
            c += 1
            next_comment = comments[c].start if c < len(comments) else len(text) + 1
        if start > previous_end:
            append(_Item(kind, token_text, start, end, count("\n", previous_end, start), True, False))
        else:  # written right after the token before it (as half the tokens are): no line break to count
            append(_Item(kind, token_text, start, end, 0, False, False))
        previous_end = end
    for comment in comments[c:]:
        append(_Item("COMMENT", comment.text, comment.start, comment.end,
                     count("\n", previous_end, comment.start), comment.start > previous_end, True))
        previous_end = comment.end
    return items


_CRS_BEFORE_LF = re.compile(r"\r+\n")


def layout(text: str, style: Style = Style(), lexed=None) -> str:
    """The text laid out in the canonical style (the caller checks it is still the same program).

    `lexed`: the text's LexResult, when the caller has it already.
    """
    if "\r" not in text:
        return _layout_lf(text, style, lexed)
    if "\n" not in text:
        return _layout_cr(text, style, lexed)
    # The layout works on LF; the line ending of the first line is then used
    # everywhere but inside strings and embedded C, which are kept byte for byte.
    # Every CR before a LF goes with it: a CR is a blank to stap, and one left at the
    # end of a comment's line (`\r\r\n`) would become that line's ending next time.
    first_break = text.find("\n")
    eol = "\r\n" if first_break > 0 and text[first_break - 1] == "\r" else "\n"
    out = _layout_lf(_CRS_BEFORE_LF.sub("\n", text), style, None)
    return _with_line_ending(out, text, eol, lexed)


def _layout_cr(text: str, style: Style, lexed) -> str:
    """A text whose lines end in CR alone (old Mac OS), laid out with CR line endings.

    stap (and the lexer) read a CR as a blank, not as the end of a line: such a
    file is one line to them, and a `#` or `//` comment runs to its end.  When
    no comment or token holds a CR, reading each CR as a line break gives the
    same tokens, so the text is laid out as LF text and its breaks written back
    as CR; otherwise (a comment that swallows the rest of the file, a CR in a
    string or embedded C) it is left as it is.
    """
    lexed = lexed if lexed is not None else lex(text, version=ALL_FEATURES)
    if any("\r" in t.text for t in lexed.tokens) or any("\r" in c.text for c in lexed.comments):
        return text
    return _layout_lf(text.replace("\r", "\n"), style, None).replace("\n", "\r")


def _layout_lf(text: str, style: Style, lexed) -> str:
    out = "\n".join(_Layout(text, style, lexed).layout_lines())
    if text.endswith("\n") or not text:
        out += "\n" if out else ""
    return out


def _with_line_ending(out: str, original: str, eol: str, lexed=None) -> str:
    """`out` (laid out with LF) with `eol` between tokens and in comments, and the tokens of `original`."""
    before = (lexed if lexed is not None else lex(original, version=ALL_FEATURES)).tokens
    after = lex(out, version=ALL_FEATURES).tokens
    if len(before) != len(after):  # not expected: the layout only changes blanks (the check will tell)
        return out.replace("\n", eol)
    pieces = []
    position = 0
    for new, old in zip(after, before):
        # Only a string or embedded C can hold a line break, and only embedded C a CR.
        if new.text != old.text or "\n" in new.text:
            pieces.append(out[position:new.start].replace("\n", eol))
            pieces.append(old.text)
            position = new.end
    pieces.append(out[position:].replace("\n", eol))
    return "".join(pieces)


class _Layout:
    def __init__(self, text: str, style: Style, lexed=None, fast_path: bool = True):
        self.text = text
        # Take run's short way for the tokens that only need spacing (False: every token the
        # long way, as tests/format/test_layout_fast_path.py compares).
        self.fast_path = fast_path
        self.style = style
        self.items = _items(text, lexed)
        self.break_before: set[int] = set()  # items that wrapping puts at the start of a line
        self.lines: list[str] = []
        self.current: list[str] = []  # pieces of the line being built (one list, emptied by flush)

    def layout_lines(self) -> list[str]:
        """Lay the text out, then wrap the lines too long until none of them can be broken more.

        `_Scan` finds where to break (reckoning the column `run` will give
        each new line, to fill lines); the text is then laid out again with
        the breaks, as if the author had written them, so every indentation
        and brace placement comes from `run`, and scanned again.  Breaks are
        only added, so this ends; and as the result has no line that can be
        broken, laying it out again changes nothing.  Last, the trailing
        comments of consecutive lines are aligned.
        """
        lines = self.run()
        limit = self.style.line_length
        while any(_too_wide(line, limit) for line in lines):
            scan = _Scan("\n".join(lines), self.style, self)
            breaks = scan.breaks()
            if not breaks:
                break
            if not scan.relayout and len(self.trailing) < 2 and not any(self.in_one_line_block[k + 1] for k in breaks):
                # The columns the scan reckoned are those `run` would give: put the breaks in.
                return scan.render(breaks, self.probe_bodies)
            # Laid out again with the breaks, as if the author had written them: `run` gives
            # each new line its indentation (under its bracket), and a block broken its braces.
            new = {k + 1 for k in breaks} - self.break_before
            if not new:
                break  # (not expected: a break asked for is always put in)
            self.break_before |= new
            lines = self.run()
        return self.align_trailing_comments(lines)

    def align_trailing_comments(self, lines: list[str]) -> list[str]:
        """Start the trailing comments of consecutive lines in one column, as gofmt does.

        A run is two or more consecutive lines of the same indentation, each
        ending with a comment of one line after code; its comments start one
        blank after the longest code of the run.  A blank line, a line without
        such a comment or a change of indentation ends the run.
        """
        found = self.trailing  # (line, where its code ends, where the comment starts), in order
        if len(found) < 2:
            return lines
        out = list(lines)
        run: list[tuple[int, int, int]] = []
        for entry in found + [(-2, 0, 0)]:
            if run and (entry[0] != run[-1][0] + 1 or _indentation(lines[entry[0]]) != _indentation(lines[run[0][0]])):
                if len(run) >= 2:
                    column = max(_advance(lines[line][:code_end], 0) for line, code_end, _ in run) + 1
                    for line, code_end, comment in run:
                        code = lines[line][:code_end]
                        out[line] = code + " " * (column - _advance(code, 0)) + lines[line][comment:]
                run = []
            run.append(entry)
        return out

    def run(self) -> list[str]:
        """Lay the items out once (with the breaks of `break_before`): the lines.

        It also records, for each item, the state `_Scan` reads to wrap lines.
        """
        items = self.items
        n = len(items)
        breaks = self.break_before
        self.lines = []
        self.current = current = []
        write = current.append  # (a line is written a piece at a time: bound once, not per item)
        self.trailing = []  # the lines that end with a comment after code (see flush)
        self.pending_comment = None
        self.block = block = [0] * n  # the indentation level of a statement there
        self.parent = parents = [-1] * n  # the innermost open ( or [ (its index), -1 if none
        self.nesting = nestings = [0] * n  # how many ( and [ are open
        # (These three are written only where they differ from their first value: most items
        # are in no header, no brace group and no fmt: off region.)
        self.header = headers = [None] * n  # the declaration header the item is in
        self.in_group = in_group = [False] * n  # inside a brace group of probe points {a,b}
        self.verbatim = verbatim = [False] * n  # in a fmt: off region
        self.line_column = line_columns = [0] * n  # for each ( and [: the indentation (in columns) of its line
        indent = self.style.indent
        indent_width = _indent_width(indent)

        depth = 0  # open braces (not the brace groups of probe points)
        # The statements the item is in: ("brace", owner keyword) for each open `{`,
        # ("body", owner keyword, indented) for each unbraced body being read.
        frames: list[tuple] = []
        bodies = 0  # the unbraced bodies that start on a line of their own: one level each
        brackets: list[tuple[int, int]] = []  # open ( and [: (index, the indentation level of its line)
        header = None  # the kind that opened a declaration header (spacing kept there), or None
        groups = 0  # open brace groups of a probe header
        head = None  # (keyword, brackets open before its `(`) while the ( ) of an if/while/... is read
        brace_owner = None  # the keyword whose body the next `{` opens
        in_statement = False  # a simple statement (an expression, `return x`...) is being read
        last_statement = None  # the last token the statement logic saw (not directives nor conditions)
        newline_since_statement = False  # a line break after last_statement
        newline_since_code = False  # a line break after the last token (not comment)
        # Open %( ... %): [True for a conditional, the statement state at its %?, the token
        # before its %(] or [False for a macro body, how many frames were open at its %(].
        conditionals: list[list] = []
        in_condition = False  # between a conditional's %( and %?
        self.unary = unary = set()  # starts of the - + * & (and ++ --) that are prefix operators
        self.sort_marks = sort_marks = set()  # starts of the + - that are foreach sort marks
        # The spaces `_space` gave tokens of other kinds than _SPACED_BY_TOKEN, by what decides them:
        # (the kind before, the kind, the header, in a brace group?, blank before it as written?).
        spaces: dict[tuple, str] = {}
        previous: _Item | None = None
        prev_code: _Item | None = None
        # The token the item follows in the program: not a directive nor a condition, and
        # after %? or %: the token before the conditional's %( (then `%? -x` is binary).
        follows: _Item | None = None
        line_level = 0
        line_column = 0
        verbatim_end = -1  # the last item of the fmt: off region being read
        macro_body = -1  # where the `%(` of the last macro body is
        region_start = -1

        def complete(owner, following):
            """A statement (or the part of an if/try that `owner` heads) ends before `following`."""
            nonlocal bodies, in_statement
            while not ((owner == "IF" and following == "ELSE") or (owner == "TRY" and following == "CATCH")):
                if not frames or frames[-1][0] != "body":
                    break
                frame = frames.pop()
                bodies -= frame[2]
                owner = frame[1]  # a body is one statement: its owner's statement ends too
            in_statement = False

        def spacing(previous, item, header, brace_group):
            """The blanks between `previous` and `item` on a line (`_space`, and none that glue them)."""
            kind = item.kind
            if kind in _SPACED_BY_TOKEN or previous.kind in _SPACED_BY_TOKEN:
                space = _space(previous, item, header, brace_group, unary, sort_marks)
            else:  # the same kinds in the same place are spaced alike: asked once a layout
                key = (previous.kind, kind, header, brace_group, item.space_before)
                space = spaces.get(key)
                if space is None:
                    space = spaces[key] = _space(previous, item, header, brace_group, unary, sort_marks)
            if not space and previous.text[-1:] not in _AFTER_NOTHING and item.text[:1] not in _BEFORE_NOTHING \
                    and _would_merge(previous.text, item.text):
                space = " "  # `+ +x` must not become `++x`
            return space

        def next_code(i):
            j = i + 1
            while j < n and items[j].comment:
                j += 1
            return j

        closing, multiline, self.in_one_line_block = _blocks(items, breaks)
        self.probe_bodies = []  # the `{` of each probe's body, in order, and does its block hold a line break?
        attach = self.style.brace_style != "linux"
        last_block_open = -1  # the last `{` that opened a block (not a brace group of probe points)
        header_broken = False  # has the probe header being read a line break (before its body's `{`)?
        last_closed = None  # the keyword owning the block the last `}` closed (True: none)

        fast_path = self.fast_path
        for i in range(n):
            item = items[i]
            kind = item.kind
            nl = item.newlines or (1 if i in breaks else 0)
            if nl:
                newline_since_code = newline_since_statement = True
            elif fast_path and kind in _PLAIN and not in_condition and i > verbatim_end and previous is not None \
                    and previous.start != last_block_open and previous.start != macro_body \
                    and (header in ("PROBE", "FUNCTION") or (header is None and head is None
                                                             and not newline_since_statement)):
                # The short way, for two tokens in three: a name, a literal, a bracket or a binary
                # operator inside a line of a statement or of a probe or function header (not the
                # first after a `{`, not in a condition or a fmt: off region, not a keyword nor an
                # operator that may be unary).  Of all the cases below only these apply to it; a
                # change there may have to be made here too (tests/format/test_layout_fast_path.py
                # compares).
                block[i] = depth + bodies
                if brackets:
                    parents[i] = brackets[-1][0]
                    nestings[i] = len(brackets)
                    if brackets[-1][0] == i - 1 and brackets[-1][2] >= 0:
                        brackets[-1][3] = True  # code follows the bracket on its line: align under it
                if header is not None:
                    headers[i] = header
                if groups:
                    in_group[i] = True
                write(spacing(previous, item, header, False))
                write(item.text)
                if kind in _OPEN:
                    written = "".join(current)
                    brackets.append([i, line_column, _advance(written[written.rfind("\n") + 1:], 0), False])
                    line_columns[i] = line_column
                elif kind in _CLOSE and brackets:
                    brackets.pop()
                self.pending_comment = None
                previous = prev_code = follows = item
                if header is None:
                    last_statement = item
                    in_statement = True
                newline_since_code = False
                continue
            if item.comment and i > verbatim_end and _FMT_OFF.match(item.text):
                j = i + 1
                while j < n and not (items[j].comment and _FMT_ON.match(items[j].text)):
                    j += 1
                verbatim_end = min(j, n - 1)
                region_start = i
            in_region = i <= verbatim_end
            opens_header = False
            brace_group = False
            closing_owner = False  # a `}` that closed a block: the owner keyword's statement may end
            if not item.comment:
                closes_block = kind == "RBRACE" and not groups
                # -- declarations (most tokens are in no header and start none)
                if header is not None or kind in _HEADER_STARTS:
                    if header == "GLOBAL" and newline_since_code and not brackets and prev_code.kind != "COMMA":
                        header = None  # a global declaration ends with its line (unless it ends with a comma)
                    # (Only a probe header expects points.)
                    point_expected = header == "PROBE" and follows is not None and follows.kind in _POINT_EXPECTED
                    if header == "PRIVATE":
                        header = "FUNCTION" if kind == "FUNCTION" else "GLOBAL"  # `private global x`, `private x`
                    elif kind in _HEADER_STARTS and not brackets \
                            and (depth == 0 or (kind == "DEFINE" and header is None)) \
                            and not (follows is not None and follows.kind in ("DOT", "ARROW")) \
                            and not (header == "PROBE" and point_expected):  # `kernel.function` is a component
                        if depth == 0 and prev_code is not None and not newline_since_code and not in_region and \
                                (prev_code.kind in _DECLARATION_ENDS or header == "GLOBAL"):
                            nl = 1  # a declaration starts a line, even after a global on the same line
                        header = kind
                        opens_header = True
                        header_broken = False
                        if depth == 0:
                            frames.clear()
                            bodies = 0
                            head = brace_owner = None
                            in_statement = False
                    brace_group = kind == "LBRACE" and header == "PROBE" and point_expected
                if kind in _MAYBE_UNARY:
                    if kind in ("PLUS", "MINUS") and follows is not None and \
                            (j := next_code(i)) < n and items[j].kind in _AFTER_SORT_MARK:
                        sort_marks.add(item.start)
                    elif follows is None or not _ends_operand(follows, unary):
                        unary.add(item.start)
                elif kind in ("INC", "DEC") and (follows is None or nl or not _ends_operand(follows, unary)):
                    unary.add(item.start)  # ++x
                statement_logic = header is None and not in_condition and kind not in _DIRECTIVES
                # -- the state at the item
                block[i] = depth + bodies
                if brackets:
                    parents[i] = brackets[-1][0]
                    nestings[i] = len(brackets)
                if header is not None:
                    headers[i] = header
                if groups:
                    in_group[i] = True
                # -- statements the item ends, and a `}` closing its block
                if statement_logic and in_statement and not brackets and (
                        kind in _STATEMENT_STARTS or (newline_since_statement and not _continues_statement(
                            last_statement, item, unary))):
                    complete(None, kind)
                if kind == "PP_CLOSE" and conditionals and not conditionals[-1][0]:
                    # The end of a macro body ends the statements begun in it.
                    while len(frames) > conditionals[-1][1] and frames[-1][0] == "body":
                        bodies -= frames.pop()[2]
                    head = brace_owner = None
                    in_statement = False
                if kind == "RBRACE":
                    if groups:
                        groups -= 1
                    else:
                        depth = max(depth - 1, 0)
                        while frames:
                            frame = frames.pop()
                            if frame[0] == "brace":
                                closing_owner = frame[1] or True
                                break
                            bodies -= frame[2]
                        if depth == 0:
                            frames.clear()
                            bodies = 0
            if in_region:
                verbatim[i] = True
            if nl and header == "PROBE" and not opens_header and not (kind == "LBRACE" and not brace_group):
                header_broken = True
            # -- where blocks break lines: the braces (docs/formatting.md, "Braces")
            if not in_region and previous is not None:
                # (Read only where the author broke the line.)
                code_before = nl and previous is prev_code and previous.kind not in _DIRECTIVES
                if kind == "LBRACE" and not brace_group:
                    if header == "PROBE" and not brackets:
                        self.probe_bodies.append((i, multiline[i]))
                    if header == "PROBE" and header_broken and not brackets and multiline[i]:
                        # A probe header of several lines: its continuation lines are at the body's
                        # level, so the body's `{` goes on a line of its own (as 43 of 49 such headers
                        # of the examples, and 1868 of 2301 of the tapsets, are written; `render`
                        # does the same for a header it breaks).
                        nl = nl or 1
                    elif header in ("PROBE", "FUNCTION") and not brackets and not attach and multiline[i]:
                        nl = nl or 1  # linux: a body of several lines opens on a line of its own
                    elif nl and code_before and prev_code.kind != "EMBEDDED":
                        nl = 0  # attached to its header
                elif nl and code_before and kind in ("ELSE", "CATCH") and prev_code.kind == "RBRACE" \
                        and header is None and last_closed == ("IF" if kind == "ELSE" else "TRY"):
                    nl = 0  # } else, } catch (not the `else` of an outer `if` after an inner block's `}`)
                elif not nl and not item.comment and previous.start == last_block_open and multiline[i - 1] \
                        and kind != "RBRACE":
                    nl = 1  # a block of several lines: nothing after its `{` but a comment
                elif not nl and closes_block and closing.get(i, -1) >= 0 and multiline[closing[i]]:
                    nl = 1  # ... and its `}` on a line of its own
            # -- the line
            starts_line = previous is None or nl > 0
            if starts_line:
                if brackets:
                    # Under the first argument when one follows the innermost open bracket on its
                    # line (clang-format's AlignAfterOpenBracket); else one level more than the
                    # line of that bracket (its `)` at that line's indentation), and more than
                    # the statement it is in.
                    line_level = depth + bodies
                    opener = brackets[-1]
                    outer = max(opener[1], line_level * indent_width)
                    line_column = outer if kind in _CLOSE else opener[2] if opener[3] else outer + indent_width
                else:
                    line_level = depth + bodies
                    ending = 0
                    if (item.comment or kind in _DIRECTIVES) and in_statement and header is None:
                        # A comment or directive line before the next statement takes its indentation.
                        ending = _bodies_ending(frames, last_statement, items, _next_statement_token(items, i), unary)
                    if ending:
                        line_level -= ending
                    elif header == "PROBE":
                        # Probe header lines after the first are continuation lines (not the body's `{`).
                        if not opens_header and not (kind == "LBRACE" and not brace_group):
                            line_level += 1
                    elif header == "GLOBAL" and not opens_header and prev_code is not None and prev_code.kind == "COMMA":
                        line_level += 1  # `global a,` continued
                    elif header is None and previous is not None and _continues(previous, item):
                        line_level += 1
                    line_column = line_level * indent_width
            elif brackets and brackets[-1][0] == i - 1 and not item.comment and brackets[-1][2] >= 0:
                brackets[-1][3] = True  # code follows the bracket on its line: align under it
            pending = None
            if in_region:
                if i == region_start:
                    self.verbatim_region(item, items[verbatim_end], previous, nl,
                                         _line_indent(indent, indent_width, line_level, line_column))
            elif starts_line:
                if previous is not None:
                    self.flush()
                    if nl >= 2 and previous.kind != "LBRACE" and kind != "RBRACE":
                        self.lines.append("")
                write(_line_indent(indent, indent_width, line_level, line_column))
                write(item.text)
            elif previous.start == macro_body and kind in NAME_PIECES:
                # The first token of a macro body: whitespace before it can decide whether
                # it is glued to a probe-point piece before the macro's use (`sys@m`).
                write(" " if item.space_before else "")
                write(item.text)
            else:
                # A condition never reaches the parser: it is spaced as code, even in a header.
                space = spacing(previous, item, None if in_condition else header, brace_group)
                if item.comment and not previous.comment and "\n" not in item.text:
                    # Maybe a trailing comment (if nothing follows it on its line): where it starts.
                    code_end = sum(map(len, current))
                    pending = (code_end, code_end + len(space))
                write(space)
                write(item.text)
            self.pending_comment = pending
            previous = item
            if item.comment:
                continue
            # -- the state after the item
            if statement_logic:
                if head is not None:
                    pass  # inside the ( ) of an if, while, for, foreach or catch
                elif kind in _HEADS or (kind == "CATCH" and (j := next_code(i)) < n and items[j].kind == "LPAR"):
                    head = (kind, len(brackets))
                    in_statement = False
                elif kind in ("ELSE", "TRY", "CATCH"):
                    head = (kind, -1)  # its body follows at once
                elif kind not in ("LBRACE", "RBRACE", "SEMI"):
                    in_statement = True
                last_statement = item
                newline_since_statement = False
            if kind not in _BRACKETS_AND_DIRECTIVES:
                pass  # (most tokens: none of the cases below)
            elif kind == "LBRACE":
                if brace_group:
                    groups += 1  # a brace group of probe points: {open,close}
                else:
                    last_block_open = item.start
                    owner = brace_owner
                    if header in ("PROBE", "FUNCTION") and not brackets:
                        header = None  # the body starts
                        owner = "DECLARATION"
                    frames.append(("brace", owner))
                    brace_owner = None
                    in_statement = False
                    depth += 1
            elif kind == "RBRACE":
                last_closed = closing_owner
                if closing_owner and statement_logic:
                    j = next_code(i)
                    complete(closing_owner, items[j].kind if j < n else None)
            elif kind in _OPEN:
                # [index, its line's indentation, the column after it, is it followed on its line?]
                # (In a fmt: off region the line is copied whole, not built: nothing aligns under it.)
                written = "".join(current)
                after = -1 if in_region else _advance(written[written.rfind("\n") + 1:], 0)
                brackets.append([i, line_column, after, False])
                line_columns[i] = line_column
            elif kind in _CLOSE:
                if brackets:
                    brackets.pop()
            elif kind in _DIRECTIVES:
                if kind == "PP_OPEN":
                    if header == "DEFINE":
                        conditionals.append([False, len(frames), None])  # a macro body
                        macro_body = item.start
                        follows = None
                    else:
                        conditionals.append([True, None, follows])
                        in_condition = True
                elif conditionals and conditionals[-1][0]:
                    if kind != "PP_CLOSE":
                        follows = conditionals[-1][2]  # a branch goes on from before its %(
                    if kind == "PP_THEN":
                        in_condition = False
                        conditionals[-1][1] = (list(frames), bodies, in_statement, last_statement, depth, brace_owner,
                                               newline_since_statement)
                    elif kind == "PP_ELSE":
                        # The other branch starts where the first one did (if its braces match).
                        saved = conditionals[-1][1]
                        if saved is not None and saved[4] == depth:
                            frames[:] = saved[0]
                            bodies, in_statement, last_statement, _, brace_owner, newline_since_statement = saved[1:]
                    else:
                        conditionals.pop()
                elif kind == "PP_CLOSE" and conditionals:
                    conditionals.pop()  # a macro body's
                    follows = None
            if kind not in _DIRECTIVES and not in_condition:
                follows = item
            if statement_logic and not brackets:
                if head is not None and (head[1] < 0 or (kind == "RPAR" and head[1] == len(brackets))):
                    # The head is read: a `{` or one statement follows, the body.
                    owner = head[0]
                    head = None
                    j = next_code(i)
                    if j < n and items[j].kind == "LBRACE":
                        brace_owner = owner
                    elif j < n:
                        indented = any(items[m].newlines or m in breaks for m in range(i + 1, j + 1))
                        frames.append(("body", owner, indented))
                        bodies += indented
                    in_statement = False
                elif kind == "SEMI" and (in_statement or (frames and frames[-1][0] == "body")):
                    j = next_code(i)
                    complete(None, items[j].kind if j < n else None)
            if header is not None and not brackets and (
                    kind == "SEMI" or (kind == "EMBEDDED" and header != "GLOBAL")
                    or (kind == "PP_OPEN" and header == "DEFINE")):
                header = None  # `;`, an embedded-C body, or an @define's body
            prev_code = item
            newline_since_code = False
        self.flush()
        while self.lines and not self.lines[-1]:
            self.lines.pop()
        return self.lines

    def verbatim_region(self, item: _Item, last: _Item, previous: _Item | None, newlines: int, indent: str) -> None:
        """Copy a `fmt: off` region as it is, up to its `fmt: on` comment (`last`) or the end of the text."""
        end = last.end if last.comment and _FMT_ON.match(last.text) else len(self.text)
        if previous is not None:
            if newlines:
                self.flush()
                if newlines >= 2:
                    self.lines.append("")
                self.current.append(indent)
            else:
                self.current.append(" ")
        region = self.text[item.start:end].split("\n")
        self.current.append(region[0])
        for line in region[1:]:
            self.lines.append("".join(self.current))  # kept exactly, trailing blanks too
            self.current.clear()
            self.current.append(line)

    def flush(self) -> None:
        line = "".join(self.current).rstrip(BLANKS)
        self.current.clear()
        if self.pending_comment is not None and "\n" not in line:
            # The line ends with a comment after code: (its line, where the code ends, where it starts).
            self.trailing.append((len(self.lines), *self.pending_comment))
        self.pending_comment = None
        if line or self.lines:
            self.lines.append(line)


def _blocks(items: list[_Item], breaks: set[int]) -> tuple[dict[int, int], list[bool], list]:
    """The `{` each `}` closes (by index), for each `{`: does its block hold a line break?, and
    for each item: is it inside a block written on one line?

    Braces are matched as written (a `}` with no `{` open matches nothing),
    conditionals included; a line break is one the author wrote or a break
    the wrapping added.
    """
    n = len(items)
    multiline = [False] * n
    closing: dict[int, int] = {}
    one_line = [0] * (n + 1)
    stack: list[tuple[int, int]] = []  # open `{`: (index, line starts up to it)
    count = 0  # line starts so far
    for k, item in enumerate(items):
        if item.newlines or k in breaks:
            count += 1
        if item.comment:
            continue
        kind = item.kind
        if kind == "LBRACE":
            stack.append((k, count))
        elif kind == "RBRACE" and stack:
            opening, before = stack.pop()
            closing[k] = opening
            if count > before:
                multiline[opening] = True
            else:
                one_line[opening + 1] += 1
                one_line[k] -= 1
    if not any(one_line):
        return closing, multiline, [False] * (n + 1)
    # The items inside a block written on one line: inside as many as have opened and not closed.
    return closing, multiline, [inside > 0 for inside in itertools.accumulate(one_line)]


# -- spacing ------------------------------------------------------------------


# Kinds whose spacing the tokens themselves decide (which `-` is unary, which `+` a sort
# mark, which `++` a prefix): `_space` between any other two tokens is decided by their kinds,
# the header, whether in a brace group and whether a blank was written before the second (so
# `run` asks it once a layout for each such combination).
_SPACED_BY_TOKEN = frozenset({"MINUS", "PLUS", "STAR", "AMP", "INC", "DEC"})


def _space(previous: _Item, item: _Item, header, brace_group: bool, unary: set[int], sort_marks: set[int]) -> str:
    """The space between two tokens on a line (see `_SPACED_BY_TOKEN` before adding a rule)."""
    kind = item.kind
    pkind = previous.kind
    if item.comment or previous.comment:
        return " "
    if kind in _SPACE_BEFORE_DIRECTIVE or pkind == "PP_OPEN":
        return " "
    if pkind in ("PP_THEN", "PP_ELSE") and header != "PROBE":
        return " "
    if header == "FUNCTION":
        return _function_space(previous, item)
    if header is not None:
        if kind == "LBRACE" and not brace_group:
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
    if kind in _KEYWORD_OPERATORS or pkind in _KEYWORD_OPERATORS:
        return " "
    if kind == "ARROW" or pkind == "ARROW":
        return ""
    if item.start in sort_marks:
        return ""  # foreach (k in a-)
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


def _function_space(previous: _Item, item: _Item) -> str:
    """A function's header is spaced as a call is: `function f:long(a:long, b)`.

    No probe point is glued there, so nothing is kept as written but a blank
    before embedded C.
    """
    kind = item.kind
    pkind = previous.kind
    if kind in ("COLON", "LPAR", "RPAR", "COMMA") or pkind in ("COLON", "LPAR"):
        return ""
    if kind == "LBRACE" or pkind == "COMMA":
        return " "
    return " " if item.space_before or _words(pkind, kind) else ""


_OPERAND_START = frozenset({"IDENT", "NUMBER", "STRING", "LPAR", "TARGET", "ARG_NUM", "ARG_STR", "AT_OTHER",
                            "BANG", "TILDE", "MINUS", "PLUS"})
# Where a probe header expects a point or component: a `{` there opens a brace group.
# (After `%?` or `%:`, what came before the conditional's `%(` decides.)
_POINT_EXPECTED = frozenset({"PROBE", "DOT", "COMMA", "LBRACE", "EQ", "PLUS_EQ"})
_CALLABLE = frozenset({"IDENT", "TARGET", "AT_OTHER", "RSQB", "RPAR"})


def _ends_operand(item: _Item, unary: set[int]) -> bool:
    """Does the token end an operand (so a following - + * & is binary)?"""
    if item.start in unary:
        return False
    return item.kind in _OPERAND_END


# Every beginning of an operator: `-` then `-` would lex as `--` when written together.
_OPERATOR_PREFIXES = frozenset(op[:k] for op in OPERATORS for k in range(1, len(op) + 1))


# Characters that no other can glue to (a quick test before `_would_merge`, which sees 270k
# pairs of tokens in the tapset library and never says yes there): not a name's, no operator
# holds them but first (`_AFTER_NOTHING`) or last (`_BEFORE_NOTHING`), none starts a comment.
_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"  # ASCII's (string.punctuation, without importing string)
_NAME_PUNCTUATION = "_$@"
_AFTER_NOTHING = frozenset(ch for ch in _PUNCTUATION if ch not in _NAME_PUNCTUATION + "/"
                           and not any(ch in op[:-1] for op in OPERATORS))
_BEFORE_NOTHING = frozenset(ch for ch in _PUNCTUATION if ch not in _NAME_PUNCTUATION + "/*#"
                            and not any(ch in op[1:] for op in OPERATORS))


def _would_merge(a: str, b: str) -> bool:
    """Would the two tokens, written together, lex as something else (`-` `-` as `--`)?"""
    if not a or not b:
        return False
    last, first = a[-1], b[0]
    if last.isalnum() or last in "_$@":
        return first.isalnum() or first in "_$"  # a name goes on with these (`@` only starts one)
    return (a + first) in _OPERATOR_PREFIXES or (last + first) in ("//", "/*", "#")


def _bodies_ending(frames: list[tuple], last: _Item, items: list[_Item], following: int, unary: set[int]) -> int:
    """How many indented unbraced bodies end before items[following], if the statement `last` ends."""
    if following >= len(items):
        return 0
    item = items[following]
    if item.kind not in _STATEMENT_STARTS and _continues_statement(last, item, unary):
        return 0
    owner = None
    ending = 0
    k = len(frames)
    while k and frames[k - 1][0] == "body" and not (
            (owner == "IF" and item.kind == "ELSE") or (owner == "TRY" and item.kind == "CATCH")):
        k -= 1
        ending += frames[k][2]
        owner = frames[k][1]
    return ending


def _next_statement_token(items: list[_Item], i: int) -> int:
    """The index of the first token after items[i] that is not a comment, a directive or a condition."""
    in_condition = items[i].kind == "PP_OPEN"
    j = i + 1
    while j < len(items):
        kind = items[j].kind
        if kind == "PP_OPEN":
            in_condition = True
        elif kind == "PP_THEN":
            in_condition = False
        elif not (in_condition or items[j].comment or kind in _DIRECTIVES):
            return j
        j += 1
    return j


def _continues(previous: _Item, item: _Item) -> bool:
    """Does this line continue an expression of the line before?"""
    if previous.comment:
        return False
    return previous.kind in _BINARY or previous.kind in _MAYBE_UNARY or previous.kind == "COMMA"


# After these a statement goes on to the next line (`return` takes the value there, as stap reads it).
_CONTINUED_AFTER = _BINARY | _MAYBE_UNARY | {"COMMA", "ARROW", "IN", "LIMIT", "RETURN", "DELETE"}


def _continues_statement(last: _Item, item: _Item, unary: set[int]) -> bool:
    """Does `item`, first on its line, continue the statement whose last token was `last`?"""
    if last.kind in _CONTINUED_AFTER:
        return True
    kind = item.kind
    return kind in _BINARY or kind in ("ARROW", "IN", "LIMIT") or (kind in _MAYBE_UNARY and item.start not in unary)


def _words(a: str, b: str) -> bool:
    """Two tokens that would run together without a space (keywords, names, numbers)."""
    wordy = {"IDENT", "NUMBER", "TARGET", "ARG_NUM", "ARG_STR", "AT_OTHER", "STRING"} | KEYWORD_KINDS
    return (a in wordy or a.startswith("AT_")) and (b in wordy or b.startswith("AT_"))


# -- wrapping (used by _Layout.layout_lines) --------------------------------------

TAB_WIDTH = 8  # columns: a tab advances to the next multiple of this
# Tokens after the overflow that belong with the token before them: `f(a, b);`
# too long at its `;` is broken inside `f( )`.
_TRAILING = frozenset({"RPAR", "RSQB", "SEMI", "COMMA"})


def _indent_width(indent: str) -> int:
    return _advance(indent, 0)


def _line_indent(indent: str, width: int, level: int, column: int) -> str:
    """The blanks that start a line at `column`, its statement being at `level`.

    Whole levels where the column is one; else the statement's levels, then
    spaces (tabs indent, spaces align).
    """
    if column % width == 0:
        return indent * (column // width)
    levels = min(level, column // width)
    return indent * levels + " " * (column - levels * width)


def _indentation(line: str) -> str:
    return line[:len(line) - len(line.lstrip(" \t"))]


def _advance(text: str, column: int) -> int:
    """The column after writing `text` (one line) from `column`."""
    if "\t" not in text:
        return column + len(text)
    for ch in text:
        column = (column // TAB_WIDTH + 1) * TAB_WIDTH if ch == "\t" else column + 1
    return column


def _too_wide(line: str, limit: int) -> bool:
    """Is a physical line of `line` (it holds several after a multi-line token) wider than `limit`?"""
    if len(line) + (TAB_WIDTH - 1) * line.count("\t") <= limit:
        return False  # no part of it can be wider than the whole: most lines are decided here
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
        token = item.text.rstrip(BLANKS) if item.comment else item.text
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
    """Where to break the lines of a layout that are too long.

    It reads the laid-out text and the state `_Layout.run` recorded for each
    item (the brackets around it, its header, its statement's level, its
    line's level).  A long line is broken greedily (see `breaks`); the column
    of a line a break makes is the one `run` will give it: one level more
    than the line holding the innermost bracket open there, or than the
    statement outside brackets.  `run` lays the text out again with the
    breaks, and any line still too long is scanned again.
    """

    def __init__(self, text: str, style: Style, layout: _Layout):
        self.text = text
        self.style = style
        self.limit = style.line_length
        self.indent_width = _indent_width(style.indent)
        items = self.items = layout.items
        located = _locate(text, items)
        self.located = located is not None
        if located is None:  # not expected: the layout only changes blanks
            return
        self.start, self.end = located
        self.block = layout.block
        self.parent = layout.parent
        self.nesting = layout.nesting
        self.header = layout.header
        self.in_group = layout.in_group
        self.verbatim = layout.verbatim
        self.line_column = layout.line_column
        self.unary = layout.unary
        self.sort_marks = layout.sort_marks
        # The physical lines, and where each starts (each starts one past the end of the one before).
        self.physical = text.split("\n")
        self.line_starts = list(itertools.accumulate((len(line) + 1 for line in self.physical[:-1]), initial=0))
        self.line_first = 0  # the first item of the line (of the layout) being broken
        self.new_lines: list[tuple[int, int]] = []  # the lines its breaks made so far: (first item, column)
        self.new_line_column: dict[int, int] = {}  # the first item of each line a break makes: its column
        # Must the text be laid out again with the breaks to indent every line as `run` does?
        # (A break came before a bracket still open on the lines below, or broke the line
        # of a bracket whose new line's column was reckoned before that.)
        self.relayout = False

    def line_end(self, line: int) -> int:
        return self.line_starts[line + 1] - 1 if line + 1 < len(self.line_starts) else len(self.text)

    def first_item(self, line: int) -> int:
        """The first item that starts on physical line `line`; the number of items if none does."""
        n = len(self.items)
        first = bisect.bisect_left(self.start, self.line_starts[line])
        if first < n and line + 1 < len(self.line_starts) and self.start[first] >= self.line_starts[line + 1]:
            return n
        return first

    def starts_layout_line(self, line: int) -> bool:
        """Does a line of the layout start on physical line `line` (not the rest of a token that runs over lines)?"""
        first = self.first_item(line)
        return first < len(self.items) and not self.text[self.line_starts[line]:self.start[first]].strip()

    # -- where to break --------------------------------------------------------

    def breaks(self) -> list[int]:
        """The items after which a line break goes, for every line too long.

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
        is broken the same way, from left to right.  In a probe header only
        the commas between probe points are break points; `global` and
        `@define` headers, `fmt: off` regions and the inside of a token (a
        string, a comment, embedded C) are never broken.
        """
        if not self.located:
            return []
        text = self.text
        n = len(self.items)
        limit = self.limit
        out: list[int] = []
        # Only the lines too long are visited (most lines are not: the test is `_too_wide`'s, inline).
        wide = [line for line, physical in enumerate(self.physical)
                if len(physical) + (TAB_WIDTH - 1) * physical.count("\t") > limit and _advance(physical, 0) > limit]
        visited = -1  # the lines up to this one are accounted for in line_first and new_lines
        for line in wide:
            first = self.first_item(line)
            if first == n:
                continue
            # The line of the layout it is part of: its brackets are on it, or on the lines its
            # breaks make.  The nearest line after `visited` where one starts, if any, resets those.
            for start in range(line, visited, -1):
                if self.starts_layout_line(start):
                    self.line_first = self.first_item(start)
                    self.new_lines = []
                    break
            visited = line
            line_start = self.line_starts[line]
            line_end = self.line_end(line)
            last = first
            while last + 1 < n and self.start[last + 1] < line_end:
                last += 1
            if any(self.verbatim[first:last + 1]):
                continue
            work = [(first, last, _advance(text[line_start:self.start[first]], 0))]
            while work:  # the leftmost piece first: the lines of the brackets before it are known then
                piece_first, piece_last, column = work.pop()
                pieces = self.break_piece(piece_first, piece_last, column, line_end)
                for piece in pieces[1:]:
                    bisect.insort(self.new_lines, (piece[0], piece[2]))
                    self.new_line_column[piece[0]] = piece[2]
                out.extend(piece[3] for piece in pieces[:-1])
                work.extend(piece[:3] for piece in reversed(pieces))
            if self.new_lines:
                self.check_columns()
                if self.left_open(self.line_first, self.logical_end(last)) >= self.new_lines[0][0]:
                    self.relayout = True
        return out

    def logical_end(self, last: int) -> int:
        """The last item of the line of item `last`, with what follows a token that runs over lines."""
        text = self.text
        k = last + 1
        while k < len(self.items) and "\n" not in text[self.end[k - 1]:self.start[k]]:
            k += 1
        return k - 1

    def check_columns(self) -> None:
        """Reckon the column of each new line of the line again, now that all of them are known."""
        new_lines = self.new_lines
        for index, (first, column) in enumerate(new_lines):
            right = self.continuation(first)
            if right != column:
                new_lines[index] = (first, right)
                self.new_line_column[first] = right
                self.relayout = True

    def left_open(self, first: int, last: int) -> int:
        """The last bracket opened among items first..last and not closed there (-1 if none)."""
        items = self.items
        opened = []
        for k in range(first, last + 1):
            kind = items[k].kind
            if kind in _OPEN:
                opened.append(k)
            elif kind in _CLOSE and opened:
                opened.pop()
        return opened[-1] if opened else -1

    def render(self, breaks: list[int], probe_bodies: list[tuple[int, bool]]) -> list[str]:
        """The lines with a line break after each item of `breaks`, indented as `run` would.

        As `run` does, a probe header it breaks gets the `{` of its body of several
        lines on a line of its own (`probe_bodies`: each body's `{` and whether its block has several lines).
        """
        text = self.text
        indent = self.style.indent
        width = self.indent_width
        edits = [(self.end[k], self.start[k + 1],
                  "\n" + _line_indent(indent, width, self.block[k + 1], self.new_line_column[k + 1]))
                 for k in set(breaks)]
        braces = {probe_bodies[at][0] for k in breaks if self.header[k] == "PROBE"
                  and (at := bisect.bisect_right(probe_bodies, (k, True))) < len(probe_bodies)
                  and probe_bodies[at][1]
                  and all(self.items[m].kind != "PROBE" for m in range(k + 1, probe_bodies[at][0]))}
        edits += [(self.end[j - 1], self.start[j], "\n" + indent * self.block[j]) for j in braces
                  if "\n" not in text[self.end[j - 1]:self.start[j]]]
        edits.sort()
        pieces = []
        position = 0
        for start, end, replacement in edits:
            pieces.append(text[position:start])
            pieces.append(replacement)
            position = end
        pieces.append(text[position:])
        return "".join(pieces).split("\n")

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
            either = []  # ||
            logic = []  # &&
            ternary = []
            chained = []  # `.` and binary `+` `-`
            for k in range(max(first, level + 1), last):
                if self.parent[k] != level or items[k].comment:
                    continue
                kind = items[k].kind
                if kind == "COMMA":
                    if self.may_break(k, last):
                        commas.append(k)
                elif kind == "OROR":
                    if self.nesting[k] <= 1 and self.may_break(k, last):
                        either.append(k)
                elif kind == "ANDAND":
                    if self.nesting[k] <= 1 and self.may_break(k, last):
                        logic.append(k)
                elif kind in ("QMARK", "COLON"):
                    if self.may_break(k, last):
                        ternary.append(k)
                elif kind == "DOT" or (kind in ("PLUS", "MINUS") and items[k].start not in self.unary
                                       and items[k].start not in self.sort_marks):
                    if self.may_break(k, last):
                        chained.append(k)
            # The loosest operator of the bracket first (as black splits at the lowest precedence).
            candidates = commas or ternary or either or logic or chained
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
        if header == "FUNCTION":  # the parameter list
            return self.items[k].kind == "COMMA" and self.nesting[k] > 0
        if header == "GLOBAL":  # between the names: `global a,` goes on on the next line
            return self.items[k].kind == "COMMA" and self.nesting[k] == 0
        return False  # @define

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
        if len(pieces) >= 2 and pieces[-2][3] == candidates[-1] and len(candidates) >= 2:
            # No lone last argument: `f(a, b,` / `c)` becomes `f(a,` / `b, c)` when that fits
            # (clang-format's penalties and black's one-per-line both avoid the orphan).
            earlier = candidates[-2]
            previous_first, _, previous_column, _ = pieces[-2]
            column = self.continuation(earlier + 1)
            if earlier > previous_first and column + ends[last_code] - starts[earlier + 1] <= limit:
                pieces[-2:] = [(previous_first, earlier, previous_column, earlier), (earlier + 1, last, column)]
        return pieces

    def continuation(self, k: int) -> int:
        """The column `run` gives item k on a line of its own after a break (`may_break` places only)."""
        bracket = self.parent[k]
        statement = self.indent_width * self.block[k]
        if bracket == -1:
            return statement + self.indent_width
        following = bracket + 1
        if not self.verbatim[bracket] and not self.items[following].comment and "\n" not in self.text[self.end[bracket]:self.start[following]]:
            return self.column_after(bracket)  # under the first argument
        return max(self.opener_column(bracket), statement) + self.indent_width

    def column_after(self, k: int) -> int:
        """The column after item k (a bracket), on the line being broken after its breaks so far."""
        text = self.text
        if k > self.line_first:
            index = bisect.bisect_right(self.new_lines, (k, len(self.items))) - 1
            if index >= 0:
                first, column = self.new_lines[index]
                return _advance(text[self.start[first]:self.end[k]], column)
        return _advance(text[text.rfind("\n", 0, self.start[k]) + 1:self.end[k]], 0)

    def opener_column(self, k: int) -> int:
        """The column of the line holding item k (on the line being broken, after its breaks so far)."""
        if k > self.line_first:
            index = bisect.bisect_right(self.new_lines, (k, len(self.items))) - 1
            if index >= 0:
                return self.new_lines[index][1]
        return self.line_column[k]
