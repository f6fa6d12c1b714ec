"""INSIGHT / SUGGESTION parsing: what models actually write, decorated or not."""

from __future__ import annotations

import pytest

from zz_core.advise.feedback import FeedbackItem, format_items, parse_items


def test_plain_pairs_parse_in_order() -> None:
    text = ("INSIGHT: The kick and bass fight at 60 Hz.\nSUGGESTION: Cut the bass 3 dB at "
            "60 Hz.\n\nINSIGHT: Vocals are harsh.\nSUGGESTION: De-ess 5-7 kHz by 4 dB.")
    items = parse_items(text)
    assert [i.insight for i in items] == ["The kick and bass fight at 60 Hz.",
                                          "Vocals are harsh."]
    assert items[1].suggestion == "De-ess 5-7 kHz by 4 dB."


@pytest.mark.parametrize("text", [
    "**INSIGHT:** Peaks clip at 1:02.\n**SUGGESTION:** Lower the limiter input 2 dB.",
    "1. INSIGHT - Peaks clip at 1:02.\n   SUGGESTION - Lower the limiter input 2 dB.",
    "- insight: Peaks clip at 1:02.\n- suggestion: Lower the limiter input 2 dB.",
    "### INSIGHT: Peaks clip at 1:02.\n### SUGGESTION: Lower the limiter input 2 dB.",
    "Here is my review.\n\nINSIGHT — Peaks clip at 1:02.\nSUGGESTION — Lower the limiter "
    "input 2 dB.",
])
def test_markdown_decoration_is_tolerated(text: str) -> None:
    assert parse_items(text) == [FeedbackItem(insight="Peaks clip at 1:02.",
                                              suggestion="Lower the limiter input 2 dB.")]


def test_tag_names_issue_code_and_severity() -> None:
    items = parse_items("INSIGHT [wide_low_end, critical]: Sub is wide.\nSUGGESTION: Mono "
                        "below 120 Hz.")
    assert (items[0].issue_code, items[0].severity) == ("wide_low_end", "critical")


def test_unknown_tag_words_are_ignored() -> None:
    items = parse_items("INSIGHT [vibes, urgent]: x\nSUGGESTION: y")
    assert (items[0].issue_code, items[0].severity) == (None, None)


def test_multiline_bodies_are_kept() -> None:
    items = parse_items("INSIGHT: Line one\nline two\nSUGGESTION: Do this\nand that")
    assert items[0].insight == "Line one\nline two"
    assert items[0].suggestion == "Do this\nand that"


@pytest.mark.parametrize("text", ["", "Just prose with no labels.",
                                  "INSIGHT: an insight without a suggestion",
                                  "SUGGESTION: a suggestion alone"])
def test_unparseable_text_gives_no_items(text: str) -> None:
    assert parse_items(text) == []


def test_format_round_trips() -> None:
    items = [FeedbackItem(insight="A", suggestion="B", issue_code="clipping",
                          severity="critical"),
             FeedbackItem(insight="C", suggestion="D")]
    assert parse_items(format_items(items)) == items


def test_hostile_text_stays_text() -> None:
    hostile = "<script>alert(1)</script> **bold** [link](http://x) " + "w" * 5000
    items = parse_items(f"INSIGHT: {hostile}\nSUGGESTION: {hostile}")
    assert items[0].insight == hostile
