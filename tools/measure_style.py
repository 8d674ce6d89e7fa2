#!/usr/bin/env python3
"""Measure how SystemTap scripts are written, to choose the formatter's defaults.

A development tool, not part of the package.  It reads the example scripts
and the tapset library of an installed SystemTap (Debian's systemtap-doc and
systemtap-common 4.8 put them in /usr/share/systemtap) and prints, for each
corpus separately:

* indentation: how many code lines are indented with tabs, spaces or a mix,
  which unit each file uses (the most common step between a line and a more
  indented one after it), counted per file and per line;
* brace placement: the `{` of probe and function bodies and of statements
  (`if`, `else`, `for`, `foreach`, `while`, `try`) on the header's line or on
  a line of its own, and `} else` on one line or two;
* spacing: binary operators with a space on both sides, on neither, or on
  one; a space after commas; `if (` against `if(`; `f(` against `f (`;
  a space just inside brackets;
* how many statement lines end with `;`;
* line lengths (a tab advances to the next multiple of 8 columns):
  percentiles, and the share of lines longer than 80, 100 and 120 columns.

The generated syscall number tables of the tapset library
(`syscall_num*.stp`) are left out.  Lines inside `/* */` comments, embedded C `%{ %}` and multi-line strings are
left out of the indentation and brace counts (they are not laid out by the
formatter); the line-length counts include every non-blank line.

    python3 tools/measure_style.py [--examples DIR] [--tapsets DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import Counter
from pathlib import Path

from stapkit.format.layout import _BINARY, _MAYBE_UNARY, _OPERAND_END
from stapkit.syntax.lexer import lex

GENERATED = ("syscall_num",)  # file names of generated tables
TAB = 8  # columns a tab advances to (the next multiple of)
STATEMENT_KEYWORDS = {"IF", "ELSE", "FOR", "FOREACH", "WHILE", "TRY", "CATCH"}
SPACED_KEYWORDS = ("IF", "WHILE", "FOR", "FOREACH")


def width(line: str) -> int:
    column = 0
    for ch in line:
        column = (column // TAB + 1) * TAB if ch == "\t" else column + 1
    return column


def percentile(values: list[int], p: float) -> int:
    if not values:
        return 0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


class Counts:
    def __init__(self):
        self.files = 0
        self.indent_lines = Counter()  # tab / space / mixed (code lines that are indented)
        self.indent_step = Counter()  # "tab", "2", "4", "8", ... (each deeper line after a `{` line)
        self.file_unit = Counter()  # each file's most common step
        self.body_brace = Counter()  # probe/function body `{`: same line / own line
        self.statement_brace = Counter()  # if/else/for/... `{`: same line / own line
        self.else_placement = Counter()  # `} else` / `}` newline `else`
        self.binary = Counter()  # both / neither / one side
        self.binary_by_op = {}  # operator -> Counter
        self.comma = Counter()  # space after / none (not at a line end)
        self.keyword_paren = Counter()  # `if (` / `if(`
        self.call_paren = Counter()  # `f(` / `f (`
        self.inside_brackets = Counter()  # `( x` / `(x`
        self.statement_semicolon = Counter()  # ends with ; / does not
        self.lengths: list[int] = []
        self.blank_runs = Counter()  # runs of 1, 2, 3+ blank lines
        self.longest: list[int] = []  # each file's longest line
        # Issue 19's points:
        self.trailing_pairs = Counter()  # consecutive lines with trailing comments: aligned / not
        self.continuation = Counter()  # a line inside an open bracket: under the bracket / indented
        self.function_paren = Counter()  # `function f(` / `function f (`
        self.function_inside = Counter()  # `(a:long)` / `( a:long )` in function headers
        self.block_close = Counter()  # `}` of a block of several lines: own line / after code
        self.block_open = Counter()  # `{` of a block of several lines: code follows on its line / not
        self.file_body_brace = Counter()  # files whose bodies' `{` are all same line / all own line / mixed
        self.break_after = Counter()  # the operator or comma a continued line ends with
        self.break_before = Counter()  # the operator a continuation line starts with
        self.last_piece = Counter()  # the last line of a wrapped argument list: one argument / more
        self.define_gap = Counter()  # the blanks before an @define's body `%(` on its line: one / several / none

    def as_dict(self) -> dict:
        lengths = self.lengths
        return {
            "files": self.files,
            "indented code lines": dict(self.indent_lines),
            "indent step (per line)": dict(self.indent_step.most_common()),
            "indent unit (per file)": dict(self.file_unit.most_common()),
            "probe/function body {": dict(self.body_brace),
            "statement {": dict(self.statement_brace),
            "} else": dict(self.else_placement),
            "binary operators": dict(self.binary),
            "binary operators, by operator": {op: dict(c) for op, c in sorted(
                self.binary_by_op.items(), key=lambda kv: -sum(kv[1].values()))},
            "after a comma": dict(self.comma),
            "keyword (": dict(self.keyword_paren),
            "call (": dict(self.call_paren),
            "just inside ( [": dict(self.inside_brackets),
            "statement lines ending with ;": dict(self.statement_semicolon),
            "blank-line runs": dict(self.blank_runs),
            "line length": {
                "lines": len(lengths),
                "p50": percentile(lengths, 50), "p90": percentile(lengths, 90),
                "p95": percentile(lengths, 95), "p99": percentile(lengths, 99),
                "p99.9": percentile(lengths, 99.9), "max": max(lengths, default=0),
                "mean": round(statistics.fmean(lengths), 1) if lengths else 0,
                "> 80": share(sum(n > 80 for n in lengths), len(lengths)),
                "> 100": share(sum(n > 100 for n in lengths), len(lengths)),
                "> 120": share(sum(n > 120 for n in lengths), len(lengths)),
            },
            "consecutive trailing comments (pairs of lines)": dict(self.trailing_pairs),
            "line inside an open bracket": dict(self.continuation),
            "function header (": dict(self.function_paren),
            "function header inside ( )": dict(self.function_inside),
            "} of a block of several lines": dict(self.block_close),
            "{ of a block of several lines": dict(self.block_open),
            "files' body braces": dict(self.file_body_brace),
            "continued line ends with": dict(self.break_after.most_common()),
            "continuation line starts with": dict(self.break_before.most_common()),
            "last line of a wrapped argument list": dict(self.last_piece),
            "@define body %( after": dict(self.define_gap),
            "files with a line longer than": {
                str(limit): share(sum(n > limit for n in self.longest), len(self.longest))
                for limit in (80, 90, 100, 120)},
        }


def share(part: int, whole: int) -> str:
    return f"{part} ({100 * part / whole:.2f}%)" if whole else "0"


def measure(path: Path, counts: Counts) -> None:
    text = path.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")
    result = lex(text, version=(99,))
    tokens = result.tokens
    counts.files += 1
    lines = text.split("\n")
    starts = []
    offset = 0
    for line in lines:
        starts.append(offset)
        offset += len(line) + 1

    def line_of(position: int) -> int:
        lo, hi = 0, len(starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if starts[mid] <= position:
                lo = mid
            else:
                hi = mid - 1
        return lo

    # Lines that start inside a multi-line comment, embedded C or string: not laid out.
    hidden = set()
    for start, end in [(c.start, c.end) for c in result.comments] + \
            [(t.start, t.end) for t in tokens if "\n" in t.text]:
        for number in range(line_of(start) + 1, line_of(max(end - 1, start)) + 1):
            hidden.add(number)
    first_token = {}  # line -> index of its first token
    last_token = {}
    for index, token in enumerate(tokens):
        number = line_of(token.start)
        first_token.setdefault(number, index)
        last_token[line_of(max(token.end - 1, token.start))] = index

    # Line lengths and blank runs: every line.
    run = 0
    for line in lines:
        if line.strip():
            counts.lengths.append(width(line))
            if run:
                counts.blank_runs["3+" if run >= 3 else str(run)] += 1
            run = 0
        else:
            run += 1

    counts.longest.append(max((width(line) for line in lines), default=0))

    # Indentation of code lines (those that start with a token or a comment, not hidden).
    steps = Counter()
    previous_indent = None
    previous_opens = False
    for number, line in enumerate(lines):
        if number in hidden or not line.strip():
            continue
        indent = line[:len(line) - len(line.lstrip(" \t"))]
        if indent:
            kind = "tab" if set(indent) == {"\t"} else "space" if set(indent) == {" "} else "mixed"
            counts.indent_lines[kind] += 1
        columns = width(indent)
        if previous_indent is not None and previous_opens and columns > width(previous_indent):
            if previous_indent + "\t" == indent:
                step = "tab"
            else:
                step = str(columns - width(previous_indent))
            counts.indent_step[step] += 1
            steps[step] += 1
        previous_indent = indent
        previous_opens = line.rstrip().endswith("{")
    if steps:
        counts.file_unit[steps.most_common(1)[0][0]] += 1

    # Token-level spacing and braces.
    header = None  # "body": inside a probe/function header, waiting for its `{`
    for index, token in enumerate(tokens):
        kind = token.kind
        before = tokens[index - 1] if index else None
        after = tokens[index + 1] if index + 1 < len(tokens) else None
        if kind in ("PROBE", "FUNCTION") and (before is None or before.kind != "DOT"):
            header = kind
        if kind == "LBRACE" and before is not None:
            same = line_of(before.end) == line_of(token.start)
            where = "same line" if same else "own line"
            if header and before.kind not in ("DOT", "COMMA", "PROBE", "LBRACE", "EQ", "PLUS_EQ"):
                counts.body_brace[where] += 1
                header = None
            elif before.kind == "RPAR" or before.kind in ("ELSE", "TRY"):
                counts.statement_brace[where] += 1
        if kind == "ELSE" and before is not None and before.kind == "RBRACE":
            counts.else_placement["} else" if line_of(before.start) == line_of(token.start) else
                                  "}\\nelse"] += 1
        if after is None:
            continue
        gap_before = text[before.end:token.start] if before is not None else ""
        gap_after = text[token.end:after.start]
        if "\n" in gap_after:
            continue
        if kind == "COMMA":
            counts.comma["space" if gap_after else "none"] += 1
        if kind in SPACED_KEYWORDS and after.kind == "LPAR":
            counts.keyword_paren["if (" if gap_after else "if("] += 1
        if kind == "IDENT" and after.kind == "LPAR" and header is None and \
                (before is None or before.kind not in ("FUNCTION", "DOT")):
            counts.call_paren["f(" if not gap_after else "f ("] += 1
        if kind in ("LPAR", "LSQB") and after.kind not in ("RPAR", "RSQB"):
            counts.inside_brackets["( x" if gap_after else "(x"] += 1
        if before is None or header is not None or "\n" in gap_before:
            continue
        binary = kind in _BINARY or (kind in _MAYBE_UNARY and before.kind in _OPERAND_END)
        if binary and kind not in ("DOT", "COLON", "QMARK") or (kind == "DOT" and before.kind in (
                "STRING", "IDENT", "RPAR") and after.kind in ("STRING", "IDENT") and token.text == "."
                and (gap_before or gap_after or before.kind == "STRING" or after.kind == "STRING")):
            if kind == "DOT" and before.kind == "IDENT" and after.kind == "IDENT" and not (gap_before or gap_after):
                continue  # a probe point or a member, not concatenation
            both = bool(gap_before) and bool(gap_after)
            neither = not gap_before and not gap_after
            where = "both" if both else "neither" if neither else "one side"
            counts.binary[where] += 1
            counts.binary_by_op.setdefault(token.text, Counter())[where] += 1

    measure_layout(text, lines, result, line_of, hidden, counts)

    # Statement lines: lines whose last token is not `{`, `}`, an operator or a comma.
    for number, index in last_token.items():
        if number in hidden or number not in first_token:
            continue
        first = tokens[first_token[number]]
        last = tokens[index]
        if first.kind in ("PROBE", "FUNCTION", "GLOBAL", "PRIVATE", "DEFINE", "RBRACE") or \
                first.kind in STATEMENT_KEYWORDS or first.kind.startswith("PP_"):
            continue
        if last.kind in ("LBRACE", "RBRACE", "COMMA", "EMBEDDED") or last.kind in _BINARY or \
                last.kind.startswith("PP_") or last.kind == "LPAR":
            continue
        counts.statement_semicolon["with ;" if last.kind == "SEMI" else "without"] += 1


def measure_layout(text, lines, result, line_of, hidden, counts: Counts) -> None:
    """The points of issue 19: comments, continuation lines, function headers, blocks."""
    tokens = result.tokens
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)

    def column(position: int) -> int:
        number = line_of(position)
        return width(text[starts[number]:position])

    # Trailing comments: a one-line comment after code, last on its line.
    token_lines = {}
    for token in tokens:
        token_lines.setdefault(line_of(token.start), []).append(token)
    trailing = {}
    for comment in result.comments:
        number = line_of(comment.start)
        if "\n" in comment.text or number in hidden:
            continue
        on_line = token_lines.get(number, [])
        if on_line and on_line[0].start < comment.start and on_line[-1].end <= comment.start:
            indent = lines[number][:len(lines[number]) - len(lines[number].lstrip(" \t"))]
            trailing[number] = (column(comment.start), indent)
    for number, (col, indent) in trailing.items():
        if number + 1 in trailing and trailing[number + 1][1] == indent:
            counts.trailing_pairs["aligned" if trailing[number + 1][0] == col else "not aligned"] += 1

    # Brackets, blocks and function headers, token by token.
    brackets = []  # open ( [: (token index, line)
    blocks = []  # open {: (token index, line)
    bodies = Counter()
    header = None
    define_pending = False  # an @define whose body's %( is still to come
    for index, token in enumerate(tokens):
        kind = token.kind
        number = line_of(token.start)
        before = tokens[index - 1] if index else None
        after = tokens[index + 1] if index + 1 < len(tokens) else None
        first_on_line = before is None or line_of(before.end - 1) != number
        if first_on_line and number not in hidden:
            if brackets and brackets[-1][1] < number:
                opener = tokens[brackets[-1][0]]
                under = column(opener.end) == column(token.start)
                counts.continuation["under the bracket" if under else "indented"] += 1
            if before is not None and brackets or (before is not None and kind not in ("RBRACE",)
                                                   and before.kind in ("COMMA", "ANDAND", "OROR", "DOT", "PLUS",
                                                                       "QMARK", "COLON")):
                if before.kind in ("COMMA", "ANDAND", "OROR", "DOT", "PLUS", "MINUS", "QMARK", "COLON"):
                    counts.break_after[before.text] += 1
                elif kind in ("ANDAND", "OROR", "DOT", "PLUS", "MINUS", "QMARK", "COLON"):
                    counts.break_before[token.text] += 1
        if kind == "DEFINE":
            define_pending = True
        elif kind == "PP_OPEN" and define_pending and not brackets:
            define_pending = False
            gap = text[before.end:token.start]
            if "\n" not in gap and number not in hidden:
                counts.define_gap["one blank" if gap == " " else "no blank" if not gap else "several blanks"] += 1
        if kind == "FUNCTION" and (before is None or before.kind != "DOT"):
            header = "function"
        if kind == "PROBE" and (before is None or before.kind != "DOT"):
            header = "probe"
        if kind == "LPAR" and header == "function" and not brackets and before is not None:
            counts.function_paren["f (" if before.end < token.start else "f("] += 1
            if after is not None and after.kind != "RPAR":
                counts.function_inside["( a" if after.start > token.end else "(a"] += 1
        if kind in ("LPAR", "LSQB"):
            brackets.append((index, number))
        elif kind in ("RPAR", "RSQB") and brackets:
            opened, opened_line = brackets.pop()
            if opened_line < number and tokens[opened].kind == "LPAR":
                # The last line of a wrapped argument list: how many arguments it holds.
                depth = 0
                commas = 0
                k = index - 1
                while k > opened and line_of(tokens[k].start) == number:
                    if tokens[k].kind in ("RPAR", "RSQB"):
                        depth += 1
                    elif tokens[k].kind in ("LPAR", "LSQB"):
                        depth -= 1
                    elif tokens[k].kind == "COMMA" and depth == 0:
                        commas += 1
                    k -= 1
                if line_of(tokens[k].start) < number and tokens[k].kind == "COMMA":
                    counts.last_piece["one argument" if commas == 0 else "more"] += 1
        elif kind == "LBRACE":
            if header and before is not None and before.kind not in ("DOT", "COMMA", "PROBE", "LBRACE", "EQ",
                                                                     "PLUS_EQ"):
                bodies["same line" if line_of(before.end) == number else "own line"] += 1
                header = None
            blocks.append((index, number))
        elif kind == "RBRACE" and blocks:
            opened, opened_line = blocks.pop()
            if opened_line < number and number not in hidden:
                counts.block_close["own line" if first_on_line else "after code"] += 1
                follower = tokens[opened + 1] if opened + 1 < len(tokens) else None
                if follower is not None:
                    counts.block_open["code after {" if line_of(follower.start) == opened_line
                                      else "nothing after {"] += 1
    if bodies:
        counts.file_body_brace["mixed" if len(bodies) == 2 else f"all {next(iter(bodies))}"] += 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", default="/usr/share/systemtap/examples", type=Path)
    parser.add_argument("--tapsets", default="/usr/share/systemtap/tapset", type=Path)
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args(argv)
    report = {}
    for name, root, patterns in (("examples", args.examples, ("**/*.stp",)),
                                 ("tapsets", args.tapsets, ("**/*.stp", "**/*.stpm"))):
        paths = sorted({p for pattern in patterns for p in root.glob(pattern)})
        # The syscall number tables are generated (`name["x"]=((500)+(21))+14`, thousands of
        # lines a file): they would outweigh everything written by hand.
        generated = [p for p in paths if p.name.startswith(GENERATED)]
        paths = [p for p in paths if not p.name.startswith(GENERATED)]
        if not paths:
            print(f"no scripts under {root}", file=sys.stderr)
            continue
        counts = Counts()
        for path in paths:
            measure(path, counts)
        report[name] = {**counts.as_dict(), "generated files left out": len(generated)}
    if args.json:
        json.dump(report, sys.stdout, indent=1)
        print()
        return 0
    for name, numbers in report.items():
        print(f"== {name}")
        for key, value in numbers.items():
            if isinstance(value, dict) and key == "binary operators, by operator":
                shown = ", ".join(f"{op} {dict(c)}" for op, c in list(value.items())[:12])
                print(f"  {key}: {shown}")
            else:
                print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
