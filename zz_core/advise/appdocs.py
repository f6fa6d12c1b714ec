"""Reference documents for the Docs Assistant, written from the data the app itself uses
(genres.yaml, platforms.yaml, prices.yaml, the issue advice), so they cannot drift from
what the app measures and judges. They are indexed with the hand-written ``knowledge/``.
"""

from __future__ import annotations

from collections.abc import Callable

from zz_core.advise import tokens
from zz_core.fmt import value_range
from zz_core.judge import genres, platforms
from zz_core.judge.genres import GenreTargets
from zz_core.knowledge.documents import Document, make_document
from zz_core.vocab import CONTEXTS

PREFIX = "app/reference/"


def generated_documents() -> list[Document]:
    """Every generated reference document, in a stable order."""
    writers: list[tuple[str, str, Callable[[], str]]] = [
        ("genre-targets.md", "Genre targets", _genre_targets),
        ("track-contexts.md", "Track contexts: mixdown, mastering, master", _contexts),
        ("streaming-platforms.md", "Streaming platform normalisation table", _platforms),
        ("issue-codes.md", "Issue codes the analyser reports", _issue_codes),
        ("model-prices.md", "Language model prices used for cost tracking", _prices),
    ]
    return [_document(PREFIX + name, title, writer()) for name, title, writer in writers]


def _document(doc_id: str, title: str, body: str) -> Document:
    return make_document(doc_id, f"# {title}\n\n{body.strip()}\n", title)


def _range(value: genres.Range, unit: str, digits: int = 0) -> str:
    return value_range(value.min, value.max, unit, digits)


def _targets_lines(targets: GenreTargets) -> list[str]:
    return [
        f"- Integrated loudness of a master: {_range(targets.integrated_lufs, 'LUFS')}",
        f"- Highest true peak: {targets.true_peak_dbtp_max:.1f} dBTP",
        f"- Loudness range (LRA): {_range(targets.lra_lu, 'LU')}",
        f"- PLR (true peak minus integrated loudness): {_range(targets.plr_db, 'dB')}",
        f"- DR value: DR{targets.dr.min:.0f} to DR{targets.dr.max:.0f}",
        f"- Tempo: {_range(targets.bpm, 'BPM')}",
        f"- Stereo width (side/mid energy): {_range(targets.stereo_width, '', 2)}",
        f"- Low end: mono below {targets.low_end.mono_below_hz:.0f} Hz, left/right "
        f"correlation there at least {targets.low_end.min_correlation:+.2f}",
        f"- Tonal balance tolerance: ±{targets.tonal_tolerance_db:.0f} dB per octave band",
    ]


def _genre_targets() -> str:
    table = genres.load_genre_table()
    sections = ["The analyser judges a track against these targets for the genre and "
                "subgenre chosen on the Analyze page. Loudness and dynamics targets apply "
                "to masters; a mixdown is judged on headroom instead (see Track contexts)."]
    for genre in genres.list_genres(table):
        targets = genres.resolve_targets(genre.slug, table=table).targets
        subs = ", ".join(s.label for s in genre.subgenres) or "none"
        sections.append("\n".join([f"## {genre.label} genre targets", "",
                                   *_targets_lines(targets), f"- Subgenres: {subs}"]))
        for sub in genre.subgenres:
            own = genres.resolve_targets(genre.slug, sub.slug, table=table).targets
            if own != targets:
                sections.append("\n".join([f"## {sub.label} ({genre.label}) subgenre targets",
                                           "", *_targets_lines(own)]))
    return "\n\n".join(sections)


def _contexts() -> str:
    sections = ["The track context chosen on the Analyze page changes which limits apply."]
    for name in CONTEXTS:
        rules = genres.context_rules(name)
        loudness = ("the genre's integrated loudness range" if rules.apply_genre_loudness
                    else f"{_range(rules.integrated_lufs, 'LUFS')} integrated")
        sections.append("\n".join([
            f"## {rules.label} ({name})", "", rules.description.strip(), "",
            f"- Peak ceiling: {rules.peak_ceiling_dbtp:.1f} dBTP (or the genre's, if "
            "stricter)",
            f"- Loudness judged against: {loudness}",
            f"- Dynamics judged against the genre's PLR range: "
            f"{'yes' if rules.apply_genre_dynamics else 'no'}; squashed below PLR "
            f"{rules.over_compressed_plr_db:.0f} dB",
            f"- Clipping is reported as: {rules.clip_severity}",
            f"- Extra tonal tolerance: {rules.tonal_tolerance_extra_db:.0f} dB",
            f"- Streaming platform checks: {'yes' if rules.check_platforms else 'no'}",
        ]))
    return "\n\n".join(sections)


def _platforms() -> str:
    sections = ["What each service's loudness normalisation does to a track. Normalisation "
                "is playback gain: gain = target minus the track's integrated loudness, "
                "within each platform's rules. The Analyze page shows the result per track."]
    for p in platforms.load_platforms():
        lines = [f"## {p.name} loudness normalisation", "",
                 f"- Target: {p.target_lufs:.0f} LUFS integrated ({p.kind})",
                 f"- Turns louder tracks down: {'yes' if p.turns_down_loud else 'no'}",
                 f"- Raises quieter tracks: {'yes' if p.raises_quiet else 'no'}"]
        if p.raise_true_peak_ceiling_dbtp is not None:
            lines.append(f"- A raise stops where the true peak would pass "
                         f"{p.raise_true_peak_ceiling_dbtp:.1f} dBTP")
        if p.limiter_ceiling_dbtp is not None:
            lines.append(f"- Raises fully and limits peaks at {p.limiter_ceiling_dbtp:.1f} dBTP")
        if p.true_peak_advice_dbtp is not None:
            lines.append(f"- Advised true peak of the uploaded file: "
                         f"{p.true_peak_advice_dbtp:.1f} dBTP or lower")
        if p.loud_true_peak_advice_dbtp is not None and p.loud_above_lufs is not None:
            lines.append(f"- For masters louder than {p.loud_above_lufs:.0f} LUFS: "
                         f"{p.loud_true_peak_advice_dbtp:.1f} dBTP or lower")
        if p.uncertain:
            lines.append("- These figures are uncertain: sources disagree or nothing "
                         "official is published")
        if p.note:
            lines += ["", p.note.strip()]
        lines.append(f"\nSource: {p.source}")
        sections.append("\n".join(lines))
    return "\n\n".join(sections)


def _issue_codes() -> str:
    from zz_core.advise.offline import issue_reference

    sections = ["Each problem the analyser finds has a code, a severity (critical, warning "
                "or info) and the time where it happens; the Analyze page lists them and "
                "marks them on the waveform."]
    for code, title, body in issue_reference():
        sections.append(f"## {title} ({code})\n\n{body.strip()}")
    return "\n\n".join(sections)


def _prices() -> str:
    table = tokens.default_prices()
    rows = "\n".join(f"| {model} | ${price.input:.3f} | ${price.output:.3f} |"
                     for model, price in table.models.items())
    return (f"Prices as of {table.as_of}, US dollars per million tokens. The Token Usage "
            "page multiplies each call's prompt and completion tokens by these. Models not "
            "listed are counted at $0 and flagged. The offline engine uses no tokens.\n\n"
            "| Model | Input | Output |\n| --- | --- | --- |\n" + rows)
