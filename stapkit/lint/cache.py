"""The result cache: what linting one file reported, found again by the file's content.

A key is a SHA-256 over

* the file's bytes;
* a fingerprint of the settings given by the caller: the options, the
  configuration, the target, the selection of codes and the identity of
  the tapset database and library in use (stapkit/cli/lint_command.py builds
  it);
* this stapkit: its version and a hash of its own source files (every .py of
  the package and the grammar), so that editing stapkit in a checkout
  invalidates what an older state of the code reported.  That hash is
  computed once per process (a few milliseconds: 0.8 MB read).

Each entry is a small JSON file, `<directory>/<key[:2]>/<key[2:]>.json`,
written to a temporary file beside it and renamed, so a reader never sees a
half-written entry.  An entry that is missing, unreadable or not what this
code wrote is a miss, never an error: the file is linted again.

The directory is `$STAPKIT_CACHE_DIR/lint`, else `lint/` in the user cache
directory (platformdirs).  Its size is bounded: the first `put` of a process
checks when the cache was last pruned (one stat of a marker file); if that
was more than PRUNE_INTERVAL ago, it adds up the disk use of all entries and,
when they take more than MAX_BYTES, deletes the least recently written ones
until they take at most PRUNE_TO_BYTES.  Between two prunes the cache can
grow past the bound by what an hour of runs writes.

This module imports neither the parser nor the tapset database: a run whose
files are all in the cache never loads them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from functools import lru_cache
from pathlib import Path

from ..diagnostics import Applicability, Diagnostic, Edit, Fix, Related, Severity, Span

# Bump when the layout of an entry changes: older entries then never match.
FORMAT_VERSION = 1
MAX_BYTES = 128 * 1024 * 1024  # disk use of all entries above which the cache is pruned
PRUNE_TO_BYTES = 96 * 1024 * 1024  # what pruning brings it down to
PRUNE_INTERVAL = 3600.0  # seconds between two looks at the cache's size
_PRUNE_MARKER = "last-prune"
_KEY = re.compile(r"[0-9a-f]{64}")
_SEVERITIES = {s.value: s for s in Severity}
_APPLICABILITIES = {a.value: a for a in Applicability}


class ResultCache:
    """Lint results on disk, by key (see `key`)."""

    def __init__(self, directory: str | os.PathLike | None = None):
        self.directory = Path(directory) if directory is not None else default_directory()
        self.write_error: OSError | None = None  # the first failed write, for a caller that reports it
        self._prune_checked = False

    def key(self, content: bytes, fingerprint: str) -> str:
        """The key of a file's `content` linted with the settings that `fingerprint` describes."""
        digest = hashlib.sha256(_code_identity())
        fingerprint_bytes = fingerprint.encode("utf-8", "surrogatepass")
        # Lengths first: no two (fingerprint, content) pairs give the same byte stream.
        digest.update(f"{len(fingerprint_bytes)}:{len(content)}:".encode())
        digest.update(fingerprint_bytes)
        digest.update(content)
        return digest.hexdigest()

    def get(self, key: str) -> tuple[Diagnostic, ...] | None:
        """The diagnostics stored for `key`, or None (not there, unreadable, or damaged)."""
        try:
            with open(self._path(key), "rb") as entry:
                data = entry.read()
        except (OSError, ValueError):
            return None
        try:
            return _decode(json.loads(data))
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError):
            return None

    def put(self, key: str, diagnostics) -> None:
        """Store the diagnostics of `key`.  A failure to write is recorded in `write_error`, not raised."""
        import tempfile

        path = self._path(key)
        # ASCII JSON: any character, a lone surrogate too, comes back as it was.
        data = json.dumps({"format": FORMAT_VERSION, "diagnostics": [_encode(d) for d in diagnostics]},
                          separators=(",", ":")).encode("ascii")
        try:
            if not self._prune_checked:
                self._prune_checked = True
                self._prune_if_due()
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                os.replace(temporary, path)
            except BaseException:
                _remove(temporary)
                raise
        except OSError as err:
            if self.write_error is None:
                self.write_error = err

    def _path(self, key: str) -> Path:
        if not _KEY.fullmatch(key):
            raise ValueError(f"not a cache key: {key!r}")
        return self.directory / key[:2] / f"{key[2:]}.json"

    # -- bounding the size ------------------------------------------------

    def _prune_if_due(self) -> None:
        marker = self.directory / _PRUNE_MARKER
        try:
            if time.time() - marker.stat().st_mtime < PRUNE_INTERVAL:
                return
        except OSError:
            pass  # never pruned (or cannot tell): prune now
        self.directory.mkdir(parents=True, exist_ok=True)
        marker.touch()
        self.prune()

    def prune(self, max_bytes: int = MAX_BYTES, prune_to: int = PRUNE_TO_BYTES) -> int:
        """If the entries take more than `max_bytes` of disk, delete the least recently written
        until they take at most `prune_to`.  Returns how many were deleted."""
        entries = []  # (mtime, disk use, path)
        total = 0
        try:
            shards = [d for d in os.scandir(self.directory) if len(d.name) == 2 and d.is_dir()]
        except OSError:
            return 0
        for shard in shards:
            try:
                files = list(os.scandir(shard.path))
            except OSError:
                continue
            for f in files:
                try:
                    st = f.stat(follow_symlinks=False)
                except OSError:
                    continue
                # Disk use, not length: a small entry still takes a whole block.
                used = st.st_blocks * 512 if hasattr(st, "st_blocks") else st.st_size
                entries.append((st.st_mtime, used, f.path))
                total += used
        if total <= max_bytes:
            return 0
        entries.sort()
        deleted = 0
        for _, used, path in entries:
            if total <= prune_to:
                break
            if _remove(path):
                total -= used
                deleted += 1
        return deleted


def default_directory() -> Path:
    base = os.environ.get("STAPKIT_CACHE_DIR")
    if not base:
        from platformdirs import user_cache_dir

        base = user_cache_dir("stapkit")
    return Path(base) / "lint"


@lru_cache(maxsize=1)
def _code_identity() -> bytes:
    """This stapkit: the cache format, its version and a hash of its source files."""
    from .. import __version__

    digest = hashlib.sha256(f"stapkit-lint-cache {FORMAT_VERSION} {__version__}\0".encode())
    for name, path in _source_files():
        try:
            content = path.read_bytes()
        except OSError:
            content = b"<unreadable>"
        digest.update(f"{name}:{len(content)}:".encode())
        digest.update(content)
    return digest.digest()


def _source_files() -> list[tuple[str, Path]]:
    """stapkit's .py files and the grammar, each with its name in the package, in a fixed order.
    (The names, not the paths: two installations of the same code share their entries.)"""
    import importlib.util

    package = Path(__file__).resolve().parents[1]
    files = [(p.relative_to(package.parent).as_posix(), p) for p in package.rglob("*.py")]
    grammar = importlib.util.find_spec("stap_grammar")
    if grammar is not None and grammar.submodule_search_locations:
        for location in grammar.submodule_search_locations:
            files += [(f"stap_grammar/{p.name}", p) for p in Path(location).glob("*.lark")]
    return sorted(files)


def _remove(path) -> bool:
    try:
        os.unlink(path)
        return True
    except OSError:
        return False


# -- entries: JSON lists, compact and quick to read back ------------------


def _encode(d: Diagnostic) -> list:
    fix = None
    if d.fix is not None:
        fix = [d.fix.title, d.fix.applicability.value,
               [[e.span.start, e.span.end, e.content] for e in d.fix.edits]]
    related = [[r.message, r.path, r.span.start, r.span.end, r.text] for r in d.related]
    return [d.code, d.message, d.span.start, d.span.end, d.severity.value, fix, list(d.hints), related]


def _decode(data) -> tuple[Diagnostic, ...]:
    """The diagnostics of an entry; raises ValueError (or TypeError, ...) for anything else."""
    if data.get("format") != FORMAT_VERSION:
        raise ValueError("another format")
    out = []
    for code, message, start, end, severity, fix, hints, related in data["diagnostics"]:
        out.append(Diagnostic(_text(code), _text(message), _span(start, end), _SEVERITIES[severity],
                              _decode_fix(fix) if fix is not None else None,
                              tuple(_text(h) for h in hints),
                              tuple(Related(_text(m), _optional_text(p), _span(s, e), _optional_text(t))
                                    for m, p, s, e, t in related)))
    return tuple(out)


def _decode_fix(fix) -> Fix:
    title, applicability, edits = fix
    return Fix(_text(title), tuple(Edit(_span(s, e), _text(c)) for s, e, c in edits),
               _APPLICABILITIES[applicability])


def _span(start, end) -> Span:
    if type(start) is not int or type(end) is not int or not 0 <= start <= end:
        raise ValueError("not a span")
    return Span(start, end)


def _text(value) -> str:
    if type(value) is not str:
        raise TypeError("not a string")
    return value


def _optional_text(value) -> str | None:
    return None if value is None else _text(value)
