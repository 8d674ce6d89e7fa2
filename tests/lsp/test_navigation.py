"""Go to definition, references, highlights and rename, on real scripts."""

from __future__ import annotations

import re

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException

from ..corpora import EXAMPLES, TAPSET, require
from .helpers import open_document, position, read

pytestmark = pytest.mark.asyncio(loop_scope="module")

NETTOP = EXAMPLES / "network" / "nettop.stp"
SCHEDTIMES = EXAMPLES / "process" / "schedtimes.stp"
ALIAS_SUFFIXES = EXAMPLES / "general" / "alias_suffixes.stp"


def at(text: str, needle: str, delta: int = 1, occurrence: int = 1):
    return position(text, needle, delta, occurrence)


def places(text: str, word: str) -> list[types.Position]:
    """Every position where `word` stands as a whole word."""
    out = []
    for match in re.finditer(rf"(?<![\w$@]){re.escape(word)}(?![\w$])", text):
        out.append(position(text, word, 0, text.count(word, 0, match.start()) + 1))
    return out


async def definition(client, uri, pos):
    result = await client.text_document_definition_async(types.DefinitionParams(types.TextDocumentIdentifier(uri), pos))
    return result if isinstance(result, list) else ([result] if result else [])


async def references(client, uri, pos, declaration=True):
    return await client.text_document_references_async(types.ReferenceParams(
        text_document=types.TextDocumentIdentifier(uri), position=pos,
        context=types.ReferenceContext(include_declaration=declaration)))


async def test_global_definition_and_references(client):
    text = read(require(NETTOP))
    uri = await open_document(client, text, "nettop.stp")
    found = await definition(client, uri, at(text, "ifrecv[pid()"))
    assert [(d.uri, d.range.start) for d in found] == [(uri, at(text, "ifrecv", 0))]
    refs = await references(client, uri, at(text, "ifrecv", 0))
    assert sorted((r.range.start.line, r.range.start.character) for r in refs) == \
        sorted((p.line, p.character) for p in places(text, "ifrecv"))
    without = await references(client, uri, at(text, "ifrecv", 0), declaration=False)
    assert len(without) == len(refs) - 1


async def test_function_definition_and_references(client):
    text = read(require(NETTOP))
    uri = await open_document(client, text, "nettop.stp")
    found = await definition(client, uri, at(text, "  print_activity()", 3))
    assert found[0].range.start == at(text, "print_activity", 0)
    refs = await references(client, uri, at(text, "print_activity", 0))
    assert len(refs) == 2


async def test_local_definition_is_its_first_assignment(client):
    text = read(require(NETTOP))
    uri = await open_document(client, text, "nettop.stp")
    found = await definition(client, uri, at(text, "n_xmit, n_recv"))
    assert found[0].range.start == at(text, "n_xmit =", 0)
    highlights = await client.text_document_document_highlight_async(types.DocumentHighlightParams(
        types.TextDocumentIdentifier(uri), at(text, "n_xmit =", 0)))
    kinds = sorted(h.kind for h in highlights)
    assert kinds == [types.DocumentHighlightKind.Read, types.DocumentHighlightKind.Write]


async def test_library_function_and_alias_in_the_tapset_sources(client):
    require(TAPSET)
    text = read(require(NETTOP))
    uri = await open_document(client, text, "nettop.stp")
    found = await definition(client, uri, at(text, "execname()"))
    assert found and found[0].uri.endswith("/linux/context.stp")
    line = read(TAPSET / "linux" / "context.stp").split("\n")[found[0].range.start.line]
    assert "function execname" in line
    assert line[found[0].range.start.character:found[0].range.end.character] == "execname"
    found = await definition(client, uri, at(text, "netdev.transmit", 8))
    assert found[0].uri.endswith("/linux/networking.stp")
    line = read(TAPSET / "linux" / "networking.stp").split("\n")[found[0].range.start.line]
    assert re.match(r"probe\s+netdev\.transmit\b", line)


async def test_alias_variable_goes_to_the_alias_body(client):
    text = read(require(NETTOP))
    uri = await open_document(client, text, "nettop.stp")
    found = await definition(client, uri, at(text, "dev_name"))
    assert found and found[0].uri.endswith("/linux/networking.stp")
    line = read(TAPSET / "linux" / "networking.stp").split("\n")[found[0].range.start.line]
    assert re.search(r"\bdev_name\s*=", line)


async def test_macro_definition_and_invocations(client):
    text = read(require(SCHEDTIMES))
    uri = await open_document(client, text, "schedtimes.stp")
    found = await definition(client, uri, at(text, "@nr_iowait(@rq) >"))
    assert found[0].range.start == at(text, "nr_iowait(rq)", 0)
    refs = await references(client, uri, at(text, "@nr_iowait(@rq) >"))
    assert len(refs) == 1 + text.count("@nr_iowait(")


async def test_script_alias_definition_and_uses(client):
    text = read(require(ALIAS_SUFFIXES))
    uri = await open_document(client, text, "alias_suffixes.stp")
    found = await definition(client, uri, at(text, "miscellany.return"))
    assert found[0].range.start == at(text, "miscellany =", 0)
    refs = await references(client, uri, at(text, "miscellany =", 0))
    assert len(refs) == 3


async def test_rename_a_global_everywhere(client):
    text = read(require(NETTOP))
    uri = await open_document(client, text, "nettop.stp")
    prepared = await client.text_document_prepare_rename_async(types.PrepareRenameParams(
        types.TextDocumentIdentifier(uri), at(text, "ifmerged[pid()")))
    assert prepared.placeholder == "ifmerged"
    edit = await client.text_document_rename_async(types.RenameParams(
        types.TextDocumentIdentifier(uri), at(text, "ifmerged[pid()"), "merged"))
    edits = edit.changes[uri]
    assert len(edits) == len(places(text, "ifmerged"))
    assert all(e.new_text == "merged" for e in edits)


async def test_rename_a_macro_renames_its_invocations(client):
    text = read(require(SCHEDTIMES))
    uri = await open_document(client, text, "schedtimes.stp")
    edit = await client.text_document_rename_async(types.RenameParams(
        types.TextDocumentIdentifier(uri), at(text, "@nr_iowait(@rq) >"), "iowaiting"))
    new_texts = sorted(e.new_text for e in edit.changes[uri])
    assert new_texts == ["@iowaiting"] * text.count("@nr_iowait(") + ["iowaiting"]


async def test_renames_that_would_change_the_meaning_are_refused(client):
    text = read(require(NETTOP))
    uri = await open_document(client, text, "nettop.stp")
    with pytest.raises(JsonRpcException, match="is a global"):
        await client.text_document_rename_async(types.RenameParams(
            types.TextDocumentIdentifier(uri), at(text, "n_xmit =", 0), "ifrecv"))
    with pytest.raises(JsonRpcException, match="tapset library"):
        await client.text_document_prepare_rename_async(types.PrepareRenameParams(
            types.TextDocumentIdentifier(uri), at(text, "execname()")))
    with pytest.raises(JsonRpcException, match="not a valid SystemTap identifier"):
        await client.text_document_rename_async(types.RenameParams(
            types.TextDocumentIdentifier(uri), at(text, "n_xmit =", 0), "probe"))
