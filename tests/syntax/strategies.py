"""Hypothesis strategies for SystemTap source text (used by test_properties.py).

Three families:

* `arbitrary_text` and `token_soup`: any text, and random runs of SystemTap
  tokens, valid or not (`08`, `0x`, unterminated strings and `%{`, stray
  preprocessor markers...), to show that the parser never raises;
* `programs()`: hand-made, *valid* SystemTap programs covering the constructs
  of the language reference (shared/reference/stap-language.md, sections 2
  and 5), laid out with random whitespace and comments.  A program it makes
  that stapkit rejects is a parser bug, not a generator glitch: the generator
  respects stap's quirks (below) rather than filtering;
* `lark_items()`: strings derived from stap_grammar/stap.lark itself with
  `hypothesis.extra.lark.from_lark`, one strategy per %declare'd terminal.

Quirks the program generator respects (reference §2.7-§2.9):

* stap reads statements greedily and needs no separator between them, so an
  expression statement ends with `;` unless the next statement starts with a
  keyword or `{`, or the block ends (`x = 1` newline `-1` is `x = 1 - 1`);
* every expression is built with the precedence level of its outermost
  operator and parenthesized where its context needs a tighter one; `k in a`
  and `s =~ "x"` do not chain (nothing of their level or tighter follows them
  unparenthesized), the keys of `[a, b] in arr` are comparison-level, the
  right side of `=~` is a literal string, `&` is never taken twice;
* `return` only in functions (a bare one only before `}`), `break` and
  `continue` only in loops, `@probewrite` only in alias bodies;
* keywords and print-family names are never used as names;
* `@hist_log(x)` stands alone only as the single argument of print/println,
  as the array of `in` or foreach, or indexed (`@hist_log(x)[3]`);
* printf/sprintf formats are valid format strings (checked at parse time);
* guru-only syntax (`%{ %}`, `@const`, `@kregister`, `@kderef`) only in guru
  programs; no `@enum`/`@enumname` (SystemTap 5.5+; the default target is 4.8);
* a probe-point component name is a glued run (`sys**open`) written as one
  piece: whitespace or a comment inside it would split it; alias names have
  no wildcard, argument or suffix; `?`/`!`/`if` only after the last component.

Hypothesis costs about 0.1 ms a draw and more per nested composite, so the
leaves (names, literals, atoms, probe points) are plain functions taking
`draw`, and composites are kept for the recursive constructs (expressions,
statements, declarations), where they help shrinking.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

from hypothesis import strategies as st


# The generators also produce the constructs of bugs found by these tests and
# since fixed (test_properties.py keeps a regression test for each): keyword
# members in probe-point conditions, increments of an address-of, long
# operator chains, deep trees, `-$1` literals, CONFIG_ conditions compared
# with each other.

DECLARATION_KEYWORDS = ("probe", "function", "global", "private")


def cached(fn):
    """`st.composite`, the strategy for each argument tuple built once."""
    return functools.lru_cache(maxsize=None)(st.composite(fn))


_integers = functools.lru_cache(maxsize=None)(st.integers)
_booleans = st.booleans()


def pick(draw, options):
    """One of `options` (shrinks towards the first)."""
    return options[draw(_integers(0, len(options) - 1))]


def chance(draw, one_in: int) -> bool:
    """True once in `one_in` draws (shrinks towards False)."""
    return draw(_integers(0, one_in - 1)) == one_in - 1


def coin(draw) -> bool:
    return draw(_booleans)


# ---------------------------------------------------------------- vocabulary

KEYWORDS = (
    "probe", "global", "private", "function", "if", "else", "for", "foreach", "in", "limit",
    "return", "delete", "while", "break", "continue", "next", "string", "long", "try", "catch",
)
PRINT_FUNCTIONS = (
    "print", "println", "printf", "printd", "printdln", "print_char",
    "sprint", "sprintln", "sprintf", "sprintd", "sprintdln",
)
# What a name must not be: keywords are errors, print-family names are calls with rules.
RESERVED = frozenset(KEYWORDS + PRINT_FUNCTIONS + ("define",))

STAT_OPS = ("@count", "@sum", "@min", "@max", "@avg", "@variance")
AT_OPERATORS = (
    "@cast", "@var", "@defined", "@probewrite", "@entry", "@perf", "@const", "@kregister",
    "@uregister", "@kderef", "@uderef", "@enum", "@enumname", *STAT_OPS, "@hist_linear",
    "@hist_log", "@define",
)
OPERATORS = (
    "<<<", ">>>", "<<=", ">>=", "==", "!=", "<=", ">=", "=~", "!~", "+=", "-=", "*=", "/=", "%=",
    "&=", "^=", "|=", ".=", "&&", "||", "++", "--", "->", "<<", ">>", "%(", "%?", "%:", "%)",
    "<", ">", "=", "+", "-", "*", "/", "%", "&", "|", "^", "!", "~", ".", ",", ";", ":", "?",
    "(", ")", "[", "]", "{", "}", "'", "\\", "`",
)
ASSIGN_OPS = ("=", "<<<", "+=", "-=", "*=", "/=", "%=", "<<=", ">>=", "&=", "^=", "|=", ".=")

NAME_POOL = (
    "x", "a", "b", "c", "y", "z", "i", "j", "k", "n", "s", "v", "count", "total", "name", "_tmp",
    "a$b", "x1", "val_2", "key", "pid", "Foo", "t$", "__x", "limits", "nexts", "in_", "iff",
)
MEMBER_POOL = ("pid", "tgid", "parent", "f", "comm", "mm", "next", "function", "return", "in",
               "probe", "global", "private", "string")
LVALUE_TARGETS = ("$var", "$x", "$fd", "$task", "$return")
TARGET_POOL = LVALUE_TARGETS + ("$$vars", "$$locals", "$$parms", "$$return", "$a$b", "$_p")
COMPONENT_POOL = (
    "begin", "end", "error", "never", "kernel", "module", "process", "function", "statement",
    "return", "call", "inline", "timer", "ms", "s", "jiffies", "syscall", "nd_syscall", "vfs",
    "read", "write", "maxactive", "trace", "perf", "type", "config", "sample", "procfs", "umask",
    "netfilter", "hook", "pf", "foo", "bar", "*", "sys**open", "*foo*", "a*b", "*b", "a*",
    "kerne*", "funct*", "probe", "global", "private", "if", "in", "string", "_x1", "a$b",
)
# Global variables: a program declares some of them, each once; bodies use any of them.
GLOBAL_POOL = ("Garr", "Gstat", "Gcount", "Gx", "Gmap", "Gs", "G_h", "Gtotal")
ALIAS_POOL = (("myalias",), ("my", "alias"), ("foo",), ("syscall", "myread"), ("a", "b", "c"),
              ("x",), ("string",), ("probe", "function"))

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_"


def identifiers(first: str = _LETTERS, rest: str = _LETTERS + "0123456789$", max_size: int = 6):
    """Identifiers that are neither keywords nor print-family names."""
    return st.builds(lambda a, b: a + b, st.sampled_from(first),
                     st.text(alphabet=rest, max_size=max_size)).filter(lambda s: s not in RESERVED)


_identifiers = identifiers()


def name(draw) -> str:
    """A variable, parameter or function name."""
    return draw(_identifiers) if chance(draw, 4) else pick(draw, NAME_POOL)


def distinct_names(draw, low: int, high: int) -> list[str]:
    out: list[str] = []
    for _ in range(draw(_integers(low, high))):
        candidate = name(draw)
        if candidate not in out:
            out.append(candidate)
    filler = 0
    while len(out) < low:
        filler += 1
        if f"k{filler}" not in out:
            out.append(f"k{filler}")
    return out


def glob(draw) -> str:
    return pick(draw, GLOBAL_POOL)


# ---------------------------------------------------------------- literals

NUMBER_POOL = ("1", "0", "2", "3", "10", "42", "100", "0x1F", "0X7f", "0777", "00",
               "18446744073709551615", "9223372036854775808", "9223372036854775807")
_big = st.integers(0, 2**64 - 1)


def number(draw) -> str:
    """A valid number token: decimal, hex or octal, up to 2**64 - 1."""
    if not chance(draw, 4):
        return pick(draw, NUMBER_POOL)
    value = draw(_big)
    return pick(draw, (str, hex, lambda n: "0" + format(n, "o")))(value)


def small_number(draw) -> str:
    return str(draw(_integers(1, 1000)))


# What may follow the `-` of a negative literal (global initialiser, probe-point argument).
NEGATED_LITERALS = ("9223372036854775808", "1", "0x10", "$1")


# Characters a string may hold as they are, and escapes: kept ones (\n \101),
# one that drops its backslash (\q), an escaped line break.
_STRING_PLAIN = "abcxyz ABC019_-+*/.,:;!?()[]{}<>=&|^~@#$%'`\té中→\u00a0"
_STRING_ESCAPES = ("\\n", "\\t", "\\\\", '\\"', "\\101", "\\x41", "\\q", "\\0", "\\\n", "\\%")
_plain_text = st.text(alphabet=_STRING_PLAIN, max_size=8)


def string_piece(draw) -> str:
    if not chance(draw, 3):
        return pick(draw, ('"x"', '""', '"hello world"', '"%d"', '"a\\tb\\n"', '"é"', '"task_struct"'))
    text = draw(_plain_text)
    for _ in range(draw(_integers(0, 2))):  # escapes go between plain runs, never inside another
        text += pick(draw, _STRING_ESCAPES) + draw(_plain_text)
    return '"' + text + '"'


def string_literal(draw, arguments: bool = True) -> tuple[str, ...]:
    """A literal string: one or more glued pieces ("a" "b"), maybe an @N argument among them."""
    pieces = [string_piece(draw) for _ in range(pick(draw, (1, 1, 1, 2, 3)))]
    if arguments and chance(draw, 10):
        pieces.insert(draw(_integers(0, len(pieces))), pick(draw, ("@1", "@2", "@#")))
    return tuple(pieces)


def nonempty_string(draw) -> str:
    return pick(draw, ('"task_struct"', '"timeval"', '"struct file"', '"cycles"', '"a/b.c"', '"<x>"'))


def format_string(draw) -> tuple[str, int]:
    """A valid printf format literal, and how many arguments it consumes."""
    parts = []
    count = 0
    for _ in range(draw(_integers(0, 4))):
        kind = draw(_integers(0, 3))
        if kind == 0:
            parts.append(pick(draw, ("a", " ", "x=", "|", ", ", ": ")))
        elif kind == 1:
            parts.append(pick(draw, ("\\n", "\\t", "%%", "\\\\", "\\101")))
        else:
            flag = pick(draw, ("", "", "-", "+", " ", "#", "0"))
            width = pick(draw, ("", "", "5", "12", "*"))
            precision = pick(draw, ("", "", ".2", ".*", ".0"))
            ell = pick(draw, ("", "", "l"))
            conversion = pick(draw, "dsxXuoicpbmM")
            parts.append("%" + flag + width + precision + ell + conversion)
            count += 1 + (width == "*") + (precision == "*")
    return '"' + "".join(parts) + '"', count


# ---------------------------------------------------------------- expressions

# Precedence levels, lowest first (reference §2.9.1).
ASSIGN, TERNARY, OROR, ANDAND, BOR, BXOR, BAND, IN, CMP, SHIFT, CONCAT, ADD, MUL, UNARY, POSTFIX, \
    PRIMARY = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17

BINARY_OPS = {
    OROR: ("||",), ANDAND: ("&&",), BOR: ("|",), BXOR: ("^",), BAND: ("&",),
    CMP: ("<", ">", "<=", ">=", "==", "!="), SHIFT: ("<<", ">>", ">>>"), CONCAT: (".",),
    ADD: ("+", "-"), MUL: ("*", "/", "%"),
}
BINARY_LEVELS = tuple(BINARY_OPS)


class Ex(NamedTuple):
    """An expression as tokens, with the precedence level of its outermost operator."""

    toks: tuple[str, ...]
    level: int = 17
    kind: str = ""  # "match": a =~ query (not comparable further); "addr": an address-of


def atom(*toks: str) -> Ex:
    return Ex(tuple(toks), PRIMARY)


def paren(e: Ex) -> Ex:
    return Ex(("(",) + e.toks + (")",), PRIMARY, "addr" if e.kind == "addr" else "")


def need(e: Ex, level: int) -> Ex:
    """`e` as an operand that must bind at least as tightly as `level`."""
    return paren(e) if e.level < level else e


def binary(op: str, level: int, left: Ex, right: Ex) -> Ex:
    left = need(left, level)
    if level == CMP and left.kind == "match":
        left = paren(left)  # `(s =~ "x") == 1`: a regex query is not compared unparenthesized
    return Ex(left.toks + (op,) + need(right, level + 1).toks, level)


def joined(items, sep: str = ",") -> tuple[str, ...]:
    toks: tuple[str, ...] = ()
    for k, item in enumerate(items):
        toks += ((sep,) if k else ()) + (item.toks if isinstance(item, Ex) else tuple(item))
    return toks


class MacroSpec(NamedTuple):
    name: str
    params: tuple[str, ...]
    levels: tuple[int, ...]  # the level each argument needs where the body uses it


class Ctx(NamedTuple):
    guru: bool = False
    in_function: bool = False
    in_loop: bool = False
    in_alias: bool = False
    macros: tuple[MacroSpec, ...] = ()


def lvalue(draw, ctx: Ctx, depth: int) -> Ex:
    """Something assignable (or incrementable): a variable, an element, a target value."""
    kind = draw(_integers(0, 5))
    if kind <= 1:
        return atom(name(draw))
    if kind == 2:
        return array_element(draw, ctx, depth)
    if kind == 3:
        return atom(pick(draw, LVALUE_TARGETS))
    if kind == 4:
        return atom(glob(draw))
    return access(draw, ctx, depth, pretty=False)


def array_element(draw, ctx: Ctx, depth: int, wildcards: bool = False) -> Ex:
    indexes = []
    for _ in range(pick(draw, (1, 1, 2, 3))):
        if wildcards and coin(draw):
            indexes.append(("*",))
        else:
            indexes.append(draw(expr(ctx, depth - 1)))
    array = glob(draw) if coin(draw) else name(draw)
    return Ex((array, "[") + joined(indexes) + ("]",))


def hist_op(draw) -> Ex:
    operand = (glob(draw),) if coin(draw) else (glob(draw), "[", number(draw), "]")
    if coin(draw):
        return Ex(("@hist_log", "(") + operand + (")",))
    start, stop, step = pick(draw, (("0", "100", "10"), ("-10", "10", "1"), ("1", "3", "1")))
    if start.startswith("-"):
        start_toks: tuple[str, ...] = ("-", start[1:])
    else:
        start_toks = (start,)
    return Ex(("@hist_linear", "(") + operand + (",",) + start_toks + (",", stop, ",", step, ")"))


def access(draw, ctx: Ctx, depth: int, pretty: bool = True) -> Ex:
    """`$var->m[i]$`, `@cast(p, "t")->m`, `(expr)->m`, `f(x)->m[2]`: target values and autocasts."""
    kind = draw(_integers(0, 5))
    if kind <= 1:
        base = atom(pick(draw, TARGET_POOL))
    elif kind == 5:
        base = atom("@var", "(", pick(draw, ('"jiffies"', '"_r_debug"', '"foo@bar/baz.c"')), ")")
    elif kind == 2:
        module = (",", pick(draw, ('"kernel"', '"<sys/time.h>"', '"kernel<linux/sched.h>"'))) \
            if coin(draw) else ()
        base = Ex(("@cast", "(") + draw(expr(ctx, depth - 1)).toks + (",", nonempty_string(draw)) + module
                  + (")",))
    elif kind == 3:
        base = paren(draw(expr(ctx, depth - 1)))
    else:
        base = call(draw, ctx, depth)
    steps: tuple[str, ...] = ()
    last_member = False
    for _ in range(draw(_integers(1 if kind in (3, 4) else 0, 3))):
        if coin(draw):
            steps += ("->", pick(draw, MEMBER_POOL))
            last_member = True
        else:
            steps += ("[",) + draw(expr(ctx, depth - 1)).toks + ("]",)
            last_member = False
    toks = base.toks + steps
    mark = pick(draw, ("", "", "", "$", "$$")) if pretty else ""
    if mark:
        if (last_member or (not steps and kind <= 1)) and coin(draw):
            toks = toks[:-1] + (toks[-1] + mark,)  # `$var$`, `->f$$`: the mark glued to the name
        else:
            toks += (mark,)  # `@cast(p, "t") $`, `$a[1] $$`: a token of its own
    return Ex(toks, PRIMARY if not steps and not mark else POSTFIX)


def call(draw, ctx: Ctx, depth: int) -> Ex:
    args = [draw(expr(ctx, depth - 1)) for _ in range(pick(draw, (0, 1, 1, 2, 3)))]
    return Ex((name(draw), "(") + joined(args) + (")",))


HISTOGRAM_PRINTERS = ("print", "println", "sprint", "sprintln")


def print_call(draw, ctx: Ctx, depth: int, value_only: bool = False) -> Ex:
    """A print-family call with valid arguments (only the sprint* forms if value_only)."""
    families = ("sprintf", "sprint", "sprintln", "sprintd", "sprintdln")
    if not value_only:
        families = ("printf", "print", "println", "printd", "printdln", "print_char") + families
    fname = pick(draw, families)
    sub = expr(ctx, depth - 1)
    if fname in ("printf", "sprintf"):
        fmt, count = format_string(draw)
        args = [draw(sub) for _ in range(count)]
        return Ex((fname, "(", fmt) + ((",",) + joined(args) if args else ()) + (")",))
    if fname in ("printd", "printdln", "sprintd", "sprintdln"):
        args = [draw(sub) for _ in range(pick(draw, (2, 3)))]
        return Ex((fname, "(") + string_literal(draw, arguments=False) + (",",) + joined(args) + (")",))
    if fname in HISTOGRAM_PRINTERS and chance(draw, 6):
        return Ex((fname, "(") + hist_op(draw).toks + (")",))
    low = 0 if fname in ("println", "sprintln") else 1
    high = 1 if fname == "print_char" else 3
    args = [draw(sub) for _ in range(draw(_integers(low, high)))]
    return Ex((fname, "(") + joined(args) + (")",))


def macro_use(draw, ctx: Ctx, depth: int) -> Ex:
    macro = pick(draw, ctx.macros)
    if not macro.params:
        return atom("@" + macro.name)
    args = [need(draw(expr(ctx, depth - 1)), level) for level in macro.levels]
    return Ex(("@" + macro.name, "(") + joined(args) + (")",))


# `%( COND %? ... %: ... %)` conditions, for the default target or any other.
CONDITIONS = (
    ('kernel_v', '>=', '"5.0"'), ('kernel_v', '<', '"2.6.32"'), ('kernel_vr', '!=', '"1.2.3-4"'),
    ('systemtap_v', '>=', '"4.0"'), ('systemtap_v', '<', '"3.0"'), ('arch', '==', '"x86_64"'),
    ('arch', '!=', '"i?86"'), ('runtime', '==', '"kernel"'), ('runtime', '!=', '"dyn*"'),
    ('systemtap_privilege', '==', '"stapdev"'), ('guru_mode', '==', '0'), ('guru_mode', '!=', '1'),
    ('CONFIG_SMP', '==', '"y"'), ('CONFIG_NFSD', '==', '"[my]"'), ('CONFIG_HZ', '>', '100'),
    ('1', '==', '1'), ('"a"', '<', '"b"'), ('2', '<=', '1'), ('CONFIG_NR_CPUS', '>=', 'CONFIG_HZ'),
)


def pp_condition(draw) -> tuple[str, ...]:
    toks: tuple[str, ...] = ()
    for k in range(pick(draw, (1, 1, 2, 3))):
        toks += ((pick(draw, ("&&", "||")),) if k else ()) + pick(draw, CONDITIONS)
    return toks


def pp_conditional(cond: tuple[str, ...], then: tuple[str, ...], otherwise: tuple[str, ...] | None):
    toks = ("%(",) + cond + ("%?",) + then
    if otherwise is not None:
        toks += ("%:",) + otherwise
    return toks + ("%)",)


GURU_ATOMS = (
    ("%{ 42 %}",), ('%{ /* string */ "two" %}',), ("%{ (long) current->pid %}",),
    ("@const", "(", '"current->pid"', ")"), ("@kregister", "(", "0", ")"),
    ("@kderef", "(", "4", ",", "p", ")"),
)
ATOM_KINDS = 23


def atoms(draw, ctx: Ctx) -> Ex:
    """Expressions with no sub-expression to speak of."""
    kind = draw(_integers(0, ATOM_KINDS - 1))
    if kind <= 4:
        return atom(name(draw))
    if kind <= 7:
        return atom(number(draw))
    if kind <= 9:
        return atom(*string_literal(draw))
    if kind == 10:
        return atom(glob(draw))
    if kind == 11:
        return atom(pick(draw, TARGET_POOL))
    if kind == 12:
        return atom(pick(draw, ("$1", "$2", "$#")))
    if kind == 13:
        op = pick(draw, STAT_OPS)
        arg = (glob(draw),) if coin(draw) else (glob(draw), "[", number(draw), "]")
        extra = (",", pick(draw, ("0", "3", "62"))) if op == "@variance" and coin(draw) else ()
        return atom(op, "(", *arg, *extra, ")")
    if kind == 14:
        return Ex(hist_op(draw).toks + ("[", pick(draw, ("0", "3", "i")), "]"))
    if kind == 15:
        return atom("@var", "(", pick(draw, ('"jiffies"', '"foo@bar/baz.c"', '"x" "y"')),
                    *pick(draw, ((), (",", '"/lib/ld-linux.so.2"'))), ")")
    if kind == 16:
        return atom("@perf", "(", nonempty_string(draw), ")")
    if kind == 17:
        return atom(pick(draw, ("@defined", "@entry")), "(", pick(draw, TARGET_POOL), ")")
    if kind == 18:
        return atom(*pick(draw, (("@uregister", "(", "5", ")"), ("@uderef", "(", "8", ",", "p", ")"),
                                 ("@uderef", "(", "4", ",", "$x", ")"))))
    if kind == 19 and ctx.macros:
        return macro_use(draw, ctx, 0)
    if kind == 20 and ctx.in_alias:
        return atom("@probewrite", "(", name(draw), ")")
    if kind == 21 and ctx.guru:
        return atom(*pick(draw, GURU_ATOMS))
    return atom(name(draw))


EXPR_KINDS = (
    "atom", "binary", "binary", "binary", "binary", "unary", "crement", "ternary", "assign", "in",
    "regex", "paren", "call", "sprint", "element", "access", "address", "stat", "bucket", "macro",
    "conditional",
)


def expr(ctx: Ctx, depth: int):
    """Strategy for valid expressions (Ex) nested at most `depth` deep."""
    return _expr(ctx, max(depth, 0))


@cached
def _expr(draw, ctx: Ctx, depth: int) -> Ex:
    if depth == 0:
        return atoms(draw, ctx)
    sub = expr(ctx, depth - 1)
    kind = pick(draw, EXPR_KINDS)
    if kind == "binary":
        level = pick(draw, BINARY_LEVELS)
        return binary(pick(draw, BINARY_OPS[level]), level, draw(sub), draw(sub))
    if kind == "unary":
        return Ex((pick(draw, "+-!~"),) + need(draw(sub), UNARY).toks, UNARY)
    if kind == "crement":
        op = pick(draw, ("++", "--"))
        if chance(draw, 8):
            target = Ex(("&", pick(draw, LVALUE_TARGETS)), UNARY, "addr")  # `++&$x`: parses (pass 2 rejects)
        else:
            target = lvalue(draw, ctx, depth - 1)
        if coin(draw):
            return Ex((op,) + target.toks, UNARY)
        return Ex(target.toks + (op,), POSTFIX)
    if kind == "ternary":
        cond, then, otherwise = draw(sub), draw(sub), draw(sub)
        return Ex(need(cond, OROR).toks + ("?",) + then.toks + (":",) + need(otherwise, TERNARY).toks,
                  TERNARY)
    if kind == "assign":
        op = pick(draw, ASSIGN_OPS)
        if chance(draw, 10):
            target = need(draw(sub), TERNARY)  # `a ? b : c = d` parses (not an lvalue: pass 2)
        else:
            target = lvalue(draw, ctx, depth - 1)
        return Ex(target.toks + (op,) + draw(sub).toks, ASSIGN)
    if kind == "in":
        if coin(draw):
            keys = need(draw(sub), CMP).toks
        else:
            items = [("*",) if chance(draw, 3) else need(draw(sub), CMP).toks
                     for _ in range(pick(draw, (1, 2, 2, 3)))]
            keys = ("[",) + joined(items) + ("]",)
        array = hist_op(draw).toks if chance(draw, 8) else (glob(draw),)
        return Ex(keys + ("in",) + array, IN)
    if kind == "regex":
        pattern = pick(draw, ('"^a+$"', '"x"', '"[0-9]+"', '""', '"a" "b"'))
        return Ex(need(draw(sub), SHIFT).toks + (pick(draw, ("=~", "!~")), pattern), CMP, "match")
    if kind == "paren":
        return paren(draw(sub))
    if kind == "call":
        return call(draw, ctx, depth)
    if kind == "sprint":
        return print_call(draw, ctx, depth, value_only=True)
    if kind == "element":
        return array_element(draw, ctx, depth)
    if kind == "access":
        return access(draw, ctx, depth)
    if kind == "address":
        choice = draw(_integers(0, 2))
        if choice == 0:
            operand = access(draw, ctx, depth, pretty=False)
        elif choice == 1:
            operand = atom(pick(draw, LVALUE_TARGETS))
        else:
            operand = paren(draw(sub))
        if operand.kind == "addr":  # `&(&x)`: an address cannot be taken twice
            operand = atom(pick(draw, LVALUE_TARGETS))
        return Ex(("&",) + operand.toks, UNARY, "addr")
    if kind == "stat":
        return Ex((pick(draw, STAT_OPS), "(") + array_element(draw, ctx, depth).toks + (")",))
    if kind == "bucket":
        return Ex(hist_op(draw).toks + ("[",) + draw(sub).toks + ("]",))
    if kind == "macro" and ctx.macros:
        return macro_use(draw, ctx, depth)
    if kind == "conditional" and chance(draw, 3):
        # `%( arch == "x86_64" %? e1 %: e2 %)`: whichever branch is taken must fit the context.
        first, second = draw(sub), draw(sub)
        kinds = {first.kind, second.kind}
        merged = "match" if "match" in kinds else ("addr" if "addr" in kinds else "")
        return Ex(pp_conditional(pp_condition(draw), first.toks, second.toks),
                  min(first.level, second.level), merged)
    return atoms(draw, ctx)


# ---------------------------------------------------------------- statements


class Stmt(NamedTuple):
    toks: tuple[str, ...]
    # How the final `;` may be dropped: "" never, "expr" when a keyword, `{` or
    # the block's end follows, "bare" only at the block's end, "free" always.
    elide: str = ""


# A statement starting with one of these cannot continue the expression before it.
SAFE_STARTS = frozenset(("if", "while", "for", "foreach", "try", "delete", "next", "break", "continue",
                         "return", "{", "}"))

STMT_KINDS = (
    "expr", "expr", "print", "if", "while", "for", "foreach", "try", "delete", "block", "empty",
    "next", "loopctl", "return", "return", "conditional",
)
EXPR_DEPTHS = (0, 1, 1, 2, 2, 3)


def statement(ctx: Ctx, depth: int):
    return _statement(ctx, max(depth, 0))


@cached
def _statement(draw, ctx: Ctx, depth: int) -> Stmt:
    kind = pick(draw, STMT_KINDS if depth > 0 else STMT_KINDS[:3])
    edepth = pick(draw, EXPR_DEPTHS)
    e = expr(ctx, edepth)
    in_loop = ctx._replace(in_loop=True)
    if kind == "expr":
        return Stmt(draw(e).toks + (";",), "expr")
    if kind == "print":
        return Stmt(print_call(draw, ctx, edepth).toks + (";",), "expr")
    if kind == "if":
        toks = ("if", "(") + draw(e).toks + (")",) + draw(nested(ctx, depth - 1))
        if coin(draw):
            toks += ("else",) + draw(nested(ctx, depth - 1))
        return Stmt(toks)
    if kind == "while":
        return Stmt(("while", "(") + draw(e).toks + (")",) + draw(nested(in_loop, depth - 1)))
    if kind == "for":
        parts = [draw(e).toks if coin(draw) else () for _ in range(3)]
        head = ("for", "(") + parts[0] + (";",) + parts[1] + (";",) + parts[2] + (")",)
        return Stmt(head + draw(nested(in_loop, depth - 1)))
    if kind == "foreach":
        return Stmt(("foreach", "(") + foreach_head(draw, ctx) + (")",) + draw(nested(in_loop, depth - 1)))
    if kind == "try":
        catch = ("(", name(draw), ")") if coin(draw) else ()
        return Stmt(("try",) + draw(block(ctx, depth - 1)) + ("catch",) + catch + draw(block(ctx, depth - 1)))
    if kind == "delete":
        choice = draw(_integers(0, 2))
        if choice == 0:
            target: tuple[str, ...] = (glob(draw),)
        elif choice == 1:
            target = (name(draw),)
        else:
            target = array_element(draw, ctx, edepth, wildcards=True).toks
        return Stmt(("delete",) + target + (";",), "expr")
    if kind == "block":
        return Stmt(draw(block(ctx, depth - 1)))
    if kind == "empty":
        return Stmt((";",))
    if kind == "next":
        return Stmt(("next", ";"), "free")
    if kind == "loopctl" and ctx.in_loop:
        return Stmt((pick(draw, ("break", "continue")), ";"), "free")
    if kind == "return" and ctx.in_function:
        if coin(draw):
            return Stmt(("return", ";"), "bare")
        return Stmt(("return",) + draw(e).toks + (";",), "expr")
    if kind == "conditional":
        # Both branches: an empty one could leave `if (c)` without a statement.
        first, second = draw(nested(ctx, depth - 1)), draw(nested(ctx, depth - 1))
        return Stmt(pp_conditional(pp_condition(draw), first, second))
    return Stmt(draw(e).toks + (";",), "expr")


@cached
def nested(draw, ctx: Ctx, depth: int) -> tuple[str, ...]:
    """The body of if/while/for/foreach: one statement, its `;` kept (what follows is unknown)."""
    return draw(statement(ctx, depth)).toks


@cached
def block(draw, ctx: Ctx, depth: int) -> tuple[str, ...]:
    stmts = [draw(statement(ctx, depth)) for _ in range(pick(draw, (0, 1, 1, 2, 3) if depth else (0, 1, 2)))]
    toks: tuple[str, ...] = ("{",)
    for k, stmt in enumerate(stmts):
        following = stmts[k + 1].toks[0] if k + 1 < len(stmts) else "}"
        droppable = (stmt.elide == "free"
                     or (stmt.elide == "expr" and following in SAFE_STARTS)
                     or (stmt.elide == "bare" and following == "}"))
        toks += stmt.toks[:-1] if droppable and coin(draw) else stmt.toks
    return toks + ("}",)


def foreach_head(draw, ctx: Ctx) -> tuple[str, ...]:
    """Every foreach form: value variable, [keys], a sort mark on one place only, slices, @stat, limit."""
    count = pick(draw, (1, 1, 2, 3))
    keys = distinct_names(draw, count + 1, count + 1)
    value = keys.pop() if coin(draw) else None
    keys = keys[:count]
    histogram = count == 1 and value is None and chance(draw, 6)
    places = ["none", "array"] + [f"key{k}" for k in range(count)]
    if value is not None:
        places.append("value")
    if not histogram:
        places.append("aggregate")
    place = pick(draw, places) if not histogram else "none"
    mark = pick(draw, "+-")
    bracketed = count > 1 or coin(draw)

    toks: tuple[str, ...] = ()
    if value is not None:
        toks += (value,) + ((mark,) if place == "value" else ()) + ("=",)
    key_toks = joined([(key,) + ((mark,) if place == f"key{k}" else ()) for k, key in enumerate(keys)])
    toks += ("[",) + key_toks + ("]",) if bracketed else key_toks
    toks += ("in",)
    if histogram:
        toks += hist_op(draw).toks
    else:
        toks += (glob(draw),)
        if chance(draw, 4):
            toks += ("[",) + joined([("*",) if coin(draw) else draw(expr(ctx, 1)).toks for _ in keys]) + ("]",)
        if place == "aggregate":
            toks += (pick(draw, STAT_OPS), mark)
        elif place == "array":
            toks += (mark,)
    if chance(draw, 4):
        toks += ("limit",) + draw(expr(ctx, 1)).toks
    return toks


# ---------------------------------------------------------------- probe points

_glued_names = st.text(alphabet="abcdefrstxyz_*", min_size=1, max_size=8)


def component_name(draw) -> str:
    """A component name: a glued run of identifiers, keywords and `*` (no digit after a `*`)."""
    return draw(_glued_names) if chance(draw, 4) else pick(draw, COMPONENT_POOL)


def component(draw, ctx: Ctx, depth: int) -> tuple[str, ...]:
    if depth > 0 and chance(draw, 8):
        # brace expansion: `{a, b.c}`, alternatives without suffixes
        return ("{",) + joined([dotted(draw, ctx, depth - 1) for _ in range(pick(draw, (1, 2, 3)))]) + ("}",)
    pp_name = component_name(draw)
    kind = draw(_integers(0, 5))
    if kind <= 2:
        return (pp_name,)
    if kind == 3:
        return (pp_name, "(") + string_literal(draw) + (")",)
    if kind == 4:
        return (pp_name, "(", number(draw), ")")
    arg = pick(draw, (("-", small_number(draw)), ("-", pick(draw, NEGATED_LITERALS)), ("$1",), ('"x*"',),
                      ('"*@fs/*.c:100-200"',), ("100",), None))
    if arg is None:  # `timer.ms(%( arch == "x86_64" %? 100 %: 200 %))`: still one literal
        arg = pp_conditional(pp_condition(draw), (number(draw),), (small_number(draw),))
    return (pp_name, "(") + arg + (")",)


def dotted(draw, ctx: Ctx, depth: int) -> tuple[str, ...]:
    return joined([component(draw, ctx, depth) for _ in range(pick(draw, (1, 1, 2, 2, 3, 4)))], ".")


def probe_point(draw, ctx: Ctx) -> tuple[str, ...]:
    toks = dotted(draw, ctx, 2) + pick(draw, ((), (), ("?",), ("!",)))
    if chance(draw, 5):
        condition = draw(expr(ctx, 2)).toks
        toks += ("if", "(") + condition + (")",)
    return toks



def probe_points(draw, ctx: Ctx) -> tuple[str, ...]:
    points = []
    for _ in range(pick(draw, (1, 1, 2, 3))):
        point = probe_point(draw, ctx)
        if chance(draw, 12):  # `probe %( arch == "x86_64" %? a %: b.c %) {}`
            point = pp_conditional(pp_condition(draw), point, probe_point(draw, ctx))
        points.append(point)
    return joined(points)


# ---------------------------------------------------------------- declarations

BODY_DEPTHS = (0, 1, 2, 2, 3)


@cached
def probe_decl(draw, ctx: Ctx) -> tuple[str, ...]:
    return ("probe",) + probe_points(draw, ctx) + draw(block(ctx, pick(draw, BODY_DEPTHS)))


@cached
def alias_decl(draw, ctx: Ctx) -> tuple[str, ...]:
    """`probe a.b = points { }`, `+=`, chained names, a prologue alias with an epilogue block."""
    body_ctx = ctx._replace(in_alias=True)
    toks: tuple[str, ...] = ("probe",)
    ops = []
    for _ in range(pick(draw, (1, 1, 2))):
        op = pick(draw, ("=", "=", "+="))
        ops.append(op)
        toks += joined([(part,) for part in pick(draw, ALIAS_POOL)], ".") + (op,)
    toks += probe_points(draw, ctx) + draw(block(body_ctx, pick(draw, BODY_DEPTHS)))
    if "+=" not in ops and chance(draw, 4):
        toks += (",",) + draw(block(body_ctx, 1))
    return toks


EMBEDDED_C = ("%{ #include <linux/sched.h> %}", "%{\n/* pure */ STAP_RETURN(1);\n%}", "%{ %}",
              "%{ /* pure */ /* unprivileged */ STAP_RETVALUE = STAP_ARG_v + 1; %}")


@cached
def function_decl(draw, ctx: Ctx, fname: str) -> tuple[str, ...]:
    body_ctx = ctx._replace(in_function=True)
    toks: tuple[str, ...] = ("private", "function") if chance(draw, 5) else ("function",)
    toks += (fname,)
    if coin(draw):
        toks += (":", pick(draw, ("long", "string")))
    params = []
    for param in distinct_names(draw, 0, 3):
        params.append((param,) + ((":", pick(draw, ("long", "string"))) if coin(draw) else ()))
    toks += ("(",) + joined(params) + (")",)
    if chance(draw, 5):
        toks += (":", small_number(draw))
    if ctx.guru and chance(draw, 4):
        return toks + (pick(draw, EMBEDDED_C),)
    return toks + draw(block(body_ctx, pick(draw, BODY_DEPTHS)))


def global_decl(draw, names_: tuple[str, ...]) -> tuple[str, ...]:
    toks = pick(draw, (("global",), ("global",), ("private", "global"), ("private",)))
    variables = []
    for var in names_:
        shape = draw(_integers(0, 5))
        if shape == 0:
            variables.append((var,))
        elif shape == 1:
            variables.append((var, "=", number(draw)))
        elif shape == 2:
            variables.append((var, "=", "-", pick(draw, NEGATED_LITERALS + (small_number(draw),))))
        elif shape == 3:
            value = (pick(draw, ("$1", "@1")),) if chance(draw, 6) else string_literal(draw)
            variables.append((var, "=") + value)
        elif shape == 4:
            variables.append((var, "[", pick(draw, ("1", "100", "2147483647", "0x10")), "]"))
        else:
            variables.append((var, "%") + (("[", small_number(draw), "]") if coin(draw) else ()))
    return toks + joined(variables) + ((";",) if coin(draw) else ())


MACRO_BODIES = (
    # (params, body tokens, the level each argument needs)
    ((), ("100",), ()),
    ((), ('"str"',), ()),
    ((), ("(", "1", "<<", "4", ")"), ()),
    (("a",), ("(", "@a", "+", "1", ")"), (ADD,)),
    (("a",), ("(", "(", "@a", ")", "*", "2", ")"), (ASSIGN,)),
    (("a", "b"), ("(", "(", "@a", ")", "+", "(", "@b", ")", ")"), (ASSIGN, ASSIGN)),
    (("a", "b"), ("(", "@a", "-", "@b", ")"), (ADD, MUL)),
    (("x",), ("(", "@x", ".", '"tail"', ")"), (CONCAT,)),
    (("a",), ("(", "@a", "+", "%(", "arch", "==", '"x86_64"', "%?", "1", "%:", "2", "%)", ")"), (ADD,)),
    # uses m_3, so it is defined after it (a macro is visible after its definition)
    (("a", "b"), ("(", "@m_3", "(", "@a", ")", "*", "@b", ")"), (ADD, MUL)),
)
MACROS = tuple(MacroSpec(f"m_{k}", params, levels) for k, (params, _, levels) in enumerate(MACRO_BODIES))


def macro_defs(draw) -> tuple[str, ...]:
    """`@define NAME[(params)] %( body %)` for every macro of MACROS, in some order."""
    toks: tuple[str, ...] = ()
    order = draw(st.permutations(range(len(MACRO_BODIES) - 1))) + [len(MACRO_BODIES) - 1]
    for k in order:
        params, body, _ = MACRO_BODIES[k]
        toks += ("@define", f"m_{k}")
        if params:
            toks += ("(",) + joined([(p,) for p in params]) + (")",)
        toks += ("%(",) + body + ("%)",)
    return toks


@st.composite
def program_tokens(draw, guru: bool = False) -> tuple[str, ...]:
    """A whole valid program, as tokens."""
    with_macros = coin(draw)
    ctx = Ctx(guru=guru, macros=MACROS if with_macros else ())
    declared = [g for g in GLOBAL_POOL if coin(draw)]
    decls = []
    while declared:  # in groups, each name once
        size = draw(_integers(1, len(declared)))
        decls.append(global_decl(draw, tuple(declared[:size])))
        declared = declared[size:]
    function_names = {name(draw) if not chance(draw, 8) else pick(draw, ("string", "long"))
                      for _ in range(pick(draw, (0, 1, 1, 2, 3)))}
    decls += [draw(function_decl(ctx, fname)) for fname in sorted(function_names)]
    decls += [draw(pick(draw, (probe_decl, probe_decl, alias_decl))(ctx)) for _ in range(pick(draw, (1, 1, 2, 3)))]
    if guru:
        decls += [(pick(draw, EMBEDDED_C),) for _ in range(pick(draw, (0, 1, 2)))]
    decls = draw(st.permutations(decls))

    toks: tuple[str, ...] = macro_defs(draw) if with_macros else ()
    k = 0
    bare = False  # whether some declaration is outside every `%( %)`
    while k < len(decls):
        if chance(draw, 6):
            # `%( COND %? declarations [%: declarations] %)` around whole declarations
            size = draw(_integers(1, min(2, len(decls) - k)))
            then = sum(decls[k:k + size], ())
            otherwise = None
            if coin(draw):
                otherwise = draw(pick(draw, (probe_decl(ctx), function_decl(ctx, "alt_fn")))) if coin(draw) else ()
            toks += pp_conditional(pp_condition(draw), then, otherwise)
            k += size
        else:
            toks += decls[k]
            k += 1
            bare = True
    if not bare:
        # Every declaration sits in a condition: a target taking none of the branches would see an
        # empty script, which stap refuses (STP050).  One declaration outside them keeps it valid.
        toks += ("probe", "never", "{", "}")
    return toks


# ---------------------------------------------------------------- layout

SEPARATORS_PLAIN = (" ",)
SEPARATORS_SPACES = (" ", " ", " ", "\n", "\t", "  ", "\n    ", "\r\n", " \f", "\n\n", " \v")
SEPARATORS_COMMENTS = SEPARATORS_SPACES + (
    " /* c */ ", " /* multi\nline * comment */ ", " # hash comment\n", " // line comment\n",
    " /**/ ", "\n# x = 1;\n", ' /* } { ; " */ ', " // %( %? \n", " #\n", " //\n",
    " /* é 中 \u2028 */ ", " # ünïcödé\n", " /* probe begin { */ ",
)
LAYOUTS = (SEPARATORS_PLAIN, SEPARATORS_SPACES, SEPARATORS_COMMENTS)


def layout(draw, toks: tuple[str, ...]) -> str:
    """Tokens joined with whitespace and comments that cannot change their meaning.

    Every separator holds whitespace, so no two tokens glue into a third
    (`a % (b)` must not become `a %(b)`); a comment comes after a space, so a
    `/` or `$` before it stays what it is.  The separators come from a seeded
    random generator: one draw instead of one per token.
    """
    separators = pick(draw, LAYOUTS)
    rnd = draw(st.randoms(use_true_random=True))
    out = [toks[0]] if toks else []
    for tok in toks[1:]:
        out.append(rnd.choice(separators))
        out.append(tok)
    return "".join(out) + ("\n" if rnd.random() < 0.5 else "")


@st.composite
def programs(draw, guru: bool = False) -> str:
    """The source text of a valid SystemTap program (guru: one that needs -g)."""
    return layout(draw, draw(program_tokens(guru)))


@st.composite
def relaid_programs(draw) -> tuple[str, str]:
    """One valid program laid out twice, with different whitespace and comments."""
    toks = draw(program_tokens())
    return layout(draw, toks), layout(draw, toks)


@st.composite
def guru_programs(draw) -> tuple[str, bool]:
    """A valid guru-mode program, and whether it asks for -g itself (`#! stap -g` first line)."""
    text = draw(programs(guru=True))
    if coin(draw):
        return "#! stap -g\n" + text, True
    return text, False


# ---------------------------------------------------------------- never-raises inputs

SOUP_TOKENS = (
    *KEYWORDS, *AT_OPERATORS, *OPERATORS, *PRINT_FUNCTIONS,
    '@cast(p, "task_struct")->pid', "@hist_log(x)", "@count(s)", "@mymacro", "@m(1, 2)", "@",
    "x", "foo", "_bar", "a$b", "$var", "$$vars", "$$parms$$", "$var$", "$", "$$", "$1", "@1", "$#",
    "@#", "$0", "@0", "$99", "@define m(a) %( @a %)", "@m",
    "0", "42", "0x1F", "0777", "08", "0x", "1e5", "1abc", "18446744073709551615", "18446744073709551616",
    '"str"', '"a\\"b"', '"%d %s\\n"', '"%z"', '"100%"', '"unterminated', '"x\\', '""',
    "%{ int x; %}", "%{ unterminated", "%{ }% %}", "#! stap -g\n",
    "# hash comment\n", "// line comment\n", "/* block */", "/* unterminated",
    "kernel_v", "arch", '"x86_64"', "CONFIG_HZ", "systemtap_v", "guru_mode",
    'kernel.function("vfs_*")', "timer.ms(100)", "sys**open", "*foo*", "{a,b}.c",
    " ", "  ", "\n", "\t", "\r\n", "\x0b", "\x00", "é", "\u2028", "\ufeff", "\x7f",
)

token_soup = st.lists(
    st.tuples(st.sampled_from(SOUP_TOKENS), st.sampled_from(("", " ", " ", "\n"))),
    max_size=60,
).map(lambda pairs: "".join(tok + sep for tok, sep in pairs))

arbitrary_text = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=300) | \
    st.text(alphabet='probe{}();"%@$#/*\\\n -+=<>!.,[]?:&|^~0x1a_', max_size=200)

# ---------------------------------------------------------------- from_lark


def _word(text: str):
    return st.just(text + " ")


def _words(*texts: str):
    return st.sampled_from([t + " " for t in texts])


LIBRARY_MACRO = "libm"  # known by its signature only: the test passes it in library_macros

# One strategy per %declare'd terminal of stap.lark: the token's text and a
# space.  AT_OTHER, an @word that is no operator, is always an error unless
# it names a macro, so it names the library macro too (then it is a MACRO).
LARK_TERMINALS = {
    "IDENT": identifiers("abcxyz_", "abcxyz_0123456789", 4).map(lambda s: s + " "),
    "TARGET": _words("$var", "$x", "$$vars", "$return"),
    "PRETTY": _words("$", "$$"),
    "NUMBER": _words("1", "2", "4", "8", "10", "0x10"),
    "STRING": _words('"a"', '"task_struct"', '"x y"', '"%d\\n"'),
    "EMBEDDED": _words("%{ 1 %}", "%{ /* c */ %}"),
    "ARG_NUM": _words("$1", "$2"),
    "ARG_STR": _words("@1", "@2"),
    "PP_NAME": _words("begin", "kernel", "function", "timer", "ms", "sys**open", "*foo*"),
    "MACRO": _word("@" + LIBRARY_MACRO),
    "AT_OTHER": _word("@" + LIBRARY_MACRO),
    "STRAY": _words("'", "\\", "`"),
    "AT_REGISTER": _words("@kregister", "@uregister"),
    "AT_DEREF": _words("@kderef", "@uderef"),
    "AT_STAT": _words(*STAT_OPS),
    "ASSIGN_OP": _words("<<<", "-=", "*=", "/=", "%=", "<<=", ">>=", "&=", "^=", "|=", ".="),
    "SHIFT_OP": _words("<<", ">>", ">>>"),
    "CMP_OP": _words("<", ">", "<=", ">=", "==", "!="),
    "MATCH_OP": _words("=~", "!~"),
    **{kind: _word(text) for text, kind in {
        "probe": "PROBE", "global": "GLOBAL", "private": "PRIVATE", "function": "FUNCTION", "if": "IF",
        "else": "ELSE", "for": "FOR", "foreach": "FOREACH", "in": "IN", "limit": "LIMIT",
        "return": "RETURN", "delete": "DELETE", "while": "WHILE", "break": "BREAK",
        "continue": "CONTINUE", "next": "NEXT", "string": "STRING_TYPE", "long": "LONG_TYPE",
        "try": "TRY", "catch": "CATCH",
        "@cast": "AT_CAST", "@var": "AT_VAR", "@defined": "AT_DEFINED", "@probewrite": "AT_PROBEWRITE",
        "@entry": "AT_ENTRY", "@perf": "AT_PERF", "@const": "AT_CONST", "@enum": "AT_ENUM",
        "@enumname": "AT_ENUMNAME", "@hist_linear": "AT_HIST_LINEAR", "@hist_log": "AT_HIST_LOG",
        "=": "EQ", "+=": "PLUS_EQ", "&&": "ANDAND", "||": "OROR", "++": "INC", "--": "DEC", "->": "ARROW",
        "+": "PLUS", "-": "MINUS", "*": "STAR", "/": "SLASH", "%": "PERCENT", "&": "AMP", "|": "VBAR",
        "^": "CIRC", "!": "BANG", "~": "TILDE", ".": "DOT", ",": "COMMA", ";": "SEMI", ":": "COLON",
        "?": "QMARK", "(": "LPAR", ")": "RPAR", "[": "LSQB", "]": "RSQB", "{": "LBRACE", "}": "RBRACE",
    }.items()},
}


def lark_grammar(start: str = "item"):
    """stap.lark loaded as stapkit loads it (its terminals come from stapkit's lexer)."""
    from lark import Lark

    from stapkit.syntax.grammar import _TokensComeFromStapkit, grammar_text

    return Lark(grammar_text(), parser="lalr", lexer=_TokensComeFromStapkit, start=start)


def lark_items(start: str = "item"):
    """Strings derived from the grammar's `start` rule, terminal by terminal."""
    from hypothesis.extra.lark import from_lark, get_terminal_names

    grammar = lark_grammar(start)
    terminals, rules, ignore = grammar.grammar.compile([start], ())
    used = get_terminal_names(terminals, rules, ignore)
    missing = used - set(LARK_TERMINALS)
    assert not missing, f"no strategy for the terminals {sorted(missing)}"
    # from_lark refuses strategies for terminals no rule uses (STRAY).
    explicit = {terminal: strategy for terminal, strategy in LARK_TERMINALS.items() if terminal in used}
    return from_lark(grammar, start=start, explicit=explicit)


# ---------------------------------------------------------------- deep and long input

# (before, unit, middle, closing unit, after): the text is
# before + unit * n + middle + closing * n + after.
DEEP_TEMPLATES = (
    ("probe begin { x = ", "(", "1", ")", " }"),
    ("probe begin { x = ", "- ", "1", "", " }"),
    ("probe begin { x = ", "!", "1", "", " }"),
    ("probe begin ", "{ ", "x = 1", " }", ""),
    ("probe begin { ", "if (x) ", "y = 1", "", " }"),
    ("probe begin { ", "if (x) y = 1 else ", "y = 2", "", " }"),
    ("function f() { ", "while (x) ", "break", "", " }"),
    ("probe begin { ", "foreach (k in a) ", "x = 1", "", " }"),
    ("probe begin { ", "for (;;) ", "break", "", " }"),
    ("probe begin { ", "try { ", "x = 1", " } catch { }", " }"),
    ("probe begin { x = ", "a[", "1", "]", " }"),
    ("probe begin { x = ", "f(", "1", ")", " }"),
    ("probe begin { x = ", "[", "1", "]", " in a }"),
    ("probe begin { x = ", "a ? b : ", "c", "", " }"),
    ("probe begin { ", "a = ", "1", "", " }"),
    ("probe begin { x = $x", "->m", "", "[1]", " }"),
    ("probe ", "{", "a", "}", " { }"),
    ("probe a", ".b", "", "(1)", " { }"),
    ("probe begin { x = ", '"a" ', "", "", " }"),
    ("", "%( 1 == 1 %? ", "probe begin { }", " %)", ""),
    ("", "%( 1 == 0 %? ", "probe begin { }", " %: probe end { } %)", ""),
    ("@define m %( @m %) probe begin { x = ", "@m ", "", "", " }"),
    ("probe begin { ", "/* c */ ", "x = 1", "", " }"),
    ("probe begin { ", "x = 1; ", "", "", " }"),
    ("", "global a ", "", "", ""),
    ("", "probe begin { } ", "", "", ""),
    ("probe begin { x = ", "(((", "1", ") + 1) * 2)", " }"),
)
# Flat operator chains: a long one makes a tree as deep as it is long (the
# parser refuses more than build.MAX_CHAIN operators).
DEEP_CHAIN_TEMPLATES = (
    ("probe begin { x = ", "1 + ", "1", "", " }"),
    ("probe begin { x = ", '"a" . ', '"b"', "", " }"),
    ("probe begin { x = ", "a && ", "b", "", " }"),
)
_MAX_CHAIN = 3000


@st.composite
def _deep_input(draw) -> str:
    if chance(draw, 5):
        before, unit, middle, closing, after = pick(draw, DEEP_CHAIN_TEMPLATES)
        n = draw(st.integers(1, _MAX_CHAIN))
    else:
        before, unit, middle, closing, after = pick(draw, DEEP_TEMPLATES)
        n = draw(st.integers(1, 1500))
    return before + unit * n + middle + closing * n + after


deep_inputs = _deep_input()
