"""`stapkit config [PATH]`: the settings that apply to a file or directory, and where they come from.

The configuration file found for PATH (or the current directory) is read and
checked as `lint` and `format` read it, then merged with the defaults, so
what is printed is what a run would use (command-line options aside).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from . import exit_codes
from .files import error


def add_arguments(parser) -> None:
    parser.add_argument("path", nargs="?", default=".", metavar="PATH",
                        help="a script or directory whose settings to show (default: the current directory)")
    parser.add_argument("--config", metavar="FILE", help="show this configuration file's settings instead")
    parser.add_argument("--output-format", choices=("text", "json"), default="text",
                        help="text (TOML, as it would be written; default) or json")


def effective_settings(config) -> dict:
    """Every setting's value: from the configuration file where it sets one, else the default."""
    from ..format.layout import Style
    from ..syntax.source import DEFAULT_MAX_FILE_SIZE
    from ..syntax.target import Target
    from ..syntax.tapset_path import default_tapset_root

    target = config.apply_target(Target()) if config is not None else Target()
    if "systemtap_v" not in (config.target if config is not None else {}):  # the installed release, or the newest
        from ..settings import default_systemtap_version

        target = target.evolve(systemtap_v=default_systemtap_version()[0])
    style = Style()
    get = (lambda name, default: default if config is None or getattr(config, name) in (None, ())
           else getattr(config, name))
    root = default_tapset_root()
    tapset_dirs = get("tapset_dirs", None)
    indent = get("format_indent", style.indent)
    return {
        "guru": get("guru", False),
        "tapset-dirs": [str(d) for d in tapset_dirs] if tapset_dirs is not None else ([str(root)] if root else []),
        "include": [str(d) for d in get("include", ())],
        "check-all-branches": get("check_all_branches", True),
        "max-file-size": get("max_file_size", DEFAULT_MAX_FILE_SIZE),
        "select": list(config.select) if config is not None and config.select is not None else None,
        "extend-select": list(get("extend_select", ())),
        "ignore": list(get("ignore", ())),
        "per-file-ignores": {glob: list(codes) for glob, codes in get("per_file_ignores", ())},
        "exclude": list(get("exclude", ())),
        "fail-on": get("fail_on", "warning"),
        "warnings-as-errors": get("warnings_as_errors", False),
        "kernel-btf": get("kernel_btf", None),
        "kernel-symbols": get("kernel_symbols", None),
        "sysroot": get("sysroot", None),
        "target": {
            "systemtap-version": target.systemtap_v,
            "kernel-version": target.kernel_vr,
            "arch": target.arch,
            "runtime": target.runtime,
            "privilege": target.privilege,
            "kernel-config": dict(sorted(target.kernel_config.items())),
        },
        "format": {
            "indent": "tab" if indent == "\t" else len(indent),
            "line-length": get("format_line_length", style.line_length),
        },
    }


def run(args) -> int:
    from ..config import ConfigError, find_config, load_config

    if args.config:
        found = Path(args.config)
        if not found.is_file():
            error(f"cannot read '{args.config}': No such file")
            return exit_codes.ERROR
    else:
        start = Path(args.path)
        if not start.exists():
            error(f"cannot read '{args.path}': No such file or directory")
            return exit_codes.ERROR
        found = find_config(start)
    try:
        config = load_config(found) if found is not None else None
    except ConfigError as err:
        error(str(err))
        return exit_codes.ERROR
    settings = effective_settings(config)
    source = str(found) if found is not None else None
    why = _systemtap_version_reason(config, source)
    out = sys.stdout
    if args.output_format == "json":
        json.dump({"file": source, "settings": settings, "systemtap-version-from": why}, out, indent=2)
        out.write("\n")
        return exit_codes.SUCCESS
    out.write(f"# from {source}\n" if source else "# no configuration file: the defaults\n")
    out.write(f"# target.systemtap-version: {why}\n")
    out.write(_toml(settings))
    return exit_codes.SUCCESS


def _systemtap_version_reason(config, source) -> str:
    """Why the target is the SystemTap release it is (the configuration, or the default's reason)."""
    if config is not None and "systemtap_v" in config.target:
        return f"set in {source}"
    from ..settings import default_systemtap_version

    return default_systemtap_version()[1] + " (--systemtap-version or [target] systemtap-version to change it)"


def _toml(settings: dict) -> str:
    """The settings as TOML a person could paste into stapkit.toml (None: left out, as a comment)."""
    lines = []
    tables = []
    for key, value in settings.items():
        if isinstance(value, dict) and key != "per-file-ignores":
            tables.append((key, value))
        elif value is None:
            lines.append(f"# {key}: " + ("the default set of rules" if key == "select" else "none"))
        else:
            lines.append(f"{key} = {_value(value)}")
    while tables:
        name, table = tables.pop(0)
        lines.append("")
        lines.append(f"[{name}]")
        for key, value in table.items():
            if isinstance(value, dict):
                tables.insert(0, (f"{name}.{key}", value))  # a sub-table, after this one
            else:
                lines.append(f"{key} = {_value(value)}")
    return "\n".join(lines) + "\n"


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_value(v)}" for k, v in value.items()) + " }" if value else "{}"
    raise TypeError(type(value))
