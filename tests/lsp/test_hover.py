"""Hover on real scripts: functions, probe points, context variables, inferred types, macros."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from ..corpora import EXAMPLES, TAPSET, require
from .conftest import config, start
from .helpers import open_document, position, read

pytestmark = pytest.mark.asyncio(loop_scope="module")

NETTOP = EXAMPLES / "network" / "nettop.stp"
SCHEDTIMES = EXAMPLES / "process" / "schedtimes.stp"
ALIAS_SUFFIXES = EXAMPLES / "general" / "alias_suffixes.stp"
TCP_TRACE = EXAMPLES / "network" / "tcp_trace.stp"


async def hover_text(client, uri: str, text: str, needle: str, delta: int = 1, occurrence: int = 1) -> str | None:
    result = await client.text_document_hover_async(types.HoverParams(
        types.TextDocumentIdentifier(uri), position(text, needle, delta, occurrence)))
    if result is None:
        return None
    assert result.contents.kind == types.MarkupKind.Markdown
    return result.contents.value


async def test_library_function_signature_and_privilege(client):
    text = read(require(NETTOP))
    uri = await open_document(client, text, "nettop.stp")
    shown = await hover_text(client, uri, text, "execname()")
    assert "function execname:string()" in shown
    assert "callable by: **unprivileged**" in shown
    assert "defined at `linux/context.stp:" in shown
    assert "SystemTap releases: since 1.0" in shown  # the release history's ranges


async def test_probe_alias_variables_types_and_definition(client):
    text = read(require(NETTOP))
    uri = await open_document(client, text, "nettop.stp")
    shown = await hover_text(client, uri, text, "netdev.transmit", delta=8)
    # As `stapkit db show netdev.transmit` shows it: the variables with their types, where, the expansion.
    assert "netdev.transmit" in shown and "dev_name:string" in shown and "length:long" in shown
    assert "defined at linux/networking.stp:" in shown
    assert "expands to: kernel.function(" in shown


async def test_alias_variable_type_and_setter(client):
    text = read(require(NETTOP))
    uri = await open_document(client, text, "nettop.stp")
    shown = await hover_text(client, uri, text, "dev_name")
    assert "dev_name: string" in shown
    assert "set by the probe's alias `netdev.transmit`" in shown


async def test_global_inferred_type(client):
    text = read(require(NETTOP))
    uri = await open_document(client, text, "nettop.stp")
    shown = await hover_text(client, uri, text, "ifxmit[pid()")
    assert "global ifxmit" in shown
    assert "array [long, string, string, long] of statistics" in shown
    assert "declared at line 3" in shown


async def test_local_inferred_type(client):
    text = read(require(NETTOP))
    uri = await open_document(client, text, "nettop.stp")
    shown = await hover_text(client, uri, text, "n_xmit =")
    assert "n_xmit: long" in shown and "local of function 'print_activity'" in shown
    shown = await hover_text(client, uri, text, "exec, uid] in")
    assert "exec: string" in shown


async def test_built_in_family(client):
    text = read(require(NETTOP))
    uri = await open_document(client, text, "nettop.stp")
    shown = await hover_text(client, uri, text, "timer.ms(5000)")
    assert "built-in probe family `timer.ms(number)`" in shown and "no debuginfo needed" in shown


async def test_script_function_with_inferred_parameter_types(client):
    text = read(require(SCHEDTIMES))
    uri = await open_document(client, text, "schedtimes.stp")
    shown = await hover_text(client, uri, text, "update_times(pid, now)", delta=2)
    assert "function update_times:long(pid:long, now:long)" in shown
    assert "defined in this file at line" in shown


async def test_macro_of_the_file(client):
    text = read(require(SCHEDTIMES))
    uri = await open_document(client, text, "schedtimes.stp")
    shown = await hover_text(client, uri, text, "@nr_iowait(@rq) >", delta=2)
    assert "@define nr_iowait(rq)" in shown and "atomic_read" in shown


async def test_script_alias(client):
    text = read(require(ALIAS_SUFFIXES))
    uri = await open_document(client, text, "alias_suffixes.stp")
    shown = await hover_text(client, uri, text, "miscellany.return", delta=2)
    assert "probe miscellany = syscall.{open,close,read,write}" in shown
    assert "probe alias defined in this file at line" in shown


async def test_context_variable(client):
    text = read(require(TCP_TRACE))
    uri = await open_document(client, text, "tcp_trace.stp")
    needle = next(word for word in ("$sk", "$skb", "$return") if word in text)
    shown = await hover_text(client, uri, text, needle)
    assert f"{needle}: long" in shown and "context variable" in shown


async def test_keyword_and_operator(client):
    text = read(require(NETTOP))
    uri = await open_document(client, text, "nettop.stp")
    assert "iterates over an array's keys" in await hover_text(client, uri, text, "foreach")
    assert "@count(statistics)" in await hover_text(client, uri, text, "@count")


async def test_nothing_in_a_comment_or_on_blank_space(client):
    text = read(require(NETTOP))
    uri = await open_document(client, text, "nettop.stp")
    assert await hover_text(client, uri, text, "#!", delta=5) is None
    assert await hover_text(client, uri, text, "\n\nglobal", delta=1) is None


@pytest.fixture(scope="module")
def docs_db(tmp_path_factory):
    """A database built --with-docs from two tapset files and their manual pages (read in place)."""
    man3 = require(TAPSET).parent.parent / "man" / "man3"
    pages = [man3 / "function::execname.3stap.gz", man3 / "probe::socket.send.3stap.gz"]
    for page in pages:
        require(page)
    root = tmp_path_factory.mktemp("docs")
    tapset = root / "tapset"
    (tapset / "linux").mkdir(parents=True)
    for name in ("context.stp", "socket.stp"):
        shutil.copy(TAPSET / "linux" / name, tapset / "linux" / name)
    man = root / "man3"
    man.mkdir()
    for page in pages:
        shutil.copy(page, man / page.name)
    output = root / "db.jsonl"
    subprocess.run([sys.executable, "-m", "stapkit", "db", "build", "--with-docs", "--tapset-dir", str(tapset),
                    "--man-dir", str(man), "--systemtap-version", "4.8", "-o", str(output)],
                   check=True, capture_output=True)
    return output


@pytest_lsp.fixture(config=config(), scope="module")
async def docs_client(lsp_client: LanguageClient, docs_db):
    await start(lsp_client, options={"stapkit": {"db": str(docs_db)}})
    yield
    await lsp_client.shutdown_session()


async def test_the_manuals_description_from_a_database_built_with_docs(docs_client, docs_db):
    from stapkit.tapsets.db import TapsetDB

    db = TapsetDB.load(docs_db)
    function_facts = db.manual("function", "execname")
    probe_facts = db.manual("probe", "socket.send")
    assert function_facts.summary and probe_facts.item_docs
    text = 'probe socket.send {\n  printf("%s %d\\n", execname(), size)\n}\n'
    uri = await open_document(docs_client, text, "docs.stp")
    shown = await hover_text(docs_client, uri, text, "execname")
    assert function_facts.summary in shown
    shown = await hover_text(docs_client, uri, text, "size)")
    size_doc = dict(probe_facts.item_docs)["size"]
    assert size_doc in shown
