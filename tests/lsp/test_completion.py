"""Completion and signature help, typed into real scripts."""

from __future__ import annotations

import pytest
import pytest_asyncio
from lsprotocol import types

from ..corpora import EXAMPLES, require
from .helpers import open_document, position, read, wait_diagnostics

pytestmark = pytest.mark.asyncio(loop_scope="module")

NETTOP = EXAMPLES / "network" / "nettop.stp"
ALIAS_SUFFIXES = EXAMPLES / "general" / "alias_suffixes.stp"


async def edit(client, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        [types.TextDocumentContentChangeWholeDocument(text)]))


async def complete_at(client, uri: str, text: str, marker: str = "|", version: int = 2):
    """Put the text (with the cursor at the marker) in the document and ask for completions there."""
    cursor = position(text, marker)
    plain = text.replace(marker, "", 1)
    await edit(client, uri, plain, version)
    result = await client.text_document_completion_async(types.CompletionParams(
        types.TextDocumentIdentifier(uri), cursor))
    items = result.items if isinstance(result, types.CompletionList) else result
    return {item.label: item for item in items}


async def test_an_empty_prefix_says_the_list_is_incomplete(client, nettop):
    uri, text = nettop
    changed = text.replace("    n_recv = @count", "    n_recv = \n    x = @count")
    await edit(client, uri, changed, 2)
    result = await client.text_document_completion_async(types.CompletionParams(
        types.TextDocumentIdentifier(uri), position(changed, "n_recv = ", len("n_recv = "))))
    assert result.is_incomplete


@pytest_asyncio.fixture(loop_scope="module")
async def nettop(client):
    text = read(require(NETTOP))
    return await open_document(client, text, "nettop.stp"), text


async def test_probe_point_first_components(client, nettop):
    uri, text = nettop
    items = await complete_at(client, uri, text.replace("probe netdev.transmit", "probe net|"))
    assert {"netdev", "netfilter"} <= set(items)  # the start of aliases' names, a family
    assert "begin" not in items
    assert all(item.kind == types.CompletionItemKind.Event for item in items.values())


async def test_probe_point_after_a_dot(client, nettop):
    uri, text = nettop
    items = await complete_at(client, uri, text.replace("probe netdev.transmit", "probe netdev.|"))
    assert {"transmit", "receive", "hard_transmit"} <= set(items)
    items = await complete_at(client, uri, text.replace("probe netdev.transmit", "probe kernel.|"), version=3)
    assert {"function(string)", "statement(number)", "trace(string)"} <= set(items)


async def test_kernel_function_argument(client, nettop):
    uri, text = nettop
    items = await complete_at(client, uri, text.replace("probe netdev.transmit", 'probe kernel.function("vfs_|'))
    assert {"vfs_read", "vfs_write"} <= set(items)
    assert all(label.startswith("vfs_") for label in items)
    edit_range = items["vfs_read"].text_edit.range
    line = text.replace("probe netdev.transmit", 'probe kernel.function("vfs_').split("\n").index(
        'probe kernel.function("vfs_')
    assert (edit_range.start.line, edit_range.start.character, edit_range.end.character) == (line, 23, 27)


async def test_alias_variables_in_a_handler(client, nettop):
    uri, text = nettop
    items = await complete_at(client, uri, text.replace("<<< length\n", "<<< len|\n", 1))
    assert items["length"].kind == types.CompletionItemKind.Field
    assert items["length"].detail == "length:long"
    items = await complete_at(client, uri, text.replace("<<< length\n", "<<< dev|\n", 1), version=3)
    assert "dev_name" in items


async def test_functions_with_signatures_globals_locals_and_keywords(client, nettop):
    uri, text = nettop
    items = await complete_at(client, uri, text.replace("    n_recv = @count", "    n_recv = |\n    x = @count"))
    assert items["print_activity"].detail == "function print_activity()"  # the script's own
    assert items["ifxmit"].kind == types.CompletionItemKind.Variable and items["ifxmit"].detail == "global"
    assert items["n_xmit"].detail == "local"
    assert items["foreach"].kind == types.CompletionItemKind.Keyword
    assert "dev_name" not in items  # not a probe on netdev: no alias variables in a function
    # Nothing typed yet: the library's names come with the first letter.
    assert "execname" not in items
    items = await complete_at(client, uri, text.replace("    n_recv = @count", "    n_recv = exe|\n    x = @count"),
                              version=3)
    assert items["execname"].kind == types.CompletionItemKind.Function
    assert items["execname"].detail == "execname:string()"


async def test_at_operators_and_macros(client, nettop):
    uri, text = nettop
    items = await complete_at(client, uri, text.replace("n_xmit = @count", "n_xmit = @co|"))
    assert {"@count", "@const"} <= set(items)
    assert items["@count"].kind == types.CompletionItemKind.Operator
    assert all(label.startswith("@") for label in items)


async def test_context_variables(client, nettop):
    uri, text = nettop
    items = await complete_at(client, uri, text.replace("<<< length\n", "<<< $|\n", 1))
    assert {"$$vars", "$$parms", "$$locals"} <= set(items)


async def test_printf_directives(client, nettop):
    uri, text = nettop
    items = await complete_at(client, uri, text.replace('printf("%5s %5s', 'printf("%-12|%5s %5s'))
    assert {"%-12s", "%-12d", "%-12x"} <= set(items)
    assert items["%-12s"].detail == "a string"
    new = items["%-12s"].text_edit
    assert new.new_text == "%-12s" and new.range.end.character - new.range.start.character == 4


async def test_declaration_keywords_between_declarations(client, nettop):
    uri, text = nettop
    items = await complete_at(client, uri, text + "\npro|")
    assert "probe" in items


async def test_nothing_inside_a_comment(client, nettop):
    uri, text = nettop
    items = await complete_at(client, uri, text.replace("#! /usr/bin/env stap", "#! /usr/bin/env st|"))
    assert items == {}


async def test_resolve_adds_the_documentation(client, nettop):
    uri, text = nettop
    items = await complete_at(client, uri, text.replace("    n_recv = @count", "    n_recv = execn|\n    x = @count"))
    resolved = await client.completion_item_resolve_async(items["execname"])
    assert "callable by: **unprivileged**" in resolved.documentation.value


async def test_script_alias_names(client):
    text = read(require(ALIAS_SUFFIXES))
    uri = await open_document(client, text, "alias_suffixes.stp")
    items = await complete_at(client, uri, text.replace("probe miscellany.return", "probe misc|"))
    assert items["miscellany"].detail == "probe alias of this file (miscellany)"


async def test_signature_help_for_a_library_function(client, nettop):
    uri, text = nettop
    changed = text.replace("  print(\"\\n\")", "  print(substr(\"abc\", 1, ))")
    await edit(client, uri, changed, 2)
    cursor = position(changed, "1, )", 3)
    help_ = await client.text_document_signature_help_async(types.SignatureHelpParams(
        types.TextDocumentIdentifier(uri), cursor))
    assert help_.signatures[help_.active_signature].label == "substr(str:string, start:long, length:long):string"
    assert help_.active_parameter == 2


async def test_signature_help_for_printf_names_the_conversions(client, nettop):
    uri, text = nettop
    await wait_diagnostics(client, uri)
    cursor = position(text, "pid, uid, dev,", 10)  # at `dev`: the third value
    help_ = await client.text_document_signature_help_async(types.SignatureHelpParams(
        types.TextDocumentIdentifier(uri), cursor))
    signature = help_.signatures[0]
    assert signature.label.startswith("printf(format:string, %5d:long, %5d:long, %-12s:string")
    start, end = signature.parameters[help_.active_parameter].label
    assert signature.label[start:end] == "%-12s:string"


async def test_signature_help_for_a_script_function(client):
    text = read(require(EXAMPLES / "process" / "schedtimes.stp"))
    uri = await open_document(client, text, "schedtimes.stp")
    changed = text.replace("update_times(pid, t)\n", "update_times(pid, )\n", 1)
    assert changed != text
    await edit(client, uri, changed, 2)
    cursor = position(changed, "update_times(pid, )", len("update_times(pid, "))
    help_ = await client.text_document_signature_help_async(types.SignatureHelpParams(
        types.TextDocumentIdentifier(uri), cursor))
    assert help_.signatures[0].label == "update_times(pid, now)"
    assert help_.active_parameter == 1


async def test_one_edit_range_for_every_item_where_the_client_takes_it(pull_client):
    # Neovim 0.11 takes CompletionList.itemDefaults.editRange: the items carry only their text.
    text = read(require(NETTOP))
    uri = await open_document(pull_client, text, "nettop.stp", wait=False)
    changed = text.replace("<<< length\n", "<<< len\n", 1)
    await edit(pull_client, uri, changed, 2)
    cursor = position(changed, "<<< len", len("<<< len"))
    result = await pull_client.text_document_completion_async(types.CompletionParams(
        types.TextDocumentIdentifier(uri), cursor))
    replaced = result.item_defaults.edit_range
    assert (replaced.start.line, replaced.start.character, replaced.end.character) == (
        cursor.line, cursor.character - 3, cursor.character)
    length = next(item for item in result.items if item.label == "length")
    assert length.text_edit is None and length.text_edit_text == "length"


async def test_probe_point_components_are_the_target_release_s(client, nettop):
    uri, text = nettop
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"stapkit": {"target": {"systemtapVersion": "2.0"}}}))
    try:
        items = await complete_at(client, uri, text.replace("probe netdev.transmit", "probe timer.profile.|"),
                                  version=40)
        assert "tick" not in items  # SystemTap 2.0's timer.profile is complete (.tick came in 2.2)
        items = await complete_at(client, uri, text.replace("probe netdev.transmit",
                                                            'probe kernel.function("x").|'), version=41)
        assert "callees" not in items and "return" in items  # .callees came in 2.5
    finally:
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"stapkit": {}}))
    items = await complete_at(client, uri, text.replace("probe netdev.transmit", 'probe kernel.function("x").|'),
                              version=42)
    assert "callees" in items
