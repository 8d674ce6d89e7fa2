"""`stapkit db build|info|list|show`: the tapset database, built and asked offline.

`list PATTERN` is an offline `stap -l` (the alias names and built-in probe
families that match, for the target), `show NAME` an offline `stap -L` (a
probe point's variables and types, expansion, definition, deprecation; a
function's overloads and privilege).  With `--kernel-btf`, both answer for
kernel functions, tracepoints and types too, and for a `process("PATH")` point
from the program's ELF file (userspace/show.py); `db kernel build` saves a
kernel's description to a file (stapkit/kernel/saved.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from . import exit_codes
from .files import error, warn, write_atomically
from .target_options import add_kernel_arguments, add_userspace_arguments


def add_arguments(parser) -> None:
    actions = parser.add_subparsers(dest="db_command", metavar="ACTION")

    build = actions.add_parser(
        "build", help="build the database from the reference manuals and the tapset sources",
        description="Read the tapset library (parsed with stapkit's parser, every %( %) branch) and "
                    "the 3stap reference manuals, and write the database. Without --output it goes "
                    "to the user cache directory, where stapkit then finds it.")
    build.add_argument("--tapset-dir", metavar="DIR", type=Path, default=None,
                       help="the tapset library (default: /usr/share/systemtap/tapset)")
    build.add_argument("--man-dir", metavar="DIR", type=Path, default=None,
                       help="where the 3stap manual pages are (default: /usr/share/man/man3)")
    build.add_argument("--no-manuals", action="store_true", help="do not read the manuals")
    build.add_argument("--with-docs", action="store_true",
                       help="keep the manuals' descriptions too (for hover); for a user-local database")
    build.add_argument("-o", "--output", metavar="FILE", type=Path,
                       help="where to write the database (default: the user cache directory)")
    build.add_argument("--systemtap-version", metavar="VERSION",
                       help="the SystemTap release of the library (default: from `stap -V`)")
    build.add_argument("--report", action="store_true",
                       help="list the documented probe variables that the sources do not set, and back")
    build.add_argument("--progress", action="store_true",
                       help="report the files read even when standard error is not a terminal (a line each "
                            "second; on a terminal the progress line is always shown)")

    differ = actions.add_parser(
        "diff", help="what changed in the tapset library between two SystemTap releases",
        description="Compare two releases of the shipped release history: the probe aliases, their "
                    "variables and expansions, the functions and their signatures, globals and macros "
                    "that the second added, removed or changed.")
    differ.add_argument("old", metavar="OLD", help="a release, such as 4.8")
    differ.add_argument("new", metavar="NEW", help="a later (or any other) release, such as 5.5")
    differ.add_argument("--output-format", choices=("text", "json"), default="text",
                        help="text (default) or json")

    info = actions.add_parser("info", help="which database is used: version, counts, source")
    _add_common(info, target=False)

    listing = actions.add_parser(
        "list", help="probe points matching a pattern (an offline stap -l)",
        description="List the probe aliases and built-in probe families matching PATTERN, with "
                    "stap's wildcards: '*' within a component, '**' across components, {a,b} braces. "
                    "With --kernel-btf, also a kernel's functions, tracepoints or types: "
                    "'kernel.function(\"tcp_*\")', 'kernel.trace(\"sched_*\")', 'struct sk_*'.")
    listing.add_argument("pattern", metavar="PATTERN")
    listing.add_argument("--functions", action="store_true", help="list functions matching PATTERN instead")
    _add_common(listing)
    add_kernel_arguments(listing)
    add_userspace_arguments(listing)

    show = actions.add_parser(
        "show", help="a probe point or function in detail (an offline stap -L)",
        description="Show a probe alias (its variables and their types, expansion, definition, "
                    "conditions and deprecation), a built-in probe family or a function (overloads, "
                    "types, privilege). With --kernel-btf, also a kernel point (kernel.function(\"f\"), "
                    "kernel.trace(\"t\"), kprobe.function(\"f\")) or type (struct task_struct, "
                    "@cast(p, \"task_struct\"), size_t), from that kernel's description.")
    show.add_argument("name", metavar="NAME")
    _add_common(show)
    add_kernel_arguments(show)
    add_userspace_arguments(show)

    kernel = actions.add_parser(
        "kernel", help="kernel descriptions: save one to a file, or say what one holds",
        description="A kernel description (its BTF and symbol table) checks kernel probes and "
                    "$variables; `build` saves one to a compact file that other machines can use "
                    "with --kernel-btf (docs/kernel.md).")
    kernel_actions = kernel.add_subparsers(dest="kernel_command", metavar="ACTION")
    kbuild = kernel_actions.add_parser("build", help="save a kernel's description to a file",
                                       description="Read a kernel's BTF (and symbol table) and write the "
                                                   "compact file that --kernel-btf and the configuration's "
                                                   "kernel-btf take.")
    kbuild.add_argument("--btf", metavar="PATH", default="running",
                        help="the kernel's BTF: /sys/kernel/btf/vmlinux, a vmlinux file, or `running` "
                             "(default: running, with /proc/kallsyms)")
    kbuild.add_argument("--symbols", metavar="PATH",
                        help="the kernel's symbol table (/proc/kallsyms, a System.map); with --btf running, "
                             "/proc/kallsyms unless given")
    kbuild.add_argument("--release", metavar="RELEASE",
                        help="the kernel release it describes, as `uname -r` prints it (default: this "
                             "machine's with --btf running)")
    kbuild.add_argument("--arch", metavar="ARCH", help="its architecture (default: this machine's with --btf running)")
    kbuild.add_argument("-o", "--output", metavar="FILE", type=Path, required=True, help="the file to write")
    kinfo = kernel_actions.add_parser("info", help="what a kernel description holds",
                                      description="Summarise a kernel description: its release, "
                                                  "architecture, and how many types, functions, tracepoints "
                                                  "and symbols it has.")
    kinfo.add_argument("path", metavar="PATH", help="a saved file, a BTF file, or `running`")
    kinfo.add_argument("--kernel-symbols", metavar="PATH", help="a symbol table to add")
    kinfo.add_argument("--output-format", choices=("text", "json"), default="text")
    kernel.set_defaults(kernel_parser=kernel)
    parser.set_defaults(db_parser=parser)


def _add_common(parser, target: bool = True) -> None:
    from .target_options import add_target_group

    parser.add_argument("--db", metavar="FILE", type=Path,
                        help="the database to read (default: $STAPKIT_TAPSET_DB, the user-built one, "
                             "else the embedded SystemTap 4.8 one)")
    parser.add_argument("--output-format", choices=("text", "json"), default="text")
    if target:
        parser.add_argument("--all-targets", action="store_true",
                            help="include items of every target (each %%( %%) branch, every runtime and arch)")
        add_target_group(parser)


def run(args) -> int:
    if args.db_command is None:
        args.db_parser.print_help(sys.stderr)
        return exit_codes.ERROR
    if args.db_command == "build":
        return _build(args)
    if args.db_command == "kernel":
        return _kernel_action(args)
    if args.db_command in ("list", "show"):
        from ..userspace.show import is_process_query

        query = args.pattern if args.db_command == "list" else args.name
        if is_process_query(query):
            return _process_query(args, query)
    if args.db_command == "diff":
        return _diff(args)
    if getattr(args, "kernel_btf", None) or getattr(args, "kernel_symbols", None):
        from ..kernel.show import is_kernel_query

        query = args.pattern if args.db_command == "list" else args.name
        if is_kernel_query(query):
            return _kernel_query(args, query)
    from ..tapsets.db import DatabaseError, TapsetDB

    try:
        db = TapsetDB.load(args.db)
        release = getattr(args, "systemtap_version", None)
        if args.db is None and release and release != db.systemtap_version:  # that release's library
            from ..semantic.session import Session

            db = Session().db(None, release)
    except DatabaseError as err:
        error(str(err))
        return exit_codes.ERROR
    try:
        if args.db_command == "info":
            return _info(db, args)
        view = _view(args)
        if args.db_command == "list":
            return _list(db, view, args)
        return _show(db, view, args)
    except DatabaseError as err:
        error(str(err))
        return exit_codes.ERROR
    except ValueError as err:
        error(str(err))
        return exit_codes.ERROR


def _view(args):
    """The TargetView of the options, or None with --all-targets."""
    if args.all_targets:
        return None
    from ..syntax.target import Target
    from ..tapsets.for_target import TargetView
    from .target_options import target_from_arguments

    return TargetView(target_from_arguments(args, Target()))


# ---------------------------------------------------------------- build


def _build(args) -> int:
    from ..semantic.library import read_library
    from ..tapsets.builder import DEFAULT_MAN_DIR, DEFAULT_TAPSET_DIR, build
    from ..tapsets.db import user_db_path

    tapset_dir = args.tapset_dir or DEFAULT_TAPSET_DIR
    man_dir = None if args.no_manuals else (args.man_dir or DEFAULT_MAN_DIR)
    output = args.output or user_db_path()
    from .progress import progress_for

    shown = None

    def progress(done: int, total: int) -> None:
        nonlocal shown
        if shown is None:
            shown = progress_for(sys.stderr, total, "tapset files read", forced=args.progress) or False
        if shown:
            shown.update(done)

    try:
        try:
            library = read_library(tapset_dir, progress=progress)
        finally:
            if shown:
                shown.close()
        result = build(library, tapset_dir, man_dir, with_docs=args.with_docs,
                       systemtap_version=args.systemtap_version)
    except FileNotFoundError as err:
        error(str(err))
        return exit_codes.ERROR
    for message in result.warnings:
        warn(message)
    try:
        _write_shared(output, result.text)
    except OSError as err:
        error(f"cannot write '{output}': {err.strerror or err}")
        return exit_codes.ERROR
    counts = result.header["counts"]
    print(f"wrote {output}: SystemTap {result.header['systemtap_version']}, "
          f"{counts['aliases']} probe aliases, {counts['functions']} functions, {counts['globals']} globals, "
          f"{counts['macros']} macros, {counts['manual_pages']} manual pages"
          f"{' (with descriptions)' if args.with_docs else ''}", file=sys.stderr)
    if args.report:
        for line in result.report:
            print(line)
    return exit_codes.SUCCESS



def _diff(args) -> int:
    from ..tapsets.release_diff import diff, render
    from ..tapsets.releases import ReleaseError, ReleaseHistory

    try:
        history = ReleaseHistory.load()
        old, new = history.view(args.old), history.view(args.new)
    except ReleaseError as err:
        error(str(err))
        return exit_codes.ERROR
    result = diff(old, new)
    if args.output_format == "json":
        print(json.dumps({"old": args.old, "new": args.new, "diff": result}, indent=2))
    else:
        sys.stdout.write(render(result, args.old, args.new))
    return exit_codes.SUCCESS


def _write_shared(path: Path, data: str | bytes) -> None:
    """Write atomically, with the permissions of a file made the usual way: the temporary
    file's are 0600, and these files are meant to be committed or shared (CI, other users).
    A file written over keeps its own."""
    import os

    existed = path.exists()
    write_atomically(path, data, keep_mode=existed)
    if not existed:
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(path, 0o666 & ~mask)


# ---------------------------------------------------------------- info


def _info(db, args) -> int:
    from ..tapsets import manual_2009
    from ..tapsets.probe_families import families

    built = db.header.get("built_from", {})
    data = {
        "path": str(db.path),
        "systemtap_version": db.systemtap_version,
        "with_docs": bool(db.header.get("with_docs")),
        "built_from": built,
        "counts": dict(db.header.get("counts", {}), builtin_probe_families=len(families(db.systemtap_version)),
                       names_of_2009_manual=len(manual_2009.PROBES_2009) + len(manual_2009.FUNCTIONS_2009)),
    }
    if args.output_format == "json":
        json.dump(data, sys.stdout, indent=2, sort_keys=True)
        print()
        return exit_codes.SUCCESS
    counts = data["counts"]
    print(f"database:   {db.path}")
    print(f"SystemTap:  {db.systemtap_version}")
    print(f"built from: {built.get('tapset_dir')} ({built.get('tapset_files')} files), "
          f"{built.get('man_dir')} ({built.get('manual_pages')} manual pages)")
    print(f"items:      {counts.get('aliases')} probe aliases, {counts.get('functions')} functions, "
          f"{counts.get('globals')} globals, {counts.get('macros')} library macros")
    print(f"known too:  {counts['builtin_probe_families']} built-in probe families, "
          f"{counts['names_of_2009_manual']} names of the 2009 tapset reference")
    print(f"docs:       {'manual descriptions included' if data['with_docs'] else 'facts only (no descriptions)'}")
    return exit_codes.SUCCESS


# ---------------------------------------------------------------- list


def _list(db, view, args) -> int:
    from ..tapsets.probe_patterns import PatternError, match_names

    kind = "function" if args.functions else "alias"
    names = [n for n in db.names(kind) if _exists(db, kind, n, view)]
    try:
        found = match_names(args.pattern, names)
        if not args.functions:
            found = sorted(set(found) | set(_matching_families(args.pattern, db.systemtap_version)))
    except PatternError as err:
        error(f"bad pattern '{args.pattern}': {err}")
        return exit_codes.ERROR
    return _print_names(found, args, f"no {'function' if args.functions else 'probe point'} matches "
                                     f"'{args.pattern}'")


def _print_names(found: list[str], args, nothing: str) -> int:
    """A listing, one name a line or a JSON list; exit 1 (and say so) when it is empty."""
    if args.output_format == "json":
        json.dump(found, sys.stdout, indent=2)
        print()
    else:
        for name in found:
            print(name)
    if not found:
        print(f"stapkit: {nothing}", file=sys.stderr)
        return exit_codes.FINDINGS
    return exit_codes.SUCCESS


def _print_description(found, args) -> int:
    """A `db show` answer, as text or JSON; exit 1 for an unknown name."""
    if args.output_format == "json":
        json.dump(found.data, sys.stdout, indent=2)
        print()
    else:
        sys.stdout.write(found.text)
    return exit_codes.SUCCESS if found.known else exit_codes.FINDINGS


def _matching_families(pattern: str, release: str | None = None) -> list[str]:
    """Built-in families of a release whose pattern (with its argument kinds) matches: `timer.ms(number)`."""
    from ..tapsets.probe_families import families
    from ..tapsets.probe_patterns import match_names

    patterns = sorted({f.pattern for f in families(release)})
    return match_names(pattern, patterns)


def _exists(db, kind: str, name: str, view) -> bool:
    items = db.aliases(name) if kind == "alias" else db.functions(name)
    if kind == "function":
        items = [f for f in items if not f.private]
    if view is None:
        return bool(items)
    return any(view.reads(i.where.file) and view.holds(i.conditions) for i in items)


# ---------------------------------------------------------------- show


def _show(db, view, args) -> int:
    from ..kernel.show import is_kernel_query
    from ..tapsets.show import describe

    if is_kernel_query(args.name):
        error(f"'{args.name}' is a question for a kernel description: give one with --kernel-btf PATH "
              "(/sys/kernel/btf/vmlinux, a vmlinux, a file of `stapkit db kernel build`, or `running`)")
        return exit_codes.ERROR
    found = describe(db, args.name, view)
    if not found.known and (args.kernel_btf or args.kernel_symbols):
        # `task_struct`, `size_t`: a type's name as @cast writes it, if the kernel has it
        from ..kernel.show import describe_kernel, is_type_name, knows_type

        if is_type_name(args.name):
            kernel = _load_kernel(args.kernel_btf, args.kernel_symbols)
            if kernel is None:
                return exit_codes.ERROR
            if knows_type(kernel, args.name):
                return _print_description(describe_kernel(kernel, args.name), args)
    return _print_description(found, args)


# ---------------------------------------------------------------- the kernel


def _load_kernel(btf: str | None, symbols: str | None):
    """The description, or None after an error message."""
    from ..kernel.loading import KernelLoadError, KernelSource, load_kernel

    try:
        return load_kernel(KernelSource(btf=btf, symbols=symbols))
    except KernelLoadError as err:
        error(str(err))
        return None


def _kernel_query(args, query: str) -> int:
    from ..kernel.show import describe_kernel, list_points

    kernel = _load_kernel(args.kernel_btf, args.kernel_symbols)
    if kernel is None:
        return exit_codes.ERROR
    if args.db_command == "list":
        return _print_names(list_points(kernel, query) or [], args, f"nothing in the kernel matches '{query}'")
    return _print_description(describe_kernel(kernel, query), args)


def _process_query(args, query: str) -> int:
    """A process(...) point or pattern, answered from the program's ELF file (docs/userspace.md)."""
    from ..settings import Overrides, resolve_sysroot
    from ..userspace.points import Place
    from ..userspace.show import QueryError, describe, list_points

    try:
        place = Place(resolve_sysroot(Overrides(sysroot=args.sysroot)))
        if args.db_command == "list":
            return _print_names(list_points(query, place), args, f"nothing in the program matches '{query}'")
        return _print_description(describe(query, place), args)
    except (QueryError, ValueError) as err:
        error(str(err))
        return exit_codes.ERROR


def _kernel_action(args) -> int:
    if args.kernel_command is None:
        args.kernel_parser.print_help(sys.stderr)
        return exit_codes.ERROR
    if args.kernel_command == "info":
        kernel = _load_kernel(args.path, args.kernel_symbols)
        if kernel is None:
            return exit_codes.ERROR
        summary = kernel.summary()
        if args.output_format == "json":
            json.dump(summary, sys.stdout, indent=2)
            print()
        else:
            for key, value in summary.items():
                if isinstance(value, list):
                    value = ", ".join(value) or "(none)"
                print(f"{key}: {value if value is not None else '(unknown)'}")
        return exit_codes.SUCCESS
    return _kernel_build(args)


def _module_blobs(kernel) -> dict[str, bytes]:
    """The split BTF of the modules beside vmlinux's (/sys/kernel/btf/<module>): saved too."""
    import os

    found = {}
    for name in kernel.summary()["modules"]:
        try:
            with open(os.path.join(kernel.module_dir, name), "rb") as f:
                found[name] = f.read()
        except OSError as err:
            warn(f"{os.path.join(kernel.module_dir, name)}: left out: {err.strerror or err}")
    return found


def _kernel_build(args) -> int:
    import platform

    from ..kernel.btf import btf_bytes
    from ..kernel.loading import RUNNING, RUNNING_BTF
    from ..kernel.saved import dumps

    kernel = _load_kernel(args.btf, args.symbols)
    if kernel is None:
        return exit_codes.ERROR
    if kernel.btf is None and kernel.symbols is None:
        error("nothing to save: give --btf or --symbols")
        return exit_codes.ERROR
    path = RUNNING_BTF if args.btf == RUNNING else args.btf
    try:
        with open(path, "rb") as f:
            blob = btf_bytes(f.read(), path)
    except OSError as err:  # it was read a moment ago
        error(f"{path}: cannot read: {err.strerror or err}")
        return exit_codes.ERROR
    if kernel.btf is not None and blob[:2] not in (b"\x9f\xeb", b"\xeb\x9f"):
        error(f"{path}: a saved description cannot be saved again; copy the file instead")
        return exit_codes.ERROR
    kernel.release = args.release or kernel.release or (platform.release() if args.btf == RUNNING else None)
    kernel.arch = args.arch or kernel.arch or (platform.machine() if args.btf == RUNNING else None)
    data = dumps(kernel, blob, _module_blobs(kernel))
    try:
        _write_shared(args.output, data)
    except OSError as err:
        error(f"{args.output}: cannot write: {err.strerror or err}")
        return exit_codes.ERROR
    s = kernel.summary()
    print(f"wrote {args.output}: kernel {s['release'] or '(release unknown)'} {s['arch'] or ''}".rstrip()
          + f", {s['btf_types']} types, {s['functions']} functions, {s['tracepoints']} tracepoints, "
          f"{s['symbols']} symbols, {len(s['modules'])} modules, {_size(len(data))}")
    return exit_codes.SUCCESS


def _size(count: int) -> str:
    """2.1 MB; a small (test) file in kB rather than '0.0 MB'."""
    return f"{count / 1e6:.1f} MB" if count >= 100_000 else f"{count / 1e3:.1f} kB"
