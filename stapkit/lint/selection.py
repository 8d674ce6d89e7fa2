"""Which codes a run reports: --select, --extend-select, --ignore and per-file-ignores.

A selector is a code (`STP501`) or a prefix of one (`STP5`, `STP50`, `STP`);
`ALL` means every code.  As in ruff, the most specific selector wins: with
`select = ["STP5"]` and `ignore = ["STP50"]`, STP501 is off and STP510 on;
`--ignore STP5 --select STP501` keeps STP501.  When specificity ties,
ignore wins.

By default every code is on except the opt-in ones (OPT_IN below): rules that
are right but noisy on ordinary scripts, which a team turns on by name.
Errors of the parser and the checker (a script stap would reject) cannot be
turned off: they are reported whatever the selection says, as ruff reports
syntax errors.
"""

from __future__ import annotations

import fnmatch
import os
import re
from pathlib import Path

import attrs

_SELECTOR = re.compile(r"STP\d{0,3}|ALL")

# Codes that are off unless selected by their full code.
OPT_IN: frozenset[str] = frozenset()


class SelectorError(ValueError):
    pass


def check_selector(text: str) -> str:
    """A selector, upper-cased; raises SelectorError for anything else."""
    value = text.strip().upper()
    if not _SELECTOR.fullmatch(value):
        raise SelectorError(f"'{text}' is not a rule code or prefix (such as STP501, STP5 or ALL)")
    return value


def _specificity(selector: str) -> int:
    return 0 if selector == "ALL" else len(selector)


def _matches(selector: str, code: str) -> bool:
    return selector == "ALL" or code.startswith(selector)


def never_silenced(code: str, stage: str, severity: str) -> bool:
    """An error of the parser or the checker: stap rejects the script, so no selection or
    suppression hides it.  Except what a kernel description found: that holds for the kernel
    given, and a script may be meant for others too."""
    from ..semantic.codes import KERNEL_DEPENDENT

    return stage != "linter" and severity == "error" and code not in KERNEL_DEPENDENT


@attrs.frozen
class Selection:
    select: tuple[str, ...] | None = None  # None: the default set
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def enabled(self, code: str) -> bool:
        """Is `code` reported?"""
        from .registry import all_rules

        entry = all_rules().get(code)
        if entry is not None and never_silenced(code, entry.stage, entry.severity.value):
            return True
        opt_in = code in OPT_IN
        best_on, best_off = -1, -1
        if self.select is None and not opt_in:
            best_on = 0
        for selector in (self.select or ()) + self.extend_select:
            if selector == code or (not opt_in and _matches(selector, code)):
                best_on = max(best_on, _specificity(selector))
        for selector in self.ignore:
            if _matches(selector, code):
                best_off = max(best_off, _specificity(selector))
        return best_on >= 0 and best_on > best_off



def for_file(config, path: str | None, *, select: tuple[str, ...] = (), extend_select: tuple[str, ...] = (),
             ignore: tuple[str, ...] = ()) -> Selection:
    """The selection for one file: its configuration's (a stapkit.config.Config, or None), with
    the command line's selectors added; the configuration's per-file-ignores whose glob matches
    the file's path (from the configuration file's directory) join `ignore`."""
    if config is None:
        return Selection(select=select or None, extend_select=extend_select, ignore=ignore)
    per_file: tuple[str, ...] = ()
    if path and config.per_file_ignores:
        where = Path(path)
        base = config.path.parent if config.path is not None else Path.cwd()
        try:
            relative = os.path.relpath(where.resolve(), base.resolve()).replace(os.sep, "/")
        except ValueError:  # on another drive
            relative = where.as_posix()
        per_file = tuple(code for glob, codes in config.per_file_ignores
                         if _path_matches(glob, relative) for code in codes)
    return Selection(select=select or config.select, extend_select=tuple(config.extend_select) + extend_select,
                     ignore=tuple(config.ignore) + per_file + ignore)


def _path_matches(pattern: str, path: str) -> bool:
    """A per-file-ignores glob against a path: the whole path, or its trailing parts."""
    normal = path.replace("\\", "/")
    if fnmatch.fnmatch(normal, pattern):
        return True
    parts = normal.split("/")
    return any(fnmatch.fnmatch("/".join(parts[i:]), pattern) for i in range(1, len(parts)))
