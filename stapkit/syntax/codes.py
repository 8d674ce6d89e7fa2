"""The codes of the diagnostics the syntax layer reports (STP0xx, and STP6xx for guru syntax).

Each code has a page in docs/rules/<CODE>.md.  The numbers are grouped:
STP00x lexical, STP01x–STP03x parse, STP04x preprocessor and macros,
STP05x files and arguments, STP06x language version, STP60x guru-only syntax.
"""

from __future__ import annotations

from typing import NamedTuple

from ..diagnostics import Severity


class CodeInfo(NamedTuple):
    code: str
    name: str  # kebab-case name of the problem
    severity: Severity
    summary: str


# Lexical
INVALID_CHARACTER = "STP001"
UNTERMINATED_STRING = "STP002"
UNTERMINATED_EMBEDDED = "STP003"
UNTERMINATED_COMMENT = "STP004"
INVALID_NUMBER = "STP005"
EMBEDDED_CLOSE_TYPO = "STP006"

# Parse
SYNTAX_ERROR = "STP010"
UNEXPECTED_EOF = "STP011"
RETURN_OUTSIDE_FUNCTION = "STP012"
INVALID_PRINT_FORMAT = "STP013"
INVALID_PRINT_CALL = "STP014"
MISPLACED_HISTOGRAM = "STP015"
UNKNOWN_OPERATOR = "STP016"
INVALID_PROBE_POINT = "STP017"
INVALID_DECLARATION = "STP018"
INVALID_EXPRESSION = "STP019"
INVALID_OPERATOR_ARGUMENT = "STP020"

# Preprocessor and macros
INVALID_CONDITIONAL = "STP040"
INVALID_CONDITION = "STP041"
INVALID_MACRO_DEFINITION = "STP042"
INVALID_MACRO_INVOCATION = "STP043"
MACRO_REDEFINES_OPERATOR = "STP044"
MACRO_LIBRARY_ERROR = "STP045"
MACRO_EXPANSION_TOO_LARGE = "STP046"
BRANCHES_NOT_CHECKED = "STP047"

# Files and arguments
EMPTY_FILE = "STP050"
UNREADABLE_FILE = "STP051"
BINARY_FILE = "STP052"
INVALID_UTF8 = "STP053"
ARGUMENT_OUT_OF_RANGE = "STP054"
TAPSET_FILE_ERROR = "STP055"
GLUED_ARGUMENT = "STP056"

# Language version
NEWER_LANGUAGE_FEATURE = "STP060"
NEWER_THAN_RELEASE = "STP061"

# Guru-only syntax
EMBEDDED_C_NEEDS_GURU = "STP601"
GURU_OPERATOR_NEEDS_GURU = "STP602"


CODES: dict[str, CodeInfo] = {
    info.code: info
    for info in (
        CodeInfo(INVALID_CHARACTER, "invalid-character", Severity.ERROR,
                 "a character that is not part of the SystemTap language"),
        CodeInfo(UNTERMINATED_STRING, "unterminated-string", Severity.ERROR,
                 "a string literal with no closing quote on its line"),
        CodeInfo(UNTERMINATED_EMBEDDED, "unterminated-embedded-c", Severity.ERROR,
                 "an embedded-C block '%{' with no closing '%}'"),
        CodeInfo(UNTERMINATED_COMMENT, "unterminated-comment", Severity.WARNING,
                 "a '/*' comment with no closing '*/'"),
        CodeInfo(INVALID_NUMBER, "invalid-number", Severity.ERROR,
                 "a number literal that is malformed or out of the 64-bit range"),
        CodeInfo(EMBEDDED_CLOSE_TYPO, "embedded-close-typo", Severity.WARNING,
                 "'}%' inside embedded C, probably meant as the closing '%}'"),
        CodeInfo(SYNTAX_ERROR, "syntax-error", Severity.ERROR,
                 "a token the grammar does not allow where it stands"),
        CodeInfo(UNEXPECTED_EOF, "unexpected-end-of-file", Severity.ERROR,
                 "the file ends inside a declaration or block"),
        CodeInfo(RETURN_OUTSIDE_FUNCTION, "return-outside-function", Severity.ERROR,
                 "'return' in a probe handler"),
        CodeInfo(INVALID_PRINT_FORMAT, "invalid-print-format", Severity.ERROR,
                 "a printf-family format string with a bad conversion"),
        CodeInfo(INVALID_PRINT_CALL, "invalid-print-call", Severity.ERROR,
                 "a print-family call without its literal format or delimiter, or with too few arguments"),
        CodeInfo(MISPLACED_HISTOGRAM, "misplaced-histogram", Severity.ERROR,
                 "@hist_linear/@hist_log used where a value is expected"),
        CodeInfo(UNKNOWN_OPERATOR, "unknown-operator", Severity.ERROR,
                 "an @word that is neither a built-in operator nor a known macro"),
        CodeInfo(INVALID_PROBE_POINT, "invalid-probe-point", Severity.ERROR,
                 "a probe point whose '?', '!', 'if' or alias name is misplaced"),
        CodeInfo(INVALID_DECLARATION, "invalid-declaration", Severity.ERROR,
                 "a global or function declaration that stap rejects"),
        CodeInfo(INVALID_EXPRESSION, "invalid-expression", Severity.ERROR,
                 "an operator combination that stap's grammar does not allow"),
        CodeInfo(INVALID_OPERATOR_ARGUMENT, "invalid-operator-argument", Severity.ERROR,
                 "an @operator given an argument of the wrong kind"),
        CodeInfo(INVALID_CONDITIONAL, "invalid-conditional", Severity.ERROR,
                 "a malformed '%( %? %: %)' preprocessor conditional"),
        CodeInfo(INVALID_CONDITION, "invalid-condition", Severity.ERROR,
                 "a preprocessor condition stap cannot evaluate"),
        CodeInfo(INVALID_MACRO_DEFINITION, "invalid-macro-definition", Severity.ERROR,
                 "a malformed or repeated '@define'"),
        CodeInfo(INVALID_MACRO_INVOCATION, "invalid-macro-invocation", Severity.ERROR,
                 "a macro called with the wrong number of arguments"),
        CodeInfo(MACRO_REDEFINES_OPERATOR, "macro-redefines-operator", Severity.WARNING,
                 "a macro named like a built-in @operator"),
        CodeInfo(MACRO_LIBRARY_ERROR, "macro-library-error", Severity.WARNING,
                 "a library macro file (.stpm) that stap would skip"),
        CodeInfo(MACRO_EXPANSION_TOO_LARGE, "macro-expansion-too-large", Severity.ERROR,
                 "macros that expand to more tokens than any real script (exponential expansion)"),
        CodeInfo(BRANCHES_NOT_CHECKED, "branches-not-checked", Severity.INFO,
                 "conditional branches the target does not take that were too many to check"),
        CodeInfo(EMPTY_FILE, "empty-file", Severity.ERROR,
                 "a script with no declarations (for the target); a warning for a tapset file"),
        CodeInfo(UNREADABLE_FILE, "unreadable-file", Severity.ERROR,
                 "a file that cannot be read"),
        CodeInfo(BINARY_FILE, "binary-file", Severity.ERROR,
                 "a file that is not text"),
        CodeInfo(INVALID_UTF8, "invalid-utf8", Severity.WARNING,
                 "bytes that are not valid UTF-8"),
        CodeInfo(ARGUMENT_OUT_OF_RANGE, "argument-out-of-range", Severity.ERROR,
                 "a $N/@N command-line argument that was not given"),
        CodeInfo(TAPSET_FILE_ERROR, "tapset-file-error", Severity.WARNING,
                 "a tapset file of an -I directory that stap skips (it does not parse)"),
        CodeInfo(GLUED_ARGUMENT, "glued-argument", Severity.ERROR,
                 "letters right after a $N command-line argument ($12A3), which stap reads as one token with it"),
        CodeInfo(NEWER_LANGUAGE_FEATURE, "newer-language-feature", Severity.ERROR,
                 "syntax that the target SystemTap version does not know"),
        CodeInfo(NEWER_THAN_RELEASE, "newer-than-release", Severity.ERROR,
                 "syntax that came in a later SystemTap release than the one targeted"),
        CodeInfo(EMBEDDED_C_NEEDS_GURU, "embedded-c-needs-guru", Severity.ERROR,
                 "embedded C in a script that is not in guru mode"),
        CodeInfo(GURU_OPERATOR_NEEDS_GURU, "guru-operator-needs-guru", Severity.ERROR,
                 "@const, @kregister or @kderef in a script that is not in guru mode"),
    )
}
