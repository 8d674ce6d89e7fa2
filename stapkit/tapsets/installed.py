"""Which SystemTap release to check for when nobody says: the installed one's, else the newest.

In order: the `stap` on PATH (`stap -V`; its answer is kept in the user cache
directory, keyed by the binary's path, size and time, so that a run costs a
stat, not a process); else the tapset library a package installed (Debian's
`systemtap-common` records its version in its changelog); else the newest
release of the shipped release history.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

DEBIAN_CHANGELOG = Path("/usr/share/doc/systemtap-common/changelog.Debian.gz")
_VERSION = re.compile(r"version (\d+\.\d+(?:\.\d+)?)")


def default_release() -> tuple[str, str]:
    """(release, why) for a target that names none."""
    stap = shutil.which("stap")
    if stap:
        version = _stap_version(Path(stap))
        if version:
            return version, f"the installed SystemTap: `{stap} -V` says {version}"
    version = _debian_library_version()
    if version:
        return version, f"the installed tapset library: Debian's systemtap-common {version} ({DEBIAN_CHANGELOG})"
    from .releases import ReleaseError, ReleaseHistory

    try:
        newest = ReleaseHistory.load().newest
    except ReleaseError:
        from ..syntax.target import DEFAULT_SYSTEMTAP_VERSION

        return DEFAULT_SYSTEMTAP_VERSION, "no SystemTap installed and no release history: the bundled library's"
    return newest, "no SystemTap installed: the newest release"


def _stap_version(stap: Path) -> str | None:
    try:
        stat = stap.stat()
    except OSError:
        return None
    key = f"{stap}:{stat.st_size}:{stat.st_mtime_ns}"
    cache = _cache_file()
    try:
        known = json.loads(cache.read_text(encoding="utf-8"))
        if known.get("key") == key:
            return known.get("version")
    except (OSError, ValueError, AttributeError):
        pass
    try:
        done = subprocess.run([str(stap), "-V"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    match = _VERSION.search(done.stdout + done.stderr)
    version = match.group(1) if match else None
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        temporary = cache.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"key": key, "version": version}), encoding="utf-8")
        os.replace(temporary, cache)
    except OSError:
        pass  # no cache directory: ask again next time
    return version


def _cache_file() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("stapkit")) / "stap-version.json"


def _debian_library_version() -> str | None:
    try:
        with gzip.open(DEBIAN_CHANGELOG, "rt", encoding="utf-8", errors="replace") as f:
            first = f.readline(200)
    except (OSError, EOFError):
        return None
    match = re.match(r"systemtap \((?:\d+:)?(\d+\.\d+(?:\.\d+)?)", first)
    return match.group(1) if match else None


def release_in(history, version: str) -> str | None:
    """The history's release for a version: itself, else the nearest older one (4.8.1 -> 4.8); None if older
    than all."""
    if history.has(version):
        return version
    from ..syntax.target import parse_version

    wanted = parse_version(version)
    older = [r for r in history.releases if parse_version(r) <= wanted]
    return max(older, key=parse_version) if older else None
