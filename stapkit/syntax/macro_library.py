"""Library macros: the `@define`s of the tapset library's `.stpm` files.

stap reads every `.stpm` file on the tapset path before any script
(main.cxx), each on its own: a `.stpm` file may hold only `@define`s (and
conditionals around them).  A file with an error, or that defines a name
another file already defined, is skipped as a whole with a warning.
"""

from __future__ import annotations

import functools
import hashlib
import pickle
from pathlib import Path
from typing import NamedTuple

import attrs

from .. import __version__
from ..diagnostics import Diagnostic, Related, Severity, Span
from . import codes
from .lexer import lex
from .preprocessor import MacroDef, preprocess
from .source import read_source
from .tapset_path import library_files
from .target import Target


class MacroLibrary(NamedTuple):
    macros: dict[str, MacroDef]
    # Problems found in .stpm files: (the file, the problem, the file's text).
    problems: list[tuple[str, Diagnostic, str | None]]


EMPTY_LIBRARY = MacroLibrary({}, [])


def load_macro_library(roots: tuple[Path, ...], target: Target) -> MacroLibrary:
    """The library macros of the tapset roots, for a target (memoized)."""
    return _load(tuple(Path(r) for r in roots), target)


@functools.lru_cache(maxsize=64)  # a range check (cli/release_range.py) goes through up to 41 releases per file
def _load(roots: tuple[Path, ...], target: Target) -> MacroLibrary:
    files = library_files(list(roots), target, ".stpm")
    cache = _cache_path(files, target)
    if cache is not None:
        try:
            with open(cache, "rb") as f:
                return pickle.load(f)
        except (OSError, pickle.PickleError, EOFError, AttributeError, ValueError, TypeError):
            pass
    library = _read_library(files, target)
    if cache is not None:
        from .grammar import _write_atomically

        _write_atomically(cache, pickle.dumps(library, protocol=pickle.HIGHEST_PROTOCOL))
    return library


# Bump when MacroDef or the reading of .stpm files changes.
_CACHE_FORMAT = 2


def _cache_path(files: list[Path], target: Target) -> Path | None:
    """A cache file for these .stpm files (as they are now) and this target."""
    from .grammar import _cache_dir

    directory = _cache_dir()
    if directory is None or not files:
        return None
    try:
        stamps = [(str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files]
    except OSError:
        return None
    key = repr((_CACHE_FORMAT, stamps, attrs.astuple(target), __version__))
    return directory / f"macros-{hashlib.sha256(key.encode()).hexdigest()[:16]}.pickle"


def _read_library(files: list[Path], target: Target) -> MacroLibrary:
    macros: dict[str, MacroDef] = {}
    problems: list[tuple[str, Diagnostic]] = []
    for path in files:
        source = read_source(str(path))
        if source.text is None:
            problems.extend((str(path), d, None) for d in source.diagnostics)
            continue
        defined, file_problems = _read_macro_file(str(path), source.text, target, macros)
        if file_problems:
            problems.extend((str(path), d, source.text) for d in file_problems)
            continue
        macros.update(defined)
    return MacroLibrary(macros, problems)


def _read_macro_file(path: str, text: str, target: Target, library: dict[str, MacroDef]):
    lexed = lex(text, version=(99,), args=None)
    result = preprocess(lexed.tokens, target=target, library_macros=library, path=path)
    problems = [d for d in lexed.diagnostics + result.diagnostics if d.severity is Severity.ERROR]
    if result.tokens:
        first = result.tokens[0]
        problems.append(
            Diagnostic(codes.MACRO_LIBRARY_ERROR,
                       f"unexpected token in library macro file '{path}'",
                       Span(first.start, first.end))
        )
    defined = {}
    for name, macro in result.macros.items():
        if name in library:
            other = library[name]
            problems.append(
                Diagnostic(codes.MACRO_LIBRARY_ERROR,
                           f"duplicate definition of library macro '@{name}'", macro.span,
                           related=(Related(f"macro '@{name}' first defined here", other.path, other.span),))
            )
        defined[name] = attrs.evolve(macro, path=path, library=True, text=text)
    return defined, problems
