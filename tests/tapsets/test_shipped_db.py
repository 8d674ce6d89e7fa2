"""The shipped database against the real stap 4.8: its --dump-probe-aliases and --dump-functions.

The dumps were made by stap 4.8 for an x86_64 6.1.0 kernel (the oracle's fake
tree), kernel runtime.  Two things about them are known and accounted for:

* `--dump-probe-aliases` prints a sorted set: an alias defined twice with the
  same expansion (nd_syscall.accept.return, in sysc_accept.stp and
  sysc_accept4.stp) is one line.  The comparison is of sets.
* `--dump-functions` runs before type inference (stap infers the types of
  reachable functions only, and in that mode none is reachable): a type not
  written in the source is "unknown" there.  The database keeps what was
  declared apart from what it inferred, so the comparison uses the declared
  types; the inferred ones are checked below on functions whose types are
  plain from their bodies.
"""

from __future__ import annotations

import collections
from pathlib import Path

import pytest

from stapkit.syntax.target import Target
from stapkit.tapsets.db import TapsetDB, embedded_path
from stapkit.tapsets.for_target import TargetView
from stapkit.tapsets.queries import visible_variables

from ..corpora import REPO, require

REFERENCE = REPO.parent / "shared" / "reference"
DUMP_TARGET = Target(kernel_v="6.1.0", kernel_vr="6.1.0", arch="x86_64", runtime="kernel", systemtap_v="4.8")


@pytest.fixture(scope="module")
def db() -> TapsetDB:
    return TapsetDB.load(embedded_path())


@pytest.fixture(scope="module")
def view() -> TargetView:
    return TargetView(DUMP_TARGET)


def _dump(name: str) -> list[str]:
    path = require(REFERENCE / name)
    return [line.rstrip("\n") for line in path.read_text().splitlines() if line.strip()]


def test_every_alias_of_stap_is_in_the_db_with_the_same_expansion(db, view):
    ours = set()
    for alias in db.all("alias"):
        if alias.name.startswith("_") or not view.reads(alias.where.file) or not view.holds(alias.conditions):
            continue  # stap leaves out names starting with '_'
        ours.add(f"{alias.name} {'+=' if alias.epilogue else '='} {alias.expansion(view.holds)}")
    dump = set(_dump("stap-4.8-dump-probe-aliases.txt"))
    assert len(dump) == 5285
    assert sorted(dump - ours) == []
    assert sorted(ours - dump) == []


def test_every_function_of_stap_is_in_the_db_with_the_same_arity_and_types(db, view):
    ours = collections.Counter()
    for f in db.all("function"):
        if f.name.startswith("_") or f.private or not view.reads(f.where.file) or not view.holds(f.conditions):
            continue
        params = ", ".join(f"{p.name}:{p.type if p.declared else 'unknown'}" for p in f.params)
        tags = "".join(f" /* {t} */" for t in f.tags if t in ("unprivileged", "myproc-unprivileged", "guru", "bpf"))
        ours[f"{f.name}:{f.return_type if f.return_declared else 'unknown'} ({params}){tags}"] += 1
    dump = collections.Counter(_dump("stap-4.8-dump-functions.txt"))
    assert sum(dump.values()) == 564
    assert sorted((dump - ours).elements()) == []
    assert sorted((ours - dump).elements()) == []


@pytest.mark.parametrize("name, signature", [
    ("WEXITSTATUS", "WEXITSTATUS:long (f:long)"),  # untyped in the source: (f & 0xff00) >> 8
    ("tz_name", "tz_name:string ()"),  # returns a %{ /* string */ %} expression
    ("qs_time", "qs_time:long ()"),  # returns gettimeofday_us()
    ("sprint_syms", "sprint_syms:string (callers:string)"),
])
def test_types_the_source_leaves_out_are_inferred(db, view, name, signature):
    found = [f.signature() for f in db.functions(name) if view.reads(f.where.file) and view.holds(f.conditions)]
    assert signature in found


def test_a_function_that_returns_nothing_stays_unknown(db):
    (f,) = [f for f in db.functions("set_kernel_int")]
    assert f.return_type == "unknown" and f.embedded and "guru" in f.tags and f.privilege == "guru"


def test_the_socket_family_and_its_variables(db, view):
    base = {"name", "size", "protocol", "family", "state", "flags", "type"}
    for probe in ("socket.send", "socket.receive", "socket.sendmsg.return", "socket.recvmsg.return"):
        variables = visible_variables(db.aliases, probe, view.holds)
        assert base | {"success"} <= set(variables), probe
    for probe in ("socket.write_iter", "socket.read_iter", "socket.sendmsg", "socket.writev"):
        assert base <= set(visible_variables(db.aliases, probe, view.holds)), probe
    create = visible_variables(db.aliases, "socket.create", view.holds)
    assert {"requester", "protocol", "family", "type", "name"} <= set(create)
    assert {"err", "success", "requester"} <= set(visible_variables(db.aliases, "socket.create.return", view.holds))
    assert create["requester"][0] == "long" and create["name"][0] == "string"


def test_network_helpers_and_mib_callbacks(db):
    def signatures(name):
        return {f.signature() for f in db.functions(name)}

    assert "ip_ntop:string (addr:long)" in signatures("ip_ntop")
    assert "htonl:long (x:long)" in signatures("htonl")
    assert "ntohs:long (x:long)" in signatures("ntohs")
    assert "ipmib_filter_key:long (skb:long, op:long, SourceIsLocal:long)" in signatures("ipmib_filter_key")
    assert "tcpmib_filter_key:long (sk:long, op:long)" in signatures("tcpmib_filter_key")
    assert "linuxmib_filter_key:long (sk:long, op:long)" in signatures("linuxmib_filter_key")


def test_netfilter_hooks(db):
    for family in ("ip", "ipv4", "ipv6", "bridge"):
        for hook in ("pre_routing", "local_in", "forward", "local_out", "post_routing"):
            assert db.aliases(f"netfilter.{family}.{hook}"), (family, hook)
    for hook in ("in", "out", "forward"):
        assert db.aliases(f"netfilter.arp.{hook}")
    (ip,) = db.aliases("netfilter.ip.local_in")
    assert ip.expansion() == "netfilter.ipv4.local_in, netfilter.ipv6.local_in"


def test_conditions_say_what_is_deprecated(db):
    from stapkit.tapsets.queries import deprecated_since

    (send_return,) = db.aliases("signal.send.return")
    assert deprecated_since(send_return.conditions) == "2.1"
    assert not TargetView(DUMP_TARGET).holds(send_return.conditions)
    assert TargetView(DUMP_TARGET.evolve(systemtap_v="2.1")).holds(send_return.conditions)


def test_arch_and_runtime_specific_items_are_kept(db):
    files = {a.where.file for a in db.all("alias")} | {f.where.file for f in db.all("function")}
    assert any(f.startswith("linux/s390/") for f in files)
    assert any(f.startswith("dyninst/") for f in files)
    s390 = TargetView(DUMP_TARGET.evolve(arch="s390"))
    assert s390.reads("linux/s390/syscalls.stp") or s390.reads("linux/s390/registers.stp")
    assert not TargetView(DUMP_TARGET).reads("linux/s390/registers.stp")


def test_the_manual_facts_are_joined(db):
    facts = db.manual("probe", "socket.send")
    assert facts is not None and facts.chapter == "Socket Tapset"
    assert set(facts.variables) == {"name", "size", "protocol", "family", "state", "flags", "type", "success"}
    assert facts.description is None and facts.summary is None  # the shipped DB holds no prose
    assert db.header["with_docs"] is False


def test_the_shipped_db_is_small_and_says_how_it_was_built(db):
    assert embedded_path().stat().st_size < 5 * 1024 * 1024
    assert db.systemtap_version == "4.8"
    assert db.header["built_from"]["tapset_files"] == 607
    readme = (embedded_path().parent / "README.md").read_text()
    assert "stapkit db build" in readme


def test_the_library_macros_are_there(db):
    macros = {m.name for m in db.all("macro")}
    assert {"__private30", "offsetof", "choose_defined"} <= macros


@pytest.mark.corpus
def test_building_from_the_installed_library_gives_the_shipped_db_byte_for_byte(tmp_path):
    from stapkit.semantic.library import read_library
    from stapkit.tapsets.builder import build

    from ..corpora import TAPSET

    require(TAPSET)
    man = require(Path("/usr/share/man/man3/probe::socket.send.3stap.gz")).parent
    first = build(read_library(TAPSET), TAPSET, man, systemtap_version="4.8")
    second = build(read_library(TAPSET), TAPSET, man, systemtap_version="4.8")
    assert first.text == second.text
    assert first.text == embedded_path().read_text(encoding="utf-8"), \
        "the shipped DB is out of date: rebuild it as tapset_db/README.md says"
