"""Issue 14: checks run off the event loop, one at a time per document, and a long one holds up nothing.

The long check is that of a 36,000-line script (12,000 probes; about 5 s here on a quiet
machine): long enough that the answers these tests wait for come first even when the machine
is busy (with 4,000 probes the check of version 2 sometimes won the race under load).
The tests assert the order in which answers and diagnostics arrive, never a time.
"""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from .conftest import config, start
from .helpers import open_document, position, uri_for, wait_diagnostics

pytestmark = pytest.mark.asyncio(loop_scope="module")

ANSWER = 120  # seconds
SMALL = """\
global total
probe begin {
  total = 1
}
probe end { printf("%d\\n", total) }
"""
LONG_TAIL = "".join(f"probe timer.ms({k + 1}) {{\n  total += {k}\n}}\n" for k in range(12000))


@pytest_lsp.fixture(config=config(), scope="module")
async def busy_client(lsp_client: LanguageClient):
    await start(lsp_client, "visual-studio-code", options={"ignore": ["STP516"]})
    yield
    await lsp_client.shutdown_session()


def doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri)


def published_versions(client, uri: str) -> list[int]:
    return [p.version for p in client.published if p.uri == uri]


async def test_a_long_check_holds_up_no_request_on_another_document(busy_client):
    client = busy_client
    other = await open_document(client, SMALL, "other.stp")
    long = uri_for("long.stp")
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=long, language_id="systemtap", version=1, text=SMALL + LONG_TAIL)))
    hover = await asyncio.wait_for(client.text_document_hover_async(
        types.HoverParams(doc(other), position(SMALL, "total", occurrence=2))), ANSWER)
    symbols = await asyncio.wait_for(client.text_document_document_symbol_async(
        types.DocumentSymbolParams(doc(other))), ANSWER)
    assert published_versions(client, long) == []  # both answered while the long check ran
    assert hover is not None and "total" in hover.contents.value
    assert symbols
    await wait_diagnostics(client, long, version=1)


async def test_hover_answers_from_the_last_analysis_while_the_new_text_is_checked(busy_client):
    client = busy_client
    uri = await open_document(client, SMALL, "typing.stp")
    text = SMALL + LONG_TAIL
    end = types.Position(SMALL.count("\n"), 0)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [types.TextDocumentContentChangePartial(range=types.Range(end, end), text=LONG_TAIL)]))
    # On a line the change did not touch: the analysis of version 1 answers, at once.
    at = position(text, "total", occurrence=2)
    hover = await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(doc(uri), at)), ANSWER)
    assert 2 not in published_versions(client, uri)
    assert hover is not None and "total" in hover.contents.value
    assert hover.range is not None and hover.range.start == at
    # In the new text: only its own analysis can answer.
    inside = position(text, "total += 7", delta=1)
    hover = await asyncio.wait_for(client.text_document_hover_async(types.HoverParams(doc(uri), inside)), ANSWER)
    assert 2 in published_versions(client, uri)
    assert hover is not None and "total" in hover.contents.value


async def test_a_newer_version_supersedes_the_running_check(busy_client):
    client = busy_client
    uri = uri_for("superseded.stp")
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="systemtap", version=1, text=SMALL + LONG_TAIL)))
    await asyncio.sleep(0.2)  # the check of version 1 is under way
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [types.TextDocumentContentChangeWholeDocument(text="probe begin { undefined_fn() }\n")]))
    found = await wait_diagnostics(client, uri, version=2)
    assert any("undefined_fn" in d.message for d in found)
    assert published_versions(client, uri) == [2]  # version 1's result was dropped, never published
