"""The language server with a kernel description: kernel diagnostics, hover on $variables,
members and kernel probe points, completion of parameters, members and kernel names.

The made-up kernel of tests/kernel/sample_kernel.py, given by the client's settings
(kernelBtf, kernelSymbols, at start-up or changed later) or by a workspace stapkit.toml;
kernel files that are missing, not BTF or damaged; this machine's kernel when it has BTF.
"""

from __future__ import annotations

import asyncio
import os
import struct
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
    assert f"from {BTF}" in shown  # where the description came from
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


async def test_completion_of_return_tracepoint_names_and_a_handler_being_typed(kernel_client):
    text = SCRIPT + 'probe kernel.trace("sched_p") {}\n'
    uri = await open_document(kernel_client, text, "more.stp")
    items = await _complete(kernel_client, uri, text, "$return", delta=1)
    by_label = {i.label: i for i in items}
    assert by_label["$return"].detail == "int" and by_label["$sk"].detail == "struct sock*"
    items = await _complete(kernel_client, uri, text, 'trace("sched_p', delta=len('trace("sched_'))
    assert {"sched_switch", "sched_process_exec"} <= {i.label for i in items}
    assert "tcp_sendmsg" not in {i.label for i in items}
    # The members of task_struct, those of its anonymous union among them.
    items = await _complete(kernel_client, uri, text, "$prev->pid", delta=len("$prev->"))
    by_label = {i.label: i for i in items}
    assert by_label["pid"].detail == "pid_t" and by_label["comm"].detail == "char[16]"
    assert {"__state", "saved_state"} <= set(by_label)
    # A new handler, not yet complete: its parameters are offered all the same.
    text2 = text + 'probe kernel.function("vfs_read") { println($'
    kernel_client.text_document_did_change(types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [types.TextDocumentContentChangeWholeDocument(text=text2)]))
    await wait_diagnostics(kernel_client, uri, 2)
    after = 'vfs_read") { println($'
    items = await _complete(kernel_client, uri, text2, after, delta=len(after))
    by_label = {i.label: i for i in items}
    assert by_label["$file"].detail == "struct file*" and by_label["$count"].detail == "size_t"
    assert "$sk" not in by_label and by_label["$return"].detail == "context variable"  # not a .return


@pytest_lsp.fixture(config=config(), scope="module")
async def workspace_client(lsp_client: LanguageClient):
    root = Path(tempfile.mkdtemp(prefix="stapkit-lsp-ws-"))
    write_sample_kernel(root)  # root/vmlinux.btf, root/kallsyms
    # Relative to the configuration file's directory, as the CLI reads it.
    (root / "stapkit.toml").write_text('kernel-btf = "vmlinux.btf"\n')
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
    shown = await _hover(workspace_client, uri, SCRIPT, "$sk->__sk")
    assert "$sk: struct sock*" in shown and f"from {root / 'vmlinux.btf'}" in shown
    assert not workspace_client.messages  # nothing to warn about


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


async def test_a_bad_kernel_file_is_warned_about_once(bad_kernel_client):
    for name in ("one.stp", "two.stp"):
        await open_document(bad_kernel_client, SCRIPT, name)
    about = [m for m in bad_kernel_client.messages if "missing.btf" in m.message]
    assert len(about) == 1 and about[0].type == types.MessageType.Warning


async def test_a_file_that_is_not_btf_is_named_in_the_warning(bad_kernel_client):
    garbage = KERNEL_DIR / "garbage.btf"
    garbage.write_bytes(b"not a kernel at all\n" * 4)
    messages = len(bad_kernel_client.messages)
    bad_kernel_client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"stapkit": {"kernelBtf": str(garbage)}}))
    uri = await open_document(bad_kernel_client, SCRIPT, "garbage.stp")
    assert any(f"{garbage}: not BTF" in m.message for m in bad_kernel_client.messages[messages:])
    assert await _hover(bad_kernel_client, uri, SCRIPT, "$sk->__sk") is not None


async def test_a_file_damaged_past_its_header_is_one_warning_too(bad_kernel_client):
    # A right header whose string section is cut to one byte: the names are past its end.
    damaged = KERNEL_DIR / "damaged.btf"
    data = bytearray(BTF.read_bytes())
    struct.pack_into("<I", data, 20, 1)  # btf_header.str_len
    damaged.write_bytes(bytes(data))
    messages = len(bad_kernel_client.messages)
    bad_kernel_client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"stapkit": {"kernelBtf": str(damaged)}}))
    uri = await open_document(bad_kernel_client, SCRIPT, "damaged.stp")
    about = [m.message for m in bad_kernel_client.messages[messages:] if str(damaged) in m.message]
    assert len(about) == 1 and "not a usable kernel description" in about[0]
    found = await wait_diagnostics(bad_kernel_client, uri)
    assert not any("could not check" in d.message for d in found)  # checked, without the kernel
    assert (await _hover(bad_kernel_client, uri, SCRIPT, "$sk->__sk")).startswith("```systemtap\n$sk: long")


@pytest_lsp.fixture(config=config(), scope="module")
async def plain_client(lsp_client: LanguageClient):
    await start(lsp_client)
    yield
    await lsp_client.shutdown_session()


async def _republished(client, uri, since: int) -> None:
    async def wait():
        while not any(p.uri == uri for p in client.published[since:]):
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    await asyncio.wait_for(wait(), 60)


async def test_without_a_kernel_hover_is_unchanged_and_a_setting_change_brings_one(plain_client):
    client = plain_client
    uri = await open_document(client, SCRIPT, "plain.stp")
    shown = await _hover(client, uri, SCRIPT, "$sk->__sk")
    assert shown.startswith("```systemtap\n$sk: long\n```") and "debuginfo" in shown
    assert await _hover(client, uri, SCRIPT, "skc_family", delta=2) is None
    shown = await _hover(client, uri, SCRIPT, '"tcp_sendmsg"', delta=3)
    assert "tcp_sendmsg(" not in shown and "from " not in shown
    items = await _complete(client, uri, SCRIPT, "$size", delta=1)
    assert "struct sock*" not in {i.detail for i in items}  # no C types without a kernel

    published = len(client.published)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"stapkit": {"kernelBtf": str(BTF), "kernelSymbols": str(SYMBOLS)}}))
    await _republished(client, uri, published)
    assert "STP321" in {d.code for d in client.diagnostics[uri]}
    assert "$sk: struct sock*" in await _hover(client, uri, SCRIPT, "$sk->__sk")

    published = len(client.published)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"stapkit": {}}))
    await _republished(client, uri, published)
    assert "STP321" not in {d.code for d in client.diagnostics[uri]}
    assert (await _hover(client, uri, SCRIPT, "$sk->__sk")).startswith("```systemtap\n$sk: long\n```")


RUNNING = "/sys/kernel/btf/vmlinux"


@pytest_lsp.fixture(config=config(), scope="module")
async def running_client(lsp_client: LanguageClient):
    await start(lsp_client, options={"stapkit": {"kernelBtf": "running"}})
    yield
    await lsp_client.shutdown_session()


@pytest.mark.skipif(not os.path.exists(RUNNING), reason="this machine's kernel has no BTF")
async def test_the_running_kernel_names_are_capped(running_client):
    text = 'probe kernel.function("") {}\nprobe kernel.function("tcp_sendmsg") { println($sk) }\n'
    uri = await open_document(running_client, text, "running.stp")
    result = await running_client.text_document_completion_async(types.CompletionParams(
        types.TextDocumentIdentifier(uri), position(text, 'function("")', len('function("'))))
    names = [i for i in result.items if i.detail == "kernel function"]
    assert len(names) == 200 and result.is_incomplete
    shown = await _hover(running_client, uri, text, '"tcp_sendmsg"', delta=3)
    assert "int tcp_sendmsg(struct sock* sk, struct msghdr* msg, size_t size)" in shown
