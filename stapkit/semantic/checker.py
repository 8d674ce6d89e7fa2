"""The semantic checker: stap's pass 2 on one file, offline, every error at once.

A file with syntax errors stops at them (as stap stops after pass 1: the
tree is incomplete).  Otherwise the checks run in order on a CheckUnit, each
filling its part of the unit's semantic model (model.py) for the next:
probe points and what stap elaborates (probe_points.py, elaboration.py), the
kernel's types (kernel_targets.py), symbols and types (type_check.py), then
statements (statements.py).  Errors in code stap never elaborates become
warnings that say so (elaboration.as_warnings).
"""

from __future__ import annotations

from pathlib import Path

import attrs

from ..diagnostics import Diagnostic, Severity
from ..syntax.parser import ParseOptions, ParseResult, parse_file, parse_text
from . import autocast, elaboration, kernel_targets, probe_points, statements, type_check
from .options import CheckOptions
from .session import Session
from .unit import CheckUnit


@attrs.frozen
class CheckResult:
    path: str
    text: str | None
    diagnostics: tuple[Diagnostic, ...]
    parse: ParseResult
    # The checked unit, for the lint rules; None when the file did not parse.
    unit: CheckUnit | None = None


def load_db(path: Path | None, session: Session | None = None):
    """The tapset database at `path` (None: the default one), kept by `session` if given."""
    return (session if session is not None else Session()).db(path)


def check_file(path: str, options: CheckOptions = CheckOptions()) -> CheckResult:
    if options.parse.tapset:  # read for its directory's runtime and arch
        target = _tapset_file_target(path, options.parse.target, options.parse)
        options = attrs.evolve(options, parse=attrs.evolve(options.parse, target=target))
    return _check(parse_file(path, options.parse), options)


def check_text(text: str, path: str = "<string>", options: CheckOptions = CheckOptions(), *,
               reuse=None, lexed=None) -> CheckResult:
    """`reuse`: the language server's syntax.reuse.DeclarationReuse of the document, if any;
    `lexed`: the text lexed already, as parse_text takes it."""
    return _check(parse_text(text, path, options.parse, reuse=reuse, lexed=lexed), options)


def _check(result: ParseResult, options: CheckOptions) -> CheckResult:
    diagnostics = list(result.diagnostics)
    if result.script is None or result.has_errors:
        return CheckResult(result.path, result.text, tuple(diagnostics), result)
    from ..tapsets.for_target import TargetView

    target = result.target
    tapset = options.parse.tapset or bool(options.parse.macro_file)
    if tapset:
        target = _tapset_file_target(result.path, target, options.parse)
    session = options.session
    # The library is the target release's; a first line's --compatible changes only its conditions (as in stap).
    db = session.db(options.db_path, options.parse.target.systemtap_v)
    extra = _extra_tapset_dirs(result, options.parse)
    if extra:
        from ..tapsets.overlay import OverlayDB, script_macro_roots

        first_line_dirs = result.first_line.include_dirs if result.first_line is not None else ()
        roots = script_macro_roots(first_line_dirs, options.parse)
        db = OverlayDB(db, [session.extra_library(d, roots, result.target) for d in extra])
        diagnostics += db.problems
    unit = CheckUnit(result.path, result, db, TargetView(target),
                     guru=result.guru, privilege=result.target.privilege,
                     explain_unverifiable=options.explain_unverifiable,
                     tapset=tapset, kernel=kernel_of(options), sysroot=options.sysroot)
    # In this order: each reads what the ones before it put in unit.model.
    probe_points.check(unit, session)  # the model's "probes" and "elaboration"
    kernel_targets.check(unit)  # "kernel"
    autocast.check(unit, session)  # reads "kernel"
    type_check.check(unit)
    unit.model.mark("types")
    statements.check(unit)
    found = unit.diagnostics
    if tapset:
        found = [_as_library_warning(d) for d in found]
    else:
        found = elaboration.as_warnings(found, unit.model.elaboration)
    diagnostics += found
    diagnostics.sort(key=lambda d: (d.span.start, d.span.end, d.code))
    return CheckResult(result.path, result.text, tuple(_unique(diagnostics)), result, unit)


def kernel_of(options: CheckOptions):
    """The kernel description of the run (read once per session: Session.kernel)."""
    return options.session.kernel(options.kernel) if options.kernel else None


def _extra_tapset_dirs(result: ParseResult, parse_options: ParseOptions) -> list[Path]:
    """Tapset directories besides the installed library (-I, --tapset-dir, the first line's -I).

    The database describes the installed library; these are read from their sources.
    """
    import os

    from ..syntax.tapset_path import default_tapset_root

    installed = default_tapset_root()
    skip = {os.path.realpath(installed)} if installed else set()
    dirs = list(parse_options.tapset_roots or ())
    if result.first_line is not None:
        dirs += [Path(d) for d in result.first_line.include_dirs]
    found = []
    for d in dirs:
        real = os.path.realpath(d)
        if real not in skip and os.path.isdir(real):
            skip.add(real)
            found.append(Path(real))
    return found


def _as_library_warning(d: Diagnostic) -> Diagnostic:
    """In a tapset file a semantic error is a warning: stap checks a tapset function or alias
    only in a script that uses it, and reads the file anyway."""
    if d.severity is not Severity.ERROR:
        return d
    return attrs.evolve(d, severity=Severity.WARNING,
                        hints=d.hints + ("in a tapset file: stap reports this only in a script that uses it",))


def _tapset_file_target(path: str, target, parse_options: ParseOptions):
    """A tapset file is for the runtime and arch of its directory (linux/, bpf/, x86_64/, ...)."""
    import os

    from ..syntax.tapset_path import default_tapset_root
    from ..tapsets.source_reader import target_for

    roots = parse_options.tapset_roots
    if roots is None:
        root = default_tapset_root()
        roots = (root,) if root else ()
    real = os.path.realpath(path)
    for root in roots:
        base = os.path.realpath(root) + os.sep
        if real.startswith(base):
            return target_for(real[len(base):].replace(os.sep, "/"), target)
    return target


def _unique(diagnostics):
    seen = set()
    for d in diagnostics:
        key = (d.code, d.span, d.message)
        if key not in seen:
            seen.add(key)
            yield d


def has_errors(result: CheckResult) -> bool:
    return any(d.severity is Severity.ERROR for d in result.diagnostics)
