"""The semantic model of one checked file: what the checks found out, kept in one place.

One `SemanticModel` is made per checked unit (`CheckUnit.model`, so also
`CheckResult.unit.model`).  The checks fill it in a fixed order, each its own
part, and say so by marking a stage done; a reader that needs a part calls
`require(stage)` first, so that a check run out of order fails loudly instead
of reading an empty table:

* ``"probes"`` — probe_points.check: `probes` (a `ProbeInfo` per `probe` and
  per alias definition of the script, by id of the declaration),
  `expansions` (per probe, per alternative: see `Expansion`) and
  `skipped_points`;
* ``"elaboration"`` — elaboration.compute, called by probe_points.check right
  after: `elaboration`, which code stap elaborates and which it never reaches;
* ``"kernel"`` — kernel_targets.check: `c_types`, `member_owners`,
  `kernel_contexts` (empty without a kernel description);
* ``"types"`` — type_check.check: `Expansion.variables` (and, for its own
  use, the hook `types`).

Hooks for other modules, filled by them and None until then: `types` (the
type engine's per-node types) and `bindings` (semantic/bindings.py's scopes
and bindings).  Tables keyed by ``id(node)`` are valid only while the unit's
tree lives (the unit holds it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from ..syntax import ast

if TYPE_CHECKING:
    from .bindings import Bindings
    from .elaboration import Elaboration
    from .optimizer import Optimizer
    from .unit import ProbeInfo

STAGES = ("probes", "elaboration", "kernel", "types")


@attrs.define(eq=False)
class Expansion:
    """One probe point of a `probe` declaration, expanded as stap elaborates it.

    stap makes one probe of each point of a declaration (each alternative of
    `a?, end` is its own): the bodies of the aliases the point goes through
    and the handler share one local scope, and are typed together.  The
    bodies run in `bodies()` order: the prologue of the innermost alias
    first, the handler, then the epilogues (`+=`).
    """

    probe: ast.ProbeDecl
    point: ast.ProbePoint  # the alternative, after `{a,b}` expansion
    # The script's alias definitions the point goes through, outermost first.
    aliases: tuple[ast.AliasDecl, ...]
    # The tapset library's aliases reached (by name), and the variables their bodies set
    # for the handler (name -> "long", "string" or "unknown").
    library_aliases: tuple[str, ...] = ()
    library_variables: dict[str, str] = attrs.field(factory=dict)
    # False when stap never elaborates it (a point after a `!` point that resolves).
    elaborated: bool = True
    # Filled by type_check ("types"): per script alias of `aliases`, by id, the locals its
    # body sets, with the type the joined bodies give them.
    variables: dict[int, dict[str, str]] = attrs.field(factory=dict)

    def bodies(self) -> list[tuple[ast.Node, ast.Block]]:
        """The (declaration, body) pairs stap joins into this probe, in the order they run."""
        joined: list[tuple[ast.Node, ast.Block]] = [(self.probe, self.probe.body)]
        for alias in self.aliases:  # outermost first: each wraps what is inside it
            if alias.is_epilogue:
                joined.append((alias, alias.body))
            else:
                joined.insert(0, (alias, alias.body))
            if alias.epilogue is not None:
                joined.append((alias, alias.epilogue))
        return joined

    def key(self) -> tuple:
        """Expansions with the same key are typed alike (the same bodies, the same library variables)."""
        return (tuple(id(a) for a in self.aliases), tuple(sorted(self.library_variables.items())))


@attrs.define(eq=False)
class SemanticModel:
    probes: dict[int, "ProbeInfo"] = attrs.field(factory=dict)
    expansions: list[Expansion] = attrs.field(factory=list)
    _by_probe: dict[int, list[Expansion]] | None = attrs.field(default=None, init=False, repr=False)
    _indexed: int = attrs.field(default=0, init=False, repr=False)
    # The points stap never tries: those after a `!` point that resolves on any target.
    skipped_points: list[ast.ProbePoint] = attrs.field(factory=list)
    elaboration: "Elaboration | None" = None
    # id(expression node) -> its C type (`struct sock*`), for $variables, their members and
    # @cast members a kernel description could follow; id(ast.Member) -> `struct sock`;
    # id(ast.ProbeDecl) -> the kernel functions and tracepoints its $variables come from.
    c_types: dict[int, str] = attrs.field(factory=dict)
    member_owners: dict[int, str] = attrs.field(factory=dict)
    kernel_contexts: dict[int, list] = attrs.field(factory=dict)
    types: object | None = None  # hook: the type engine's result
    bindings: "Bindings | None" = None  # semantic/bindings.py's scopes and bindings (Bindings.of fills it)
    optimizer: "Optimizer | None" = None  # stap's optimizer for this file (optimizer.for_unit makes it)
    done: set[str] = attrs.field(factory=set)

    def mark(self, stage: str) -> None:
        assert stage in STAGES, stage
        self.done.add(stage)

    def require(self, stage: str) -> None:
        """Fail unless the check that fills `stage` has run (see the module's docstring)."""
        if stage not in self.done:
            raise RuntimeError(f"the semantic model's '{stage}' part is read before it is filled")

    def expansions_of(self, probe: ast.ProbeDecl) -> list[Expansion]:
        """The expansions of one probe declaration (an index over `expansions`, made on first use:
        asking for each probe of a large script must not scan them all each time)."""
        if self._by_probe is None or self._indexed != len(self.expansions):
            self._by_probe = {}
            for expansion in self.expansions:
                self._by_probe.setdefault(id(expansion.probe), []).append(expansion)
            self._indexed = len(self.expansions)
        return [e for e in self._by_probe.get(id(probe), ()) if e.probe is probe]
