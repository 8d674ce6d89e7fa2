"""The SARIF output: a SARIF 2.1.0 log, the format GitHub code scanning (and other
result viewers) read.  One run of the tool "stapkit"; what goes where:

* tool.driver.rules: one reportingDescriptor for each code that the results
  use, sorted by code (GitHub needs the metadata of the alerts it shows, and a
  rule list of every code would only make the file bigger): id (the code), name,
  shortDescription (the rule's summary), fullDescription (the "What it finds"
  section of its page when `rule_help` gives the page, else the summary), help
  (the page, else the summary and where to read it), helpUri (only once stapkit
  is published: PUBLISHED_RULE_PAGES_URL + CODE + ".md"; a file: URI of the
  machine that made the log would mean nothing where it is read),
  defaultConfiguration.level, and
  properties: tags (the stage that reports the code: parser, checker, linter)
  and problem.severity (error, warning or recommendation), which GitHub uses to
  order alerts.
* results, in the order given: ruleId and ruleIndex; level (error, warning;
  info is SARIF's "note"); message.text, the message followed by one line for
  each hint ("hint: ...") and for each related place ("note: [message](id)",
  SARIF's embedded link to the related location with that id: GitHub links
  to related places only from the message); one location; relatedLocations (ids
  from 1, each with its message); fixes (the diagnostic's fix as replacements:
  deletedRegion, and insertedContent unless the edit only deletes; its
  applicability in the fix's properties); partialFingerprints.
* Regions are 1-based lines and columns, the end column exclusive (the same as
  stapkit's), in Unicode code points (run.columnKind "unicodeCodePoints") and
  with lines ended by "\\n" only (run.newlineSequences), as stapkit counts them.
  Where a file's text is not known, a fix's region is given by character offset
  and length instead, and a related place has no region.
* Paths: a file under the working directory becomes a relative URI
  reference (percent-encoded, "/"-separated) with uriBaseId "%SRCROOT%", and
  run.originalUriBaseIds says %SRCROOT% is the working directory (a file://
  URI).  GitHub reads relative paths from the repository's root, so run stapkit
  there.  A file elsewhere becomes an absolute file:// URI.
* partialFingerprints.primaryLocationLineHash, which GitHub uses to recognise
  an alert again in a later commit: the first 16 hex digits of the SHA-256 of
  "CODE\0LINE" (UTF-8), LINE being the text of the line the diagnostic starts
  on with all whitespace removed, then ":N", N counting the findings of the file
  with that same hash (1 for the first, in the order of their positions).  So a
  finding keeps its fingerprint when lines are added above it or its line is
  re-indented, and gets a new one when its line changes.  With no text for the
  file, the message stands for the line.  The line number is left out on
  purpose: GitHub's upload action computes this value only for a result that
  has none, and a line number in it would make every edit above a finding
  close its alert and open a new one.

GitHub's limits (when this was written): 25,000 results a run of which it
shows 5,000, 10 MB of gzip-compressed SARIF a file; it uses only the first
location of a result.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from pathlib import Path
from urllib.parse import quote_from_bytes

from .. import __version__
from .. import PROJECT_URL, PUBLISHED_RULE_PAGES_URL  # None until stapkit is published (stapkit/__init__.py)
from ..diagnostics import Fix, LineIndex, Severity
from .concise import locate_related
from .location import Located

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


SOURCE_ROOT = "%SRCROOT%"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
PROBLEM_SEVERITIES = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "recommendation"}
DESCRIPTION_LIMIT = 1024  # the most characters GitHub takes of a short or full description

_SEMANTIC_VERSION = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")


def render_sarif(items: list[Located], index_for=None, *, working_directory: str | None = None,
                 rule_help=None) -> str:
    """The SARIF log for `items`, as JSON text ending in a newline.

    `index_for(path)` gives the LineIndex of a file (for fixes, related places
    and fingerprints); `working_directory` is what relative URIs are relative
    to (default: the current directory); `rule_help(code)` gives a rule's page
    in Markdown, or None."""
    return json.dumps(sarif_log(items, index_for, working_directory=working_directory, rule_help=rule_help),
                      indent=2) + "\n"


def sarif_log(items: list[Located], index_for=None, *, working_directory: str | None = None,
              rule_help=None) -> dict:
    """The SARIF log for `items`, as a JSON-ready dict (see render_sarif)."""
    from ..lint.registry import all_rules

    root = os.path.abspath(working_directory if working_directory is not None else os.getcwd())
    index_for = index_for or (lambda path: None)
    codes = sorted({item.diagnostic.code for item in items})
    rule_index = {code: i for i, code in enumerate(codes)}
    entries = all_rules()
    rules = [_rule(code, entries.get(code), rule_help) for code in codes]
    fingerprints = _line_hashes(items, index_for)
    results = [_result(item, rule_index[item.diagnostic.code], fingerprint, index_for, root)
               for item, fingerprint in zip(items, fingerprints)]
    driver = {"name": "stapkit", "version": __version__}
    if _SEMANTIC_VERSION.fullmatch(__version__):
        driver["semanticVersion"] = __version__
    if PROJECT_URL:
        driver["informationUri"] = PROJECT_URL
    driver["rules"] = rules
    run = {
        "tool": {"driver": driver},
        "originalUriBaseIds": {SOURCE_ROOT: {"uri": _directory_uri(root)}},
        "columnKind": "unicodeCodePoints",
        "newlineSequences": ["\n"],
        "results": results,
    }
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def artifact_location(path: str, root: str) -> dict:
    """The artifactLocation of a path: relative to `root` (an absolute directory)
    with uriBaseId %SRCROOT% when the file is under it, else a file:// URI."""
    absolute = os.path.normpath(os.path.join(root, path))
    relative = os.path.relpath(absolute, root)
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return {"uri": Path(absolute).as_uri()}
    # os.fsencode: a file name that is not valid UTF-8 arrives with surrogate
    # escapes, and its URI carries its original bytes.
    return {"uri": quote_from_bytes(os.fsencode(relative.replace(os.sep, "/")), safe="/"),
            "uriBaseId": SOURCE_ROOT}


def _directory_uri(directory: str) -> str:
    uri = Path(directory).as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _rule(code: str, entry, rule_help) -> dict:
    # A log is read where it is uploaded, not where it was made: it links only to published
    # pages (none before stapkit is published) and carries the page itself as its help.
    help_uri = f"{PUBLISHED_RULE_PAGES_URL}{code}.md" if PUBLISHED_RULE_PAGES_URL else None
    summary = entry.summary if entry is not None else f"stapkit diagnostic {code}"
    page = rule_help(code) if rule_help is not None and entry is not None else None
    full = (_what_it_finds(page) if page else None) or summary
    rule = {"id": code}
    if entry is not None:
        rule["name"] = entry.name
    rule["shortDescription"] = {"text": _limited(summary)}
    rule["fullDescription"] = {"text": _limited(full)}
    if page:
        rule["help"] = {"text": page, "markdown": page}
    elif help_uri:
        rule["help"] = {"text": f"{summary}\n\nDocumentation: {help_uri}",
                        "markdown": f"{summary}\n\n[{code} documentation]({help_uri})"}
    else:
        rule["help"] = {"text": f"{summary}\n\nDocumentation: stapkit rule {code}",
                        "markdown": f"{summary}\n\nDocumentation: `stapkit rule {code}`"}
    if help_uri:
        rule["helpUri"] = help_uri
    if entry is not None:
        rule["defaultConfiguration"] = {"level": LEVELS[entry.severity]}
        rule["properties"] = {"tags": [entry.stage], "problem.severity": PROBLEM_SEVERITIES[entry.severity]}
    return rule


def _what_it_finds(page: str) -> str | None:
    """The "## What it finds" section of a rule page, its paragraphs on one line each."""
    match = re.search(r"^## What it finds[ \t]*\n(.*?)(?=^## |\Z)", page, re.MULTILINE | re.DOTALL)
    if match is None:
        return None
    paragraphs = [" ".join(p.split()) for p in match.group(1).strip().split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p) or None


def _limited(text: str) -> str:
    return text if len(text) <= DESCRIPTION_LIMIT else text[: DESCRIPTION_LIMIT - 1] + "…"


def _result(item: Located, rule_index: int, fingerprint: str, index_for, root: str) -> dict:
    d = item.diagnostic
    where = artifact_location(item.path, root)
    lines = [d.message] + [f"hint: {hint}" for hint in d.hints]
    related_locations = []
    for number, related in enumerate(d.related, start=1):
        lines.append(f"note: [{_link_text(related.message)}]({number})")
        place = locate_related(item, related, index_for)
        physical = {"artifactLocation": artifact_location(related.path or item.path, root)}
        if place is not None:
            physical["region"] = {"startLine": place.line, "startColumn": place.column,
                                  "endLine": place.end_line, "endColumn": place.end_column}
        related_locations.append({"id": number, "physicalLocation": physical,
                                  "message": {"text": related.message}})
    result = {
        "ruleId": d.code,
        "ruleIndex": rule_index,
        "level": LEVELS[d.severity],
        "message": {"text": "\n".join(lines)},
        "locations": [{"physicalLocation": {
            "artifactLocation": where,
            "region": {"startLine": item.line, "startColumn": item.column,
                       "endLine": item.end_line, "endColumn": item.end_column},
        }}],
        "partialFingerprints": {"primaryLocationLineHash": fingerprint},
    }
    if related_locations:
        result["relatedLocations"] = related_locations
    if d.fix is not None:
        result["fixes"] = [_fix(d.fix, where, index_for(item.path))]
    return result


def _link_text(text: str) -> str:
    """Text inside an embedded link: SARIF wants its brackets and backslashes escaped."""
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def _fix(fix: Fix, where: dict, index: LineIndex | None) -> dict:
    replacements = []
    for edit in fix.edits:
        start, end = edit.span
        if index is not None:
            start_line, start_column = index.line_col(start)
            end_line, end_column = index.line_col(end)
            region = {"startLine": start_line, "startColumn": start_column,
                      "endLine": end_line, "endColumn": end_column}
        else:
            region = {"charOffset": start, "charLength": end - start}
        replacement = {"deletedRegion": region}
        if edit.content:
            replacement["insertedContent"] = {"text": edit.content}
        replacements.append(replacement)
    return {
        "description": {"text": fix.title},
        "artifactChanges": [{"artifactLocation": where, "replacements": replacements}],
        "properties": {"applicability": fix.applicability.value},
    }


def _line_hashes(items: list[Located], index_for) -> list[str]:
    """The primaryLocationLineHash of each item (see the module's docstring)."""
    keys = []
    for item in items:
        index = index_for(item.path)
        if index is not None and 1 <= item.line <= index.line_count:
            content = "".join(index.line_text(item.line).split())
        else:
            content = item.diagnostic.message
        data = f"{item.diagnostic.code}\0{content}".encode("utf-8", "surrogatepass")
        keys.append(hashlib.sha256(data).hexdigest()[:16])
    # Number the equal hashes of a file in the order of their positions, whatever
    # the order the items came in.
    order = sorted(range(len(items)), key=lambda i: (items[i].path, items[i].line, items[i].column,
                                                     items[i].diagnostic.code))
    seen: Counter[tuple[str, str]] = Counter()
    hashes = [""] * len(items)
    for i in order:
        seen[(items[i].path, keys[i])] += 1
        hashes[i] = f"{keys[i]}:{seen[(items[i].path, keys[i])]}"
    return hashes
