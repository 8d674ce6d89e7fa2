"""Evaluation of preprocessor conditions: the COND of `%( COND %? ... %)`.

A condition is terms joined by `&&` and `||` (`&&` binds tighter, there are
no parentheses), and a term is exactly three tokens: `LEFT OP RIGHT`.  What a
term means depends on its left side (stap's `eval_pp_conditional`):

    kernel_v, kernel_vr, systemtap_v   version compare (strverscmp), or a glob with == / !=
    arch, runtime                      glob, == and != only
    systemtap_privilege                exact string, == and != only
    guru_mode                          0 or 1, == and != only
    CONFIG_xxx                         glob against a string, number compare, or another CONFIG_
    "string" / number                  plain comparison with a literal of the same kind
"""

from __future__ import annotations

from typing import NamedTuple

from .literals import string_value
from .target import Target
from .tokens import Token


class ConditionError(Exception):
    def __init__(self, message: str, token: Token):
        super().__init__(message)
        self.message = message
        self.token = token


class Term(NamedTuple):
    left: Token
    op: Token
    right: Token


# A condition in disjunctive form: any group true, where a group is all terms true.
Condition = tuple[tuple[Term, ...], ...]

VERSION_VARIABLES = ("kernel_v", "kernel_vr", "systemtap_v")

_ORDER_OPS = ("<", "<=", ">", ">=")


def evaluate(condition: Condition, target: Target, argc: int) -> bool:
    """True if the condition holds for the target.  Raises ConditionError.

    As stap does, every term is evaluated (so every term is checked), left to right.
    """
    result = False
    for group in condition:
        group_value = True
        for term in group:
            group_value &= evaluate_term(term, target, argc)
        result |= group_value
    return result


def evaluate_term(term: Term, target: Target, argc: int) -> bool:
    left, op, right = term
    if op.kind not in ("CMP_OP", "EQ"):
        raise ConditionError("expected comparison operator", op)
    operator = op.text
    if operator == "=":
        raise ConditionError("expected comparison operator", op)
    lkind = left.kind

    if lkind == "IDENT" and left.text in VERSION_VARIABLES:
        query = _string_operand(right)
        value = getattr(target, left.text)
        if any(c in query for c in "*?["):
            if operator not in ("==", "!="):
                raise ConditionError("wildcard not allowed with order comparison operators", op)
            return _glob(query, value) == (operator == "==")
        return _compare(strverscmp(value, query), 0, operator)

    if lkind == "IDENT" and left.text == "systemtap_privilege":
        query = _string_operand(right)
        return _equality(target.privilege == query, operator, op)

    if lkind == "IDENT" and left.text == "guru_mode":
        if right.kind != "NUMBER":
            raise ConditionError("expected number", right)
        number = _int(right.text)
        if number not in (0, 1):
            raise ConditionError("expected 0 or 1", op)
        if operator not in ("==", "!="):
            raise ConditionError("expected '==' or '!='", op)
        return _compare(int(target.guru_mode), number, operator)

    if lkind == "IDENT" and left.text in ("arch", "runtime"):
        query = _string_operand(right)
        return _equality(_glob(query, getattr(target, left.text)), operator, op)

    if lkind == "IDENT" and left.text.startswith("CONFIG_"):
        value = target.config(left.text)
        if right.kind == "STRING":
            return _equality(_glob(string_value(right.text), value), operator, op)
        if right.kind == "NUMBER":
            number = _c_integer(value)
            if number is None:
                raise ConditionError("Config option value not a number", left)
            return _compare(number, _int(right.text), operator)
        if right.kind == "IDENT" and right.text.startswith("CONFIG_"):
            other = target.config(right.text)
            a, b = _c_integer(value), _c_integer(other)
            if a is not None and b is not None:
                return _compare(a, b, operator)
            return _compare(value, other, operator)
        raise ConditionError(
            "expected string, number literal or other CONFIG_... as right side operand", right
        )

    left_value = _literal(left, argc)
    right_value = _literal(right, argc)
    if isinstance(left_value, str) and isinstance(right_value, str):
        return _compare(left_value, right_value, operator)
    if isinstance(left_value, int) and isinstance(right_value, int):
        return _compare(left_value, right_value, operator)
    if isinstance(left_value, str) and isinstance(right_value, int):
        raise ConditionError("expected string literal as right value", right)
    if isinstance(left_value, int) and isinstance(right_value, str):
        raise ConditionError("expected number literal as right value", right)
    raise ConditionError(
        "expected 'arch', 'kernel_v', 'kernel_vr', 'systemtap_v', 'runtime', "
        "'systemtap_privilege', 'CONFIG_...', or a comparison between strings or integers",
        left,
    )


def _literal(token: Token, argc: int) -> str | int | None:
    """A literal operand; `$#`/`@#` placeholders are the argument count."""
    if token.kind == "STRING":
        return string_value(token.text)
    if token.kind == "NUMBER":
        return _int(token.text)
    if token.kind == "ARG_NUM":
        return argc if token.text == "$#" else 0
    if token.kind == "ARG_STR":
        return str(argc) if token.text == "@#" else ""
    return None


def _string_operand(token: Token) -> str:
    if token.kind == "STRING":
        return string_value(token.text)
    if token.kind == "ARG_STR":
        return ""
    raise ConditionError("expected string literal", token)


def _equality(matched: bool, operator: str, op: Token) -> bool:
    if operator == "==":
        return matched
    if operator == "!=":
        return not matched
    raise ConditionError("expected '==' or '!='", op)


def _compare(a, b, operator: str) -> bool:
    if operator == "==":
        return a == b
    if operator == "!=":
        return a != b
    if operator == "<":
        return a < b
    if operator == "<=":
        return a <= b
    if operator == ">":
        return a > b
    return a >= b


def _glob(pattern: str, value: str) -> bool:
    # fnmatch(3) with FNM_NOESCAPE: '*' also matches '/', '\\' is an ordinary character.
    import fnmatch

    return fnmatch.fnmatchcase(value, pattern)


def _int(text: str) -> int:
    # stap reads these with lex_cast<int64_t>: decimal digits.
    digits = text.lstrip("-")
    return int(text) if digits.isdigit() else 0


def _c_integer(text: str) -> int | None:
    """strtoll(text, &end, 0) with nothing left at `end`, or None.

    Like stap, this takes an empty string (an unset option) as 0.
    """
    s = text.lstrip()
    if not s:
        return 0
    sign = 1
    if s[0] in "+-":
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    try:
        if s.lower().startswith("0x"):
            return sign * int(s[2:], 16)
        if len(s) > 1 and s.startswith("0"):
            return sign * int(s, 8)
        return sign * int(s, 10)
    except ValueError:
        return None


def strverscmp(a: str, b: str) -> int:
    """glibc's strverscmp(3): compare version strings; returns <0, 0 or >0.

    Runs of digits compare as numbers ("2.6.9" < "2.6.10"); a run with leading
    zeros is a fraction ("1.01" < "1.1").  This is the same state machine as
    glibc's, so kernel_v comparisons agree with stap's.
    """
    if a == b:
        return 0
    s1 = a.encode("utf-8", "surrogateescape") + b"\0"
    s2 = b.encode("utf-8", "surrogateescape") + b"\0"
    i = 0
    c1, c2 = s1[0], s2[0]
    state = _VERS_NORMAL + _char_class(c1)
    while c1 == c2:
        if c1 == 0:
            return 0
        state = _VERS_NEXT_STATE[state]
        i += 1
        c1, c2 = s1[i], s2[i]
        state += _char_class(c1)
    result = _VERS_RESULT[state * 3 + _char_class(c2)]
    diff = c1 - c2
    if result == _VERS_CMP:
        return diff
    if result != _VERS_LEN:
        return result
    # Both in a number of the same kind: the longer run of digits is bigger.
    j = i + 1
    while _is_digit(s1[j]):
        if not _is_digit(s2[j]):
            return 1
        j += 1
    return -1 if _is_digit(s2[j]) else diff


# strverscmp states (each a multiple of 3, plus the class of the current character)
_VERS_NORMAL, _VERS_INTEGRAL, _VERS_FRACTION, _VERS_ZEROS = 0, 3, 6, 9
# character classes: 0 other, 1 digit 1-9, 2 the digit 0
_VERS_NEXT_STATE = (
    _VERS_NORMAL, _VERS_INTEGRAL, _VERS_ZEROS,       # from normal
    _VERS_NORMAL, _VERS_INTEGRAL, _VERS_INTEGRAL,    # from integral part
    _VERS_NORMAL, _VERS_FRACTION, _VERS_FRACTION,    # from fractional part
    _VERS_NORMAL, _VERS_FRACTION, _VERS_ZEROS,       # from leading zeros
)
_VERS_CMP, _VERS_LEN = 2, 3
# indexed by (state + class of c1) * 3 + class of c2
_VERS_RESULT = (
    # other/other other/digit other/0  digit/other digit/digit digit/0  0/other 0/digit 0/0
    _VERS_CMP, _VERS_CMP, _VERS_CMP, _VERS_CMP, _VERS_LEN, _VERS_CMP, _VERS_CMP, _VERS_CMP, _VERS_CMP,
    _VERS_CMP, -1, -1, +1, _VERS_LEN, _VERS_LEN, +1, _VERS_LEN, _VERS_LEN,
    _VERS_CMP, _VERS_CMP, _VERS_CMP, _VERS_CMP, _VERS_CMP, _VERS_CMP, _VERS_CMP, _VERS_CMP, _VERS_CMP,
    _VERS_CMP, +1, +1, -1, _VERS_CMP, _VERS_CMP, -1, _VERS_CMP, _VERS_CMP,
)


def _is_digit(c: int) -> bool:
    return 48 <= c <= 57


def _char_class(c: int) -> int:
    if c == 48:
        return 2
    return 1 if 49 <= c <= 57 else 0
