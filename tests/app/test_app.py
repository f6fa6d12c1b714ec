"""The app through Streamlit's AppTest: accounts, Analyze with a real WAV upload, bad
uploads, History, and one user never reaching another's data. Real SQLite file, real
audio, real engine (in its worker process)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyloudnorm as pyln
import pytest
import soundfile as sf
from streamlit.testing.v1 import AppTest

from tests.app.helpers import (
    APP,
    PASSWORD,
    TIMEOUT,
    analyse,
    engine_for,
    login,
    make_user,
    visible_text,
    wav,
)
from zz_core.errors import NotFoundError
from zz_core.store import analyses, projects, users
from zz_core.store import tracks as track_store


def test_first_run_offers_registration(data_dir: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert at.tabs[0].label == "Register"


def test_registration_stores_a_bcrypt_hash(data_dir: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    for label, value in [("First name", "Ada"), ("Last name", "Lovelace"),
                         ("Email", "ada@example.com"), ("Username", "ada"),
                         ("Password", PASSWORD), ("Repeat password", PASSWORD)]:
        candidates = [t for t in at.text_input if t.label == label]
        candidates[0].input(value)  # with no users yet, the Register tab comes first
    next(b for b in at.button if b.label == "Register").click()
    at.run()
    assert not at.exception
    user = users.get_user_by_username(engine_for(data_dir), "ada")
    assert user is not None
    assert user.password_hash.startswith("$2") and PASSWORD not in user.password_hash


def test_wrong_password_is_refused(data_dir: Path) -> None:
    make_user(data_dir, "ada")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    next(t for t in at.text_input if t.label == "Username").input("ada")
    next(t for t in at.text_input if t.label == "Password").input("wrong-Pass-9")
    next(b for b in at.button if b.label == "Login").click()
    at.run()
    assert any("incorrect" in e.value for e in at.error)
    assert not any(h.value == "Analyze a track" for h in at.title)


def test_analyze_a_wav_and_see_the_metrics(data_dir: Path) -> None:
    user_id = make_user(data_dir, "ada")
    at = analyse(login("ada"), wav(-20.0), "my mix.wav")
    assert not at.exception, at.exception
    values = {m.label: m.value for m in at.metric}
    assert values["Integrated loudness"].startswith("-20.0")
    assert any("For information only" in c.value for c in at.caption)  # a mixdown
    engine = engine_for(data_dir)
    [project] = projects.list_projects(engine, user_id)
    [track] = track_store.list_tracks(engine, user_id, project.id)
    assert track.original_name == "my mix.wav"
    assert track.stored_name != "my mix.wav" and "mix" not in track.stored_name
    assert analyses.latest_analysis(engine, user_id, track.id) is not None


@pytest.mark.parametrize(("name", "data"), [
    ("empty.wav", b""),
    ("notes.wav", b"just some text, not audio"),
    ("cut.wav", wav()[:20000]),
    ("huge.wav", wav(seconds=20.0)),  # over the 1 MB limit set below
])
def test_bad_uploads_show_a_message_and_store_nothing(data_dir: Path, name: str, data: bytes,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZZ_MAX_UPLOAD_MB", "1")
    user_id = make_user(data_dir, "ada")
    at = analyse(login("ada"), data, name)
    assert not at.exception
    assert at.error, "expected a clear message"
    assert "Nothing was stored" in at.error[0].value
    assert projects.list_projects(engine_for(data_dir), user_id) == []
    audio_dir = data_dir / "audio"
    assert not audio_dir.exists() or not any(audio_dir.rglob("*.*"))


def loudness_of(data: bytes) -> float:
    """Integrated loudness (LUFS, BS.1770-4, pyloudnorm's meter) of a WAV file's bytes."""
    samples, rate = sf.read(io.BytesIO(data), dtype="float64", always_2d=True)
    return float(pyln.Meter(rate).integrated_loudness(samples))


def test_history_shows_the_track_and_another_user_sees_nothing(data_dir: Path) -> None:
    make_user(data_dir, "ada")
    make_user(data_dir, "bob")
    at = analyse(login("ada"), wav(-18.0), "ada-secret-track.wav", session="Ada's album")
    at.switch_page("pages/history.py").run()
    assert not at.exception
    assert "ada-secret-track.wav" in visible_text(at.main)
    assert any(m.label == "Integrated loudness" for m in at.metric)

    bob = login("bob")
    bob.switch_page("pages/history.py").run()
    assert not bob.exception
    everything = visible_text(bob.main)
    assert "History & Compare" in everything
    assert "ada-secret-track" not in everything and "Ada's album" not in everything
    # forging widget state with Ada's ids still reaches nothing
    engine = engine_for(data_dir)
    ada = users.get_user_by_username(engine, "ada")
    assert ada is not None and ada.id is not None
    [project] = projects.list_projects(engine, ada.id)
    [track] = track_store.list_tracks(engine, ada.id, project.id)
    bob.session_state["analyze_track_id"] = track.id
    bob.switch_page("pages/analyze.py").run()
    assert not bob.exception
    bob_user = users.get_user_by_username(engine, "bob")
    assert bob_user is not None and bob_user.id is not None
    with pytest.raises(NotFoundError):
        track_store.get_track(engine, bob_user.id, track.id)


def test_reference_comparison_with_level_matched_players(data_dir: Path) -> None:
    make_user(data_dir, "ada")
    at = login("ada")
    at.file_uploader(key="reference_upload").set_value(("ref.wav", wav(-12.0), "audio/wav"))
    at = analyse(at, wav(-20.0), "mix.wav")
    assert not at.exception, at.exception
    assert any(s.value == "Against the reference" for s in at.subheader)
    assert any("A/B in the player above" in c.value for c in at.caption)
    [copy] = list((data_dir / "listening").rglob("*.wav"))  # only the louder one is copied
    assert loudness_of(copy.read_bytes()) == pytest.approx(-20.0, abs=0.1)  # turned down 8 dB


def test_history_shows_a_tracks_reference_comparison_again(data_dir: Path) -> None:
    user_id = make_user(data_dir, "ada")
    at = login("ada")
    at.file_uploader(key="reference_upload").set_value(("ref.wav", wav(-12.0), "audio/wav"))
    analyse(at, wav(-20.0), "mix.wav")
    engine = engine_for(data_dir)
    [project] = projects.list_projects(engine, user_id)
    tracks = {t.original_name: t for t in track_store.list_tracks(engine, user_id, project.id)}
    assert tracks["ref.wav"].reference_of_track_id == tracks["mix.wav"].id
    at = login("ada")
    at.switch_page("pages/history.py").run()
    next(s for s in at.selectbox if s.label == "Track").select_index(
        [t.id for t in track_store.list_tracks(engine, user_id, project.id)].index(
            tracks["mix.wav"].id))
    at.run()
    assert not at.exception, at.exception
    assert any(s.value == "Against the reference" for s in at.subheader)
    assert any("A/B in the player above" in c.value for c in at.caption)
    at.switch_page("pages/analyze.py").run()  # the same audio again, without a reference
    at.file_uploader(key="main_upload").set_value(("again.wav", wav(-20.0), "audio/wav"))
    at.run()
    next(b for b in at.button if b.label == "Analyze").click()
    at.run()
    assert any("reusing that analysis" in str(m.value) for m in at.markdown)
    assert not any(s.value == "Against the reference" for s in at.subheader)
    again = next(t for t in track_store.list_tracks(engine, user_id, project.id)
                 if t.original_name == "again.wav")
    reused = analyses.latest_analysis(engine, user_id, again.id)
    assert reused is not None and reused.comparison is None


@pytest.mark.parametrize("page", ["pages/docs_assistant.py", "pages/token_usage.py"])
def test_other_pages_render_for_a_signed_in_user(data_dir: Path, page: str) -> None:
    make_user(data_dir, "ada")
    at = login("ada")
    at.switch_page(page).run()
    assert not at.exception
    assert at.title


def test_same_audio_again_reuses_the_analysis_and_keeps_both_tracks(data_dir: Path) -> None:
    user_id = make_user(data_dir, "ada")
    at = analyse(login("ada"), wav(-20.0), "first.wav")
    at.file_uploader(key="main_upload").set_value(("again.wav", wav(-20.0), "audio/wav"))
    at.run()
    next(b for b in at.button if b.label == "Analyze").click()
    at.run()
    assert not at.exception
    assert any("reusing that analysis" in str(m.value) for m in at.markdown)
    engine = engine_for(data_dir)
    [project] = projects.list_projects(engine, user_id)
    tracks = track_store.list_tracks(engine, user_id, project.id)
    assert sorted(t.original_name for t in tracks) == ["again.wav", "first.wav"]
    assert all(analyses.latest_analysis(engine, user_id, t.id) is not None for t in tracks)
    assert all(track_store.audio_path(user_id, t, data_dir) is not None for t in tracks)


def test_expired_audio_keeps_its_analysis_and_says_so(data_dir: Path) -> None:
    from zz_core.store.retention import apply_retention

    make_user(data_dir, "ada")
    analyse(login("ada"), wav(-20.0), "old.wav")
    report = apply_retention(engine_for(data_dir), data_dir, max_age_days=14,
                             now=datetime.now(UTC) + timedelta(days=30))
    assert report.files_removed == 1
    at = login("ada")
    at.switch_page("pages/history.py").run()
    assert not at.exception
    assert any("expired" in i.value for i in at.info)
    assert any(m.label == "Integrated loudness" for m in at.metric)


def test_generic_genre_is_offered_and_judges_against_the_defaults(data_dir: Path) -> None:
    user_id = make_user(data_dir, "ada")
    at = login("ada")
    genre = next(s for s in at.selectbox if s.label == "Genre")
    assert "Generic (no genre)" in genre.options
    genre.select_index(genre.options.index("Generic (no genre)"))
    at = analyse(at.run(), wav(-20.0), "mix.wav")
    assert not at.exception, at.exception
    engine = engine_for(data_dir)
    [project] = projects.list_projects(engine, user_id)
    [track] = track_store.list_tracks(engine, user_id, project.id)
    stored = analyses.latest_analysis(engine, user_id, track.id)
    assert stored is not None and stored.genre.genre is None
    assert stored.genre.genre_label == "Generic"
