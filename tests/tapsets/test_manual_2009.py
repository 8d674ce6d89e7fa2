"""The 2009 Tapset Reference Manual's names (stapkit.tapsets.manual_2009) against SystemTap 4.8.

The 4.8 side is read in place: stap's own dumps in ../shared/reference and the installed tapset
library (/usr/share/systemtap/tapset), parsed with stapkit's parser to see which variables an
alias sets and which items sit under `%( systemtap_v <= "X" %)`.  Missing inputs skip the
tests (or fail them under STAPKIT_REQUIRE_CORPORA), as in tests/corpora.py.
"""

from __future__ import annotations

import fnmatch
import re
from functools import cache
from pathlib import Path

import pytest

from stapkit.syntax import ast
from stapkit.syntax.parser import ParseOptions, parse_file
from stapkit.syntax.target import Target
from stapkit.tapsets.manual_2009 import (
    CHAPTERS,
    EDITIONS,
    EDITIONS_OF,
    FATE,
    FATE_KINDS,
    FUNCTIONS_2009,
    PROBES_2009,
    VARIABLE_FATE,
    Fate,
)

from ..corpora import REPO, TAPSET, require

REFERENCE = REPO.parent / "shared" / "reference"
ALIASES_DUMP = REFERENCE / "stap-4.8-dump-probe-aliases.txt"
FUNCTIONS_DUMP = REFERENCE / "stap-4.8-dump-functions.txt"
CURRENT = "4.8"

SIGNATURE = re.compile(r"(\w+)(?::(long|string))?\(((?:\w+:(?:long|string))(?:, \w+:(?:long|string))*)?\)")

# The socket family of the 2009 manual and the variables every one of them documents.
SOCKET_MESSAGE_VARS = {"name", "size", "protocol", "family", "state", "flags", "type"}
SOCKET_FAMILY_2009 = {
    **{p: SOCKET_MESSAGE_VARS for p in (
        "socket.sendmsg", "socket.recvmsg", "socket.aio_write", "socket.aio_read",
        "socket.writev", "socket.readv",
    )},
    **{p: SOCKET_MESSAGE_VARS | {"success"} for p in (
        "socket.send", "socket.receive", "socket.sendmsg.return", "socket.recvmsg.return",
        "socket.aio_write.return", "socket.aio_read.return", "socket.writev.return",
        "socket.readv.return",
    )},
    "socket.create": {"name", "protocol", "family", "type", "requester"},
    "socket.create.return": {"name", "protocol", "family", "type", "requester", "err", "success"},
    "socket.close": {"name", "protocol", "family", "state", "flags", "type"},
    "socket.close.return": {"name"},
}
# 4.8 adds the iov_iter variants of aio_write/aio_read (kernels >= 3.19 have no sock_aio_*).
SOCKET_FAMILY_48 = {
    **SOCKET_FAMILY_2009,
    "socket.write_iter": SOCKET_MESSAGE_VARS,
    "socket.read_iter": SOCKET_MESSAGE_VARS,
    "socket.write_iter.return": SOCKET_MESSAGE_VARS | {"success"},
    "socket.read_iter.return": SOCKET_MESSAGE_VARS | {"success"},
}


# ---------------------------------------------------------------- the data itself


def test_every_chapter_has_a_title_and_is_used():
    used = {chapter for chapter, _ in PROBES_2009.values()} | {c for c, _ in FUNCTIONS_2009.values()}
    assert used == set(CHAPTERS)
    # the chapters the tapset database issue names are all there
    assert {"context", "timestamp", "memory", "ioscheduler", "scsi", "netdev", "socket", "tcp",
            "udp", "process", "signal"} <= used


def test_editions_are_from_2009():
    assert EDITIONS[0][0] == "release-0.9"
    assert all(date.startswith("2009-") for _, _, date in EDITIONS)
    names = {e[0] for e in EDITIONS}
    for first, last in EDITIONS_OF.values():
        assert first in names and last in names


@pytest.mark.parametrize("name", sorted(FUNCTIONS_2009))
def test_signature_is_well_formed(name):
    chapter, signature = FUNCTIONS_2009[name]
    match = SIGNATURE.fullmatch(signature)
    assert match, signature
    assert match.group(1) == name


def test_probe_variables_are_identifiers():
    for name, (_, variables) in PROBES_2009.items():
        assert re.fullmatch(r"[\w.]+", name)
        assert len(set(variables)) == len(variables), name
        assert all(re.fullmatch(r"\w+", v) for v in variables), name


def test_fates_are_consistent():
    for name, fate in FATE.items():
        assert name in PROBES_2009 or name in FUNCTIONS_2009, name
        _check_fate(name, fate)
    for (probe, variable), fate in VARIABLE_FATE.items():
        assert variable in PROBES_2009[probe][1], (probe, variable)
        _check_fate(f"{probe}:{variable}", fate)


def _check_fate(what: str, fate: Fate):
    assert fate.kind in FATE_KINDS
    assert fate.note and len(fate.note) < 120, what
    if fate.kind in ("renamed", "misdocumented"):
        assert fate.new_name, what
    if fate.kind == "misdocumented":
        assert fate.since is None, what
    else:
        assert fate.since and re.fullmatch(r"\d+(\.\d+)+", fate.since), what
    if fate.commit is not None:
        assert re.fullmatch(r"[0-9a-f]{40}", fate.commit), what


def test_known_renames():
    for event in ("create", "start", "exec", "exec_complete", "exit", "release"):
        fate = FATE[f"process.{event}"]
        assert (fate.kind, fate.new_name, fate.since) == ("renamed", f"kprocess.{event}", "0.9.6")
    assert FATE["signal.sys_tkill"].new_name == "signal.systkill"
    assert FATE["signal.sys_tgkill"].new_name == "signal.systgkill"
    assert (FATE["signal.send.return"].kind, FATE["signal.send.return"].since) == ("deprecated", "2.1")


def test_socket_family_2009():
    for probe, variables in SOCKET_FAMILY_2009.items():
        assert probe in PROBES_2009, probe
        chapter, documented = PROBES_2009[probe]
        assert chapter == "socket"
        assert variables <= set(documented), (probe, variables - set(documented))


def test_network_helpers_of_2009():
    assert FUNCTIONS_2009["ip_ntop"] == ("netdev", "ip_ntop:string(addr:long)")
    for name in ("sock_prot_num2str", "sock_fam_num2str", "sock_state_num2str"):
        assert FUNCTIONS_2009[name][0] == "socket"


# ---------------------------------------------------------------- against stap 4.8's dumps


@cache
def dumped_aliases() -> dict[str, str]:
    """alias name -> expansion, from `stap --dump-probe-aliases`."""
    aliases = {}
    for line in require(ALIASES_DUMP).read_text().splitlines():
        name, sep, expansion = line.partition(" = ")
        if sep:
            aliases.setdefault(name.strip(), expansion.strip())
    return aliases


@cache
def dumped_functions() -> dict[str, list[str]]:
    """function name -> its overloads as `name:type(arg:type, ...)` (no return type: `unknown`)."""
    functions: dict[str, list[str]] = {}
    for line in require(FUNCTIONS_DUMP).read_text().splitlines():
        line = re.sub(r"/\*.*?\*/", "", line).strip()
        if line:
            match = re.fullmatch(r"(\w+):(\w+) \((.*)\)", line)
            assert match, line
            functions.setdefault(match.group(1), []).append(
                f"{match.group(1)}:{match.group(2)}({match.group(3)})")
    return functions


def test_every_2009_probe_is_in_48_or_has_a_fate():
    aliases = dumped_aliases()
    unaccounted = [n for n in PROBES_2009 if n not in aliases and n not in FATE]
    assert unaccounted == []
    # and a name with a fate is not (or no longer) there under that name
    assert [n for n in FATE if n in aliases] == []


def test_every_2009_function_is_in_48_or_has_a_fate():
    functions = dumped_functions()
    assert [n for n in FUNCTIONS_2009 if n not in functions and n not in FATE] == []
    assert [n for n in FATE if n in functions] == []


def test_new_names_exist_in_48():
    aliases, functions = dumped_aliases(), dumped_functions()
    for name, fate in FATE.items():
        if fate.new_name:
            assert fate.new_name in (aliases if name in PROBES_2009 else functions), name


@pytest.mark.parametrize("name", sorted(n for n in FUNCTIONS_2009 if n not in FATE))
def test_function_signature_unchanged(name):
    # 2009 wrote no return type for a function that returns nothing; the dump says `unknown`.
    signature = FUNCTIONS_2009[name][1]
    if not re.match(r"\w+:", signature):
        signature = signature.replace("(", ":unknown(", 1)
    assert signature in dumped_functions()[name]


def test_socket_family_aliases_in_48():
    aliases = dumped_aliases()
    assert set(SOCKET_FAMILY_48) <= set(aliases)
    assert "socket.write_iter.return" in aliases["socket.send"]
    assert "socket.read_iter.return" in aliases["socket.receive"]


def test_network_helpers_in_48():
    functions = dumped_functions()
    assert functions["ip_ntop"] == ["ip_ntop:string(addr:long)"]
    for name in ("htonl", "htons", "htonll", "ntohl", "ntohs", "ntohll"):
        assert functions[name] == [f"{name}:long(x:long)"]


def test_mib_filter_callbacks_in_48():
    # SystemTap 0.9.9 (2009) called these without defining them: the script had to.  Since
    # 1.3 each has a default in its own file (*-filter-default.stp), which stap only pulls
    # in when the script does not define the function itself.
    functions = dumped_functions()
    assert functions["ipmib_filter_key"] == ["ipmib_filter_key:long(skb:long, op:long, SourceIsLocal:long)"]
    assert functions["tcpmib_filter_key"] == ["tcpmib_filter_key:long(sk:long, op:long)"]
    assert functions["linuxmib_filter_key"] == ["linuxmib_filter_key:long(sk:long, op:long)"]
    aliases = dumped_aliases()
    for family, count in (("ipmib", 11), ("tcpmib", 9), ("linuxmib", 4)):
        assert len([a for a in aliases if a.startswith(family + ".")]) == count


def test_netfilter_hooks_in_48():
    aliases = dumped_aliases()
    inet = ("pre_routing", "local_in", "forward", "local_out", "post_routing")
    expected = {f"netfilter.{pf}.{hook}" for pf in ("ip", "ipv4", "ipv6", "bridge") for hook in inet}
    expected |= {f"netfilter.arp.{hook}" for hook in ("in", "out", "forward")}
    assert {a for a in aliases if a.startswith("netfilter.")} == expected
    assert aliases["netfilter.ip.local_in"] == "netfilter.ipv4.local_in, netfilter.ipv6.local_in"
    assert aliases["netfilter.arp.in"] == 'netfilter.hook("NF_ARP_IN").pf("NFPROTO_ARP")'


# ---------------------------------------------------------------- against the 4.8 tapset sources

_ALIAS_HEAD = re.compile(r"^[ \t]*probe\s+([\w.*]+(?:\s*,\s*[\w.*]+)*)\s*\+?=", re.M)
_FUNCTION_HEAD = re.compile(r"^[ \t]*(?:@__private\d+[ \t]+|private[ \t]+)?function[ \t]+(\w+)", re.M)


@cache
def source_index() -> tuple[dict[str, set[Path]], dict[str, set[Path]]]:
    """alias name -> files that define it; function name -> files; by a plain text scan."""
    aliases: dict[str, set[Path]] = {}
    functions: dict[str, set[Path]] = {}
    for path in sorted(require(TAPSET).rglob("*.stp")):
        text = path.read_text(errors="replace")
        for match in _ALIAS_HEAD.finditer(text):
            for name in re.split(r"\s*,\s*", match.group(1)):
                aliases.setdefault(name, set()).add(path)
        for match in _FUNCTION_HEAD.finditer(text):
            functions.setdefault(match.group(1), set()).add(path)
    return aliases, functions


@cache
def parsed(path: Path, systemtap_v: str) -> ast.Script:
    options = ParseOptions(target=Target(systemtap_v=systemtap_v), tapset=True, check_all_branches=False)
    script = parse_file(str(path), options).script
    assert script is not None, path
    return script


def alias_decls(name: str, systemtap_v: str) -> list[ast.AliasDecl]:
    decls = []
    for path in sorted(source_index()[0].get(name, ())):
        for item in parsed(path, systemtap_v).items:
            if isinstance(item, ast.AliasDecl) and any(
                    p.dotted() == name for n in item.names for p in n.point.expand()):
                decls.append(item)
    return decls


def function_decls(name: str, systemtap_v: str) -> list[ast.FunctionDecl]:
    return [item for path in sorted(source_index()[1].get(name, ()))
            for item in parsed(path, systemtap_v).items
            if isinstance(item, ast.FunctionDecl) and item.name == name]


@cache
def alias_variables(name: str, systemtap_v: str = CURRENT) -> frozenset[str]:
    """The variables a handler of alias NAME sees: those its bodies and its expansion's aliases set."""
    known = source_index()[0]
    found: set[str] = set()
    for decl in alias_decls(name, systemtap_v):
        for block in (decl.body, decl.epilogue):
            if block is not None:
                found |= {n.target.name for n in ast.walk(block)
                          if isinstance(n, ast.Assignment) and isinstance(n.target, ast.Variable)}
        for point in decl.points:
            for expanded in point.expand():
                target = expanded.dotted()
                targets = fnmatch.filter(known, target) if "*" in target else [target]
                for t in targets:
                    if t in known and t != name:
                        found |= alias_variables(t, systemtap_v)
    return frozenset(found)


def current_name(probe: str) -> str:
    fate = FATE.get(probe)
    return fate.new_name if fate and fate.kind in ("renamed", "misdocumented") else probe


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(n for n, f in FATE.items() if f.kind == "deprecated"))
def test_deprecated_item_is_under_its_systemtap_v(name):
    since = FATE[name].since
    find = alias_decls if name in PROBES_2009 else function_decls
    assert find(name, since), f"{name} not defined with --compatible={since}"
    assert not find(name, CURRENT), f"{name} still defined with --compatible={CURRENT}"


@pytest.mark.corpus
@pytest.mark.parametrize("probe", sorted(p for p in PROBES_2009
                                         if p not in FATE or FATE[p].kind != "deprecated"))
def test_documented_variables_are_set_in_48(probe):
    assert alias_decls(current_name(probe), CURRENT), f"{current_name(probe)}: not in the 4.8 sources"
    variables = alias_variables(current_name(probe))
    missing = [v for v in PROBES_2009[probe][1] if v not in variables and (probe, v) not in VARIABLE_FATE]
    assert missing == []


@pytest.mark.corpus
@pytest.mark.parametrize("key", sorted(VARIABLE_FATE), ids=":".join)
def test_variable_fate_holds_in_48(key):
    probe, variable = key
    fate = VARIABLE_FATE[key]
    now = alias_variables(current_name(probe))
    assert variable not in now
    if fate.new_name:
        assert fate.new_name in now
    if fate.kind == "deprecated":
        assert variable in alias_variables(current_name(probe), fate.since)


@pytest.mark.corpus
@pytest.mark.parametrize("probe", sorted(SOCKET_FAMILY_48))
def test_socket_family_variables_in_48(probe):
    missing = SOCKET_FAMILY_48[probe] - alias_variables(probe)
    assert not missing, f"{probe} lacks {sorted(missing)}"


@pytest.mark.corpus
def test_mib_filter_defaults_and_callers_in_48():
    _, functions = source_index()
    for family in ("ipmib", "tcpmib", "linuxmib"):
        # defined once, alone in its own file, so that a script's own definition replaces it
        (path,) = functions[f"{family}_filter_key"]
        assert path.name == f"{family}-filter-default.stp"
        assert [d.name for d in parsed(path, CURRENT).items if isinstance(d, ast.FunctionDecl)] == [
            f"{family}_filter_key"]
        # and called by the counter probes of the family's tapset
        calls = {n.name for d in parsed(path.with_name(f"{family}.stp"), CURRENT).items
                 for n in ast.walk(d) if isinstance(n, ast.Call)}
        assert f"{family}_filter_key" in calls
