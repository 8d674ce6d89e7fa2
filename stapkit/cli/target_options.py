"""Command-line options that describe the target system and how scripts are read."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..syntax.target import ARCHES, RUNTIMES, Target


def add_target_arguments(parser: argparse.ArgumentParser) -> None:
    add_target_group(parser)
    add_reading_group(parser)


def add_target_group(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("target (what %( %) conditionals compare against)")
    group.add_argument("--systemtap-version", metavar="VERSION",
                       help="SystemTap release to check for (systemtap_v; default: 4.8, the bundled tapset DB)")
    group.add_argument("--kernel-version", metavar="RELEASE",
                       help="kernel release, as `uname -r` prints it (kernel_vr; kernel_v is the part "
                            "before '-'; default: 6.12.0-amd64)")
    group.add_argument("--arch", metavar="ARCH",
                       help=f"architecture (default: x86_64; known: {', '.join(ARCHES)})")
    group.add_argument("--runtime", choices=RUNTIMES, help="stap runtime (default: kernel)")
    group.add_argument("--privilege", choices=("stapusr", "stapsys", "stapdev"),
                       help="privilege level (systemtap_privilege; default: stapdev)")
    group.add_argument("--kernel-config", metavar="CONFIG_X=VALUE", action="append", default=[],
                       help="a kernel configuration value (repeatable); unlisted options are "
                            "those of a Debian amd64 kernel")


def add_kernel_arguments(parser: argparse.ArgumentParser) -> None:
    kernel = parser.add_argument_group("the target kernel (checks kernel probes and $variables; docs/kernel.md)")
    kernel.add_argument("--kernel-btf", metavar="PATH",
                        help="the kernel's BTF: /sys/kernel/btf/vmlinux, a vmlinux file, a file saved by "
                             "`stapkit db kernel build`, or `running` (this machine's kernel)")
    kernel.add_argument("--kernel-symbols", metavar="PATH",
                        help="the kernel's symbol table: /proc/kallsyms or a System.map")


def add_reading_group(parser: argparse.ArgumentParser) -> None:
    reading = parser.add_argument_group("reading scripts")
    reading.add_argument("-g", "--guru", action="store_true",
                         help="guru mode for every script (embedded C, @const, ...), as stap -g")
    reading.add_argument("--arg", dest="args", metavar="VALUE", action="append",
                         help="a command-line argument of the script ($1/@1, then $2/@2, ...; repeatable); "
                              "without --arg, $N and @N stay placeholders")
    reading.add_argument("--no-args", action="store_true",
                         help="the script is run without arguments: $1 and @1 are errors, $# is 0")
    reading.add_argument("--tapset-dir", metavar="DIR", action="append", default=[],
                         help="the tapset library root, instead of the local SystemTap's "
                              "($SYSTEMTAP_TAPSET or /usr/share/systemtap/tapset) (repeatable)")
    reading.add_argument("-I", "--include", metavar="DIR", action="append", default=[],
                         help="an extra tapset directory, as stap -I (repeatable)")
    reading.add_argument("--tapset", action="store_true",
                         help="read the files as tapset library files (guru mode, every language feature); "
                              "files under a tapset root are read so anyway")
    reading.add_argument("--only-target-branches", action="store_true",
                         help="check only the %%( %%) branches the target takes (stap's behaviour)")
    reading.add_argument("--max-file-size", metavar="BYTES", type=int,
                         help="refuse larger files (default: 8 MiB)")


def target_from_arguments(args, base: Target | None = None) -> Target:
    """The Target: `base` (from the configuration) changed by the options given.

    Raises ValueError for a bad value."""
    from ..syntax.target import is_kernel_release, is_version

    changes = {}
    if args.systemtap_version and not is_version(args.systemtap_version):
        raise ValueError(f"--systemtap-version expects a version such as 4.8, not {args.systemtap_version!r}")
    if args.kernel_version and not is_kernel_release(args.kernel_version):
        raise ValueError(f"--kernel-version expects a kernel release such as 6.1.0-13-amd64, "
                         f"not {args.kernel_version!r}")
    if args.systemtap_version:
        changes["systemtap_v"] = args.systemtap_version
    if args.kernel_version:
        changes["kernel_vr"] = args.kernel_version
        changes["kernel_v"] = args.kernel_version.split("-", 1)[0]
    if args.arch:
        changes["arch"] = args.arch
    if args.runtime:
        changes["runtime"] = args.runtime
    if args.privilege:
        changes["privilege"] = args.privilege
    target = base or Target()
    if args.kernel_config:
        config = dict(target.kernel_config)
        for item in args.kernel_config:
            name, eq, value = item.partition("=")
            if not eq or not name.startswith("CONFIG_"):
                raise ValueError(f"--kernel-config expects CONFIG_NAME=VALUE, not {item!r}")
            if value:
                config[name] = value
            else:
                config.pop(name, None)
        changes["kernel_config"] = config
    return target.evolve(**changes) if changes else target


def parse_options_from_arguments(args, config=None):
    """ParseOptions from the command line over a configuration file (stapkit.config.Config)."""
    from ..syntax.options import ParseOptions
    from ..syntax.source import DEFAULT_MAX_FILE_SIZE
    from ..syntax.target import Target

    if args.args is not None and args.no_args:
        raise ValueError("--arg and --no-args cannot be used together")
    script_args = tuple(args.args) if args.args is not None else (() if args.no_args else None)
    base = config.apply_target(Target()) if config is not None else None

    roots = None
    configured = config.tapset_dirs if config is not None else None
    include = list(config.include) if config is not None else []
    include += [Path(d) for d in args.include]
    if args.tapset_dir or configured or include:
        from ..syntax.tapset_path import default_tapset_root

        base_roots = [Path(d) for d in args.tapset_dir] or list(configured or [])
        if not base_roots and (default := default_tapset_root()) is not None:
            base_roots = [default]
        roots = tuple(base_roots + include)
    check_all = not args.only_target_branches
    if check_all and config is not None and config.check_all_branches is not None:
        check_all = config.check_all_branches
    max_size = args.max_file_size or (config.max_file_size if config is not None else None)
    target = _kernel_described_target(args, config, target_from_arguments(args, base))
    return ParseOptions(
        target=target,
        guru=args.guru or bool(config is not None and config.guru),
        args=script_args,
        tapset=args.tapset,
        tapset_roots=roots,
        check_all_branches=check_all,
        max_file_size=max_size or DEFAULT_MAX_FILE_SIZE,
    )


def _kernel_described_target(args, config, target):
    """A kernel description for a known release and arch (`running`, a saved file) is the target
    of the %( kernel_v %) and %( arch %) conditions too, unless those were given."""
    from ..kernel.loading import described_target

    btf = getattr(args, "kernel_btf", None) or (config.kernel_btf if config is not None else None)
    release, arch = described_target(btf)
    configured = config.target if config is not None else {}
    changes = {}
    if release and not args.kernel_version and "kernel_vr" not in configured:
        from ..syntax.target import is_kernel_release

        if is_kernel_release(release):
            changes.update(kernel_vr=release, kernel_v=release.split("-", 1)[0])
    if arch and not args.arch and "arch" not in configured:
        changes["arch"] = arch
    return target.evolve(**changes) if changes else target


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("configuration")
    group.add_argument("--config", metavar="FILE",
                       help="use this configuration file for every script, instead of the closest "
                            "stapkit.toml, .stapkit.toml or pyproject.toml [tool.stapkit]")
    group.add_argument("--isolated", action="store_true", help="ignore every configuration file")
