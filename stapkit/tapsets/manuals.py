"""Facts from SystemTap's reference manuals: the 3stap man pages of systemtap-doc.

Debian's systemtap-doc installs one page per documented item in
/usr/share/man/man3 -- `probe::NAME.3stap.gz`, `function::NAME.3stap.gz`,
`macro::NAME.3stap.gz` and `tapset::NAME.3stap.gz` -- plus the overview
pages stapprobes(3stap), stapvars(3stap), stapfuncs(3stap) and stapex(3stap).
`read_manuals` reads them all and keeps the facts: which items are documented,
in which chapter and tapset, function and macro synopses, the documented
probe variables and function arguments, deprecations; from stapprobes the
probe-point spellings it names and its tables, from stapvars the public
globals.  stapfuncs only points to the function:: pages and stapex holds
examples: neither adds facts.

The manuals' prose (summaries, descriptions, per-variable text) is read only
with `with_docs=True`; it is for a user-local cache, never for the repository.

Reading never raises for bad input: a missing directory, an unreadable or
corrupt file, a page in an unexpected shape gives a `ManualWarning` naming the
file (and the line), and the reading goes on.
"""

from __future__ import annotations

import bisect
import bz2
import gzip
import lzma
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

import attrs

from . import roff

KINDS = ("function", "macro", "probe", "tapset")

# The overview pages: stapprobes and stapvars are read for facts; stapfuncs and
# stapex add none (stapfuncs only points to the function:: pages).
OVERVIEW_PAGES = ("stapprobes", "stapvars", "stapfuncs", "stapex")

DEFAULT_MAN_DIR = Path("/usr/share/man/man3")

# How man pages may be stored: distributions compress them with gzip, some with xz or bzip2.
_SUFFIXES = (".3stap.gz", ".3stap.xz", ".3stap.bz2", ".3stap")


@attrs.frozen
class ManualWarning:
    path: Path
    message: str  # what was unexpected, and where (a line number when there is one)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@attrs.frozen
class Signature:
    """One synopsis line of a function or macro: `ip_ntop:string(addr:long)`."""

    return_type: str | None  # None: the synopsis gives none (a function returning nothing; a macro)
    parameters: tuple[tuple[str, str | None], ...]  # (name, type); type None when not given

    def render(self, name: str) -> str:
        params = ",".join(n if t is None else f"{n}:{t}" for n, t in self.parameters)
        ret = "" if self.return_type is None else f":{self.return_type}"
        return f"{name}{ret}({params})"


@attrs.frozen
class ManualEntry:
    """One per-item page: probe::, function::, macro:: or tapset::."""

    kind: str  # one of KINDS
    name: str  # as in the file name and the NAME section: "socket.send", "ip_ntop", "json"
    path: str  # the file name only: "probe::socket.send.3stap.gz"
    chapter: str | None  # the .TH title, e.g. "Socket Tapset" (DocBook cuts it to 30 characters); None on tapset pages
    tapsets: tuple[str, ...] = ()  # the tapset:: pages in SEE ALSO, e.g. ("socket",)
    # functions and macros: one signature per synopsis line (overloads are numbered "1) ..." "2) ...")
    signatures: tuple[Signature, ...] = ()
    arguments: tuple[str, ...] = ()  # functions and macros: the ARGUMENTS entries, in page order
    variables: tuple[str, ...] = ()  # probes: the VALUES entries, in page order
    # probes: variables whose text says they are deprecated, with the version when stated
    deprecated_variables: tuple[tuple[str, str | None], ...] = ()
    deprecated: bool = False  # the NAME line or the DESCRIPTION says the item is deprecated
    deprecated_since: str | None = None  # "2.1" from "deprecated in SystemTap 2.1"
    removed_since: str | None = None  # "1.5" from "removed in SystemTap 1.5"
    members: tuple[tuple[str, str], ...] = ()  # tapset pages: the (kind, name) items they list
    # The prose, filled only by read_manuals(with_docs=True); None otherwise.
    summary: str | None = None  # the NAME line after the dash
    description: str | None = None  # DESCRIPTION as plain text
    context: str | None = None  # CONTEXT (probes; free text, no regular shape)
    notes: str | None = None  # any other sections (NOTE, ...), each headed by its title
    item_docs: dict[str, str] | None = attrs.field(default=None, hash=False)  # variable/argument -> text


@attrs.frozen
class ManualGlobal:
    """A public global variable documented in stapvars(3stap): `argv:string [long]`."""

    name: str
    type: str  # "long" or "string"
    index_types: tuple[str, ...]  # () for a scalar; the index types of an array
    section: str  # the stapvars section: "ARGV", "NULL"
    description: str | None = None  # with_docs only


@attrs.frozen
class ProbeFamilies:
    """What stapprobes(3stap) says about the probe points themselves."""

    # Probe-point spellings it names, in page order without repeats: the syntax of each
    # family (`kernel.function(PATTERN).return`, `timer.ms(N)`, `begin(N)`) and its examples.
    points: tuple[str, ...]
    # The DWARF DEBUGINFO table: class ("DWARF", "NON-DWARF", "SYMBOL-TABLE",
    # "AUTO-GENERATED-DWARF") -> families, with the table's shorthands spelled out.
    debuginfo: tuple[tuple[str, tuple[str, ...]], ...]
    # The ON-THE-FLY ARMING table: families whose probes can be armed/disarmed, and its exceptions.
    disarmable: tuple[str, ...]
    not_disarmable: tuple[str, ...]
    # The variables most syscall.* / nd_syscall.* aliases set, and the netfilter hooks' $variables.
    syscall_variables: tuple[str, ...]
    netfilter_variables: tuple[str, ...]


@attrs.frozen
class Manuals:
    entries: tuple[ManualEntry, ...]  # sorted by (kind, name)
    warnings: tuple[ManualWarning, ...]
    globals: tuple[ManualGlobal, ...] = ()  # from stapvars(3stap)
    probe_families: ProbeFamilies | None = None  # from stapprobes(3stap); None when absent

    def of_kind(self, kind: str) -> tuple[ManualEntry, ...]:
        return tuple(e for e in self.entries if e.kind == kind)

    def get(self, kind: str, name: str) -> ManualEntry | None:
        # entries are sorted by (kind, name): a binary search
        index = bisect.bisect_left(self.entries, (kind, name), key=lambda e: (e.kind, e.name))
        if index < len(self.entries) and (self.entries[index].kind, self.entries[index].name) == (kind, name):
            return self.entries[index]
        return None


def read_manuals(man_dir: Path = DEFAULT_MAN_DIR, *, with_docs: bool = False) -> Manuals:
    """Read every 3stap page in `man_dir`; never raises for bad pages (see the module docstring)."""
    man_dir = Path(man_dir)
    warnings: list[ManualWarning] = []
    try:
        names = sorted(p.name for p in man_dir.iterdir())
    except OSError as error:
        warnings.append(ManualWarning(man_dir, f"cannot list the manual directory: {error.strerror or error}"))
        return Manuals((), tuple(warnings))

    entries: list[ManualEntry] = []
    globals_: tuple[ManualGlobal, ...] = ()
    families: ProbeFamilies | None = None
    seen: dict[tuple[str, str], str] = {}
    for file_name in names:
        stem = _page_stem(file_name)
        if stem is None:
            continue  # not a 3stap page: man3 holds every library's pages
        path = man_dir / file_name
        kind, sep, name = stem.partition("::")
        if not sep:
            if stem not in OVERVIEW_PAGES:
                warnings.append(ManualWarning(path, f"unknown 3stap page {stem!r}: skipped"))
                continue
            if stem not in ("stapprobes", "stapvars"):
                continue
        elif kind not in KINDS:
            warnings.append(ManualWarning(path, f"unknown kind {kind!r} (expected one of {', '.join(KINDS)}): skipped"))
            continue
        page_warnings: list[str] = []
        lines = _read_lines(path, page_warnings)
        if lines is not None:
            if stem == "stapprobes":
                families = _read_stapprobes(lines, page_warnings)
            elif stem == "stapvars":
                globals_ = _read_stapvars(lines, page_warnings, with_docs)
            else:
                entry = _read_entry(kind, name, file_name, lines, page_warnings, with_docs)
                if entry is not None:
                    if (kind, name) in seen:
                        # e.g. both foo.3stap and foo.3stap.gz: keep the first, say so
                        page_warnings.append(f"{kind}::{name} is also documented by {seen[kind, name]}: skipped")
                    else:
                        seen[kind, name] = file_name
                        entries.append(entry)
        warnings.extend(ManualWarning(path, message) for message in page_warnings)
    entries.sort(key=lambda e: (e.kind, e.name))
    return Manuals(tuple(entries), tuple(warnings), globals_, families)


def _page_stem(file_name: str) -> str | None:
    for suffix in _SUFFIXES:
        if file_name.endswith(suffix):
            return file_name[: -len(suffix)]
    return None


def _read_lines(path: Path, warnings: list[str]) -> list[str] | None:
    """The page's text lines, or None (with a warning) when it cannot be read at all."""
    try:
        data = path.read_bytes()
    except OSError as error:
        warnings.append(f"cannot read: {error.strerror or error}")
        return None
    try:
        if path.name.endswith(".gz"):
            data = gzip.decompress(data)
        elif path.name.endswith(".xz"):
            data = lzma.decompress(data)
        elif path.name.endswith(".bz2"):
            data = bz2.decompress(data)
    except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as error:
        warnings.append(f"cannot decompress: {error}")
        return None
    if b"\0" in data:
        warnings.append("binary data (NUL bytes), not a man page: skipped")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        # Read it anyway: the facts are ASCII names; the odd byte is most likely in prose.
        warnings.append(f"not UTF-8 (byte {error.start}); undecodable bytes replaced")
        text = data.decode("utf-8", errors="replace")
    return text.splitlines()


# ---------------------------------------------------------------------------------------------
# The per-item pages


@attrs.frozen
class _Section:
    title: str  # upper case, unescaped: "NAME", "SEE ALSO"
    line: int  # 1-based line number of the .SH request
    body: tuple[tuple[int, str], ...]  # (line number, raw line)


def _split_sections(lines: list[str]) -> tuple[list[str] | None, list[_Section]]:
    """The .TH arguments (unescaped) and the .SH sections of a page."""
    th: list[str] | None = None
    sections: list[_Section] = []
    title: str | None = None
    start = 0
    body: list[tuple[int, str]] = []
    for number, line in enumerate(lines, 1):
        if roff.is_comment(line):
            continue
        if not roff.is_request(line):
            if title is not None:
                body.append((number, line))
            continue
        # only .TH and .SH need their arguments split (most lines are other requests)
        if line.startswith(".TH") and th is None:
            th = [roff.unescape(a) for a in roff.split_request(line)[1]]
        elif line.startswith(".SH ") or line.rstrip() == ".SH":
            args = roff.split_request(line)[1]
            if title is not None:
                sections.append(_Section(title, start, tuple(body)))
            # `.SH SEE ALSO\n ` (sic) in the DocBook pages: \n reads a register, i.e. nothing
            title = " ".join(roff.unescape(" ".join(args)).split()).upper()
            start, body = number, []
        elif title is not None:
            body.append((number, line))
    if title is not None:
        sections.append(_Section(title, start, tuple(body)))
    return th, sections


_NAME_LINE = re.compile(r"^(?P<kind>[A-Za-z]+)::(?P<name>\S+)\s+-\s*(?P<summary>.*)$")
_SEE_ALSO_REF = re.compile(r"^(?P<kind>[A-Za-z]+)::(?P<name>[^\s(]+)\s*\(3stap\)")
# The shapes in 4.8: a bare "deprecated", "deprecated in SystemTap X.Y", and that followed
# by "removed in SystemTap X.Y" (matched by _REMOVED).
_DEPRECATED = re.compile(
    r"\bdeprecated\b(?:\s+(?:in|since|as of)\s+(?:SystemTap\s+)?(?P<version>\d+(?:\.\d+)+))?", re.I
)
_REMOVED = re.compile(r"\bremoved\s+in\s+SystemTap\s+(?P<version>\d+(?:\.\d+)+)", re.I)
# A synopsis line: `1) ip_ntop:string(addr:long)`, `@json_output_numeric_value(name,value)`.
_SYNOPSIS = re.compile(r"^(?:\d+\)\s*)?(?P<name>@?[A-Za-z_][\w]*)(?::(?P<ret>\w+))?\s*\((?P<params>[^()]*)\)\s*$")
# `name:` with an empty type is how the generator writes a parameter the source leaves
# untyped (`function target_set_pid (pid)` -> `target_set_pid(pid:)`): the type is unknown.
_PARAMETER = re.compile(r"^(?P<name>[A-Za-z_]\w*)(?::(?P<type>\w*))?$")
_ITEM_NAME = re.compile(r"^\\fI(?P<name>.+?)\\f[RP]\s*$")


def _read_entry(
    kind: str, name: str, file_name: str, lines: list[str], warnings: list[str], with_docs: bool
) -> ManualEntry | None:
    th, sections = _split_sections(lines)
    by_title: dict[str, _Section] = {}
    for section in sections:
        by_title.setdefault(section.title, section)
    name_section = by_title.get("NAME")
    if name_section is None:
        # Debian's 4.8 has a few such stubs (only a SEE ALSO): nothing is documented there.
        warnings.append("no NAME section (the page documents nothing): skipped")
        return None
    summary = _read_name_line(kind, name, name_section, warnings)

    chapter = None
    if kind != "tapset":  # tapset pages are hand-written, their .TH has no chapter
        if th is None:
            warnings.append("no .TH line")
        elif len(th) < 5 or not th[4].strip():
            warnings.append("the .TH line has no chapter title (5th argument)")
        else:
            chapter = th[4].strip()

    references = _see_also(sections)
    tapsets = tuple(n for k, n in references if k == "tapset")
    fields: dict[str, object] = {}
    item_docs: dict[str, str] = {}
    if kind in ("function", "macro"):
        fields["signatures"] = _read_synopsis(kind, name, by_title.get("SYNOPSIS"), warnings)
        items = _read_items("ARGUMENTS", by_title.get("ARGUMENTS"), warnings)
        fields["arguments"] = tuple(n for n, _ in items)
        if with_docs:
            item_docs = {n: roff.to_text(body) for n, body in items}
    elif kind == "probe":
        _check_probe_synopsis(name, by_title.get("SYNOPSIS"), warnings)
        items = _read_items("VALUES", by_title.get("VALUES"), warnings)
        fields["variables"] = tuple(n for n, _ in items)
        item_docs = {n: roff.to_text(body) for n, body in items}
        deprecated_variables = []
        for variable, body in items:
            match = _DEPRECATED.search(item_docs[variable])
            if match:
                deprecated_variables.append((variable, match.group("version")))
        fields["deprecated_variables"] = tuple(deprecated_variables)
    else:
        fields["members"] = tuple((k, n) for k, n in references if k in KINDS and k != "tapset")
        tapsets = ()

    description_section = by_title.get("DESCRIPTION")
    description = roff.to_text(line for _, line in description_section.body) if description_section else None
    if kind != "tapset":
        # The item is deprecated when its NAME line or its DESCRIPTION says so; a deprecated
        # variable (in VALUES) or a tapset page's list of deprecated items does not count.
        for text in (summary, description or ""):
            match = _DEPRECATED.search(text)
            if match:
                fields["deprecated"] = True
                fields["deprecated_since"] = fields.get("deprecated_since") or match.group("version")
            removed = _REMOVED.search(text)
            if removed:
                fields["removed_since"] = removed.group("version")

    if with_docs:
        context_section = by_title.get("CONTEXT")
        fields["summary"] = summary
        fields["description"] = description
        fields["context"] = roff.to_text(line for _, line in context_section.body) if context_section else None
        known = {"NAME", "SYNOPSIS", "ARGUMENTS", "VALUES", "DESCRIPTION", "CONTEXT", "SEE ALSO"}
        notes = [
            f"{s.title}\n{roff.to_text(line for _, line in s.body)}".strip() for s in sections if s.title not in known
        ]
        fields["notes"] = "\n\n".join(notes) or None
        fields["item_docs"] = item_docs
    return ManualEntry(kind=kind, name=name, path=file_name, chapter=chapter, tapsets=tapsets, **fields)


def _read_name_line(kind: str, name: str, section: _Section, warnings: list[str]) -> str:
    """The summary of the NAME line `probe::socket.send \\- Message sent...`, checking the name."""
    text = " ".join(roff.unescape(line).strip() for _, line in section.body if not roff.is_request(line)).strip()
    match = _NAME_LINE.match(text)
    if match is None:
        warnings.append(f"line {section.line}: NAME is not 'KIND::NAME - summary'")
        return text
    if (match.group("kind"), match.group("name")) != (kind, name):
        named = f"{match.group('kind')}::{match.group('name')}"
        warnings.append(f"line {section.line}: NAME names {named}, the file {kind}::{name}")
    return match.group("summary").strip()


def _see_also(sections: list[_Section]) -> tuple[tuple[str, str], ...]:
    """The KIND::NAME(3stap) references of the SEE ALSO sections, in order, without repeats."""
    found: list[tuple[str, str]] = []
    for section in sections:
        if section.title != "SEE ALSO":
            continue
        for _, line in section.body:
            if roff.is_request(line):
                name, args = roff.split_request(line)
                text = roff.macro_text(name, args) or ""
            else:
                text = roff.unescape(line)
            match = _SEE_ALSO_REF.match(" ".join(text.split()))
            if match and (match.group("kind"), match.group("name")) not in found:
                found.append((match.group("kind"), match.group("name")))
    return tuple(found)


def _text_lines(section: _Section) -> list[tuple[int, str]]:
    return [(n, roff.unescape(line).strip()) for n, line in section.body if not roff.is_request(line)]


def _read_synopsis(kind: str, name: str, section: _Section | None, warnings: list[str]) -> tuple[Signature, ...]:
    if section is None:
        warnings.append("no SYNOPSIS section")
        return ()
    signatures = []
    expected = f"@{name}" if kind == "macro" else name
    for number, text in _text_lines(section):
        if not text:
            continue
        match = _SYNOPSIS.match(text)
        if match is None:
            warnings.append(f"line {number}: SYNOPSIS line is not NAME[:TYPE](PARAM[:TYPE], ...): {text[:60]!r}")
            continue
        if match.group("name") != expected:
            warnings.append(f"line {number}: SYNOPSIS names {match.group('name')!r}, the page {expected!r}")
        parameters = []
        for raw in filter(None, (p.strip() for p in match.group("params").split(","))):
            param = _PARAMETER.match(raw)
            if param is None:
                warnings.append(f"line {number}: SYNOPSIS parameter {raw[:40]!r} is not NAME[:TYPE]")
                continue
            parameters.append((param.group("name"), param.group("type") or None))
        signatures.append(Signature(match.group("ret"), tuple(parameters)))
    if not signatures:
        warnings.append(f"line {section.line}: SYNOPSIS gives no signature")
    return tuple(signatures)


def _check_probe_synopsis(name: str, section: _Section | None, warnings: list[str]) -> None:
    if section is None:
        warnings.append("no SYNOPSIS section")
        return
    points = [(n, t) for n, t in _text_lines(section) if t]
    if [t for _, t in points] != [name]:
        where = f"line {points[0][0]}" if points else f"line {section.line}"
        found = " ".join(t for _, t in points)[:60]
        warnings.append(f"{where}: SYNOPSIS is {found!r}, expected the probe point {name!r}")


def _read_items(title: str, section: _Section | None, warnings: list[str]) -> list[tuple[str, list[str]]]:
    """The entries of VALUES / ARGUMENTS: (name, raw body lines) in page order.

    The DocBook shape is `.PP`, `\\fINAME\\fR`, `.RS 4`, text..., `.RE`; a section
    with nothing to document holds `.PP` and `None`.
    """
    if section is None:
        warnings.append(f"no {title} section")
        return []
    items: list[tuple[str, list[str]]] = []
    body = section.body
    i = 0
    while i < len(body):
        number, line = body[i]
        stripped = line.strip()
        if not stripped or stripped in (".PP", ".P", ".sp"):
            i += 1
            continue
        if roff.unescape(stripped).strip().lower() in ("none", "none."):
            i += 1
            continue
        match = _ITEM_NAME.match(stripped)
        if match is None:
            warnings.append(f"line {number}: unexpected {stripped[:50]!r} in {section.title} (expected \\fINAME\\fR)")
            i += 1
            continue
        name = roff.unescape(match.group("name")).strip()
        if not name or " " in name:
            warnings.append(f"line {number}: {section.title} entry {name!r} is not a name")
        i += 1
        text: list[str] = []
        if i < len(body) and body[i][1].startswith(".RS"):
            depth = 1
            i += 1
            while i < len(body):
                inner = body[i][1]
                if inner.startswith(".RS"):
                    depth += 1
                elif inner.startswith(".RE"):
                    depth -= 1
                    if depth == 0:
                        i += 1
                        break
                text.append(inner)
                i += 1
        if name and " " not in name:
            items.append((name, text))
    return items


# ---------------------------------------------------------------------------------------------
# stapvars(3stap)

_GLOBAL = re.compile(r"^(?P<name>[A-Za-z_]\w*):(?P<type>\w+)(?:\s*\[(?P<index>[^\]]*)\])?$")


def _read_stapvars(lines: list[str], warnings: list[str], with_docs: bool) -> tuple[ManualGlobal, ...]:
    """The `.TP` / `NAME:TYPE [INDEX]` entries under the .SS sections of DESCRIPTION.

    The entries before the first .SS are the page's own examples of the notation
    (`example1:long`), not variables.
    """
    found: list[ManualGlobal] = []
    section: str | None = None
    in_description = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if roff.is_request(line):
            name, args = roff.split_request(line)
            if name == "SH":
                in_description = " ".join(roff.unescape(a) for a in args).strip().upper() == "DESCRIPTION"
                section = None
            elif name == "SS" and in_description:
                section = " ".join(roff.unescape(a) for a in args).strip()
            elif name == "TP" and section is not None and i + 1 < len(lines):
                tag = roff.unescape(lines[i + 1]).strip()
                match = _GLOBAL.match(tag)
                if match is None:
                    warnings.append(f"line {i + 2}: stapvars entry {tag[:50]!r} is not NAME:TYPE [INDEX]")
                else:
                    body = []
                    j = i + 2
                    while j < len(lines) and not lines[j].startswith((".TP", ".SS", ".SH")):
                        body.append(lines[j])
                        j += 1
                    index = match.group("index")
                    found.append(ManualGlobal(
                        name=match.group("name"),
                        type=match.group("type"),
                        index_types=tuple(t.strip() for t in index.split(",")) if index else (),
                        section=section,
                        description=roff.to_text(body) if with_docs else None,
                    ))
                i += 2
                continue
        i += 1
    if not found:
        warnings.append("no variables found (expected .TP NAME:TYPE entries under .SS headings)")
    return tuple(found)


# ---------------------------------------------------------------------------------------------
# stapprobes(3stap)

# A probe point as written in stapprobes: dotted components, each maybe with one argument
# (a quoted string, a number or a placeholder such as PATTERN), `*` wildcards allowed.
_COMPONENT = r'[A-Za-z_*][\w*]*(?:\((?:"[^"]*"|[^()"\s]*)\))?'
_POINT = re.compile(rf"{_COMPONENT}(?:\.{_COMPONENT})*")
_POINT_LINE = re.compile(rf"^(?:probe\s+)?(?P<point>{_POINT.pattern})\s*(?:\{{.*)?$")


@attrs.define
class _Line:
    number: int
    text: str
    section: str  # the .SH title
    subsection: str  # the .SS title, or ""


def _stapprobes_lines(lines: list[str]) -> Iterator[_Line]:
    section = subsection = ""
    for number, line in enumerate(lines, 1):
        if line.startswith((".SH", ".SS")):
            _, args = roff.split_request(line)
            title = " ".join(roff.unescape(a) for a in args).strip().upper()
            if line.startswith(".SH"):
                section, subsection = title, ""
            else:
                subsection = title
        yield _Line(number, line, section, subsection)


def _read_stapprobes(lines: list[str], warnings: list[str]) -> ProbeFamilies:
    debuginfo = _read_debuginfo_table(lines, warnings)
    disarmable, not_disarmable = _read_arming_table(lines, warnings)
    # The families the page's table names as a single word: begin, end, error, never, timer, ...
    single_words = {n for _, names in debuginfo for n in names if "." not in n}
    points: dict[str, None] = {}  # ordered set
    syscall_variables: list[str] = []
    netfilter_variables: list[str] = []
    in_sample = False
    tag_pending = False
    for line in _stapprobes_lines(lines):
        text = line.text
        if roff.is_request(text):
            name, args = roff.split_request(text)
            in_sample = (in_sample or name == "SAMPLE") and name != "ESAMPLE"
            tag_pending = name == "TP"
            if line.section != "PROBE POINT FAMILIES":
                continue
            for word in roff.highlighted_arguments(name, args):
                # a family named inline: `.IR syscall.* " and " nd_syscall.*`, `.IR never`
                if _is_family_point(word.strip(), single_words):
                    points.setdefault(word.strip())
            previous = lines[line.number - 2] if line.number >= 2 else ""
            if name == "IR" and len(args) == 1 and previous.startswith(".TP"):
                variable = roff.unescape(args[0]).strip()
                if re.fullmatch(r"\$?[A-Za-z_]\w*", variable):
                    # the .TP lists of variables in the SYSCALL and NETFILTER sections
                    if line.subsection.startswith("SYSCALL"):
                        syscall_variables.append(variable)
                    elif line.subsection.startswith("NETFILTER"):
                        netfilter_variables.append(variable)
            continue
        plain = roff.unescape(text).strip()
        if in_sample and line.section == "PROBE POINT FAMILIES":
            match = _POINT_LINE.match(plain)
            if match and _is_family_point(match.group("point"), single_words):
                points.setdefault(match.group("point"))
        elif tag_pending and line.section == "EXAMPLES":
            # each .TP tag of EXAMPLES is a comma-separated list of probe points
            for part in _split_points(plain):
                if _POINT.fullmatch(part):
                    points.setdefault(part)
        tag_pending = False

    if not points:
        warnings.append("no probe points found in PROBE POINT FAMILIES")
    for label, found in (("SYSCALL", syscall_variables), ("NETFILTER", netfilter_variables)):
        if not found:
            warnings.append(f"no variable list found in the {label} section")
    return ProbeFamilies(
        points=tuple(points),
        debuginfo=debuginfo,
        disarmable=disarmable,
        not_disarmable=not_disarmable,
        syscall_variables=tuple(syscall_variables),
        netfilter_variables=tuple(netfilter_variables),
    )


def _is_family_point(text: str, single_words: set[str]) -> bool:
    """Is `text` a probe-point spelling (not a suffix, a variable, a file name)?

    A single component is taken only when the page's DWARF DEBUGINFO table
    names it as a family (`begin(N)`, `never`): elsewhere a lone word is a
    suffix (`priority("255")`), a prefix (`kernel`, `nd_syscall`) or a function.
    """
    if not _POINT.fullmatch(text):
        return False
    return "." in text or text.split("(", 1)[0] in single_words


def _split_points(text: str) -> list[str]:
    """`kernel.function("*init*"), kernel.function("*exit*")` -> the two points."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        elif not quoted and depth == 0 and char == ",":
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def _table_rows(lines: list[str], section: str) -> list[list[str]] | None:
    """The data rows (cells unescaped) of the first .TS table of a .SH section, header included."""
    current = ""
    rows: list[list[str]] = []
    state = "before"
    for line in lines:
        if line.startswith(".SH"):
            current = " ".join(roff.unescape(a) for a in roff.split_request(line)[1]).strip().upper()
            continue
        if current != section:
            continue
        if state == "before" and line.startswith(".TS"):
            state = "format"
        elif state == "format":
            state = "rows" if line.rstrip().endswith(".") else "format"
        elif state == "rows":
            if line.startswith(".TE"):
                return rows
            if not roff.is_request(line) and line.strip():
                rows.append([roff.unescape(cell).strip() for cell in line.split("\t")])
    return rows or None


def _expand_shorthands(cell: str) -> list[str]:
    """`kernel.function, .statement` -> kernel.function, kernel.statement; `*` fallback marks dropped."""
    names: list[str] = []
    for part in (p.strip().rstrip("*").strip() for p in cell.split(",")):
        if not part:
            continue
        if part.startswith(".") and names and "." in names[-1]:
            part = names[-1].rsplit(".", 1)[0] + part  # same prefix as the name before
        names.append(part)
    return names


def _read_debuginfo_table(lines: list[str], warnings: list[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    rows = _table_rows(lines, "DWARF DEBUGINFO")
    if not rows or len(rows[0]) < 2:
        warnings.append("DWARF DEBUGINFO: no table found")
        return ()
    headers = list(rows[0])
    columns: dict[str, list[str]] = {h: [] for h in headers}
    for row in rows[1:]:
        for index, cell in enumerate(row[: len(headers)]):
            if cell.isupper() and "." not in cell:
                # a new heading within the column (AUTO-GENERATED-DWARF under DWARF)
                headers[index] = cell
                columns.setdefault(cell, [])
                continue
            for name in _expand_shorthands(cell):
                if name not in columns[headers[index]]:
                    columns[headers[index]].append(name)
    return tuple((h, tuple(n)) for h, n in columns.items())


def _read_arming_table(lines: list[str], warnings: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    rows = _table_rows(lines, "ON-THE-FLY ARMING")
    if not rows or len(rows[0]) < 2:
        warnings.append("ON-THE-FLY ARMING: no table found")
        return (), ()
    disarmable: list[str] = []
    exceptions: list[str] = []
    for row in rows[1:]:
        # `timer.` in the table means the timer.* family
        disarmable.extend(n.rstrip(".") for n in _expand_shorthands(row[0]))
        if len(row) > 1:
            exceptions.extend(_expand_shorthands(row[1]))
    return tuple(disarmable), tuple(exceptions)
