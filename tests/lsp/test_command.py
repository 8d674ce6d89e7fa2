"""`stapkit lsp` as an editor starts it: the subcommand, its options, a clean shutdown."""

from __future__ import annotations

import json
import subprocess
import sys


def _frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def test_the_subcommand_answers_logs_and_exits_after_shutdown(tmp_path):
    log = tmp_path / "server.log"
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    result = subprocess.run(
        [sys.executable, "-m", "stapkit", "lsp", "--stdio", "--log-file", str(log), "--log-level", "debug"],
        input=b"".join(_frame(m) for m in messages), capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode()
    assert b'"id": 1' in result.stdout and b'"capabilities"' in result.stdout
    assert log.read_text().strip()  # --log-file with --log-level debug: the messages are logged there
