"""`stapkit db build`: the database from the reference manuals and the tapset sources.

The tapset sources come read and typed (semantic/library.py's `read_library`:
typing is the semantic layer's work, which this package never imports).

The result depends only on its inputs (the files' contents and the paths
given): no dates, no machine names, everything sorted.  Problems with an
input (a missing manual directory, a page in an odd shape, a tapset file
with syntax errors) are warnings naming the file; the build goes on.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import attrs

from . import store
from .model import LibraryItems, ManualFacts
from .queries import visible_variables

DEFAULT_TAPSET_DIR = Path("/usr/share/systemtap/tapset")
DEFAULT_MAN_DIR = Path("/usr/share/man/man3")


@attrs.frozen
class BuildResult:
    text: str  # the database file
    header: dict
    warnings: tuple[str, ...]  # "FILE: message" or "FILE:LINE:COL: message"
    report: tuple[str, ...]  # documented variables that differ from the sources'


def build(library: LibraryItems, tapset_dir: Path = DEFAULT_TAPSET_DIR, man_dir: Path | None = DEFAULT_MAN_DIR, *,
          with_docs: bool = False, systemtap_version: str | None = None) -> BuildResult:
    """The database of `library` (the items read from `tapset_dir`) and the manual pages of `man_dir`."""
    warnings: list[str] = []
    for file, problem in library.problems:
        warnings.append(f"{tapset_dir / file}:{problem} (the file's other items are kept)")

    manual_facts: list[ManualFacts] = []
    pages = 0
    if man_dir is not None:
        from .manuals import read_manuals

        manuals = read_manuals(man_dir, with_docs=with_docs)
        warnings += [str(w) for w in manuals.warnings]
        manual_facts = [_facts(entry, with_docs) for entry in manuals.entries]
        pages = len(manual_facts)

    version = systemtap_version or _installed_version(warnings)
    records = [("alias", a) for a in library.aliases] + [("function", f) for f in library.functions]
    records += [("global", g) for g in library.globals] + [("macro", m) for m in library.macros]
    records += [("manual", m) for m in manual_facts]
    header = {
        "format": store.FORMAT,
        "systemtap_version": version,
        "with_docs": with_docs,
        "built_from": {
            "tapset_dir": str(tapset_dir),
            "man_dir": str(man_dir) if man_dir is not None else None,
            "tapset_files": len(library.files),
            "manual_pages": pages,
        },
        "files": list(library.files),
        "counts": {
            "aliases": len(library.aliases), "functions": len(library.functions),
            "globals": len(library.globals), "macros": len(library.macros), "manual_pages": pages,
        },
    }
    text = store.write_lines(header, records)
    report = _report(library.aliases, manual_facts)
    return BuildResult(text, header, tuple(warnings), tuple(report))


def _facts(entry, with_docs: bool) -> ManualFacts:
    return ManualFacts(
        entry.kind, entry.name, entry.path, entry.chapter, tuple(entry.tapsets),
        tuple(s.render(entry.name) for s in entry.signatures), tuple(entry.arguments), tuple(entry.variables),
        tuple(entry.deprecated_variables), entry.deprecated, entry.deprecated_since, entry.removed_since,
        tuple(entry.members),
        entry.summary if with_docs else None, entry.description if with_docs else None,
        tuple(sorted((entry.item_docs or {}).items())) if with_docs else ())


def _report(aliases, manual_facts: list[ManualFacts]) -> list[str]:
    """For each documented probe: the documented variables that its definitions do not set, and back."""
    by_name: dict[str, list] = {}
    for alias in aliases:
        by_name.setdefault(alias.name, []).append(alias)
    lookup = lambda name: by_name.get(name, [])  # noqa: E731
    lines = []
    for facts in manual_facts:
        if facts.kind != "probe":
            continue
        if facts.name not in by_name:
            lines.append(f"probe::{facts.name}: documented, but no alias of that name in the sources")
            continue
        documented = set(facts.variables) - {"None"}
        actual = {name for name in visible_variables(lookup, facts.name) if not name.startswith("_")}
        missing = sorted(documented - actual)
        undocumented = sorted(actual - documented)
        if missing:
            lines.append(f"probe::{facts.name}: documented but not set by the alias: {', '.join(missing)}")
        if undocumented:
            lines.append(f"probe::{facts.name}: set by the alias but not documented: {', '.join(undocumented)}")
    return lines


def _installed_version(warnings: list[str]) -> str:
    """The local SystemTap's version, from `stap -V` (which needs no kernel)."""
    try:
        done = subprocess.run(["stap", "-V"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        warnings.append("stap: not found; the database's SystemTap version is 'unknown' "
                        "(give it with --systemtap-version)")
        return "unknown"
    match = re.search(r"version (\d+(?:\.\d+)*)", done.stdout + done.stderr)
    if not match:
        warnings.append("stap -V: no version in its output; the database's SystemTap version is 'unknown'")
        return "unknown"
    return match.group(1)
