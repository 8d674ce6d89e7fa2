"""The lexer against stap's lexer::scan rules (parse.cxx)."""

from __future__ import annotations

import pytest

from stapkit.syntax.lexer import lex
from stapkit.syntax.tokens import COMMENT_BEFORE, WS_BEFORE


def kinds(text, **kw):
    return [t.kind for t in lex(text, **kw).tokens]


def texts(text, **kw):
    return [t.text for t in lex(text, **kw).tokens]


@pytest.mark.parametrize("text,expected", [
    ("foo a$b $var $$vars $$parms$ $ $$ @count @mymacro @", [
        "IDENT", "IDENT", "TARGET", "TARGET", "TARGET", "PRETTY", "PRETTY", "AT_STAT", "AT_OTHER", "AT_OTHER"]),
    ("probe global private function if else for foreach in limit return delete while break continue next "
     "string long try catch", [
        "PROBE", "GLOBAL", "PRIVATE", "FUNCTION", "IF", "ELSE", "FOR", "FOREACH", "IN", "LIMIT", "RETURN",
        "DELETE", "WHILE", "BREAK", "CONTINUE", "NEXT", "STRING_TYPE", "LONG_TYPE", "TRY", "CATCH"]),
    ("42 0x1F 0777 08 1abc", ["NUMBER"] * 5),
    ("@cast @var @defined @probewrite @entry @perf @const @kregister @uregister @kderef @uderef @enum "
     "@enumname @hist_linear @hist_log @define", [
        "AT_CAST", "AT_VAR", "AT_DEFINED", "AT_PROBEWRITE", "AT_ENTRY", "AT_PERF", "AT_CONST", "AT_REGISTER",
        "AT_REGISTER", "AT_DEREF", "AT_DEREF", "AT_ENUM", "AT_ENUMNAME", "AT_HIST_LINEAR", "AT_HIST_LOG",
        "DEFINE"]),
])
def test_token_kinds(text, expected):
    assert kinds(text) == expected


def test_operators_longest_match_first():
    assert texts("a <<< b >>>= c <<= d >>= e") == ["a", "<<<", "b", ">>>", "=", "c", "<<=", "d", ">>=", "e"]
    assert texts("a=~b!~c->d%(%?%:%)") == ["a", "=~", "b", "!~", "c", "->", "d", "%(", "%?", "%:", "%)"]
    assert kinds("'\\`") == ["STRAY", "STRAY", "STRAY"]


def test_private_is_a_keyword_only_from_3_0():
    assert kinds("private", version=(3, 0)) == ["PRIVATE"]
    assert kinds("private", version=(2, 9)) == ["IDENT"]


def test_comments_are_kept_aside_with_positions():
    text = "a # one\nb // two\nc /* three\n */ d"
    result = lex(text)
    assert [t.text for t in result.tokens] == ["a", "b", "c", "d"]
    assert [c.text for c in result.comments] == ["# one", "// two", "/* three\n */"]
    assert all(text[c.start:c.end] == c.text for c in result.comments)
    assert result.tokens[1].flags & COMMENT_BEFORE


def test_argument_count_is_not_a_comment():
    assert texts("$# @# $1 @12") == ["$#", "@#", "$1", "@12"]
    assert kinds("$# @# $1 @12") == ["ARG_NUM", "ARG_STR", "ARG_NUM", "ARG_STR"]


def test_whitespace_flag_for_probe_point_gluing():
    tokens = lex("sys**open a *b").tokens
    assert [t.text for t in tokens] == ["sys", "*", "*", "open", "a", "*", "b"]
    assert [bool(t.flags & WS_BEFORE) for t in tokens] == [False, False, False, False, True, True, False]
    # A comment separates as whitespace does.
    assert lex("a/**/b").tokens[1].flags & WS_BEFORE


def test_strings_escapes_and_line_continuation():
    assert texts('"a\\"b" "x\\\ny"') == ['"a\\"b"', '"x\\\ny"']
    result = lex('x = "no end\ny = 1')
    assert result.diagnostics[0].code == "STP002"
    assert [t.text for t in result.tokens] == ["x", "=", '"no end"', "y", "=", "1"]


def test_embedded_c_is_one_token():
    result = lex("%{ int x; /* c */ %} %{%}")
    assert [t.kind for t in result.tokens] == ["EMBEDDED", "EMBEDDED"]
    assert result.tokens[1].text == "%{%}"


def test_embedded_close_typo_warns():
    result = lex("%{ x }% y %}")
    assert [d.code for d in result.diagnostics] == ["STP006"]


def test_unterminated_embedded_and_comment():
    result = lex("probe begin %{ never closed")
    assert [d.code for d in result.diagnostics] == ["STP003"]
    assert result.tokens[-1].kind == "EMBEDDED"
    result = lex("a /* open comment")
    assert [d.code for d in result.diagnostics] == ["STP004"]
    assert result.diagnostics[0].severity.value == "warning"


def test_junk_characters_reported_once_per_run():
    result = lex("x = 1 \u00e9\u00e9\u00e9 + 2")
    assert [d.code for d in result.diagnostics] == ["STP001"]
    assert "U+00E9" in result.diagnostics[0].message
    assert [t.text for t in result.tokens] == ["x", "=", "1", "+", "2"]


def test_arguments_pasted_when_given():
    result = lex("probe $1 { print(@2, $#) }", args=["begin", 'say "hi"'])
    assert [t.text for t in result.tokens] == [
        "probe", "begin", "{", "print", "(", '"say \\"hi\\""', ",", "2", ")", "}"]
    # Pasted tokens point at the argument in the file.
    assert {(t.start, t.end) for t in result.tokens if t.text == "begin"} == {(6, 8)}


def test_argument_out_of_range_is_reported_where_used():
    # The lexer marks it; the preprocessor reports it (not in skipped branches).
    result = lex("x = $3", args=["a"])
    assert result.tokens[-1].origin is not None
    assert result.diagnostics == []


def test_crlf_is_whitespace():
    assert texts("probe begin {\r\n  x = 1\r\n}\r\n") == ["probe", "begin", "{", "x", "=", "1", "}"]


def test_a_junk_run_ends_at_the_next_token():
    result = lex("println(\u201chello\u201d)")
    assert [(d.span.start, d.span.end) for d in result.diagnostics] == [(8, 9), (14, 15)]
