"""The syntax-only recogniser (grammar.Recognizer, parser._grammar_accepts) and what it relies on."""

from __future__ import annotations

import pytest

from stapkit.syntax.feeder import split_declarations
from stapkit.syntax.grammar import Recognizer, Reduction, tables
from stapkit.syntax.lexer import lex
from stapkit.syntax.parser import _grammar_accepts


def test_the_grammar_has_no_empty_rule_so_the_recogniser_is_made():
    recognizer = tables().recognizer
    assert recognizer.reductions and all(size >= 2 for size, _ in recognizer.reductions)


def test_a_grammar_with_an_empty_rule_is_refused():
    # state 0: reduce `e ->` (nothing) on x; the recogniser's stack bound would not hold.
    action = {0: {"X": Reduction(0, "e", None)}, 1: {}}
    goto = {0: {"e": 1}}
    with pytest.raises(ValueError, match="empty rule"):
        Recognizer(action, goto)


@pytest.mark.parametrize("source, accepted", [
    ("probe begin { x = 1 + 2 * f(3) }", True),
    ("function f(a) { return a }", True),
    ("global a[10], b", True),
    ("probe begin { x = 1 + }", False),
    ("function f() { return ) }", False),
])
def test_the_recogniser_accepts_what_the_grammar_accepts(source, accepted):
    [declaration] = split_declarations(lex(source).tokens)  # as the parser is fed (probe points glued)
    assert _grammar_accepts(tables(), declaration) is accepted
