"""Project configuration: `[tool.stapkit]` in pyproject.toml, or stapkit.toml / .stapkit.toml.

For each script, the closest configuration file in its directory or a parent
directory applies (in a directory, stapkit.toml comes before .stapkit.toml,
which comes before pyproject.toml, and a pyproject.toml counts only if it has
a [tool.stapkit] table).  Options given on the command line win over the file.

    [tool.stapkit]                 # (in stapkit.toml: no table header, or [stapkit])
    guru = false                   # guru mode for every script (like stap -g)
    tapset-dirs = ["/opt/st/tapset"]   # the tapset library root(s), instead of the local one
    include = ["tapsets"]          # extra tapset directories (like stap -I); relative to the file
    check-all-branches = true      # check the %( %) branches the target does not take
    max-file-size = 8388608        # refuse larger files (bytes)
    line-length = 100              # for the formatter (and [format] line-length wins)

    # the linter: which codes, where (a code, a prefix such as "STP5", or "ALL")
    select = ["ALL"]               # instead of the default set
    extend-select = ["STP5"]       # added to it
    ignore = ["STP504"]
    per-file-ignores = { "tapsets/*.stp" = ["STP502"] }
    exclude = ["build/", "*.generated.stp"]   # gitignore-style, from this file's directory
    fail-on = "warning"            # the lowest severity that makes `lint` exit 1
    warnings-as-errors = false     # every warning an error, as stap -W

    # the kernel to check kernel probes and $variables against (docs/kernel.md)
    kernel-btf = "kernels/6.1.0-13-amd64.stpk"   # BTF, a vmlinux, a saved description, or "running"
    kernel-symbols = "kernels/System.map-6.1.0-13-amd64"
    # where the programs of process(...) probes are found (a container image, a cross target;
    # docs/userspace.md)
    sysroot = "images/rootfs"

    [tool.stapkit.target]          # what %( %) conditionals compare against
    systemtap-version = "4.8"
    kernel-version = "5.14.0-284.el9.x86_64"
    arch = "x86_64"
    runtime = "kernel"             # kernel, dyninst or bpf
    privilege = "stapdev"          # stapusr, stapsys or stapdev
    kernel-config = { CONFIG_NFSD = "m" }

An unknown key or a value of the wrong kind is an error that names the key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from .errors import UserError
from .syntax.target import PRIVILEGES, RUNTIMES, Target, is_kernel_release, is_version, kernel_release_fields

CONFIG_NAMES = ("stapkit.toml", ".stapkit.toml", "pyproject.toml")


class ConfigError(UserError):
    """A configuration file that cannot be used; the message names the file and key."""


# No configuration file comes near this: a larger one is refused rather than read.
MAX_CONFIG_SIZE = 1024 * 1024


@attrs.frozen
class Config:
    path: Path | None = None  # the file it came from
    guru: bool | None = None
    tapset_dirs: tuple[Path, ...] | None = None
    include: tuple[Path, ...] = ()
    check_all_branches: bool | None = None
    max_file_size: int | None = None
    target: dict[str, Any] = attrs.field(factory=dict)  # Target field name -> value
    format_indent: str | None = None  # [format] indent: "tab" or a number of spaces, as text of one level
    format_line_length: int | None = None  # [format] line-length, else the top-level line-length
    format_brace_style: str | None = None  # [format] brace-style: "attach" or "linux"
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (glob relative to the file's directory, codes)
    exclude: tuple[str, ...] = ()  # gitignore-style patterns, relative to the file's directory
    fail_on: str | None = None  # "error", "warning" or "info"
    kernel_btf: str | None = None  # a path (made absolute from the file's directory) or "running"
    kernel_symbols: str | None = None
    sysroot: str | None = None  # a directory (made absolute from the file's directory): where process(...) programs are
    warnings_as_errors: bool | None = None  # stap -W for every script

    def apply_target(self, target: Target) -> Target:
        return target.evolve(**self.target) if self.target else target


_TOP_KEYS = {"guru", "tapset-dirs", "include", "check-all-branches", "max-file-size", "target", "format",
             "line-length", "select", "extend-select", "ignore", "per-file-ignores", "exclude", "fail-on",
             "kernel-btf", "kernel-symbols", "sysroot", "warnings-as-errors"}
FAIL_ON = ("error", "warning", "info")
_FORMAT_KEYS = {"indent", "line-length", "brace-style"}
_TARGET_KEYS = {
    "systemtap-version": "systemtap_v",
    "kernel-version": "kernel_vr",
    "arch": "arch",
    "runtime": "runtime",
    "privilege": "privilege",
    "kernel-config": "kernel_config",
}


def find_config(start: Path) -> Path | None:
    """The closest configuration file at or above `start` (a directory or a file)."""
    directory = start if start.is_dir() else start.parent
    directory = directory.resolve()
    for folder in (directory, *directory.parents):
        for name in CONFIG_NAMES:
            candidate = folder / name
            if candidate.is_file() and (name != "pyproject.toml" or _has_stapkit_table(candidate)):
                return candidate
    return None


def _has_stapkit_table(pyproject: Path) -> bool:
    import tomllib

    try:
        with open(pyproject, "rb") as f:
            data = tomllib.load(f)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False  # not one stapkit can read: not its configuration
    return isinstance(data.get("tool"), dict) and "stapkit" in data["tool"]


def load_config(path: Path) -> Config:
    """Read and check one configuration file.  Raises ConfigError."""
    import tomllib

    from .fileio import FileError, read_bytes

    try:
        raw = read_bytes(str(path), MAX_CONFIG_SIZE)
    except FileError as err:
        raise ConfigError(f"{path}: cannot read: {err.reason}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        column = len(raw[raw.rfind(b"\n", 0, err.start) + 1:err.start].decode("utf-8", "replace")) + 1
        raise ConfigError(f"{path}:{line}:{column}: not valid TOML: TOML files are UTF-8, and byte "
                          f"0x{raw[err.start]:02x} is not") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from None
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("stapkit", {})
        prefix = "tool.stapkit."
    else:
        table = data.get("stapkit", data)
        prefix = ""
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{prefix.rstrip('.') or 'stapkit'}] must be a table")
    return config_from_table(path, table, prefix)


def config_from_table(path: Path, table: dict, prefix: str) -> Config:
    """The configuration a table holds, every key checked; `path` is the file it came from
    (relative paths count from its directory; messages name it with the key, after `prefix`)."""
    def fail(key: str, problem: str):
        raise ConfigError(f"{path}: {prefix}{key}: {problem}")

    for key in table:
        if key not in _TOP_KEYS:
            fail(key, f"unknown key (known: {', '.join(sorted(_TOP_KEYS))})")
    base = path.parent
    values: dict[str, Any] = {"path": path}
    if "guru" in table:
        values["guru"] = _bool(table["guru"], lambda p: fail("guru", p))
    if "warnings-as-errors" in table:
        values["warnings_as_errors"] = _bool(table["warnings-as-errors"], lambda p: fail("warnings-as-errors", p))
    if "check-all-branches" in table:
        values["check_all_branches"] = _bool(table["check-all-branches"],
                                             lambda p: fail("check-all-branches", p))
    if "max-file-size" in table:
        size = table["max-file-size"]
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            fail("max-file-size", "must be a positive number of bytes")
        values["max_file_size"] = size
    for key, field in (("tapset-dirs", "tapset_dirs"), ("include", "include")):
        if key in table:
            dirs = table[key]
            if not isinstance(dirs, list) or not all(isinstance(d, str) for d in dirs):
                fail(key, "must be a list of directory names")
            values[field] = tuple((base / d) for d in dirs)
    if "line-length" in table:
        values["format_line_length"] = _line_length(table["line-length"], lambda p: fail("line-length", p))
    for key, field in (("select", "select"), ("extend-select", "extend_select"), ("ignore", "ignore")):
        if key in table:
            values[field] = _selectors(table[key], lambda p, key=key: fail(key, p))
    if "per-file-ignores" in table:
        table_value = table["per-file-ignores"]
        if not isinstance(table_value, dict):
            fail("per-file-ignores", 'must be a table of "glob" = ["CODE", ...]')
        values["per_file_ignores"] = tuple(
            (glob, _selectors(codes, lambda p, glob=glob: fail(f"per-file-ignores.{glob}", p)))
            for glob, codes in table_value.items())
    if "exclude" in table:
        patterns = table["exclude"]
        if not isinstance(patterns, list) or not all(isinstance(p, str) and p for p in patterns):
            fail("exclude", "must be a list of gitignore-style patterns")
        values["exclude"] = tuple(patterns)
    if "fail-on" in table:
        if table["fail-on"] not in FAIL_ON:
            fail("fail-on", f"must be one of {', '.join(FAIL_ON)}")
        values["fail_on"] = table["fail-on"]
    for key, field in (("kernel-btf", "kernel_btf"), ("kernel-symbols", "kernel_symbols")):
        if key in table:
            value = table[key]
            if not isinstance(value, str) or not value:
                fail(key, "must be a file name" + (' or "running"' if key == "kernel-btf" else ""))
            values[field] = value if (value == "running" and key == "kernel-btf") else str(base / value)
    if "sysroot" in table:
        if not isinstance(table["sysroot"], str) or not table["sysroot"]:
            fail("sysroot", "must be a directory name")
        values["sysroot"] = str(base / table["sysroot"])
    if "target" in table:
        values["target"] = _check_target(table["target"], lambda key, p: fail("target." + key, p))
    if "format" in table:
        values.update(_check_format(table["format"], lambda key, p: fail("format." + key, p)))
    return Config(**values)


def _check_format(table, fail) -> dict[str, Any]:
    if not isinstance(table, dict):
        fail("", "must be a table")
    for key in table:
        if key not in _FORMAT_KEYS:
            fail(key, f"unknown key (known: {', '.join(sorted(_FORMAT_KEYS))})")
    values: dict[str, Any] = {}
    if "indent" in table:
        values["format_indent"] = indent_text(table["indent"], lambda p: fail("indent", p))
    if "line-length" in table:
        values["format_line_length"] = _line_length(table["line-length"], lambda p: fail("line-length", p))
    if "brace-style" in table:
        if table["brace-style"] not in ("attach", "linux"):
            fail("brace-style", 'must be "attach" or "linux"')
        values["format_brace_style"] = table["brace-style"]
    return values


def _line_length(length, fail) -> int:
    if not isinstance(length, int) or isinstance(length, bool) or not 20 <= length <= 1000:
        fail("must be a number of characters from 20 to 1000")
    return length


def _selectors(value, fail) -> tuple[str, ...]:
    from .lint.selection import SelectorError, check_selector

    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        fail('must be a list of rule codes or prefixes, such as ["STP501", "STP4"]')
    try:
        return tuple(check_selector(v) for v in value)
    except SelectorError as err:
        fail(str(err))
        raise AssertionError from None  # fail raises


def indent_text(value, fail) -> str:
    """One level of indentation from `"tab"` or a number of spaces (1 to 16)."""
    if value == "tab":
        return "\t"
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 16:
        return " " * value
    fail('must be "tab" or a number of spaces from 1 to 16')
    raise AssertionError  # fail raises


def _bool(value, fail) -> bool:
    if not isinstance(value, bool):
        fail("must be true or false")
    return value


def _check_target(table, fail) -> dict[str, Any]:
    if not isinstance(table, dict):
        fail("", "must be a table")
    target: dict[str, Any] = {}
    for key, value in table.items():
        if key not in _TARGET_KEYS:
            fail(key, f"unknown key (known: {', '.join(sorted(_TARGET_KEYS))})")
        if key == "kernel-config":
            if not isinstance(value, dict) or not all(
                    isinstance(k, str) and k.startswith("CONFIG_") and isinstance(v, (str, int))
                    for k, v in value.items()):
                fail(key, 'must be a table of CONFIG_NAME = "value"')
            config = dict(Target().kernel_config)
            for name, setting in value.items():
                if setting == "":
                    config.pop(name, None)
                else:
                    config[name] = str(setting)
            target["kernel_config"] = config
            continue
        if not isinstance(value, str) or not value:
            fail(key, "must be a non-empty string")
        if key == "systemtap-version" and not is_version(value):
            fail(key, "must be a version such as \"4.8\"")
        if key == "kernel-version" and not is_kernel_release(value):
            fail(key, "must be a kernel release such as \"6.1.0-13-amd64\"")
        if key == "runtime" and value not in RUNTIMES:
            fail(key, f"must be one of {', '.join(RUNTIMES)}")
        if key == "privilege" and value not in PRIVILEGES:
            fail(key, f"must be one of {', '.join(PRIVILEGES)}")
        if key == "kernel-version":
            target.update(kernel_release_fields(value))
        else:
            target[_TARGET_KEYS[key]] = value
    return target
