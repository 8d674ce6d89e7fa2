"""The library's items from its sources: aliases, functions, globals and macros, with types.

`read_library` parses every file (every branch, see source_reader), then
infers types over the whole library at once, as stap's pass 2 would with
every function in use: a function's untyped parameter takes the type its
callers pass, an alias variable the type of what its body assigns, and an
alias that expands to other aliases sees their variables.  Rounds repeat
until nothing changes.
"""

from __future__ import annotations

import re
from pathlib import Path

import attrs

from ..semantic.inference import BodyTyper, GlobalType, Library, Signature, declared_type
from ..syntax import ast, printer
from ..syntax.macro_library import load_macro_library
from ..syntax.target import Target
from .model import (LONG, STRING, UNKNOWN, Conjunction, ExpansionPoint, Function, Global, Macro,
                    Parameter, ProbeAlias, ProbeVariable, Where)
from .source_reader import FileItems, library_sources, read_tapset_file, target_for

MAX_ROUNDS = 10
# The pragmas stap reads in embedded C (`/* unprivileged */` ...): privilege and optimisation.
_TAG_RE = re.compile(r"/\*\s*(unprivileged|myproc-unprivileged|guru|pure|stable|bpf|unmangled|"
                     r"unmodified-fnargs|string)\s*\*/")


@attrs.frozen
class LibraryItems:
    files: tuple[str, ...]
    aliases: tuple[ProbeAlias, ...]
    functions: tuple[Function, ...]
    globals: tuple[Global, ...]
    macros: tuple[Macro, ...]
    problems: tuple[tuple[str, str], ...]  # (file, "line:col: message")


def read_library(root: Path, base: Target | None = None, macro_roots: tuple[Path, ...] = ()) -> LibraryItems:
    """The items of a tapset root; its files are read with the macros of `macro_roots` (default: root's)."""
    base = (base or Target()).evolve(guru_mode=True)
    macro_cache: dict[tuple[str, str], dict] = {}
    parsed: list[FileItems] = []
    problems: list[tuple[str, str]] = []
    for relative in library_sources(root):
        target = target_for(relative, base)
        key = (target.runtime, target.arch)
        if key not in macro_cache:
            macro_cache[key] = load_macro_library(tuple(macro_roots) or (root,), target).macros
        try:
            items = read_tapset_file(root, relative, target, macro_cache[key])
        except RecursionError:
            problems.append((relative, "1:1: nested too deeply to read"))
            continue
        parsed.append(items)
        problems += [(relative, p) for p in items.problems]
    return _Assembler(parsed).run(problems)


class _Assembler:
    def __init__(self, parsed: list[FileItems]):
        self.parsed = parsed
        self.library = Library()
        self.function_decls: list[tuple[FileItems, ast.FunctionDecl, Signature]] = []
        self.alias_decls: list[tuple[FileItems, ast.AliasDecl, list[ast.AliasDecl]]] = []
        self.private_globals: dict[str, dict[str, str]] = {}  # file -> name -> key
        self.globals: list[tuple[FileItems, ast.GlobalVar, bool]] = []
        self.probe_bodies: list[tuple[FileItems, ast.Block]] = []  # the library's own probes

    def run(self, problems) -> LibraryItems:
        self.collect()
        alias_vars = self.infer()
        aliases = self.aliases(alias_vars)
        functions = [self.function(items, decl, sig) for items, decl, sig in self.function_decls]
        globals_ = [self.global_(items, var, private) for items, var, private in self.globals]
        macros = [Macro(m.name, tuple(m.params), Where(items.path, items.line_of(m.span.start)),
                        items.conditions_at(m.span.start))
                  for items in self.parsed if items.path.endswith(".stpm")
                  for _, m in sorted(items.macros.items())]
        key = lambda item: (item.name, item.where.file, item.where.line)  # noqa: E731
        return LibraryItems(
            tuple(items.path for items in self.parsed),
            tuple(sorted(aliases, key=key)), tuple(sorted(functions, key=key)),
            tuple(sorted(globals_, key=key)), tuple(sorted(macros, key=key)),
            tuple(problems))

    # -- collecting -------------------------------------------------------

    def collect(self) -> None:
        library = self.library
        for items in self.parsed:
            private = self.private_globals.setdefault(items.path, {})
            for offset in sorted(items.declarations):
                variants = items.declarations[offset]
                first = variants[0]
                if isinstance(first, ast.FunctionDecl):
                    sig = Signature(
                        first.name, [p.name for p in first.params],
                        [declared_type(p.type) for p in first.params],
                        declared_type(first.return_type),
                        [p.type is not None for p in first.params], first.return_type is not None)
                    library.add_function(sig)
                    self.function_decls.append((items, first, sig))
                elif isinstance(first, ast.AliasDecl):
                    self.alias_decls.append((items, first, variants))
                elif isinstance(first, ast.ProbeDecl):  # they type the globals they set (argv.stp: argc)
                    self.probe_bodies.append((items, first.body))
                elif isinstance(first, ast.GlobalDecl):
                    for var in first.variables:
                        key = f"{items.path}::{var.name}" if first.private else var.name
                        if first.private:
                            private[var.name] = key
                        value = UNKNOWN
                        if isinstance(var.init, ast.NumberLit):
                            value = LONG
                        elif isinstance(var.init, ast.StringLit):
                            value = STRING
                        elif isinstance(var.init, ast.ScriptArgument):
                            value = STRING if var.init.text.startswith("@") and var.init.text != "@#" else LONG
                        library.globals.setdefault(key, GlobalType(value, array=var.size is not None))
                        self.globals.append((items, var, first.private))

    # -- inference --------------------------------------------------------

    def infer(self) -> dict[int, dict[str, tuple[str, set[int]]]]:
        """Rounds of inference; the variables each alias declaration sets (by its id)."""
        library = self.library
        alias_vars: dict[int, dict[str, tuple[str, set[int]]]] = {}
        for _ in range(MAX_ROUNDS):
            library.changed = False
            before = self.signature_state()
            for items, decl, sig in self.function_decls:
                if not isinstance(decl.body, ast.Block):
                    continue
                params = dict(zip(sig.params, sig.param_types))
                typer = BodyTyper(library, params=params, return_type=sig.return_type,
                                  file_globals=self.private_globals.get(items.path))
                typer.run(decl.body)
                for i, name in enumerate(sig.params):
                    if not sig.fixed_params[i] and sig.param_types[i] == UNKNOWN:
                        sig.param_types[i] = typer.scope.get(name, UNKNOWN)
                if not sig.fixed_return and sig.return_type == UNKNOWN:
                    sig.return_type = typer.return_type
            for items, body in self.probe_bodies:
                BodyTyper(library, file_globals=self.private_globals.get(items.path)).run(body)
            visible = self.visible_variables(alias_vars)
            for items, first, variants in self.alias_decls:
                found: dict[str, tuple[str, set[int]]] = {}
                seed = {}
                for point in first.points:
                    seed.update(visible.get(_alias_key(point), {}))
                procfs = any(p.components and isinstance(p.components[0], ast.Component)
                             and p.components[0].name == "procfs" for p in first.points)
                for decl in variants:
                    typer = BodyTyper(library, seed=seed, file_globals=self.private_globals.get(items.path),
                                      procfs=procfs)
                    typer.run(decl.body)
                    if decl.epilogue is not None:
                        typer.run(decl.epilogue)
                    for name, offsets in typer.assigned.items():
                        t, where = found.get(name, (UNKNOWN, set()))
                        if t == UNKNOWN:
                            t = typer.scope.get(name, UNKNOWN)
                        found[name] = (t, where | offsets)
                alias_vars[id(first)] = found
            if not library.changed and self.signature_state() == before and \
                    self.visible_variables(alias_vars) == visible:
                break
        return alias_vars

    def signature_state(self):
        return [(tuple(sig.param_types), sig.return_type) for _, _, sig in self.function_decls]

    def visible_variables(self, alias_vars) -> dict[str, dict[str, str]]:
        """alias name -> the variables a probe on it sees (its own and those of what it expands to)."""
        own: dict[str, dict[str, str]] = {}
        expands: dict[str, set[str]] = {}
        for _, first, _ in self.alias_decls:
            for name in first.names:
                alias = name.point.dotted()
                bucket = own.setdefault(alias, {})
                for var, (t, _) in alias_vars.get(id(first), {}).items():
                    if bucket.get(var, UNKNOWN) == UNKNOWN:
                        bucket[var] = t
                expands.setdefault(alias, set()).update(_alias_key(p) for p in first.points)
        visible: dict[str, dict[str, str]] = {}

        def resolve(alias: str, seen: frozenset) -> dict[str, str]:
            if alias in visible:
                return visible[alias]
            result = dict(own.get(alias, {}))
            for inner in sorted(expands.get(alias, ())):
                if inner in own and inner not in seen:
                    for var, t in resolve(inner, seen | {alias}).items():
                        if result.get(var, UNKNOWN) == UNKNOWN:
                            result[var] = t
            visible[alias] = result
            return result

        for alias in own:
            resolve(alias, frozenset())
        return visible

    # -- model items ------------------------------------------------------

    def aliases(self, alias_vars) -> list[ProbeAlias]:
        out = []
        for items, first, variants in self.alias_decls:
            conditions = items.conditions_at(first.span.start)
            points: dict[int, ExpansionPoint] = {}
            for decl in variants:
                for point in decl.points:
                    if point.span.start not in points:
                        points[point.span.start] = _expansion_point(point, items, len(conditions))
            variables = []
            for var, (t, offsets) in sorted(alias_vars.get(id(first), {}).items()):
                clauses = {items.conditions_at(o)[len(conditions):] for o in offsets}
                where = () if () in clauses else tuple(sorted(clauses))
                variables.append(ProbeVariable(var, t, items.line_of(min(offsets)), where))
            ordered = tuple(points[k] for k in sorted(points))
            for name in first.names:
                out.append(ProbeAlias(name.point.dotted(), name.op == "+=",
                                      Where(items.path, items.line_of(name.span.start)),
                                      conditions, ordered, tuple(variables)))
        return out

    def function(self, items: FileItems, decl: ast.FunctionDecl, sig: Signature) -> Function:
        embedded = isinstance(decl.body, ast.EmbeddedCode)
        tags = tuple(sorted(_tags(decl.body)))
        priority = decl.priority.value if isinstance(decl.priority, ast.NumberLit) else None
        return Function(
            decl.name,
            tuple(Parameter(n, t, fixed) for n, t, fixed in zip(sig.params, sig.param_types, sig.fixed_params)),
            sig.return_type, sig.fixed_return,
            Where(items.path, items.line_of(decl.name_span.start)), items.conditions_at(decl.span.start),
            decl.private, embedded, tags, priority,
            "3.0" if decl.private and items.text.startswith("@__private30", decl.span.start) else None)

    def global_(self, items: FileItems, var: ast.GlobalVar, private: bool) -> Global:
        key = f"{items.path}::{var.name}" if private else var.name
        g = self.library.globals.get(key) or GlobalType()
        return Global(var.name, private, Where(items.path, items.line_of(var.name_span.start)),
                      items.conditions_at(var.span.start), g.array, g.value)


def _tags(body) -> set[str]:
    """The pragmas of a function's embedded C: its body's, or those of the `%{ %}` expressions in it.

    stap turns `@const(...)` into an embedded expression tagged pure,
    unprivileged and stable, so a script function using it carries them too.
    """
    if isinstance(body, ast.EmbeddedCode):
        return set(_TAG_RE.findall(body.code)) - {"string"}
    tags: set[str] = set()
    for node in ast.walk(body):
        if isinstance(node, ast.EmbeddedExpr):
            tags.update(_TAG_RE.findall(node.code))
        elif isinstance(node, ast.Const):
            tags.update(("pure", "unprivileged", "stable"))
    tags.discard("string")
    return tags


def _alias_key(point: ast.ProbePoint) -> str:
    """The alias a point names, when it is a plain dotted name (no arguments)."""
    return point.dotted()


def _expansion_point(point: ast.ProbePoint, items: FileItems, outer: int) -> ExpansionPoint:
    condition = printer.expression(point.condition) if point.condition is not None else None
    return ExpansionPoint(point_text(point), point.optional, point.sufficient, condition,
                          items.conditions_at(point.span.start)[outer:])


def point_text(point: ast.ProbePoint) -> str:
    """A point's components as stap prints them: string arguments glued, in double quotes."""
    parts = []
    for comp in point.components:
        if isinstance(comp, ast.Component) and isinstance(comp.arg, ast.StringLit):
            parts.append(f'{comp.name}("{comp.arg.value}")')
        elif isinstance(comp, ast.Component) and isinstance(comp.arg, ast.NumberLit):
            parts.append(f"{comp.name}({comp.arg.value})")
        elif isinstance(comp, ast.Component):
            parts.append(printer._component(comp))
        else:
            bare = ast.ProbePoint((comp,), False, False, None, comp.span)
            parts.append(printer.probe_point(bare))
    return ".".join(parts)


def conjunction_text(conditions: Conjunction) -> str:
    return " && ".join(conditions)
