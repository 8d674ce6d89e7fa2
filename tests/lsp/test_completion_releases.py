"""Completion offers what the target release's library has (`stapkit.target.systemtapVersion`)."""

from __future__ import annotations

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from .conftest import config, start
from .helpers import open_document, position

pytestmark = pytest.mark.asyncio(loop_scope="module")


def _target(release: str):
    @pytest_lsp.fixture(config=config(), scope="module")
    async def client(lsp_client: LanguageClient):
        await start(lsp_client, options={"stapkit": {"target": {"systemtapVersion": release}}})
        yield
        await lsp_client.shutdown_session()

    return client


client_5_5 = _target("5.5")
client_4_8 = _target("4.8")

# inet_get_dest_port came in SystemTap 5.2; oneshot (a probe alias) in 2.5, so both targets have it.
SCRIPT = "probe oneshot { print(inet_get_|) }\n"


async def _labels(client, name: str) -> set[str]:
    text = SCRIPT.replace("|", "", 1)
    uri = await open_document(client, text, name)
    result = await client.text_document_completion_async(types.CompletionParams(
        types.TextDocumentIdentifier(uri), position(SCRIPT, "|")))
    items = result.items if isinstance(result, types.CompletionList) else result
    return {item.label for item in items}


async def test_a_function_of_5_2_is_offered_to_a_5_5_target(client_5_5):
    labels = await _labels(client_5_5, "target55.stp")
    assert {"inet_get_dest_port", "inet_get_ip_dest", "inet_get_local_port"} <= labels


async def test_a_function_of_5_2_is_not_offered_to_a_4_8_target(client_4_8):
    labels = await _labels(client_4_8, "target48.stp")
    assert "inet_get_local_port" in labels  # in both releases
    assert not {"inet_get_dest_port", "inet_get_ip_dest"} & labels
