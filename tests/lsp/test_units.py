"""The language server's pieces that need no server: positions, edits, settings, the cursor's context."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from stapkit.config import Config
from stapkit.diagnostics import Diagnostic, Span
from stapkit.format.formatter import format_text
from stapkit.lsp import context as ctx
from stapkit.lsp.code_actions import did_you_mean
from stapkit.lsp.convert import replace_all
from stapkit.lsp.documents import UTF8, UTF16, UTF32, Document, PositionMap
from stapkit.lsp.formatting import whitespace_edits
from stapkit.lsp.settings import EDITOR_FIRST, FILESYSTEM_FIRST, SettingsError, client_settings, merge

from ..corpora import EXAMPLES, example_files, require

P = types.Position


# ---------------------------------------------------------------- positions


def test_utf16_counts_a_character_outside_the_bmp_as_two_units():
    text = 'x = "😀é" + y\n'
    positions = PositionMap(text, UTF16)
    y = text.index("y")
    assert positions.position(y) == P(0, y + 1)  # 😀 is one character, two UTF-16 units
    assert positions.offset(P(0, y + 1)) == y
    assert PositionMap(text, UTF8).position(y) == P(0, len(text[:y].encode()))
    assert PositionMap(text, UTF32).position(y) == P(0, y)


def test_line_breaks_are_the_protocols():
    text = "a\r\nb\rc\nd\x0ce\u2028f"
    positions = PositionMap(text)
    assert positions.line_count == 4  # \r\n, \r and \n break lines; form feed and U+2028 do not
    assert positions.position(text.index("c")) == P(2, 0)
    assert positions.position(text.index("f")) == P(3, 4)
    assert positions.line_span(0) == Span(0, 1)  # without its \r\n


def test_positions_past_the_end_are_clamped():
    positions = PositionMap("ab\ncd")
    assert positions.offset(P(0, 99)) == 2  # the end of the line, before its break
    assert positions.offset(P(99, 0)) == 5


def test_incremental_changes_apply_in_order():
    document = Document("file:///x.stp", "probe begin {\n  x = 1\n}\n", 1)
    document.apply([
        types.TextDocumentContentChangePartial(range=types.Range(P(1, 2), P(1, 3)), text="total"),
        types.TextDocumentContentChangePartial(range=types.Range(P(1, 10), P(1, 11)), text="😀"),
        types.TextDocumentContentChangePartial(range=types.Range(P(1, 12), P(1, 12)), text=" + 2"),
    ], 2)
    assert document.text == "probe begin {\n  total = 😀 + 2\n}\n"
    assert document.version == 2
    document.apply([types.TextDocumentContentChangeWholeDocument("probe end {}")], 3)
    assert document.text == "probe end {}"


def test_an_edit_next_to_a_form_feed_lands_where_the_client_means():
    # pygls's own store splits lines at form feeds; this one must not.
    document = Document("file:///x.stp", "# a\x0cb\nprobe begin {}\n", 1)
    document.apply([types.TextDocumentContentChangePartial(range=types.Range(P(1, 6), P(1, 11)), text="end")], 2)
    assert document.text == "# a\x0cb\nprobe end {}\n"


def test_replace_all_keeps_crlf_breaks_whole():
    old = "a\r\nb\r\n"
    new = "a\r\nX\r\nb\r\n"
    positions = PositionMap(old)
    (edit,) = replace_all(old, new, positions)
    start, end = positions.offset(edit.range.start), positions.offset(edit.range.end)
    assert old[:start] + edit.new_text + old[end:] == new


# ---------------------------------------------------------------- formatting


@pytest.mark.corpus
def test_the_formatters_changes_are_whitespace_runs_on_real_scripts():
    require(EXAMPLES)
    for path in example_files()[:40]:
        text = path.read_text(errors="replace")
        result = format_text(text, str(path))
        if result.syntax_errors:
            continue
        edits = whitespace_edits(text, result.text)
        assert edits is not None, path
        out = []
        position = 0
        for span, new in edits:
            out.append(text[position:span.start])
            out.append(new)
            position = span.end
        out.append(text[position:])
        assert "".join(out) == result.text, path


def test_whitespace_edits_refuse_other_changes():
    assert whitespace_edits("a = 1", "a = 2") is None
    assert whitespace_edits("a=1", "a = 1") == [(Span(1, 1), " "), (Span(2, 2), " ")]


# ---------------------------------------------------------------- settings


def test_client_settings_take_the_configuration_keys_in_either_spelling(tmp_path):
    settings = client_settings({"extendSelect": ["STP5"], "line-length": 80,
                                "target": {"systemtapVersion": "4.0", "kernelConfig": {"CONFIG_NFSD": "m"}},
                                "args": ["1"], "diagnosticsDelay": 200}, tmp_path)
    assert settings.config.extend_select == ("STP5",)
    assert settings.config.format_line_length == 80
    assert settings.config.target["systemtap_v"] == "4.0"
    assert settings.config.target["kernel_config"]["CONFIG_NFSD"] == "m"
    assert settings.args == ("1",)
    assert settings.diagnostics_delay == 0.2


@pytest.mark.parametrize("raw, word", [
    ({"selct": []}, "selct"),
    ({"select": "STP5"}, "select"),
    ({"target": {"arch": 5}}, "arch"),
    ({"configurationPreference": "mine"}, "configurationPreference"),
    ({"diagnosticsDelay": -1}, "diagnosticsDelay"),
    ([1], "object"),
])
def test_bad_client_settings_name_the_setting(raw, word):
    with pytest.raises(SettingsError, match=word):
        client_settings(raw, Path("/tmp"))


def test_the_preferred_configuration_wins_key_by_key():
    file = Config(path=Path("/p/stapkit.toml"), guru=True, ignore=("STP501",), target={"arch": "arm64"})
    client = Config(ignore=("STP502",), target={"systemtap_v": "4.0"})
    editor = merge(file, client, EDITOR_FIRST)
    assert editor.ignore == ("STP502",) and editor.guru is True
    assert editor.target == {"arch": "arm64", "systemtap_v": "4.0"}
    files = merge(file, client, FILESYSTEM_FIRST)
    assert files.ignore == ("STP501",)


# ---------------------------------------------------------------- the cursor


@pytest.mark.parametrize("typed, kind", [
    ("probe |", ctx.POINT),
    ("probe kernel.fun|", ctx.POINT),
    ('probe kernel.function("vfs_|', ctx.POINT_ARGUMENT),
    ("probe myalias| = kernel.function(\"x\") {}", ctx.ALIAS_NAME),
    ("probe a.b if (x > |) {}", ctx.CODE),
    ("probe begin { x = si| }", ctx.CODE),
    ('probe begin { printf("%|") }', ctx.FORMAT),
    ('probe begin { println("ab|") }', ctx.STRING),
    ("probe begin { x = $p->|", ctx.MEMBER),
    ("probe begin { } # a comm|", ctx.COMMENT),
    ("probe begin { %{ int |x %} }", ctx.NONE),
    ("function f(a, b|) { }", ctx.NONE),
    ("global a\nprobe begin { a = 1 }\npro|", ctx.TOP_LEVEL),
    ("@define m(x) %( @x + | %)", ctx.CODE),
])
def test_the_cursors_context(typed, kind):
    offset = typed.index("|")
    assert ctx.context_at(typed.replace("|", ""), offset).kind == kind


def test_the_probe_header_points_and_the_component_being_typed():
    text = 'probe syscall.open, kernel.function("x").ret'
    found = ctx.context_at(text, len(text))
    assert found.components == (("kernel", None), ("function", '"x"'))
    assert found.component == "ret"
    assert found.header_points == ("syscall.open", 'kernel.function("x").ret')


def test_the_enclosing_call_and_argument():
    text = 'probe begin { printf("%s %d", execname(), substr(s, 1, '
    found = ctx.enclosing_call(ctx.context_at(text, len(text)))
    assert found[0].text == "substr" and found[1] == 2


# ---------------------------------------------------------------- did you mean


def test_did_you_mean_of_a_probe_point_keeps_the_argument():
    text = 'probe kernel.functio("vfs_read") {}'
    start = text.index("functio")
    d = Diagnostic("STP201", "unknown probe point 'kernel.functio(\"vfs_read\")' (did you mean "
                             "'kernel.function(...)' or 'kernel.data(...)'?)", Span(start, text.index(")") + 1))
    assert did_you_mean(text, d) == [("functio", "function", Span(start, start + 7)),
                                     ("functio", "data", Span(start, start + 7))]


# ---------------------------------------------------------------- answering from an older text


def test_a_text_change_maps_the_lines_it_did_not_touch():
    from stapkit.lsp.documents import TextChange

    old = "global a\nprobe begin { a = 1 }\nprobe end { println(a) }\n"
    new = old.replace("a = 1", "a = 12345")
    change = TextChange.between(old, new)
    inserted_at = old.index("1 }") + 1  # "2345" typed after the 1
    assert (change.prefix, change.old_end, change.new_end) == (inserted_at, inserted_at, inserted_at + 4)
    assert change.old_offset(new, 3) == 3  # first line: the same offset
    last = new.index("println")
    assert change.old_offset(new, last) == old.index("println")  # after the change: moved back
    assert change.old_offset(new, new.index("begin")) is None  # on the changed line
    assert change.new_span(Span(old.index("println"), old.index("println") + 7)) == Span(last, last + 7)
    assert change.new_span(Span(old.index("a = 1"), old.index("a = 1") + 5)) is None
    same = TextChange.between(old, old)
    assert same.old_offset(old, old.index("begin")) == old.index("begin")


# ---------------------------------------------------------------- one settings resolver


def test_the_editor_and_the_command_line_read_a_configuration_alike(tmp_path):
    from stapkit.cli import build_parser
    from stapkit.cli.target_options import parse_options_from_arguments
    from stapkit.config import load_config
    from stapkit.lsp.settings import Settings
    from stapkit.settings import file_options

    include = tmp_path / "tapsets"
    include.mkdir()
    (tmp_path / "stapkit.toml").write_text(
        'include = ["tapsets"]\nguru = true\nmax-file-size = 4096\n'
        '[target]\nkernel-version = "5.10.0-20-amd64"\narch = "aarch64"\n', encoding="utf-8")
    script = tmp_path / "s.stp"
    script.write_text("probe begin { exit() }\n", encoding="utf-8")
    config = load_config(tmp_path / "stapkit.toml")
    cli = file_options(parse_options_from_arguments(build_parser().parse_args(["lint", str(script)]), config),
                       str(script))
    editor = Settings(root=tmp_path).options_for(str(script)).lint.check.parse
    assert editor == cli
    assert editor.guru and editor.max_file_size == 4096 and editor.target.arch == "aarch64"
    assert include in editor.tapset_roots
    # The editor's arguments go through the same resolver: $1 is the client's.
    settings = Settings(root=tmp_path)
    settings.set_client({"args": ["42"]})
    with_args = settings.options_for(str(script)).lint.check.parse
    assert with_args.args == ("42",)
    assert with_args == file_options(parse_options_from_arguments(
        build_parser().parse_args(["lint", "--arg", "42", str(script)]), config), str(script))


def test_warnings_as_errors_is_a_client_setting_too(tmp_path):
    from stapkit.lsp.settings import Settings

    settings = Settings(root=tmp_path)
    settings.set_client({"warningsAsErrors": True})
    assert settings.options_for(str(tmp_path / "a.stp")).lint.check.parse.warnings_as_errors is True


def test_the_brace_style_is_a_client_setting_too(tmp_path):
    from stapkit.lsp.settings import Settings

    settings = Settings(root=tmp_path)
    assert settings.options_for(str(tmp_path / "a.stp")).brace_style is None  # the formatter's default
    settings.set_client({"format": {"braceStyle": "linux"}})
    assert settings.options_for(str(tmp_path / "a.stp")).brace_style == "linux"
