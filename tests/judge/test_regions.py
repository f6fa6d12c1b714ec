"""The one table of tonal regions: a partition of the octave curve, one low end, one
signed deviation per region."""

from __future__ import annotations

import itertools
import math

import pytest

from zz_core.judge.genres import OCTAVE_CENTRES_HZ
from zz_core.judge.issues import _TONAL_RULES
from zz_core.judge.regions import (
    LOW_END,
    REGIONS,
    region,
    region_label,
    region_of_code,
    tonal_codes,
)


def test_the_regions_partition_the_octaves_low_to_high() -> None:
    octaves = [o for r in REGIONS for o in r.octaves_hz]
    assert octaves == list(OCTAVE_CENTRES_HZ)
    for below, above in itertools.pairwise(REGIONS):
        assert below.high_hz == pytest.approx(above.low_hz)


def test_low_end_has_one_definition() -> None:
    assert LOW_END is region("low_end")
    assert LOW_END.octaves_hz == (31.5, 63.0, 125.0)
    assert (round(LOW_END.low_hz), round(LOW_END.high_hz)) == (22, 177)
    assert LOW_END.codes() == ("low_end_excess", "low_end_lacking")
    assert region_of_code("low_end_lacking") is region_of_code("low_end_excess") is LOW_END


def test_every_tonal_code_belongs_to_one_region_and_the_detector_rules() -> None:
    codes = tonal_codes()
    assert len(codes) == len(set(codes))
    assert {code for code, *_ in _TONAL_RULES} == set(codes)
    for code, octaves, sign, _, _ in _TONAL_RULES:
        found = region_of_code(code)
        assert found is not None and found.octaves_hz == octaves
        assert (found.excess_code if sign > 0 else found.lacking_code) == code


def test_a_region_deviation_is_the_mean_of_its_octaves() -> None:
    deviations = {31.5: -9.0, 63.0: 3.0, 125.0: 3.0, 1000.0: 0.0}
    assert LOW_END.deviation(deviations) == pytest.approx(-1.0)
    assert LOW_END.deviation({63.0: 4.0, 125.0: None}) == pytest.approx(4.0)
    assert LOW_END.deviation({31.5: math.nan}) is None


def test_labels() -> None:
    assert LOW_END.label == "low end (31.5-125 Hz)"
    assert region("air").label == "air (8-16 kHz)"
    assert region("mids").label == "mids (1 kHz)"
    assert region_label("low end", (63.0, 125.0)) == "low end (63-125 Hz)"
    assert region_label("mids", (1000.0, 2000.0)) == "mids (1-2 kHz)"
    assert region_label("wide", (500.0, 2000.0)) == "wide (500 Hz-2 kHz)"
    assert region("presence").contains_hz(3000.0) and not region("presence").contains_hz(6000.0)
