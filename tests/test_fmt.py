"""Formatting figures: the forms added for compact values and ranges."""

from __future__ import annotations

import pytest

from zz_core.fmt import compact, value_range


@pytest.mark.parametrize(("value", "text"), [
    (7.5, "7.5"), (10.0, "10"), (0.25, "0.25"), (-1, "-1"), (-0.0, "0"), (None, "n/a"),
    (float("nan"), "n/a"),
])
def test_compact(value: float | None, text: str) -> None:
    assert compact(value) == text


def test_value_range_digits() -> None:
    assert value_range(-10.0, -7.0, "LUFS") == "-10 to -7 LUFS"
    assert value_range(0.08, 0.4, digits=2) == "0.08 to 0.40"
    assert value_range(7.5, 10.0, "dB", digits=None) == "7.5 to 10 dB"
