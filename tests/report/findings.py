"""Real diagnostics for the output-format tests: the data scripts of tests/report/data/, linted."""

from __future__ import annotations

from pathlib import Path

from stapkit.diagnostics import LineIndex
from stapkit.lint.runner import LintOptions, lint_file, lint_text
from stapkit.lint.selection import Selection
from stapkit.report.location import Located, locate
from stapkit.semantic.options import CheckOptions
from stapkit.syntax.options import ParseOptions

DATA = Path(__file__).resolve().parent / "data"
TAPSET = DATA / "tapset"
# The codes the data scripts are written for: a rule added later must not change
# the expected outputs.  And only the tests' own macro library: the installed
# SystemTap's must not change the findings either.
CODES = ("STP010", "STP011", "STP101", "STP105", "STP501", "STP502", "STP503", "STP504", "STP505")
OPTIONS = LintOptions(check=CheckOptions(parse=ParseOptions(tapset_roots=(TAPSET,))),
                      selection=Selection(select=CODES))


class Linted:
    """The located diagnostics of some files, and their line indexes (the reporters' `index_for`)."""

    def __init__(self):
        self.items: list[Located] = []
        self.indexes: dict[str, LineIndex] = {}

    def add(self, name: str, shown: str | None = None, text: str | None = None) -> Linted:
        """Lint the data file `name` (or `text` in its place), reporting it as `shown`."""
        shown = shown if shown is not None else name
        if text is None:
            result = lint_file(str(DATA / name), OPTIONS)
        else:
            result = lint_text(text, str(DATA / name), OPTIONS)
        assert result.text is not None
        index = LineIndex(result.text)
        self.indexes[shown] = index
        self.items += [locate(shown, index, d) for d in result.diagnostics]
        return self

    def index_for(self, path: str) -> LineIndex | None:
        return self.indexes.get(path)


def linted(name: str, shown: str | None = None, text: str | None = None) -> Linted:
    return Linted().add(name, shown, text)


def data_text(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")
