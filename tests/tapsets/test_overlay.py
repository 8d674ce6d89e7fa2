"""Tapset directories given with -I, read as stap 4.8 reads them (checked with stap -p2).

* their files see the macros of every .stpm file of the run, the installed
  library's too (`@choose_defined` in a function of an -I tapset);
* a file that does not parse for the target is skipped as a whole: the script
  gets a warning at the tapset's error and its calls into the file are
  unresolved; an error in a branch the target does not take skips nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stapkit.diagnostics import Severity
from stapkit.semantic.checker import check_text
from stapkit.semantic.options import CheckOptions
from stapkit.syntax.parser import ParseOptions
from stapkit.syntax.tapset_path import default_tapset_root


def lint(tmp_path: Path, script: str, files: dict[str, str], roots_before: tuple[Path, ...] = ()):
    tapsets = tmp_path / "mytapsets"
    for name, text in files.items():
        (tapsets / name).parent.mkdir(parents=True, exist_ok=True)
        (tapsets / name).write_text(text)
    options = CheckOptions(parse=ParseOptions(tapset_roots=(*roots_before, tapsets)))
    result = check_text(script, str(tmp_path / "watch.stp"), options)
    return [(d.code, d.severity, d.span.start, d.message) for d in result.diagnostics], result


def _installed() -> Path:
    root = default_tapset_root()
    if root is None or not (Path(root) / "choose_defined.stpm").is_file():
        pytest.skip("no installed SystemTap tapset library with choose_defined.stpm")
    return Path(root)


def test_an_include_dir_tapset_uses_the_installed_library_macros(tmp_path):
    installed = _installed()
    found, _ = lint(tmp_path, "probe begin { println(myfn()); exit() }\n", {
        "mylib.stp": "global mylib_val = 5\nfunction myfn:long() { return @choose_defined(mylib_val, 7) }\n",
    }, roots_before=(installed,))
    assert found == []


def test_an_include_dir_tapset_uses_the_macros_of_another_root(tmp_path):
    # The same without an installation: a first root with the .stpm, the -I directory after it.
    first = tmp_path / "first"
    first.mkdir()
    (first / "pick.stpm").write_text("@define pick(a, b) %( (@b) %)\n")
    found, _ = lint(tmp_path, "probe begin { println(myfn()); exit() }\n", {
        "mylib.stp": "function myfn:long() { return @pick(1, 2) }\n",
    }, roots_before=(first,))
    assert [code for code, *_ in found if code == "STP101"] == []


MIXED = "function okfn:long() { return 1 }\nfunction brokenfn:long() {\n  return 1 +\n}\n"


def test_a_tapset_file_with_a_syntax_error_is_skipped_as_a_whole(tmp_path):
    script = "probe begin { println(okfn()); exit() }\n"
    found, result = lint(tmp_path, script, {"mixed.stp": MIXED, "good.stp": "function goodfn() { return 2 }\n"})
    path = str(tmp_path / "mytapsets" / "mixed.stp")
    assert [(code, severity, start) for code, severity, start, _ in found] == [
        ("STP055", Severity.WARNING, 0),
        ("STP101", Severity.ERROR, script.index("okfn")),
    ]
    assert found[0][3] == f"tapset \"{path}\" has errors, and will be skipped: expected an expression; found '}}'"
    (related,) = result.diagnostics[0].related
    # Where stap reports it: mixed.stp:4:1, the '}' after the missing operand.
    assert related.path == path and related.span.start == MIXED.index("}\n", MIXED.index("+"))
    assert related.message.endswith("[STP010]")


def test_a_script_that_does_not_use_the_skipped_file_only_gets_the_warning(tmp_path):
    found, _ = lint(tmp_path, "probe begin { println(goodfn()); exit() }\n",
                    {"mixed.stp": MIXED, "good.stp": "function goodfn() { return 2 }\n"})
    assert [code for code, *_ in found] == ["STP055"]


def test_an_error_in_a_branch_the_target_does_not_take_skips_nothing(tmp_path):
    branchy = ('function okfn:long() { return 1 }\n'
               '%( arch == "s390" %?\nfunction brokenfn:long() { return 1 + }\n%)\n')
    found, _ = lint(tmp_path, "probe begin { println(okfn()); exit() }\n", {"branchy.stp": branchy})
    assert found == []


def test_a_fifo_named_like_a_tapset_is_never_opened(tmp_path):
    # Opening a FIFO blocks until a writer comes: the command must finish, and say why the
    # name is left out (in a subprocess with a time limit, so that a hang fails the test).
    import os
    import subprocess
    import sys

    tapsets = tmp_path / "mytapsets"
    tapsets.mkdir()
    os.mkfifo(tapsets / "pipe.stp")
    (tapsets / "mine.stp").write_text("function mine:long() { return 1 }\n")
    script = tmp_path / "watch.stp"
    script.write_text("probe begin { println(mine()); exit() }\n")
    done = subprocess.run([sys.executable, "-m", "stapkit", "lint", "--no-cache", "--output-format", "concise",
                           "-I", str(tapsets), str(script)],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.stdout.splitlines() == [
        f"{script}:1:1: warning: tapset \"{tapsets / 'pipe.stp'}\" cannot be read, and will be skipped: "
        "it is a FIFO (named pipe), not a regular file [STP055]"], done.stdout + done.stderr
    assert done.returncode == 1 and done.stderr == ""
