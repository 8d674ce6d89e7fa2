"""Document symbols, folding ranges, formatting and code actions, on real scripts."""

from __future__ import annotations

import pytest
from lsprotocol import types

from stapkit.format.formatter import format_text

from ..corpora import EXAMPLES, require
from .helpers import open_document, position, read

pytestmark = pytest.mark.asyncio(loop_scope="module")

NETTOP = EXAMPLES / "network" / "nettop.stp"
SCHEDTIMES = EXAMPLES / "process" / "schedtimes.stp"
ALIAS_SUFFIXES = EXAMPLES / "general" / "alias_suffixes.stp"


def apply(text: str, edits: list[types.TextEdit]) -> str:
    """The text with LSP edits applied (all ranges refer to the original text)."""
    lines = text.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)

    def offset(p: types.Position) -> int:
        return starts[p.line] + len(lines[p.line].encode("utf-16-le")[:p.character * 2].decode("utf-16-le"))

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[:offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
    return text


async def test_document_symbols(client):
    text = read(require(NETTOP))
    uri = await open_document(client, text, "nettop.stp")
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(
        types.TextDocumentIdentifier(uri)))
    assert [(s.name, s.kind) for s in symbols] == [
        ("ifxmit", types.SymbolKind.Variable), ("ifrecv", types.SymbolKind.Variable),
        ("ifmerged", types.SymbolKind.Variable), ("probe netdev.transmit", types.SymbolKind.Event),
        ("probe netdev.receive", types.SymbolKind.Event), ("print_activity", types.SymbolKind.Function),
        ("probe timer.ms(5000), end, error", types.SymbolKind.Event)]
    function = symbols[5]
    assert function.selection_range.start == position(text, "print_activity", 0)
    assert function.range.end.line == text[:text.index("probe timer")].rstrip().count("\n")


async def test_document_symbols_of_aliases_and_macros(client):
    text = read(require(SCHEDTIMES))
    uri = await open_document(client, text, "schedtimes.stp")
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(
        types.TextDocumentIdentifier(uri)))
    names = [s.name for s in symbols]
    assert {"@in_iowait", "@clear_iowait", "@set_iowait", "@nr_iowait", "update_times", "DEAD"} <= set(names)
    macro = next(s for s in symbols if s.name == "@nr_iowait")
    assert macro.kind == types.SymbolKind.Constant and macro.detail == "macro(rq)"
    text = read(require(ALIAS_SUFFIXES))
    uri = await open_document(client, text, "alias_suffixes.stp")
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(
        types.TextDocumentIdentifier(uri)))
    alias = next(s for s in symbols if s.kind == types.SymbolKind.Interface)
    assert alias.name == "probe miscellany" and alias.detail == "alias = syscall.{open,close,read,write}"


async def test_folding_ranges(client):
    text = read(require(SCHEDTIMES))
    uri = await open_document(client, text, "schedtimes.stp")
    ranges = await client.text_document_folding_range_async(types.FoldingRangeParams(
        types.TextDocumentIdentifier(uri)))
    lines = text.split("\n")
    folds = {(r.start_line, r.end_line): r.kind for r in ranges}
    # The header comment (two blocks: a blank line parts them), a function body (up to the line
    # before its `}`), a macro's %( %).
    assert folds[(2, 9)] == folds[(11, 17)] == types.FoldingRangeKind.Comment
    start = lines.index("function update_times(pid, now)")
    end = lines.index("}", start)
    assert (start + 1, end - 1) in folds
    define = lines.index("@define in_iowait(task) %(")
    assert folds[(define, define + 3)] == types.FoldingRangeKind.Region


async def test_formatting_the_document_gives_the_formatters_text(client):
    text = read(require(NETTOP)).replace("  ifxmit[pid(), dev_name, execname(), uid()] <<< length",
                                         "ifxmit[pid(),dev_name,execname(),uid()]<<<length")
    uri = await open_document(client, text, "nettop.stp")
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
        types.TextDocumentIdentifier(uri), types.FormattingOptions(tab_size=2, insert_spaces=True)))
    assert edits and all(not e.new_text.strip() for e in edits)  # whitespace only
    assert apply(text, edits) == format_text(text).text


async def test_formatting_a_range_touches_only_its_lines(client):
    original = read(require(NETTOP))
    text = original.replace("  ifxmit[pid(), dev_name, execname(), uid()] <<< length",
                            "ifxmit[pid(),dev_name,execname(),uid()]<<<length") \
        .replace("  ifrecv[pid(), dev_name, execname(), uid()] <<< length",
                 "ifrecv[pid(),dev_name,execname(),uid()]<<<length")
    uri = await open_document(client, text, "nettop.stp")
    line = position(text, "ifxmit[pid()").line
    edits = await client.text_document_range_formatting_async(types.DocumentRangeFormattingParams(
        types.TextDocumentIdentifier(uri), types.Range(types.Position(line, 0), types.Position(line + 1, 0)),
        types.FormattingOptions(tab_size=2, insert_spaces=True)))
    result = apply(text, edits)
    assert "  ifxmit[pid(), dev_name, execname(), uid()] <<< length" in result
    assert "ifrecv[pid(),dev_name,execname(),uid()]<<<length" in result


async def test_no_formatting_of_a_document_with_syntax_errors(client):
    text = read(require(NETTOP)).replace("execname(),", "execname(,", 1)
    uri = await open_document(client, text, "nettop.stp")
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
        types.TextDocumentIdentifier(uri), types.FormattingOptions(tab_size=2, insert_spaces=True)))
    assert not edits


async def code_actions(client, uri, text, range_: types.Range, only=None):
    diagnostics = [d for d in client.diagnostics[uri]
                   if d.range.start.line <= range_.end.line and d.range.end.line >= range_.start.line]
    return await client.text_document_code_action_async(types.CodeActionParams(
        types.TextDocumentIdentifier(uri), range_, types.CodeActionContext(diagnostics=diagnostics, only=only)))


async def test_did_you_mean_actions(client):
    text = read(require(NETTOP)).replace("probe netdev.receive", "probe netdev.recieve") \
        .replace("  print_activity()\n", "  print_activty()\n")
    uri = await open_document(client, text, "nettop.stp")
    start = position(text, "recieve")
    actions = await code_actions(client, uri, text, types.Range(start, start))
    titles = [a.title for a in actions]
    assert "Replace 'recieve' with 'receive'" in titles
    fixed = apply(text, actions[titles.index("Replace 'recieve' with 'receive'")].edit.changes[uri])
    assert "probe netdev.receive\n" in fixed
    start = position(text, "print_activty")
    actions = await code_actions(client, uri, text, types.Range(start, start))
    replace = next(a for a in actions if a.title == "Replace 'print_activty' with 'print_activity'")
    assert replace.kind == types.CodeActionKind.QuickFix and replace.diagnostics[0].code == "STP101"


async def test_a_lint_fix_and_a_suppression(client):
    text = read(require(NETTOP)).replace("global ifmerged\n", "global ifmerged\nglobal forgotten\n")
    uri = await open_document(client, text, "nettop.stp")
    codes = {d.code for d in client.diagnostics[uri]}
    assert "STP501" in codes
    start = position(text, "forgotten")
    actions = await code_actions(client, uri, text, types.Range(start, start))
    fix = next(a for a in actions if a.diagnostics and a.diagnostics[0].code == "STP501" and a.is_preferred)
    assert "forgotten" not in apply(text, fix.edit.changes[uri])
    disable = next(a for a in actions if a.title == "Disable STP501 for this line")
    suppressed = apply(text, disable.edit.changes[uri])
    assert "# stapkit: disable=STP501\nglobal forgotten" in suppressed


async def test_fix_all(client):
    text = read(require(NETTOP)).replace("global ifmerged\n", "global ifmerged\nglobal forgotten\nglobal unused_too\n")
    uri = await open_document(client, text, "nettop.stp")
    actions = await code_actions(client, uri, text, types.Range(types.Position(0, 0), types.Position(0, 0)),
                                 only=["source.fixAll"])
    assert [a.kind for a in actions] == ["source.fixAll.stapkit"]
    fixed = apply(text, actions[0].edit.changes[uri])
    assert "forgotten" not in fixed and "unused_too" not in fixed and "global ifmerged" in fixed


async def test_formatting_a_range_leaves_the_lines_around_it(client):
    # The `{` would move up to its header's line (outside the range): the line above is kept.
    text = "probe begin\n{\nx=1\n}\n"
    uri = await open_document(client, text, "braces.stp")
    edits = await client.text_document_range_formatting_async(types.DocumentRangeFormattingParams(
        types.TextDocumentIdentifier(uri), types.Range(types.Position(1, 0), types.Position(3, 0)),
        types.FormattingOptions(tab_size=2, insert_spaces=True)))
    assert apply(text, edits) == "probe begin\n{\n  x = 1\n}\n"


async def _formatted(client, text: str, uri: str, lines: tuple[int, int] | None = None) -> str:
    await open_document(client, text, uri=uri)
    options = types.FormattingOptions(tab_size=2, insert_spaces=True)
    if lines is None:
        edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
            types.TextDocumentIdentifier(uri), options))
    else:
        edits = await client.text_document_range_formatting_async(types.DocumentRangeFormattingParams(
            types.TextDocumentIdentifier(uri), types.Range(types.Position(lines[0], 0), types.Position(lines[1], 0)),
            options))
    return apply(text, edits)


async def test_formatting_takes_the_brace_style_of_the_configuration(client, tmp_path):
    text = "function f() {\nreturn 1\n}\nprobe begin {\nprintln(f())\n}\n"
    linux = tmp_path / "linux"
    linux.mkdir()
    (linux / "stapkit.toml").write_text('[format]\nbrace-style = "linux"\n')
    result = await _formatted(client, text, (linux / "f.stp").as_uri())
    assert result == "function f()\n{\n  return 1\n}\nprobe begin\n{\n  println(f())\n}\n"
    # A range is formatted in the same style.
    assert (await _formatted(client, text, (linux / "g.stp").as_uri(), (3, 6))).endswith("probe begin\n{\n  println(f())\n}\n")
    attach = tmp_path / "attach"
    attach.mkdir()
    (attach / "stapkit.toml").write_text('[format]\nbrace-style = "attach"\n')
    linux_text = "function f()\n{\nreturn 1\n}\n"
    assert await _formatted(client, linux_text, (attach / "f.stp").as_uri()) == "function f() {\n  return 1\n}\n"
    # Without a configuration: the default, attach.
    assert await _formatted(client, linux_text, (tmp_path / "h.stp").as_uri()) == "function f() {\n  return 1\n}\n"
