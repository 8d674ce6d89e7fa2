"""A `process(...)` probe point judged against the program it names.

`check_point` takes one point as probe_points.py resolved it (a `UserPoint`),
finds the program (resolve.py) and reads it (through the caller's reader, which
caches), and says what is wrong:

- `.mark("name")`, `.provider("p").mark("name")` (globs allowed): against the
  SDT notes, a complete list of the markers: a miss is an error (STP213), with the
  closest names.  A `-` in the name stands for `__`, as in dtrace's `.d` files.
- `.function("f")` and `.plt("f")`: against `.symtab`, `.dynsym`, the
  `.gnu_debugdata` mini-debuginfo and, for a stripped file, the symbol table of its
  debug file found by build id under `/usr/lib/debug`.  A miss is a warning
  (STP214) that says which case it is: a function inlined at every call has no
  symbol (stap finds its inlined instances with DWARF), and a stripped file with
  only `.dynsym` names its exported functions alone, so a miss there says nothing:
  the point stays unverifiable, and STP210 says why.
- `.library("x")`: found on the linker's search path (STP215 if not), and among the
  libraries the program loads (DT_NEEDED, followed through the libraries); one it
  does not load may be dlopen'ed, which the message says.
- a file that is not ELF, or is damaged: one finding (STP216), nothing else checked.

A program that is not on this machine (or under the sysroot) leaves the point
unverifiable: `Checked.unverifiable` says why, for STP210.  `check_arguments`
judges a handler's `$argN` against the markers its points matched (STP330), and
`check_variables` its `$name`s against the DWARF of the functions (STP331).
`check_probe` does all of it for one probe declaration (semantic/probe_points.py's hook).
"""

from __future__ import annotations

import difflib
import fnmatch
import os
from typing import Callable

import attrs

from ..diagnostics import Severity, Span
from ..syntax import ast
from . import codes
from .dwarf import DwarfInfo, read_dwarf_file
from .elf import ElfFile, read_elf
from .resolve import find_library, find_program, in_sysroot, ld_so_conf_dirs
from .sdt import Marker

GROUPS = ("process.function", "process.mark", "process.plt", "process.statement")
MAX_LOADED = 512  # libraries followed through DT_NEEDED
MAX_SUGGESTION_POOL = 100_000  # names a did-you-mean looks through
MANY_MATCHES = 32  # beyond this many functions matched by a wildcard, $names are not checked

Reader = Callable[[str], "ElfFile | None"]


@attrs.frozen
class UserPoint:
    """One derived process probe as written in the checked file."""

    group: str  # one of GROUPS
    params: tuple[tuple[str, object], ...]  # component name -> literal (None: none, or not a literal)
    spans: tuple[tuple[str, Span], ...]  # component name -> where the checked file has it
    optional: bool  # `?`/`!`: a miss is no finding

    def param(self, name: str):
        return next((v for k, v in self.params if k == name), None)

    def has(self, name: str) -> bool:
        return any(k == name for k, _ in self.params)

    def span(self, name: str) -> Span | None:
        return next((s for k, s in self.spans if k == name), None) or (self.spans[0][1] if self.spans else None)


@attrs.frozen
class Finding:
    code: str
    message: str
    span: Span
    severity: Severity | None = None  # None: the code's own
    hints: tuple[str, ...] = ()


@attrs.frozen
class Checked:
    findings: tuple[Finding, ...] = ()
    markers: tuple[Marker, ...] | None = None  # the markers a .mark matched (None: not known)
    # Where a .function's DWARF scopes are, for its handler's $names; None: not known (no DWARF,
    # a .callee, ...).  Read only if the handler has $names (check_variables).
    scopes: tuple["ScopeRequest", ...] | None = None
    unverifiable: str | None = None  # why the program could not be looked at
    program: str | None = None  # the file read (the library's, for .library points)


@attrs.frozen
class ScopeRequest:
    program: str  # as the messages name it
    dwarf_file: str  # the file whose DWARF describes it (the program, or its debug file)
    name: str  # the function, or a glob
    glob: bool


@attrs.frozen
class Place:
    """Where files are found: the sysroot and the readers (path -> ElfFile, path -> DwarfInfo),
    cached by their owner."""

    sysroot: str | None = None
    reader: Reader = read_elf
    path_env: str | None = None  # $PATH for process("name"); None: this process's
    dwarf_reader: Callable[[str], DwarfInfo | None] = read_dwarf_file


def program_file(point: UserPoint, place: Place) -> tuple[str | None, str | None]:
    """(the file to read for the point, or None; why not, when None)."""
    process = point.param("process")
    if not isinstance(process, str) or not process or "$" in process or any(c in process for c in "*?["):
        return None, "no program is named"
    program = find_program(process, place.sysroot, place.path_env)
    if program is None:
        where = f" under {place.sysroot}" if place.sysroot else ""
        return None, f"'{process}' is not on this machine{where}"
    return program, None


def check_point(point: UserPoint, place: Place) -> Checked:
    program, why = program_file(point, place)
    if program is None:
        return Checked(unverifiable=why)
    elf = place.reader(program)
    if elf is None:
        return Checked(unverifiable=f"{program} cannot be read")
    if elf.problem is not None:
        if point.optional:  # stap skips an optional point it cannot place
            return Checked(program=program)
        return Checked((Finding(codes.UNREADABLE_PROGRAM, elf.problem, point.span("process"),
                                hints=("stap reads the program's ELF file; name the program itself, "
                                       "not a script or a wrapper",)),), program=program)
    target = elf
    if point.has("library"):
        library = point.param("library")
        if not isinstance(library, str) or "$" in library:
            return Checked(unverifiable="the library is not named by a literal", program=program)
        found, finding = _library(point, place, elf, program, library)
        if found is None:
            return Checked((finding,) if finding else (), program=program)
        target = place.reader(found)
        if target is None or target.problem is not None:
            if point.optional:
                return Checked(program=found)
            problem = target.problem if target is not None else f"{found} cannot be read"
            return Checked((Finding(codes.UNREADABLE_PROGRAM, problem, point.span("library")),), program=found)
        program = found
        findings = (finding,) if finding else ()
    else:
        findings = ()
    if point.group == "process.mark":
        more, markers = _marks(point, target, program)
        return Checked(findings + more, markers, program=program)
    if point.group in ("process.function", "process.plt"):
        more, why, scopes = _functions(point, place, target, program)
        return Checked(findings + more, program=program, unverifiable=why, scopes=scopes)
    return Checked(findings, program=program)


def check_probe(points, body, place: Place, *, explain: bool = False) -> list[Finding]:
    """What a probe declaration's points and handler get: `points` is, for each point it derives,
    (its UserPoint, or None for one that is no process point written in the file; its text).
    With `explain`, a point whose program is here but cannot tell gets an STP210 note."""
    found: list[Finding] = []
    markers: list[Marker] = []
    scopes: list[ScopeRequest] = []
    every_mark_known = every_scope_known = True
    for point, text in points:
        checked = check_point(point, place) if point is not None else None
        if checked is None or checked.markers is None:
            every_mark_known = False
        else:
            markers += checked.markers
        if checked is None or checked.scopes is None:
            every_scope_known = False
        else:
            scopes += checked.scopes
        if checked is None:
            continue
        found += checked.findings
        span = point.span("function")
        if checked.unverifiable and checked.program and explain and span is not None:
            found.append(Finding(codes.UNVERIFIABLE_PROBE_POINT,
                                 f"only the target system can confirm '{text}': {checked.unverifiable}", span))
    if every_mark_known and markers:
        found += check_arguments(body, markers)
    if every_scope_known and scopes:
        found += check_variables(body, scopes, place)
    return found


# ---------------------------------------------------------------- .mark


def _mark_glob(name: str) -> str:
    return name.replace("-", "__")


def _marks(point: UserPoint, elf: ElfFile, program: str) -> tuple[tuple[Finding, ...], tuple[Marker, ...] | None]:
    name = point.param("mark")
    provider = point.param("provider") if point.has("provider") else None
    if not isinstance(name, str) or (point.has("provider") and not isinstance(provider, str)):
        return (), None
    found = tuple(elf.markers_named(_mark_glob(name), provider))
    if found or point.optional:
        return (), found
    span = point.span("mark")
    if not elf.markers:
        return (Finding(codes.UNKNOWN_SDT_MARKER, f"{program} has no SDT markers (no .note.stapsdt section)", span,
                        hints=("a program has markers when it is built with <sys/sdt.h> probes "
                               "(for some, a configure option such as --with-dtrace)",)),), ()
    glob = any(c in name for c in "*?[")
    names = sorted({m.name for m in elf.markers if provider is None or fnmatch.fnmatchcase(m.provider, provider)})
    of = f" of provider '{provider}'" if provider is not None else ""
    if provider is not None and not names:
        providers = sorted({m.provider for m in elf.markers})
        return (Finding(codes.UNKNOWN_SDT_MARKER, f"{program} has no SDT provider '{provider}'"
                        + _did_you_mean(provider, providers),
                        point.span("provider"), hints=("its providers: " + ", ".join(providers[:12]),)),), ()
    what = f"no SDT marker{of} in {program} matches '{name}'" if glob else \
        f"{program} has no SDT marker '{name}'{of}" + _did_you_mean(_mark_glob(name), names)
    return (Finding(codes.UNKNOWN_SDT_MARKER, what, span,
                    hints=(f"its markers: {_listed(names)}",)),), ()


def _listed(names, limit: int = 12) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _did_you_mean(name: str, pool, cutoff: float = 0.6) -> str:
    if len(pool) > MAX_SUGGESTION_POOL:
        return ""
    close = difflib.get_close_matches(name, pool, n=1, cutoff=cutoff)
    return f" (did you mean '{close[0]}'?)" if close else ""


# ---------------------------------------------------------------- .function and .plt


def _function_name(point: UserPoint) -> str | None:
    """The function a .function/.plt point names, or None when a symbol table cannot judge it
    (a number, a C++ qualified name, a source-file or line part, script arguments)."""
    key = "function" if point.group == "process.function" else "plt"
    name = point.param(key)
    if not isinstance(name, str) or not name:
        return None
    name = name.split("@", 1)[0]
    if not name or "::" in name or "$" in name or ":" in name or " " in name:
        return None
    return name


def _functions(point: UserPoint, place: Place, elf: ElfFile, program: str):
    """(the findings, why the point is left unverifiable or None, the DWARF scopes matched or None)."""
    name = _function_name(point)
    if name is None or point.optional:
        return (), None, None
    glob = any(c in name for c in "*?[")
    span = point.span("function" if point.group == "process.function" else "plt")
    if point.group == "process.plt":
        if _matches(name, elf.plt, glob):
            return (), None, None
        what = f"{program} calls no '{name}' through its PLT" if not glob else \
            f"no PLT entry of {program} matches '{name}'"
        return (Finding(codes.UNKNOWN_PROGRAM_FUNCTION, what + ("" if glob else _did_you_mean(name, sorted(elf.plt))),
                        span, hints=("the PLT lists the library functions a program calls; a library's own "
                                     "functions are probed with .library(...).function(...)",)),), None, None
    functions = elf.functions
    dwarf_file = program if elf.has_dwarf else None
    debug = None
    if dwarf_file is None or (elf.stripped and not elf.has_debugdata):
        debug = _debug_file(elf, place)
        if debug is not None:
            functions = functions | debug.symtab_functions
            if dwarf_file is None and debug.has_dwarf:
                dwarf_file = debug.path
    request = _scope_request(point, program, dwarf_file, name, glob)
    if _matches(name, functions, glob):
        return (), None, request
    # A miss in the symbols: the DWARF names every function, inline ones too (stap probes their copies).
    dwarf = place.dwarf_reader(dwarf_file) if dwarf_file is not None else None
    if dwarf is not None and _matches(name, frozenset(dwarf.functions), glob):
        return (), None, request
    if dwarf is not None:
        functions = functions | frozenset(dwarf.functions)
    if elf.stripped and not elf.has_debugdata and debug is None:
        # Only the exported functions are named (main and every static function are not):
        # a miss says nothing, and stap finds the function with the program's debuginfo.
        return (), (f"{program} is stripped: only its exported functions (.dynsym) are named, and '{name}' "
                    "is not one of them; stap finds the others with the program's debuginfo"), None
    what = f"no function of {program} matches '{name}'" if glob else f"'{name}' is not a function of {program}"
    if dwarf is not None:
        why = (f"{program}'s DWARF" + (f" (in {dwarf_file})" if dwarf_file != program else "")
               + " describes every function it has, inlined ones too: stap will not find it either")
    elif debug is not None or not elf.stripped:
        tables = "symbol table" + (f" (and its debug file {debug.path})" if debug is not None else "")
        why = (f"{program}'s {tables} names every function it has an out-of-line copy of: "
               f"'{name}' is not among them, or was inlined at every call (stap finds inlined "
               "instances only with DWARF, as .function(...).inline)")
    else:
        why = (f"{program} is stripped; its .dynsym and .gnu_debugdata mini-debuginfo name its functions: "
               f"'{name}' is not among them, or was inlined at every call")
    suggestion = "" if glob else _did_you_mean(name, sorted(functions))
    return (Finding(codes.UNKNOWN_PROGRAM_FUNCTION, what + suggestion, span, hints=(why,)),), None, None


def _scope_request(point: UserPoint, program: str, dwarf_file: str | None, name: str, glob: bool):
    if dwarf_file is None or any(point.has(k) for k in ("callee", "callees", "label", "inline")):
        return None
    return (ScopeRequest(program, dwarf_file, name, glob),)


def _matches(name: str, names: frozenset[str], glob: bool) -> bool:
    if not glob:
        return name in names
    return any(fnmatch.fnmatchcase(n, name) for n in names)


def _debug_file(elf: ElfFile, place: Place) -> ElfFile | None:
    """The separate debug file of a stripped program, by build id (or debuglink) under /usr/lib/debug."""
    candidates = []
    if elf.build_id and len(elf.build_id) > 2:
        candidates.append(f"/usr/lib/debug/.build-id/{elf.build_id[:2]}/{elf.build_id[2:]}.debug")
    if elf.debuglink:
        candidates.append("/usr/lib/debug" + os.path.dirname(elf.path) + "/" + elf.debuglink)
    for candidate in candidates:
        path = in_sysroot(candidate, place.sysroot)
        if os.path.isfile(path):
            found = place.reader(path)
            if found is not None and found.problem is None and found.has_symtab:
                return found
    return None


# ---------------------------------------------------------------- .library


def _library(point: UserPoint, place: Place, elf: ElfFile, program: str, library: str):
    """(the library's file or None, a finding or None)."""
    span = point.span("library")
    glob = any(c in library for c in "*?[")
    loaded = _loaded(elf, place, program)
    if glob:
        if point.optional or any(fnmatch.fnmatchcase(os.path.basename(p), library) or fnmatch.fnmatchcase(n, library)
                                 for n, p in loaded.items()):
            return None, None
        return None, Finding(codes.UNKNOWN_LIBRARY, f"no library {program} loads matches '{library}'", span,
                             hints=(f"it loads: {_listed(sorted(loaded))}",))
    origin = os.path.dirname(program)
    found = find_library(library, place.sysroot, runpath=elf.runpath, origin=origin)
    if found is None:
        if point.optional:
            return None, None
        where = f" under {place.sysroot}" if place.sysroot else ""
        return None, Finding(codes.UNKNOWN_LIBRARY, f"library '{library}' is not found{where}"
                             + _did_you_mean(library, sorted(loaded), cutoff=0.8), span,
                             hints=("a name without a slash is looked for as the dynamic linker does "
                                    "(runpath, LD_LIBRARY_PATH, /etc/ld.so.conf, the default directories)",
                                    f"{program} loads: {_listed(sorted(loaded))}"))
    real = os.path.realpath(found)
    if point.optional or not loaded or real in {os.path.realpath(p) for p in loaded.values() if p}:
        return found, None
    return found, Finding(codes.UNKNOWN_LIBRARY, f"{program} does not load '{library}' (not among its DT_NEEDED "
                          "libraries, nor theirs)", span, severity=Severity.INFO,
                          hints=("a library the program opens with dlopen() is probed all the same; "
                                 f"it loads: {_listed(sorted(loaded))}",))


def _loaded(elf: ElfFile, place: Place, program: str) -> dict[str, str | None]:
    """The libraries the program loads, by DT_NEEDED name, followed through each library's own
    (name -> the file found, or None)."""
    found: dict[str, str | None] = {}
    conf = ld_so_conf_dirs(place.sysroot)  # read once for all of them
    pending = [(name, elf, program) for name in elf.needed]
    while pending and len(found) < MAX_LOADED:
        name, parent, parent_path = pending.pop(0)
        if name in found:
            continue
        path = find_library(name, place.sysroot, runpath=parent.runpath, origin=os.path.dirname(parent_path),
                            conf=conf)
        found[name] = path
        if path is not None:
            child = place.reader(path)
            if child is not None and child.problem is None:
                pending += [(n, child, path) for n in child.needed if n not in found]
    return found


# ---------------------------------------------------------------- $argN in the handler


def check_arguments(body, markers: list[Marker]) -> list[Finding]:
    """`$argN` beyond what one of `markers` has (not under @defined, which is how a script tests)."""
    if not markers:
        return []
    fewest = min(markers, key=lambda m: len(m.args))
    found = []
    for var in _target_variables(body):
        name = var.name.lstrip("$")
        if not name.startswith("arg") or not name[3:].isdigit():
            continue
        n = int(name[3:])
        if n > len(fewest.args) or n < 1:
            has = f"{len(fewest.args)} argument" + ("" if len(fewest.args) == 1 else "s")
            found.append(Finding(codes.MARKER_ARGUMENT_COUNT,
                                 f"${name}: marker {fewest.provider}:{fewest.name} has {has}", var.span,
                                 hints=(f"{fewest.signature()}",
                                        "test with @defined($argN) where markers differ in their arguments")))
    return found


def _target_variables(body):
    stack = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Defined):
            continue
        if isinstance(node, (ast.IfStmt, ast.Ternary)) and any(isinstance(n, ast.Defined)
                                                               for n in ast.walk(node.condition)):
            continue  # the branches of an @defined test
        if isinstance(node, ast.TargetVariable):
            yield node
            continue
        stack.extend(reversed(ast.child_list(node)))


def check_variables(body, requests, place: Place) -> list[Finding]:
    """`$name` that is neither a parameter nor a local of a function the probe matches (as its DWARF
    says), nor a global variable of its program: stap resolves a $name in exactly those."""
    variables = [v for v in _target_variables(body) if not v.name.startswith("$$") and v.name != "$return"]
    if not requests or not variables:
        return []
    scopes = []
    for request in requests:
        dwarf = place.dwarf_reader(request.dwarf_file)
        if dwarf is None:
            return []  # too big, or damaged: not known
        matched = [n for n in dwarf.functions if fnmatch.fnmatchcase(n, request.name)] if request.glob else \
            ([request.name] if request.name in dwarf.functions else [])
        if not matched or len(matched) > MANY_MATCHES:
            return []
        scopes += [(request.program, n, dwarf.functions[n], dwarf.globals) for n in sorted(matched)]
    found = []
    for var in variables:
        name = var.name
        bare = name[1:]
        for program, function, scope, globals_ in scopes:
            if bare in scope.names or bare in globals_:
                continue
            params = ", ".join(f"${p}" for p in scope.params) or "none"
            found.append(Finding(codes.UNKNOWN_PROGRAM_VARIABLE,
                                 f"{name} is neither a parameter nor a local variable of {function} in {program}, "
                                 "nor one of its global variables" + _did_you_mean(bare, sorted(scope.names)),
                                 var.span, hints=(f"the parameters of {function}: {params}",
                                                  "test with @defined($name) where the functions a probe matches differ")))
            break
    return found
