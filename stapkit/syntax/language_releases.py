"""The SystemTap release that first parsed each piece of the script language.

`--compatible=V` (the parser's version gates, the target's systemtap_v) is not
the release: stap 4.8 run with `--compatible=1.0` still parses `try`, but stap
1.0 cannot.  This module knows, for the syntax a script can use, the first
release whose stap reads it, and reports each use that the target release
(`--systemtap-version`, or each release of a range) does not have.

The table is SystemTap's history, checked against its git tags by
tools/language_releases.py (each feature present at its first release and
absent at the release before).  A feature older than 1.0, the oldest release
stapkit knows, is not listed.

Only the file's own text is read, and only what the target reads: tokens in a
`%( %)` branch the target does not take are skipped, as stap skips them.
"""

from __future__ import annotations

from typing import Iterable, NamedTuple, Sequence

from ..diagnostics import Diagnostic, Severity, Span
from . import ast, codes
from .preprocessor import expanded_from
from .target import version_text
from .tokens import Token


class Feature(NamedTuple):
    key: str  # a stable name (the tool's table uses it)
    since: tuple[int, ...]  # the first SystemTap release that parses it
    label: str  # how a message names it


FEATURES: tuple[Feature, ...] = (
    Feature("try-catch", (1, 2), "`try`/`catch`"),
    Feature("@defined", (1, 2), "`@defined`"),
    Feature("string-gluing", (1, 2), "gluing adjacent string literals (`\"a\" \"b\"`)"),
    Feature("@entry", (1, 3), "`@entry`"),
    Feature("pretty-print", (1, 3), "the pretty-printing suffix `$` (`$var$`)"),
    Feature("foreach-value", (1, 3), "the value in `foreach` (`foreach (v = [k] in a)`)"),
    Feature("embedded-expression", (1, 3), "embedded C as an expression"),
    Feature("systemtap_v", (1, 3), "the `systemtap_v` preprocessor condition"),
    Feature("array-wrap", (1, 7), "a wrapping array (`global a%`)"),
    Feature("@var", (1, 8), "`@var`"),
    Feature("@define", (2, 0), "`@define`"),
    Feature("systemtap_privilege", (2, 0), "the `systemtap_privilege` preprocessor condition"),
    Feature("@perf", (2, 1), "`@perf`"),
    Feature("regex-match", (2, 1), "regular-expression matching (`=~`, `!~`)"),
    Feature("foreach-aggregate", (2, 1), "sorting `foreach` by a statistic (`@count +`)"),
    Feature("runtime", (2, 3), "the `runtime` preprocessor condition"),
    Feature("guru_mode", (2, 5), "the `guru_mode` preprocessor condition"),
    Feature("array-slice", (2, 6), "an array slice with `*` (`a[*, 2]`)"),
    Feature("private", (3, 0), "`private`"),
    Feature("function-overload", (3, 0), "function overloading (a second function of the same name)"),
    Feature("next-in-function", (3, 0), "`next` in a function"),
    Feature("probe-point-braces", (3, 0), "a brace group in a probe point (`a.{b,c}`)"),
    Feature("@const", (3, 1), "`@const`"),
    Feature("@variance", (3, 1), "`@variance`"),
    Feature("bare-return", (4, 0), "`return` with no value"),
    Feature("@kregister", (4, 0), "`@kregister`/`@uregister`"),
    Feature("@kderef", (4, 0), "`@kderef`/`@uderef`"),
    Feature("@probewrite", (4, 4), "`@probewrite`"),
    Feature("@enum", (5, 5), "`@enum`"),
    Feature("@enumname", (5, 6), "`@enumname`"),
)
BY_KEY = {feature.key: feature for feature in FEATURES}

# @-words and keywords found as tokens, by their text.
_WORD_FEATURES = {
    "try": "try-catch", "@defined": "@defined", "@entry": "@entry", "@var": "@var",
    "@define": "@define", "@perf": "@perf", "@const": "@const", "@variance": "@variance",
    "@kregister": "@kregister", "@uregister": "@kregister", "@kderef": "@kderef",
    "@uderef": "@kderef", "@probewrite": "@probewrite", "@enum": "@enum", "@enumname": "@enumname",
}
_CONDITION_FEATURES = {"systemtap_v": "systemtap_v", "systemtap_privilege": "systemtap_privilege",
                       "runtime": "runtime", "guru_mode": "guru_mode"}


_PREPROCESSOR_KEYS = frozenset(_CONDITION_FEATURES.values()) | {"@define"}
_WORD_KEYS = frozenset(_WORD_FEATURES.values()) - {"@define"}
_TREE_KEYS = frozenset({"foreach-value", "foreach-aggregate", "array-slice", "embedded-expression", "array-wrap",
                        "probe-point-braces", "next-in-function", "bare-return", "function-overload"})


def release_findings(lexed: Sequence[Token], parsed: Sequence[Token], items: Iterable[ast.Node],
                     release: tuple[int, ...], skipped: Sequence[tuple[int, int]] = ()) -> list[Diagnostic]:
    """A finding for each use of syntax newer than `release`.

    `lexed` are the file's tokens as lexed (for what the preprocessor reads:
    `@define`, the words of `%( %)` conditions), `skipped` the (start, end)
    offsets of the conditional branches the target does not take; `parsed`
    the tokens the parser reads (macros expanded, the taken branches only:
    a token from a macro body stands at the macro's invocation), `items` the
    declarations parsed from them.
    """
    newer = {f.key for f in FEATURES if f.since > release}
    if not newer:
        return []
    # Each pass only when the release lacks something it finds (a recent release lacks only a
    # few @-words: one pass over the tokens, no walk of the tree).
    found: list[tuple[str, Span]] = []
    if newer & _PREPROCESSOR_KEYS:
        found += _preprocessor_features(lexed, skipped)
    if newer - _WORD_KEYS - _PREPROCESSOR_KEYS - _TREE_KEYS:
        found += _token_features(parsed)
    elif newer & _WORD_KEYS:
        words = {word for word, key in _WORD_FEATURES.items() if key in newer}
        found += [(_WORD_FEATURES[t[1]], Span(t[2], t[3])) for t in parsed
                  if t[1] in words and t[0] != "IDENT" and not _from_library(t)]
    if newer & _TREE_KEYS:
        found += _tree_features(items)
    out = []
    seen: set[tuple[str, int]] = set()
    for key, span in found:
        feature = BY_KEY[key]
        if release >= feature.since or (key, span.start) in seen:
            continue
        seen.add((key, span.start))
        out.append(Diagnostic(
            codes.NEWER_THAN_RELEASE,
            f"{feature.label} needs a newer SystemTap (added in SystemTap {version_text(feature.since)}; "
            f"you target {version_text(release)})",
            span, Severity.ERROR,
            hints=_hints(feature, release)))
    return out


def _hints(feature: Feature, release: tuple[int, ...]) -> tuple[str, ...]:
    since = version_text(feature.since)
    hints = [f"SystemTap {version_text(release)}'s parser does not know it; check the script for "
             f"{since} or later (--systemtap-version {since}..) if it is meant for those"]
    if feature.since > BY_KEY["systemtap_v"].since:  # a guard older releases can read
        hints.append(f"or keep the older releases with a guard: %( systemtap_v >= \"{since}\" %? ... %)")
    return tuple(hints)


def _preprocessor_features(tokens: Sequence[Token], skipped: Sequence[tuple[int, int]]):
    ranges = sorted(skipped)
    r = 0
    in_condition = False
    for tok in tokens:
        kind, text, start = tok[0], tok[1], tok[2]
        while r < len(ranges) and ranges[r][1] <= start:
            r += 1
        if r < len(ranges) and ranges[r][0] <= start:
            continue  # in a branch the target does not take
        if kind == "PP_OPEN":
            in_condition = True
        elif kind == "PP_THEN":
            in_condition = False
        elif in_condition and kind == "IDENT" and text in _CONDITION_FEATURES:
            yield _CONDITION_FEATURES[text], Span(start, tok[3])
        elif kind == "DEFINE":
            yield "@define", Span(start, tok[3])


def _from_library(token: Token) -> bool:
    """A token of a library macro's body: the release's own library, not the script's syntax."""
    expansion = expanded_from(token) if token[5] is not None else None
    return expansion is not None and expansion[0].macro.library


def _token_features(tokens: Sequence[Token]):
    previous: Token | None = None
    for i, tok in enumerate(tokens):
        kind, text, start = tok[0], tok[1], tok[2]
        if _from_library(tok):
            previous = None
            continue
        span = Span(start, tok[3])
        if text in _WORD_FEATURES and kind != "IDENT":
            yield _WORD_FEATURES[text], span
        elif text == "private" and i + 1 < len(tokens) and tokens[i + 1][0] in ("GLOBAL", "FUNCTION"):
            yield "private", span
        elif kind == "MATCH_OP":
            yield "regex-match", span
        elif kind == "STRING" and previous is not None and previous[0] == "STRING":
            yield "string-gluing", Span(previous[2], tok[3])
        elif kind in ("TARGET", "IDENT") and len(text) > 1 and text.endswith("$") and text[1] != "$" and (
                kind == "TARGET" or (previous is not None and previous[0] == "ARROW")):
            yield "pretty-print", span  # `$var$`, `$p->member$` (not `$$vars$`, older)
        previous = tok


def _tree_features(items: Iterable[ast.Node]):
    functions: set[str] = set()
    for item in items:
        in_function = isinstance(item, ast.FunctionDecl)
        if in_function:
            if item.name in functions:
                yield "function-overload", item.name_span
            functions.add(item.name)
        for node in ast.walk(item):
            if isinstance(node, ast.ForeachStmt):
                if node.value is not None:
                    yield "foreach-value", node.value.span
                if node.aggregate is not None:
                    yield "foreach-aggregate", node.span
                for key in node.slices or ():
                    if isinstance(key, ast.Wildcard):
                        yield "array-slice", key.span
            elif isinstance(node, (ast.ArrayIndex, ast.InExpr)):
                keys = node.indexes if isinstance(node, ast.ArrayIndex) else node.keys
                for key in keys:
                    if isinstance(key, ast.Wildcard):
                        yield "array-slice", key.span
            elif isinstance(node, ast.EmbeddedExpr):
                yield "embedded-expression", node.span
            elif isinstance(node, ast.GlobalVar) and node.wrap:
                yield "array-wrap", node.name_span
            elif isinstance(node, ast.BraceGroup):
                yield "probe-point-braces", node.span
            elif in_function and isinstance(node, ast.NextStmt):
                yield "next-in-function", node.span
            elif in_function and isinstance(node, ast.ReturnStmt) and node.value is None:
                yield "bare-return", node.span
