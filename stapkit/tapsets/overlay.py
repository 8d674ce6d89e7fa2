"""A database with the items of extra tapset directories on top (`stap -I DIR`).

A script run with `-I DIR` sees the tapsets of DIR next to the installed
library. Those are read from their sources when a check needs them and
answer before the database's own items.  They are read as stap reads them:

* with the macros of every `.stpm` file of the run (the installed library's
  and every `-I` directory's), not only DIR's own: stap reads the library
  macros before any tapset file;
* a file that does not parse for the script's target is left out as a
  whole, as stap leaves it out ("tapset ... has errors, and will be
  skipped"), so a call into it is unresolved; the script gets a warning
  (STP055) pointing at the first error in that file.

Typing the sources is the semantic layer's work: `read_extra_library` is handed
semantic.library's reader, and semantic.session.Session keeps what was read, so
a directory is read once per session (and again when one of its files changes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import attrs

from ..diagnostics import Diagnostic, Related, Severity, Span
from ..syntax import codes
from .model import LibraryItems


@attrs.frozen
class ExtraLibrary:
    """The items of one extra tapset directory, for one target."""

    root: Path
    items: LibraryItems  # without the files that do not parse
    skipped: tuple[Diagnostic, ...]  # STP055 for each file left out (on the script, at 1:1)


def script_macro_roots(first_line_dirs, parse_options) -> tuple[Path, ...]:
    """The tapset roots whose `.stpm` files the script is read with (as the parser finds them)."""
    from ..syntax.tapset_path import default_tapset_root

    if parse_options.tapset_roots is not None:
        roots = list(parse_options.tapset_roots)
    else:
        roots = [r] if (r := default_tapset_root()) else []
    return tuple(roots + [Path(d) for d in first_line_dirs])


def read_extra_library(root: Path, read_library: Callable[..., LibraryItems], macro_roots: tuple[Path, ...],
                       target) -> ExtraLibrary:
    """The items of the tapset directory `root` for `target`, less its files that do not parse.

    `read_library(root, target, macro_roots=...)` reads and types the sources (semantic.library's).
    """
    macro_roots = macro_roots or (root,)
    items = read_library(root, target, macro_roots=macro_roots)
    skipped = []
    dropped = set()
    from .source_reader import unreadable_sources

    for relative, why in unreadable_sources(root):  # never opened (a FIFO would block the read)
        skipped.append(Diagnostic(
            codes.TAPSET_FILE_ERROR, f"tapset \"{root / relative}\" cannot be read, and will be skipped: {why}",
            Span(0, 0), Severity.WARNING, hints=("only regular files are read as tapsets",)))
    for relative, diagnostic, text in _files_that_do_not_parse(root, macro_roots, target):
        dropped.add(relative)
        path = str(root / relative)
        skipped.append(Diagnostic(
            codes.TAPSET_FILE_ERROR,
            f"tapset \"{path}\" has errors, and will be skipped: {diagnostic.message}",
            Span(0, 0), Severity.WARNING,
            related=(Related(f"{diagnostic.message} [{diagnostic.code}]", path, diagnostic.span, text),),
            hints=("its functions, probe aliases and globals do not exist for the script",)))
    if dropped:
        keep = lambda item: item.where.file not in dropped  # noqa: E731
        items = attrs.evolve(items, files=tuple(f for f in items.files if f not in dropped),
                             aliases=tuple(filter(keep, items.aliases)),
                             functions=tuple(filter(keep, items.functions)),
                             globals=tuple(filter(keep, items.globals)))
    return ExtraLibrary(root, items, tuple(skipped))


def _files_that_do_not_parse(root: Path, macro_roots: tuple[Path, ...], target):
    """(relative path, its first error, its text) for each `.stp` file stap reads for `target`
    and finds a syntax error in (pass 1: only the branches the target takes)."""
    from ..syntax.macro_library import load_macro_library
    from ..syntax.parser import ParseOptions, parse_file
    from ..syntax.tapset_path import library_files
    from .source_reader import target_for

    target = target.evolve(guru_mode=True)
    for path in library_files([root], target, ".stp"):
        relative = path.relative_to(root).as_posix()
        file_target = target_for(relative, target)
        macros = load_macro_library(tuple(macro_roots), file_target).macros
        result = parse_file(str(path), ParseOptions(target=file_target, tapset=True, library_macros=macros,
                                                    check_all_branches=False, honour_first_line=False))
        errors = [d for d in result.diagnostics if d.severity is Severity.ERROR]
        if errors:
            yield relative, min(errors, key=lambda d: d.span.start), result.text


class OverlayDB:
    """The TapsetDB interface over a database and the items of extra directories."""

    def __init__(self, base, extra: list[ExtraLibrary]):
        self.base = base
        self.path = base.path
        self.header = base.header
        # What the script is told about the extra directories (tapset files stap skips).
        self.problems: list[Diagnostic] = [d for library in extra for d in library.skipped]
        self._items: dict[str, dict[str, list]] = {"alias": {}, "function": {}, "global": {}, "macro": {}}
        for library in extra:
            items = library.items
            for kind, found in (("alias", items.aliases), ("function", items.functions),
                                ("global", items.globals), ("macro", items.macros)):
                for item in found:
                    self._items[kind].setdefault(item.name, []).append(item)

    def _both(self, kind: str, name: str, base_items: list) -> list:
        return self._items[kind].get(name, []) + base_items

    def aliases(self, name: str):
        return self._both("alias", name, self.base.aliases(name))

    def functions(self, name: str):
        return self._both("function", name, self.base.functions(name))

    def globals(self, name: str):
        return self._both("global", name, self.base.globals(name))

    def macros(self, name: str):
        return self._both("macro", name, self.base.macros(name))

    def manual(self, kind: str, name: str):
        return self.base.manual(kind, name)

    def names(self, kind: str) -> list[str]:
        extra = self._items.get(kind, {})
        return sorted(set(self.base.names(kind)) | set(extra))

    def all(self, kind: str) -> list:
        return [item for name in self.names(kind) for item in
                (self.aliases(name) if kind == "alias" else self.functions(name) if kind == "function"
                 else self.globals(name) if kind == "global" else self.macros(name))]

    @property
    def systemtap_version(self) -> str:
        return self.base.systemtap_version

    def release_history(self):
        return self.base.release_history()
