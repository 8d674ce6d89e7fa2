"""The language server with a kernel description: kernel diagnostics, hover on $variables,
members and kernel probe points, completion of parameters, members and kernel names.

The made-up kernel of tests/kernel/sample_kernel.py, given by the client's settings
(kernelBtf, kernelSymbols) or by a workspace stapkit.toml.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.kernel.sample_kernel import write_sample_kernel

from .conftest import config, start
from .helpers import open_document, position, wait_diagnostics

pytestmark = pytest.mark.asyncio(loop_scope="module")

KERNEL_DIR = Path(tempfile.mkdtemp(prefix="stapkit-lsp-kernel-"))
BTF, SYMBOLS = write_sample_kernel(KERNEL_DIR)

SCRIPT = """\
probe kernel.function("tcp_sendmsg") {
  printf("%d %d\\n", $sk->__sk_common->skc_family, $size)
  println($sk->sk_rcvbuff)
}
probe kernel.function("tcp_sendmsg").return {
  println($return)
}
probe kernel.trace("sched_switch") {
  println($prev->pid)
}
"""


@pytest_lsp.fixture(config=config(), scope="module")
async def kernel_client(lsp_client: LanguageClient):
    await start(lsp_client, options={"stapkit": {"kernelBtf": str(BTF), "kernelSymbols": str(SYMBOLS)}})
    yield
    await lsp_client.shutdown_session()


async def _hover(client, uri, text, needle, delta=1, occurrence=1) -> str | None:
    result = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), position(text, needle, delta, occurrence)))
    return result.contents.value if result is not None else None


async def _complete(client, uri, text, needle, delta=0) -> list[types.CompletionItem]:
    result = await client.text_document_completion_async(types.CompletionParams(
        types.TextDocumentIdentifier(uri), position(text, needle, delta)))
    return result.items if isinstance(result, types.CompletionList) else result


async def test_kernel_diagnostics_are_published(kernel_client):
    uri = await open_document(kernel_client, SCRIPT, "kernel.stp")
    found = await wait_diagnostics(kernel_client, uri)
    member = [d for d in found if d.code == "STP321"]
    assert len(member) == 1 and member[0].range.start.line == 2
    assert "did you mean 'sk_rcvbuf'" in member[0].message


async def test_hover_on_a_parameter_a_member_and_return(kernel_client):
    uri = await open_document(kernel_client, SCRIPT, "hover.stp")
    shown = await _hover(kernel_client, uri, SCRIPT, "$sk->__sk")
    assert "$sk: struct sock*" in shown and "parameter of `tcp_sendmsg`" in shown
    shown = await _hover(kernel_client, uri, SCRIPT, "skc_family", delta=2)
    assert "short unsigned int skc_family" in shown and "member of `struct sock_common`" in shown
    shown = await _hover(kernel_client, uri, SCRIPT, "$return", delta=2)
    assert "$return: int" in shown and "return value of `tcp_sendmsg`" in shown
    shown = await _hover(kernel_client, uri, SCRIPT, "$prev", delta=2)
    assert "$prev: struct task_struct*" in shown and "tracepoint" in shown


async def test_hover_on_kernel_probe_points(kernel_client):
    uri = await open_document(kernel_client, SCRIPT, "points.stp")
    shown = await _hover(kernel_client, uri, SCRIPT, '"tcp_sendmsg"', delta=3)
    assert "int tcp_sendmsg(struct sock* sk, struct msghdr* msg, size_t size)" in shown
    shown = await _hover(kernel_client, uri, SCRIPT, '"sched_switch"', delta=3)
    assert "tracepoint sched_switch($preempt: bool, $prev: struct task_struct*" in shown


async def test_completion_of_parameters_members_and_names(kernel_client):
    uri = await open_document(kernel_client, SCRIPT, "complete.stp")
    # Completion reads the last finished check: the document above is checked, now type into it.
    items = await _complete(kernel_client, uri, SCRIPT, "$size", delta=1)
    by_label = {i.label: i for i in items}
    assert by_label["$sk"].detail == "struct sock*" and by_label["$size"].detail == "size_t"
    text = SCRIPT.replace("println($sk->sk_rcvbuff)", "println($sk->__sk_common->)")
    version = 2
    kernel_client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        [types.TextDocumentContentChangeWholeDocument(text=text)]))
    await wait_diagnostics(kernel_client, uri, version)
    items = await _complete(kernel_client, uri, text, "__sk_common->)", delta=len("__sk_common->"))
    assert {(i.label, i.detail) for i in items} == {("skc_family", "short unsigned int"),
                                                     ("skc_state", "volatile unsigned char")}
    text2 = text + 'probe kernel.function("tcp_r'
    kernel_client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=3),
        [types.TextDocumentContentChangeWholeDocument(text=text2)]))
    await asyncio.sleep(0.1)
    items = await _complete(kernel_client, uri, text2, 'function("tcp_r', delta=len('function("tcp_r'))
    assert "tcp_recvmsg" in {i.label for i in items}


@pytest_lsp.fixture(config=config(), scope="module")
async def workspace_client(lsp_client: LanguageClient):
    root = Path(tempfile.mkdtemp(prefix="stapkit-lsp-ws-"))
    (root / "stapkit.toml").write_text(f'kernel-btf = "{BTF}"\n')
    lsp_client.root = root
    await start(lsp_client, root=str(root))
    yield
    await lsp_client.shutdown_session()


async def test_the_workspace_configuration_names_the_kernel(workspace_client):
    root = workspace_client.root
    uri = (root / "ws.stp").as_uri()
    (root / "ws.stp").write_text(SCRIPT)
    await open_document(workspace_client, SCRIPT, uri=uri)
    found = await wait_diagnostics(workspace_client, uri)
    assert "STP321" in {d.code for d in found}


@pytest_lsp.fixture(config=config(), scope="module")
async def bad_kernel_client(lsp_client: LanguageClient):
    await start(lsp_client, options={"stapkit": {"kernelBtf": str(KERNEL_DIR / "missing.btf")}})
    yield
    await lsp_client.shutdown_session()


async def test_a_bad_kernel_file_is_one_message_and_no_crash(bad_kernel_client):
    uri = await open_document(bad_kernel_client, SCRIPT, "bad.stp")
    found = await wait_diagnostics(bad_kernel_client, uri)
    assert "STP321" not in {d.code for d in found}  # checked without a kernel
    messages = [m.message for m in bad_kernel_client.messages]
    assert any("missing.btf: no such BTF file" in m for m in messages)
    # still answering
    assert await _hover(bad_kernel_client, uri, SCRIPT, "$sk->__sk") is not None
