"""Text that came from a user, a file or a model, made safe: one set of rules.

* ``printable``: NFC, without control characters (but tab and newline), lone surrogates,
  zero-width characters, bidi overrides or a BOM: what every stored or shown text passes.
* ``one_line``: printable, whitespace collapsed, cut at ``max_chars`` with an ellipsis.
* ``escape_markdown``: shown by a markdown renderer exactly as written (no links, images,
  HTML, emphasis, LaTeX or Streamlit directives): every ASCII punctuation mark that
  markdown or Streamlit gives a meaning is backslash-escaped.
"""

from __future__ import annotations

import re
import unicodedata

_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff"
    "\ud800-\udfff]")
"""C0/C1 controls other than tab and newline, zero-width and bidi controls, word joiner
and invisible operators, BOM, lone surrogates."""

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~=$:&\"'^])")
ELLIPSIS = "…"


_LINE_BREAKS = re.compile("\r\n|[\r\x85\u2028\u2029]")
_SPACES = re.compile("[\x0b\x0c\x1c-\x1f]")


def printable(text: object) -> str:
    """``text`` as a string a person can read safely, newlines and tabs kept (other line
    breaks become newlines, vertical tabs and form feeds spaces)."""
    value = unicodedata.normalize("NFC", str(text))
    value = _SPACES.sub(" ", _LINE_BREAKS.sub("\n", value))
    return _UNSAFE.sub("", value)


def cut(text: str, max_chars: int) -> str:
    """``text`` cut to at most ``max_chars`` characters, with an ellipsis when cut."""
    if len(text) <= max_chars:
        return text
    return text[: max(0, max_chars - 1)].rstrip() + ELLIPSIS


def one_line(text: object, max_chars: int | None = None) -> str:
    """Printable text on one line (whitespace collapsed), cut to ``max_chars``."""
    value = str(text)
    if max_chars is not None:
        value = value[: max_chars * 4]  # bound the work on absurd input
    collapsed = " ".join(printable(value).split())
    return collapsed if max_chars is None else cut(collapsed, max_chars)


def escape_markdown(text: object) -> str:
    """Text that a markdown renderer (``st.markdown``) shows exactly as written.

    Line breaks are kept as hard breaks; nothing becomes a link, an image, HTML, a
    heading, emphasis, a formula or a Streamlit directive such as ``:red[...]``.
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", printable(text)).replace("\n", "  \n")
