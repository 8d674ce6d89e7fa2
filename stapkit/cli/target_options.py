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
                       help="SystemTap release to check for: its tapset library, systemtap_v, language (default: the "
                            "installed stap's, else the newest; see docs/releases.md); with lint, A..B: "
                            "the releases each script passes on")
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


def add_userspace_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("user-space programs (checks process(...) probes; docs/userspace.md)")
    group.add_argument("--sysroot", metavar="DIR",
                       help="find the programs and libraries of process(...) probes under DIR (a container "
                            "image, a cross target) instead of /")


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
    reading.add_argument("--warnings-as-errors", action="store_true",
                         help="make every warning an error, as stap -W (a script's `#! stap -W` first line does "
                              "it for that script)")


def overrides_from_arguments(args):
    """What the command line says over the configuration (stapkit.settings.Overrides).

    Commands without some of these options (db has no --arg, parse no --kernel-btf) say nothing there.
    """
    from ..settings import Overrides

    def get(name, default=None):
        return getattr(args, name, default)

    script_args = get("args")
    return Overrides(
        args=tuple(script_args) if script_args is not None else None,
        no_args=bool(get("no_args", False)),
        include=tuple(Path(d) for d in get("include") or ()),
        tapset_dirs=tuple(Path(d) for d in get("tapset_dir") or ()),
        only_target_branches=bool(get("only_target_branches", False)),
        max_file_size=get("max_file_size"),
        guru=bool(get("guru", False)),
        tapset=bool(get("tapset", False)),
        systemtap_version=get("systemtap_version"),
        kernel_version=get("kernel_version"),
        arch=get("arch"),
        runtime=get("runtime"),
        privilege=get("privilege"),
        kernel_config=tuple(get("kernel_config") or ()),
        kernel_btf=get("kernel_btf"),
        warnings_as_errors=bool(get("warnings_as_errors", False)),
    )


def target_from_arguments(args, base: Target | None = None) -> Target:
    """The Target: `base` (from the configuration) changed by the options given.

    Raises ValueError for a bad value."""
    from ..settings import resolve_target

    return resolve_target(overrides_from_arguments(args), base)


def parse_options_from_arguments(args, config=None):
    """ParseOptions from the command line over a configuration file (stapkit.config.Config).

    The resolver is stapkit.settings's, which the language server uses too."""
    from ..settings import resolve_parse_options

    return resolve_parse_options(overrides_from_arguments(args), config)


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("configuration")
    group.add_argument("--config", metavar="FILE",
                       help="use this configuration file for every script, instead of the closest "
                            "stapkit.toml, .stapkit.toml or pyproject.toml [tool.stapkit]")
    group.add_argument("--isolated", action="store_true", help="ignore every configuration file")
