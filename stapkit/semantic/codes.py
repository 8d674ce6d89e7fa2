"""The codes of the diagnostics the semantic checker reports (stap's pass 2, offline).

STP1xx symbols, types and statements; STP2xx probe points; STP3xx context
variables; STP4xx versions; STP6xx privilege.  Each code has a page in
docs/rules/<CODE>.md.  Numbers by module: STP101-119 and STP130-139 symbols
and types (type_check.py); STP120-129 statements (statements.py);
STP2xx and STP302-309 probe points and their context (probe_points.py);
STP211-212 and STP320-329 kernel probes and $variables against a kernel
description (kernel_targets.py); STP213-219 and STP330-339 process(...) points and
$argN against the programs they name (userspace/codes.py, userspace/points.py);
STP301 and STP310-319 locals and alias variables (type_check.py); STP401 probes
and STP402 functions; STP603-609 privilege.
"""

from __future__ import annotations

from ..diagnostics import Severity
from ..syntax.codes import CodeInfo
from ..userspace.codes import USERSPACE_CODES

# -- symbols and types (type_check.py)
UNRESOLVED_FUNCTION = "STP101"
FUNCTION_ARITY = "STP102"
UNDECLARED_ARRAY = "STP103"
INCONSISTENT_ARITY = "STP104"
TYPE_MISMATCH = "STP105"
UNRESOLVED_TYPE = "STP106"
INVALID_TYPE = "STP107"
LOCAL_ARRAY_OR_STATS = "STP108"
WRAPPED_SCALAR = "STP109"
PRINT_ARGUMENTS = "STP110"
LIBRARY_PROTOTYPE = "STP113"
AGGREGATE_IN_EMBEDDED_C = "STP111"
NO_PROBES = "STP130"

# -- statements (statements.py)
LOOP_CONTROL_OUTSIDE_LOOP = "STP120"
MISPLACED_WILDCARD_INDEX = "STP121"
MODIFIED_DURING_FOREACH = "STP122"
NOT_AN_LVALUE = "STP123"
INVALID_PROBE_CONDITION = "STP124"
INVALID_REGEX = "STP125"

# -- probe points (probe_points.py)
UNKNOWN_PROBE_POINT = "STP201"
PROBE_ARGUMENT_KIND = "STP202"
INCOMPLETE_PROBE_POINT = "STP203"
ALIAS_RECURSION = "STP204"
PROBE_ARGUMENT_VALUE = "STP205"
TOO_MANY_PROBE_POINTS = "STP206"
PROBE_POINT_TOO_COSTLY = "STP207"
UNVERIFIABLE_PROBE_POINT = "STP210"
UNKNOWN_KERNEL_FUNCTION = "STP211"  # kernel_targets.py (with a kernel description)
UNKNOWN_TRACEPOINT = "STP212"

# -- context variables
NEVER_ASSIGNED_LOCAL = "STP301"  # type_check.py
RETURN_VALUE_OUTSIDE_RETURN_PROBE = "STP302"  # probe_points.py
TARGET_WRITE_NEEDS_GURU = "STP303"
PRETTY_PRINT_WRITE = "STP304"
PROCFS_VALUE_MISUSE = "STP305"
NO_TARGET_VARIABLES_HERE = "STP306"
# -- context variables against a kernel description (kernel_targets.py)
UNKNOWN_TARGET_VARIABLE = "STP320"
UNKNOWN_MEMBER = "STP321"
MEMBER_OF_NON_STRUCT = "STP322"
DOT_INSTEAD_OF_ARROW = "STP323"
RETURN_OF_VOID_FUNCTION = "STP324"
UNKNOWN_CAST_TYPE = "STP325"
# -- autocast: C types through values (autocast.py)
UNTYPED_DEREFERENCE = "STP326"
HEADER_TYPES_UNAVAILABLE = "STP327"

# -- versions
DEPRECATED_PROBE = "STP401"  # probe_points.py
DEPRECATED_FUNCTION = "STP402"  # type_check.py

# -- privilege
GURU_FUNCTION = "STP603"  # type_check.py
GURU_PROBE_POINT = "STP604"  # probe_points.py
UNPRIVILEGED_FUNCTION = "STP605"  # type_check.py


# Findings that hold for the kernel description given (--kernel-btf), not for every kernel a
# script may run on: unlike stap's other errors, these can be ignored and suppressed.
KERNEL_DEPENDENT = frozenset({UNKNOWN_KERNEL_FUNCTION, UNKNOWN_TRACEPOINT, UNKNOWN_TARGET_VARIABLE, UNKNOWN_MEMBER,
                              MEMBER_OF_NON_STRUCT, DOT_INSTEAD_OF_ARROW, RETURN_OF_VOID_FUNCTION,
                              UNKNOWN_CAST_TYPE}) | frozenset(USERSPACE_CODES)  # and the programs' (userspace/codes.py)


def _e(code, name, summary, severity=Severity.ERROR) -> CodeInfo:
    return CodeInfo(code, name, severity, summary)


SEMANTIC_CODES: dict[str, CodeInfo] = {
    info.code: info
    for info in (
        _e(UNRESOLVED_FUNCTION, "unresolved-function", "a call to a function neither the script nor the tapset library defines"),
        _e(FUNCTION_ARITY, "function-arity", "a call with a number of arguments no overload of the function takes"),
        _e(UNDECLARED_ARRAY, "undeclared-array", "an indexed variable with no global declaration"),
        _e(INCONSISTENT_ARITY, "inconsistent-arity", "an array used with different numbers of indexes, or as a scalar"),
        _e(TYPE_MISMATCH, "type-mismatch", "a value of one type where the context needs another"),
        _e(UNRESOLVED_TYPE, "unresolved-type", "a variable or expression whose type nothing determines"),
        _e(INVALID_TYPE, "invalid-type", "a statistics value used as a number or string, or a value used as statistics"),
        _e(LOCAL_ARRAY_OR_STATS, "local-array-or-statistics", "a local variable used as an array or as statistics"),
        _e(WRAPPED_SCALAR, "wrapped-scalar", "'%' (wrap) on a global that is not an array"),
        _e(PRINT_ARGUMENTS, "print-arguments", "a printf-family call whose arguments do not match its format"),
        _e(AGGREGATE_IN_EMBEDDED_C, "aggregate-in-embedded-c", "a statistics global read or written by embedded C"),
        _e(LIBRARY_PROTOTYPE, "library-prototype-mismatch",
           "a script function named like a library function (a callback such as tcpmib_filter_key) "
           "whose parameters differ from the library's", Severity.WARNING),
        _e(NO_PROBES, "no-probes", "a script with no probe to run"),
        _e(LOOP_CONTROL_OUTSIDE_LOOP, "loop-control-outside-loop", "'break' or 'continue' outside a loop"),
        _e(MISPLACED_WILDCARD_INDEX, "misplaced-wildcard-index", "a '*' index outside delete, 'in' and foreach"),
        _e(MODIFIED_DURING_FOREACH, "modified-during-foreach", "an array changed inside a foreach over it"),
        _e(NOT_AN_LVALUE, "not-an-lvalue", "an assignment, ++/-- or delete of something that cannot be written"),
        _e(INVALID_PROBE_CONDITION, "invalid-probe-condition", "a probe 'if' condition that uses more than globals, or has side effects"),
        _e(INVALID_REGEX, "invalid-regex", "a regular expression stap cannot compile"),
        _e(UNKNOWN_PROBE_POINT, "unknown-probe-point", "a probe point that is no built-in family and no alias"),
        _e(PROBE_ARGUMENT_KIND, "probe-argument-kind", "a probe point argument of the wrong kind, or one missing or extra"),
        _e(INCOMPLETE_PROBE_POINT, "incomplete-probe-point", "a probe point that stops short of a probe, or has a suffix nothing takes"),
        _e(ALIAS_RECURSION, "alias-recursion", "a probe alias that expands to itself"),
        _e(PROBE_ARGUMENT_VALUE, "probe-argument-value", "a probe point argument out of range (timer interval, procfs path, ...)"),
        _e(TOO_MANY_PROBE_POINTS, "too-many-probe-points",
           "a probe point whose brace groups stand for more points than stapkit builds", Severity.WARNING),
        _e(PROBE_POINT_TOO_COSTLY, "probe-point-too-costly",
           "a probe point whose resolution through wildcards and aliases exceeds stapkit's budget"),
        _e(UNVERIFIABLE_PROBE_POINT, "unverifiable-probe-point",
           "a probe point whose target (kernel function, module, binary) only the target system can confirm",
           Severity.INFO),
        _e(UNKNOWN_KERNEL_FUNCTION, "unknown-kernel-function",
           "with a kernel description: a kernel.function or kprobe.function the kernel does not have",
           Severity.WARNING),
        _e(UNKNOWN_TRACEPOINT, "unknown-tracepoint",
           "with a kernel description: a kernel.trace tracepoint the kernel does not have", Severity.WARNING),
        _e(UNKNOWN_TARGET_VARIABLE, "unknown-target-variable",
           "with a kernel description: a $variable that is no parameter of the probed function or tracepoint"),
        _e(UNKNOWN_MEMBER, "unknown-member",
           "->member that the struct does not have (with a kernel description, or a @cast to C header types)"),
        _e(MEMBER_OF_NON_STRUCT, "member-of-non-struct",
           "with a kernel description: ->member or [index] on a value that has no members or elements"),
        _e(DOT_INSTEAD_OF_ARROW, "dot-instead-of-arrow",
           "'$p . member': '.' joins strings; members are read with '->'"),
        _e(RETURN_OF_VOID_FUNCTION, "return-of-void-function",
           "with a kernel description: $return in a .return probe of a function that returns nothing"),
        _e(UNKNOWN_CAST_TYPE, "unknown-cast-type",
           "with a kernel description: @cast to a type the kernel's BTF does not have", Severity.WARNING),
        _e(UNTYPED_DEREFERENCE, "untyped-dereference",
           "'->' on a value that carries no C type (stap: unknown type in dereference)"),
        _e(HEADER_TYPES_UNAVAILABLE, "header-types-unavailable",
           "C headers named by @cast that cannot be compiled here, so their types are not checked", Severity.INFO),
        _e(NEVER_ASSIGNED_LOCAL, "never-assigned-local", "a local variable read but never set", Severity.WARNING),
        _e(RETURN_VALUE_OUTSIDE_RETURN_PROBE, "return-value-outside-return-probe", "$return or @entry in a probe that is not a .return probe"),
        _e(TARGET_WRITE_NEEDS_GURU, "target-write-needs-guru", "a write to a target variable without guru mode"),
        _e(PRETTY_PRINT_WRITE, "pretty-print-write", "a write to a pretty-printed target variable ($var$, $$vars)"),
        _e(PROCFS_VALUE_MISUSE, "procfs-value-misuse", "$value of a procfs probe used in a way its probe does not allow"),
        _e(NO_TARGET_VARIABLES_HERE, "no-target-variables-here", "a $variable in a probe that has none (begin, timer, ...)"),
        _e(DEPRECATED_PROBE, "deprecated-probe", "a probe point the target SystemTap version no longer has", Severity.WARNING),
        _e(DEPRECATED_FUNCTION, "deprecated-function", "a function the target SystemTap version no longer has", Severity.WARNING),
        _e(GURU_FUNCTION, "guru-function", "a call to a tapset function that needs guru mode (-g)"),
        _e(GURU_PROBE_POINT, "guru-probe-point", "a probe point that needs guru mode (-g)"),
        _e(UNPRIVILEGED_FUNCTION, "privileged-function", "a call to a function the script's --privilege level may not use"),
    )
} | USERSPACE_CODES  # process(...) points against their programs (userspace/codes.py)
