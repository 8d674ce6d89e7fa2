"""The links to the rule pages (SARIF, the language server): never a placeholder host; the
pages this installation ships until stapkit is published, and the address set in one place
(stapkit.PROJECT_URL) after."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import stapkit
from stapkit.diagnostics import Diagnostic, LineIndex, Span, Severity
from stapkit.report.location import locate
from stapkit.report.sarif import sarif_log

ROOT = Path(__file__).resolve().parents[2]


def test_no_placeholder_address_is_left_in_the_package():
    found = [str(p) for p in (ROOT / "stapkit").rglob("*.py") if "git.example.org" in p.read_text(encoding="utf-8")]
    assert found == []  # was: https://git.example.org/stapkit in stapkit/__init__.py


def test_the_language_servers_links_open_the_shipped_pages():
    from stapkit.lsp.convert import RULE_DOCS_URL

    link = urlparse(RULE_DOCS_URL.format(code="STP101"))
    assert link.scheme == "file" and Path(unquote(link.path)).is_file()


def test_a_sarif_log_links_only_to_published_pages():
    text = "probe begin { exit() }\n"
    index = LineIndex(text)
    item = locate("x.stp", index, Diagnostic("STP101", "a finding", Span(6, 11), Severity.ERROR))
    log = sarif_log([item], {"x.stp": index}.get, working_directory="/tmp")
    driver = log["runs"][0]["tool"]["driver"]
    assert stapkit.PROJECT_URL is None
    assert "informationUri" not in driver and "helpUri" not in driver["rules"][0]
    # Set in one place, PROJECT_URL is what every link is made of.
    program = ("import stapkit, re, sys; s = open(stapkit.__file__).read(); "
               "s = s.replace('PROJECT_URL: str | None = None', 'PROJECT_URL = \"https://forge.example/stapkit\"'); "
               "exec(compile(s, stapkit.__file__, 'exec'), stapkit.__dict__); "
               "from stapkit.report.sarif import sarif_log; from stapkit.lsp.convert import RULE_DOCS_URL; "
               "print(RULE_DOCS_URL); print(sarif_log([], None, working_directory='/tmp')['runs'][0]['tool']"
               "['driver'].get('informationUri'))")
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}).stdout.split()
    assert out == ["https://forge.example/stapkit/blob/main/docs/rules/{code}.md", "https://forge.example/stapkit"]
