#!/usr/bin/env python3
"""Regenerate the data block of stapkit/tapsets/manual_2009.py from a SystemTap git mirror.

A development tool, not part of the package: it reads a (bare) clone of SystemTap's history,
which users do not have. It reproduces what the 2009 Tapset Reference Manual listed:

* the chapters and the tapset files each one included, from the `!Itapset/FILE` lines of
  `doc/SystemTap_Tapset_Reference/tapsets.tmpl` at the chosen revision;
* in each file, the kernel-doc comments the manual was generated from (`/**` alone on a line,
  then ` * probe NAME - ...` or ` * sfunction NAME - ...`), the way that revision's
  `scripts/kernel-doc` read them: a probe's name is the comment's heading and its variables are
  the `@name:` lines (and ioblock.stp's `@name -` lines); a function's name, return type and
  parameters come from the first line after the comment (the `function NAME:TYPE (ARG:TYPE, ...)`
  declaration). A comment opened
  with `/*` instead of `/**` was not in the manual, so it is not here either.

Only names and types are extracted, never the descriptions.

The manual changed during 2009 (tcp/udp chapters folded into Networking in 0.9.5, process.*
renamed kprocess.* in 0.9.6, new chapters by the end of the year), so every 2009 edition is read
(EDITIONS: the release tags of 2009 and the last commit of 2009) and merged: a name documented by
any of them is a 2009 name. Its chapter is the one of the first edition that documented it, its
variables are the union over the editions (first appearance first), its signature the last
edition's; EDITIONS_OF gives the first and last edition that documented it.

    python3 tools/extract_manual_2009.py [--git-dir DIR] [--rev REV ...] [--write]

Without --write the generated block is printed; with it, the block between the
`# BEGIN GENERATED` and `# END GENERATED` lines of manual_2009.py is replaced.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

DEFAULT_GIT_DIR = "/work/.mirror/sailfishos-mirror+systemtap/repo"
# The 2009 editions of the manual: every release tag of 2009, then the last commit of 2009
# (its manual lists the same names as release-1.0.9's, tagged 2009-12-22, and release-1.1's).
EDITIONS = (
    "release-0.9",
    "release-0.9.5",
    "release-0.9.6",
    "release-0.9.7",
    "release-0.9.8",
    "release-0.9.9",
    "release-1.0",
    "release-1.0.9",
    "72f28cc2cb57bbcc4e773069dad6cf75343fb396",
)
TEMPLATE = "doc/SystemTap_Tapset_Reference/tapsets.tmpl"
TARGET = Path(__file__).resolve().parents[1] / "stapkit" / "tapsets" / "manual_2009.py"

# The manual's chapter ids (tapsets.tmpl) -> stapkit's chapter ids. "upd.stp" is the
# template's own spelling of the UDP chapter.
CHAPTER_IDS = {
    "context_stp": "context",
    "timestamp_stp": "timestamp",
    "memory_stp": "memory",
    "iosched.stp": "ioscheduler",
    "scsi.stp": "scsi",
    "networking.stp": "netdev",
    "socket.stp": "socket",
    "tcp.stp": "tcp",
    "upd.stp": "udp",
    "udp.stp": "udp",
    "process.stp": "process",
    "kprocess.stp": "process",
    "signal.stp": "signal",
    "dentry.stp": "dentry",
    "ctime.stp": "ctime",
    "task_time_stp": "task_time",
    "tty.stp": "tty",
    "logging.stp": "logging",
    "random.stp": "random",
    "conversions.stp": "conversions",
    "string.stp": "string",
    "ansi.stp": "ansi",
}

DOC_START = re.compile(r"^/\*\*\s*$")
DOC_END = re.compile(r"\*/")
# kernel-doc's heading: the words before the first " -" ("probe socket.send - ...").
HEADING = re.compile(r"^\s*\*\s*([\w\s.]+?)\s*(?:-|$)")
# `@name:` is kernel-doc's parameter line; ioblock.stp wrote `@name - ...`, which kernel-doc
# printed as plain text, but it still documents the variable, so it is taken too.
PARAM = re.compile(r"^\s*\*\s*@(\w+)\s*[:-]")
# kernel-doc's dump_sfunction: function NAME [:TYPE] ( ARGS )
PROTOTYPE = re.compile(r"^function\s+(\w+)\s*:?\s*(\w*)\s*\(([^{]*)\)")
ARG = re.compile(r"\s*(\w+)\s*:?\s*(\w*)")


def git_show(git_dir: str, rev: str, path: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", git_dir, "show", f"{rev}:{path}"],
        check=True, capture_output=True, text=True, errors="replace",
    ).stdout


def chapters_of(template: str) -> list[tuple[str, list[str]]]:
    chapters = []
    for match in re.finditer(r'<chapter id="([^"]+)">(.*?)</chapter>', template, re.S):
        files = re.findall(r"^!I(\S+)", match.group(2), re.M)
        if files:
            chapters.append((match.group(1), files))
    return chapters


def signature(line: str) -> str | None:
    """`name:type(arg:type, ...)` from a declaration line, as kernel-doc read it."""
    line = re.sub(r"//.*$", "", line).split("{")[0]
    line = re.sub(r"/\*.*?\*/", "", line)
    match = PROTOTYPE.match(line.strip())
    if match is None:
        return None
    name, rtype, args = match.groups()
    params = []
    for arg in args.split(","):
        if not arg.strip():
            continue
        a = ARG.match(arg)
        params.append(f"{a.group(1)}:{a.group(2)}" if a.group(2) else a.group(1))
    return f"{name}{':' + rtype if rtype else ''}({', '.join(params)})"


def scan(text: str, path: str, warn) -> tuple[list[tuple[str, tuple[str, ...]]], list[str]]:
    """The documented probes (name, variables) and function signatures of one tapset file."""
    probes: list[tuple[str, tuple[str, ...]]] = []
    functions: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if not DOC_START.match(lines[i]):
            i += 1
            continue
        heading = HEADING.match(lines[i + 1]) if i + 1 < len(lines) else None
        j = i + 2
        params: list[str] = []
        while j < len(lines) and not DOC_END.search(lines[j]):
            p = PARAM.match(lines[j])
            if p and p.group(1) not in params:
                params.append(p.group(1))
            j += 1
        following = lines[j + 1] if j + 1 < len(lines) else ""
        i = j + 1
        if heading is None:
            warn(f"{path}:{i}: doc comment without a heading")
            continue
        words = heading.group(1).split()
        if words[0] == "probe" and len(words) == 2:
            probes.append((words[1], tuple(params)))
        elif words[0] == "sfunction":
            sig = signature(following)
            if sig is None:
                warn(f"{path}:{j + 2}: cannot read the prototype after 'sfunction {words[1:]}'")
            else:
                functions.append(sig)
        else:
            warn(f"{path}:{i}: not a probe or sfunction heading: {heading.group(1)!r}")
    return probes, functions


def extract(git_dir: str, rev: str, warn) -> tuple[dict, dict, dict]:
    chapter_files: dict[str, list[str]] = {}
    probes: dict[str, tuple[str, tuple[str, ...]]] = {}
    functions: dict[str, tuple[str, str]] = {}
    for manual_id, files in chapters_of(git_show(git_dir, rev, TEMPLATE)):
        chapter = CHAPTER_IDS.get(manual_id)
        if chapter is None:
            warn(f"unknown chapter id {manual_id!r}: add it to CHAPTER_IDS")
            chapter = manual_id.replace(".stp", "").replace("_stp", "")
        chapter_files.setdefault(chapter, []).extend(files)
        for path in files:
            file_probes, file_functions = scan(git_show(git_dir, rev, path), path, warn)
            for name, variables in file_probes:
                if name in probes:
                    warn(f"{path}: probe {name} documented twice; the first one is kept")
                    continue
                probes[name] = (chapter, variables)
            for sig in file_functions:
                name = sig.split("(")[0].split(":")[0]
                if name in functions:
                    warn(f"{path}: function {name} documented twice; the first one is kept")
                    continue
                functions[name] = (chapter, sig)
    return chapter_files, probes, functions


def merge(editions: list[tuple[str, tuple[dict, dict, dict]]]):
    chapter_files: dict[str, list[str]] = {}
    probes: dict[str, tuple[str, tuple[str, ...]]] = {}
    functions: dict[str, tuple[str, str]] = {}
    seen: dict[str, list[str]] = {}
    for rev, (files, eprobes, efunctions) in editions:
        for chapter, paths in files.items():
            known = chapter_files.setdefault(chapter, [])
            known.extend(p for p in paths if p not in known)
        for name, (chapter, variables) in eprobes.items():
            old_chapter, old_vars = probes.get(name, (chapter, ()))
            probes[name] = (old_chapter, old_vars + tuple(v for v in variables if v not in old_vars))
            seen.setdefault(name, []).append(rev)
        for name, (chapter, sig) in efunctions.items():
            functions[name] = (functions.get(name, (chapter, sig))[0], sig)
            seen.setdefault(name, []).append(rev)
    editions_of = {name: (revs[0], revs[-1]) for name, revs in seen.items()}
    return chapter_files, probes, functions, editions_of


def short(rev: str) -> str:
    return rev if rev.startswith("release-") else rev[:9]


WIDTH = 100


def lit(value) -> str:
    """A Python literal with double quotes, as the rest of stapkit writes them."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, tuple):
        if len(value) == 1:
            return f"({lit(value[0])},)"
        return "(" + ", ".join(lit(v) for v in value) + ")"
    raise TypeError(value)


def entry(key, value: str, indent: str = "    ") -> list[str]:
    """`key: value,` on one line, or with a long trailing tuple wrapped to WIDTH."""
    line = f"{indent}{lit(key)}: {value},"
    if len(line) <= WIDTH or "(" not in value[1:]:
        return [line]
    # value is `(head, (item, item, ...))`: put the inner tuple's items on their own lines
    head, _, inner = value[1:-1].partition(", (")
    items = [i + "," for i in inner[:-1].split(", ")]
    lines = [f"{indent}{lit(key)}: (", f"{indent}    {head},", f"{indent}    ("]
    current = indent + "        "
    for item in items:
        if len(current) + len(item) + 1 > WIDTH and current.strip():
            lines.append(current.rstrip())
            current = indent + "        "
        current += item + " "
    lines += [current.rstrip(), f"{indent}    ),", f"{indent}),"]
    return lines


def render(git_dir: str, revs: list[str], chapter_files, probes, functions, editions_of) -> str:
    out = [
        "# Generated by tools/extract_manual_2009.py from these editions (tag or commit, date):",
        "EDITIONS: tuple[tuple[str, str, str], ...] = (",
    ]
    for rev in revs:
        commit, date = subprocess.run(
            ["git", "--git-dir", git_dir, "log", "-1", "--format=%H %cs", rev],
            check=True, capture_output=True, text=True,
        ).stdout.split()
        out.append(f"    {lit((short(rev), commit, date))},")
    out += [")", "", "# chapter -> the tapset files the manual's chapter was generated from",
            "CHAPTER_FILES: dict[str, tuple[str, ...]] = {"]
    for chapter, files in chapter_files.items():
        out.append(f"    {lit(chapter)}: (")
        out += [f"        {lit(f)}," for f in files]
        out.append("    ),")
    out += ["}", "", "# probe point -> (chapter, the variables the manual documented)",
            "PROBES_2009: dict[str, tuple[str, tuple[str, ...]]] = {"]
    for name, (chapter, variables) in probes.items():
        out += entry(name, f"({lit(chapter)}, {lit(tuple(variables))})")
    out += ["}", "", "# function -> (chapter, the documented signature `name:type(arg:type, ...)`)",
            "FUNCTIONS_2009: dict[str, tuple[str, str]] = {"]
    for name, (chapter, sig) in functions.items():
        out.append(f"    {lit(name)}: ({lit(chapter)}, {lit(sig)}),")
    out += ["}", "", "# name -> (first, last) edition that documented it, where not all of them did",
            "EDITIONS_OF: dict[str, tuple[str, str]] = {"]
    whole = (short(revs[0]), short(revs[-1]))
    for name, (first, last) in editions_of.items():
        if (short(first), short(last)) != whole:
            out.append(f"    {lit(name)}: {lit((short(first), short(last)))},")
    out.append("}")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--git-dir", default=DEFAULT_GIT_DIR)
    ap.add_argument("--rev", action="append", help="an edition to read (repeatable; default: EDITIONS)")
    ap.add_argument("--write", action="store_true", help=f"rewrite the generated block of {TARGET}")
    args = ap.parse_args(argv)
    warnings: list[str] = []
    revs = args.rev or list(EDITIONS)
    editions = [(rev, extract(args.git_dir, rev, warnings.append)) for rev in revs]
    block = render(args.git_dir, revs, *merge(editions))
    for w in dict.fromkeys(warnings):
        print(f"warning: {w}", file=sys.stderr)
    if not args.write:
        sys.stdout.write(block)
        return 0
    text = TARGET.read_text(encoding="utf-8")
    begin, end = "# BEGIN GENERATED\n", "# END GENERATED\n"
    head, _, rest = text.partition(begin)
    _, _, tail = rest.partition(end)
    if begin not in text or end not in rest:
        print(f"error: {TARGET} has no '# BEGIN GENERATED' / '# END GENERATED' block", file=sys.stderr)
        return 2
    TARGET.write_text(head + begin + block + end + tail, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
