"""Bad and heavy input: every request answers, the server never dies, memory stays flat."""

from __future__ import annotations

import asyncio
import logging
import random

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from stapkit.lint.runner import lint_text
from stapkit.lsp.server import guarded
from stapkit.lsp.settings import Settings

from ..corpora import EXAMPLES, example_files, require
from .helpers import open_document, read, uri_for, wait_diagnostics

pytestmark = pytest.mark.asyncio(loop_scope="module")

NETTOP = EXAMPLES / "network" / "nettop.stp"
ANSWER = 60  # seconds any request may take before the test calls it unanswered


def doc(uri):
    return types.TextDocumentIdentifier(uri)


async def every_request(client, uri: str, pos: types.Position) -> None:
    """Ask for everything at a position; each must answer (a result or null), none may fail."""
    requests = [
        client.text_document_hover_async(types.HoverParams(doc(uri), pos)),
        client.text_document_completion_async(types.CompletionParams(doc(uri), pos)),
        client.text_document_signature_help_async(types.SignatureHelpParams(doc(uri), pos)),
        client.text_document_definition_async(types.DefinitionParams(doc(uri), pos)),
        client.text_document_references_async(types.ReferenceParams(
            text_document=doc(uri), position=pos, context=types.ReferenceContext(include_declaration=True))),
        client.text_document_document_highlight_async(types.DocumentHighlightParams(doc(uri), pos)),
        client.text_document_document_symbol_async(types.DocumentSymbolParams(doc(uri))),
        client.text_document_folding_range_async(types.FoldingRangeParams(doc(uri))),
        client.text_document_formatting_async(types.DocumentFormattingParams(
            doc(uri), types.FormattingOptions(tab_size=2, insert_spaces=True))),
        client.text_document_code_action_async(types.CodeActionParams(
            doc(uri), types.Range(pos, pos), types.CodeActionContext(diagnostics=[]))),
    ]
    await asyncio.wait_for(asyncio.gather(*requests), ANSWER)
    # prepareRename answers with a result or with a "cannot rename" error (RequestFailed): never silence.
    try:
        await asyncio.wait_for(client.text_document_prepare_rename_async(
            types.PrepareRenameParams(doc(uri), pos)), ANSWER)
    except JsonRpcException as err:
        assert err.code == -32803, err


async def test_an_empty_document(client):
    uri = await open_document(client, "", "empty.stp")
    assert [d.code for d in client.diagnostics[uri]] == [
        d.code for d in lint_text("", "empty.stp", Settings().options_for(None).lint).diagnostics]
    await every_request(client, uri, types.Position(0, 0))


async def test_binary_content(client):
    data = require(EXAMPLES.parent / "examples" / "general" / "click.wav").read_bytes()[:20000]
    text = data.decode("utf-8", errors="replace") + "\x00\x01\x0c\u2028\udcff"
    uri = await open_document(client, text, "click.stp")
    assert client.diagnostics[uri]
    for line in (0, 3, 50):
        await every_request(client, uri, types.Position(line, 5))


async def test_positions_past_the_end(client):
    text = read(require(NETTOP))
    uri = await open_document(client, text, "nettop.stp")
    await every_request(client, uri, types.Position(10_000, 10_000))
    await every_request(client, uri, types.Position(2, 10_000))


async def test_requests_for_a_document_never_opened(client):
    uri = uri_for("never-opened.stp")
    await every_request(client, uri, types.Position(0, 0))
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [types.TextDocumentContentChangeWholeDocument("probe begin {}")]))
    live = await open_document(client, "probe begin { exit() }\n", "alive.stp")
    assert list(client.diagnostics[live]) == []


async def test_typing_a_real_script_one_character_at_a_time(client):
    """Every prefix of nettop.stp, typed as an editor sends it; every request answers at every point."""
    text = read(require(NETTOP))
    uri = await open_document(client, "", "typed.stp")
    line, column = 0, 0
    for i, ch in enumerate(text, start=1):
        here = types.Position(line, column)
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=i + 1),
            [types.TextDocumentContentChangePartial(range=types.Range(here, here), text=ch)]))
        if ch == "\n":
            line, column = line + 1, 0
        else:
            column += 1
        cursor = types.Position(line, column)
        await asyncio.wait_for(asyncio.gather(
            client.text_document_completion_async(types.CompletionParams(doc(uri), cursor)),
            client.text_document_signature_help_async(types.SignatureHelpParams(doc(uri), cursor))), ANSWER)
        if i % 25 == 0:
            await every_request(client, uri, cursor)
    diagnostics = await wait_diagnostics(client, uri, version=len(text) + 1)
    path = uri.removeprefix("file://")
    assert sorted(d.code for d in diagnostics) == sorted(
        d.code for d in lint_text(text, path, Settings().options_for(path).lint).diagnostics)


def ten_thousand_lines() -> str:
    pieces = []
    lines = 0
    for path in example_files():
        text = read(path)
        pieces.append(text)
        lines += text.count("\n")
        if lines >= 10_000:
            break
    return "\n".join(pieces)


async def test_a_ten_thousand_line_document(client):
    require(EXAMPLES)
    text = ten_thousand_lines()
    assert text.count("\n") >= 10_000
    uri = await open_document(client, text, "big.stp")
    assert client.diagnostics[uri]
    for line in (0, 5000, 9999):
        await every_request(client, uri, types.Position(line, 3))
    end = types.Position(text.count("\n"), 0)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [types.TextDocumentContentChangePartial(range=types.Range(end, end), text="probe begin { exit() }\n")]))
    await wait_diagnostics(client, uri, version=2)


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def test_memory_stays_flat_over_a_thousand_edits(client):
    text = read(require(NETTOP))
    uri = await open_document(client, text, "memory.stp")
    pid = client._server.pid
    rng = random.Random(7)
    lines = text.split("\n")

    async def edits(first_version: int, count: int) -> None:
        # Type a character into a random line, then delete it: the text stays the same size.
        for k in range(count):
            version = first_version + 2 * k
            line = rng.randrange(len(lines))
            at = types.Position(line, rng.randrange(len(lines[line]) + 1))
            after = types.Position(at.line, at.character + 1)
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                [types.TextDocumentContentChangePartial(range=types.Range(at, at), text="x")]))
            await client.text_document_hover_async(types.HoverParams(doc(uri), at))
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=version + 1),
                [types.TextDocumentContentChangePartial(range=types.Range(at, after), text="")]))
            await client.text_document_completion_async(types.CompletionParams(doc(uri), at))

    await edits(2, 100)  # warm up: caches fill, the allocator settles
    await wait_diagnostics(client, uri, version=201)
    before = rss_kb(pid)
    await edits(202, 500)  # a thousand edits
    await wait_diagnostics(client, uri, version=1201)
    after = rss_kb(pid)
    assert after - before < 10_000, (before, after)  # kB


async def test_a_failing_feature_answers_empty_and_logs(caplog):
    @guarded(list)
    def broken(ls, params):
        raise RuntimeError("feature bug")

    @guarded()
    async def broken_async(ls, params):
        raise KeyError("another")

    with caplog.at_level(logging.ERROR, logger="stapkit.lsp"):
        assert broken(None, None) == []
        assert await broken_async(None, None) is None
    assert "feature bug" in caplog.text and "KeyError" in caplog.text


async def test_a_missing_database_is_reported_on_the_document(client, tmp_path):
    missing = tmp_path / "no-such-db.jsonl"
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"stapkit": {"db": str(missing)}}))
    uri = await open_document(client, "probe begin { exit() }\n", "db.stp")
    (only,) = client.diagnostics[uri]
    assert str(missing) in only.message and "bug" not in only.message
    await every_request(client, uri, types.Position(0, 15))
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"stapkit": {}}))
    live = await open_document(client, "probe begin { exit() }\n", "alive.stp")
    assert list(client.diagnostics[live]) == []
