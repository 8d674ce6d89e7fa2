"""The GitHub Actions output: one workflow command a diagnostic, which the runner
turns into an annotation on the file (in the pull request's diff and the run's summary).

    ::error file=probe.stp,line=6,col=18,endLine=6,endColumn=25,title=STP101 unresolved-function::unresolved ...

* `error`, `warning` and `info` diagnostics become `::error`, `::warning` and
  `::notice` commands.
* The title is the code and the rule's name.  The message is the diagnostic's
  message, then one line for each hint (`hint: ...`) and for each related
  place (`note: message (file:line:column)`); an annotation shows every line.
* Lines and columns are 1-based; `endColumn` is the column after the last
  character, as in the other outputs and in SARIF (GitHub's documentation does
  not say whether its end column is inclusive).  GitHub takes columns only
  for a range on one line (its check-run annotations reject them otherwise), so
  a range over several lines gets `line` and `endLine` alone, and an empty
  range gets `col` without `endColumn`.
* Escaping follows GitHub's toolkit (actions/toolkit, core's command.ts): in
  the message `%`, CR and LF become `%25`, `%0D` and `%0A`; in the properties
  (file, title) `:` and `,` become `%3A` and `%2C` as well.
* Paths are written as given; the runner matches them to the repository's
  files relative to the workspace, so run stapkit from the checkout's root.

GitHub makes annotations of only the first commands of a step (ten errors and
ten warnings a step, fifty a job, when this was written); the others stay in
the log.  For every finding in GitHub's own view, upload `--output-format sarif`
to code scanning instead.
"""

from __future__ import annotations

from ..diagnostics import Severity
from .concise import locate_related
from .location import Located

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render_github(items: list[Located], index_for=None) -> str:
    """The workflow commands for `items`, one line each ("" for none).

    `index_for(path)` gives the LineIndex of a file, to say where the related
    places in it are; without it those places are named without a position."""
    from ..lint.registry import all_rules

    rules = all_rules()
    lines = []
    for item in items:
        d = item.diagnostic
        entry = rules.get(d.code)
        title = f"{d.code} {entry.name}" if entry is not None else d.code
        properties = [("file", item.path), ("line", item.line)]
        if item.end_line == item.line:
            properties.append(("col", item.column))
            if item.end_column > item.column:
                properties += [("endLine", item.end_line), ("endColumn", item.end_column)]
        else:
            properties.append(("endLine", item.end_line))
        properties.append(("title", title))
        written = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties)
        lines.append(f"::{COMMANDS[d.severity]} {written}::{escape_data(_message(item, index_for))}")
    return "".join(line + "\n" for line in lines)


def _message(item: Located, index_for) -> str:
    d = item.diagnostic
    parts = [d.message]
    parts += [f"hint: {hint}" for hint in d.hints]
    for related in d.related:
        place = locate_related(item, related, index_for)
        where = f"{place.path}:{place.line}:{place.column}" if place is not None else (related.path or item.path)
        parts.append(f"note: {related.message} ({where})")
    return "\n".join(parts)


def escape_data(text: str) -> str:
    """A command's message: the runner decodes these three and nothing else."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property's value: also ':' and ',', which end a property or the list of them."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
