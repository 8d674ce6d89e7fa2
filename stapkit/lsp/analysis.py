"""One version of a document, checked: the lint result and what the features read of it.

`analyze` runs `stapkit lint`'s pipeline on the text (parse, stap's pass 2,
the lint rules, suppressions); the diagnostics are published from it, and the
other features read its tree, its checked unit and, computed on first use,
the symbols (semantic/bindings.py), the inferred types and the tokens.  The
text is lexed once, for the parse and for the tokens; the parse takes back
the trees of the declarations the document's last check parsed and the edit
did not touch (syntax/reuse.py).

The parts computed on first use are computed by `prepare`, on the server's
check thread right after the diagnostics are published, so that a feature
(on the reader thread) finds them made and answers at once.  See server.py.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING

import attrs

from ..diagnostics import Span
from ..syntax import ast
from .documents import PositionMap

if TYPE_CHECKING:
    from ..lint.runner import LintResult
    from ..semantic.bindings import Bindings as Symbols
    from ..semantic.type_check import TypeTable
    from ..semantic.unit import CheckUnit
    from ..syntax.parser import ParseResult
    from ..syntax.tokens import Token
    from .settings import DocumentOptions


@attrs.define(eq=False)
class Analysis:
    uri: str
    path: str  # the file's path (or the URI of an unsaved document), as messages show it
    version: int
    text: str
    options: "DocumentOptions"
    lint: "LintResult"
    positions: PositionMap
    lsp_diagnostics: list = attrs.field(factory=list)  # the diagnostics as published (made on the check thread)
    _unit: "CheckUnit | None" = None
    _unit_done: bool = False
    _symbols: "Symbols | None" = None
    _symbols_done: bool = False
    _types: TypeTable | None = None
    _types_done: bool = False
    _tokens: "list[Token] | None" = None
    _token_starts: list[int] | None = None
    _starts: list[int] | None = None

    def prepare(self, stop=lambda: False) -> bool:
        """Compute now what the features read, so that they only read it (see the module's docstring).

        `stop()` is asked between the steps: an analysis nobody will read (a newer version came)
        is left unprepared.  True if it was prepared.
        """
        for step in (self.unit, self.symbols, self.types, self.tokens, lambda: self.item_at(0)):
            if stop():
                return False
            step()
        return True

    @property
    def parse(self) -> "ParseResult":
        return self.lint.checked.parse

    @property
    def script(self) -> ast.Script | None:
        return self.parse.script

    @property
    def diagnostics(self):
        return self.lint.diagnostics

    @property
    def db(self):
        check = self.options.lint.check
        return check.session.db(check.db_path, check.parse.target.systemtap_v)

    def view(self):
        unit = self.unit()
        if unit is not None:
            return unit.view
        from ..tapsets.for_target import TargetView

        return TargetView(self.parse.target)

    def unit(self) -> "CheckUnit | None":
        """The checked unit; for a file with syntax errors, one made of what did parse.

        The checker stops at syntax errors (the tree is incomplete), but hover,
        navigation and completion still want the parts that parsed: those get
        the probe-point check (which says what each probe's aliases provide)
        and nothing else.
        """
        if not self._unit_done:
            self._unit_done = True
            self._unit = self.lint.checked.unit
            if self._unit is None and self.script is not None and self.parse.text is not None:
                self._unit = _partial_unit(self)
        return self._unit

    def symbols(self) -> "Symbols | None":
        if not self._symbols_done:
            self._symbols_done = True
            unit = self.unit()
            if unit is not None:
                from ..semantic.bindings import Bindings as Symbols

                self._symbols = Symbols.of(unit)
        return self._symbols

    def types(self) -> TypeTable | None:
        if not self._types_done:
            self._types_done = True
            unit = self.unit()
            if unit is not None:
                self._types = infer_types(unit)
        return self._types

    def tokens(self) -> "list[Token]":
        """The file's tokens as written (macros not expanded, every branch of every conditional)."""
        if self._tokens is None:
            from ..syntax.lexer import lex

            self._tokens = lex(self.text, version=self.parse.target.language_version).tokens
        if self._token_starts is None:
            self._token_starts = [t.start for t in self._tokens]
        return self._tokens

    def item_at(self, offset: int):
        """The top-level declaration whose span holds the offset (its end included), or None."""
        script = self.script
        if script is None or not script.items:
            return None
        if self._starts is None:
            self._starts = [item.span.start for item in script.items]
        i = bisect.bisect_right(self._starts, offset) - 1
        if i >= 0:
            item = script.items[i]
            if item.span.start <= offset <= item.span.end:
                return item
        return None

    def tokens_at(self, offset: int) -> list:
        """The token that holds the offset, then the one that ends at it (a cursor right after a word)."""
        tokens = self.tokens()
        i = bisect.bisect_right(self._token_starts, offset) - 1
        found = []
        if i >= 0 and tokens[i].start <= offset < tokens[i].end:
            found.append(tokens[i])
            i -= 1
        if i >= 0 and tokens[i].end == offset:
            found.append(tokens[i])
        return found

    def token_index(self, tok) -> int:
        self.tokens()
        i = bisect.bisect_left(self._token_starts, tok.start)
        return i if i < len(self._tokens) and self._tokens[i].start == tok.start else -1


def analyze(uri: str, path: str, version: int, text: str, options: "DocumentOptions",
            encoding: str, reuse=None) -> Analysis:
    """Lint one version of a document.

    `reuse` (the document's syntax.reuse.DeclarationReuse) gives back the trees of the
    declarations the last check parsed and this text did not change.
    """
    from ..lint.runner import lint_text
    from ..syntax.lexer import keywords_for, lex

    # Lexed once: for the parse, and as the tokens the features read (`tokens`).
    lexed_for = options.lint.check.parse.target.language_version
    lexed = lex(text, version=lexed_for)
    result = lint_text(text, path, options.lint, reuse=reuse, lexed=(lexed_for, lexed))
    analysis = Analysis(uri, path, version, text, options, result, PositionMap(text, encoding))
    if keywords_for(lexed_for) is keywords_for(result.checked.parse.target.language_version):
        analysis._tokens = lexed.tokens  # (the version only picks the keywords)
    return analysis


def _partial_unit(analysis: Analysis) -> "CheckUnit | None":
    from ..semantic import probe_points
    from ..semantic.unit import CheckUnit
    from ..tapsets.for_target import TargetView

    parse = analysis.parse
    options = analysis.options.lint.check
    from ..semantic import kernel_targets
    from ..semantic.checker import kernel_of

    unit = CheckUnit(analysis.path, parse, analysis.db, TargetView(parse.target), guru=parse.guru,
                     privilege=parse.target.privilege,
                     tapset=options.parse.tapset or bool(options.parse.macro_file))
    try:
        unit.kernel = kernel_of(options)  # read (and checked) already by the settings
        unit.sysroot = options.sysroot
        probe_points.check(unit, options.session)
        kernel_targets.check(unit)  # the kernel functions each probe reaches, and the types
    except Exception:  # an incomplete tree: the checks are written for complete ones
        import logging

        logging.getLogger(__name__).exception("probe points of a partial tree")
        unit.probes.clear()
        unit.kernel_contexts.clear()
    unit.diagnostics.clear()
    return unit


def infer_types(unit: "CheckUnit") -> TypeTable | None:
    """The types stap's inference gives the script's variables and functions (type_check.types)."""
    from ..semantic.type_check import types

    try:
        return types(unit)
    except Exception:  # a partial tree (syntax errors) may hold what the checks never see
        import logging

        logging.getLogger(__name__).exception("type inference for hover")
        return None


def exact(text: str, span: Span, name: str) -> bool:
    """Is the span exactly the name as written?  (Spans of macro expansions are the invocation's.)"""
    return text[span.start:span.end] == name
