"""Which files a command works on: paths as given, directories searched."""

from __future__ import annotations

import os
import sys
from typing import NamedTuple

SCRIPT_EXTENSIONS = (".stp", ".stpm")


class FileSet(NamedTuple):
    files: list[str]  # in the order given; each directory's scripts sorted
    missing: list[str]  # paths that do not exist
    empty_dirs: list[str]  # directories with no script in them


def collect(paths: list[str]) -> FileSet:
    files: list[str] = []
    missing: list[str] = []
    empty: list[str] = []
    seen: set[str] = set()
    for path in paths:
        if path == "-":
            files.append(path)
            continue
        if os.path.isdir(path):
            found = sorted(_scripts_under(path))
            if not found:
                empty.append(path)
            for f in found:
                if f not in seen:
                    seen.add(f)
                    files.append(f)
        elif os.path.exists(path) or os.path.islink(path):
            if path not in seen:
                seen.add(path)
                files.append(path)
        else:
            missing.append(path)
    return FileSet(files, missing, empty)


def _scripts_under(directory: str):
    for root, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            if name.endswith(SCRIPT_EXTENSIONS):
                yield os.path.join(root, name)


def warn(message: str) -> None:
    print(f"stapkit: warning: {message}", file=sys.stderr)


def error(message: str) -> None:
    print(f"stapkit: error: {message}", file=sys.stderr)


def write_atomically(path, text: str, *, keep_mode: bool = False) -> None:
    """Write to a temporary file beside `path`, then rename: never a half-written file.

    `newline=""`: the text's own line endings are written as they are.  With
    keep_mode the file keeps its permission bits; the directory is made if missing.
    """
    import tempfile
    from pathlib import Path

    path = Path(path)
    mode = path.stat().st_mode & 0o7777 if keep_mode else None
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
