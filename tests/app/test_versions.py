"""Versions in the app: a v2 uploaded as a new version of v1 shows what changed on
Analyze (with A/B against v1 and feedback that starts with the fix) and in History (the
song's versions over time)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import soundfile as sf

from tests.app.helpers import analyse, engine_for, login, make_user, visible_text
from tests.signals import RATE, sine
from zz_core.store import projects
from zz_core.store import tracks as track_store


def clipped_wav() -> bytes:
    """A sine driven into full scale in twelve places (clipping), 16-bit."""
    audio = sine(-14.0, 6.0)
    for k in range(12):
        start = int((0.5 + 0.4 * k) * RATE)
        audio[:, start:start + 200] = np.sign(audio[:, start:start + 200])
    buffer = io.BytesIO()
    sf.write(buffer, audio.T, RATE, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def clean_wav() -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, sine(-14.0, 6.0).T, RATE, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def test_a_new_version_shows_its_changes_in_analyze_and_history(data_dir: Path) -> None:
    user_id = make_user(data_dir, "ada")
    at = analyse(login("ada"), clipped_wav(), "v1.wav", session="Single")
    assert not at.exception, at.exception
    engine = engine_for(data_dir)
    [project] = projects.list_projects(engine, user_id)
    [v1] = track_store.list_tracks(engine, user_id, project.id)
    at.run()  # the session made for v1 is now the chosen one
    picker = next(s for s in at.selectbox if s.label == "New version of ...")
    picker.select(v1.id)
    at.file_uploader(key="main_upload").set_value(("v2.wav", clean_wav(), "audio/wav"))
    at.run()
    next(b for b in at.button if b.label == "Analyze").click()
    at.run()
    assert not at.exception, at.exception
    v2 = next(t for t in track_store.list_tracks(engine, user_id, project.id)
              if t.original_name == "v2.wav")
    assert v2.previous_version_of_track_id == v1.id
    headings = [s.value for s in at.subheader]
    assert "Since the previous version" in headings
    assert "A/B with the previous version" in headings
    said = [str(m.value) for m in at.markdown]
    assert any("Since the previous version" in m and "fixed" in m and "clipping" in m
               for m in said)  # the changes, first what was fixed
    shown = visible_text(at.main).lower()
    assert "you fixed the " in shown  # the feedback acknowledges the fix

    at.switch_page("pages/history.py").run()
    listed = [t.id for t in track_store.list_tracks(engine, user_id, project.id)]
    next(s for s in at.selectbox if s.label == "Track").select_index(listed.index(v2.id))
    at.run()
    assert not at.exception, at.exception
    assert "Versions of this song" in [s.value for s in at.subheader]
    table = next(d for d in at.dataframe if "Version" in d.value.columns)
    assert list(table.value["Version"]) == ["v1", "v2"]
    assert list(table.value["Track"]) == ["v1.wav", "v2.wav"]
    assert "clipping" in table.value["Issues"][0] and "clipping" not in table.value["Issues"][1]
    assert "Since the previous version" in [s.value for s in at.subheader]
