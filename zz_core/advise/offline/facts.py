"""The facts a follow-up question asks for, read from the track's measurements before any
advice: which channel (DC offset, imbalance, clipping, peaks), where (m:ss spans), the
figures it names (loudness, peaks, PLR, PSR, LRA, width, correlation, tempo with its
alternatives, key with its runner-up), the band levels behind words such as "muddy",
"boomy", "harsh", "thin" or "dull", what is measured at a time it names ("at 3:13"), what
changed since the previous version ("did my change help?", ``advise.changes``), and what
the measurements cannot tell ("which instrument").

``read_facts`` returns them as sentences for the offline answer; ``facts_block`` writes
the same sentences for a language model's prompt, so both engines answer from the same
facts. Figures are written with ``zz_core.fmt``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from zz_core.advise.changes import change_facts
from zz_core.advise.figures import verdict_line
from zz_core.advise.offline.book import load_advice
from zz_core.advise.offline.moments import moment_facts, moments
from zz_core.advise.offline.questions import QUESTION_MAX_CHARS, normalise
from zz_core.advise.offline.track import measured, octave_deviations
from zz_core.fmt import clock, clock_span, figure, hz, join, number
from zz_core.judge import judging
from zz_core.judge.issues import Issue
from zz_core.judge.judging import judging_rules
from zz_core.judge.models import AnalysisResult
from zz_core.judge.regions import region
from zz_core.measure.peaks import ChannelPeaks, channel_name
from zz_core.measure.series import SILENCE_FLOOR_DB
from zz_core.text import one_line

SPANS_LISTED = 6
"""At most this many located spans are written out; the rest are counted."""


@dataclass(frozen=True)
class Facts:
    """What the measurements say about a question: ``sentences`` (the answer, in the
    order the question asks), the ``topics`` they are about (advice.yaml topic names, so
    the answer and its citations stay on them), and ``declined`` when the question asks
    for something no measurement can tell (which instrument plays)."""

    sentences: list[str] = field(default_factory=list)
    topics: frozenset[str] = frozenset()
    declined: bool = False


# --------------------------------------------------------------------------- the words


def _pattern(*words: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(words) + r")\b")


_INSTRUMENT = _pattern(
    r"which (?:instruments?|elements?|sounds?|parts?|tracks?|stems?|synths?|plugins?)",
    r"what (?:instruments?|elements?|is playing|plays|sound is|is that sound|is making "
    r"(?:that|this|the) (?:sound|noise))", r"who (?:is )?(?:playing|plays)",
    r"is (?:it|that|this) the (?:kick|bass|snare|vocal|vocals|synth|guitar|piano|pad|808)",
    r"identify", r"separate (?:the )?(?:instruments?|stems?)")
_DC = _pattern("dc", "dc offset", "offset")
_CLIP = _pattern(r"clip\w*", r"distort\w*", "overs", r"crackl\w*")
_CHANNEL = _pattern(r"channels?", r"left(?! to| over| for)", "right channel", "right side",
                    "left or right", "left and right", "l r", "one side", "both sides",
                    "which side",
                    r"imbalanc\w*", "balance", "lopsided", "panned")
_PEAK = _pattern("true peak", "peaks?", "dbtp", "ceiling", "headroom", "sample peak")
_LOUD = _pattern("lufs", "integrated", "short term", "momentary")
_LRA = _pattern("lra", "loudness range")
_PLR = _pattern("plr")
_PSR = _pattern("psr")
_CREST = _pattern("crest", "crest factor")
_DR = _pattern("dr", "dynamic range")
_RMS = _pattern("rms")
_DYNAMICS = _pattern(r"compress\w*", "squash", "squashed", r"dynamics?", "punch", "punchy")
_WIDTH = _pattern("width", "wide", "wider", "narrow", "narrower", "stereo image", "stereo")
_CORRELATION = _pattern("correlation", "phase", "mono", "cancel", "cancels", "cancellation")
_TEMPO = _pattern("tempo", "bpm", "beats per minute", "half time", "double time", "speed")
_KEY = _pattern("key", "keys", "camelot", "scale", "tonic", "what key", "harmonic mixing")
_VERSION = _pattern(
    r"did (?:\w+ ){0,5}(?:help|work)", r"(?:previous|last|earlier|old|first|other) "
    r"(?:versions?|mix|mixdown|master|bounce|export|take)", "than before",
    r"since (?:the |my )?last", r"what (?:has )?changed", r"compared (?:to|with) (?:the |my )?last")
"""A question about what changed since the previous version."""
_CHANGE = _pattern(r"improv\w*", "better", "worse", "fixed", r"changes?", r"versions?")
"""Words that ask about a change when the track is a new version of an earlier one."""

_REGION_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (_pattern("low end", "lowend", r"bass\w*", r"kicks?", r"subs?", "sub bass", r"808s?",
              "bottom end", "lows", r"boom\w*"), "low_end"),
    (_pattern("low mids?", "lower mids", r"mud\w*", "boxy"), "low_mids"),
    (_pattern("mids", "midrange", "middle"), "mids"),
    (_pattern("upper mids", "high mids", "presence", r"harsh\w*"), "presence"),
    (_pattern("highs", "air", "airy", "treble", "top end", "high end", r"cymbals?",
              r"hats?", r"hi hats?"), "air"),
)
"""The tonal region (``judge.regions``) a question about a moment names: its bands are
listed ("the low end at 3:13": sub and low)."""

TonalWord = tuple[tuple[str, ...], int, str]
_TONAL_WORDS: tuple[tuple[re.Pattern[str], TonalWord], ...] = (
    # words -> (the tonal regions behind them (judge.regions keys), sign: +1 the word means
    # too much there, -1 too little, 0 either way; the advice topic)
    (_pattern(r"mud\w*", "boxy", "murky", "cloudy", "woolly", "wooly"),
     (("low_mids",), 1, "tonal")),
    (_pattern(r"boom\w*", "bassy", "bass heavy", "too much bass", "too much low end",
              "too much sub", "subby", r"rumbl\w*"),
     (("low_end",), 1, "low_end")),
    (_pattern("thin", "weak bass", "no bass", "lacks bass", "lacking bass", "not enough bass",
              "not enough low end", "lightweight", "no low end", "weak low end"),
     (("low_end",), -1, "low_end")),
    (_pattern(r"harsh\w*", "shrill", "piercing", "fatiguing", "painful", "ear fatigue"),
     (("presence",), 1, "tonal")),
    (_pattern("dull", "dark", "muffled", "no air", "lacks air", "not bright"),
     (("air",), -1, "tonal")),
    (_pattern("bright", "brittle", r"sibilan\w*", "tinny", "fizzy", r"sizzl\w*"),
     (("presence", "air"), 1, "tonal")),
    (_pattern("nasal", "honky", "hollow"),
     (("mids",), 0, "tonal")),
)


# --------------------------------------------------------------------------- the facts


def _channel_peaks(result: AnalysisResult) -> list[ChannelPeaks] | None:
    """Per-channel DC offset, clipped runs and overs; None in an analysis stored before
    they were kept."""
    return list(result.channel_peaks) or None


def _issues(result: AnalysisResult, code: str) -> list[Issue]:
    return [i for i in result.issues if i.code == code]


def _spans(result: AnalysisResult, code: str) -> list[tuple[float, float, float | None]]:
    """(start, end, worst value) of every located span of an issue code, worst first as
    the issue lists them (several issues of the code in an older analysis: by time)."""
    spans: list[tuple[float, float, float | None]] = []
    for issue in _issues(result, code):
        listed = getattr(issue, "spans", None) or []
        if listed:
            spans += [(s.start_s, s.end_s, getattr(s, "value", None)) for s in listed]
        else:
            spans.append((issue.start_s, issue.end_s, issue.value))
    return spans


def _where(spans: Sequence[tuple[float, float, float | None]]) -> str:
    """Spans as m:ss (a short one as its start): in time order when all are listed, else
    the first SPANS_LISTED as given (worst first) and a count of the rest."""
    if len(spans) <= SPANS_LISTED:
        spans = sorted(spans, key=lambda span: span[0])
    shown = [clock(b) if e - b < 0.3 else clock_span(b, e) for b, e, _ in spans[:SPANS_LISTED]]
    more = len(spans) - SPANS_LISTED
    return join(shown) + (f" and {more} more" if more > 0 else "")


def _dc_facts(result: AnalysisResult) -> list[str]:
    most = judging.judging_table().dc_offset.warn_above_dbfs  # the DC a channel may carry
    limit = f"the limit is {figure(most, 'dBFS', 0)}"
    peaks = _channel_peaks(result)
    issue = next(iter(_issues(result, "dc_offset")), None)
    if peaks is None:
        if issue is None:
            return [f"No channel carries DC offset above {figure(most, 'dBFS', 0)}."]
        return [f"DC offset of {figure(issue.value, 'dBFS', 0)} on the worst channel ({limit}); "
                "this analysis keeps no per-channel figures, so analyse the file again to "
                "see which channel it is."]

    def level(peak: ChannelPeaks) -> float | None:
        value = peak.dc_offset_dbfs
        return value if value is not None and value > SILENCE_FLOOR_DB else None

    over = [p.name for p in peaks if (v := level(p)) is not None and v > most]
    listed = ", ".join(f"{p.name} {figure(level(p), 'dBFS', 0)}" if level(p) is not None
                       else f"{p.name} none" for p in peaks)
    if not over:
        return [f"No channel carries DC offset above {figure(most, 'dBFS', 0)} "
                f"({listed})."]
    if len(peaks) == 1:
        return [f"The mono channel carries DC offset ({listed}; {limit})."]
    if len(over) == len(peaks):
        which = "Both channels carry" if len(peaks) == 2 else "Every channel carries"
        return [f"{which} DC offset ({listed}; {limit})."]
    return [f"Only the {join(over)} channel carries DC offset ({listed}; {limit})."]


def _clip_facts(result: AnalysisResult, channel_asked: bool) -> list[str]:
    spans = _spans(result, "clipping")
    peaks = _channel_peaks(result) or []
    facts: list[str] = []
    if spans:
        count = len(spans)
        facts.append(f"Clipping (flat-topped runs of samples at full scale) in {count} "
                     f"stretch{'es' if count != 1 else ''}"
                     f"{' (worst first)' if count > SPANS_LISTED else ''}: {_where(spans)}.")
    else:
        facts.append("No clipped (flat-topped) samples were found.")
    if any(p.clipped_runs for p in peaks):
        clipped = [p for p in peaks if p.clipped_runs]
        which = ("both channels" if len(clipped) == len(peaks) == 2
                 else f"the {join([p.name for p in clipped])} channel only"
                 if len(clipped) < len(peaks) else "every channel")
        facts.append(f"Clipped runs (three or more samples in a row at full scale) on {which}: "
                     + ", ".join(f"{p.name} {p.clipped_runs}" for p in peaks) + ".")
    if any(p.overs for p in peaks):
        facts.append("Samples above full scale after decoding (kept by the decoder; a "
                     "fixed-point export would clip them): "
                     + ", ".join(f"{p.name} {p.overs}" for p in peaks) + ".")
    over_spans = _spans(result, "true_peak_over")
    if over_spans:
        facts.append(f"True peak {figure(result.loudness.true_peak_dbtp, 'dBTP', sign=True)} "
                     f"passes the ceiling at {_where(over_spans)}.")
    if channel_asked or spans:
        facts += _peak_channels(result)
    return facts


def _peak_channels(result: AnalysisResult) -> list[str]:
    peaks = result.loudness.true_peak_per_channel_dbtp
    if len(peaks) < 2 or all(p is None for p in peaks):
        return []
    return ["True peak by channel is " + join([
        f"{channel_name(i, len(peaks))} {figure(p, 'dBTP', sign=True)}"
        for i, p in enumerate(peaks)]) + "."]


def _balance_facts(result: AnalysisResult) -> list[str]:
    balance = measured(result.stereo.balance_db)
    if result.channels < 2 or balance is None:
        return ["The file is mono: there is one channel, so no balance to measure."]
    if abs(balance) < 0.05:
        text = "Left and right are equally loud (balance 0.0 dB)."
    else:
        louder, quieter = ("left", "right") if balance > 0 else ("right", "left")
        text = (f"The {louder} channel is {figure(abs(balance), 'dB')} louder than the "
                f"{quieter} (balance {figure(balance, 'dB', sign=True)}, left minus right).")
    return [text, *_peak_channels(result)]


def _judged(result: AnalysisResult, metric: str, label: str, value: float | None,
            unit: str, *, sign: bool = False) -> str:
    """A headline figure as its verdict states it on every surface ("Integrated loudness
    -14.8 LUFS: good (target -30 to -14 LUFS)"); the measured figure, said to be not
    judged, when the verdict holds no value (LRA and DR of a mixdown)."""
    verdict = next((v for v in judging.verdicts(result) if v.metric == metric), None)
    if verdict is not None and verdict.value is not None:
        return verdict_line(verdict)
    context = judging_rules(result)[1].label.lower()
    return f"{label} {figure(value, unit, sign=sign)}: not judged for a {context}"


def _figure_facts(result: AnalysisResult, text: str) -> list[str]:
    """The figures the question names, each with its verdict (status and target)."""
    loud, stereo = result.loudness, result.stereo
    facts: list[str] = []
    if _LOUD.search(text):
        judged = _judged(result, "loudness.integrated_lufs", "Integrated loudness",
                         loud.integrated_lufs, "LUFS")
        facts.append(f"{judged}; short-term max {figure(loud.short_term_max_lufs, 'LUFS')}, "
                     f"momentary max {figure(loud.momentary_max_lufs, 'LUFS')}.")
    if _LRA.search(text):
        facts.append(_judged(result, "loudness.lra_lu", "Loudness range (LRA)", loud.lra_lu,
                             "LU") + ".")
    if _PEAK.search(text):
        judged = _judged(result, "loudness.true_peak_dbtp", "True peak", loud.true_peak_dbtp,
                         "dBTP", sign=True)
        facts.append(f"{judged}; sample peak {figure(loud.sample_peak_dbfs, 'dBFS', sign=True)}.")
    if _PLR.search(text) or (_DYNAMICS.search(text) and not _PSR.search(text)):
        facts.append(_judged(result, "loudness.plr_db", "PLR", loud.plr_db, "dB")
                     + ", the true peak minus the integrated loudness.")
    if _PSR.search(text) or _DYNAMICS.search(text):
        facts.append(f"PSR {figure(loud.psr_db, 'dB')} at the loudest moment, lowest "
                     f"{figure(loud.psr_min_db, 'dB')} (around 6 dB and below sounds "
                     "squashed).")
    if _CREST.search(text):
        facts.append(f"Crest factor {figure(loud.crest_db, 'dB')} (sample peak minus RMS).")
    if _DR.search(text):
        facts.append(_judged(result, "loudness.dr", "DR", loud.dr, "") + ".")
    if _RMS.search(text):
        facts.append(f"RMS {figure(loud.rms_dbfs, 'dBFS')}.")
    if _WIDTH.search(text) and result.channels > 1:
        facts.append(_judged(result, "stereo.width", "Width (S/M)", stereo.width, "")
                     + ", the side/mid energy of the typical programme.")
    if _CORRELATION.search(text) and result.channels > 1:
        loss = None if stereo.mono_loss_db is None else abs(stereo.mono_loss_db)
        overall = _judged(result, "stereo.correlation", "Correlation", stereo.correlation, "",
                          sign=True)
        low = _judged(result, "stereo.low_end_correlation", "Low-end correlation",
                      stereo.low_end_correlation, "", sign=True)
        facts.append(f"{overall}; {low}, measured below {hz(stereo.low_end_hz)}; the mono "
                     f"sum is {figure(loss, 'dB')} quieter.")
        phase = _spans(result, "phase_cancellation")
        if phase:
            facts.append(f"Left and right cancel at {_where(phase)}.")
    return facts


def _tempo_facts(result: AnalysisResult) -> list[str]:
    tempo = result.tempo
    if tempo.bpm is None:
        return ["No steady beat was found, so there is no tempo to report."]
    others = [b for b in tempo.alternatives_bpm if abs(b - tempo.bpm) > 0.5][:3]
    text = f"Tempo {figure(tempo.bpm, 'BPM')} (confidence {tempo.confidence:.0%})"
    if others:
        text += f"; it can also be counted at {join([figure(b, 'BPM') for b in others], 'or')}"
    return [text + "."]


def _key_facts(result: AnalysisResult) -> list[str]:
    key = result.key
    if not key.label:
        return ["No key was found (no clear tonal centre)."]
    code = f" ({key.camelot})" if key.camelot else ""
    text = f"Key {key.label}{code}, confidence {key.confidence:.0%}"
    if key.second_label:
        second = f" ({key.second_camelot})" if key.second_camelot else ""
        text += (f"; runner-up {key.second_label}{second}" +
                 (", nearly as likely: check by ear" if key.close else ", clearly behind"))
    return [text + "."]


def _tonal_facts(result: AnalysisResult, word: str, meaning: TonalWord) -> list[str]:
    """The deviation of the tonal regions behind a word (``judge.regions``: the mean of
    their octaves' deviations, as the tonal issues decide), against the tolerance."""
    keys, sign, _ = meaning
    deviations = octave_deviations(result)
    judged = {v.metric: v for v in judging.verdicts(result)}
    tolerance = judging.tonal_tolerance(result)
    said = f"“{word.capitalize()}” points to the {join([region(k).label for k in keys])}"
    facts: list[str] = []
    for key in keys:
        area = region(key)
        deviation = area.deviation(deviations)
        if deviation is None:
            facts.append(f"{said}, but the track's tonal balance could not be measured there.")
            continue
        octaves = ", ".join(f"{figure(deviations[c], 'dB', sign=True)} at {hz(c)}"
                            for c in area.octaves_hz if c in deviations)
        beyond = (sign * deviation if sign else abs(deviation)) > tolerance
        verdict_of = judged.get(f"tonal.{key}")
        if verdict_of is not None and verdict_of.value is not None \
                and verdict_of.status != "unknown":  # decided once, as the issue says
            deviation = verdict_of.value
            tolerance = verdict_of.tolerance or tolerance
            beyond = verdict_of.status != "good" and (sign == 0 or sign * deviation > 0)
        if beyond:
            side = "too much" if deviation > 0 else "too little"
            verdict = f"beyond the tolerance: {side} there, so yes, by the measurement"
        else:
            verdict = f"within the tolerance: not {word} there by the measurement"
        facts.append(f"{said if not facts else 'The ' + area.label}: "
                     f"{figure(deviation, 'dB', sign=True)} against the "
                     f"{result.genre.display_label} tonal target ({octaves}; tolerance "
                     f"±{number(tolerance, 1)} dB), {verdict}.")
    return facts


def _instrument_facts(regions: Sequence[str]) -> list[str]:
    """The decline, and who usually lives in the region asked about (a rule of thumb from
    advice.yaml, said as such)."""
    facts = ["The analysis measures the mix as a whole, not separate instruments, so it "
             "cannot say which instrument that is; solo or mute parts in your session to "
             "find it."]
    book = load_advice()
    for key in regions[:1]:
        area = region(key)
        usual = list(dict.fromkeys(s for c in area.octaves_hz for s in book.octave_source(c)))
        facts.append(f"As a rule of thumb (not a measurement), {join(usual[:4])} usually "
                     f"sit in the {area.name}.")
    return facts


_FIGURE_TOPICS: tuple[tuple[re.Pattern[str], str], ...] = (
    (_PEAK, "true_peak"), (_LOUD, "loudness"), (_LRA, "loudness"), (_PLR, "dynamics"),
    (_PSR, "dynamics"), (_CREST, "dynamics"), (_DR, "dynamics"), (_DYNAMICS, "dynamics"),
    (_WIDTH, "stereo"), (_CORRELATION, "stereo"),
)
"""The topic of each figure a question may name (``_figure_facts``)."""


def _version_facts(result: AnalysisResult, text: str) -> list[str]:
    """What changed since the previous version, when the question asks (``change_facts``);
    that there is none to compare with when it asks but the track follows none."""
    if result.changes is not None:
        return change_facts(result.changes) if (_VERSION.search(text)
                                                or _CHANGE.search(text)) else []
    if not _VERSION.search(text):
        return []
    return ["This track is not linked to a previous version, so there is nothing to compare "
            "it with: upload the new mix as a new version of the earlier one (on Analyze, "
            "\"New version of\"; on the command line, --previous)."]


def read_facts(result: AnalysisResult, question: str) -> Facts:
    """What the track's measurements say about the question, before any advice."""
    raw = one_line(question, QUESTION_MAX_CHARS)
    text = normalise(raw)
    asked = moments(raw)
    sentences: list[str] = _version_facts(result, text)
    topics: set[str] = set()
    declined = bool(_INSTRUMENT.search(text))
    regions = [key for words, key in _REGION_WORDS if words.search(text)]
    names = [band for key in regions for band in region(key).frame_bands] or None
    if declined:
        sentences += _instrument_facts(regions)
    for moment in asked:
        sentences += moment_facts(result, moment, names)
    channel_asked = bool(_CHANNEL.search(text))
    dc_asked, clip_asked = bool(_DC.search(text)), bool(_CLIP.search(text))
    steps: list[tuple[bool, str | None, Callable[[], list[str]]]] = [
        (dc_asked, "cleanup", lambda: _dc_facts(result)),
        (clip_asked, "true_peak", lambda: _clip_facts(result, channel_asked)),
        (channel_asked and not dc_asked and not clip_asked, "stereo",
         lambda: _balance_facts(result)),
        (True, None, lambda: _figure_facts(result, text)),
        (bool(_TEMPO.search(text)), "tempo", lambda: _tempo_facts(result)),
        (bool(_KEY.search(text)), "key", lambda: _key_facts(result)),
    ]
    if result.loudness.integrated_lufs is None:  # silent: no figure to give but that
        steps = [(bool(_LOUD.search(text) or _PEAK.search(text) or _DYNAMICS.search(text)
                       or _PLR.search(text) or _PSR.search(text)), None,
                  lambda: ["The track is silent (no audio above -70 LUFS), so it has no "
                           "loudness, peak or dynamics figures."]), *steps[4:]]
    for wanted, topic, write in steps:
        written = write() if wanted else []
        sentences += written
        if written and topic:
            topics.add(topic)
    topics |= {topic for words, topic in _FIGURE_TOPICS if words.search(text)}
    for words, meaning in _TONAL_WORDS:
        said = words.search(text)
        if said:
            sentences += _tonal_facts(result, said.group(0), meaning)
            topics.add(meaning[2])
    unique = list(dict.fromkeys(s for s in sentences if s))
    return Facts(sentences=unique, topics=frozenset(topics), declined=declined)


def facts_block(result: AnalysisResult, question: str) -> str:
    """The facts of ``read_facts`` for a language model's prompt: answer from these first,
    in the order given; "" when the question names nothing measurable."""
    facts = read_facts(result, question)
    if not facts.sentences:
        return ""
    lines = ["MEASURED FACTS FOR THIS QUESTION (answer with these first, then advise)"]
    if facts.declined:
        lines.append("- The question asks which instrument or element: the analysis cannot "
                     "separate instruments. Say so, then give what is measured.")
    lines += [f"- {sentence}" for sentence in facts.sentences]
    return "\n".join(lines)
