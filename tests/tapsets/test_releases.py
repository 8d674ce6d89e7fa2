"""The release history (tapset_db/tapsets-releases.jsonl): every release's library, each record with its releases.

What is checked: the 4.8 view against the shipped 4.8 database (the same
records), the file against a merge of its own views (byte for byte: the
merge is reproducible), a release built afresh from SystemTap's git history
against its view, and the targets: a script of 5.x names is clean for 5.5 and
told, for 4.8, which release added them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from stapkit.semantic.checker import check_file, check_text
from stapkit.semantic.options import CheckOptions
from stapkit.semantic.session import Session
from stapkit.syntax.options import ParseOptions
from stapkit.syntax.target import Target
from stapkit.tapsets import store
from stapkit.tapsets.db import TapsetDB
from stapkit.tapsets.db import embedded_path as single_path
from stapkit.tapsets.releases import ReleaseHistory, embedded_path, merge, ranges_members, ranges_text

from ..corpora import REPO, TESTSUITE, require

MIRROR = Path("/work/.mirror/sailfishos-mirror+systemtap/repo")


@pytest.fixture(scope="module")
def history() -> ReleaseHistory:
    return ReleaseHistory.load(embedded_path())


def _records(db, kind: str) -> list[str]:
    return [store.encode(kind, item) for name in db.names(kind) for item in db._items(kind, name)]


def test_ranges_are_written_and_read_back():
    releases = ["1.0", "1.1", "2.0", "3.0", "4.8", "5.5"]
    position = {r: i for i, r in enumerate(releases)}
    assert ranges_text([0, 1, 2, 4], releases) == "1.0-2.0,4.8"
    assert ranges_text([5], releases) == "5.5"
    assert ranges_members("1.0-2.0,4.8", position) == {0, 1, 2, 4}


def test_the_history_has_every_release_from_1_0_to_5_5_and_the_head(history):
    assert history.releases[0] == "1.0" and "5.5" in history.releases and history.releases[-1] == "5.6"
    assert history.newest == "5.5"
    assert history.header["provenance"]["skipped"] == {}


@pytest.mark.parametrize("kind", ["alias", "function", "global", "macro"])
def test_the_4_8_view_has_the_records_of_the_shipped_4_8_database(history, kind):
    view, single = history.view("4.8"), TapsetDB.load(single_path())
    assert view.names(kind) == single.names(kind)
    assert _records(view, kind) == _records(single, kind)  # names, signatures, types, expansions, places


def test_the_file_is_the_merge_of_its_views_byte_for_byte(history):
    builds = []
    for release in history.releases:
        view = history.view(release)
        header = {"format": store.FORMAT, "systemtap_version": release, "files": view.files,
                  "counts": view.header["counts"]}
        builds.append((release, store.write_lines(header, [(k, i) for k in store.KINDS for i in view.all(k)])))
    assert merge(builds, history.header["provenance"]) == embedded_path().read_text(encoding="utf-8")


def test_a_release_built_afresh_from_git_is_its_view(history, tmp_path):
    """tools/build_release_db.py on the history (1.0: the quickest build) gives the shipped records."""
    require(MIRROR)
    output = tmp_path / "one.jsonl"
    done = subprocess.run([sys.executable, str(REPO / "tools" / "build_release_db.py"), "--git-dir", str(MIRROR),
                           "--releases", "1.0", "--output", str(output)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    fresh = ReleaseHistory.load(output).view("1.0")
    shipped = history.view("1.0")
    for kind in store.KINDS:
        assert _records(fresh, kind) == _records(shipped, kind)


def test_names_carry_their_releases(history):
    assert history.ranges("function", "inet_get_dest_port") == "5.2-5.6"
    assert history.ranges("function", "task_cwd_path") == "3.0-5.6"
    assert history.ranges("function", "python2_print_backtrace") == "3.1-4.2"
    assert history.ranges("alias", "ipmib.InBcastPkts") == "1.0"
    assert history.note("function", "inet_get_dest_port", "4.8") == (
        "'inet_get_dest_port' was added in SystemTap 5.2; you target 4.8")
    assert history.note("function", "python2_print_backtrace", "4.8") == (
        "'python2_print_backtrace' was removed after SystemTap 4.2; you target 4.8")
    assert history.note("function", "task_cwd_path", "4.8") is None


def _check(path: str, version: str):
    options = CheckOptions(parse=ParseOptions(target=Target(systemtap_v=version)), session=Session())
    return check_file(path, options)


def test_inet_sock_embedded_is_accepted_for_5_5_and_rejected_for_4_8():
    path = str(require(TESTSUITE / "buildok" / "inet_sock-embedded.stp"))
    assert [d.message for d in _check(path, "5.5").diagnostics] == []
    messages = [d.message for d in _check(path, "4.8").diagnostics]
    assert len(messages) == 2
    assert all("was added in SystemTap 5.2; you target 4.8)" in m for m in messages)


def _messages(text: str, version: str) -> list[str]:
    options = CheckOptions(parse=ParseOptions(target=Target(systemtap_v=version)), session=Session())
    return [d.message for d in check_text(text, "t.stp", options).diagnostics]


def test_a_function_of_later_releases_is_unresolved_for_an_older_target_with_its_release():
    script = "probe begin { print(task_cwd_path(task_current())) }\n"
    assert _messages(script, "2.9") == [
        "unresolved function 'task_cwd_path' (did you mean 'task_dentry_path'?) "
        "('task_cwd_path' was added in SystemTap 3.0; you target 2.9)"]
    assert _messages(script, "3.0") == []


def test_names_of_earlier_releases_are_said_to_be_removed():
    assert _messages("probe begin { python2_print_backtrace(0) }\n", "4.8")[0].endswith(
        "('python2_print_backtrace' was removed after SystemTap 4.2; you target 4.8)")
    assert _messages("probe begin { python2_print_backtrace(0) }\n", "4.2") == []
    assert _messages("probe ipmib.InBcastPkts { print(1) }\n", "4.8") == [
        "unknown probe point 'ipmib.InBcastPkts' ('ipmib.InBcastPkts' was removed after SystemTap 1.0; "
        "you target 4.8)"]


def test_a_target_older_than_every_release_is_a_clear_error():
    from stapkit.tapsets.db import DatabaseError

    with pytest.raises(DatabaseError, match="older than every release"):
        Session().db(None, "0.9")


def test_a_point_release_is_checked_with_its_release():
    assert Session().db(None, "5.5.1").systemtap_version == "5.5"


def test_config_says_which_release_and_why(tmp_path, capsys, monkeypatch):
    from stapkit.cli import main
    from stapkit.tapsets import installed

    monkeypatch.setattr(installed.shutil, "which", lambda name: None)
    monkeypatch.setattr(installed, "DEBIAN_CHANGELOG", tmp_path / "none.gz")
    assert main(["config", str(tmp_path), "--output-format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["settings"]["target"]["systemtap-version"] == "5.5"
    assert data["systemtap-version-from"].startswith("no SystemTap installed: the newest release")


def test_db_diff_names_what_a_release_added(capsys):
    from stapkit.cli import main

    assert main(["db", "diff", "4.8", "5.5"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == ["SystemTap 4.8 -> 5.5", "probe aliases: 52 added, 0 removed, 48 changed"]
    assert "functions: 7 added, 0 removed, 0 changed" in out
    assert "+ function inet_get_dest_port" in out and "+ function bdev_partno" in out
    assert main(["db", "diff", "3.0", "4.8", "--output-format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["diff"]["function"]["added"]) == 123 and "task_cwd_path" not in data["diff"]["function"]["added"]
    assert main(["db", "diff", "4.8", "9.9"]) == 2
    assert "SystemTap 9.9 is not in the release history" in capsys.readouterr().err


def test_a_range_reports_the_releases_a_script_passes_on(tmp_path, capsys):
    from stapkit.cli import main

    script = tmp_path / "cwd.stp"
    script.write_text("probe begin { print(task_cwd_path(task_current())) }\n")
    assert main(["lint", "--systemtap-version", "2.8..3.1", "--output-format", "json", str(script)]) == 1
    (entry,) = json.loads(capsys.readouterr().out)["files"]
    assert entry["passes"] == "3.0-3.1"
    assert [f["releases"] for f in entry["fails"]] == ["2.8-2.9"]
    assert "'task_cwd_path' was added in SystemTap 3.0" in entry["fails"][0]["first_error"]
    assert main(["lint", "--systemtap-version", "3.0..", str(script)]) == 0
    assert capsys.readouterr().out.startswith(f"{script}: passes on 3.0-5.6 of 3.0..")
    assert main(["lint", "--systemtap-version", "3.0..x", str(script)]) == 2


def test_the_releases_of_a_name_for_a_hover():
    from stapkit.tapsets.releases import release_span

    db = Session().db(None, "5.5")
    assert release_span(db, "function", "task_cwd_path") == "SystemTap releases: since 3.0"
    assert release_span(db, "function", "python2_print_backtrace") == "SystemTap releases: 3.1-4.2"
    assert release_span(db, "function", "no_such_function") is None
