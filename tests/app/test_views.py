"""One analysis on the page as a meter (AppTest): the issue list's buttons ask the player
to loop each issue, the views are there (or say they were not measured), badges say
"not judged", tables have no index, and the analysis downloads as PDF, JSON and CSV."""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path

import pytest
import soundfile as sf
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Button

from tests.app.helpers import ROOT, analyse, login, make_user, visible_text
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


def issue_button(at: AppTest, code: str) -> Button:
    """The button that loops ``code``'s worst stretch."""
    shown = [b for b in at.button if b.key and "_issue_" in b.key]
    assert shown, [b.label for b in at.button]
    index = next(i for i, issue in enumerate(at.session_state["analyze_result"][0].issues)
                 if issue.code == code)
    return next(b for b in shown if str(b.key).endswith(f"_issue_{index}"))


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
    key = str(issue_button(at, "phase_cancellation").key).rsplit("_issue_", 1)[0]
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
    [shown] = [t.value for t in at.table if "Platform" in t.value.columns]
    assert list(shown.columns[:2]) == ["Platform", "Target (LUFS)"]  # no index column
    figures = shown[["Target (LUFS)", "Gain (dB)", "Output (LUFS)"]].to_numpy().ravel()
    assert all(re.fullmatch(r"[+-]?\d+\.\d|n/a", str(v)) for v in figures), figures


def test_the_analysis_downloads_beside_the_pdf(analysed_page: AppTest) -> None:
    labels = [getattr(d, "label", "") for d in analysed_page.get("download_button")]
    assert {"PDF report", "Analysis (JSON)", "Figures (CSV)", "Issues (CSV)"} <= set(labels)


def test_no_page_shows_a_stray_string() -> None:
    """A bare string at a page's top level (a constant's docstring) is shown by Streamlit's
    magic; only the module docstring is left alone."""
    for page in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        body = ast.parse(page.read_text(encoding="utf-8")).body
        stray = [node.lineno for node in body[1:] if isinstance(node, ast.Expr)
                 and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)]
        assert not stray, f"{page.name}: bare strings on lines {stray}"
