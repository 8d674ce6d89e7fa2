"""The library's items from its sources: aliases, functions, globals and macros, with types.

`read_library` parses every file (every branch, see tapsets/source_reader),
then infers types over the whole library at once with the checker's type
engine (inference.py), as stap's pass 2 would with every function in use: a
function's untyped parameter takes the type its callers pass, an alias
variable the type of what its body assigns, and an alias that expands to
other aliases sees their variables.  Rounds repeat until nothing changes.

It is semantic work, so it lives here, above the tapsets package: the
database's writer (tapsets/builder.py) and the `-I DIR` overlay
(tapsets/overlay.py) take the items it returns, and never import this.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..syntax import ast, printer
from ..syntax.macro_library import load_macro_library
from ..syntax.target import Target
from ..tapsets.model import (LONG, STRING, UNKNOWN, Conjunction, ExpansionPoint, Function, Global, LibraryItems,
                             Macro, Parameter, ProbeAlias, ProbeVariable, Where)
from ..tapsets.source_reader import FileItems, library_sources, read_tapset_file, target_for
from .inference import Func, Program, Var, Walker

MAX_ROUNDS = 10
MAX_BODY_PASSES = 6  # walks of one body in a round, until its types settle
# The pragmas stap reads in embedded C (`/* unprivileged */` ...): privilege and optimisation.
_TAG_RE = re.compile(r"/\*\s*(unprivileged|myproc-unprivileged|guru|pure|stable|bpf|unmangled|"
                     r"unmodified-fnargs|string)\s*\*/")


def read_library(root: Path, base: Target | None = None, macro_roots: tuple[Path, ...] = (),
                 progress=None) -> LibraryItems:
    """The items of a tapset directory, typed (FileNotFoundError when it is no directory); its
    files are read with the macros of `macro_roots` (default: the directory's own).
    `progress(done, total)`, if given, is told after each file."""
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such tapset directory")
    base = (base or Target()).evolve(guru_mode=True)
    macro_cache: dict[tuple[str, str], dict] = {}
    parsed: list[FileItems] = []
    sources, unreadable = library_sources(root)
    problems: list[tuple[str, str]] = [(relative, f"cannot read '{root / relative}': {why}")
                                       for relative, why in unreadable]
    for done, relative in enumerate(sources):
        if progress is not None:
            progress(done, len(sources))
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
    if progress is not None:
        progress(len(sources), len(sources))
    return _Assembler(parsed).run(problems)


class LibraryProgram(Program):
    """The type engine's program over the tapset library: its functions and globals, no reporting.

    A file's private globals are seen only by that file's bodies: `file_globals`
    maps their names to their keys while that file's bodies are walked.
    """

    def __init__(self):
        super().__init__()
        self.functions: dict[str, list[Func]] = {}
        self.vars: dict[str, Var] = {}  # public globals by name, private ones by "file::name"
        self.file_globals: dict[str, str] = {}
        self._assignments_of: dict[int, list[tuple[str, int]]] = {}  # by id(body): the bodies outlive it

    def add_function(self, func: Func) -> None:
        self.functions.setdefault(func.name, []).append(func)

    def add_model_function(self, f: Function) -> None:
        """A function of the database: its types as recorded (never changed by inference)."""
        params = []
        for p in f.params:
            var = Var(p.name, "param")
            var.type = p.type if p.type in (LONG, STRING) else UNKNOWN
            params.append(var)
        self.add_function(Func(f.name, params, f.return_type if f.return_type in (LONG, STRING) else UNKNOWN,
                               None, f))

    def global_var(self, name: str) -> Var | None:
        return self.vars.get(self.file_globals.get(name, name))

    known_global = global_var

    def candidates(self, name: str) -> list[Func]:
        return self.functions.get(name, [])

    def walk(self, kind: str, owner, body, scope: dict[str, Var]) -> bool:
        """Walk one body until its types settle; whether anything changed."""
        changed = False
        for _ in range(MAX_BODY_PASSES):
            self.changed = False
            Walker(self, kind, owner, scope, checking=False).walk(body)
            changed = changed or self.changed
            if not self.changed:
                break
        return changed

    def assigned(self, bodies, scope: dict[str, Var]) -> dict[str, tuple[str, set[int]]]:
        """The locals the bodies assign (an alias's variables): their types and where they are set."""
        found: dict[str, tuple[str, set[int]]] = {}
        for body in bodies:
            for name, offset in self._assignments(body):
                if self.global_var(name) is None:
                    var = scope.get(name)
                    t = var.type if var is not None else UNKNOWN
                    _, where = found.get(name, (t, set()))
                    found[name] = (t, where | {offset})
        return found

    def _assignments(self, body) -> list[tuple[str, int]]:
        """(name, offset) of each assignment to a plain name in a body (read once per body)."""
        known = self._assignments_of.get(id(body))
        if known is None:
            known = self._assignments_of[id(body)] = [
                (node.target.name, node.span.start) for node in ast.walk(body)
                if type(node) is ast.Assignment and type(node.target) is ast.Variable]
        return known


class _Assembler:
    def __init__(self, parsed: list[FileItems]):
        self.parsed = parsed
        self.program = LibraryProgram()
        self.function_decls: list[tuple[FileItems, ast.FunctionDecl, Func]] = []
        self.alias_decls: list[tuple[FileItems, ast.AliasDecl, list[ast.AliasDecl]]] = []
        self.private_globals: dict[str, dict[str, str]] = {}  # file -> name -> key
        self.globals: list[tuple[FileItems, ast.GlobalVar, bool]] = []
        self.probe_bodies: list[tuple[FileItems, ast.ProbeDecl]] = []  # the library's own probes
        self.indexed: set[str] = set()  # the keys of the globals used with an index
        self.alias_names: dict[int, tuple[list[str], list[str]]] = {}  # id(first) -> its names, its points'

    def run(self, problems) -> LibraryItems:
        self.collect()
        alias_vars = self.infer()
        aliases = self.aliases(alias_vars)
        functions = [self.function(items, decl, func) for items, decl, func in self.function_decls]
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
        program = self.program
        for items in self.parsed:
            private = self.private_globals.setdefault(items.path, {})
            for offset in sorted(items.declarations):
                variants = items.declarations[offset]
                first = variants[0]
                if isinstance(first, ast.FunctionDecl):
                    params = []
                    for p in first.params:
                        var = Var(p.name, "param")
                        var.type = p.type if p.type in (LONG, STRING) else UNKNOWN
                        params.append(var)
                    ret = first.return_type if first.return_type in (LONG, STRING) else UNKNOWN
                    func = Func(first.name, params, ret, first)
                    program.add_function(func)
                    self.function_decls.append((items, first, func))
                elif isinstance(first, ast.AliasDecl):
                    self.alias_decls.append((items, first, variants))
                    self.alias_names[id(first)] = ([name.point.dotted() for name in first.names],
                                                   [_alias_key(point) for point in first.points])
                elif isinstance(first, ast.ProbeDecl):  # they type the globals they set (argv.stp: argc)
                    self.probe_bodies.append((items, first))
                elif isinstance(first, ast.GlobalDecl):
                    for var in first.variables:
                        key = f"{items.path}::{var.name}" if first.private else var.name
                        if first.private:
                            private[var.name] = key
                        if key not in program.vars:
                            g = program.vars[key] = Var(var.name, "global")
                            if isinstance(var.init, ast.NumberLit):
                                g.type = LONG
                            elif isinstance(var.init, ast.StringLit):
                                g.type = STRING
                            elif isinstance(var.init, ast.ScriptArgument):
                                g.type = STRING if var.init.text.startswith("@") and var.init.text != "@#" else LONG
                            if var.size is not None:
                                program._sized.add(key)
                                self.indexed.add(key)
                        self.globals.append((items, var, first.private))
        for items in self.parsed:  # "array": declared with a size or used with an index
            private = self.private_globals.get(items.path, {})
            for variants in items.declarations.values():
                for variant in variants if isinstance(variants[0], ast.AliasDecl) else variants[:1]:
                    for node in ast.walk(variant):
                        if type(node) is ast.ArrayIndex and type(node.array) is ast.Variable:
                            self.indexed.add(private.get(node.array.name, node.array.name))

    # -- inference --------------------------------------------------------

    def infer(self) -> dict[int, dict[str, tuple[str, set[int]]]]:
        """Rounds of inference; the variables each alias declaration sets (by its id)."""
        program = self.program
        alias_vars: dict[int, dict[str, tuple[str, set[int]]]] = {}
        for _ in range(MAX_ROUNDS):
            before = self.state()
            for items, decl, func in self.function_decls:
                if not isinstance(decl.body, ast.Block):
                    continue
                program.file_globals = self.private_globals.get(items.path, {})
                program.walk("function", func, decl.body, {p.name: p for p in func.params})
            for items, decl in self.probe_bodies:
                program.file_globals = self.private_globals.get(items.path, {})
                program.walk("probe", decl, decl.body, {})
            visible = self.visible_variables(alias_vars)
            for items, first, variants in self.alias_decls:
                program.file_globals = self.private_globals.get(items.path, {})
                found: dict[str, tuple[str, set[int]]] = {}
                seed: dict[str, str] = {}
                for point_key in self.alias_names[id(first)][1]:
                    seed.update(visible.get(point_key, {}))
                for decl in variants:
                    scope = {}
                    for name, t in seed.items():
                        var = scope[name] = Var(name, "alias")
                        var.type = t
                    bodies = [decl.body] + ([decl.epilogue] if decl.epilogue is not None else [])
                    for body in bodies:
                        program.walk("alias", first, body, scope)
                    for name, (t, offsets) in program.assigned(bodies, scope).items():
                        known, where = found.get(name, (UNKNOWN, set()))
                        found[name] = (known if known != UNKNOWN else t, where | offsets)
                alias_vars[id(first)] = found
            if self.state() == before and self.visible_variables(alias_vars) == visible:
                break
        return alias_vars

    def state(self):
        """What a round may change: the functions' types and the globals'."""
        return ([(tuple(p.type for p in func.params), func.ret) for _, _, func in self.function_decls],
                [(key, g.type, tuple(g.indexes)) for key, g in self.program.vars.items()])

    def visible_variables(self, alias_vars) -> dict[str, dict[str, str]]:
        """alias name -> the variables a probe on it sees (its own and those of what it expands to)."""
        own: dict[str, dict[str, str]] = {}
        expands: dict[str, set[str]] = {}
        for _, first, _ in self.alias_decls:
            names, points = self.alias_names[id(first)]
            for alias in names:
                bucket = own.setdefault(alias, {})
                for var, (t, _) in alias_vars.get(id(first), {}).items():
                    if bucket.get(var, UNKNOWN) == UNKNOWN:
                        bucket[var] = t
                expands.setdefault(alias, set()).update(points)
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

    def function(self, items: FileItems, decl: ast.FunctionDecl, func: Func) -> Function:
        embedded = isinstance(decl.body, ast.EmbeddedCode)
        tags = tuple(sorted(_tags(decl.body)))
        priority = decl.priority.value if isinstance(decl.priority, ast.NumberLit) else None
        return Function(
            decl.name,
            tuple(Parameter(p.name, var.type, p.type is not None) for p, var in zip(decl.params, func.params)),
            func.ret, decl.return_type is not None,
            Where(items.path, items.line_of(decl.name_span.start)), items.conditions_at(decl.span.start),
            decl.private, embedded, tags, priority,
            "3.0" if decl.private and items.text.startswith("@__private30", decl.span.start) else None)

    def global_(self, items: FileItems, var: ast.GlobalVar, private: bool) -> Global:
        key = f"{items.path}::{var.name}" if private else var.name
        g = self.program.vars[key]
        return Global(var.name, private, Where(items.path, items.line_of(var.name_span.start)),
                      items.conditions_at(var.span.start), key in self.indexed, g.type)


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
            parts.append(printer.component_text(comp))
        else:
            bare = ast.ProbePoint((comp,), False, False, None, comp.span)
            parts.append(printer.probe_point(bare))
    return ".".join(parts)


def conjunction_text(conditions: Conjunction) -> str:
    return " && ".join(conditions)
