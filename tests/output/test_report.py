"""PDF reports: a track with a reference, feedback, thread and presets; a track without
feedback; an album; and a thread full of hostile text. Each PDF is opened with pypdf and
its text checked; where poppler's pdftoppm is installed page 1 is rendered and must show
something."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader

from tests.mixes import RATE, analysed, at_loudness, clean_mixdown, equalised, limited, shaped_noise
from tests.music import render_drums
from zz_core.advise.feedback import ChatTurn, Feedback, FeedbackItem
from zz_core.advise.presets import PresetChain, recommend_presets
from zz_core.judge.album import cohesion_summary
from zz_core.judge.models import AnalysisResult
from zz_core.judge.pipeline import with_reference
from zz_core.output import printcharts, report

CREATED = datetime(2026, 5, 1, 12, 30, tzinfo=UTC)
LONG_WORD = "Z" * 500
CJK_NAME = "山田太郎"


def analyse(samples: np.ndarray, context: str = "mastering", genre: str = "electronic",
            subgenre: str | None = "house", name: str = "track.wav") -> AnalysisResult:
    return analysed(samples, context, genre, subgenre, name=name, source_format="WAV FLOAT")


def pdf_text(pdf: bytes) -> tuple[int, str]:
    """Page count and the text of every page, joined."""
    reader = PdfReader(BytesIO(pdf))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def squashed(text: str) -> str:
    """Text without whitespace: wrapped lines and broken words read as one."""
    return re.sub(r"\s+", "", text)


def contains(text: str, wanted: str) -> bool:
    return squashed(wanted) in squashed(text)


def render_first_page(pdf: bytes, tmp_path: Path) -> Image.Image | None:
    """Page 1 as an image through poppler's pdftoppm (Debian poppler-utils), or None."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        return None
    source = tmp_path / "report.pdf"
    source.write_bytes(pdf)
    subprocess.run([tool, "-r", "40", "-f", "1", "-l", "1", "-png", str(source),
                    str(tmp_path / "page")], check=True, timeout=60)
    (page,) = tmp_path.glob("page*.png")
    with Image.open(page) as image:
        return image.convert("L")


@pytest.fixture(scope="module", autouse=True)
def draft_charts() -> Iterator[None]:
    """Charts at a low resolution: these tests read text and layout, not chart detail."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(printcharts, "DPI", 60)
        yield


FEEDBACK = Feedback(provider="offline", model="rules-2026", items=[
    FeedbackItem(insight="The low-mids around 250 Hz sit 5 dB above the House target.",
                 suggestion="Cut 250 Hz by about 4 dB with a broad bell on pads and keys.",
                 issue_code="low_mid_excess", severity="warning"),
    FeedbackItem(insight="The master is well below House loudness.",
                 suggestion="Raise the limiter gain with a -1 dBTP ceiling.",
                 issue_code="too_quiet", severity="critical"),
])


@pytest.fixture(scope="module")
def reference() -> AnalysisResult:
    return analyse(limited(shaped_noise(6.0, "electronic", seed=3), -8.0, -1.0),
                   name="reference master.wav")


@pytest.fixture(scope="module")
def track(reference: AnalysisResult) -> AnalysisResult:
    mix = equalised(clean_mixdown(6.0, genre="electronic"), 177.0, 354.0, 6.0)
    drums = render_drums(124.0, 6.0, rate=RATE).audio
    return with_reference(analyse(mix + drums[:, : mix.shape[1]]), reference)


@pytest.fixture(scope="module")
def presets(track: AnalysisResult) -> PresetChain:
    return recommend_presets(track, "ableton")


@pytest.fixture(scope="module")
def full_report(track: AnalysisResult, presets: PresetChain) -> bytes:
    thread = [ChatTurn(role="user", content="Why does it sound boxy?"),
              ChatTurn(role="assistant", content="Because 250 Hz is 5 dB above the target."),
              ChatTurn(role="summary", content="We found the boxiness at 250 Hz.")]
    return report.build_track_report(track, track_name="Night Drive (final)",
                                     session_name="EP sessions", profile="detailed",
                                     feedback=FEEDBACK, thread=thread, presets=presets,
                                     created_at=CREATED)


@pytest.fixture(scope="module")
def plain_mix() -> AnalysisResult:
    return analyse(clean_mixdown(5.0), "mixdown", "pop", None, name="mix v3.wav")


@pytest.fixture(scope="module")
def bare_report(plain_mix: AnalysisResult) -> bytes:
    return report.build_track_report(plain_mix, track_name="Mix v3", session_name="Demo",
                                     profile="simple", feedback=None, thread=[], presets=None,
                                     created_at=CREATED)


HOSTILE = "\n".join([
    '<script>alert("pwned")</script> <b>bold?</b> **not bold** __nor this__ `code`',
    "Braces {} {nb} {0} %s %(name)s \\n \\ backslash",
    f"A very long word: {LONG_WORD} end of word.",
    "Em dash — en dash – “curly quotes” ‘single’ «guillemets» … ellipsis",
    "Accents: café, naïve, Ångström, Dvořák, Øresund, Straße, Łódź",
    f"CJK name: {CJK_NAME} 김민준 さくら",
    "Emoji: 🎧🔥👍🏽 ❤️ 🇩🇪 end",
    "RTL: שלום עולם and مرحبا بالعالم end",
    "Control: \x00\x01\x07\x1b[31mred\x1b[0m \u202eevil\u202c \ufeffbom \u200bzero",
    "Lone surrogate: \ud800 end. Tabs:\tone\ttwo. CRLF:\r\nnext line",
])


@pytest.fixture(scope="module")
def hostile_report(plain_mix: AnalysisResult) -> bytes:
    filler = " ".join(f"word{i}" for i in range(8000))[:50_000]
    thread = [ChatTurn(role="user", content=HOSTILE),
              ChatTurn(role="assistant", content=filler),
              ChatTurn(role="summary", content=HOSTILE)]
    raw = Feedback(provider="compatible", model="local <llm> **v2**",
                   text=f"Not in the INSIGHT format at all: {HOSTILE}")
    return report.build_track_report(plain_mix, track_name=f"{CJK_NAME} — Café 🎧 <b>",
                                     session_name="Session {nb} \x07", profile="pro",
                                     feedback=raw, thread=thread,
                                     presets=recommend_presets(plain_mix), created_at=CREATED)


@pytest.fixture(scope="module")
def album() -> list[tuple[str, AnalysisResult]]:
    return [
        ("Opener", analyse(clean_mixdown(5.0, seed=1, genre="electronic"), "master")),
        ("Louder one", analyse(at_loudness(clean_mixdown(5.0, seed=2, genre="electronic"),
                                           -12.0), "master")),
        (f"Closer {CJK_NAME}", analyse(clean_mixdown(5.0, seed=3, genre="electronic"),
                                       "master")),
    ]


@pytest.fixture(scope="module")
def album_report(album: list[tuple[str, AnalysisResult]]) -> bytes:
    narrative = Feedback(provider="openai", model="gpt-test",
                         text="The EP flows well; the second track jumps out in level.")
    return report.build_album_report(album, session_name="Summer EP",
                                     cohesion=cohesion_summary(album), narrative=narrative,
                                     created_at=CREATED)


# --------------------------------------------------------------------------- full report


def test_full_report_opens_and_has_a_sensible_length(full_report: bytes) -> None:
    assert full_report.startswith(b"%PDF-")
    pages, text = pdf_text(full_report)
    assert 4 <= pages <= 12
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text


def test_title_block(full_report: bytes) -> None:
    _, text = pdf_text(full_report)
    for wanted in ("Night Drive (final)", "EP sessions", "2026-05-01 12:30 UTC",
                   "Mastering guidance", "House (Electronic)", "Detailed",
                   "offline · rules-2026", "reference master.wav"):
        assert contains(text, wanted), wanted


def test_metric_table_shows_values_as_formatted_with_marks(track: AnalysisResult,
                                                           full_report: bytes) -> None:
    _, text = pdf_text(full_report)
    rows = report.metric_rows(track)
    for row in rows:
        assert contains(text, f"{row.label} {row.value}"), row
    integrated = track.loudness.integrated_lufs
    assert integrated is not None
    assert f"{integrated:.1f} LUFS" in text
    marks = {row.label: row.mark for row in rows}
    assert marks["Integrated loudness"] == "WARN"  # about 6 LU below house masters: a warning
    assert marks["Correlation"] == "OK"
    verdicts = {v.label: v for v in track.verdicts}
    for label, mark in marks.items():  # every mark is its verdict's
        if label in verdicts:
            assert mark == report.MARKS[verdicts[label].status], label
    assert {"OK", "WARN"} <= set(text.split())


def test_issues_are_listed_with_their_messages(track: AnalysisResult,
                                               full_report: bytes) -> None:
    _, text = pdf_text(full_report)
    assert track.issues
    for issue in track.issues:
        assert contains(text, issue.message), issue.code
        assert issue.severity.upper() in text


def test_reference_comparison(track: AnalysisResult, full_report: bytes) -> None:
    _, text = pdf_text(full_report)
    assert contains(text, "Against the reference: reference master.wav")
    comparison = track.comparison
    assert comparison is not None
    for issue in comparison.issues:
        assert contains(text, issue.message)
    delta = comparison.loudness_difference_lu
    assert delta is not None and f"{delta:+.1f} LU" in text
    word = "louder" if delta > 0 else "quieter"
    assert contains(text, f"the track is {abs(delta):.1f} LU {word} than the reference")


def test_feedback_cards_thread_and_summary(full_report: bytes) -> None:
    _, text = pdf_text(full_report)
    for item in FEEDBACK.items:
        assert contains(text, item.insight) and contains(text, item.suggestion)
    assert "INSIGHT 1" in text and "SUGGESTION" in text
    assert contains(text, "Why does it sound boxy?")
    assert contains(text, "SUMMARY OF THE THREAD SO FAR")
    assert contains(text, "We found the boxiness at 250 Hz.")


def test_presets_are_tables_with_device_and_setting_names(presets: PresetChain,
                                                          full_report: bytes) -> None:
    _, text = pdf_text(full_report)
    assert contains(text, "Presets (Ableton Live devices)")
    for device in presets.devices:
        assert contains(text, device.device)
        for setting in device.settings:
            assert contains(text, f"{setting.name} {report.setting_value(setting)}"), setting
    assert "EQ Eight" in text and "Glue Compressor" in text


def test_platform_table(track: AnalysisResult, full_report: bytes) -> None:
    _, text = pdf_text(full_report)
    assert contains(text, "Streaming platforms")
    for outcome in track.platforms:
        assert contains(text, outcome.platform)
    spotify = next(p for p in track.platforms if p.platform == "Spotify")
    assert f"{spotify.gain_db:+.1f} dB" in text


def test_first_page_renders_with_ink(full_report: bytes, tmp_path: Path) -> None:
    page = render_first_page(full_report, tmp_path)
    if page is None:
        pytest.skip("pdftoppm not installed (Debian: apt-get install poppler-utils)")
    pixels = np.asarray(page, dtype=float)
    inked = float(np.mean(pixels < 200))
    assert 0.02 < inked < 0.5
    assert page.size[0] < page.size[1]  # portrait


# --------------------------------------------------------------------------- no feedback


def test_report_without_feedback_thread_or_presets(bare_report: bytes) -> None:
    pages, text = pdf_text(bare_report)
    assert 2 <= pages <= 8
    assert "Mix v3" in text and "Mixdown review" in text
    assert contains(text, "No AI feedback was requested for this track.")
    assert "Follow-up questions" not in text and "Presets" not in text
    assert contains(text, "loudness is set") or "not judged" in text
    assert "Simple" in text and f"Page {pages} of {pages}" in text


# --------------------------------------------------------------------------- hostile text


def test_hostile_text_is_printed_literally(hostile_report: bytes) -> None:
    pages, text = pdf_text(hostile_report)
    assert 12 <= pages <= 40  # 50 KB of thread paginates
    for wanted in ('<script>alert("pwned")</script>', "**not bold**", "__nor this__",
                   "{} {nb} {0} %s %(name)s", "Em dash — en dash", "“curly quotes”",
                   "café, naïve, Ångström, Dvořák", "Straße", "local <llm> **v2**",
                   "Session {nb}"):
        assert contains(text, wanted), wanted
    assert f"Page {pages} of {pages}" in text
    assert "word7999" in text or "word7998" in text or contains(text, "word799")


def test_long_words_are_broken_not_lost(hostile_report: bytes) -> None:
    _, text = pdf_text(hostile_report)
    assert LONG_WORD in squashed(text)
    assert max(len(line) for line in text.splitlines()) < 200


def test_control_characters_never_reach_the_pdf(hostile_report: bytes) -> None:
    _, text = pdf_text(hostile_report)
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\u202e\ufeff\ud800]", text)
    assert contains(text, "[31mred") and contains(text, "evil")


def test_cjk_uses_the_installed_font_or_a_box(hostile_report: bytes) -> None:
    _, text = pdf_text(hostile_report)
    if printcharts.cjk_font() is not None:
        assert CJK_NAME in squashed(text)
    else:
        assert printcharts.MISSING_GLYPH in text


def test_without_a_cjk_font_characters_become_boxes(plain_mix: AnalysisResult,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(printcharts, "CJK_FONTS", ())
    thread = [ChatTurn(role="user", content=f"Name: {CJK_NAME} 🎧 and café")]
    pdf = report.build_track_report(plain_mix, track_name=CJK_NAME, session_name="S",
                                    profile="pro", feedback=None, thread=thread, presets=None)
    _, text = pdf_text(pdf)
    assert CJK_NAME not in text and contains(text, "Name: □ □ and café")


def test_plain_text_cleaning() -> None:
    def covered(ch: str) -> bool:
        return ch.isascii() or ch == "é"
    assert printcharts.plain_text("a\x00b\x1b[0m\u202ec\ufeff\r\nd\te", covered) == "ab[0mc\nd    e"
    assert printcharts.plain_text("x 山田 🎧 y", covered) == "x □ □ y"
    assert printcharts.plain_text("\ud800é\u2028z", covered) == "□é\nz"
    assert printcharts.plain_text("e\u0301", covered) == "é"  # NFC composes


# --------------------------------------------------------------------------- album


def test_album_report(album: list[tuple[str, AnalysisResult]], album_report: bytes,
                      tmp_path: Path) -> None:
    pages, text = pdf_text(album_report)
    assert 2 <= pages <= 8
    assert "Summer EP" in text and "Album report" in text
    for name, result in album:
        assert contains(text, name.replace(CJK_NAME, "")) and contains(text, "Closer")
        integrated = result.loudness.integrated_lufs
        assert integrated is not None and f"{integrated:.1f} LUFS" in text
    for observation in cohesion_summary(album).observations:
        assert contains(text.replace(CJK_NAME, ""), observation.replace(CJK_NAME, "")), \
            observation
    assert contains(text, "The EP flows well; the second track jumps out in level.")
    assert contains(text, "openai · gpt-test")
    assert f"Page {pages} of {pages}" in text
    page = render_first_page(album_report, tmp_path)
    if page is not None:
        assert 0.02 < float(np.mean(np.asarray(page) < 200)) < 0.5


def test_album_of_one_track(album: list[tuple[str, AnalysisResult]]) -> None:
    one = album[:1]
    pdf = report.build_album_report(one, session_name="Single", cohesion=cohesion_summary(one),
                                    narrative=None)
    _, text = pdf_text(pdf)
    assert contains(text, "nothing to compare") and "No AI narrative" in text


def test_silent_track_and_empty_album_still_make_reports() -> None:
    silent = analyse(np.zeros((2, RATE * 3), dtype=np.float32), "master", name="silence.wav")
    pdf = report.build_track_report(silent, track_name="S" * 5000, session_name="a\nb\n" * 50,
                                    profile="simple", feedback=Feedback(provider="offline",
                                                                        model="m"),
                                    thread=[ChatTurn(role="user", content="")],
                                    presets=recommend_presets(silent))
    _, text = pdf_text(pdf)
    assert "The reply was empty." in text and "nothing to set" in text
    assert "Integrated loudness n/a" in text
    empty = report.build_album_report([], session_name="Empty", cohesion=cohesion_summary([]),
                                      narrative=None)
    assert "No tracks: nothing to compare." in pdf_text(empty)[1]
