"""`$N`/`@N` placeholders in branches chosen by the argument count: `%( $# < 2 %? ... @1 ... %)`.

Without the script's arguments (no --arg, no --no-args) `$1` and `@1` stay
placeholders and are not judged: a script is run with the arguments it needs.
A branch whose conditions test `$#` or `@#` says which argument counts run
it, though, and an argument reference inside it that some of those counts do
not provide is what stap stops at (`command line argument out of range`):
`%( $# < 2 %? probe begin { print(@1) } %)` fails with no arguments.  Each
such reference is reported with the counts that take its branch: an error
when none of them provides the argument, a warning when some do.
"""

from __future__ import annotations

from ..diagnostics import Diagnostic, Severity, Span
from . import codes
from .conditions import Condition, ConditionError, evaluate
from .preprocessor import Conditional
from .target import Target
from .tokens import Token

# Argument counts tried: up to a little past the largest number the conditions or the
# reference name (a reference beyond this is not judged).
MAX_COUNT = 256


def argument_count_findings(tokens: list[Token], conditionals: list[Conditional], target: Target) -> list[Diagnostic]:
    """A finding for each placeholder that some argument count taking its branch does not provide."""
    counted = [c for c in conditionals if c.condition is not None and _tests_count(c.condition)]
    if not counted:
        return []
    by_open = {c.open.start: c for c in conditionals}
    found = []
    for tok in tokens:
        if tok.kind not in ("ARG_NUM", "ARG_STR") or not tok.text[1:].isdigit():
            continue
        number = int(tok.text[1:])
        if not 1 <= number <= MAX_COUNT:
            continue
        chain = _enclosing(tok.start, conditionals, by_open)
        if not any(_tests_count(cond) for cond, _ in chain):
            continue
        limit = min(MAX_COUNT, max([number] + [_largest_constant(cond) for cond, _ in chain]) + 2)
        taking = [n for n in range(limit + 1) if _takes(chain, target, n)]
        short = [n for n in taking if n < number]
        if not short:
            continue
        enough = len(short) < len(taking)
        found.append(Diagnostic(
            codes.ARGUMENT_OUT_OF_RANGE,
            f"{tok.text} is out of range when this branch is taken with {_counts(short)} "
            f"argument{'s' if short != [1] else ''}: stap stops at it",
            Span(tok.start, tok.end), Severity.WARNING if enough else Severity.ERROR,
            hints=(f"the branch is taken with {_counts(taking, more=taking[-1] == limit)} argument(s) "
                   f"({_condition_texts(chain)}); {tok.text} needs at least {number}",
                   "stap: command line argument out of range"),
        ))
    return found


def _enclosing(offset: int, conditionals: list[Conditional], by_open) -> list[tuple[Condition, bool]]:
    """The (condition, branch) of each conditional around `offset`, innermost first; empty when
    the offset is in none (or its conditional could not be read)."""
    innermost = None
    for cond in conditionals:
        if cond.open.start < offset < cond.end and (innermost is None or cond.open.start > innermost.open.start):
            innermost = cond
    chain = []
    current, which = innermost, None
    for _ in range(len(conditionals) + 1):  # parent links: bounded by the number of conditionals
        if current is None or current.condition is None:
            break
        if which is None:
            which = current.else_branch is None or offset < current.else_branch.span.start
        chain.append((current.condition, which))
        if current.parent is None:
            break
        parent_open, which = current.parent
        current = by_open.get(parent_open)
    return chain


def _takes(chain, target: Target, count: int) -> bool:
    try:
        return all(evaluate(cond, target, count) == which for cond, which in chain)
    except ConditionError:
        return False


def _tests_count(condition: Condition) -> bool:
    return any(tok.kind in ("ARG_NUM", "ARG_STR") and tok.text[1:] == "#"
               for group in condition for term in group for tok in (term.left, term.right))


def _largest_constant(condition: Condition) -> int:
    numbers = [0]
    for group in condition:
        for term in group:
            for tok in (term.left, term.right):
                text = tok.text.strip('"')
                if tok.kind in ("NUMBER", "STRING") and text.isdigit():
                    numbers.append(int(text))
    return min(max(numbers), MAX_COUNT)


def _counts(counts: list[int], more: bool = False) -> str:
    """0; 0 or 1; 0 to 3; 0, 2 or 5 (and "or more" when the last one stands for all above)."""
    if more:
        return f"{counts[0]} or more" if counts == list(range(counts[0], counts[-1] + 1)) \
            else ", ".join(map(str, counts[:-1])) + f", {counts[-1]} or more"
    if len(counts) == 1:
        return str(counts[0])
    if len(counts) > 2 and counts == list(range(counts[0], counts[-1] + 1)):
        return f"{counts[0]} to {counts[-1]}"
    return ", ".join(map(str, counts[:-1])) + f" or {counts[-1]}"


def _condition_texts(chain) -> str:
    parts = []
    for cond, which in reversed(chain):
        text = " || ".join(" && ".join(f"{t.left.text} {t.op.text} {t.right.text}" for t in group) for group in cond)
        parts.append(text if which else f"!({text})")
    return " and ".join(parts)
