"""`stapkit db build|info|list|show`: the tapset database from the command line."""

from __future__ import annotations

import gzip
import json
import os

import pytest

from stapkit.cli import main
from stapkit.tapsets.db import embedded_path

LIBRARY = {
    "net.stp": """
global packets
private global seen
/* the send side */
probe mynet.send = kernel.function("dev_queue_xmit")
{
    dev = $skb->dev
    length = $skb->len
    name = "send"
%( kernel_v >= "5.0" %?
    queue = label($skb->len)
%)
}
probe mynet.send.return = kernel.function("dev_queue_xmit").return ? { retval = $return }
%( systemtap_v <= "2.1" %?
probe mynet.old = mynet.send { }
%)
function count_it(n) { packets <<< n; return n + 1 }
function label:string (n:long) { return sprintf("%d", n) }
function raw:long () %{ /* pure */ /* unprivileged */ STAP_RETURN(1); %}
""",
    "linux/broken.stp": "probe mynet.bad = begin { x = (1 + }\nfunction still_here() { return 1 }\n",
    "macros.stpm": "@define twice(x) %( 2 * @x %)\n",
}


@pytest.fixture
def library(tmp_path):
    root = tmp_path / "tapset"
    for name, text in LIBRARY.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    os.symlink(root / "nowhere.stp", root / "dangling.stp")  # listed, but cannot be read
    return root


@pytest.fixture
def manuals(tmp_path):
    man = tmp_path / "man3"
    man.mkdir()
    (man / "probe::mynet.send.3stap.gz").write_bytes(gzip.compress(
        b'.TH "PROBE::MYNET\\&.SEND" "3stap" "" "SystemTap Tapset Reference" "Test Tapset"\n'
        b".SH NAME\nprobe::mynet.send \\- a test probe\n.SH SYNOPSIS\n.sp\n.nf\n.ft B\nmynet.send\n.ft\n.fi\n"
        b".SH VALUES\n.PP\n\\fIdev\\fR\n.RS 4\nthe device\n.RE\n.PP\n\\fIbytes\\fR\n.RS 4\nhow many\n.RE\n"))
    (man / "function::broken.3stap.gz").write_bytes(b"\x1f\x8b not really gzip")
    return man


def run(args, capsys):
    status = main(args)
    out, err = capsys.readouterr()
    return status, out, err


def build(library, manuals, tmp_path, capsys, *extra):
    output = tmp_path / "db.jsonl"
    status, out, err = run(["db", "build", "--tapset-dir", str(library), "--man-dir", str(manuals),
                            "--systemtap-version", "4.8", "--output", str(output), *extra], capsys)
    return status, out, err, output


def test_build_warns_about_bad_inputs_and_goes_on(library, manuals, tmp_path, capsys):
    status, out, err, output = build(library, manuals, tmp_path, capsys)
    assert status == 0
    assert "broken.stp:1:" in err and "STP010" in err  # the file with a syntax error is named
    assert "dangling.stp" in err  # the unreadable one too
    assert "function::broken.3stap.gz" in err  # and the corrupt manual page
    assert "Traceback" not in err
    assert f"wrote {output}" in err
    status, out, _ = run(["db", "show", "still_here", "--db", str(output)], capsys)
    assert status == 0 and "still_here:long ()" in out  # the broken file's other item is kept


def test_build_is_reproducible(library, manuals, tmp_path, capsys):
    _, _, _, output = build(library, manuals, tmp_path, capsys)
    first = output.read_bytes()
    _, _, _, output = build(library, manuals, tmp_path, capsys)
    assert output.read_bytes() == first


def test_report_lists_documented_variables_that_differ(library, manuals, tmp_path, capsys):
    status, out, _, _ = build(library, manuals, tmp_path, capsys, "--report")
    assert status == 0
    assert "probe::mynet.send: documented but not set by the alias: bytes" in out
    assert "probe::mynet.send: set by the alias but not documented: length, name, queue" in out


def test_show_an_alias_with_types_conditions_and_manual(library, manuals, tmp_path, capsys):
    _, _, _, output = build(library, manuals, tmp_path, capsys)
    status, out, _ = run(["db", "show", "mynet.send", "--db", str(output)], capsys)
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == "mynet.send dev:long length:long name:string queue:string"
    assert 'sets queue only when kernel_v >= "5.0"' in out
    assert "manual: probe::mynet.send (Test Tapset)" in out
    status, out, _ = run(["db", "show", "mynet.send", "--db", str(output), "--output-format", "json"], capsys)
    data = json.loads(out)
    assert data["probe_alias"]["variables"]["queue"]["type"] == "string"
    assert data["probe_alias"]["definitions"][0]["points"] == [
        {"point": 'kernel.function("dev_queue_xmit")', "conditions": []}]


def test_show_a_deprecated_alias_and_the_target(library, manuals, tmp_path, capsys):
    _, _, _, output = build(library, manuals, tmp_path, capsys)
    status, out, _ = run(["db", "show", "mynet.old", "--db", str(output)], capsys)
    assert status == 0
    assert "not available for this target" in out
    assert "deprecated: kept for scripts of SystemTap 2.1 and older" in out
    # The variables come from the alias it expands to.
    assert out.splitlines()[0].startswith("mynet.old dev:long")
    status, out, _ = run(["db", "list", "mynet.*", "--db", str(output)], capsys)
    assert out.split() == ["mynet.send"]
    status, out, _ = run(["db", "list", "mynet.*", "--db", str(output), "--systemtap-version", "2.1"], capsys)
    assert out.split() == ["mynet.old", "mynet.send"]
    status, out, _ = run(["db", "list", "mynet.**", "--db", str(output), "--all-targets"], capsys)
    assert out.split() == ["mynet.old", "mynet.send", "mynet.send.return"]  # not the broken mynet.bad


def test_show_functions_with_inferred_types_and_privilege(library, manuals, tmp_path, capsys):
    _, _, _, output = build(library, manuals, tmp_path, capsys)
    status, out, _ = run(["db", "show", "count_it", "--db", str(output)], capsys)
    assert "count_it:long (n:long)" in out and "inferred" in out
    status, out, _ = run(["db", "show", "raw", "--db", str(output)], capsys)
    assert "raw:long ()" in out and "embedded C" in out and "callable by: unprivileged" in out


def test_info_of_the_embedded_db(capsys, monkeypatch):
    monkeypatch.setenv("STAPKIT_TAPSET_DB", str(embedded_path()))
    status, out, _ = run(["db", "info"], capsys)
    assert status == 0 and "SystemTap:  4.8" in out and "6917 probe aliases" in out
    status, out, _ = run(["db", "info", "--output-format", "json"], capsys)
    data = json.loads(out)
    assert data["systemtap_version"] == "4.8" and data["counts"]["functions"] == 1337


def test_list_is_an_offline_stap_l(capsys, monkeypatch):
    monkeypatch.setenv("STAPKIT_TAPSET_DB", str(embedded_path()))
    status, out, _ = run(["db", "list", "socket.{send,receive}"], capsys)
    assert status == 0 and out.split() == ["socket.receive", "socket.send"]
    status, out, _ = run(["db", "list", "netfilter.ip.*", "--output-format", "json"], capsys)
    assert json.loads(out) == [f"netfilter.ip.{h}" for h in
                               ("forward", "local_in", "local_out", "post_routing", "pre_routing")]
    status, out, err = run(["db", "list", "nosuch.*"], capsys)
    assert status == 1 and out == "" and "no probe point matches 'nosuch.*'" in err
    status, out, err = run(["db", "list", "socket.{"], capsys)
    assert status == 2 and "bad pattern 'socket.{'" in err


def test_show_unknown_names_suggest_and_renames_are_explained(capsys, monkeypatch):
    monkeypatch.setenv("STAPKIT_TAPSET_DB", str(embedded_path()))
    status, out, _ = run(["db", "show", "socket.sendd"], capsys)
    assert status == 1 and "did you mean: socket.send" in out
    status, out, _ = run(["db", "show", "process.create"], capsys)
    assert "renamed kprocess.create in SystemTap 0.9.6" in out
    status, out, _ = run(["db", "show", "signal.sys_tkill"], capsys)
    assert "signal.systkill" in out


def test_a_missing_or_corrupt_database_is_an_error_naming_it(tmp_path, capsys):
    status, _, err = run(["db", "info", "--db", str(tmp_path / "none.jsonl")], capsys)
    assert status == 2 and "none.jsonl: no such tapset database" in err
    bad = tmp_path / "bad.jsonl"
    bad.write_text("this is not a database\n")
    status, _, err = run(["db", "show", "x", "--db", str(bad)], capsys)
    assert status == 2 and "bad.jsonl: not a stapkit tapset database" in err and "Traceback" not in err


def test_build_errors(tmp_path, capsys):
    status, _, err = run(["db", "build", "--tapset-dir", str(tmp_path / "nowhere"), "--output",
                          str(tmp_path / "x.jsonl")], capsys)
    assert status == 2 and "no such tapset directory" in err
    assert not (tmp_path / "x.jsonl").exists()


def test_with_docs_goes_to_the_user_cache_and_is_then_the_default(library, manuals, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("STAPKIT_TAPSET_DB", raising=False)
    status, _, err = run(["db", "build", "--tapset-dir", str(library), "--man-dir", str(manuals),
                          "--systemtap-version", "9.9", "--with-docs"], capsys)
    assert status == 0 and "(with descriptions)" in err
    written = tmp_path / "cache" / "stapkit" / "tapset_db" / "tapsets.jsonl"
    assert written.is_file()
    status, out, _ = run(["db", "info"], capsys)
    assert str(written) in out and "SystemTap:  9.9" in out and "manual descriptions included" in out
    status, out, _ = run(["db", "show", "mynet.send"], capsys)
    assert "a test probe" in out  # the manual's summary, kept only in a user-local database
    status, out, _ = run(["db", "show", "mynet.send", "--output-format", "json"], capsys)
    assert json.loads(out)["manual"]["summary"] == "a test probe"


def test_without_docs_no_prose_is_kept(library, manuals, tmp_path, capsys):
    _, _, _, output = build(library, manuals, tmp_path, capsys)
    text = output.read_text()
    assert "a test probe" not in text and "the device" not in text and "how many" not in text
