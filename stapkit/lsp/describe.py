"""Markdown for hovers, completion documentation and signature help: what stapkit knows of a name.

Tapset items are described from the database, as `stapkit db show` shows
them (its text, in a code block), plus the manual's description when the
local database was built with `--with-docs`; the script's own functions and
variables from the tree and the types the checker inferred.
"""

from __future__ import annotations

from ..syntax import ast
from ..tapsets.model import Function

# Our own one-line explanations of the language's keywords and @-operators.
KEYWORDS = {
    "probe": "declares a probe: `probe POINT[, POINT...] { handler }`, or an alias: `probe NAME = POINT { ... }`",
    "global": "declares variables shared by every probe and function of the session",
    "private": "makes a global or function visible only in its own file (SystemTap 3.0 and later)",
    "function": "defines a function: `function name[:type](arg[:type], ...) { ... }`",
    "if": "`if (condition) statement [else statement]`",
    "else": "the branch of an `if` taken when its condition is false",
    "for": "`for (init; condition; step) statement`",
    "foreach": "iterates over an array's keys: `foreach ([k1, k2] in array[+|-] [limit N]) statement`",
    "in": "tests for a key (`key in array`) or names the array a `foreach` walks",
    "limit": "stops a `foreach` after N iterations",
    "while": "`while (condition) statement`",
    "break": "leaves the innermost loop",
    "continue": "starts the next iteration of the innermost loop",
    "next": "leaves the probe handler (or function) at once",
    "return": "returns from a function, with a value if it has a return type",
    "delete": "removes an array element, empties an array, or resets a scalar or statistics variable",
    "try": "`try { ... } catch [(msg)] { ... }`: catches run-time errors",
    "catch": "the block run when the `try` block hits a run-time error; `msg` gets the error text",
    "string": "the string type, in a declaration: `function f:string(s:string)`",
    "long": "the 64-bit integer type, in a declaration: `function f:long(n:long)`",
}

AT_OPERATORS = {
    "@cast": ("@cast(pointer, \"type\" [, \"module\"])", "reads a pointer as a pointer to a C type, "
              "for `->member` access (the type comes from debuginfo or a header)"),
    "@var": ("@var(\"name[@cu]\" [, \"module\"])", "a global or static variable of the probed code"),
    "@defined": ("@defined(expression)", "1 if a context variable or member can be resolved here, 0 if not"),
    "@probewrite": ("@probewrite(variable)", "1 if the probe handler writes the variable"),
    "@entry": ("@entry(expression)", "in a .return probe: the expression's value at the function's entry"),
    "@perf": ("@perf(\"counter\")", "the value of a perf counter named in the probe point"),
    "@const": ("@const(\"C expression\")", "the value of a C constant or expression (guru mode)"),
    "@kregister": ("@kregister(number)", "a kernel register, by its DWARF number"),
    "@uregister": ("@uregister(number)", "a user-space register, by its DWARF number"),
    "@kderef": ("@kderef(size, address)", "reads size bytes of kernel memory"),
    "@uderef": ("@uderef(size, address)", "reads size bytes of user-space memory"),
    "@enum": ("@enum(\"name\")", "the value of a C enumerator"),
    "@enumname": ("@enumname(value, \"type\" [, \"module\"])", "the name of an enumerator"),
    "@count": ("@count(statistics)", "how many values were added with `<<<`"),
    "@sum": ("@sum(statistics)", "the sum of the values added"),
    "@min": ("@min(statistics)", "the smallest value added"),
    "@max": ("@max(statistics)", "the largest value added"),
    "@avg": ("@avg(statistics)", "the average of the values added"),
    "@variance": ("@variance(statistics [, bit_shift])", "the variance of the values added"),
    "@hist_linear": ("@hist_linear(statistics, start, stop, interval)",
                     "a histogram with buckets of equal width (print it, or index it by bucket)"),
    "@hist_log": ("@hist_log(statistics)", "a histogram with buckets of powers of two"),
    "@define": ("@define name[(param, ...)] %( body %)", "defines a macro, used as `@name(...)`"),
}

# printf conversions, in our words.
CONVERSIONS = {
    "d": "a signed decimal number", "i": "a signed decimal number", "u": "an unsigned decimal number",
    "x": "hexadecimal, lower case", "X": "hexadecimal, upper case", "o": "octal",
    "s": "a string", "c": "a character (a number as its character)", "p": "a pointer (an address, 0x...)",
    "b": "the number's bytes in binary (width: 1, 2, 4 or 8)",
    "m": "a string of memory at the address (the precision is its length)",
    "M": "memory at the address in hexadecimal (the precision is its length)",
    "%": "a literal %",
}

CONTEXT_VARIABLES = {
    "$$vars": "every parameter and local of the probed function, as text (`a=0x1 b=...`)",
    "$$locals": "the probed function's locals, as text",
    "$$parms": "the probed function's parameters, as text",
    "$$return": "in a .return probe: the return value as text (`return=0x...`)",
    "$return": "in a .return probe: the probed function's return value",
}

TYPE_NAMES = {"long": "long", "string": "string", "stats": "statistics", "unknown": "unknown type"}


def code_block(text: str, language: str = "systemtap") -> str:
    return f"```{language}\n{text}\n```"


def fenced_text(text: str) -> str:
    return f"```text\n{text.rstrip()}\n```"


def type_text(var_type) -> str:
    """`long`, `string`, `statistics`, or `array [long, string] of long`."""
    if var_type is None:
        return "unknown type"
    value = TYPE_NAMES.get(var_type.type, var_type.type)
    if var_type.arity:
        indexes = ", ".join(var_type.indexes) if var_type.indexes else ", ".join(["?"] * var_type.arity)
        return f"array [{indexes}] of {value}"
    return value


# ---------------------------------------------------------------- library items


def library_functions(db, name: str, functions: list[Function]) -> str:
    parts = [code_block("\n".join(f"function {_signature(f)}" for f in functions))]
    for f in functions:
        body = "embedded C" if f.embedded else "script"
        tags = f" · tags: {', '.join(f.tags)}" if f.tags else ""
        parts.append(f"callable by: **{f.privilege}**{tags} · {body} · defined at `{f.where}`")
    manual = db.manual("function", name)
    if manual is not None:
        parts += _manual(manual)
    return "\n\n".join(parts)


def _signature(f: Function) -> str:
    params = ", ".join(f"{p.name}:{p.type}" for p in f.params)
    returns = f":{f.return_type}" if f.return_type != "unknown" else ""
    return f"{f.name}{returns}({params})"


def signature_label(f: Function) -> str:
    return _signature(f)


def _manual(facts) -> list[str]:
    parts = []
    if facts.summary:
        parts.append(f"*{facts.summary}*")
    if facts.description:
        parts.append(facts.description)
    for item, text in facts.item_docs:
        parts.append(f"`{item}`: {text}")
    if facts.deprecated:
        since = f" since SystemTap {facts.deprecated_since}" if facts.deprecated_since else ""
        parts.append(f"The manual says it is deprecated{since}.")
    return parts


def probe_point(db, view, text: str) -> str:
    """A probe alias (or any name): what `stapkit db show` says of it, and the manual's description."""
    from ..tapsets.show import describe

    shown = describe(db, text, view)
    parts = [fenced_text(shown.text)]
    facts = db.manual("probe", text) if shown.known else None
    if facts is not None and facts.description:
        parts.append(facts.description)
    return "\n\n".join(parts)


def probe_families(families, written: str) -> str:
    """The built-in families a point matches."""
    parts = [code_block(written)]
    for family in families:
        needs = "needs debuginfo or symbols" if family.needs_debuginfo else "no debuginfo needed"
        side = {"session": "session", "kernel": "kernel", "user": "user space"}.get(family.side, family.side)
        privilege = "any user (stapusr)" if family.unprivileged else "stapdev or stapsys"
        guru = " · guru mode only" if family.guru_only else ""
        parts.append(f"built-in probe family `{family.pattern}` · {side} · {needs} · allowed for {privilege}{guru}"
                     f"\n\n{family.description}")
    return "\n\n".join(parts)


def library_global(db, g) -> str:
    kind = "array" if g.array else "global"
    value = TYPE_NAMES.get(g.type, g.type)
    return "\n\n".join([code_block(f"global {g.name}"),
                        f"tapset {kind} of {value} values · defined at `{g.where}`" if g.array else
                        f"tapset global · {value} · defined at `{g.where}`"])


def library_macro(macro) -> str:
    params = f"({', '.join(macro.params)})" if macro.params else ""
    return "\n\n".join([code_block(f"@define {macro.name}{params}"), f"library macro · defined at `{macro.where}`"])


# ---------------------------------------------------------------- the script's items


def script_function(decls: list[ast.FunctionDecl], types, positions) -> str:
    lines = []
    for decl in decls:
        known = types.functions.get(id(decl)) if types is not None else None
        params = []
        for k, p in enumerate(decl.params):
            t = p.type or (known.params[k] if known and k < len(known.params) else None)
            params.append(f"{p.name}:{t}" if t and t != "unknown" else p.name)
        returns = decl.return_type or (known.returns if known else None)
        head = f"{'private ' if decl.private else ''}function {decl.name}"
        head += f":{returns}" if returns and returns != "unknown" else ""
        lines.append(f"{head}({', '.join(params)})")
    where = ", ".join(f"line {positions.position(d.span.start).line + 1}" for d in decls)
    return "\n\n".join([code_block("\n".join(lines)), f"defined in this file at {where}"])


def script_macro(macro, positions) -> str:
    params = f"({', '.join(macro.params)})" if macro.params else ""
    body = " ".join(t.text for t in macro.body or ())
    parts = [code_block(f"@define {macro.name}{params} %( {body} %)")]
    parts.append(f"macro defined in this file at line {positions.position(macro.span.start).line + 1}")
    return "\n\n".join(parts)
