"""The formatter trims the blanks stap reads as blanks at the ends of lines, and nothing else.

Python's str.rstrip() also takes Unicode whitespace: a no-break space, U+2028
or U+3000 ending a `#` comment was deleted (found by the fuzzer, tests/fuzz) —
a changed byte that is no blank to stap.
"""

from __future__ import annotations

import pytest

from stapkit.format.formatter import format_text
from stapkit.syntax import ParseOptions

OPTIONS = ParseOptions(guru=True, library_macros={})


@pytest.mark.parametrize("end", ["\u00a0", "\u2028", "\u3000", "\x1c", "\x85"])
def test_a_unicode_space_ending_a_comment_is_kept(end):
    text = f"# a{end}\nprobe begin {{  x = 1 }} // b{end}  \n"
    result = format_text(text, "case.stp", options=OPTIONS)
    assert result.text == f"# a{end}\nprobe begin {{ x = 1 }} // b{end}\n"
    assert not format_text(result.text, "case.stp", options=OPTIONS).changed


def test_ascii_blanks_ending_a_comment_are_still_trimmed():
    text = "# a \t\f\r\nprobe begin {  x = 1 } # b \v\r\n"
    assert format_text(text, "case.stp", options=OPTIONS).text == "# a\r\nprobe begin { x = 1 } # b\r\n"


def test_an_unterminated_comment_at_the_end_keeps_its_words():
    text = "probe begin {  x = 1 }\n/* open\u00a0\n  to the end\n\n"
    result = format_text(text, "case.stp", options=OPTIONS)  # a FormatError would be a bug
    assert result.text.startswith("probe begin { x = 1 }\n/* open\u00a0\n  to the end")


def test_a_cr_before_a_crlf_in_a_block_comment_is_laid_out_once():
    # Found by the fuzzer: `/*\n\r\r\n*/` came out as `/*\n\r\n*/`, and that as `/*\n\n*/`:
    # one CR before a line ending was kept each time, so formatting was not idempotent.
    from stapkit.format.formatter import format_text

    for text in ("/*\n\r\r\n*/\nprobe begin { exit() }\n", "/*\r\n\r\r\n*/\r\nprobe begin { exit() }\r\n"):
        once = format_text(text).text
        assert format_text(once).text == once
