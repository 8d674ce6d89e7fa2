"""Diagnostics: on open, change and save; every finding of `stapkit lint`; stale checks never published."""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from stapkit.lint.runner import lint_text
from stapkit.lsp.convert import RULE_DOCS_URL
from stapkit.lsp.settings import Settings

from ..corpora import EXAMPLES, require
from .conftest import config, start
from .helpers import open_document, position, read, uri_for, wait_diagnostics

pytestmark = pytest.mark.asyncio(loop_scope="module")

NETTOP = EXAMPLES / "network" / "nettop.stp"
TCP_TRACE = EXAMPLES / "network" / "tcp_trace.stp"


def broken_nettop() -> str:
    """nettop.stp with three mistakes: a misspelt function, a type clash, an unused local."""
    text = read(require(NETTOP))
    text = text.replace("  print_activity()\n", "  print_activty()\n")
    text = text.replace("probe netdev.receive\n{\n",
                        "probe netdev.receive\n{\n  kind = \"rx\"\n  kind = 1\n  println(kind)\n")
    text = text.replace("probe netdev.transmit\n{\n", "probe netdev.transmit\n{\n  unused = 5\n")
    return text


def expected(text: str, uri: str) -> list[tuple[str, int, int]]:
    """What `stapkit lint` reports for the text, as (code, line, column) from 0."""
    path = uri.removeprefix("file://")
    result = lint_text(text, path, Settings().options_for(path).lint)
    out = []
    for d in result.diagnostics:
        before = text[:d.span.start]
        out.append((d.code, before.count("\n"), len(before) - before.rfind("\n") - 1))
    return sorted(out)


def found(diagnostics) -> list[tuple[str, int, int]]:
    return sorted((d.code, d.range.start.line, d.range.start.character) for d in diagnostics)


async def test_open_publishes_every_finding_with_its_code_and_page(client):
    text = broken_nettop()
    uri = await open_document(client, text, "nettop.stp")
    diagnostics = client.diagnostics[uri]
    assert found(diagnostics) == expected(text, uri)
    assert client.diagnostics_versions[uri] == 1
    unresolved = next(d for d in diagnostics if d.code == "STP101")
    assert unresolved.severity == types.DiagnosticSeverity.Error
    assert "print_activty" in unresolved.message and "print_activity" in unresolved.message
    assert unresolved.range.start == position(text, "print_activty")
    assert unresolved.code_description.href == RULE_DOCS_URL.format(code="STP101")
    assert all(d.source == "stapkit" and d.code_description.href.endswith(f"/{d.code}.md") for d in diagnostics)


async def test_related_information_points_at_the_first_inference(client):
    text = broken_nettop()
    uri = await open_document(client, text, "nettop.stp")
    clash = [d for d in client.diagnostics[uri] if d.related_information]
    assert clash, client.diagnostics[uri]
    related = clash[0].related_information[0]
    assert related.location.uri == uri
    assert related.location.range.start == position(text, 'kind = "rx"')


async def test_an_incremental_change_publishes_the_new_version(client):
    text = broken_nettop()
    uri = await open_document(client, text, "nettop.stp")
    start = position(text, "print_activty")
    end = types.Position(start.line, start.character + len("print_activty"))
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [types.TextDocumentContentChangePartial(range=types.Range(start, end), text="print_activity")]))
    diagnostics = await wait_diagnostics(client, uri, version=2)
    fixed = text.replace("print_activty", "print_activity")
    assert found(diagnostics) == expected(fixed, uri)
    assert "STP101" not in {d.code for d in diagnostics}


async def test_edits_one_after_the_other_publish_what_a_check_from_scratch_finds(client):
    """Each check reuses the declarations the last one parsed (syntax/reuse.py): after every edit, what
    is published is what `stapkit lint` finds in the whole text."""
    text = broken_nettop()
    uri = await open_document(client, text, "nettop.stp")
    edits = [  # (what is replaced, by what): above everything, inside one probe, a new declaration, ...
        ("global ifxmit", "# counted per interface\nglobal ifxmit"),
        ("print_activty()", "print_activity()"),
        ('kind = "rx"', 'kind = "rx" + 1'),
        ("unused = 5", "unused = 5 unused2 = \"x\""),
        ("probe netdev.transmit", "probe end { println(never_set) }\nprobe netdev.transmit"),
        ("# counted per interface\n", ""),
        ("probe end { println(never_set) }\n", ""),
    ]
    version = 1
    for old, new in edits:
        start_offset = text.index(old)
        start = position(text, old)
        before_end = text[:start_offset + len(old)]
        end = types.Position(before_end.count("\n"), len(before_end) - before_end.rfind("\n") - 1)
        version += 1
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [types.TextDocumentContentChangePartial(range=types.Range(start, end), text=new)]))
        text = text[:start_offset] + new + text[start_offset + len(old):]
        diagnostics = await wait_diagnostics(client, uri, version=version)
        assert found(diagnostics) == expected(text, uri), (old, new)


async def test_a_burst_of_changes_publishes_only_the_newest_version(client):
    text = read(require(TCP_TRACE))
    uri = await open_document(client, text, "tcp_trace.stp")
    before = len(client.published)
    # 30 edits sent at once, as fast typing does: each appends a character to the first comment.
    line_end = types.Position(0, len(text.split("\n", 1)[0]))
    for version in range(2, 32):
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            [types.TextDocumentContentChangePartial(range=types.Range(line_end, line_end), text="x")]))
        line_end = types.Position(0, line_end.character + 1)
    await wait_diagnostics(client, uri, version=31)
    versions = [p.version for p in client.published[before:] if p.uri == uri]
    assert versions[-1] == 31
    # The check of version 1 may finish before the burst is read; no version in between is ever published.
    assert set(versions) <= {1, 31}, versions


async def test_save_reads_the_configuration_again(client, tmp_path):
    text = broken_nettop()
    path = tmp_path / "nettop.stp"
    path.write_text(text)
    uri = path.as_uri()
    await open_document(client, text, uri=uri)
    warning = next(d.code for d in client.diagnostics[uri] if d.severity == types.DiagnosticSeverity.Warning)
    (tmp_path / "stapkit.toml").write_text(f'ignore = ["{warning}"]\n')
    published = len(client.published)
    client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))

    async def republished():
        while not any(p.uri == uri for p in client.published[published:]):
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    await asyncio.wait_for(republished(), 60)
    assert warning not in {d.code for d in client.diagnostics[uri]}
    assert "STP101" in {d.code for d in client.diagnostics[uri]}


async def test_a_changed_configuration_file_is_read_again(client, tmp_path):
    # The server asked to be told of changes to the configuration files...
    for _ in range(600):  # the request comes right after initialization
        watched = [r for r in client.registrations if r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES]
        if watched:
            break
        await asyncio.sleep(0.05)
    assert {w["globPattern"] for w in watched[0].register_options["watchers"]} == {
        "**/stapkit.toml", "**/.stapkit.toml", "**/pyproject.toml"}
    text = broken_nettop()
    path = tmp_path / "nettop.stp"
    path.write_text(text)
    uri = path.as_uri()
    await open_document(client, text, uri=uri)
    warning = next(d.code for d in client.diagnostics[uri] if d.severity == types.DiagnosticSeverity.Warning)
    config = tmp_path / "pyproject.toml"
    config.write_text(f'[tool.stapkit]\nignore = ["{warning}"]\n')
    published = len(client.published)
    # ... and the editor tells it.
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
        [types.FileEvent(uri=config.as_uri(), type=types.FileChangeType.Created)]))

    async def republished():
        while not any(p.uri == uri for p in client.published[published:]):
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    await asyncio.wait_for(republished(), 60)
    assert warning not in {d.code for d in client.diagnostics[uri]}


async def test_close_clears_the_diagnostics(client):
    uri = await open_document(client, broken_nettop(), "nettop.stp")
    assert client.diagnostics[uri]
    client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))

    async def cleared():
        while client.diagnostics[uri]:
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    await asyncio.wait_for(cleared(), 60)


async def test_client_settings_change_the_selection(client):
    text = broken_nettop()
    uri = await open_document(client, text, "nettop.stp")
    warning = next(d.code for d in client.diagnostics[uri] if d.severity == types.DiagnosticSeverity.Warning)
    published = len(client.published)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"stapkit": {"ignore": [warning]}}))

    async def republished():
        while not any(p.uri == uri for p in client.published[published:]):
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    await asyncio.wait_for(republished(), 60)
    assert warning not in {d.code for d in client.diagnostics[uri]}
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"stapkit": {}}))


async def test_a_bad_client_setting_is_shown_and_ignored(client):
    messages = len(client.messages)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"stapkit": {"selct": ["STP5"]}}))
    uri = await open_document(client, broken_nettop(), "nettop.stp")
    assert any("selct" in m.message and m.type == types.MessageType.Warning for m in client.messages[messages:])
    assert "STP101" in {d.code for d in client.diagnostics[uri]}
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"stapkit": {}}))


async def test_pulled_diagnostics_have_result_ids(pull_client):
    text = broken_nettop()
    uri = uri_for("nettop.stp")
    pull_client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="systemtap", version=1, text=text)))
    identifier = types.TextDocumentIdentifier(uri)
    report = await pull_client.text_document_diagnostic_async(types.DocumentDiagnosticParams(identifier))
    assert report.kind == "full"
    assert found(report.items) == expected(text, uri)
    again = await pull_client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(identifier, previous_result_id=report.result_id))
    assert again.kind == "unchanged" and again.result_id == report.result_id
    pull_client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=2), [types.TextDocumentContentChangeWholeDocument(
            text.replace("print_activty", "print_activity"))]))
    changed = await pull_client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(identifier, previous_result_id=report.result_id))
    assert changed.kind == "full" and changed.result_id != report.result_id
    assert "STP101" not in {d.code for d in changed.items}
    assert uri not in pull_client.diagnostics  # a client that pulls gets nothing pushed


async def test_utf8_positions_for_a_client_that_asks_for_them(pull_client):
    # Neovim 0.11 prefers UTF-8: a character before the error shifts its column by its bytes.
    text = 'probe begin { printf("é€😀 %s\\n", exeame()) }\n'
    uri = uri_for("utf8.stp")
    pull_client.text_document_did_open(types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id="systemtap", version=1, text=text)))
    report = await pull_client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(types.TextDocumentIdentifier(uri)))
    unresolved = next(d for d in report.items if d.code == "STP101")
    column = len(text[:text.index("exeame")].encode("utf-8"))
    assert unresolved.range.start == types.Position(0, column)


@pytest_lsp.fixture(config=config(), scope="module")
async def configured_client(lsp_client: LanguageClient):
    # The client answers workspace/configuration (as VS Code does) with its "stapkit" section.
    lsp_client.set_configuration({"ignore": ["STP503"]}, section="stapkit")
    await start(lsp_client, "visual-studio-code")
    yield
    await lsp_client.shutdown_session()


async def test_the_servers_asks_the_client_for_its_settings(configured_client):
    text = broken_nettop()
    path = "/tmp/stapkit-lsp-tests/nettop.stp"
    all_codes = {d.code for d in lint_text(text, path, Settings().options_for(path).lint).diagnostics}
    assert "STP503" in all_codes

    async def settled() -> str:
        # The settings arrive just after initialization: open the script until a check used them.
        while True:
            uri = await open_document(configured_client, text, "nettop.stp")
            if "STP503" not in {d.code for d in configured_client.diagnostics[uri]}:
                return uri
            await asyncio.sleep(0.2)
    uri = await asyncio.wait_for(settled(), 60)
    assert {d.code for d in configured_client.diagnostics[uri]} == all_codes - {"STP503"}
