"""SystemTap's built-in probe families: the probe points that are not tapset aliases.

The table below has one row per pattern, spelled as `stap --dump-probe-types`
of Debian's stap 4.8 prints it (all 260 of them), plus the families the 4.8
manual documents but Debian's build leaves out (java, python2, python3:
compiled only with byteman / python probe support).  A pattern is a dotted
list of components, each a name with no argument, a `(string)` or a
`(number)`.  Optional parts of a family are separate patterns, exactly as stap
registers them: `process.begin`, `process(string).begin` and
`process(number).begin` are three rows.

Facts per group, and where they come from:

* `side`: "session" (runs when the script starts or stops, or never),
  "kernel" or "user" (the event happens in a user-space program).
* `needs_debuginfo`: DWARF of the probed kernel, module or program is read to
  resolve it (for kernel.trace, DWARF generated from the kernel headers) —
  the DWARF DEBUGINFO table of stapprobes(3stap).  `needs_target`: resolving
  it reads anything of the target system (debuginfo, symbol tables, SDT notes,
  PLTs, kernel headers, the probed program), so a static checker can check only
  its shape.
* `runtimes`: "kernel" (the default) always; "bpf" when stap 4.8's bpf
  back end translates the family (bpf-translate.cxx of release-4.8 translates
  begin/end/error, kprobe- and uprobe-based probes, kernel tracepoints, timers,
  perf and procfs, and warns that it ignores utrace, hardware-breakpoint,
  process.insn, netfilter, timer.profile, static-marker and python probes;
  never, begin, timers and procfs compile with `stap --runtime=bpf -p4`, and
  netfilter prints the "ignored" warning).  The dyninst runtime is not
  recorded: Debian's stap is built without it.
* `unprivileged`: allowed with `--privilege=stapusr` — exactly the patterns
  `stap --privilege=stapusr --dump-probe-types` prints (171 of the 260), plus
  java and python (registered with pr_all in the 4.8 sources).
* `guru_only`: needs `stap -g` ("absolute statement probe in unprivileged
  script; need stap -g").

Arguments are never converted between kinds: stap reports `timer.ms("5")` as
a probe point mismatch, and so does `begin("1")` or `procfs(1).read`.

The descriptions are stapkit's own words; no manual text is kept here.

Other releases: tapset_db/probe-families-releases.json (built by
tools/build_family_releases.py from each release's C++ registration code)
gives each pattern of every release from 1.0 to the development head the
releases that register it.  `families(release)` is that release's set: the
table's rows for the patterns 4.8 has too, and rows of the groups above for
the others.  The table stays the default (`families()`, and any release the
file does not know), so that 4.8 needs no file at all.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path

import attrs

TABLE_RELEASE = "4.8"  # the release the table below is (Debian 12's stap)
RELEASES_FILE = "probe-families-releases.json"
RELEASES_FORMAT = "stapkit-probe-families-releases-1"
STRING = "string"
NUMBER = "number"
KERNEL_RUNTIME = "kernel"
BPF_RUNTIME = "bpf"


@attrs.frozen
class Component:
    """One component of a family pattern: `function(string)` is ("function", "string")."""

    name: str
    arg: str | None  # None, "string" or "number"

    def __attrs_post_init__(self) -> None:
        if self.arg not in (None, STRING, NUMBER):
            raise ValueError(f"argument kind must be None, 'string' or 'number', not {self.arg!r}")

    def __str__(self) -> str:
        return self.name if self.arg is None else f"{self.name}({self.arg})"


@attrs.frozen
class ProbeGroup:
    """Facts shared by the patterns of one family group (see the module docstring)."""

    name: str
    description: str  # stapkit's own words
    side: str  # "session", "kernel" or "user"
    needs_debuginfo: bool
    needs_target: bool
    runtimes: tuple[str, ...]
    unprivileged: bool
    guru_only: bool = False
    # False for families the 4.8 manual documents but Debian's stap 4.8 does not register.
    registered: bool = True


@attrs.frozen
class ProbeFamily:
    """One built-in probe point pattern, `kernel.function(string).return`, with its group's facts.

    The group's facts are copied onto each family so a checker holding a
    family needs no second lookup.
    """

    pattern: str
    components: tuple[Component, ...]
    group: str
    needs_debuginfo: bool
    needs_target: bool
    side: str
    runtimes: tuple[str, ...]
    unprivileged: bool
    guru_only: bool
    registered: bool

    @property
    def description(self) -> str:
        return _GROUPS[self.group].description

    @property
    def key(self) -> tuple[tuple[str, str | None], ...]:
        """The pattern as (name, argument kind) pairs, the shape `find_families` takes."""
        return tuple((c.name, c.arg) for c in self.components)


_BOTH = (KERNEL_RUNTIME, BPF_RUNTIME)
_KERNEL = (KERNEL_RUNTIME,)

_GROUP_LIST = (
    ProbeGroup("begin/end/error", "runs once when the session starts, when it ends, or after a "
               "run-time error ends it; the number orders several such probes",
               "session", False, False, _BOTH, unprivileged=True),
    ProbeGroup("never", "never fires; a placeholder that still gets its handler checked",
               "session", False, False, _BOTH, unprivileged=True),
    ProbeGroup("timer", "fires periodically, every N seconds, milliseconds, microseconds, "
               "nanoseconds or jiffies, or N times a second (hz); randomize(M) adds up to "
               "M units of jitter to each period",
               "kernel", False, False, _BOTH, unprivileged=True),
    ProbeGroup("timer.profile", "fires on every CPU's profiling timer tick",
               "kernel", False, False, _KERNEL, unprivileged=False),
    ProbeGroup("kernel.function", "a kernel function, chosen by name pattern (name@file:line "
               "forms included) or by address: its entry, return, inline copies, a label in it, "
               "or the calls it makes",
               "kernel", True, True, _BOTH, unprivileged=False),
    ProbeGroup("kernel.statement", "a kernel source line or address, placed with debuginfo",
               "kernel", True, True, _BOTH, unprivileged=False),
    ProbeGroup("kernel.statement.absolute", "a raw kernel address, used unchecked",
               "kernel", False, False, _BOTH, unprivileged=False, guru_only=True),
    ProbeGroup("module.function", "like kernel.function, in a kernel module chosen by name pattern",
               "kernel", True, True, _BOTH, unprivileged=False),
    ProbeGroup("module.statement", "like kernel.statement, in a kernel module",
               "kernel", True, True, _BOTH, unprivileged=False),
    ProbeGroup("kprobe", "a kernel or module function's entry or return found through the "
               "symbol table, without debuginfo (so no context variables)",
               "kernel", False, True, _BOTH, unprivileged=False),
    ProbeGroup("kprobe.statement.absolute", "a raw kernel address through kprobes, used unchecked",
               "kernel", False, False, _BOTH, unprivileged=False, guru_only=True),
    ProbeGroup("kernel.trace", "a kernel tracepoint, by name pattern; its arguments come from "
               "the kernel headers",
               "kernel", True, True, _BOTH, unprivileged=False),
    ProbeGroup("kernel.mark", "an old-style kernel marker (gone from modern kernels)",
               "kernel", False, True, _KERNEL, unprivileged=False),
    ProbeGroup("kernel.data", "a hardware watchpoint on a kernel address, on writes or on "
               "reads and writes, optionally over a length",
               "kernel", False, False, _KERNEL, unprivileged=False),
    ProbeGroup("kernel.data.symbol", "a hardware watchpoint on a kernel symbol, on writes or on "
               "reads and writes",
               "kernel", False, True, _KERNEL, unprivileged=False),
    ProbeGroup("process.begin", "a user process or thread starting or ending: any process, one "
               "program by path, or one process id",
               "user", False, False, _KERNEL, unprivileged=True),
    ProbeGroup("process.syscall", "a user process entering or leaving a system call",
               "user", False, False, _KERNEL, unprivileged=True),
    ProbeGroup("process.insn", "single-stepping a user process, instruction by instruction or "
               "block by block",
               "user", False, False, _KERNEL, unprivileged=False),
    ProbeGroup("process.function", "a function of a user program or of a library it uses, "
               "with the same forms as kernel.function",
               "user", True, True, _BOTH, unprivileged=True),
    ProbeGroup("process.statement", "a source line or address in a user program or library, "
               "placed with debuginfo",
               "user", True, True, _BOTH, unprivileged=True),
    ProbeGroup("process.statement.absolute", "a raw address in one running process, used "
               "unchecked; .return fires when the code there returns",
               "user", False, False, _BOTH, unprivileged=True),
    ProbeGroup("process.mark", "a static (SDT) probe compiled into a user program or library, "
               "by marker name and optionally provider",
               "user", False, True, _BOTH, unprivileged=True),
    ProbeGroup("process.plt", "calls through a user program's or library's procedure linkage "
               "table, by symbol pattern (all of them without one), or their returns",
               "user", False, True, _BOTH, unprivileged=True),
    ProbeGroup("procfs", "a file under the session's procfs directory being read or written; "
               "umask sets its permissions, maxsize its read buffer",
               "kernel", False, False, _BOTH, unprivileged=False),
    ProbeGroup("perf", "a perf event counter of a given type and config overflowing, for the "
               "whole system or one program; or a named counter read from other probes",
               "kernel", False, False, _BOTH, unprivileged=False),
    ProbeGroup("netfilter", "a packet passing a netfilter hook of a protocol family, with an "
               "optional priority",
               "kernel", False, False, _KERNEL, unprivileged=False),
    # Families of other releases than 4.8 (tapset_db/probe-families-releases.json has their
    # releases): the facts are those of the 4.8 group they are closest to.
    ProbeGroup("perfmon", "a hardware performance counter of the old perfmon interface, read from "
               "other probes (SystemTap 1.0 and 1.1)",
               "kernel", False, False, _KERNEL, unprivileged=False),
    ProbeGroup("process.data", "a hardware watchpoint on an address (or, in the development head, "
               "a symbol) of a user process, on writes or on reads and writes",
               "user", False, True, _KERNEL, unprivileged=False),
    ProbeGroup("kernel.tracepoint", "a kernel or module tracepoint whose arguments come from the "
               "kernel's BTF type information",
               "kernel", False, True, _BOTH, unprivileged=False),
    ProbeGroup("kernel.lsm", "a Linux security module hook (the bpf back end only)",
               "kernel", False, True, (BPF_RUNTIME,), unprivileged=False),
    ProbeGroup("debuginfod", "a program a debuginfod server has, by build-id or path (optionally "
               "inside an archive); the rest of the point is resolved in it",
               "user", True, True, _KERNEL, unprivileged=False),
    ProbeGroup("java", "a Java method's entry or return in a JVM chosen by name or process id "
               "(needs byteman support, not built into Debian's stap 4.8)",
               "user", False, True, _KERNEL, unprivileged=True, registered=False),
    ProbeGroup("python", "a Python 2 or 3 function's entry or return (needs python probe "
               "support, not built into Debian's stap 4.8)",
               "user", True, True, _KERNEL, unprivileged=True, registered=False),
)
_GROUPS = {g.name: g for g in _GROUP_LIST}

# One row per pattern, by group, spelled as `stap --dump-probe-types` spells it.
_TABLE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("begin/end/error", (
        "begin",
        "begin(number)",
        "end",
        "end(number)",
        "error",
        "error(number)",
    )),
    ("never", (
        "never",
    )),
    ("timer", (
        "timer.hz(number)",
        "timer.jiffies(number)",
        "timer.jiffies(number).randomize(number)",
        "timer.ms(number)",
        "timer.ms(number).randomize(number)",
        "timer.msec(number)",
        "timer.msec(number).randomize(number)",
        "timer.ns(number)",
        "timer.ns(number).randomize(number)",
        "timer.nsec(number)",
        "timer.nsec(number).randomize(number)",
        "timer.s(number)",
        "timer.s(number).randomize(number)",
        "timer.sec(number)",
        "timer.sec(number).randomize(number)",
        "timer.us(number)",
        "timer.us(number).randomize(number)",
        "timer.usec(number)",
        "timer.usec(number).randomize(number)",
    )),
    ("timer.profile", (
        "timer.profile.tick",
    )),
    ("kernel.function", (
        "kernel.function(number)",
        "kernel.function(number).call",
        "kernel.function(number).exported",
        "kernel.function(number).return",
        "kernel.function(number).return.maxactive(number)",
        "kernel.function(string)",
        "kernel.function(string).call",
        "kernel.function(string).callee(string)",
        "kernel.function(string).callee(string).call",
        "kernel.function(string).callee(string).return",
        "kernel.function(string).callees",
        "kernel.function(string).callees(number)",
        "kernel.function(string).exported",
        "kernel.function(string).inline",
        "kernel.function(string).label(string)",
        "kernel.function(string).return",
        "kernel.function(string).return.maxactive(number)",
    )),
    ("kernel.statement", (
        "kernel.statement(number)",
        "kernel.statement(number).nearest",
        "kernel.statement(string)",
        "kernel.statement(string).nearest",
    )),
    ("kernel.statement.absolute", (
        "kernel.statement(number).absolute",
    )),
    ("module.function", (
        "module(string).function(number)",
        "module(string).function(number).call",
        "module(string).function(number).exported",
        "module(string).function(number).return",
        "module(string).function(number).return.maxactive(number)",
        "module(string).function(string)",
        "module(string).function(string).call",
        "module(string).function(string).callee(string)",
        "module(string).function(string).callee(string).call",
        "module(string).function(string).callee(string).return",
        "module(string).function(string).callees",
        "module(string).function(string).callees(number)",
        "module(string).function(string).exported",
        "module(string).function(string).inline",
        "module(string).function(string).label(string)",
        "module(string).function(string).return",
        "module(string).function(string).return.maxactive(number)",
    )),
    ("module.statement", (
        "module(string).statement(number)",
        "module(string).statement(number).nearest",
        "module(string).statement(string)",
        "module(string).statement(string).nearest",
    )),
    ("kprobe", (
        "kprobe.function(string)",
        "kprobe.function(string).call",
        "kprobe.function(string).return",
        "kprobe.function(string).return.maxactive(number)",
        "kprobe.module(string).function(string)",
        "kprobe.module(string).function(string).call",
        "kprobe.module(string).function(string).return",
        "kprobe.module(string).function(string).return.maxactive(number)",
    )),
    ("kprobe.statement.absolute", (
        "kprobe.statement(number).absolute",
    )),
    ("kernel.trace", (
        "kernel.trace(string)",
    )),
    ("kernel.mark", (
        "kernel.mark(string)",
        "kernel.mark(string).format(string)",
    )),
    ("kernel.data", (
        "kernel.data(number).length(number).rw",
        "kernel.data(number).length(number).write",
        "kernel.data(number).rw",
        "kernel.data(number).write",
    )),
    ("kernel.data.symbol", (
        "kernel.data(string).rw",
        "kernel.data(string).write",
    )),
    ("process.begin", (
        "process.begin",
        "process.end",
        "process.thread.begin",
        "process.thread.end",
        "process(number).begin",
        "process(number).end",
        "process(number).thread.begin",
        "process(number).thread.end",
        "process(string).begin",
        "process(string).end",
        "process(string).thread.begin",
        "process(string).thread.end",
    )),
    ("process.syscall", (
        "process.syscall",
        "process.syscall.return",
        "process(number).syscall",
        "process(number).syscall.return",
        "process(string).syscall",
        "process(string).syscall.return",
    )),
    ("process.insn", (
        "process(number).insn",
        "process(number).insn.block",
        "process(string).insn",
        "process(string).insn.block",
    )),
    ("process.function", (
        # any process (or the -c/-x target)
        "process.function(number)",
        "process.function(number).call",
        "process.function(number).exported",
        "process.function(number).return",
        "process.function(string)",
        "process.function(string).call",
        "process.function(string).callee(string)",
        "process.function(string).callee(string).call",
        "process.function(string).callee(string).return",
        "process.function(string).callees",
        "process.function(string).callees(number)",
        "process.function(string).exported",
        "process.function(string).inline",
        "process.function(string).label(string)",
        "process.function(string).return",
        "process.library(string).function(number)",
        "process.library(string).function(number).call",
        "process.library(string).function(number).exported",
        "process.library(string).function(number).return",
        "process.library(string).function(string)",
        "process.library(string).function(string).call",
        "process.library(string).function(string).callee(string)",
        "process.library(string).function(string).callee(string).call",
        "process.library(string).function(string).callee(string).return",
        "process.library(string).function(string).callees",
        "process.library(string).function(string).callees(number)",
        "process.library(string).function(string).exported",
        "process.library(string).function(string).inline",
        "process.library(string).function(string).label(string)",
        "process.library(string).function(string).return",
        # one process id (no .library form)
        "process(number).function(number)",
        "process(number).function(number).call",
        "process(number).function(number).exported",
        "process(number).function(number).return",
        "process(number).function(string)",
        "process(number).function(string).call",
        "process(number).function(string).callee(string)",
        "process(number).function(string).callee(string).call",
        "process(number).function(string).callee(string).return",
        "process(number).function(string).callees",
        "process(number).function(string).callees(number)",
        "process(number).function(string).exported",
        "process(number).function(string).inline",
        "process(number).function(string).label(string)",
        "process(number).function(string).return",
        # one program by path
        "process(string).function(number)",
        "process(string).function(number).call",
        "process(string).function(number).exported",
        "process(string).function(number).return",
        "process(string).function(string)",
        "process(string).function(string).call",
        "process(string).function(string).callee(string)",
        "process(string).function(string).callee(string).call",
        "process(string).function(string).callee(string).return",
        "process(string).function(string).callees",
        "process(string).function(string).callees(number)",
        "process(string).function(string).exported",
        "process(string).function(string).inline",
        "process(string).function(string).label(string)",
        "process(string).function(string).return",
        "process(string).library(string).function(number)",
        "process(string).library(string).function(number).call",
        "process(string).library(string).function(number).exported",
        "process(string).library(string).function(number).return",
        "process(string).library(string).function(string)",
        "process(string).library(string).function(string).call",
        "process(string).library(string).function(string).callee(string)",
        "process(string).library(string).function(string).callee(string).call",
        "process(string).library(string).function(string).callee(string).return",
        "process(string).library(string).function(string).callees",
        "process(string).library(string).function(string).callees(number)",
        "process(string).library(string).function(string).exported",
        "process(string).library(string).function(string).inline",
        "process(string).library(string).function(string).label(string)",
        "process(string).library(string).function(string).return",
    )),
    ("process.statement", (
        "process.statement(number)",
        "process.statement(number).nearest",
        "process.statement(string)",
        "process.statement(string).nearest",
        "process.library(string).statement(number)",
        "process.library(string).statement(number).nearest",
        "process.library(string).statement(string)",
        "process.library(string).statement(string).nearest",
        "process(number).statement(number)",
        "process(number).statement(number).nearest",
        "process(number).statement(string)",
        "process(number).statement(string).nearest",
        "process(string).statement(number)",
        "process(string).statement(number).nearest",
        "process(string).statement(string)",
        "process(string).statement(string).nearest",
        "process(string).library(string).statement(number)",
        "process(string).library(string).statement(number).nearest",
        "process(string).library(string).statement(string)",
        "process(string).library(string).statement(string).nearest",
    )),
    ("process.statement.absolute", (
        "process(number).statement(number).absolute",
        "process(number).statement(number).absolute.return",
    )),
    ("process.mark", (
        "process.mark(string)",
        "process.provider(string).mark(string)",
        "process.library(string).mark(string)",
        "process.library(string).provider(string).mark(string)",
        "process(number).mark(string)",
        "process(number).provider(string).mark(string)",
        "process(string).mark(string)",
        "process(string).provider(string).mark(string)",
        "process(string).library(string).mark(string)",
        "process(string).library(string).provider(string).mark(string)",
    )),
    ("process.plt", (
        "process.plt",
        "process.plt.return",
        "process.plt(string)",
        "process.plt(string).return",
        "process.library(string).plt",
        "process.library(string).plt.return",
        "process.library(string).plt(string)",
        "process.library(string).plt(string).return",
        "process(number).plt",
        "process(number).plt.return",
        "process(number).plt(string)",
        "process(number).plt(string).return",
        "process(string).plt",
        "process(string).plt.return",
        "process(string).plt(string)",
        "process(string).plt(string).return",
        "process(string).library(string).plt",
        "process(string).library(string).plt.return",
        "process(string).library(string).plt(string)",
        "process(string).library(string).plt(string).return",
    )),
    ("procfs", (
        "procfs.read",
        "procfs.read.maxsize(number)",
        "procfs.umask(number).read",
        "procfs.umask(number).read.maxsize(number)",
        "procfs.umask(number).write",
        "procfs.write",
        "procfs(string).read",
        "procfs(string).read.maxsize(number)",
        "procfs(string).umask(number).read",
        "procfs(string).umask(number).read.maxsize(number)",
        "procfs(string).umask(number).write",
        "procfs(string).write",
    )),
    ("perf", (
        "perf.type(number).config(number)",
        "perf.type(number).config(number).counter(string)",
        "perf.type(number).config(number).hz(number)",
        "perf.type(number).config(number).process",
        "perf.type(number).config(number).process(string)",
        "perf.type(number).config(number).process(string).counter(string)",
        "perf.type(number).config(number).sample(number)",
    )),
    ("netfilter", (
        "netfilter.hook(string).pf(string)",
        "netfilter.hook(string).pf(string).priority(string)",
        "netfilter.pf(string).hook(string)",
        "netfilter.pf(string).hook(string).priority(string)",
    )),
    # Documented in the 4.8 manual, not registered by Debian's build (tapset-method.cxx,
    # tapset-python.cxx of release-4.8 give the shapes).
    ("java", (
        "java(number).class(string).method(string)",
        "java(number).class(string).method(string).return",
        "java(string).class(string).method(string)",
        "java(string).class(string).method(string).return",
    )),
    ("python", (
        "python2.module(string).function(string)",
        "python2.module(string).function(string).call",
        "python2.module(string).function(string).return",
        "python3.module(string).function(string)",
        "python3.module(string).function(string).call",
        "python3.module(string).function(string).return",
    )),
)


def _components(pattern: str) -> tuple[Component, ...]:
    # Family patterns hold no string literals, so a plain split on dots is safe.
    out = []
    for part in pattern.split("."):
        name, paren, rest = part.partition("(")
        out.append(Component(name, rest[:-1] if paren else None))
    return tuple(out)


def groups(release: str | None = None) -> tuple[ProbeGroup, ...]:
    """The groups that have families in a release (default: 4.8's table), in table order."""
    used = {f.group for f in families(release)}
    return tuple(g for g in _GROUP_LIST if g.name in used)


def group(name: str) -> ProbeGroup:
    """One group by name (KeyError for an unknown name)."""
    return _GROUPS[name]


@functools.cache
def _table_families() -> tuple[ProbeFamily, ...]:
    return tuple(_family(pattern, group_name) for group_name, patterns in _TABLE for pattern in patterns)


def _family(pattern: str, group_name: str) -> ProbeFamily:
    g = _GROUPS[group_name]
    return ProbeFamily(
        pattern=pattern,
        components=_components(pattern),
        group=group_name,
        needs_debuginfo=g.needs_debuginfo,
        needs_target=g.needs_target,
        side=g.side,
        runtimes=g.runtimes,
        unprivileged=g.unprivileged,
        guru_only=g.guru_only,
        registered=g.registered,
    )


# ---------------------------------------------------------------- releases


def releases_path() -> Path:
    import tapset_db

    return Path(tapset_db.__file__).with_name(RELEASES_FILE)


@functools.cache
def _release_data() -> dict | None:
    """The shipped per-release data, or None when it is absent or unreadable (then every
    release gets the 4.8 table)."""
    try:
        data = json.loads(releases_path().read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != RELEASES_FORMAT:
        return None
    return data


def known_releases() -> tuple[str, ...]:
    """The releases whose families are known, oldest first (the table's alone without the data)."""
    data = _release_data()
    return tuple(data["releases"]) if data else (TABLE_RELEASE,)


def _members(pattern: str) -> frozenset[int]:
    """The positions (in known_releases()) of the releases that register `pattern`."""
    data = _release_data()
    ranges = data["families"].get(pattern) if data else None
    # (cached by ranges text, not by pattern: a checked script's points are not kept)
    return _ranges_members(ranges) if ranges else frozenset()


@functools.cache
def _ranges_members(ranges: str) -> frozenset[int]:
    from .releases import ranges_members

    return frozenset(ranges_members(ranges, {r: i for i, r in enumerate(known_releases())}))


def _resolve(release: str | None) -> str | None:
    """The release whose families are used: None for the table."""
    if release is None or release == TABLE_RELEASE:
        return None
    data = _release_data()
    return release if data and release in data["releases"] else None


def families(release: str | None = None) -> tuple[ProbeFamily, ...]:
    """Every built-in family of a release (default, and for a release the data lacks: the
    table, 4.8's), in table order, then the patterns 4.8 lacks, sorted."""
    return _families(_resolve(release))


@functools.cache
def _families(release: str | None) -> tuple[ProbeFamily, ...]:
    if release is None:
        return _table_families()
    data = _release_data()
    i = data["releases"].index(release)
    table = {f.pattern: f for f in _table_families()}
    have = {p for p in data["families"] if i in _members(p)}
    out = [f for f in _table_families() if f.pattern in have]
    for pattern in sorted(have - table.keys()):
        out.append(_family(pattern, data["groups"][pattern]))
    return tuple(out)


def family_ranges(pattern: str) -> str | None:
    """The releases that register a family pattern ("1.0-2.1"); None when none does or unknown."""
    data = _release_data()
    return data["families"].get(pattern) if data else None


def family_note(pattern: str, release: str | None) -> str | None:
    """"'p' was added in SystemTap 2.5; you target 2.0" (or "removed after", or the ranges)
    for a family pattern that `release` lacks and another release registers; else None."""
    from .releases import presence_note

    data = _release_data()
    if data is None or release not in data["releases"]:
        return None
    return presence_note(pattern, _members(pattern), data["releases"].index(release), data["releases"])


def takes_suffix(pattern: str) -> bool:
    """Does the family (of any release) take the rest of a point as a suffix, as 5.0's
    `debuginfod.process(PATH)` does (it is resolved as `process(PATH)` and the rest)?"""
    data = _release_data()
    return bool(data) and data["groups"].get(pattern) == "debuginfod"


def group_for_pattern(pattern: str) -> str:
    """The group of a pattern of any release (tools/build_family_releases.py writes it into
    the data): the table's group, else that of the pattern it extends, else a group of the
    families 4.8 lacks.  ValueError for a pattern no rule places (a new kind of family)."""
    table = _by_pattern(None)
    found = table.get(pattern)
    if found is not None:
        return found.group
    comps = [str(c) for c in _components(pattern)]
    first = comps[0]
    if first == "perfmon":
        return "perfmon"
    if first == "debuginfod":
        return "debuginfod"
    if comps[:2] == ["kernel", "lsm(string)"]:
        return "kernel.lsm"
    if len(comps) == 2 and comps[1] == "tracepoint(string)":
        return "kernel.tracepoint"
    if first.startswith("process") and len(comps) > 1 and comps[1].startswith("data("):
        return "process.data"
    if first.startswith("process") and comps[-1] == "mark(number)":  # SDT markers by number (1.0-1.2)
        return "process.mark"
    # .die(N).pc(N) and .pc(N).die(N) (the development head) and the suffixes of older
    # releases (.inline of a function by address, .return.maxactive of process probes, .plt's
    # .statement(N), timer.profile): the family they extend or cut short.
    base = [c for c in comps if c not in ("die(number)", "pc(number)")]
    while base:
        found = table.get(".".join(base))
        if found is not None:
            return found.group
        base.pop()
    prefix = comps[:]
    while prefix:  # timer.profile: a prefix of a 4.8 family
        stem = ".".join(prefix)
        for family in _table_families():
            if family.pattern.startswith(stem + "."):
                return family.group
        prefix.pop()
    raise ValueError(f"no group for the probe family {pattern!r}: add one to probe_families.py")


@functools.cache
def _by_key(release: str | None) -> dict[tuple[tuple[str, str | None], ...], ProbeFamily]:
    return {f.key: f for f in _families(release)}


@functools.cache
def _sorted_patterns(release: str | None) -> tuple[str, ...]:
    return tuple(sorted(f.pattern for f in _families(release)))


@functools.cache
def _by_pattern(release: str | None) -> dict[str, ProbeFamily]:
    return {f.pattern: f for f in _families(release)}


def find_family(pattern: str, release: str | None = None) -> ProbeFamily | None:
    """The family spelled exactly so (`timer.ms(number)`) in a release (default 4.8), or None."""
    return _by_pattern(_resolve(release)).get(pattern)


Point = Sequence[tuple[str, str | None]]


def find_families(point: Point, *, include_unregistered: bool = True,
                  release: str | None = None) -> tuple[ProbeFamily, ...]:
    """The families a concrete probe point matches, as stap's pass 2 would match it.

    `point` is the point's components as (name, argument kind or None):
    `kernel.function("vfs_read").return` is
    `[("kernel", None), ("function", "string"), ("return", None)]`.  Like
    stap's match tree, every component must agree in name and in argument
    kind: a component of the family with an argument needs one of that kind,
    one without takes none, and a number never stands for a string or the
    reverse (stap: `timer.ms("5")` is a "probe point mismatch").  The point
    must have exactly the family's components; with extra components stap
    says "invalid suffix for probe" (`timer.ms(5).return`), with fewer
    "probe point truncated" (`timer`).

    A name holding `*` is matched by stap's wildcard rules (see
    probe_patterns), so several families may match; otherwise at most one.
    `include_unregistered=False` leaves out java and python, which Debian's
    4.8 build does not have.  `release` picks the release's families
    (default: 4.8's table).
    """
    resolved = _resolve(release)
    key = tuple((name, kind) for name, kind in point)
    for _, kind in key:
        if kind not in (None, STRING, NUMBER):
            raise ValueError(f"argument kind must be None, 'string' or 'number', not {kind!r}")
    if any("*" in name for name, _ in key):
        from .probe_patterns import match_names  # only wildcard points need the matcher

        pattern = ".".join(str(Component(name, kind)) for name, kind in key)
        matched = set(match_names(pattern, _sorted_patterns(resolved)))
        result = tuple(f for f in _families(resolved) if f.pattern in matched)
    else:
        family = _by_key(resolved).get(key)
        result = () if family is None else (family,)
    if not include_unregistered:
        result = tuple(f for f in result if f.registered)
    return result


def following(prefix: Point, release: str | None = None) -> tuple[Component, ...]:
    """The components that may come next after `prefix` in some family of a release, sorted.

    stap's "probe point truncated (follow: ...)" and completion want these:
    after `[("timer", None)]` come `hz(number)`, `jiffies(number)`, ...,
    `profile`, ...; after `[]` the first components of all families.
    """
    key = tuple(prefix)
    n = len(key)
    found = {f.components[n] for f in families(release)
             if len(f.components) > n and f.key[:n] == key}
    return tuple(sorted(found, key=lambda c: (c.name, c.arg or "")))
