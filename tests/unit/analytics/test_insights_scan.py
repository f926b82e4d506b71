"""The change scan: one search-adjusted test per series, right date for a planted break, honest p under no change."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from aftersales.analytics.insights.scan import WeeklySeries, scan_changes, sup_lr
from aftersales.errors import InvalidInputError

WEEKS = [dt.date(2026, 1, 5) + dt.timedelta(weeks=i) for i in range(60)]


def _series(rng: np.random.Generator, rates: list[float], exposure: float = 100.0) -> WeeklySeries:
    x = np.full(len(rates), exposure)
    return WeeklySeries(WEEKS[: len(rates)], rng.poisson(np.asarray(rates) * x).tolist(), x.tolist())


def test_planted_drop_is_found_at_its_week_and_ranked_first() -> None:
    rng = np.random.default_rng(1)
    series = {f"flat-{i}": _series(rng, [0.05] * 60) for i in range(9)}
    series["fixed"] = _series(rng, [0.08] * 30 + [0.02] * 30)
    found, tested = scan_changes(series, simulations=1000)
    assert tested == 10
    top = found[0]
    assert top.key == "fixed" and top.significant
    assert abs((top.date - WEEKS[30]).days) <= 14
    assert top.after < top.before / 2 and top.change is not None and top.change < -0.5
    assert all(not c.significant for c in found[1:])


def test_p_values_are_honest_when_nothing_changes() -> None:
    rng = np.random.default_rng(7)
    series = {i: _series(rng, [0.1] * 52, exposure=50.0) for i in range(200)}
    found, _ = scan_changes(series, simulations=500)
    small = sum(c.p_value < 0.05 for c in found) / len(found)
    assert small < 0.1  # ≈ 0.05 expected; a per-week χ² p-value would give far more
    assert not any(c.significant for c in found)


def test_direction_keeps_only_falls_or_rises() -> None:
    rng = np.random.default_rng(3)
    rising = {"up": _series(rng, [0.02] * 30 + [0.08] * 30)}
    assert scan_changes(rising, direction="up", simulations=500)[0][0].significant
    down, tested = scan_changes(rising, direction="down", simulations=500)
    assert tested == 1 and all(c.after < c.before and not c.significant for c in down)


def test_sup_lr_matches_a_hand_computed_split() -> None:
    o = np.array([5, 5, 5, 5, 1, 1, 1, 1], dtype=float)
    x = np.full(8, 10.0)
    stat, k = sup_lr(o, x, min_size=2)
    a, b, t = 20.0, 4.0, 24.0
    expected = 2 * (a * np.log(a / 40) + b * np.log(b / 40) - t * np.log(t / 80))
    assert k[0] == 4 and stat[0] == pytest.approx(expected)


def test_sparse_series_are_skipped_and_bad_input_is_named() -> None:
    few = {"few": WeeklySeries(WEEKS[:20], [0] * 19 + [3], [10.0] * 20)}
    assert scan_changes(few, min_events=10) == ([], 0)
    with pytest.raises(InvalidInputError, match="direction"):
        scan_changes(few, direction="sideways")
    with pytest.raises(InvalidInputError, match="differ in length"):
        scan_changes({"bad": WeeklySeries(WEEKS[:3], [20, 20], [1.0, 1.0, 1.0])}, min_size=1 + 1)
