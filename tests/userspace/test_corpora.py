"""The Debian examples and the testsuite scripts that probe user space: checked against the
programs this machine has, with no finding that stap on this machine would not make.

(Most of their programs are stripped here (stap, find): their functions stay unverifiable;
globbed paths such as process("/lib*/libc.so.6") are left alone.)
"""

from __future__ import annotations

import re

import pytest

from stapkit.lint.options import LintOptions
from stapkit.lint.runner import lint_file
from stapkit.semantic.options import CheckOptions
from stapkit.semantic.session import Session
from stapkit.syntax.options import ParseOptions
from tests.corpora import EXAMPLES, TESTSUITE, example_needs_guru, require

USER_CODES = {"STP213", "STP214", "STP215", "STP216", "STP330", "STP331"}
_PROCESS = re.compile(r'process\s*\(\s*"')


def _scripts():
    found = []
    for root in (EXAMPLES, TESTSUITE):
        if root.exists():
            found += [p for p in sorted(root.rglob("*.stp"))
                      if _PROCESS.search(p.read_text(encoding="utf-8", errors="replace"))]
    return found


@pytest.mark.corpus
def test_user_space_scripts_of_the_corpora_get_no_false_finding():
    require(EXAMPLES)
    require(TESTSUITE)
    scripts = _scripts()
    assert len(scripts) > 40  # 68 when written
    session = Session()
    wrong = []
    for path in scripts:
        options = LintOptions(CheckOptions(parse=ParseOptions(guru=example_needs_guru(path)), session=session))
        result = lint_file(str(path), options)
        wrong += [f"{path.name}: {d.code} {d.message}" for d in result.diagnostics if d.code in USER_CODES]
    assert wrong == []
