"""The documentation must not drift from the code.

* every diagnostic code has a page docs/rules/<CODE>.md with the required
  headings, its name and its default severity, and no page documents an
  unknown code;
* the index docs/rules/README.md lists every code;
* the first ```systemtap block under `## Example` of a page produces the
  page's code, and the first one under `## Fix` does not (pages marked
  `<!-- stapkit: no-example-check -->` are exempt);
* docs/cli.md mentions every option of `stapkit parse`, `stapkit lint` and of each `stapkit db` action,
  in that command's section.

A block is checked as `stapkit lint` would check it, with the options of a
`<!-- stapkit: ... -->` comment right before it:

    <!-- stapkit: args=--guru -->          command-line options (the rest of the comment)
    <!-- stapkit: file=macros.stpm -->     the block is a file of that name
    <!-- stapkit: file=x.stpm args=-g -->  both (args last)
    <!-- stapkit: kernel=sample -->        checked against the made-up kernel of
                                           tests/kernel/sample_kernel.py (its BTF and symbols)

The tapset library is left out (library_macros={}), so the result does not
depend on the SystemTap installed.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from stapkit.cli import build_parser
from stapkit.cli.target_options import parse_options_from_arguments
from stapkit.lint.registry import all_rules

CODES = all_rules()  # the parser's, the checker's and the lint rules' codes

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "docs" / "rules"
CLI_DOC = ROOT / "docs" / "cli.md"

REQUIRED_HEADINGS = ("## What it finds", "## Why it matters", "## Example", "## Fix")
NO_EXAMPLE_CHECK = "<!-- stapkit: no-example-check -->"
_DIRECTIVE = re.compile(r"<!--\s*stapkit:\s*(?P<body>.*?)\s*-->")
_FENCE = re.compile(r"^```(?P<lang>[\w-]*)\s*$")


def _page(code: str) -> str:
    path = RULES / f"{code}.md"
    assert path.is_file(), f"{code} has no page: write docs/rules/{code}.md"
    return path.read_text(encoding="utf-8")


def _section(text: str, heading: str) -> list[str]:
    """The lines under a `## ` heading, up to the next `## ` heading."""
    lines = text.splitlines()
    try:
        start = lines.index(heading)
    except ValueError:
        raise AssertionError(f"no '{heading}' heading") from None
    out = []
    for line in lines[start + 1:]:
        if line.startswith("## "):
            break
        out.append(line)
    return out


class Block:
    def __init__(self, text: str, directive: str | None):
        self.text = text
        self.file: str | None = None
        self.kernel: str | None = None
        self.args: list[str] = []
        if directive:
            head, _, args = directive.partition("args=")
            self.args = shlex.split(args)
            for word in head.split():
                key, eq, value = word.partition("=")
                assert key in ("file", "kernel") and eq, f"unknown stapkit directive {word!r}"
                if key == "kernel":
                    assert value == "sample", f"unknown kernel {value!r}"
                    self.kernel = value
                else:
                    self.file = value


def _first_systemtap_block(lines: list[str]) -> Block:
    """The first ```systemtap block, with the directive comment just before it."""
    directive = None
    i = 0
    while i < len(lines):
        line = lines[i]
        match = _DIRECTIVE.fullmatch(line.strip())
        if match:
            directive = match.group("body")
        elif line.strip() and not _FENCE.match(line):
            directive = None  # a directive applies only to the block right after it
        fence = _FENCE.match(line)
        if fence:
            end = next((k for k in range(i + 1, len(lines)) if lines[k].startswith("```")), None)
            assert end is not None, "unclosed ``` block"
            if fence.group("lang") == "systemtap":
                return Block("\n".join(lines[i + 1:end]) + "\n", directive)
            directive = None
            i = end
        i += 1
    raise AssertionError("no ```systemtap block")


def _diagnostics(block: Block, tmp_path: Path):
    """What `stapkit lint` reports on the block (syntax, checker and lint rules)."""
    from stapkit.kernel.loading import KernelSource
    from stapkit.lint.runner import LintOptions, lint_file, lint_text
    from stapkit.lint.selection import Selection
    from stapkit.semantic.checker import CheckOptions

    namespace = build_parser().parse_args(["lint", *block.args])
    kernel = KernelSource()
    if block.kernel == "sample":
        from tests.kernel.sample_kernel import write_sample_kernel

        btf, symbols = write_sample_kernel(tmp_path)
        kernel = KernelSource(btf=str(btf), symbols=str(symbols))
    options = CheckOptions(parse=attrs.evolve(parse_options_from_arguments(namespace), library_macros={}),
                           explain_unverifiable=namespace.explain_unverifiable, kernel=kernel)
    options = LintOptions(options, Selection(select=("ALL",)))  # opt-in rules too
    if block.file is not None:
        path = tmp_path / block.file
        path.write_text(block.text, encoding="utf-8")
        return lint_file(str(path), options).diagnostics
    return lint_text(block.text, "example.stp", options).diagnostics


def _show(diagnostics) -> list[str]:
    return [f"{d.code} {d.severity.value}: {d.message}" for d in diagnostics]


# ---------------------------------------------------------------- rule pages


@pytest.mark.parametrize("code", sorted(CODES))
def test_rule_page_has_the_required_shape(code):
    info = CODES[code]
    text = _page(code)
    lines = text.splitlines()
    assert lines[0] == f"# {code}: {info.name}"
    assert f"Severity: {info.severity.value}" in lines, "missing or wrong 'Severity:' line"
    assert any(re.fullmatch(r"Stage: \S.*", line) for line in lines), "missing 'Stage:' line"
    assert f"Stage: {info.stage}" in lines or info.stage != "linter", "a lint rule's page says 'Stage: linter'"
    positions = []
    for heading in REQUIRED_HEADINGS:
        assert heading in lines, f"missing '{heading}'"
        positions.append(lines.index(heading))
    assert positions == sorted(positions), f"headings out of order: {REQUIRED_HEADINGS}"
    if NO_EXAMPLE_CHECK not in text:
        for heading in ("## Example", "## Fix"):
            _first_systemtap_block(_section(text, heading))


def test_lint_rule_pages_are_written_from_the_rules():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "rule_pages.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr + "\nrun: python3 tools/rule_pages.py"


def test_no_page_for_an_unknown_code():
    pages = {p.stem for p in RULES.glob("*.md")} - {"README"}
    assert pages <= set(CODES), f"pages for codes stapkit does not have: {sorted(pages - set(CODES))}"


def test_index_lists_every_code():
    index = (RULES / "README.md").read_text(encoding="utf-8")
    rows = {}
    for line in index.splitlines():
        match = re.match(r"\|\s*\[(STP\d+)\]\((STP\d+)\.md\)\s*\|", line)
        if match:
            assert match.group(1) == match.group(2), f"link to the wrong page: {line}"
            rows[match.group(1)] = line
    assert set(rows) == set(CODES), (
        f"missing: {sorted(set(CODES) - set(rows))}; unknown: {sorted(set(rows) - set(CODES))}")
    for code, info in CODES.items():
        # Markdown escapes (`\*`) are not part of the text.
        cells = [re.sub(r"\\(.)", r"\1", c.strip()) for c in rows[code].strip().strip("|").split("|")]
        assert cells[1:4] == [f"`{info.name}`", info.severity.value, info.summary], rows[code]


def _checked_pages():
    """The codes whose page has examples to run (a missing page fails the shape test)."""
    return [code for code in sorted(CODES)
            if not (RULES / f"{code}.md").is_file()
            or NO_EXAMPLE_CHECK not in (RULES / f"{code}.md").read_text(encoding="utf-8")]


@pytest.mark.parametrize("code", _checked_pages())
def test_example_produces_the_code(code, tmp_path):
    block = _first_systemtap_block(_section(_page(code), "## Example"))
    found = _diagnostics(block, tmp_path)
    assert code in {d.code for d in found}, _show(found)


@pytest.mark.parametrize("code", _checked_pages())
def test_fix_does_not_produce_the_code(code, tmp_path):
    block = _first_systemtap_block(_section(_page(code), "## Fix"))
    found = _diagnostics(block, tmp_path)
    assert code not in {d.code for d in found}, _show(found)


def test_unchecked_pages_are_the_ones_that_need_a_file():
    # Only the file-level problems cannot be shown as a script (STP055: a file of an -I directory),
    # and STP327, whose finding depends on the machine's C compiler and headers.
    unchecked = {code for code in CODES if NO_EXAMPLE_CHECK in _page(code)}
    assert unchecked <= {"STP051", "STP052", "STP053", "STP055", "STP327"}


# ---------------------------------------------------------------- cli.md


def _subcommand(parser, name):
    for action in parser._actions:
        if getattr(action, "choices", None) and name in action.choices:
            return action.choices[name]
    raise AssertionError(f"no {name!r} subcommand")


def _commands():
    """(command words, its argparse parser) for `parse` and each `db` action."""
    parser = build_parser()
    found = [("parse", _subcommand(parser, "parse")), ("lint", _subcommand(parser, "lint")),
             ("format", _subcommand(parser, "format")), ("config", _subcommand(parser, "config")),
             ("rules", _subcommand(parser, "rules")), ("rule", _subcommand(parser, "rule")),
             ("lsp", _subcommand(parser, "lsp"))]
    db = _subcommand(parser, "db")
    for action in ("build", "info", "list", "show"):
        found.append((f"db {action}", _subcommand(db, action)))
    kernel = _subcommand(db, "kernel")
    for action in ("build", "info"):
        found.append((f"db kernel {action}", _subcommand(kernel, action)))
    return found


def _option_strings():
    return sorted({(command, s) for command, sub in _commands() for action in sub._actions
                   for s in action.option_strings if s not in ("-h", "--help")})


def _cli_section(text: str, command: str) -> str:
    """The part of cli.md about one command: from its heading to the next heading of its level."""
    match = re.search(rf"^(#+) `stapkit {re.escape(command)}\b[^`]*`.*$", text, re.M)
    assert match, f"docs/cli.md has no section `stapkit {command}`"
    level = len(match.group(1))
    rest = text[match.end():]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.M)
    return rest[: end.start()] if end else rest


@pytest.mark.parametrize("command, option", _option_strings())
def test_cli_doc_mentions_every_option(command, option):
    text = _cli_section(CLI_DOC.read_text(encoding="utf-8"), command)
    assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text), \
        f"docs/cli.md does not mention {option} in its section on stapkit {command}"


@pytest.mark.parametrize("name", ["NO_COLOR", "SYSTEMTAP_TAPSET", "STAPKIT_NO_GRAMMAR_CACHE", "STAPKIT_DEBUG", "STAPKIT_CACHE_DIR",
                                  "STAPKIT_TAPSET_DB"])
def test_cli_doc_mentions_the_environment(name):
    assert name in CLI_DOC.read_text(encoding="utf-8")
