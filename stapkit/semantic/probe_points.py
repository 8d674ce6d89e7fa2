"""Probe points: stap's `derive_probes`, offline, and what it tells about each probe's handler.

Every point of every `probe` (and of the script's own alias definitions) is
resolved the way elaborate.cxx resolves it (`match_node::find_and_build`,
`try_suffix_expansion`, `alias_expansion_builder`, `derive_probes` of stap
4.8): component by component down one match tree that holds the built-in
families (tapsets/probe_families.py) and the probe aliases (the tapset
library's, for the target, and the script's own).

* A component matches a child of the same name and argument kind; `*` in a
  name is a glob over the children, `**` also crosses dots; a wildcard that
  matches nothing is an error unless the point is optional (`?`).
* An alias name followed by more components is an alias suffix: the rest is
  appended to each point of the alias (`syscall.read.return.maxactive(10)`).
  A built-in family takes no suffix ("invalid suffix for probe").
* Aliases expand recursively; an alias met again on its own expansion chain
  is a loop ("recursive loop in alias expansion").
* `?` makes a failure silent, also for everything the point expands to; `!`
  stops at the first point of a list that resolves.
* At a family, the static checks of its builder run (timer ranges, procfs
  paths, perf, netfilter names, maxactive) — the ones that need nothing from
  the target system.  A family that needs the target system (kernel.function,
  process(...).function, kprobe, kernel.trace, ...) is taken as resolving when
  its shape is right: offline, nothing better can be known (STP210 says so
  on request).

Then each handler is checked against what its points resolved to: `$return`
and `@entry` outside .return probes, writes to target variables, procfs
`$value` rules, and `$var` in probes that have none.  The results go to the
semantic model (model.py): `unit.probes` (alias variables, return-ness,
families) and the expansions the type checker types.

After a `!` point that resolves on any target (one that needs no debuginfo:
begin, timers, ...), stap tries none of the later points: stapkit still
resolves them, and what it finds there is a warning (elaboration.py).  After
a `!` point only the target can confirm, the later points are what runs where
it fails: they are checked as any other.  A tapset alias is expanded against
the tapset library only, never against the script's aliases (so its
expansion can be cached).
"""

from __future__ import annotations

import fnmatch
import functools
import re
from typing import NamedTuple

from ..diagnostics import Related, Span
from ..syntax import ast
from ..tapsets import probe_families
from ..tapsets.model import LONG, STRING, UNKNOWN
from . import codes
from .model import Expansion
from .optimizer import for_unit
from .unit import CheckUnit, KernelPoint, ProbeInfo

# stap's limits (tapset-timers.cxx, tapsets.cxx of release-4.8).
HRTIMER_MIN_NS = 100_000  # 100 µs
HRTIMER_MAX_NS = 1_000_000_000 * 60 * 60 * 24  # one day
JIFFIES_MAX = 1_000_000
MAXACTIVE_MAX = 65535  # USHRT_MAX
TIMER_SCALE = {"s": 1_000_000_000, "sec": 1_000_000_000, "ms": 1_000_000, "msec": 1_000_000,
               "us": 1000, "usec": 1000, "ns": 1, "nsec": 1, "hz": 1}
# The most steps (find_and_build calls) the points of one declaration may take.  The corpora's
# costliest declarations take a few thousand; a '**' through aliases it matches again grew
# without end (found by the fuzzer: `probe a.b = **.return { }`).
MAX_DERIVATION_STEPS = 300_000
FOLLOW_SHOWN = 12  # components listed after "needs one of"

_SCRIPT_ARGUMENT = re.compile(r"[$@]([0-9]|#)")
ANY = "any"  # the argument kind of a `$1` placeholder: a string or a number, not known yet


# ---------------------------------------------------------------- points


class _Comp(NamedTuple):
    """One component of a brace-free point, from the script or from tapset text."""

    name: str  # may hold `*`
    kind: str | None  # None, "string", "number" or ANY
    value: object  # the literal (str or int); None for none or unknown
    text: str  # as written: `function("vfs_read")`
    span: Span | None  # where the checked file has it; None in tapset text
    glob: bool = False  # put in place of a wildcard (stap's from_glob)


class _Point(NamedTuple):
    comps: tuple[_Comp, ...]
    optional: bool
    sufficient: bool
    in_script: bool  # written in the checked file (guru rules apply to it)

    def text(self) -> str:
        return ".".join(c.text for c in self.comps)


def _point_from_ast(point: ast.ProbePoint) -> _Point:
    comps = []
    for comp in point.components:
        assert isinstance(comp, ast.Component)  # expand() removed the braces
        arg = comp.arg
        if arg is None:
            kind, value, text = None, None, comp.name
        elif isinstance(arg, ast.StringLit):
            kind, value = probe_families.STRING, (None if arg.has_arguments else arg.value)
            text = f"{comp.name}({' '.join(arg.pieces)})"
        elif isinstance(arg, ast.NumberLit):
            kind, value, text = probe_families.NUMBER, arg.value, f"{comp.name}({arg.text})"
        else:  # a $N placeholder: stap pastes the argument's text in, string or number
            kind, value, text = ANY, None, f"{comp.name}({getattr(arg, 'text', '?')})"
        comps.append(_Comp(comp.name, kind, value, text, comp.span))
    return _Point(tuple(comps), point.optional, point.sufficient, True)


# One component of tapset text: a name, and an optional string or number argument.
_TEXT_COMPONENT = re.compile(r'([A-Za-z_$*][A-Za-z0-9_$*]*)(?:\(\s*("(?:[^"\\]|\\.)*"|-?[0-9][A-Za-z0-9]*)\s*\))?')


def _points_from_text(text: str, optional: bool, sufficient: bool) -> list[_Point]:
    """The points of an alias's expansion, as the database spells them.

    Almost all are plain dotted components (`kernel.function("vfs_read").call`),
    read here with one regular expression; anything else (braces, glued
    strings) goes through the full pattern parser.
    """
    comps = []
    pos = 0
    while True:
        match = _TEXT_COMPONENT.match(text, pos)
        if match is None:
            break
        name, arg = match.groups()
        if arg is None:
            comps.append(_Comp(name, None, None, match.group(), None))
        elif arg.startswith('"'):
            if "\\" in arg:
                from ..tapsets.probe_patterns import string_value

                value = string_value(arg)
            else:
                value = arg[1:-1]
            comps.append(_Comp(name, probe_families.STRING, value, match.group(), None))
        else:
            try:
                value = int(arg, 0) if not re.fullmatch(r"-?0[0-7]+", arg) else int(arg, 8)
            except ValueError:
                break
            comps.append(_Comp(name, probe_families.NUMBER, value, match.group(), None))
        pos = match.end()
        if pos == len(text):
            return [_Point(tuple(comps), optional, sufficient, False)]
        if text[pos] != ".":
            break
        pos += 1
    return _parsed_points(text, optional, sufficient)


def _parsed_points(text: str, optional: bool, sufficient: bool) -> list[_Point]:
    from ..tapsets.probe_patterns import PatternError, expand_braces, parse_point

    try:
        parsed = [parse_point(t) for t in expand_braces(text)]
    except PatternError:
        return []
    return [_Point(tuple(_Comp(c.name, c.kind, c.value, c.text, None) for c in p.components),
                   optional, sufficient, False) for p in parsed]


def _anchor(point: _Point) -> Span | None:
    spans = [c.span for c in point.comps if c.span is not None]
    return Span(spans[0].start, spans[-1].end) if spans else None


# ---------------------------------------------------------------- aliases and leaves


class _AliasDef:
    """One alias definition (a tapset record or the script's `probe NAME = ...`): a builder."""

    __slots__ = ("name", "points", "record", "in_script", "span")

    def __init__(self, name: str, points: list[_Point], record, in_script: bool, span: Span | None):
        self.name = name
        self.points = points
        self.record = record  # tapsets.model.ProbeAlias, or ast.AliasDecl
        self.in_script = in_script
        self.span = span  # the alias name in the checked file


class _Leaf(NamedTuple):
    """One derived probe: a built-in family reached, and how."""

    # None: not known offline: a deprecated alias (not expanded), or a point spelled by
    # the script's arguments (`probe $1`).
    family: probe_families.ProbeFamily | None
    params: tuple[tuple[str, object], ...]  # component name -> literal (None: no or unknown argument)
    chain: tuple[_AliasDef, ...]  # the aliases expanded on the way, outermost first
    in_script: bool  # the family's point is written in the checked file
    span: Span | None  # that point, if so
    deprecated: object = None  # (ProbeAlias, version) for a deprecated alias
    optional: bool = False  # from a `?` or `!` point, or one inside an optional alias use
    arg_span: Span | None = None  # the named target's argument (`"vfs_read"`), where the checked file has it
    sufficient: bool = False  # from a `!` point: when it resolves, stap tries no later point

    def param(self, name: str):
        for key, value in self.params:
            if key == name:
                return value
        return None

    def has(self, name: str) -> bool:
        return any(key == name for key, _ in self.params)


class _Failure(Exception):
    """A point that does not resolve: what stap would say, and where.

    The message may be given as a function: failures under a wildcard are
    thrown away by the thousand (`*sys**pen`), so their "did you mean" lists
    are only worked out for the failures that are reported.
    """

    takes_no_suffix: str | None = None  # for "invalid suffix": the point that took none
    # For a first component nothing knows: true when no known name is close to it (then the
    # point may come from a tapset stapkit does not have, rather than from a typo).
    foreign = None
    cause: "_Failure | None" = None  # under a wildcard: why the names it matched do not resolve
    truncated = False  # the point stops short of a probe

    def __init__(self, code: str, message, span: Span | None, hints: tuple[str, ...] = ()):
        super().__init__(code)
        self.code = code
        self._message = message
        self.span = span
        self.hints = hints

    @property
    def message(self) -> str:
        if callable(self._message):
            self._message = self._message()
        return self._message

    def at(self, span: Span | None) -> "_Failure":
        copy = type(self)(self.code, self._message, span if span is not None else self.span, self.hints)
        copy.takes_no_suffix = self.takes_no_suffix
        copy.foreign = self.foreign
        copy.cause = self.cause
        copy.truncated = self.truncated
        return copy


class _TooMuchWork(_Failure):
    """The derivation of one declaration ran out of its budget: nothing may tolerate it
    (an optional point that fails is skipped; this must end the whole declaration)."""


class _Recursion(_Failure):
    """stap's recursive_expansion_error: passed on even where other failures are tolerated."""


# ---------------------------------------------------------------- the match tree


class _Node:
    __slots__ = ("children", "families", "alias", "script_defs")

    def __init__(self):
        self.children: dict[tuple[str, str | None], _Node] = {}
        self.families: list[probe_families.ProbeFamily] = []
        self.alias: str | None = None  # a tapset alias is registered here under this name
        self.script_defs: list[_AliasDef] = []

    def bind(self, key: tuple[str, str | None]) -> "_Node":
        child = self.children.get(key)
        if child is None:
            child = self.children[key] = _Node()
        return child


def _base_tree(db, shared: dict | None = None) -> _Node:
    """The built-in families of the database's release and the names of every tapset alias
    (records are read lazily).

    `shared` (a session's, kept across the releases a range check builds trees for): the
    subtrees built already, by everything under them.  A tree takes the subtree an earlier
    one built wherever the same families and alias names, in the same order, are under it;
    nodes are never changed once built.  Its "parts" entry holds each alias name's components.
    """
    families = probe_families.families(getattr(db, "systemtap_version", None))
    names = db.names("alias")
    if shared is None:
        return _tree_of(families, names)
    parts = shared.setdefault("parts", {})  # name -> its components, split once for every release
    for name in names:
        if name not in parts:
            parts[name] = name.split(".")
    return _shared_tree(list(families), [(name, parts[name]) for name in names], 0, shared)


def _tree_of(families, names) -> _Node:
    root = _Node()
    for family in families:
        node = root
        for comp in family.components:
            node = node.bind((comp.name, comp.arg))
        node.families.append(family)
    for name in names:
        node = root
        for part in name.split("."):
            node = node.bind((part, None))
        node.alias = name
    return root


def _shared_tree(families: list, names: list[tuple[str, list[str]]], depth: int, shared: dict) -> _Node:
    """The node at `depth` components of the families and aliases (name, its parts) under it;
    its children taken from `shared` when built already.  The same nodes as _tree_of's, in
    the same order (a family's children first, in table order, then the aliases')."""
    node = _Node()
    groups: dict[tuple, tuple[list, list]] = {}
    for family in families:
        if len(family.components) == depth:
            node.families.append(family)
        else:
            comp = family.components[depth]
            groups.setdefault((comp.name, comp.arg), ([], []))[0].append(family)
    for name, parts in names:
        if len(parts) == depth:
            node.alias = name
        else:
            groups.setdefault((parts[depth], None), ([], []))[1].append((name, parts))
    for key, (group_families, group_names) in groups.items():
        identity = (depth, key, tuple(group_families), tuple(name for name, _ in group_names))
        child = shared.get(identity)
        if child is None:
            child = shared[identity] = _shared_tree(group_families, group_names, depth + 1, shared)
        node.children[key] = child
    return node


# Nodes are handled as tuples: the tapset tree's node and the script tree's node at the
# same place (either may be missing), so that the script's aliases extend the library's.
Nodes = tuple[_Node, ...]


def _child(nodes: Nodes, key) -> Nodes:
    return tuple(c for c in (n.children.get(key) for n in nodes) if c is not None)


def _children(nodes: Nodes) -> dict[tuple[str, str | None], Nodes]:
    merged: dict[tuple[str, str | None], list[_Node]] = {}
    for node in nodes:
        for key, child in node.children.items():
            merged.setdefault(key, []).append(child)
    return {key: tuple(value) for key, value in merged.items()}


@functools.lru_cache(maxsize=1024)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern))


def _key_text(key) -> str:
    name, kind = key
    return name if kind is None else f"{name}({kind})"


# ---------------------------------------------------------------- per database and target


class _Resolver:
    """What is shared by every file checked against one database and target (kept by a
    session.Session for the next file).

    It holds the match tree, the alias records that exist for the target, and
    the expansions of tapset aliases (by alias, suffix and optionality), so
    that `syscall.*` in the hundredth file costs a few dictionary lookups.
    """

    def __init__(self, db, target, shared_trees: dict | None = None):
        from ..tapsets.for_target import TargetView

        self.db = db
        self.target = target
        self.view = TargetView(target)
        self.root = _base_tree(db, shared_trees)
        self.suffixes = target.language_version >= (2, 0)  # alias suffixes came in SystemTap 2.0
        self._defs: dict[str, tuple[list[_AliasDef], list, list]] = {}
        self.expansions: dict = {}
        self._visible: dict[tuple[str, bool], dict[str, str]] = {}

    def defs(self, name: str) -> tuple[list[_AliasDef], list, list]:
        """The definitions of a tapset alias: (existing for the target, deprecated, others).

        Deprecated: kept only for an older SystemTap (`%( systemtap_v <= "2.1" %?`) in a file
        the target reads, every other condition holding; as (record, version).
        """
        known = self._defs.get(name)
        if known is not None:
            return known
        from ..tapsets.queries import deprecated_since

        existing, deprecated, others = [], [], []
        for alias in self.db.aliases(name):
            if not self.view.reads(alias.where.file):
                others.append(alias)
            elif self.view.holds(alias.conditions):
                points = []
                for p in alias.points:
                    if self.view.holds(p.conditions):
                        points += _points_from_text(p.text, p.optional, p.sufficient)
                existing.append(_AliasDef(name, points, alias, False, None))
            else:
                since = deprecated_since(alias.conditions)
                rest = tuple(c for c in alias.conditions if "systemtap_v" not in c)
                if since is not None and self.view.holds(rest):
                    deprecated.append((alias, since))
                else:
                    others.append(alias)
        # setdefault: two threads that made it at once both keep the first one made (aliases are
        # told apart by identity).
        return self._defs.setdefault(name, (existing, deprecated, others))

    def visible(self, name: str, everywhere: bool = False) -> dict[str, str]:
        """The variables a probe on tapset alias `name` sees (its and its expansion's bodies)."""
        key = (name, everywhere)
        known = self._visible.get(key)
        if known is None:
            from ..tapsets.queries import visible_variables

            def lookup(alias_name):
                return [a for a in self.db.aliases(alias_name) if self.view.reads(a.where.file)]

            found = visible_variables(lookup, name, None if everywhere else self.view.holds)
            known = self._visible.setdefault(key, {var: t for var, (t, _) in found.items()})
        return known


# ---------------------------------------------------------------- derivation


class _Derivation:
    """Resolution of the points of one file: the shared resolver plus the script's aliases."""

    def __init__(self, unit: CheckUnit, resolver: _Resolver, script_root: _Node | None):
        self.unit = unit
        self.r = resolver
        self.script_roots: Nodes = (resolver.root,) if script_root is None else (resolver.root, script_root)
        self.steps_left = MAX_DERIVATION_STEPS  # renewed for each declaration (new_budget)

    def new_budget(self) -> None:
        self.steps_left = MAX_DERIVATION_STEPS

    # -- derive_probes ------------------------------------------------------

    def derive(self, points: list[_Point], roots: Nodes, chain: tuple, parent_optional: bool) -> list[_Leaf]:
        """stap's derive_probes over an alias's points: `?` tolerates, `!` stops, nothing is "no match"."""
        results: list[_Leaf] = []
        for loc in points:
            tolerated = loc.optional or parent_optional
            try:
                got = self.find_and_build(roots, loc, 0, chain, parent_optional)
            except _TooMuchWork:
                raise
            except _Failure:
                if not tolerated:
                    raise
                continue
            if not got and not tolerated:
                raise _Failure(codes.UNKNOWN_PROBE_POINT,
                               f"no match: '{loc.text()}' resolves to no probe "
                               "(every point it expands to is optional, and none resolved)",
                               _anchor(loc), ("stap: no match",))
            results += got
            if loc.sufficient and got:
                break
        return results

    # -- match_node::find_and_build --------------------------------------------

    def find_and_build(self, nodes: Nodes, point: _Point, pos: int, chain: tuple,
                       parent_optional: bool) -> list[_Leaf]:
        self.steps_left -= 1
        if self.steps_left < 0:
            raise _TooMuchWork(codes.PROBE_POINT_TOO_COSTLY,
                               f"resolving this probe point took more than {MAX_DERIVATION_STEPS:,} steps; "
                               "stapkit stopped", None,
                               ("a '**' wildcard through aliases that match it again can make the "
                                "resolution grow without end: name the points you mean",))
        comps = point.comps
        if pos == len(comps):
            return self.build_at(nodes, point, chain, parent_optional)
        comp = comps[pos]
        if _SCRIPT_ARGUMENT.search(comp.name):
            # `probe $1.call`: stap pastes the argument's text in; until it is known, so is nothing else.
            return [_Leaf(None, (), chain, point.in_script, _anchor(point))]
        if "**" in comp.name:
            return self.double_glob(nodes, point, pos, chain, parent_optional)
        if "*" in comp.name or comp.kind == ANY:
            return self.glob(nodes, point, pos, chain, parent_optional)
        sub = _child(nodes, (comp.name, comp.kind))
        if sub:
            return self.find_and_build(sub, point, pos + 1, chain, parent_optional)
        results = self.try_suffix(nodes, point, pos, chain, parent_optional)
        if results or point.optional:
            return results
        raise self.mismatch(nodes, point, pos)

    def glob(self, nodes, point, pos, chain, parent_optional) -> list[_Leaf]:
        comp = point.comps[pos]
        regex = _glob_regex(comp.name) if "*" in comp.name else None
        results: list[_Leaf] = []
        matched: list[tuple[str, _Failure]] = []
        for (name, kind), sub in _children(nodes).items():
            if (kind is None) != (comp.kind is None):
                continue
            if comp.kind not in (None, ANY) and kind != comp.kind:
                continue
            if regex is not None and not regex.match(name):
                continue
            if regex is None and name != comp.name:
                continue
            text = name if comp.kind is None else f"{name}({comp.text.partition('(')[2]}"
            replaced = comp._replace(name=name, kind=kind, text=text, glob=regex is not None or comp.glob)
            narrowed = point._replace(comps=point.comps[:pos] + (replaced,) + point.comps[pos + 1:])
            try:
                results += self.find_and_build(sub, narrowed, pos + 1, chain, parent_optional)
            except _TooMuchWork:
                raise
            except _Failure as failure:
                matched.append((self.prefix_text(narrowed, pos + 1), failure))  # stap ignores it
        if not results:
            results = self.try_suffix(nodes, point, pos, chain, parent_optional)
        if not results and not point.optional:
            if regex is None:  # a $N argument of a kind nothing here takes
                raise self.mismatch(nodes, point, pos)
            failure = _Failure(codes.UNKNOWN_PROBE_POINT, lambda: self.no_wildcard_match(nodes, point, pos, matched),
                               comp.span, ("stap: probe point mismatch: didn't find any wildcard matches",))
            failure.cause = matched[0][1].cause or matched[0][1] if matched else None
            raise failure
        return results

    def no_wildcard_match(self, nodes, point: _Point, pos: int, matched) -> str:
        text = f"no probe point matches '{point.text()}'"
        if not matched:
            return text + self.suggestion(nodes, point, pos)
        names = sorted({name for name, _ in matched})
        shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        which = "which does not resolve" if len(names) == 1 else "none of which resolves"
        cause = matched[0][1].cause or matched[0][1]
        return f"{text}: '{point.comps[pos].text}' matches {shown}, {which} ({cause.message})"

    def double_glob(self, nodes, point, pos, chain, parent_optional) -> list[_Leaf]:
        """`foo**bar` is tried as `foo*bar`, then as `foo*` followed by `**bar` (elaborate.cxx)."""
        comp = point.comps[pos]
        start = comp.name.find("**")
        end = start
        while end < len(comp.name) and comp.name[end] == "*":
            end += 1
        prefix, rest = comp.name[:start], comp.name[end:]
        results: list[_Leaf] = []
        simple = comp._replace(name=prefix + "*" + rest, text=(prefix + "*" + rest + comp.text[len(comp.name):]))
        try:
            results += self.find_and_build(
                nodes, point._replace(comps=point.comps[:pos] + (simple,) + point.comps[pos + 1:]),
                pos, chain, parent_optional)
        except _TooMuchWork:
            raise
        except _Failure:
            pass
        before = comp._replace(name=prefix + "*", kind=None, value=None, text=prefix + "*")
        after = comp._replace(name="**" + rest, text="**" + rest + comp.text[len(comp.name):])
        try:
            results += self.find_and_build(
                nodes, point._replace(comps=point.comps[:pos] + (before, after) + point.comps[pos + 1:]),
                pos, chain, parent_optional)
        except _TooMuchWork:
            raise
        except _Failure:
            pass
        if not results:
            results = self.try_suffix(nodes, point, pos, chain, parent_optional)
        if not results and not point.optional:
            raise _Failure(codes.UNKNOWN_PROBE_POINT,
                           lambda: f"no probe point matches '{self.prefix_text(point, len(point.comps))}'"
                           + self.suggestion(nodes, point, pos),
                           comp.span, ("stap: probe point mismatch: didn't find any wildcard matches",))
        return results

    # -- the end of a point: the builders bound at its node ------------------------

    def build_at(self, nodes: Nodes, point: _Point, chain: tuple, parent_optional: bool) -> list[_Leaf]:
        families, defs, deprecated, others = self.ends(nodes)
        if not families and not defs:
            if deprecated and not any(c.glob for c in point.comps):
                alias, since = deprecated[0]
                return [_Leaf(None, (), chain, point.in_script, _anchor(point), (alias, since))]
            raise self.truncated(nodes, point, others)
        results: list[_Leaf] = []
        for family in families:
            # (`!` is optional too: stap goes on to the next point when it does not resolve)
            results.append(self.build_family(family, point, chain,
                                             point.optional or point.sufficient or parent_optional))
        for alias in defs:
            results += self.expand_alias(alias, point, (), chain, parent_optional)
        return results

    def ends(self, nodes: Nodes):
        families: list = []
        defs: list[_AliasDef] = []
        deprecated: list = []
        others: list = []
        for node in nodes:
            families += node.families
            defs += node.script_defs
            if node.alias is not None:
                existing, old, other = self.r.defs(node.alias)
                defs += existing
                deprecated += old
                others += other
        return families, defs, deprecated, others

    def try_suffix(self, nodes, point, pos, chain, parent_optional) -> list[_Leaf]:
        """PR12210: the rest of the point is a suffix for the alias bound here."""
        if not self.r.suffixes:
            return []
        families, defs, deprecated, _ = self.ends(nodes)
        comps = point.comps
        suffix = comps[pos:]
        results: list[_Leaf] = []
        if any(f.group == "debuginfod" for f in families):
            # The one family that takes a suffix (SystemTap 5.0's tapset-debuginfod.cxx): stap fetches
            # the program and resolves process(PATH) followed by the rest.
            # The program is the server's, not this machine's: its argument is unknown here.
            process = next(c for c in comps[:pos] if c.name == "process")._replace(value=None)
            return self.find_and_build(self.script_roots, point._replace(comps=(process,) + suffix), 0, chain,
                                       parent_optional)
        if families and not point.optional:
            raise self.invalid_suffix(nodes, point, pos)  # a built-in family takes no suffix
        for alias in defs:
            try:
                results += self.expand_alias(alias, point, suffix, chain, parent_optional)
            except _Recursion:
                raise
            except _TooMuchWork:
                raise
            except _Failure as failure:
                if not point.optional:
                    raise self.suffix_failure(failure, point, pos)
        if not results and not families and not defs and deprecated and not any(c.glob for c in comps):
            alias, since = deprecated[0]
            return [_Leaf(None, (), chain, point.in_script, _anchor(point), (alias, since))]
        return results

    def suffix_failure(self, failure: _Failure, point: _Point, pos: int) -> _Failure:
        """A failure inside an alias expanded with a suffix, told at the suffix (as stap does)."""
        if failure.code != codes.INCOMPLETE_PROBE_POINT or isinstance(failure, _Recursion):
            return failure.at(point.comps[pos].span)
        prefix = self.prefix_text(point, pos)
        suffix = ".".join(c.text for c in point.comps[pos:])
        inner = getattr(failure, "takes_no_suffix", None)
        if inner is None:
            return failure.at(point.comps[pos].span)
        outer = _Failure(failure.code, f"invalid suffix for probe: '{prefix}' takes no '.{suffix}' "
                                       f"(it expands to '{inner}', which takes no such suffix)",
                         point.comps[pos].span, failure.hints)
        outer.takes_no_suffix = inner
        return outer

    def expand_alias(self, alias: _AliasDef, point: _Point, suffix: tuple, chain: tuple,
                     parent_optional: bool) -> list[_Leaf]:
        if any(a is alias for a in chain):
            raise _Recursion(codes.ALIAS_RECURSION,
                             f"recursive loop in alias expansion of {point.text()}",
                             point.comps[0].span if point.comps else None,
                             (f"the alias '{alias.name}' expands, through other aliases, to itself",))
        optional = point.optional or parent_optional
        if not alias.in_script:
            # (guru mode changes what the netfilter builder accepts)
            key = (id(alias), tuple((c.name, c.kind, c.value) for c in suffix), optional, self.unit.guru)
            cached = self.r.expansions.get(key)
            if cached is None:
                try:
                    cached = self._expand(alias, suffix, (), optional, (self.r.root,))
                except _TooMuchWork:
                    raise
                except _Failure as failure:
                    cached = failure
                cached = self.r.expansions.setdefault(key, cached)
            if isinstance(cached, _Failure):
                raise cached.at(None)
            return [leaf._replace(chain=chain + leaf.chain) for leaf in cached]
        return self._expand(alias, suffix, chain, optional, self.script_roots)

    def _expand(self, alias: _AliasDef, suffix: tuple, chain: tuple, optional: bool, roots: Nodes):
        points = [p._replace(comps=p.comps + suffix) for p in alias.points]
        return self.derive(points, roots, chain + (alias,), optional)

    # -- a family's builder: the checks it makes without the target system ---------

    def build_family(self, family, point: _Point, chain: tuple, optional: bool = False) -> _Leaf:
        sufficient = point.sufficient
        params = tuple((c.name, c.value) for c in point.comps)
        arg_span = None
        if point.in_script:
            named = _NAMED_TARGET.get(family.group)
            arg_span = next((c.span for c in point.comps if c.name == named and c.kind is not None), None)
        leaf = _Leaf(family, params, chain, point.in_script, _anchor(point) if point.in_script else None,
                     optional=optional, arg_span=arg_span, sufficient=sufficient)
        problem = _builder_check(family, leaf, self.unit.guru)
        if problem is not None:
            message, comp_name, hints = problem
            span = next((c.span for c in point.comps if c.name == comp_name and c.span is not None),
                        point.comps[0].span)
            raise _Failure(codes.PROBE_ARGUMENT_VALUE, message, span, hints)
        return leaf

    # -- failures and their messages ------------------------------------------------

    def prefix_text(self, point: _Point, upto: int) -> str:
        return ".".join(c.text for c in point.comps[:upto])

    def family_note(self, point: _Point) -> str:
        """" ('kernel.function(string).callees' was added in SystemTap 2.5; you target 2.0)" for a
        point that is a built-in family of other releases than the target's; else ""."""
        comps = point.comps
        if not comps or any("*" in c.name or c.kind not in (None, probe_families.STRING, probe_families.NUMBER)
                            for c in comps):
            return ""
        parts = [str(probe_families.Component(c.name, c.kind)) for c in comps]
        release = getattr(self.r.db, "systemtap_version", None)
        note = probe_families.family_note(".".join(parts), release)
        for end in range(len(parts) - 1, 1, -1):  # debuginfod.process(PATH) takes a suffix
            if note:
                break
            prefix = ".".join(parts[:end])
            if probe_families.takes_suffix(prefix):
                note = probe_families.family_note(prefix, release)
        return f" ({note})" if note else ""

    def mismatch(self, nodes: Nodes, point: _Point, pos: int) -> _Failure:
        comp = point.comps[pos]
        children = _children(nodes)
        same_name = sorted((k for k in children if k[0] == comp.name), key=lambda k: k[1] or "")
        if same_name:
            return self.kind_failure(point, pos, same_name)
        failure = _Failure(codes.UNKNOWN_PROBE_POINT, lambda: self.unknown_message(nodes, point, pos),
                           comp.span, ("stap: probe point mismatch",))
        if pos == 0 and point.in_script and nodes[0] is self.r.root and not self.family_note(point):
            failure.foreign = lambda: not self.suggestion(nodes, point, pos)
        return failure

    def kind_failure(self, point: _Point, pos: int, keys) -> _Failure:
        """A component known by name, written with the wrong kind of argument (or none, or one too many)."""
        comp = point.comps[pos]
        words = {None: "no argument", probe_families.STRING: "a string", probe_families.NUMBER: "a number"}
        takes = " or ".join(words[k[1]] for k in keys)
        if comp.kind is None:
            message = f"'{comp.name}' needs an argument: {takes} (in '{point.text()}')"
        else:
            message = f"'{comp.name}' takes {takes}, not {words.get(comp.kind, 'an argument')} (in '{point.text()}')"
        message += self.family_note(point)
        return _Failure(codes.PROBE_ARGUMENT_KIND, message, comp.span,
                        ("stap: probe point mismatch (an argument's kind is part of the name)",))

    def unknown_message(self, nodes: Nodes, point: _Point, pos: int) -> str:
        from ..tapsets.manual_2009 import FATE

        dotted = point.text()
        family_note = self.family_note(point)
        if family_note:
            return f"unknown probe point '{dotted}'{family_note}"
        fate = FATE.get(dotted) if "(" not in dotted else None
        if fate is not None and fate.kind == "renamed":
            return f"unknown probe point '{dotted}': it was renamed {fate.new_name} in SystemTap {fate.since}"
        if fate is not None and fate.kind == "misdocumented":
            return (f"unknown probe point '{dotted}': the alias is called {fate.new_name} "
                    "(the 2009 tapset manual printed it under the wrong name)")
        if fate is not None and fate.kind == "removed":
            return f"unknown probe point '{dotted}': removed in SystemTap {fate.since}"
        if "(" not in dotted and "*" not in dotted:  # what other SystemTap releases have of the alias
            from ..tapsets.releases import release_note

            note = release_note(self.r.db, "alias", dotted)
            if note:
                return f"unknown probe point '{dotted}'{note}"
        if pos + 1 < len(point.comps):
            return (f"unknown probe point '{dotted}': nothing is named '{self.prefix_text(point, pos + 1)}'"
                    + self.suggestion(nodes, point, pos))
        return f"unknown probe point '{dotted}'" + self.suggestion(nodes, point, pos)

    def suggestion(self, nodes: Nodes, point: _Point, pos: int) -> str:
        from ..tapsets.queries import similar_names

        comp = point.comps[pos]
        prefix = self.prefix_text(point, pos)
        lead = prefix + "." if prefix else ""
        names = {}
        for key, sub in _children(nodes).items():
            full = lead + key[0] + ("(...)" if key[1] else "")
            names.setdefault(full, sub)
        wanted = lead + comp.name.replace("*", "")
        close = [n for n in similar_names(wanted, list(names), limit=8) if self.exists(names[n])][:3]
        if not close:
            return ""
        return " (did you mean " + " or ".join(f"'{n}'" for n in close) + "?)"

    def exists(self, nodes: Nodes, depth: int = 0) -> bool:
        """Is anything registered at or under these nodes for the target (bounded look)?"""
        families, defs, _, _ = self.ends(nodes)
        if families or defs:
            return True
        if depth > 3:
            return True
        return any(self.exists(sub, depth + 1) for sub in list(_children(nodes).values())[:50])

    def truncated(self, nodes: Nodes, point: _Point, others: list) -> _Failure:
        dotted = point.text()
        span = point.comps[-1].span if point.comps else None
        if others:
            where = others[0]
            conditions = " and ".join(where.conditions)
            reason = (f"the tapset library defines it only when {conditions}" if conditions
                      else f"the tapset library defines it in {where.where.file}, which stap does not "
                           "read for this target")
            return _Failure(codes.UNKNOWN_PROBE_POINT,
                            f"unknown probe point '{dotted}' for this target: {reason}", span)

        def message() -> str:
            follow = sorted(_key_text(k) for k in _children(nodes))
            shown = ", ".join(follow[:FOLLOW_SHOWN]) + (", ..." if len(follow) > FOLLOW_SHOWN else "")
            return f"probe point truncated: '{dotted}' needs one more component ({shown})" + self.family_note(point)

        failure = _Failure(codes.INCOMPLETE_PROBE_POINT, message, span, ("stap: probe point truncated (follow: ...)",))
        failure.truncated = True
        return failure

    def invalid_suffix(self, nodes: Nodes, point: _Point, pos: int) -> _Failure:
        comp = point.comps[pos]
        same_name = sorted((k for k in _children(nodes) if k[0] == comp.name), key=lambda k: k[1] or "")
        if same_name:
            return self.kind_failure(point, pos, same_name)

        def message() -> str:
            follow = sorted(_key_text(k) for k in _children(nodes))
            after = f" (it may be followed by {', '.join(follow[:FOLLOW_SHOWN])})" if follow else ""
            return (f"invalid suffix for probe: '{self.prefix_text(point, pos)}' takes no "
                    f"'.{'.'.join(c.text for c in point.comps[pos:])}'{after}" + self.family_note(point))

        failure = _Failure(codes.INCOMPLETE_PROBE_POINT, message, comp.span, ("stap: invalid suffix for probe",))
        failure.takes_no_suffix = self.prefix_text(point, pos)
        return failure


# ---------------------------------------------------------------- builder checks


def _builder_check(family, leaf: _Leaf, guru: bool):
    """The static checks of a family's builder: (message, component to blame, hints) or None."""
    group = family.group
    if group == "timer":
        return _timer_check(leaf)
    if group == "procfs":
        return _procfs_check(leaf)
    if group == "perf":
        return _perf_check(leaf)
    if group == "netfilter" and not guru:
        return _netfilter_check(leaf)
    if group in ("kernel.function", "module.function"):
        if leaf.has("maxactive"):
            value = leaf.param("maxactive")
            if isinstance(value, int) and not 0 <= value <= MAXACTIVE_MAX:
                return (f"maxactive value out of range [0,{MAXACTIVE_MAX}]", "maxactive", ())
        if leaf.has("callees"):
            value = leaf.param("callees")
            if isinstance(value, int) and value < 1:
                return (".callees(N) only acceptable for N >= 1", "callees", ())
    return None


def _timer_check(leaf: _Leaf):
    randomize = leaf.param("randomize") if leaf.has("randomize") else 0
    if leaf.has("jiffies"):
        period = leaf.param("jiffies")
        if isinstance(period, int) and not 0 < period <= JIFFIES_MAX:
            return ("invalid interval for jiffies timer", "jiffies", (f"a jiffies timer takes 1 to {JIFFIES_MAX}",))
        if isinstance(period, int) and isinstance(randomize, int) and not 0 <= randomize <= period:
            return ("invalid randomize for jiffies timer", "randomize",
                    ("the randomization must be between 0 and the interval",))
        return None
    unit = next((name for name, _ in leaf.params if name in TIMER_SCALE), None)
    if unit is None:
        return None
    period = leaf.param(unit)
    if not isinstance(period, int):
        return None  # a $N placeholder
    scale = TIMER_SCALE[unit]
    if unit == "hz":
        if period <= 0:
            return ("frequency must be greater than 0", "hz", ())
        interval = (1_000_000_000 + period - 1) // period
    else:
        interval = period * scale
    if not HRTIMER_MIN_NS <= interval <= HRTIMER_MAX_NS:
        low = HRTIMER_MIN_NS // scale if scale < HRTIMER_MIN_NS else 1
        high = HRTIMER_MAX_NS // scale
        hint = (f"timer.{unit} takes {low} to {high}" if unit != "hz"
                else "a timer.hz frequency gives an interval of 100 microseconds to one day")
        return (f"interval value out of range ({low}, {high})", unit, (hint,))
    if isinstance(randomize, int) and not 0 <= randomize * scale <= interval:
        return ("randomization value out of range", "randomize",
                ("the randomization must be between 0 and the interval",))
    return None


def _procfs_path(leaf: _Leaf) -> str | None:
    """The procfs file a probe uses ("command" without one, as stap); None when a $N hides it."""
    if leaf.family.components[0].arg is None:  # procfs.read, procfs.umask(N).write, ...
        return "command"
    return leaf.param("procfs")


def _procfs_check(leaf: _Leaf):
    if leaf.has("maxsize"):
        value = leaf.param("maxsize")
        if isinstance(value, int) and value <= 0:
            return ("maxsize must be greater than 0", "maxsize", ())
    path = _procfs_path(leaf)
    if not isinstance(path, str) or path == "command":
        return None
    parts = path.split("/")
    if parts[0] == "" and len(parts) > 1:
        return ("procfs path cannot start with a '/'", "procfs", ("the path is relative to /proc/systemtap/MODULE",))
    for part in parts[:-1]:
        if part == "":
            return ("procfs path component cannot be empty", "procfs", ())
        if part in (".", ".."):
            return ("procfs path cannot be relative (and contain '.' or '..')", "procfs", ())
    if parts[-1] == "":
        return ("procfs path cannot end with a '/'", "procfs", ())
    if parts[-1] in (".", ".."):
        return ("procfs path cannot be relative (and contain '.' or '..')", "procfs", ())
    return None


def _perf_check(leaf: _Leaf):
    if leaf.has("sample"):
        value = leaf.param("sample")
        if isinstance(value, int) and value < 1:
            return (f"invalid perf sample period {value}", "sample", ())
    if leaf.has("counter"):
        name = leaf.param("counter")
        if isinstance(name, str):
            if any(ch in name for ch in "*?["):
                return ("wildcard not allowed with perf probe counter component", "counter", ())
            if name == "":
                return ("missing perf probe counter component name", "counter", ())
    return None


_NETFILTER_HOOKS = {
    "NFPROTO_IPV4": {"NF_INET_PRE_ROUTING", "NF_INET_LOCAL_IN", "NF_INET_FORWARD", "NF_INET_LOCAL_OUT",
                     "NF_INET_POST_ROUTING", "NF_IP_PRE_ROUTING", "NF_IP_LOCAL_IN", "NF_IP_FORWARD",
                     "NF_IP_LOCAL_OUT", "NF_IP_POST_ROUTING"},
    "NFPROTO_IPV6": {"NF_IP6_PRE_ROUTING", "NF_IP6_LOCAL_IN", "NF_IP6_FORWARD", "NF_IP6_LOCAL_OUT",
                     "NF_IP6_POST_ROUTING"},
    "NFPROTO_ARP": {"NF_ARP_IN", "NF_ARP_OUT", "NF_ARP_FORWARD"},
    "NFPROTO_BRIDGE": {"NF_BR_PRE_ROUTING", "NF_BR_LOCAL_IN", "NF_BR_FORWARD", "NF_BR_LOCAL_OUT",
                       "NF_BR_POST_ROUTING"},
}
_NETFILTER_PF_NUMBER = {"NFPROTO_IPV4": "2", "NFPROTO_IPV6": "10", "NFPROTO_ARP": "3", "NFPROTO_BRIDGE": "7"}
_NETFILTER_PRIORITIES = {
    "NFPROTO_IPV4": {"NF_IP_PRI_FIRST", "NF_IP_PRI_CONNTRACK_DEFRAG", "NF_IP_PRI_RAW", "NF_IP_PRI_SELINUX_FIRST",
                     "NF_IP_PRI_CONNTRACK", "NF_IP_PRI_MANGLE", "NF_IP_PRI_NAT_DST", "NF_IP_PRI_FILTER",
                     "NF_IP_PRI_SECURITY", "NF_IP_PRI_NAT_SRC", "NF_IP_PRI_SELINUX_LAST",
                     "NF_IP_PRI_CONNTRACK_CONFIRM", "NF_IP_PRI_LAST"},
    "NFPROTO_IPV6": {"NF_IP6_PRI_FIRST", "NF_IP6_PRI_CONNTRACK_DEFRAG", "NF_IP6_PRI_RAW",
                     "NF_IP6_PRI_SELINUX_FIRST", "NF_IP6_PRI_CONNTRACK", "NF_IP6_PRI_MANGLE",
                     "NF_IP6_PRI_NAT_DST", "NF_IP6_PRI_FILTER", "NF_IP6_PRI_SECURITY", "NF_IP6_PRI_NAT_SRC",
                     "NF_IP6_PRI_SELINUX_LAST", "NF_IP6_PRI_LAST"},
}


def _netfilter_check(leaf: _Leaf):
    """tapset-netfilter.cxx: without -g, only the hook, family and priority names it knows."""
    hook, pf = leaf.param("hook"), leaf.param("pf")
    priority = leaf.param("priority") if leaf.has("priority") else "0"
    if not isinstance(hook, str) or not isinstance(pf, str) or not isinstance(priority, str):
        return None
    pf_number = _NETFILTER_PF_NUMBER.get(pf, pf)
    if priority not in _NETFILTER_PRIORITIES.get(pf, ()) and not re.fullmatch(r"\s*[-+]?\d+", priority):
        return (f'unsupported netfilter priority "{priority}" for protocol family "{pf_number}"; need stap -g',
                "priority", ("a priority is a number or one of the NF_IP_PRI_* / NF_IP6_PRI_* names",))
    if pf in _NETFILTER_HOOKS and hook not in _NETFILTER_HOOKS[pf]:
        return (f'unsupported netfilter hook "{hook}" for protocol family "{pf_number}"; need stap -g', "hook",
                (f"the hooks of {pf} are " + ", ".join(sorted(_NETFILTER_HOOKS[pf])),))
    if pf not in _NETFILTER_HOOKS:
        return (f'unsupported netfilter protocol family "{pf}"; need stap -g', "pf",
                ("the families are " + ", ".join(sorted(_NETFILTER_HOOKS)),))
    return None


# ---------------------------------------------------------------- what a family gives a handler

# Families whose derived probes expand no target symbol at all (no var_expanding_visitor
# in their builders): a `$var` there is stap's "unresolved target-symbol expression".
_NO_TARGET_VARIABLES = frozenset({
    "begin/end/error", "never", "timer", "timer.profile", "perf", "process.begin", "process.insn",
    "kernel.data", "kernel.data.symbol", "kprobe", "kprobe.statement.absolute", "kernel.statement.absolute",
})
# What only the target system can confirm, by group (for STP210).
_NEEDS = {
    "kernel.function": "the kernel's debuginfo", "kernel.statement": "the kernel's debuginfo",
    "module.function": "the module's debuginfo", "module.statement": "the module's debuginfo",
    "kprobe": "the kernel's symbol table", "kernel.trace": "the kernel's tracepoint headers",
    "kernel.mark": "kernel markers (gone from modern kernels)",
    "kernel.data.symbol": "the kernel's symbol table",
    "process.function": "the program's debuginfo", "process.statement": "the program's debuginfo",
    "process.mark": "the program's SDT probe notes", "process.plt": "the program's PLT",
    "java": "byteman support (not built into Debian's stap 4.8)",
    "python": "python probe support (not built into Debian's stap 4.8)",
}


# The component that names what a kernel probe attaches to (see unit.KernelPoint).
_NAMED_TARGET = {"kernel.function": "function", "kprobe": "function", "kernel.trace": "trace",
                 "module.function": "function"}


def _kernel_point(leaf: _Leaf) -> KernelPoint | None:
    group = leaf.family.group
    named = _NAMED_TARGET.get(group)
    if named is None:
        return None
    names = [key for key, _ in leaf.params]
    at = names.index(named) if named in names else len(names)
    value = leaf.param(named)
    module = leaf.param("module") if leaf.has("module") else None
    return KernelPoint(group, value if isinstance(value, str) else None, tuple(names[at + 1:]),
                       leaf.in_script, bool(leaf.chain), leaf.optional, leaf.arg_span or leaf.span,
                       leaf.sufficient, module if isinstance(module, str) else ("" if leaf.has("module") else None))


def _kernel_confirms(unit: CheckUnit, leaf: _Leaf) -> bool:
    """With a kernel description, kernel_targets.py checks this point's target itself."""
    kernel = unit.kernel
    if kernel is None or not leaf.in_script or leaf.chain or leaf.family.group not in _NAMED_TARGET \
            or leaf.has("module"):
        return False  # (a module's functions: only while it is loaded, and only by name)
    if leaf.family.group == "kernel.trace":
        return kernel.has_tracepoints()
    return not leaf.has("inline")


def _user_point(leaf: _Leaf, written: ast.ProbePoint):
    """The userspace.points.UserPoint of a process(...) point written in the checked file, else None."""
    from ..userspace.points import GROUPS, UserPoint

    if leaf.family is None or leaf.family.group not in GROUPS or leaf.chain or not leaf.in_script:
        return None
    spans = tuple((c.name, c.arg.span if c.arg is not None else c.span) for c in written.components
                  if isinstance(c, ast.Component))
    return UserPoint(leaf.family.group, leaf.params, spans, leaf.optional)


def _program_confirms(unit: CheckUnit, leaf: _Leaf) -> bool:
    """userspace/ checks this point against its program, which is here (not for a statement)."""
    if leaf.family is None or leaf.family.group not in ("process.function", "process.mark", "process.plt") \
            or leaf.chain or not leaf.in_script or unit.tapset:
        return False
    from ..userspace.points import Place, UserPoint, program_file

    program, _ = program_file(UserPoint(leaf.family.group, leaf.params, (), leaf.optional), Place(unit.sysroot))
    return program is not None


def _check_user_points(unit: CheckUnit, session, decl: ast.ProbeDecl, result: "_ProbeResult") -> None:
    """Each process(...) point against the program it names, `$argN` against the markers it
    matched, `$name` against the DWARF of the functions (the logic: stapkit/userspace/points.py)."""
    if unit.tapset:
        return
    from ..userspace import points as user

    place = user.Place(unit.sysroot, session.elf, dwarf_reader=session.dwarf) if session is not None else \
        user.Place(unit.sysroot)
    points = [(_user_point(leaf, written), written.dotted()) for written, leaves, _ in result.alternatives
              for leaf in leaves]
    for f in user.check_probe(points, decl.body, place, explain=unit.explain_unverifiable):
        unit.report(f.code, f.message, f.span, severity=f.severity, hints=f.hints)


def _is_return(family) -> bool:
    return any(c.name == "return" for c in family.components)


def _context(family) -> str:
    """The kind of target symbols a family's probes have (see _HandlerCheck.symbol_in)."""
    group = family.group
    if group in _NO_TARGET_VARIABLES:
        return "none"
    if group == "procfs":
        return "procfs-write" if any(c.name == "write" for c in family.components) else "procfs-read"
    if group == "process.syscall":
        return "syscall-return" if _is_return(family) else "syscall"
    if group in ("netfilter", "process.plt", "kernel.trace"):
        return group
    return "dwarf-return" if _is_return(family) else "dwarf"


# ---------------------------------------------------------------- the check


class _ProbeResult:
    """The points of one probe or alias declaration, resolved."""

    def __init__(self):
        self.leaves: list[_Leaf] = []
        self.failed = False
        # Each point of the declaration (after `{a,b}` expansion) that resolved: (the point,
        # its leaves, elaborated).  Not elaborated: after a `!` point that surely resolves,
        # stap tries no later point (their leaves are not in `leaves`).
        self.alternatives: list[tuple[ast.ProbePoint, list[_Leaf], bool]] = []
        self.skipped: list[ast.ProbePoint] = []  # the points after such a `!` point


def check(unit: CheckUnit, session=None) -> None:
    """Resolve every probe point of the file, check the handlers against them, fill the model's
    "probes" part (unit.probes and the expansions), then its "elaboration" part.

    unit.probes gets an entry for each `probe` and also for each of the script's
    alias definitions (what its own points resolve to), both keyed by id(decl).
    `session` (session.Session) keeps the resolver of the library for the next file;
    without one it is made for this file.
    """
    from . import elaboration

    ast.ensure_recursion_room()
    resolver = session.resolver(unit.db, unit.view.target) if session is not None else \
        _Resolver(unit.db, unit.view.target)
    script_root, alias_decls = _script_aliases(unit)
    derivation = _Derivation(unit, resolver, script_root)
    results: list[tuple[ast.ProbeDecl | ast.AliasDecl, _ProbeResult]] = []
    for item in unit.script.items:
        if isinstance(item, ast.ProbeDecl):
            results.append((item, _resolve_probe(unit, derivation, item.points, item.span, standalone=False)))
        elif isinstance(item, ast.AliasDecl) and id(item) in alias_decls:
            results.append((item, _resolve_probe(unit, derivation, item.points, item.span, standalone=True)))
    _check_shared_resources(unit, results)
    script_variables: dict[int, dict[str, str]] = {}  # by id of the script's alias definition
    for decl, result in results:
        info = _probe_info(unit, resolver, result, script_variables)
        unit.probes[id(decl)] = info
        if isinstance(decl, ast.ProbeDecl):
            _check_user_points(unit, session, decl, result)
            unit.model.expansions += _expansions(decl, result, resolver)
            unit.model.skipped_points += result.skipped
            if not result.failed and not result.alternatives:
                info.dropped, info.resolved = True, False
        if result.leaves:
            bodies = [decl.body] + ([decl.epilogue] if isinstance(decl, ast.AliasDecl) and decl.epilogue else [])
            elide = not (unit.result.first_line and unit.result.first_line.unoptimized)
            for body in bodies:
                _HandlerCheck(unit, result.leaves, elide=elide, handler=isinstance(decl, ast.ProbeDecl)).run(body)
    unit.model.mark("probes")
    unit.model.elaboration = elaboration.compute(unit)
    unit.model.mark("elaboration")


def _expansions(decl: ast.ProbeDecl, result: "_ProbeResult", resolver: "_Resolver") -> list[Expansion]:
    """The probes stap makes of a declaration: one per point, and per way through the script's aliases.

    A point's leaves that go through the same script aliases are one expansion (their
    bodies and the handler are typed together); the library aliases they reach add
    their variables to it (`syscall.*`: all of them, as one).
    """
    found: list[Expansion] = []
    for point, leaves, elaborated in result.alternatives:
        groups: dict[tuple, Expansion] = {}
        for leaf in leaves:
            script = tuple(a.record for a in leaf.chain if a.in_script)
            expansion = groups.get(tuple(map(id, script)))
            if expansion is None:
                expansion = groups[tuple(map(id, script))] = Expansion(decl, point, script, elaborated=elaborated)
            library = [a for a in leaf.chain if not a.in_script]
            for alias in library:  # (each level: one reached with a suffix sees what its expansion sets)
                if alias.name not in expansion.library_aliases:
                    expansion.library_aliases += (alias.name,)
                    _merge(expansion.library_variables, resolver.visible(alias.name))
            if not library and leaf.family is None and leaf.deprecated is not None:
                alias, _ = leaf.deprecated
                expansion.library_aliases += (alias.name,)
                _merge(expansion.library_variables, resolver.visible(alias.name, everywhere=True))
        found += groups.values()
    return found


def _surely_resolves(leaves: list["_Leaf"]) -> bool:
    """Does a point that resolved offline resolve on every target?  (Then a `!` on it ends the list.)"""
    return bool(leaves) and all(leaf.family is not None and not leaf.family.needs_target for leaf in leaves)


def _script_aliases(unit: CheckUnit) -> tuple[_Node | None, set[int]]:
    """The script's alias definitions, as a match tree; bad alias names are reported here."""
    root = None
    registered: set[int] = set()
    for item in unit.script.items:
        if not isinstance(item, ast.AliasDecl):
            continue
        ok = True
        names = []
        for alias_name in item.names:
            for point in alias_name.point.expand():
                for comp in point.components:
                    if not isinstance(comp, ast.Component):
                        continue
                    if comp.arg is not None:
                        unit.report(codes.PROBE_ARGUMENT_KIND,
                                    f"alias component {comp.name} contains illegal parameter",
                                    comp.span, hints=("an alias name takes no arguments",))
                        ok = False
                    elif comp.name == "*":
                        unit.report(codes.UNKNOWN_PROBE_POINT,
                                    "invalid use of wildcard probe point component in an alias name",
                                    comp.span, hints=("stap refuses to register this alias: a component "
                                                      "that is just '*' cannot name a probe point",))
                        ok = False
                names.append(point)
        if not ok:
            continue
        registered.add(id(item))
        points = [_point_from_ast(p) for point in item.points for p in point.expand()]
        for point in names:
            if root is None:
                root = _Node()
            node = root
            for comp in point.components:
                node = node.bind((comp.name, None))
            name = ".".join(c.name for c in point.components)
            node.script_defs.append(_AliasDef(name, points, item, True, point.span))
    return root, registered


def _resolve_probe(unit: CheckUnit, derivation: _Derivation, points, decl_span: Span,
                   standalone: bool) -> _ProbeResult:
    """Resolve each point of a declaration; report its failures, deprecations and guru needs.

    `standalone`: the points of a script alias, checked on their own.  A point
    that stops short there is not reported (the alias may be meant to be used
    with a suffix: `probe a = b.c {}` then `probe a.d {}`).
    """
    result = _ProbeResult()
    roots = derivation.script_roots
    ended = False  # a `!` point before surely resolved: stap tries none of the rest
    derivation.new_budget()
    for written in points:
        reported: set = set()  # `nosuch.{a,b}`: one failure at `nosuch`, not one per alternative
        count = written.expansion_count()
        if count > ast.MAX_EXPANDED_POINTS:
            unit.report(codes.TOO_MANY_PROBE_POINTS,
                        f"this probe point stands for {count:,} probe points (each {{a,b}} group multiplies "
                        f"them); only the first {ast.MAX_EXPANDED_POINTS:,} are checked", written.span,
                        hints=("stap would build every one of them: list the points you mean instead",))
        for expanded in written.expand():
            point = _point_from_ast(expanded)
            if ended:
                result.skipped.append(expanded)
            try:
                leaves = derivation.find_and_build(roots, point, 0, (), False)
            except _TooMuchWork as failure:
                result.failed = True
                _report_failure(unit, failure, point)
                return result
            except _Failure as failure:
                if point.optional:
                    continue
                if not ended:
                    result.failed = True
                if standalone and failure.truncated:
                    continue
                key = (failure.code, failure.span or _anchor(point))
                if key not in reported:
                    reported.add(key)
                    _report_failure(unit, failure, point)
                continue
            if not leaves and not point.optional:
                if not ended:
                    result.failed = True
                unit.report(codes.UNKNOWN_PROBE_POINT,
                            f"no match: '{point.text()}' resolves to no probe (every point it expands to "
                            "is optional, and none resolved)", _anchor(point) or decl_span,
                            hints=("stap: no match",))
                continue
            _report_leaves(unit, point, leaves)
            if leaves:
                result.alternatives.append((expanded, leaves, not ended))
            if not ended:
                result.leaves += leaves
                ended = point.sufficient and _surely_resolves(leaves)
    return result


def _report_failure(unit: CheckUnit, failure: _Failure, point: _Point) -> None:
    anchor = _anchor(point)
    span = failure.span or anchor
    if span is None:
        return
    related = ()
    if anchor is not None and not (anchor.start <= span.start and span.end <= anchor.end):
        related = (Related(f"while resolving '{point.text()}'", None, anchor),)
    if failure.foreign is not None and failure.foreign():
        # Packages install their own tapsets (glib.*, qemu.*, python.*), and stap -I adds
        # more: say so.  It is an error all the same, as for stap, which has only the
        # tapsets it is given.
        unit.report(failure.code, failure.message, span,
                    hints=(f"no tapset of SystemTap {unit.db.systemtap_version} defines anything named "
                           f"'{point.comps[0].name}'; if a tapset of another package or one given with -I "
                           "does, stap needs it installed or named", *failure.hints), related=related)
        return
    unit.report(failure.code, failure.message, span, hints=failure.hints, related=related)


def _report_leaves(unit: CheckUnit, point: _Point, leaves: list[_Leaf]) -> None:
    anchor = _anchor(point)
    reported: set = set()
    unverifiable: list[str] = []
    for leaf in leaves:
        if leaf.deprecated is not None:
            alias, since = leaf.deprecated
            if ("deprecated", alias.name) in reported:
                continue
            reported.add(("deprecated", alias.name))
            from ..tapsets.manual_2009 import FATE

            hints = [f"{alias.where} defines it only when " + " and ".join(alias.conditions)]
            fate = FATE.get(alias.name)
            if fate is not None and fate.kind == "deprecated":
                hints.append(fate.note + (f"; use {fate.new_name}" if fate.new_name else ""))
            unit.report(codes.DEPRECATED_PROBE,
                        f"{alias.name} is deprecated since SystemTap {since} "
                        f"(use --compatible={since} to get it, or move to its replacement)",
                        anchor, hints=tuple(hints))
            continue
        family = leaf.family
        if family is None:
            if "arguments" not in unverifiable:
                unverifiable.append("arguments")
            continue
        if family.guru_only and leaf.in_script and not unit.guru and ("guru", leaf.span) not in reported:
            reported.add(("guru", leaf.span))
            unit.report(codes.GURU_PROBE_POINT,
                        f"'{point.text()}' needs guru mode: an absolute address is used unchecked "
                        "(stap: absolute statement probe in unprivileged script; need stap -g)",
                        leaf.span or anchor, hints=("run stap with -g, or probe a function or statement "
                                                    "by name so that stap can check the address",))
        if (family.needs_target and family.group in _NEEDS and family.group not in unverifiable
                and not _kernel_confirms(unit, leaf) and not _program_confirms(unit, leaf)):
            unverifiable.append(family.group)
    if unit.explain_unverifiable and anchor is not None and "arguments" in unverifiable:
        unit.report(codes.UNVERIFIABLE_PROBE_POINT,
                    f"'{point.text()}' is spelled by the script's arguments: it is known only when they are given",
                    anchor, hints=("stap pastes the text of $1 (or @1) into the probe point; give the arguments "
                                   "(--arg) to have it checked",))
        unverifiable.remove("arguments")
    if unverifiable and unit.explain_unverifiable and anchor is not None:
        needs = "; ".join(sorted({_NEEDS[g] for g in unverifiable}))
        if any(leaf.chain for leaf in leaves if leaf.family is not None):
            groups = ", ".join(sorted(set(unverifiable)))
            message = (f"only the target system can confirm '{point.text()}': it expands to {groups} probes, "
                       f"which need {needs}")
        else:
            message = f"only the target system can confirm '{point.text()}': it needs {needs}"
        unit.report(codes.UNVERIFIABLE_PROBE_POINT, message, anchor,
                    hints=("stapkit checked the probe point's shape; whether the function, file or binary "
                           "exists is known only where the script runs",))


def _check_shared_resources(unit: CheckUnit, results) -> None:
    """Across the script: one read probe per procfs file, perf counter names used once (stap's enroll)."""
    procfs_read: dict[str, Span] = {}
    counters: dict[str, Span] = {}
    for _, result in results:
        for leaf in result.leaves:
            family = leaf.family
            if family is None or leaf.span is None:
                continue
            if family.group == "procfs" and _context(family) == "procfs-read":
                path = _procfs_path(leaf)
                if isinstance(path, str):
                    if path in procfs_read and procfs_read[path] != leaf.span:
                        unit.report(codes.PROBE_ARGUMENT_VALUE,
                                    f'only one read procfs probe can exist for procfs path "{path}"',
                                    leaf.span, related=(Related("the other read probe", None, procfs_read[path]),))
                    procfs_read.setdefault(path, leaf.span)
            if family.group == "perf" and leaf.has("counter"):
                name = leaf.param("counter")
                if isinstance(name, str):
                    if name in counters and counters[name] != leaf.span:
                        unit.report(codes.PROBE_ARGUMENT_VALUE, f"duplicate counter name '{name}'", leaf.span,
                                    related=(Related("first defined here", None, counters[name]),))
                    counters.setdefault(name, leaf.span)


def _probe_info(unit: CheckUnit, resolver: _Resolver, result: _ProbeResult,
                script_variables: dict[int, dict[str, str]]) -> ProbeInfo:
    """What the type checker needs of a declaration's resolved points (see unit.ProbeInfo)."""
    variables: dict[str, str] = {}
    families: set[str] = set()
    unknown = result.failed or not result.leaves
    all_return = bool(result.leaves)
    has_target_variables = False
    kernel_points: list[KernelPoint] = []
    script_aliases: list[ast.AliasDecl] = []
    seen: set[int] = set()
    for leaf in result.leaves:
        for alias in leaf.chain:
            if id(alias) in seen:
                continue
            seen.add(id(alias))
            if alias.in_script:
                script_aliases.append(alias.record)
                found = script_variables.get(id(alias.record))
                if found is None:
                    found = script_variables[id(alias.record)] = _script_alias_variables(unit, alias)
            else:
                found = resolver.visible(alias.name)
            _merge(variables, found)
        if leaf.family is None:
            unknown = True
            if leaf.deprecated is None:  # spelled by the script's arguments
                all_return = False
                continue
            alias, _ = leaf.deprecated  # its definition, whatever the target's systemtap_v
            _merge(variables, resolver.visible(alias.name, everywhere=True))
            all_return = all_return and alias.name.endswith(".return")
            continue
        families.add(leaf.family.pattern)
        point = _kernel_point(leaf)
        if point is not None:
            kernel_points.append(point)
        all_return = all_return and _is_return(leaf.family)
        if _context(leaf.family) != "none":
            has_target_variables = True
    return ProbeInfo(alias_variables=variables, all_return=all_return and not result.failed,
                     has_target_variables=has_target_variables or unknown, families=families,
                     resolved=not result.failed, kernel_points=kernel_points, script_aliases=script_aliases,
                     only_kernel_points=bool(kernel_points) and len(kernel_points) == len(result.leaves)
                     and not unknown)


def _merge(into: dict[str, str], found: dict[str, str]) -> None:
    for name, type_ in found.items():
        if into.get(name, UNKNOWN) == UNKNOWN:
            into[name] = type_


def _script_alias_variables(unit: CheckUnit, alias: _AliasDef) -> dict[str, str]:
    """The locals a script alias's prologue sets, untyped: the type checker types them with
    the expansions that go through the alias (type_check.alias_variable_types)."""
    decl = alias.record
    if decl.is_epilogue:
        return {}  # an epilogue runs after the handler: nothing it sets is seen there
    return {name: UNKNOWN for name in for_unit(unit).assigned(decl.body) if not unit.is_global(name)}


# ---------------------------------------------------------------- handlers


_CONTEXT_VARIABLES = ("$$vars", "$$parms", "$$locals", "$$return")
_NETFILTER_VARIABLES = ("$hooknum", "$skb", "$in", "$out", "$okfn", "$verdict")
_RETURN_VALUES = ("$return", "$$return")


class _HandlerCheck:
    """Target symbols in one handler body, against the probes its points derive (STP302-306)."""

    def __init__(self, unit: CheckUnit, leaves: list[_Leaf], *, elide: bool, handler: bool):
        self.unit = unit
        # stap 4.8 elides side-effect-free code before it resolves target symbols, so a
        # `$var` there is no error (semok/optimize.stp, semok/entry02.stp); not with -u.
        self.elide = elide
        self.handler = handler  # a probe's own handler (an alias body sets variables for others)
        self.elided: set[int] = set()
        self.leaves = [leaf for leaf in leaves if leaf.family is not None]
        families = [leaf.family for leaf in self.leaves]
        self.complete = len(families) == len(leaves)  # no deprecated alias of unknown shape
        self.contexts = {_context(f) for f in families}
        self.all_return = self.complete and bool(families) and all(_is_return(f) for f in families)
        # @entry is rewritten by the dwarf and kprobe builders only (not by utrace's syscall.return).
        self.entry_ok = self.all_return and "syscall-return" not in self.contexts
        self.reported: set = set()

    def report(self, code: str, message: str, span: Span, hints=()) -> None:
        key = (code, span)
        if key not in self.reported:
            self.reported.add(key)
            self.unit.report(code, message, span, hints=hints)

    def run(self, body) -> None:
        if not _mentions_target(body):
            return
        if self.elide:
            self.elided = for_unit(self.unit).removed_nodes(body, dead_assignments=self.handler)
        self.visit(body, guarded=False)

    # The walk: `guarded` is true under an `@defined(...)` test (its branches may be dead
    # code that stap removes before it looks at the target symbols in them).
    def visit(self, node, guarded: bool, lvalue: str | None = None, address: bool = False) -> None:
        if id(node) in self.elided:
            return
        kind = type(node)
        if kind is ast.Assignment:
            self.target(node.target, guarded, node.op)
            self.visit(node.value, guarded)
            return
        if kind is ast.Crement:
            self.target(node.operand, guarded, node.op)
            return
        if kind is ast.Defined:
            return
        if kind is ast.AddressOf:
            self.visit(node.operand, guarded, address=True)
            return
        if kind is ast.Entry:
            # (An alias body is not checked for this: a use with a `.return` suffix makes it right.)
            if not self.entry_ok and not guarded and self.complete and self.handler:
                self.report(codes.RETURN_VALUE_OUTSIDE_RETURN_PROBE,
                            "@entry is only valid in .return probes" + self.culprits(_not_entry_return),
                            node.span, hints=("stap: internal error: @entry is only valid in .return probes",))
            self.visit(node.operand, True)  # the operand is evaluated at the entry
            return
        if kind in (ast.IfStmt, ast.Ternary):
            self.visit(node.condition, guarded)
            inner = guarded or _tests_defined(node.condition)
            self.visit(node.then, inner)
            if node.otherwise is not None:
                self.visit(node.otherwise, inner)
            return
        if kind is ast.TargetVariable:
            self.symbol(node, None, guarded, lvalue, address)
            return
        if kind is ast.Access:
            if isinstance(node.base, ast.TargetVariable):
                self.symbol(node.base, node, guarded, lvalue, address)
            else:
                self.visit(node.base, guarded)
            for step in node.steps:
                if isinstance(step, ast.Subscript):
                    self.visit(step.index, guarded)
            return
        if isinstance(node, ast.Node):
            for child in _node_children(node):
                self.visit(child, guarded)

    def target(self, target, guarded: bool, op: str) -> None:
        """An assignment or ++/-- target: the writes stap refuses without -g, or at all."""
        guru = self.unit.guru
        if isinstance(target, ast.Access):
            if target.pretty:
                self.report(codes.PRETTY_PRINT_WRITE, "cannot write to pretty-printed variable", target.span,
                            hints=("a pretty-printed value ($var$, $var$$) is a string made for reading",))
            elif isinstance(target.base, ast.Cast) and not guru:
                self.report(codes.TARGET_WRITE_NEEDS_GURU,
                            "write to @cast context variable not permitted; need stap -g", target.span)
            elif not isinstance(target.base, ast.TargetVariable) and not guru:
                self.report(codes.TARGET_WRITE_NEEDS_GURU, "write not permitted; need stap -g", target.span,
                            hints=("a write through a pointer changes kernel or program memory",))
        elif isinstance(target, ast.AtVar) and not guru:
            self.report(codes.TARGET_WRITE_NEEDS_GURU, "write to @var variable not permitted; need stap -g",
                        target.span)
        self.visit(target, guarded, lvalue=op)

    def culprits(self, wrong) -> str:
        """Which derived probes a use does not fit, and through which aliases: ': this probe is begin'."""
        shown: dict[str, list[str]] = {}
        for leaf in self.leaves:
            if wrong(leaf.family):
                via = shown.setdefault(leaf.family.pattern, [])
                if leaf.chain and leaf.chain[-1].name not in via:
                    via.append(leaf.chain[-1].name)
        if not shown:
            return ""
        parts = []
        for pattern, via in list(shown.items())[:3]:
            aliases = ", ".join(via[:3]) + (", ..." if len(via) > 3 else "")
            parts.append(f"{pattern} (through {aliases})" if via else pattern)
        listed = ", ".join(parts) + (", ..." if len(shown) > 3 else "")
        everything = all(wrong(leaf.family) for leaf in self.leaves)
        return f": this probe is {listed}" if everything else f": this probe is also {listed}"

    def symbol(self, var: ast.TargetVariable, access: ast.Access | None, guarded: bool, lvalue: str | None,
               address: bool) -> None:
        name = var.name
        span = (access or var).span
        if name in _RETURN_VALUES and not self.all_return:
            if not guarded and self.complete and self.handler:
                self.report(codes.RETURN_VALUE_OUTSIDE_RETURN_PROBE,
                            f"{name} is only available in .return probes" + self.culprits(lambda f: not _is_return(f)),
                            var.span, hints=("stap: unresolved target-symbol expression",))
            return
        if not self.complete:
            return
        for context in sorted(self.contexts):
            if self.symbol_in(context, name, var, access, span, guarded, lvalue, address):
                return

    def symbol_in(self, context, name, var, access, span, guarded, lvalue, address) -> bool:
        """Check one use against one kind of derived probe; True when something was reported."""
        guru = self.unit.guru
        written = lvalue is not None
        if context == "none":
            if guarded:
                return False
            self.report(codes.NO_TARGET_VARIABLES_HERE,
                        f"{name} cannot be used here, in a probe without target variables"
                        + self.culprits(lambda f: _context(f) == "none"),
                        var.span, hints=("stap: unresolved target-symbol expression",))
            return True
        if context in ("procfs-read", "procfs-write"):
            return self.procfs(context, name, var, access, guarded, lvalue, address)
        if written and name in _CONTEXT_VARIABLES and (access is None or not access.steps):
            self.report(codes.PRETTY_PRINT_WRITE, f"cannot write to context variable {name}", span,
                        hints=(f"{name} is a string made for reading",))
            return True
        if context == "netfilter":
            if name not in _NETFILTER_VARIABLES:
                if not guarded:
                    self.report(codes.NO_TARGET_VARIABLES_HERE,
                                f"netfilter probes have no {name} (they have "
                                + ", ".join(_NETFILTER_VARIABLES) + ")", var.span,
                                hints=("stap: unsupported context variable",))
                    return True
                return False
            if written and name != "$verdict":
                self.report(codes.TARGET_WRITE_NEEDS_GURU, "write to netfilter parameter not permitted", span,
                            hints=("only $verdict can be written, and only with -g",))
                return True
            if written and not guru:
                self.report(codes.TARGET_WRITE_NEEDS_GURU,
                            "write to netfilter verdict requires guru mode; need stap -g", span)
                return True
            return False
        if context in ("syscall", "syscall-return"):
            allowed = name == "$syscall" or (
                (name == "$$parms" or re.fullmatch(r"\$arg\d+", name) is not None) if context == "syscall"
                else name == "$return")
            if not allowed and not guarded:
                self.report(codes.NO_TARGET_VARIABLES_HERE,
                            f"{name} is not a target variable of process.syscall"
                            f"{'.return' if context == 'syscall-return' else ''} probes (they have "
                            + ("$syscall, $arg1-$arg6 and $$parms" if context == "syscall"
                               else "$syscall and $return") + ")", var.span)
                return True
            if written and allowed:
                self.report(codes.TARGET_WRITE_NEEDS_GURU, f"utrace '{name}' variable is read-only", span)
                return True
            return False
        if context == "process.plt":
            if name != "$$name" and not guarded:
                self.report(codes.NO_TARGET_VARIABLES_HERE,
                            f"process.plt probes have no {name} (only $$name)", var.span,
                            hints=(f"stap: unable to find plt variable '{name}' (alternatives: $$name)",))
                return True
            return False
        if not written:
            return False
        if isinstance(access, ast.Access) and access.pretty:
            return False  # reported by target() as a pretty-printed write
        if context == "kernel.trace":
            if not guru:
                self.report(codes.TARGET_WRITE_NEEDS_GURU,
                            f"write to tracepoint variable '{name}' not permitted; need stap -g", span)
                return True
            return False
        if not guru:
            self.report(codes.TARGET_WRITE_NEEDS_GURU, "write to target variable not permitted; need stap -g", span,
                        hints=("writing to the probed code's variables needs guru mode (-g)",))
            return True
        if context == "dwarf-return" and name not in _RETURN_VALUES:
            self.report(codes.TARGET_WRITE_NEEDS_GURU, "write to target variable not permitted in .return probes",
                        span, hints=("in a .return probe a target variable is a copy taken at the entry",))
            return True
        return False

    def procfs(self, context, name, var, access, guarded, lvalue, address) -> bool:
        """tapset-procfs.cxx: only $value, used whole; read probes set it, write probes read it."""
        span = (access or var).span
        if name != "$value":
            if guarded:
                return False
            self.report(codes.PROCFS_VALUE_MISUSE, f"invalid target symbol for procfs probe, $value expected "
                        f"(found {name})", var.span)
            return True
        if access is not None and access.steps:
            what = "as array" if isinstance(access.steps[0], ast.Subscript) else "as a structure"
            self.report(codes.PROCFS_VALUE_MISUSE, f"procfs variable '$value' may not be used {what}",
                        access.span, hints=("$value is a string",))
            return True
        if access is not None and access.pretty:
            self.report(codes.PROCFS_VALUE_MISUSE, "procfs variable '$value' may not be pretty-printed", span)
            return True
        if address:
            self.report(codes.PROCFS_VALUE_MISUSE, "cannot take address of procfs variable", span)
            return True
        if context == "procfs-write" and lvalue is not None:
            self.report(codes.PROCFS_VALUE_MISUSE, "procfs $value variable is read-only in a procfs write probe",
                        span, hints=("in a write probe, $value holds what was written to the file",))
            return True
        if context == "procfs-read" and lvalue is None:
            self.report(codes.PROCFS_VALUE_MISUSE, "procfs $value variable cannot be read in a procfs read probe",
                        span, hints=("in a read probe, set $value to what the file should show",))
            return True
        if context == "procfs-read" and lvalue not in ("=", ".="):
            self.report(codes.PROCFS_VALUE_MISUSE,
                        "Only the following assign operators are implemented on procfs read target "
                        "variables: '=', '.='", span)
            return True
        return False


_TARGET_NODES = (ast.TargetVariable, ast.Entry, ast.Access, ast.AtVar)


def _mentions_target(body) -> bool:
    """Does a body use anything _HandlerCheck looks at (most handlers do not)?"""
    stack = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, _TARGET_NODES):
            return True
        stack.extend(ast.child_list(node))
    return False


def _not_entry_return(family) -> bool:
    return not _is_return(family) or _context(family) == "syscall-return"


def _tests_defined(expr) -> bool:
    return any(isinstance(node, ast.Defined) for node in ast.walk(expr))


_node_children = ast.children