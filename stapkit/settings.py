"""How a script is read: the configuration file's settings, then what the user says over them.

One resolver for every front end: the command line (`stapkit.cli.target_options` turns its
options into `Overrides`) and the language server (its client's settings), so that an editor
checks a file exactly as `stapkit lint` does.  It knows nothing of argparse or of the LSP.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from .config import Config
    from .syntax.options import ParseOptions
    from .syntax.target import Target


@attrs.frozen
class Overrides:
    """What a front end says over the configuration file; the defaults say nothing.

    The names are the command line's (the messages name its options).
    """

    args: tuple[str, ...] | None = None  # the script's arguments ($1, @1, ...); None: placeholders
    no_args: bool = False  # the script is run without arguments
    include: tuple[Path, ...] = ()  # -I directories, after the configuration's
    tapset_dirs: tuple[Path, ...] = ()  # the library roots, instead of the configuration's
    only_target_branches: bool = False
    max_file_size: int | None = None
    guru: bool = False
    tapset: bool = False  # read as tapset library files
    systemtap_version: str | None = None
    kernel_version: str | None = None
    arch: str | None = None
    runtime: str | None = None
    privilege: str | None = None
    kernel_config: tuple[str, ...] = ()  # CONFIG_X=VALUE items (an empty VALUE unsets it)
    kernel_btf: str | None = None  # a kernel description, over the configuration's kernel-btf
    sysroot: str | None = None  # where process(...) programs are found, over the configuration's sysroot
    warnings_as_errors: bool = False  # stap -W: every warning is an error


def resolve_target(overrides: Overrides, base: "Target | None" = None) -> "Target":
    """The Target: `base` (from the configuration) changed by the overrides.  Raises ValueError."""
    from .syntax.target import Target, is_kernel_release, is_version, kernel_release_fields

    changes = {}
    if overrides.systemtap_version and not is_version(overrides.systemtap_version):
        raise ValueError(f"--systemtap-version expects a version such as 4.8, not {overrides.systemtap_version!r}")
    if overrides.kernel_version and not is_kernel_release(overrides.kernel_version):
        raise ValueError(f"--kernel-version expects a kernel release such as 6.1.0-13-amd64, "
                         f"not {overrides.kernel_version!r}")
    if overrides.systemtap_version:
        changes["systemtap_v"] = overrides.systemtap_version
    if overrides.kernel_version:
        changes.update(kernel_release_fields(overrides.kernel_version))
    if overrides.arch:
        changes["arch"] = overrides.arch
    if overrides.runtime:
        changes["runtime"] = overrides.runtime
    if overrides.privilege:
        changes["privilege"] = overrides.privilege
    target = base or Target()
    if overrides.kernel_config:
        config = dict(target.kernel_config)
        for item in overrides.kernel_config:
            name, eq, value = item.partition("=")
            if not eq or not name.startswith("CONFIG_"):
                raise ValueError(f"--kernel-config expects CONFIG_NAME=VALUE, not {item!r}")
            if value:
                config[name] = value
            else:
                config.pop(name, None)
        changes["kernel_config"] = config
    return target.evolve(**changes) if changes else target


def resolve_sysroot(overrides: Overrides, config: "Config | None" = None) -> str | None:
    """The directory the programs of process(...) points are found under (None: this machine's
    root), from --sysroot over the configuration's `sysroot`.  Raises ValueError."""
    import os

    given = overrides.sysroot
    value = given or (config.sysroot if config is not None else None)
    if not value:
        return None
    if not os.path.isdir(value):
        where = "--sysroot" if given else "sysroot"
        raise ValueError(f"{where}: {value} is not a directory")
    return os.path.abspath(value)


def resolve_parse_options(overrides: Overrides, config: "Config | None" = None) -> "ParseOptions":
    """ParseOptions from the overrides over a configuration file's settings.  Raises ValueError."""
    from .syntax.options import ParseOptions
    from .syntax.source import DEFAULT_MAX_FILE_SIZE
    from .syntax.target import Target

    if overrides.args is not None and overrides.no_args:
        raise ValueError("--arg and --no-args cannot be used together")
    script_args = tuple(overrides.args) if overrides.args is not None else (() if overrides.no_args else None)
    base = config.apply_target(Target()) if config is not None else None

    roots = None
    configured = config.tapset_dirs if config is not None else None
    include = list(config.include) if config is not None else []
    include += [Path(d) for d in overrides.include]
    if overrides.tapset_dirs or configured or include:
        from .syntax.tapset_path import default_tapset_root

        base_roots = [Path(d) for d in overrides.tapset_dirs] or list(configured or [])
        if not base_roots and (default := default_tapset_root()) is not None:
            base_roots = [default]
        roots = tuple(base_roots + include)
    check_all = not overrides.only_target_branches
    if check_all and config is not None and config.check_all_branches is not None:
        check_all = config.check_all_branches
    max_size = overrides.max_file_size or (config.max_file_size if config is not None else None)
    target = _kernel_described_target(overrides, config, resolve_target(overrides, base))
    if not overrides.systemtap_version and "systemtap_v" not in (config.target if config is not None else {}):
        target = target.evolve(systemtap_v=default_systemtap_version()[0])
    return ParseOptions(
        target=target,
        guru=overrides.guru or bool(config is not None and config.guru),
        args=script_args,
        tapset=overrides.tapset,
        tapset_roots=roots,
        check_all_branches=check_all,
        max_file_size=max_size or DEFAULT_MAX_FILE_SIZE,
        warnings_as_errors=overrides.warnings_as_errors or bool(config is not None and config.warnings_as_errors),
    )


def default_systemtap_version() -> tuple[str, str]:
    """The SystemTap release checked for when neither the command line nor the configuration names one,
    and why: the installed stap's, else the installed tapset library's, else the newest (tapsets.installed)."""
    from .tapsets.installed import default_release

    return default_release()


def _kernel_described_target(overrides: Overrides, config, target):
    """A kernel description for a known release and arch (`running`, a saved file) is the target
    of the %( kernel_v %) and %( arch %) conditions too, unless those were given."""
    from .kernel.loading import described_target

    btf = overrides.kernel_btf or (config.kernel_btf if config is not None else None)
    release, arch = described_target(btf)
    configured = config.target if config is not None else {}
    changes = {}
    if release and not overrides.kernel_version and "kernel_vr" not in configured:
        from .syntax.target import is_kernel_release, kernel_release_fields

        if is_kernel_release(release):
            changes.update(kernel_release_fields(release))
    if arch and not overrides.arch and "arch" not in configured:
        changes["arch"] = arch
    return target.evolve(**changes) if changes else target


def file_options(options: "ParseOptions", path: str | None) -> "ParseOptions":
    """The options of one file: a file under a tapset root is read as the library's, a `.stpm` file as
    macro definitions.  For no path (stdin, an unsaved document) nothing changes: the caller knows
    the name it shows (--stdin-filename)."""
    from .syntax.tapset_path import in_tapset_library

    if not path or path == "-":
        return options
    changes = {}
    if options.macro_file is None:
        changes["macro_file"] = path.endswith(".stpm")
    if not options.tapset and in_tapset_library(path, options.tapset_roots):
        changes["tapset"] = True
    return attrs.evolve(options, **changes) if changes else options
