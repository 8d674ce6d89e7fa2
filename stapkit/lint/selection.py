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
import re

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


@attrs.frozen
class Selection:
    select: tuple[str, ...] | None = None  # None: the default set
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    # (glob, selectors): codes ignored in files whose path matches the glob.
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def enabled(self, code: str, path: str | None = None) -> bool:
        """Is `code` reported (in the file `path`)?"""
        from .registry import all_rules

        entry = all_rules().get(code)
        if entry is not None and entry.stage != "linter" and entry.severity.value == "error":
            return True  # stap rejects the script: never silenced
        opt_in = code in OPT_IN
        best_on, best_off = -1, -1
        if self.select is None and not opt_in:
            best_on = 0
        for selector in (self.select or ()) + self.extend_select:
            if selector == code or (not opt_in and _matches(selector, code)):
                best_on = max(best_on, _specificity(selector))
        ignores = list(self.ignore)
        if path is not None:
            for pattern, selectors in self.per_file_ignores:
                if _path_matches(pattern, path):
                    ignores += selectors
        for selector in ignores:
            if _matches(selector, code):
                best_off = max(best_off, _specificity(selector))
        return best_on >= 0 and best_on > best_off

    def may_report(self, code: str, path: str | None = None) -> bool:
        """Is it worth running the rule of `code`?  (Suppression comments need every rule run
        that is enabled, so this is `enabled`.)"""
        return self.enabled(code, path)


def _path_matches(pattern: str, path: str) -> bool:
    """A per-file-ignores glob against a path: the whole path, or its trailing parts."""
    normal = path.replace("\\", "/")
    if fnmatch.fnmatch(normal, pattern):
        return True
    parts = normal.split("/")
    return any(fnmatch.fnmatch("/".join(parts[i:]), pattern) for i in range(1, len(parts)))
