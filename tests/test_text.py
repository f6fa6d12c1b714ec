"""zz_core.text: one set of rules for text from users, files and models."""

from __future__ import annotations

import pytest

from zz_core.text import cut, escape_markdown, one_line, printable


@pytest.mark.parametrize("hostile", [
    "a\x00b", "a\u202eb", "a\u200bb", "a\ufeffb", "a\x1bb", "a\u2066b", "a\ud800b",
])
def test_printable_drops_controls_bidi_zero_width_and_surrogates(hostile: str) -> None:
    assert printable(hostile) == "ab"


def test_printable_keeps_lines_and_tabs_and_normalises_breaks() -> None:
    assert printable("a\r\nb\rc\u2028d\te") == "a\nb\nc\nd\te"


def test_one_line_collapses_whitespace_and_cuts_with_an_ellipsis() -> None:
    assert one_line("  kick \n\t bass\x0b  ") == "kick bass"
    assert one_line("x" * 50, 10) == "x" * 9 + "…"
    assert len(one_line("y" * 10**6, 100)) == 100
    assert cut("short", 10) == "short"


@pytest.mark.parametrize("text", [
    "[x](javascript:alert(1)).wav", "![img](http://e.x/a.png)", "<script>alert(1)</script>",
    "**bold** _it_ `code` # head", ":red[alarm] :material/warning:", "$x^2$", "&lt;b&gt;",
    "a | b | c\n--- | ---", "1. list\n- item\n> quote",
])
def test_escaped_markdown_leaves_no_live_syntax(text: str) -> None:
    escaped = escape_markdown(text)
    # every markdown or Streamlit punctuation mark is preceded by a backslash
    for index, char in enumerate(escaped):
        if char in "[]()<>*_`#:$&|!-.>":
            assert escaped[index - 1] == "\\", (text, escaped, index)


def test_escaped_markdown_keeps_line_breaks_as_hard_breaks() -> None:
    assert escape_markdown("one\ntwo") == "one  \ntwo"
