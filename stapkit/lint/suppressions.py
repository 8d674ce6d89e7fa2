"""Suppression comments: `stapkit: disable=CODE[,CODE...]` and `stapkit: disable-file=CODE[,...]`.

In any comment form (`#`, `//`, `/* */`):

    x = 1  # stapkit: disable=STP501          this line
    // stapkit: disable=STP501,STP502         the next line with code on it
    # stapkit: disable-file=STP510            the whole file

A code may be a prefix (`STP5`) or `ALL`.  A suppression that silences nothing
is itself reported as STP500 (unused-suppression), so stale ones do not pile up
(only when STP500 is enabled, and only for codes that were checked: a
suppression of a code the selection turned off is not "unused").  Errors that
make stap reject the script cannot be suppressed: the script would not run.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..diagnostics import Diagnostic, LineIndex, Severity, Span

UNUSED_SUPPRESSION = "STP500"

_DIRECTIVE = re.compile(
    r"stapkit:\s*(?P<kind>disable-file|disable)\s*=\s*(?P<codes>[A-Za-z0-9_]+(?:\s*,\s*[A-Za-z0-9_]+)*)")


class Suppression(NamedTuple):
    codes: tuple[str, ...]
    line: int | None  # the 1-based line it covers; None: the whole file
    span: Span  # the directive in the comment, for STP500


def find_suppressions(text: str, comments) -> list[Suppression]:
    """The suppressions of a file's comments (ParseResult.comments)."""
    found: list[Suppression] = []
    index: LineIndex | None = None
    for comment in comments:
        if "stapkit:" not in comment.text:
            continue
        for match in _DIRECTIVE.finditer(comment.text):
            if index is None:
                index = LineIndex(text)
            codes = tuple(c.strip().upper() for c in match.group("codes").split(","))
            span = Span(comment.start + match.start(), comment.start + match.end())
            if match.group("kind") == "disable-file":
                found.append(Suppression(codes, None, span))
                continue
            line, _ = index.line_col(comment.start)
            before = index.text[index.line_starts[line - 1]:comment.start]
            if before.strip():
                found.append(Suppression(codes, line, span))  # trailing: its own line
            else:
                found.append(Suppression(codes, _next_code_line(index, comment, comments), span))
    return found


def _next_code_line(index: LineIndex, comment, comments) -> int:
    """The line of the first code after a comment that stands on its own line(s)."""
    end_line, _ = index.line_col(comment.end)
    comment_lines = set()
    for other in comments:
        if other.start >= comment.end:
            first, _ = index.line_col(other.start)
            last, _ = index.line_col(other.end)
            line_start = index.line_starts[first - 1]
            if not index.text[line_start:other.start].strip():
                comment_lines.update(range(first, last + 1))
    line = end_line + 1
    while line <= index.line_count:
        content = index.line_text(line).strip()
        if content and line not in comment_lines:
            return line
        line += 1
    return end_line + 1


def _covers(code: str, selector: str) -> bool:
    return selector == "ALL" or code.startswith(selector)


def apply_suppressions(diagnostics: list[Diagnostic], parse_result, selection) -> list[Diagnostic]:
    """The diagnostics that no suppression silences, plus STP500 for unused suppressions."""
    suppressions = find_suppressions(parse_result.text, parse_result.comments)
    if not suppressions:
        return diagnostics
    from .registry import all_rules
    from .selection import never_silenced

    rules = all_rules()
    index = LineIndex(parse_result.text)
    used: set[tuple[int, str]] = set()  # (suppression number, selector)
    kept = []
    for d in diagnostics:
        entry = rules.get(d.code)
        if entry is not None and never_silenced(d.code, entry.stage, d.severity.value):
            kept.append(d)  # stap would reject the script: not suppressible
            continue
        line = None
        silenced = False
        for number, s in enumerate(suppressions):
            if s.line is not None:
                if line is None:
                    line = index.line_col(d.span.start)[0]
                if s.line != line:
                    continue
            for selector in s.codes:
                if _covers(d.code, selector):
                    used.add((number, selector))
                    silenced = True
        if not silenced:
            kept.append(d)
    if selection.enabled(UNUSED_SUPPRESSION):
        for number, s in enumerate(suppressions):
            for selector in s.codes:
                if (number, selector) in used:
                    continue
                if not _is_code_selector(selector, rules):
                    kept.append(Diagnostic(UNUSED_SUPPRESSION, f"'{selector}' is not a rule code or prefix",
                                           s.span, Severity.WARNING))
                elif any(selection.enabled(code)
                         for code in rules if _covers(code, selector)):
                    kept.append(Diagnostic(UNUSED_SUPPRESSION,
                                           f"suppression of {selector} silences nothing here",
                                           s.span, Severity.WARNING))
    return kept


def _is_code_selector(selector: str, rules) -> bool:
    return selector == "ALL" or any(code.startswith(selector) for code in rules)
