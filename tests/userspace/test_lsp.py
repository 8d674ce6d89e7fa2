"""The language server on process(...) points: diagnostics, hover on a marker, completion inside
.mark(" and .function(", with the programs under a sysroot given in the client's settings."""

from __future__ import annotations

import shutil

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.lsp.conftest import config, start
from tests.lsp.helpers import open_document, position, wait_diagnostics

pytestmark = pytest.mark.asyncio(loop_scope="module")

SCRIPT = """\
probe process("/usr/bin/prog").mark("helper__entry") {
  println($arg1, $arg3)
}
probe process("/usr/bin/prog").function("helper") {
  println(1)
}
"""


@pytest.fixture(scope="module")
def image(programs, tmp_path_factory):
    root = tmp_path_factory.mktemp("image")
    (root / "usr/bin").mkdir(parents=True)
    shutil.copy(programs.plain, root / "usr/bin/prog")
    return root


@pytest_lsp.fixture(config=config(), scope="module")
async def user_client(lsp_client: LanguageClient, image):
    await start(lsp_client, options={"stapkit": {"sysroot": str(image)}})
    yield
    await lsp_client.shutdown_session()


async def _hover(client, uri, text, needle, delta=1) -> str | None:
    result = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), position(text, needle, delta)))
    return result.contents.value if result is not None else None


async def _complete(client, uri, text, needle, delta) -> list[types.CompletionItem]:
    result = await client.text_document_completion_async(types.CompletionParams(
        types.TextDocumentIdentifier(uri), position(text, needle, delta)))
    return result.items if isinstance(result, types.CompletionList) else result


async def test_diagnostics_use_the_sysroot(user_client):
    uri = await open_document(user_client, SCRIPT, "user.stp")
    found = await wait_diagnostics(user_client, uri)
    assert [(d.code, d.range.start.line) for d in found] == [("STP330", 1)]


async def test_hover_on_a_marker_and_a_function(user_client):
    uri = await open_document(user_client, SCRIPT, "hover.stp")
    await wait_diagnostics(user_client, uri)
    shown = await _hover(user_client, uri, SCRIPT, '"helper__entry"', delta=3)
    assert 'provider("myapp").mark("helper__entry")' in shown
    assert "$arg1: long  (int32_t, 4 bytes" in shown and "$arg2: long  (int64_t" in shown
    shown = await _hover(user_client, uri, SCRIPT, '"helper")', delta=3)
    assert "named in: .symtab" in shown


async def test_hover_on_a_marker_argument(user_client):
    uri = await open_document(user_client, SCRIPT, "arguments.stp")
    await wait_diagnostics(user_client, uri)
    shown = await _hover(user_client, uri, SCRIPT, "$arg1", delta=2)
    assert "argument 1 of marker `myapp:helper__entry`: `int32_t` (4 bytes, signed, at `%edi`)" in shown
    shown = await _hover(user_client, uri, SCRIPT, "$arg3", delta=2)
    assert "marker `myapp:helper__entry` has 2 arguments: no `$arg3`" in shown


async def test_completion_of_markers_and_functions(user_client):
    text = SCRIPT + 'probe process("/usr/bin/prog").mark("re") {}\nprobe process("/usr/bin/prog").function("he") {}\n'
    uri = await open_document(user_client, text, "complete.stp")
    await wait_diagnostics(user_client, uri)
    items = await _complete(user_client, uri, text, 'mark("re")', delta=len('mark("re'))
    assert [(i.label, i.detail) for i in items if i.label == "request__start"] == [
        ("request__start", "myapp:request__start($arg1:int32_t, $arg2:uint64_t, $arg3:uint64_t)")]
    items = await _complete(user_client, uri, text, 'function("he")', delta=len('function("he'))
    assert "helper" in {i.label for i in items}
