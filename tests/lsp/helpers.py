"""Driving the server as an editor does: open a document, wait for its diagnostics, ask at a position."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

from lsprotocol import types

_COUNTER = itertools.count(1)
TIMEOUT = 60


def uri_for(name: str) -> str:
    """A unique file URI (documents opened by earlier tests of the module stay open)."""
    return f"file:///tmp/stapkit-lsp-tests/{next(_COUNTER)}/{name}"


def position(text: str, needle: str, delta: int = 0, occurrence: int = 1) -> types.Position:
    """The UTF-16 position of the `occurrence`th `needle` in `text`, plus `delta` characters."""
    index = -1
    for _ in range(occurrence):
        index = text.index(needle, index + 1)
    index += delta
    line = text.count("\n", 0, index)
    column_text = text[text.rfind("\n", 0, index) + 1:index]
    return types.Position(line, len(column_text.encode("utf-16-le")) // 2)


async def wait_diagnostics(client, uri: str, version: int | None = None) -> list[types.Diagnostic]:
    """The diagnostics published for the document (of that version, if given)."""
    async def wait():
        while True:
            if uri in client.diagnostics and (version is None or client.diagnostics_versions.get(uri) == version):
                return client.diagnostics[uri]
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return await asyncio.wait_for(wait(), TIMEOUT)


async def open_document(client, text: str, name: str = "test.stp", uri: str | None = None,
                        wait: bool = True) -> str:
    uri = uri or uri_for(name)
    client.diagnostics.pop(uri, None)
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="systemtap", version=1, text=text)))
    if wait:
        await wait_diagnostics(client, uri)
    return uri


def read(path: str | Path) -> str:
    return Path(path).read_text(encoding="utf-8", errors="replace")
