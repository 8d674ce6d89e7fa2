"""One file being checked: what every semantic check reads, and where it reports.

The checker (checker.py) parses the file, makes a `CheckUnit`, and runs the
checks in order: probe points first (they say which alias variables and
target variables each probe has), then symbols and types, then statements.
A check reads the unit and its `model` (model.py: what earlier checks found),
and calls `unit.report(...)`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from ..diagnostics import Diagnostic, Related, Severity, Span
from ..syntax import ast
from .codes import SEMANTIC_CODES
from .model import SemanticModel

if TYPE_CHECKING:
    from ..syntax.parser import ParseResult
    from ..kernel.description import KernelDescription
    from ..tapsets.db import TapsetDB
    from ..tapsets.for_target import TargetView
    from .optimizer import Optimizer


@attrs.frozen
class KernelPoint:
    """One derived probe on the kernel that a kernel description can confirm
    (kernel.function, kprobe.function, kernel.trace), as probe_points.py resolved it."""

    group: str  # "kernel.function", "module.function", "kprobe" or "kernel.trace"
    name: str | None  # the function or tracepoint as written ("vfs_*"); None for an address or unknown text
    suffixes: tuple[str, ...]  # the components after it: ("return",), ("call",), ("callee", "return"), ...
    in_script: bool  # the point is written in the checked file (not in a tapset alias)
    via_alias: bool  # reached through an alias (of the script or the library)
    optional: bool  # a `?` or `!` point, or under one: a missing target is no error
    span: Span | None  # its argument in the checked file (else the point)
    sufficient: bool = False  # a `!` point: when it resolves, the declaration's later points are not tried
    module: str | None = None  # module(...).function / kprobe.module(...): the module ("" if not a literal)

    @property
    def is_return(self) -> bool:
        return "return" in self.suffixes


@attrs.define
class ProbeInfo:
    """What probe-point resolution found for one probe declaration (`probe P1, P2 { ... }`)."""

    # The variables the alias bodies set, that the handler sees: name -> type
    # ("long", "string", "unknown"), for the points that resolved.  Those of the script's
    # aliases are typed by the type checker, from the expansions that go through them.
    alias_variables: dict[str, str] = attrs.field(factory=dict)
    # The script's aliases the points go through (each once).
    script_aliases: list[ast.AliasDecl] = attrs.field(factory=list)
    # True when every point resolves to a .return probe (so $return and @entry work).
    all_return: bool = False
    # True when some point resolves to a family with target variables ($var):
    # kernel/module/process .function/.statement, kprobe, tracepoints, marks, netfilter, procfs ($value), ...
    has_target_variables: bool = True
    # The built-in families the points reach, by pattern (`procfs(string).read`).
    families: set[str] = attrs.field(factory=set)
    resolved: bool = True  # False when a point could not be resolved (errors were reported)
    # The kernel probes the points derive, and whether they are all the probes they derive
    # (then a kernel description knows every $variable the handler may use).
    kernel_points: list[KernelPoint] = attrs.field(factory=list)
    only_kernel_points: bool = False
    # A probe whose points are all optional and none resolves: stap drops it, and never
    # elaborates its handler (then `resolved` is False too: what it would see is not known).
    dropped: bool = False


@attrs.define
class CheckUnit:
    path: str
    result: "ParseResult"
    db: "TapsetDB"
    view: "TargetView"
    guru: bool
    privilege: str  # "stapusr", "stapsys" or "stapdev"
    explain_unverifiable: bool = False
    tapset: bool = False  # a file of the tapset library (no probes needed; guru mode)
    kernel: "KernelDescription | None" = None  # the target kernel, when one was given
    sysroot: str | None = None  # where the programs of process(...) points are looked for (--sysroot)
    diagnostics: list[Diagnostic] = attrs.field(factory=list)
    # What the checks find out, filled in one fixed order (see model.py).
    model: SemanticModel = attrs.field(factory=SemanticModel)

    # The model's tables, under the names the checks and rules have always read them by.
    @property
    def probes(self) -> dict[int, ProbeInfo]:
        """id(ast.ProbeDecl or ast.AliasDecl) -> ProbeInfo (filled by probe_points.check)."""
        return self.model.probes

    @property
    def c_types(self) -> dict[int, str]:
        return self.model.c_types

    @property
    def member_owners(self) -> dict[int, str]:
        return self.model.member_owners

    @property
    def kernel_contexts(self) -> dict[int, list]:
        return self.model.kernel_contexts

    @property
    def script(self) -> ast.Script:
        return self.result.script

    @property
    def text(self) -> str:
        return self.result.text

    def report(self, code: str, message: str, span: Span, *, severity: Severity | None = None,
               hints: tuple[str, ...] = (), related: tuple[Related, ...] = ()) -> None:
        info = SEMANTIC_CODES[code]
        self.diagnostics.append(Diagnostic(code, message, span, severity or info.severity, None,
                                           tuple(hints), tuple(related)))

    # -- what the script declares ------------------------------------------

    def script_globals(self) -> dict[str, ast.GlobalVar]:
        found: dict[str, ast.GlobalVar] = {}
        for item in self.script.items:
            if isinstance(item, ast.GlobalDecl):
                for var in item.variables:
                    found.setdefault(var.name, var)
        return found

    def script_functions(self) -> dict[str, list[ast.FunctionDecl]]:
        found: dict[str, list[ast.FunctionDecl]] = {}
        for item in self.script.items:
            if isinstance(item, ast.FunctionDecl):
                found.setdefault(item.name, []).append(item)
        return found

    def library_global(self, name: str):
        """The public tapset global of that name that exists for the target, if any."""
        return library_global(self.db, self.view, name)

    def is_global(self, name: str) -> bool:
        """A name the script declares global, or a public global of the tapset library."""
        return name in self.script_globals() or self.library_global(name) is not None


def library_global(db: "TapsetDB", view: "TargetView", name: str):
    """The public tapset global `name` of `db` that exists for the target `view` sees, if any."""
    for g in db.globals(name):
        if not g.private and view.reads(g.where.file) and view.holds(g.conditions):
            return g
    return None
