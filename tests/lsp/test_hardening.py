"""Issue 18, item 4: no memory kept per notification, an answer to every request, a clean usage error.

The soak test (5,000 edits with requests between them) is marked `soak`; it takes about
30 s on an idle 2-core machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import pytest
from lsprotocol import types

from stapkit.lsp.server import create_server

from .helpers import open_document, uri_for, wait_diagnostics

SERVER = [sys.executable, "-m", "stapkit.lsp"]


def _frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _replies(stdout: bytes) -> list[dict]:
    """The messages of a framed stream."""
    messages = []
    rest = stdout
    while rest:
        header, _, rest = rest.partition(b"\r\n\r\n")
        length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
        messages.append(json.loads(rest[:length]))
        rest = rest[length:]
    return messages


def _session(messages: list[dict], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(SERVER + list(args), input=b"".join(_frame(m) for m in messages),
                          capture_output=True, timeout=120)


# ---------------------------------------------------------------- bookkeeping per notification


def _notification(method: str, params) -> dict:
    return {"jsonrpc": "2.0", "method": method, "params": params}


def test_notifications_leave_nothing_in_the_protocols_tables(monkeypatch):
    """pygls kept the future of each generator or async notification handler forever."""
    server = create_server()
    protocol = server.protocol
    monkeypatch.setattr(server, "schedule", lambda uri: None)  # no checking: the tables alone
    monkeypatch.setattr(server, "recheck_all", lambda: None)
    uri = "file:///tmp/stapkit-lsp-tests/futures.stp"

    async def run():
        protocol.handle_message(protocol.structure_message(_notification("textDocument/didOpen", {
            "textDocument": {"uri": uri, "languageId": "systemtap", "version": 1, "text": "probe begin {}\n"}})))
        for version in range(2, 202):
            protocol.handle_message(protocol.structure_message(_notification("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"range": {"start": {"line": 0, "character": 0},
                                              "end": {"line": 0, "character": 0}}, "text": "#"}]})))
        for _ in range(20):  # an asynchronous notification handler
            protocol.handle_message(protocol.structure_message(_notification(
                "workspace/didChangeConfiguration", {"settings": {"stapkit": {}}})))
        await asyncio.sleep(0.1)  # let the asynchronous handlers finish
        protocol.handle_message(protocol.structure_message(_notification("textDocument/didClose", {
            "textDocument": {"uri": uri}})))

    asyncio.run(run())
    assert server.documents == {}
    assert protocol._request_futures == {}


# ---------------------------------------------------------------- every request is answered


def test_a_request_with_invalid_params_gets_an_error_answer():
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": None},
        {"jsonrpc": "2.0", "id": "three", "method": "textDocument/completion", "params": {"position": 5}},
        {"jsonrpc": "2.0", "id": 4, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    result = _session(messages)
    assert result.returncode == 0, result.stderr.decode()
    answers = {m["id"]: m for m in _replies(result.stdout) if "id" in m and "method" not in m}
    assert answers[2]["error"]["code"] == -32602  # InvalidParams
    assert answers["three"]["error"]["code"] == -32602
    assert "result" in answers[4]  # and the server went on serving


def test_a_message_that_is_not_json_gets_a_parse_error():
    body = b'{"jsonrpc": "2.0", "id": 2, "method": '
    result = subprocess.run(SERVER, input=b"".join([
        _frame({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
        b"Content-Length: %d\r\n\r\n" % len(body) + body,
        _frame({"jsonrpc": "2.0", "id": 3, "method": "shutdown"}),
        _frame({"jsonrpc": "2.0", "method": "exit"})]), capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    answers = [m for m in _replies(result.stdout) if "method" not in m]
    assert any(m.get("id") is None and m.get("error", {}).get("code") == -32700 for m in answers), answers
    assert any(m.get("id") == 3 and "result" in m for m in answers)


# ---------------------------------------------------------------- --log-file


@pytest.mark.parametrize("where", ["directory", "under a file", "read-only"])
def test_a_log_file_that_cannot_be_written_is_a_usage_error(tmp_path, where):
    if where == "directory":
        log = tmp_path
    elif where == "under a file":
        (tmp_path / "file").write_text("")
        log = tmp_path / "file" / "server.log"
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes into read-only directories")
        readonly = tmp_path / "ro"
        readonly.mkdir()
        readonly.chmod(0o500)
        log = readonly / "server.log"
    for command in ([sys.executable, "-m", "stapkit", "lsp"], SERVER):
        result = subprocess.run(command + ["--log-file", str(log)], input=b"", capture_output=True, timeout=120)
        assert result.returncode == 2, result.stderr.decode()
        lines = result.stderr.decode().strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("stapkit: error: cannot write the log file"), lines
        assert str(log) in lines[0] and "internal error" not in lines[0]
