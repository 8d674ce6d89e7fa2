"""Reading the tapset library's sources with stapkit's own parser, every branch included.

stap reads a tapset file for one target: the `%( %)` branches it does not
take are skipped.  The database must know the items of every branch (the
deprecated `%( systemtap_v <= "2.1" %?` ones, those of old kernels, of
other architectures), so each file is parsed for the default target and
then again for targets that take the other branches (the same search as the
parser's untaken-branch check, `AlternativeRuns`).  A declaration is known
by its offset in the file, so the runs agree on which item is which; each
item records the conditions of the branches around it.
"""

from __future__ import annotations

from pathlib import Path

import attrs

from ..syntax import ast
from ..syntax.alternatives import AlternativeRuns, declarations_reaching
from ..syntax.feeder import split_declarations
from ..syntax.lexer import lex
from ..syntax.parser import FileParse
from ..syntax.preprocessor import Conditional, MacroDef, preprocess
from ..syntax.source import read_source
from ..syntax.target import ARCHES, Target
from ..diagnostics import Span
from .model import Conjunction

# Enough runs for the library's most conditional files (aux_syscalls.stp).
MAX_RUNS = 400
_ALL_FEATURES = (99,)
_RUNTIME_DIRS = {"linux": "kernel", "dyninst": "dyninst", "bpf": "bpf"}


@attrs.define
class FileItems:
    """The declarations of one tapset file, over all its branches."""

    path: str  # relative to the tapset root, with '/' separators
    text: str
    # Each declaration by its offset: the variants met (one per target that changed it).
    declarations: dict[int, list[ast.Node]] = attrs.field(factory=dict)
    macros: dict[int, MacroDef] = attrs.field(factory=dict)
    conditionals: dict[int, Conditional] = attrs.field(factory=dict)
    problems: list[str] = attrs.field(factory=list)  # "line:col: message"
    _line_starts: list[int] | None = None

    def line_of(self, offset: int) -> int:
        if self._line_starts is None:
            starts = [0]
            find = self.text.find
            i = find("\n")
            while i >= 0:
                starts.append(i + 1)
                i = find("\n", i + 1)
            self._line_starts = starts
        import bisect

        return bisect.bisect_right(self._line_starts, offset)

    def conditions_at(self, offset: int) -> Conjunction:
        """The conditions of the branches around an offset, outermost first."""
        around = []
        for cond in self.conditionals.values():
            for which in (True, False):
                branch = cond.branch(which)
                if branch is not None and branch.span.start <= offset < branch.span.end:
                    around.append((branch.span.start, branch.condition_text))
        around.sort()
        return tuple(text for _, text in around)


def target_for(relative: str, base: Target) -> Target:
    """The target a file is first read for: its directory says the runtime and the arch."""
    parts = relative.split("/")[:-1]
    changes = {}
    if parts and parts[0] in _RUNTIME_DIRS:
        changes["runtime"] = _RUNTIME_DIRS[parts[0]]
    for part in parts:
        if part in ARCHES:
            changes["arch"] = part
    return base.evolve(**changes) if changes else base


def library_sources(root: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """The `.stp` and `.stpm` regular files under a tapset root, relative, sorted; and the other
    names so (a FIFO, a device, a dangling link: never opened, a FIFO would block) with why."""
    from ..fileio import list_files

    return list_files(str(root), _SOURCE_SUFFIXES)


def unreadable_sources(root: Path) -> list[tuple[str, str]]:
    """(relative path, why) of each `.stp` or `.stpm` name under a tapset root that is no regular file."""
    return library_sources(root)[1]


_SOURCE_SUFFIXES = (".stp", ".stpm")


def read_tapset_file(root: Path, relative: str, target: Target, library: dict[str, MacroDef]) -> FileItems:
    """Parse one file of the library for every branch of its conditionals."""
    source = read_source(str(root / relative))
    if source.text is None:
        items = FileItems(relative, "")
        items.problems += [f"{d.message}" for d in source.diagnostics]
        return items
    text = source.text
    items = FileItems(relative, text)
    lexed = lex(text, version=_ALL_FEATURES)
    session = FileParse(text, True, _ALL_FEATURES, "")
    main = preprocess(lexed.tokens, target=target, library_macros=library, argc=0, path=relative)
    for cond in main.conditionals:
        items.conditionals[cond.open.start] = cond
    for name, macro in main.macros.items():
        items.macros[macro.span.start] = macro
    for chunk in split_declarations(main.tokens):
        _add(items, session, chunk)
    runs = AlternativeRuns(lexed.tokens, main, target=target, library=library, argc=0, path=relative,
                           max_runs=MAX_RUNS)
    for run in runs:
        for cond in run.result.conditionals:
            items.conditionals.setdefault(cond.open.start, cond)
        for macro in run.result.macros.values():
            items.macros.setdefault(macro.span.start, macro)
        for chunk in declarations_reaching(run.result, run.newly):
            _add(items, session, chunk)
    if not runs.exhausted:
        items.problems.append("1:1: too many conditional branches; some were not read")
    for diag in list(lexed.diagnostics) + list(main.diagnostics):
        if diag.severity.value == "error":
            items.problems.append(f"{_line_col(text, diag.span)}: {diag.message} [{diag.code}]")
    return items


def _add(items: FileItems, session: FileParse, chunk) -> None:
    """Parse a declaration; keep it unless it has a syntax error (stap would not have it)."""
    node, diagnostics = session.parse_declaration_diagnostics(chunk)
    errors = [d for d in diagnostics if d.severity.value == "error"]
    for diag in errors:
        problem = f"{_line_col(items.text, diag.span)}: {diag.message} [{diag.code}]"
        if problem not in items.problems:
            items.problems.append(problem)
    if node is None or errors:
        return
    variants = items.declarations.setdefault(node.span.start, [])
    if node not in variants:
        variants.append(node)


def _line_col(text: str, span: Span) -> str:
    line = text.count("\n", 0, span.start) + 1
    col = span.start - (text.rfind("\n", 0, span.start) + 1) + 1
    return f"{line}:{col}"
