"""What the tapset database holds: plain facts about one SystemTap release's library.

Every item says where it is defined (a file relative to the tapset root, and
a line) and under which `%( %)` conditions it exists.  A condition is kept
as the text of the conditional's test, negated for an `%:` branch, so that
it can be shown to a user and evaluated again for any target
(`Conditions.holds`).  The types are SystemTap's: "long", "string",
"stats", or "unknown" when neither the declaration nor inference says.
"""

from __future__ import annotations

import attrs

LONG = "long"
STRING = "string"
STATS = "stats"
UNKNOWN = "unknown"

# A conjunction of condition texts: every one must hold.  () always holds.
Conjunction = tuple[str, ...]


@attrs.frozen
class Where:
    """A definition's place: a file relative to the tapset root, and a 1-based line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@attrs.frozen
class ExpansionPoint:
    """One probe point an alias expands to, as written in the alias definition."""

    text: str  # `kernel.function("vfs_read").return`, arguments as stap prints them
    optional: bool = False  # `?` (also set by `!`)
    sufficient: bool = False  # `!`
    condition: str | None = None  # the text of `if (...)`, if any
    # The `%( %)` conditions inside the alias definition that this point sits under.
    conditions: Conjunction = ()

    def spelled(self) -> str:
        """The point as `stap --dump-probe-aliases` prints it: `dw_syscall.open!`."""
        mark = "!" if self.sufficient else "?" if self.optional else ""
        tail = f" if ({self.condition})" if self.condition else ""
        return self.text + mark + tail


@attrs.frozen
class ProbeVariable:
    """A variable the alias body sets: a context variable of every probe on the alias."""

    name: str
    type: str
    line: int
    # The alias body sets it only when one of these holds; () means always.
    conditions: tuple[Conjunction, ...] = ()


@attrs.frozen
class ProbeAlias:
    """`probe NAME = POINTS { body }` (prologue) or `probe NAME += POINTS { body }` (epilogue)."""

    name: str
    epilogue: bool  # defined with `+=`
    where: Where
    conditions: Conjunction = ()
    points: tuple[ExpansionPoint, ...] = ()
    variables: tuple[ProbeVariable, ...] = ()

    def expansion(self, holds=None) -> str:
        """The points joined as stap prints them, keeping those whose conditions hold."""
        points = [p for p in self.points if holds is None or holds(p.conditions)]
        return ", ".join(p.spelled() for p in points)


@attrs.frozen
class Parameter:
    name: str
    type: str
    declared: bool = False  # written `name:type` (else inferred)


@attrs.frozen
class Function:
    """A function of the library (one overload: stap allows several of a name)."""

    name: str
    params: tuple[Parameter, ...]
    return_type: str  # "unknown" for a function that returns nothing
    return_declared: bool
    where: Where
    conditions: Conjunction = ()
    private: bool = False  # `private function`: visible in its own file only
    embedded: bool = False  # its body is embedded C
    # Pragmas of its embedded C: unprivileged, myproc-unprivileged, guru, pure, stable, bpf, ...
    tags: tuple[str, ...] = ()
    priority: int | None = None  # `: N` after the parameters
    # Private only from this SystemTap version on (`@__private30 function`: private for 3.0+,
    # public with --compatible=2.9 and older); None when `private` does not depend on it.
    private_since: str | None = None

    @property
    def privilege(self) -> str:
        """Who may call it: "unprivileged", "myproc-unprivileged", "guru" or "stapdev"."""
        for tag in ("guru", "unprivileged", "myproc-unprivileged"):
            if tag in self.tags:
                return tag
        return "stapdev" if self.embedded else "unprivileged"

    def signature(self) -> str:
        """`name:type (arg:type, ...)` as `stap --dump-functions` prints it."""
        params = ", ".join(f"{p.name}:{p.type}" for p in self.params)
        return f"{self.name}:{self.return_type} ({params})"


@attrs.frozen
class Global:
    name: str
    private: bool
    where: Where
    conditions: Conjunction
    array: bool  # declared with a size or used with an index
    type: str  # the value type, where an initializer or the library's use says


@attrs.frozen
class Macro:
    """A library macro (`@define` in a `.stpm` file)."""

    name: str
    params: tuple[str, ...]
    where: Where
    conditions: Conjunction


@attrs.frozen
class ManualFacts:
    """What a reference manual page says about an item: facts, and prose only in a user-local DB."""

    kind: str  # "probe", "function", "macro" or "tapset"
    name: str
    page: str  # the page's file name, e.g. "probe::socket.send.3stap.gz"
    chapter: str | None  # the tapset chapter, e.g. "Socket Tapset"
    tapsets: tuple[str, ...] = ()
    signatures: tuple[str, ...] = ()  # functions and macros: `ip_ntop:string(addr:long)`
    arguments: tuple[str, ...] = ()  # functions and macros: documented arguments
    variables: tuple[str, ...] = ()  # probes: documented variables
    deprecated_variables: tuple[tuple[str, str | None], ...] = ()
    deprecated: bool = False
    deprecated_since: str | None = None
    removed_since: str | None = None
    members: tuple[tuple[str, str], ...] = ()  # tapset pages: (kind, name) of what they list
    # Prose, only in a DB built with --with-docs (never in the shipped one):
    summary: str | None = None
    description: str | None = None
    item_docs: tuple[tuple[str, str], ...] = ()  # (variable or argument, its description)


@attrs.frozen
class LibraryItems:
    """The items of a tapset directory, read from its sources (semantic/library.py reads them)."""

    files: tuple[str, ...]
    aliases: tuple[ProbeAlias, ...]
    functions: tuple[Function, ...]
    globals: tuple[Global, ...]
    macros: tuple[Macro, ...]
    problems: tuple[tuple[str, str], ...]  # (file, "line:col: message")
