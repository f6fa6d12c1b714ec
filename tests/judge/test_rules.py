"""Each rule decided once, on plain figures: margins, the severity ladder, one ceiling,
opposite pairs from one figure."""

from __future__ import annotations

import pytest

from zz_core.judge import genres, rules
from zz_core.judge.regions import LOW_END, region
from zz_core.judge.thresholds import judging_table

POP = genres.resolve_targets("pop").targets
MASTER = genres.context_rules("master")
MIXDOWN = genres.context_rules("mixdown")
MASTERING = genres.context_rules("mastering")


def test_past_needs_the_visible_margin() -> None:
    assert rules.past(-10.02, -10.0, above=False, visible=0.5) is None
    assert rules.past(-10.5, -10.0, above=False, visible=0.5) == pytest.approx(0.5)
    assert rules.past(-9.0, -10.0, above=False, visible=0.5) is None  # the passing side
    assert rules.past(None, -10.0, above=True, visible=0.5) is None


@pytest.mark.parametrize(("lufs", "code", "severity"), [
    (-10.02, None, None),  # on the boundary: no verdict
    (-10.4, None, None),
    (-10.6, "too_quiet", "info"),  # a valid streaming master
    (-14.0, "too_quiet", "info"),
    (-15.0, "too_quiet", "info"),
    (-16.0, "too_quiet", "warning"),  # quieter than streaming plays it
    (-6.6, None, None),
    (-6.4, "too_loud", "warning"),
    (-3.0, "too_loud", "warning"),  # never critical: the ladder keeps loudness a warning
])
def test_loudness_of_a_pop_master(lufs: float, code: str | None, severity: str | None) -> None:
    decision = rules.loudness(lufs, POP, MASTER)
    assert (decision.code, decision.severity) == (code, severity)
    if code:
        limit = POP.integrated_lufs.min if code == "too_quiet" else POP.integrated_lufs.max
        assert decision.limit == limit
        assert decision.margin == pytest.approx(abs(lufs - limit))


def test_a_quiet_mixdown_is_a_warning_not_info() -> None:
    assert rules.loudness(-33.0, POP, MIXDOWN).severity == "warning"
    assert rules.loudness(-18.0, POP, MIXDOWN).code is None


def test_one_true_peak_ceiling() -> None:
    assert rules.true_peak_ceiling(-9.0, POP, MASTER) == -2.0  # louder than -14 LUFS
    assert rules.true_peak_ceiling(-14.0, POP, MASTER) == -1.0
    assert rules.true_peak_ceiling(-9.0, POP, MASTERING) == -2.0
    assert rules.true_peak_ceiling(-9.0, POP, MIXDOWN) == -3.0  # a mixdown's headroom


@pytest.mark.parametrize(("peak", "lufs", "severity"), [
    (-2.05, -9.0, None), (-1.5, -9.0, "info"), (-0.5, -9.0, "warning"), (0.05, -9.0, "warning"),
    (0.3, -9.0, "critical"), (-1.05, -15.0, None), (-0.8, -15.0, "warning"),
])
def test_true_peak_ladder(peak: float, lufs: float, severity: str | None) -> None:
    decision = rules.true_peak(peak, lufs, POP, MASTER)
    assert decision.severity == severity
    if severity:
        assert decision.limit == rules.true_peak_ceiling(lufs, POP, MASTER)


def test_plr_over_compressed_is_a_warning_too_dynamic_info() -> None:
    floor = POP.plr_db.min
    assert rules.plr(floor - 0.3, POP, MASTER).code is None
    assert (rules.plr(floor - 4.0, POP, MASTER).code,
            rules.plr(floor - 4.0, POP, MASTER).severity) == ("over_compressed", "warning")
    assert rules.plr(POP.plr_db.max + 2.0, POP, MASTER).severity == "info"
    assert rules.plr(POP.plr_db.max + 2.0, POP, MIXDOWN).code is None  # not judged there


@pytest.mark.parametrize(("balance", "severity"), [
    (1.5, None), (-1.6, None), (1.8, "warning"), (-6.0, "warning"), (12.0, "critical"),
    (-120.0, "critical")])
def test_balance(balance: float, severity: str | None) -> None:
    decision = rules.balance(balance)
    assert decision.severity == severity
    if severity:
        assert (decision.limit or 0) * balance > 0  # the limit on the louder side


def test_low_end_correlation_and_mono_sum() -> None:
    assert rules.low_end_correlation(0.78, POP).code is None
    assert rules.low_end_correlation(0.5, POP).severity == "warning"
    assert rules.low_end_correlation(-0.2, POP).severity == "critical"
    assert rules.mono_sum(-4.6).fired is False
    assert rules.mono_sum(-5.0).severity == "critical"


def test_opposite_tonal_codes_come_from_one_signed_figure() -> None:
    table = judging_table()
    # one octave far up, another far down: the mean decides one direction only
    decision = rules.tonal(LOW_END, {31.5: -12.0, 63.0: -10.0, 125.0: 30.0}, 3.0, table)
    assert decision.value == pytest.approx(8.0 / 3, abs=0.01) and decision.code is None
    for mapping in ({31.5: 9.0, 63.0: -9.0, 125.0: 2.0}, {63.0: 3.2}, {63.0: -3.4}):
        assert rules.tonal(LOW_END, mapping, 3.0, table).code is None
    assert rules.tonal(LOW_END, {63.0: 4.0}, 3.0, table).code == "low_end_excess"
    assert rules.tonal(LOW_END, {63.0: -4.0}, 3.0, table).code == "low_end_lacking"
    assert rules.tonal(region("mids"), {1000.0: 9.0}, 3.0, table).code is None  # no code


def test_clipping_and_dc() -> None:
    assert rules.clipping(0, 0, MASTER).fired is False
    assert rules.clipping(2, 0, MASTER).severity == MASTER.clip_severity
    assert rules.clipping(2, 0, MIXDOWN).severity == "critical"
    assert rules.clipping(12, 0, MASTER).severity == "critical"
    assert rules.clipping(0, 40, MASTER).severity == "critical"  # decoded overs
    assert rules.dc_offset([10 ** (-50.5 / 20)]).fired is False
    assert rules.dc_offset([0.0, 10 ** (-30 / 20)]).value == pytest.approx(-30.0)
