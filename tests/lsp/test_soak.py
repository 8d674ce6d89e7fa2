"""The language server's soak test (issue 18): 5,000 edits with requests between them.

Memory: the server's resident size after the edits is compared with the size after a
warm-up of the same edits (caches filled, the allocator settled); it must grow by less than
5 MB.  Before the fix of the notification futures it grew by about 2 kB an edit.  Every
request must be answered.  Takes about 30 s on an idle 2-core machine.
"""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types

from .helpers import open_document, wait_diagnostics

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.soak]

EDITS = 5_000
WARM_UP = 1_000
ASK_EVERY = 10  # a hover or a completion after every tenth edit
ANSWER = 60  # seconds

TEXT = """\
global counts, total
# a comment the edits type into
function report(name) {
  printf("%s %d\\n", name, counts[name])
}
probe syscall.open {
  counts[execname()] <<< 1
  total++
}
probe timer.s(5) {
  foreach (name in counts) report(name)
}
probe end { printf("%d\\n", total) }
"""


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def test_five_thousand_edits_keep_memory_flat_and_every_request_answered(client):
    uri = await open_document(client, TEXT, "soak.stp")
    pid = client._server.pid
    doc = types.TextDocumentIdentifier(uri)
    comment = types.Position(1, len("# a comment"))
    after = types.Position(1, len("# a comment") + 1)
    in_body = types.Position(7, 4)  # on `total`
    answered = 0
    version = 1

    async def edit(count: int) -> None:
        # Type a character into the comment, then delete it: the text keeps its size.
        nonlocal version, answered
        for k in range(count):
            version += 1
            if version % 2:
                change = types.TextDocumentContentChangePartial(range=types.Range(comment, after), text="")
            else:
                change = types.TextDocumentContentChangePartial(range=types.Range(comment, comment), text="x")
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(uri=uri, version=version), [change]))
            if k % ASK_EVERY == ASK_EVERY - 1:
                if (k // ASK_EVERY) % 2:
                    hover = await asyncio.wait_for(
                        client.text_document_hover_async(types.HoverParams(doc, in_body)), ANSWER)
                    assert hover is not None and "total" in hover.contents.value
                else:
                    items = await asyncio.wait_for(
                        client.text_document_completion_async(types.CompletionParams(doc, in_body)), ANSWER)
                    assert items is not None
                answered += 1

    await edit(WARM_UP)
    await wait_diagnostics(client, uri, version=version)
    before = rss_kb(pid)
    await edit(EDITS)
    await wait_diagnostics(client, uri, version=version)
    after_kb = rss_kb(pid)
    assert answered == (WARM_UP + EDITS) // ASK_EVERY
    assert after_kb - before < 5_000, (before, after_kb)  # kB
