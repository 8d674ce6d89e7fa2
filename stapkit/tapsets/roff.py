"""A small roff reader: the subset used by SystemTap's 3stap manual pages.

The per-item pages (`probe::*`, `function::*`, ...) are generated from DocBook
by the DocBook XSL stylesheets; `tapset::*`, `stapprobes`, `stapvars` and
`stapfuncs` are written by hand.  Between them they use the man macros
(.TH .SH .SS .PP .P .IP .TP .RS .RE .B .I .BR .IR ...), a few requests
(.sp .br .nf .fi .de .TS/.TE ...), font escapes (\\fB \\fI \\fR \\fP), special
characters (\\(aq \\(lq \\(em ...) and the string \\*(Aq.  This module turns
that into plain text; it is not a typesetter: no filling to a width, no
hyphenation, indentation is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Special characters \(xx and \[xx] that these pages use, and a few common neighbours.
# Quotes come out as plain ASCII so the text can be searched and compared easily.
_SPECIAL_CHARS = {
    "aq": "'", "dq": '"', "lq": '"', "rq": '"', "oq": "'", "cq": "'",
    "em": "--", "en": "-", "hy": "-", "mi": "-", "bu": "*", "ga": "`", "ti": "~",
    "ha": "^", "rs": "\\", "sl": "/", "pl": "+", "eq": "=", "lt": "<", "gt": ">",
    "co": "(C)", "rg": "(R)", "tm": "(TM)", "mu": "x", "de": " deg", "Fo": "<<", "Fc": ">>",
}

# Strings \*x, \*(xx and \*[name].  The DocBook pages define only Aq (as \(aq, or
# ' when not run by groff); unknown strings expand to nothing, as in troff.
_STRINGS = {"Aq": "'"}

# Escapes that print a character (\- \e \\ ...) or nothing (\& \% ...).
_SIMPLE_ESCAPES = {
    "-": "-", "e": "\\", "\\": "\\", "E": "\\", ".": ".", "'": "'", "`": "`",
    " ": " ", "~": " ", "0": " ", "t": "\t",
    "&": "", "%": "", "|": "", "^": "", ":": "", "c": "", ")": "", "/": "", ",": "",
}

_ESCAPE = re.compile(
    r"""\\(?:
        "(?P<comment>.*)                             # \" comment to the end of the line
      | f(?P<font>\(..|\[[^\]]*\]|.)                 # font change
      | \((?P<char2>..)                               # special character \(xx
      | \[(?P<charn>[^\]]*)\]                         # special character \[name]
      | \*(?P<string>\(..|\[[^\]]*\]|.)               # string
      | n[+-]?(?P<register>\(..|\[[^\]]*\]|.)?        # number register (read as empty)
      | s[+-]?(?:\(\d\d|\[\d+\]|\d)                   # size change
      | [hvwlLoDxXbZNRS]'[^']*'                       # escapes with a quoted argument
      | (?P<other>.)                                  # anything else: itself, or a known escape
    )""",
    re.VERBOSE,
)


def _replace_escape(match: re.Match[str]) -> str:
    if match.group("comment") is not None or match.group("font") is not None:
        return ""
    if match.group("register") is not None or match.lastgroup is None:
        return ""
    if (name := match.group("char2")) is not None:
        return _SPECIAL_CHARS.get(name, "")
    if (name := match.group("charn")) is not None:
        return _SPECIAL_CHARS.get(name, "")
    if (name := match.group("string")) is not None:
        return _STRINGS.get(name.removeprefix("(").strip("[]"), "")
    other = match.group("other")
    if other is not None:
        return _SIMPLE_ESCAPES.get(other, other)
    return ""


def unescape(text: str) -> str:
    """Plain text of one roff line or argument: escapes resolved, fonts dropped."""
    if "\\" not in text:
        return text
    return _ESCAPE.sub(_replace_escape, text)


def is_request(line: str) -> bool:
    """Does the line start with a control character ('.' or "'")?"""
    return line.startswith((".", "'"))


def is_comment(line: str) -> bool:
    """A comment line: `.\\" ...` or `'\\" ...`."""
    return line.startswith(('.\\"', "'\\\""))


def split_request(line: str) -> tuple[str, list[str]]:
    """The name and raw arguments of a request line: `.IR foo " bar"` -> ("IR", ["foo", " bar"]).

    Arguments follow roff's rules: separated by spaces, a double-quoted
    argument may contain spaces, and "" inside quotes is one quote.  The
    arguments keep their escapes (`unescape` them as needed).
    """
    body = line[1:].lstrip(" \t")
    match = re.match(r"[^\s\\]*", body)
    name = match.group(0) if match else ""
    rest = body[len(name):]
    if rest.startswith('\\"'):
        return name, []
    return name, split_arguments(rest)


# One argument: "quoted" ("" is a quote inside), or a run of non-blanks (`\ ` does not end it).
_ARGUMENT = re.compile(r'[ \t]*(?:"(?P<quoted>(?:[^"]|"")*)(?:"|$)|(?P<plain>(?:\\.|[^ \t\\]|\\$)+))')


def split_arguments(text: str) -> list[str]:
    args: list[str] = []
    position = 0
    while True:
        match = _ARGUMENT.match(text, position)
        if match is None or match.end() == position:
            return args
        plain = match.group("plain")
        if plain is not None and plain.startswith('\\"'):
            return args  # the rest is a comment
        args.append(plain if plain is not None else match.group("quoted").replace('""', '"'))
        position = match.end()


def macro_text(name: str, args: list[str]) -> str | None:
    """The text a font macro prints (.B .I .BR .IR ...), or None for other requests."""
    if name in ("B", "I", "SM", "SB"):
        return " ".join(unescape(a) for a in args)
    if name in ("BR", "RB", "IR", "RI", "BI", "IB"):
        # alternating fonts: the arguments are printed with no space between them
        return "".join(unescape(a) for a in args)
    return None


def highlighted_arguments(name: str, args: list[str]) -> list[str]:
    """The arguments a font macro sets in bold or italic (for .IR, the 1st, 3rd, ...)."""
    if name in ("B", "I", "SB"):
        return [unescape(a) for a in args]
    if name in ("BR", "IR", "BI", "IB"):
        return [unescape(a) for a in args[0::2]]
    if name in ("RB", "RI"):
        return [unescape(a) for a in args[1::2]]
    return []


# Requests and macros that end a paragraph.
_BREAKS = frozenset({"PP", "P", "LP", "IP", "TP", "HP", "sp", "br", "SH", "SS", "in", "ti"})
# No-fill on/off; SAMPLE/ESAMPLE are macros stapprobes(3stap) defines as `.nf`/`.fi` blocks.
_NOFILL_ON = frozenset({"nf", "SAMPLE", "EX"})
_NOFILL_OFF = frozenset({"fi", "ESAMPLE", "EE"})


def to_text(lines: Iterable[str]) -> str:
    """Plain text of roff body lines: paragraphs separated by blank lines.

    Filled text is joined into one line a paragraph; no-fill blocks (.nf,
    tables) keep their lines.  A .TP tag line and an .IP tag get a line of
    their own.  Unknown requests are ignored.
    """
    out = _TextBuilder()
    in_table_format = False  # between .TS and its format line (the one ending with '.')
    in_table = False
    in_definition = False  # .de NAME ... ..
    for raw in lines:
        line = raw.rstrip("\n")
        if in_definition:
            in_definition = not line.startswith("..")
            continue
        if in_table_format:
            if line.rstrip().endswith("."):
                in_table_format, in_table = False, True
            continue
        if not is_request(line):
            text = unescape(line)
            if in_table:
                out.verbatim("  ".join(text.split("\t")))
            elif out.nofill:
                out.verbatim(text)
            elif text.strip():
                out.text(text)
            else:
                out.flush()  # a blank line is a paragraph break in roff
            continue
        name, args = split_request(line)
        if in_table:
            in_table = name != "TE"
        elif name == "de":
            in_definition = True
        elif name == "TS":
            out.flush()
            in_table_format = True
        elif name in _NOFILL_ON or name in _NOFILL_OFF:
            out.flush()
            out.nofill = name in _NOFILL_ON
        elif name in _BREAKS:
            out.flush()
            if name in ("SH", "SS") and args:
                out.paragraphs.append(" ".join(unescape(a) for a in args).strip())
            elif name == "TP":
                out.tag_pending = True
            elif name == "IP" and args and unescape(args[0]).strip():
                out.text(unescape(args[0]))
        elif (text := macro_text(name, args)):
            if out.nofill:
                out.verbatim(text)
            else:
                out.text(text)
    out.flush()
    return "\n\n".join(p for p in out.paragraphs if p.strip())


class _TextBuilder:
    """Collects paragraphs: filled words, or the lines of a no-fill block."""

    def __init__(self) -> None:
        self.paragraphs: list[str] = []
        self.words: list[str] = []
        self.lines: list[str] = []
        self.nofill = False
        self.tag_pending = False  # the next text is a .TP tag: a line of its own

    def text(self, text: str) -> None:
        self.words.append(text)
        if self.tag_pending:
            self.tag_pending = False
            self.flush()

    def verbatim(self, line: str) -> None:
        self.lines.append(line.rstrip())

    def flush(self) -> None:
        if self.words:
            self.paragraphs.append(" ".join(" ".join(self.words).split()))
            self.words.clear()
        if self.lines:
            while self.lines and not self.lines[-1]:
                self.lines.pop()
            if self.lines:
                self.paragraphs.append("\n".join(self.lines))
            self.lines.clear()
