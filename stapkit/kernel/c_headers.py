"""The types of C headers, for `@cast(p, "sockaddr_un", "<sys/un.h>")`: compiled, as stap does.

stap writes a C file that includes the headers a @cast names, compiles it
with debug information and reads the types from the object's DWARF.  So does
this module, when a C compiler (gcc) is on the machine: the one command run
is `gcc -g -fno-eliminate-unused-debug-types -c` on a file of `#include`
lines (the header names are checked first: letters, digits and `_ + - . /`,
no `..`), with a time limit.  The types become a BTF blob
(dwarf_types.py), kept in the user's cache directory per header set, with
the files the compile read and their sizes and times: a later run reads the
blob (a few milliseconds) unless one of those files changed, and compiles
again if so.  Without a compiler the types are unknown, and the casts are
reported once as unverifiable (semantic/autocast.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import attrs

from . import btf as k
from .description import KernelDescription
from .dwarf_types import DwarfTypesError, btf_from_object

COMPILE_TIMEOUT = 60  # seconds; glibc's headers compile in a fraction of one
MAX_HEADERS = 32
MAX_OBJECT_SIZE = 64 * 1024 * 1024
_HEADER_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_+./-]{0,199}")
_MODULE = re.compile(r"(?:<[^<>]*>)+")
CACHE_VERSION = "1"


def header_set(module: str) -> tuple[str, ...] | None:
    """The headers of a @cast module made only of `<header>` parts (`<sys/socket.h><sys/un.h>`);
    None for any other module (`kernel`, `kernel<linux/sched.h>`, a program's path)."""
    module = module.strip()
    if not _MODULE.fullmatch(module):
        return None
    return tuple(part.strip() for part in module[1:-1].split("><"))


def bad_header_name(headers: tuple[str, ...]) -> str | None:
    """Why the header names cannot be compiled (None: they can)."""
    if len(headers) > MAX_HEADERS:
        return f"more than {MAX_HEADERS} headers"
    for name in headers:
        if not _HEADER_NAME.fullmatch(name) or ".." in name.split("/") or name.startswith("/"):
            return f"'<{name}>' is not a header name stapkit compiles"
    return None


@attrs.frozen
class HeaderTypes:
    """What compiling one header set gave: its types, or why there are none."""

    headers: tuple[str, ...]
    types: KernelDescription | None = None
    problem: str | None = None  # the compiler's first error, or a name not compiled
    no_compiler: bool = False
    from_cache: bool = False


class HeaderCompiler:
    """Compiles header sets (once each for the life of the object; also cached on disk).

    A checking session keeps one (semantic/session.py); threads may share it."""

    def __init__(self, cache_dir: Path | None = None, compiler: str | None = None):
        self.compiler = compiler if compiler is not None else shutil.which("gcc")
        self.cache_dir = cache_dir
        self._done: dict[tuple[str, ...], HeaderTypes] = {}
        self._lock = threading.Lock()

    def types(self, headers: tuple[str, ...]) -> HeaderTypes:
        with self._lock:
            found = self._done.get(headers)
            if found is None:
                found = self._done[headers] = self._types(headers)
            return found

    def _types(self, headers: tuple[str, ...]) -> HeaderTypes:
        problem = bad_header_name(headers)
        if problem is not None:
            return HeaderTypes(headers, problem=problem)
        if not self.compiler:
            return HeaderTypes(headers, no_compiler=True)
        key = self._key(headers)
        blob = self._read_cache(key)
        if blob is not None:
            return HeaderTypes(headers, _describe(blob, headers), from_cache=True)
        try:
            blob, deps = self._compile(headers)
        except _CompileFailed as err:
            return HeaderTypes(headers, problem=str(err))
        self._write_cache(key, blob, deps)
        return HeaderTypes(headers, _describe(blob, headers))

    # -- the compile

    def _compile(self, headers: tuple[str, ...]) -> tuple[bytes, list[str]]:
        source = "".join(f"#include <{h}>\n" for h in headers)
        with tempfile.TemporaryDirectory(prefix="stapkit-cast-") as tmp:
            c_file = os.path.join(tmp, "cast.c")
            with open(c_file, "w", encoding="utf-8") as f:
                f.write(source)
            obj, deps_file = os.path.join(tmp, "cast.o"), os.path.join(tmp, "cast.d")
            command = [self.compiler, "-g", "-fno-eliminate-unused-debug-types", "-c", "-MD", "-MF", deps_file,
                       "-o", obj, c_file]
            try:
                done = subprocess.run(command, cwd=tmp, capture_output=True, text=True, errors="replace",
                                      timeout=COMPILE_TIMEOUT, stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                raise _CompileFailed(f"the C compiler took over {COMPILE_TIMEOUT} s") from None
            except OSError as err:
                raise _CompileFailed(f"the C compiler could not be run: {err.strerror}") from None
            if done.returncode != 0:
                raise _CompileFailed(_first_error(done.stderr, c_file))
            try:
                if os.path.getsize(obj) > MAX_OBJECT_SIZE:
                    raise _CompileFailed("the compiled object is too large to read")
                with open(obj, "rb") as f:
                    data = f.read()
                blob = btf_from_object(data)
                with open(deps_file, encoding="utf-8", errors="replace") as f:
                    deps = _dependencies(f.read(), c_file)
            except (OSError, DwarfTypesError) as err:
                raise _CompileFailed(f"the compiled object cannot be read: {err}") from None
        return blob, deps

    # -- the cache

    def _key(self, headers: tuple[str, ...]) -> str:
        try:
            stat = os.stat(self.compiler)
            identity = [self.compiler, stat.st_size, stat.st_mtime_ns]
        except OSError:
            identity = [self.compiler]
        text = json.dumps([CACHE_VERSION, list(headers), identity])
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def _read_cache(self, key: str) -> bytes | None:
        if self.cache_dir is None:
            return None
        try:
            with open(self.cache_dir / f"{key}.json", encoding="utf-8") as f:
                deps = json.load(f)["deps"]
            for path, size, mtime in deps:
                stat = os.stat(path)
                if stat.st_size != size or stat.st_mtime_ns != mtime:
                    return None  # a header changed (a package upgrade): compile again
            with open(self.cache_dir / f"{key}.btf", "rb") as f:
                blob = f.read()
            k.Btf(blob)  # a damaged entry is compiled again
            return blob
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _write_cache(self, key: str, blob: bytes, deps: list[str]) -> None:
        if self.cache_dir is None:
            return
        try:
            stats = [[p, (s := os.stat(p)).st_size, s.st_mtime_ns] for p in deps]
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            for name, data in ((f"{key}.btf", blob), (f"{key}.json", json.dumps({"deps": stats}).encode())):
                fd, tmp = tempfile.mkstemp(dir=self.cache_dir, prefix=".tmp-")
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                os.replace(tmp, self.cache_dir / name)  # the .json last: it makes the entry valid
        except OSError:
            pass  # no cache: the next run compiles again


def default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("stapkit")) / "c_headers"


class _CompileFailed(Exception):
    pass


def _describe(blob: bytes, headers: tuple[str, ...]) -> KernelDescription:
    return KernelDescription(k.Btf(blob), None, source="".join(f"<{h}>" for h in headers))


def _first_error(stderr: str, c_file: str) -> str:
    for line in stderr.splitlines():
        if "error" in line:
            return line.replace(c_file + ":", "").strip()[:300]
    return (stderr.strip().splitlines() or ["the C compiler failed"])[0][:300]


def _dependencies(make_rule: str, c_file: str) -> list[str]:
    """The files a `gcc -MD` rule lists, but the compiled file itself."""
    words = make_rule.replace("\\\n", " ").split(":", 1)[-1].split()
    return [w for w in words if w != c_file and os.path.isabs(w)][:10_000]
