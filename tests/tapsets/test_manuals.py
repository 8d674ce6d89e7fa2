"""Reading SystemTap's reference manuals (the 3stap man pages of systemtap-doc).

The real pages are read in place from /usr/share/man/man3 (STAPKIT_MAN_DIR to
override); the tests that need them are skipped when they are absent, as
tests/corpora.py does for the other corpora.  Bad pages are built in tmp_path
from made-up text.
"""

from __future__ import annotations

import bz2
import gzip
import os
from collections import Counter
from pathlib import Path

import pytest

from stapkit.tapsets import roff
from stapkit.tapsets.manuals import KINDS, Manuals, Signature, read_manuals

from ..corpora import require

MAN_DIR = Path(os.environ.get("STAPKIT_MAN_DIR", "/usr/share/man/man3"))

# Debian's 4.8 pages that document nothing: each holds only a SEE ALSO section (the
# generator made a page for something it could not parse: a `-`, a macro MKDEF, a
# function fp_div and a probe whose comment block it misread).  They are skipped
# with a warning; these are the only warnings the real pages give.
STUB_PAGES = {
    "function::-.3stap.gz",
    "function::MKDEF.3stap.gz",
    "function::fp_div.3stap.gz",
    "function::sa_handler.3stap.gz",
    "probe::sunrpc.svc.authorise.3stap.gz",
}


@pytest.fixture(scope="module")
def manuals() -> Manuals:
    require(MAN_DIR / "probe::socket.send.3stap.gz")
    return read_manuals(MAN_DIR)


@pytest.fixture(scope="module")
def manuals_with_docs() -> Manuals:
    require(MAN_DIR / "probe::socket.send.3stap.gz")
    return read_manuals(MAN_DIR, with_docs=True)


# --- the real 4.8 pages ---------------------------------------------------------------------


@pytest.mark.corpus
def test_counts_per_kind_match_the_files(manuals: Manuals):
    files = Counter(
        name.split("::")[0] for name in os.listdir(MAN_DIR) if "::" in name and name.endswith(".3stap.gz")
    )
    stubs = Counter(name.split("::")[0] for name in STUB_PAGES)
    found = Counter(e.kind for e in manuals.entries)
    assert found == files - stubs
    assert set(found) == set(KINDS)


@pytest.mark.corpus
def test_only_the_stub_pages_warn(manuals: Manuals):
    assert {w.path.name for w in manuals.warnings} == STUB_PAGES
    assert all("no NAME section" in w.message for w in manuals.warnings)


@pytest.mark.corpus
def test_entries_are_sorted_and_unique(manuals: Manuals):
    keys = [(e.kind, e.name) for e in manuals.entries]
    assert keys == sorted(set(keys))


@pytest.mark.corpus
def test_socket_send(manuals: Manuals):
    entry = manuals.get("probe", "socket.send")
    assert entry is not None
    assert entry.path == "probe::socket.send.3stap.gz"
    assert entry.chapter == "Socket Tapset"
    assert entry.tapsets == ("socket",)
    assert set(entry.variables) == {"name", "size", "protocol", "family", "state", "flags", "type", "success"}
    assert len(entry.variables) == 8
    assert not entry.deprecated and entry.deprecated_variables == ()
    assert entry.signatures == () and entry.arguments == ()


@pytest.mark.corpus
def test_socket_create_documents_requester_and_err(manuals: Manuals):
    assert {"requester", "name"} <= set(manuals.get("probe", "socket.create").variables)
    assert "err" in manuals.get("probe", "socket.create.return").variables
    assert manuals.get("probe", "socket.write_iter") and manuals.get("probe", "socket.read_iter")


@pytest.mark.corpus
def test_ip_ntop(manuals: Manuals):
    entry = manuals.get("function", "ip_ntop")
    assert entry.signatures == (Signature("string", (("addr", "long"),)),)
    assert entry.signatures[0].render(entry.name) == "ip_ntop:string(addr:long)"
    assert entry.arguments == ("addr",)
    assert entry.chapter == "Networking Tapset"


@pytest.mark.corpus
def test_function_shapes(manuals: Manuals):
    # no return type in the synopsis
    assert manuals.get("function", "exit").signatures == (Signature(None, ()),)
    # overloads: numbered synopsis lines
    ctime = manuals.get("function", "ctime")
    assert [s.render("ctime") for s in ctime.signatures] == ["ctime:string(epochsecs:long)", "ctime:string()"]
    assert len(manuals.get("function", "ansi_set_color").signatures) == 3
    # `pid:` with an empty type: the source leaves the parameter untyped
    assert manuals.get("function", "target_set_pid").signatures == (Signature(None, (("pid", None),)),)
    # mixed-case argument names
    assert "SourceIsLocal" in manuals.get("function", "ipmib_filter_key").arguments
    # every function page has a synopsis
    assert all(e.signatures for e in manuals.of_kind("function"))


@pytest.mark.corpus
def test_macros(manuals: Manuals):
    entry = manuals.get("macro", "json_output_array_numeric_value")
    assert entry.signatures == (
        Signature(None, (("array_name", None), ("array_index", None), ("metric_name", None), ("value", None))),
    )
    assert entry.arguments == ("array_name", "array_index", "metric_name", "value")
    assert entry.tapsets == ("json",)
    # "None" in ARGUMENTS: nothing documented
    assert manuals.get("macro", "json_output_data_end").arguments == ()


@pytest.mark.corpus
def test_values_none(manuals: Manuals):
    for name in ("json_data", "kprocess.start", "signal.syskill.return"):
        assert manuals.get("probe", name).variables == ()


@pytest.mark.corpus
def test_deprecations(manuals: Manuals):
    send_return = manuals.get("probe", "signal.send.return")  # said on the NAME line
    assert (send_return.deprecated, send_return.deprecated_since) == (True, "2.1")
    handle_return = manuals.get("probe", "signal.handle.return")  # said in DESCRIPTION
    assert (handle_return.deprecated, handle_return.deprecated_since) == (True, "2.1")
    cpuid = manuals.get("function", "cpuid")
    assert (cpuid.deprecated, cpuid.deprecated_since, cpuid.removed_since) == (True, "1.4", "1.5")
    assert manuals.get("function", "task_backtrace").deprecated_since == "1.6"
    # deprecated variables do not make the probe deprecated
    handle = manuals.get("probe", "signal.handle")
    assert not handle.deprecated
    assert handle.deprecated_variables == (("regs", "2.1"), ("oldset_addr", "2.1"))
    assert manuals.get("probe", "kprocess.release").deprecated_variables == (("pid", None),)
    deprecated = {(e.kind, e.name) for e in manuals.entries if e.deprecated}
    assert deprecated == {
        ("probe", "signal.send.return"),
        ("probe", "signal.handle.return"),
        ("function", "cpuid"),
        ("function", "task_backtrace"),
    }


@pytest.mark.corpus
def test_tapset_pages(manuals: Manuals):
    socket = manuals.get("tapset", "socket")
    assert socket.chapter is None  # the hand-written tapset pages have no chapter in .TH
    assert ("probe", "socket.send") in socket.members
    assert ("function", "sock_fam_num2str") in socket.members
    assert len(socket.members) == len(set(socket.members))
    json = manuals.get("tapset", "json")
    assert ("macro", "json_output_data_start") in json.members


@pytest.mark.corpus
def test_chapters_and_tapsets(manuals: Manuals):
    items = [e for e in manuals.entries if e.kind != "tapset"]
    assert all(e.chapter for e in items)
    tapset_names = {e.name for e in manuals.of_kind("tapset")}
    # every SEE ALSO reference names an existing tapset page
    assert {t for e in items for t in e.tapsets} <= tapset_names


@pytest.mark.corpus
def test_stapvars_globals(manuals: Manuals):
    found = {(g.name, g.type, g.index_types) for g in manuals.globals}
    assert found == {("argc", "long", ()), ("argv", "string", ("long",)), ("NULL", "long", ())}


@pytest.mark.corpus
def test_stapprobes_families(manuals: Manuals):
    families = manuals.probe_families
    points = set(families.points)
    for point in (
        "begin", "end", "error", "never", "begin(N)", "timer.ms(N)", "timer.jiffies(N).randomize(M)",
        "timer.profile.tick", "kernel.function(PATTERN)", "kernel.function(PATTERN).return",
        "module(MPATTERN).function(PATTERN)", 'process("PATH").function("NAME")',
        "process(PID).statement(ADDRESS).absolute", "kprobe.function(FUNCTION)",
        'procfs("PATH").read', "input.char", 'kernel.trace("name")', "kernel.data(ADDRESS).write",
        "perf.type(NN).config(MM)", 'python3.module("MPATTERN").function("PATTERN")',
        'java("PNAME").class("CLASSNAME").method("PATTERN")', 'kernel.mark("getuid")',
        'netfilter.hook("HOOKNAME").pf("PROTOCOL_F")', "syscall.*",
    ):
        assert point in points, point
    # suffixes, prefixes and placeholders on their own are not probe points
    assert not points & {'priority("255")', "kernel", "nd_syscall", "maxactive(10)"}
    assert len(families.points) == len(points)
    debuginfo = dict(families.debuginfo)
    assert {"kernel.function", "kernel.statement", "process.function"} <= set(debuginfo["DWARF"])
    assert {"begin", "never", "timer", "kprobe.function", "netfilter"} <= set(debuginfo["NON-DWARF"])
    assert debuginfo["AUTO-GENERATED-DWARF"] == ("kernel.trace",)
    assert "kernel.function" in families.disarmable and families.not_disarmable == ("timer.profile",)
    assert families.syscall_variables == ("argstr", "name", "retval", "retstr")
    assert families.netfilter_variables == ("$hooknum", "$skb", "$in", "$out", "$verdict")


@pytest.mark.corpus
def test_without_docs_no_prose(manuals: Manuals):
    for entry in manuals.entries:
        assert (entry.summary, entry.description, entry.context, entry.notes, entry.item_docs) == (None,) * 5
    assert all(g.description is None for g in manuals.globals)


@pytest.mark.corpus
def test_with_docs(manuals: Manuals, manuals_with_docs: Manuals):
    send = manuals_with_docs.get("probe", "socket.send")
    assert send.summary and send.context
    assert set(send.item_docs) == set(send.variables) and all(send.item_docs.values())
    assert manuals_with_docs.get("function", "ip_ntop").description is None  # the page has none
    ctime = manuals_with_docs.get("function", "ctime")
    assert ctime.description and "\\f" not in ctime.description and "\\(" not in ctime.description
    assert manuals_with_docs.get("function", "probefunc").notes.startswith("PLEASE NOTE")
    # the facts are the same either way
    strip = {"summary": None, "description": None, "context": None, "notes": None, "item_docs": None}
    import attrs

    assert [attrs.evolve(e, **strip) for e in manuals_with_docs.entries] == list(manuals.entries)


# --- bad input ------------------------------------------------------------------------------

# A made-up page in the DocBook shape.
GOOD_PAGE = """\
.TH "PROBE::DEMO\\&.POINT" "3stap" "May 2024" "SystemTap Tapset Reference" "Demo Tapset"
.\\" a comment
.SH "NAME"
probe::demo.point \\- a demo
.SH "SYNOPSIS"
.sp
.nf
demo\\&.point 
.fi
.SH "VALUES"
.PP
\\fIalpha\\fR
.RS 4
one
.RE
.PP
\\fIbeta\\fR
.RS 4
two (deprecated in SystemTap 3\\&.0)
.RE
.SH SEE ALSO\\n 
.IR tapset::demo (3stap)
"""


def write(directory: Path, name: str, data: bytes | str) -> Path:
    path = directory / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def gz(text: str | bytes) -> bytes:
    return gzip.compress(text.encode() if isinstance(text, str) else text, mtime=0)


def test_a_made_up_page(tmp_path: Path):
    write(tmp_path, "probe::demo.point.3stap.gz", gz(GOOD_PAGE))
    manuals = read_manuals(tmp_path)
    assert manuals.warnings == ()
    (entry,) = manuals.entries
    assert (entry.kind, entry.name, entry.chapter, entry.tapsets) == ("probe", "demo.point", "Demo Tapset", ("demo",))
    assert entry.variables == ("alpha", "beta")
    assert entry.deprecated_variables == (("beta", "3.0"),)
    assert manuals.globals == () and manuals.probe_families is None


def test_compressions_and_plain(tmp_path: Path):
    write(tmp_path, "probe::demo.point.3stap.bz2", bz2.compress(GOOD_PAGE.encode()))
    other = GOOD_PAGE.replace("demo.point", "demo.other").replace("demo\\&.point", "demo.other")
    write(tmp_path, "probe::demo.other.3stap", other)
    manuals = read_manuals(tmp_path)
    assert manuals.warnings == ()
    assert [e.name for e in manuals.entries] == ["demo.other", "demo.point"]


def test_a_page_in_two_compressions_is_read_once(tmp_path: Path):
    write(tmp_path, "probe::demo.point.3stap.gz", gz(GOOD_PAGE))
    write(tmp_path, "probe::demo.point.3stap", GOOD_PAGE)
    manuals = read_manuals(tmp_path)
    assert len(manuals.entries) == 1
    (warning,) = manuals.warnings
    assert "also documented by" in warning.message


def test_missing_directory(tmp_path: Path):
    manuals = read_manuals(tmp_path / "nope")
    assert manuals.entries == ()
    (warning,) = manuals.warnings
    assert warning.path == tmp_path / "nope" and "cannot list" in warning.message


def test_a_file_instead_of_a_directory(tmp_path: Path):
    path = write(tmp_path, "file", "x")
    (warning,) = read_manuals(path).warnings
    assert warning.path == path


def page(ident: str, *sections: str, th: str = '.TH "X" "3stap" "" "" "Ch"') -> bytes:
    """A gzipped made-up page: .TH, NAME `ident \\- x`, then the given sections."""
    return gz("\n".join([th, '.SH "NAME"', f"{ident} \\- x", *sections]) + "\n")


def synopsis(text: str) -> str:
    return f'.SH "SYNOPSIS"\n.nf\n{text}\n.fi'


NO_ARGUMENTS = '.SH "ARGUMENTS"\n.PP\nNone'
LATIN1_PAGE = GOOD_PAGE.replace("demo.point", "latin1").replace("demo\\&.point", "latin1").encode() + b"caf\xe9"

BAD_PAGES = {
    "function::corrupt.3stap.gz": (b"\x1f\x8b this is not gzip data", "cannot decompress"),
    "function::truncated.3stap.gz": (gz(GOOD_PAGE)[:40], "cannot decompress"),
    "function::empty.3stap.gz": (b"", "no NAME section"),
    "function::emptygz.3stap.gz": (gz(""), "no NAME section"),
    "function::garbage.3stap.gz": (gz(bytes(range(256)) * 4), "binary data"),
    "function::garbage2.3stap": (bytes(range(1, 256)) * 4, "not UTF-8"),
    "probe::latin1.3stap.gz": (gz(LATIN1_PAGE), "not UTF-8"),
    "function::nosynopsis.3stap.gz": (page("function::nosynopsis", NO_ARGUMENTS), "no SYNOPSIS"),
    "function::noarguments.3stap.gz": (page("function::noarguments", synopsis("noarguments()")), "no ARGUMENTS"),
    "function::badsynopsis.3stap.gz": (
        page("function::badsynopsis", synopsis("what is this"), NO_ARGUMENTS), "SYNOPSIS line is not"
    ),
    "function::wrongname.3stap.gz": (
        page("function::othername", synopsis("wrongname()"), NO_ARGUMENTS), "NAME names function::othername"
    ),
    "function::nochapter.3stap.gz": (
        page("function::nochapter", synopsis("nochapter()"), NO_ARGUMENTS, th='.TH "X" "3stap"'), "no chapter"
    ),
    "probe::novalues.3stap.gz": (page("probe::novalues", synopsis("novalues")), "no VALUES"),
    "probe::oddvalues.3stap.gz": (
        page("probe::oddvalues", synopsis("oddvalues"), '.SH "VALUES"\n.PP\nsome text\n.PP\n\\fIok\\fR\n.RS 4'),
        "line 10: unexpected",
    ),
    "probe::badname.3stap.gz": (gz(".SH NAME\njust words\n"), "NAME is not"),
    "widget::thing.3stap.gz": (gz(GOOD_PAGE), "unknown kind 'widget'"),
    "stapwidgets.3stap.gz": (gz(GOOD_PAGE), "unknown 3stap page"),
    "stapvars.3stap.gz": (gz(".TH STAPVARS 3stap\n.SH DESCRIPTION\n.SS X\n.TP\nnot a variable\n"), "is not NAME:TYPE"),
    "stapprobes.3stap.gz": (gz(".TH STAPPROBES 3stap\n.SH NAME\nx\n"), "no probe points found"),
}


def test_bad_pages_give_warnings_and_the_reading_goes_on(tmp_path: Path):
    for name, (data, _) in BAD_PAGES.items():
        write(tmp_path, name, data)
    write(tmp_path, "probe::demo.point.3stap.gz", gz(GOOD_PAGE))
    (tmp_path / "function::adirectory.3stap.gz").mkdir()  # unreadable as a file
    write(tmp_path, "printf.3.gz", b"not ours")  # another library's page: ignored

    manuals = read_manuals(tmp_path)

    messages: dict[str, list[str]] = {}
    for warning in manuals.warnings:
        assert warning.path.parent == tmp_path
        messages.setdefault(warning.path.name, []).append(warning.message)
    for name, (_, expected) in BAD_PAGES.items():
        assert any(expected in m for m in messages.get(name, [])), (name, messages.get(name))
    assert any("cannot read" in m for m in messages["function::adirectory.3stap.gz"])
    assert "printf.3.gz" not in messages
    assert manuals.get("probe", "demo.point").variables == ("alpha", "beta")
    # a page that could still be read keeps what it documents
    assert manuals.get("probe", "latin1").variables == ("alpha", "beta")
    assert manuals.get("probe", "oddvalues").variables == ("ok",)
    assert manuals.get("function", "nosynopsis").signatures == ()


def test_every_truncation_of_a_page_reads_without_raising(tmp_path: Path):
    lines = GOOD_PAGE.splitlines(keepends=True)
    for cut in range(len(lines) + 1):
        for size in (None, 7):  # at a line end, and in the middle of a line
            text = "".join(lines[:cut]) + (lines[cut][:size] if size and cut < len(lines) else "")
            write(tmp_path, "probe::demo.point.3stap.gz", gz(text))
            manuals = read_manuals(tmp_path, with_docs=True)
            assert len(manuals.entries) + len(manuals.warnings) >= 1


@pytest.mark.corpus
def test_every_truncation_of_real_pages_reads_without_raising(tmp_path: Path):
    pages = ("function::ctime.3stap.gz", "probe::signal.handle.3stap.gz", "stapprobes.3stap.gz", "stapvars.3stap.gz")
    for name in pages:
        text = gzip.decompress(require(MAN_DIR / name).read_bytes()).decode()
        lines = text.splitlines(keepends=True)
        for cut in range(0, len(lines) + 1, max(1, len(lines) // 30)):
            write(tmp_path, name, gz("".join(lines[:cut])))
            read_manuals(tmp_path, with_docs=True)


# --- roff -----------------------------------------------------------------------------------


def test_unescape():
    assert roff.unescape(r"probe::socket\&.send \- x") == "probe::socket.send - x"
    assert roff.unescape(r"\fBbold\fR \fIit\fP \f(CWmono\fR") == "bold it mono"
    assert roff.unescape(r"\(aqa\(aq \*(Aqb\*(Aq \(lqc\(rq \(em \e \\ \%d \(bu") == "'a' 'b' \"c\" -- \\ \\ d *"
    assert roff.unescape(r"SEE ALSO\n ") == "SEE ALSO"
    assert roff.unescape(r"text \" a comment") == "text "
    assert roff.unescape("trailing backslash \\") == "trailing backslash \\"


def test_split_request():
    assert roff.split_request('.SH "SEE ALSO"') == ("SH", ["SEE ALSO"])
    assert roff.split_request('.IR stap " option " \\-p2 .') == ("IR", ["stap", " option ", "\\-p2", "."])
    assert roff.split_request('.B "a ""quoted"" word" \\" comment') == ("B", ['a "quoted" word'])
    assert roff.split_request(".RS 4") == ("RS", ["4"])
    assert roff.split_request(".") == ("", [])


def test_to_text():
    text = roff.to_text([
        ".PP", "first \\fBline\\fR", "continued", ".sp", ".nf", "  keep", "  lines", ".fi",
        ".TP", ".IR tag (1)", "described here", ".IP \\(bu 4", "bullet", ".de X", "ignored", "..",
    ])
    assert text == "first line continued\n\n  keep\n  lines\n\ntag(1)\n\ndescribed here\n\n* bullet"
