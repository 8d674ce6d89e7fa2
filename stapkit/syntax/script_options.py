"""The stap options a script carries on its first line: `#! stap -g --compatible=4.2`.

stap scripts are often run as programs, with a first line naming stap and
its options; the SystemTap testsuite runs every script with the options of
its first line.  stapkit honours the options that change how a script is
read: guru mode (-g), the language version (--compatible), the runtime
(--runtime, --dyninst, --bpf), the target architecture (-a) and kernel
release (-r), the privilege level and extra tapset directories (-I).
"""

from __future__ import annotations

import os
import shlex

import attrs

from .target import Target, kernel_release_fields

# stap's getopt string (cmdline.h STAP_SHORT_OPTIONS): letters followed by ':' take a value.
_SHORT_WITH_VALUE = frozenset("peEoIRramcxDsldLSBJGT")
_SHORT_FLAGS = frozenset("hVvtkgPbuqiwFjW")
_LONG_WITH_VALUE = frozenset({
    "vp", "compatible", "use-http-server", "remote", "tmpdir", "privilege", "modinfo",
    "rlimit-as", "rlimit-cpu", "rlimit-nproc", "rlimit-stack", "rlimit-fsize", "sysroot",
    "sysenv", "runtime", "benchmark-sdt-loops", "benchmark-sdt-threads", "target-namespaces",
})


@attrs.frozen
class ScriptOptions:
    """What the first line says; None/empty where it says nothing."""

    guru: bool = False
    compatible: str | None = None
    runtime: str | None = None
    arch: str | None = None
    kernel_release: str | None = None
    privilege: str | None = None
    include_dirs: tuple[str, ...] = ()
    defines: tuple[str, ...] = ()  # -D NAME=VALUE (for the C compiler)
    last_pass: int | None = None  # -p N
    unoptimized: bool = False  # -u
    warnings: str = "default"  # "off" (-w), "error" (-W) or "default"
    unknown: tuple[str, ...] = ()  # options stapkit does not know

    def apply(self, target: Target) -> Target:
        changes = {}
        if self.compatible:
            changes["systemtap_v"] = self.compatible
        if self.runtime:
            changes["runtime"] = self.runtime
        if self.arch:
            changes["arch"] = self.arch
        if self.kernel_release:
            changes.update(kernel_release_fields(self.kernel_release))
        if self.privilege:
            changes["privilege"] = self.privilege
        if self.guru:
            changes["guru_mode"] = True
        return target.evolve(**changes) if changes else target


def warnings_made_errors(first_line: ScriptOptions | None, asked: bool) -> str | None:
    """Why a file's warnings are errors (stap -W), for messages; None when they are not.
    `asked`: --warnings-as-errors (or the configuration's warnings-as-errors).  A `-w` on the
    first line silences stap's warnings, so none is left to become an error."""
    if first_line is not None and first_line.warnings == "off":
        return None
    if first_line is not None and first_line.warnings == "error":
        return "-W on the script's first line"
    return "--warnings-as-errors" if asked else None


def first_line_options(text: str) -> ScriptOptions | None:
    """The options of a `#! stap ...` first line; None if the script has none."""
    if not text.startswith("#!"):
        return None
    line = text[2 : text.find("\n") if "\n" in text else len(text)].strip()
    try:
        words = shlex.split(line)
    except ValueError:
        words = line.split()
    if not words:
        return None
    command = os.path.basename(words[0])
    if command == "env":
        # `#!/usr/bin/env stap -g` or `#!/usr/bin/env -S stap -g`: skip env's own options.
        words = words[1:]
        while words and words[0].startswith("-"):
            words = words[1:]
        if not words:
            return None
        command = os.path.basename(words[0])
    if command != "stap":
        return None
    return parse_stap_options(words[1:])


def parse_stap_options(words: list[str]) -> ScriptOptions:
    values: dict = {"include_dirs": [], "defines": [], "unknown": []}
    i = 0
    while i < len(words):
        word = words[i]
        i += 1
        if word.startswith("--") and len(word) > 2:
            name, eq, value = word[2:].partition("=")
            if name in _LONG_WITH_VALUE and not eq:
                value = words[i] if i < len(words) else ""
                i += 1
            _long_option(name, value, values)
        elif word.startswith("-") and len(word) > 1:
            j = 1
            while j < len(word):
                letter = word[j]
                j += 1
                if letter in _SHORT_WITH_VALUE:
                    value = word[j:]
                    if not value:
                        value = words[i] if i < len(words) else ""
                        i += 1
                    _short_option(letter, value, values)
                    break
                if letter in _SHORT_FLAGS:
                    _short_option(letter, "", values)
                else:
                    values["unknown"].append("-" + letter)
        else:
            values["unknown"].append(word)
    values["include_dirs"] = tuple(values["include_dirs"])
    values["defines"] = tuple(values["defines"])
    values["unknown"] = tuple(values["unknown"])
    return ScriptOptions(**values)


def _short_option(letter: str, value: str, values: dict) -> None:
    if letter == "g":
        values["guru"] = True
    elif letter == "u":
        values["unoptimized"] = True
    elif letter == "w":
        values["warnings"] = "off"
    elif letter == "W" and values.get("warnings") != "off":
        values["warnings"] = "error"  # -w wins: stap drops a silenced warning before -W sees it
    elif letter == "p":
        values["last_pass"] = int(value) if value.isdigit() else None
    elif letter == "I":
        values["include_dirs"].append(value)
    elif letter == "D":
        values["defines"].append(value)
    elif letter == "a":
        values["arch"] = value
    elif letter == "r":
        # -r is a kernel release, or the path of a kernel build tree.
        if value and "/" not in value:
            values["kernel_release"] = value


def _long_option(name: str, value: str, values: dict) -> None:
    if name == "compatible":
        values["compatible"] = value
    elif name == "runtime":
        values["runtime"] = value
    elif name in ("dyninst", "bpf"):
        values["runtime"] = name
    elif name == "privilege":
        values["privilege"] = value
    elif name == "unprivileged":
        values["privilege"] = "stapusr"
