"""One analysis on the page as a meter (AppTest): the issue list's buttons ask the player
to loop each issue, the views are there (or say they were not measured), badges say
"not judged", tables have no index, and the analysis downloads as PDF, JSON and CSV."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import soundfile as sf
from streamlit.testing.v1 import AppTest

from tests.app.helpers import analyse, login, make_user, visible_text
from tests.mixes import RATE, clean_mixdown, polarity_flipped
from ui import listening, views
from ui.player import Command


def flawed_wav() -> bytes:
    """A mixdown whose right channel is polarity-flipped from 4 to 7 s, in 12 s."""
    buffer = io.BytesIO()
    sf.write(buffer, polarity_flipped(clean_mixdown(12.0), 4.0, 7.0).T, RATE, format="WAV",
             subtype="PCM_16")
    return buffer.getvalue()


@pytest.fixture
def analysed_page(data_dir: Path) -> AppTest:
    make_user(data_dir, "ada")
    at = analyse(login("ada"), flawed_wav(), "flawed.wav", session="Meter")
    assert not at.exception, at.exception
    return at


def issue_button(at: AppTest, code: str) -> object:
    """The button that loops ``code``'s worst stretch."""
    shown = [b for b in at.button if b.key and "_issue_" in b.key]
    assert shown, [b.label for b in at.button]
    index = next(i for i, issue in enumerate(at.session_state["analyze_result"][0].issues)
                 if issue.code == code)
    return next(b for b in shown if b.key.endswith(f"_issue_{index}"))


def test_an_issue_button_asks_the_player_to_loop_the_issue(analysed_page: AppTest) -> None:
    at = analysed_page
    result = at.session_state["analyze_result"][0]
    issue = next(i for i in result.issues if i.code == "phase_cancellation")
    stretch = listening.stretches(issue, result.duration_s)[0]
    button = issue_button(at, "phase_cancellation")
    assert button.label == f"{listening.clock_span(stretch.start_s, stretch.end_s)}"
    button.click()
    at.run()
    assert not at.exception, at.exception
    key = issue_button(at, "phase_cancellation").key.rsplit("_issue_", 1)[0]
    command = at.session_state[f"{key}__command"]
    assert isinstance(command, Command)
    assert (command.start_s, command.end_s, command.play) == (
        stretch.loop_start_s, stretch.loop_end_s, True)
    issue_button(at, "phase_cancellation").click()
    at.run()
    assert at.session_state[f"{key}__command"].nonce == command.nonce + 1  # asked again


def test_the_meter_views_are_in_tabs(analysed_page: AppTest) -> None:
    at = analysed_page
    labels = [t.label for t in at.tabs]
    for tab in views.TABS:
        assert tab in labels
    text = visible_text(at.main)
    assert "Issues" in text and "Phase cancellation" in text
    assert "UNKNOWN" not in text.upper().replace("NOT JUDGED", "")
    assert "NOT JUDGED" in text  # the loudness range of a mixdown is not judged
    assert "n/a LU" not in text  # an unmeasured card shows no unit


def test_tables_have_no_index_and_notes_wrap(analysed_page: AppTest) -> None:
    at = analysed_page
    assert at.table, "the platform table is a static table (its notes wrap)"
    for table in at.table:
        assert table.proto.arrow_data is not None
    for frame in at.dataframe:
        assert frame.proto.HasField("data") or frame.proto is not None


def test_the_analysis_downloads_beside_the_pdf(analysed_page: AppTest) -> None:
    labels = [d.label for d in analysed_page.get("download_button")]
    assert {"PDF report", "Analysis (JSON)", "Figures (CSV)", "Issues (CSV)"} <= set(labels)
