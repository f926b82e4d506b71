"""Change points on hand-made weekly series: a planted step is dated and sized, noise alone gives no break."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from aftersales.analytics.insights.changepoints import detect_changepoints
from aftersales.errors import InvalidInputError

WEEKS = [dt.date(2025, 1, 6) + dt.timedelta(weeks=k) for k in range(80)]


def _rates(
    seed: int, steps: list[tuple[int, float]], orders: int = 200, base: float = 0.08
) -> tuple[list[int], list[int]]:
    rng = np.random.default_rng(seed)
    n = rng.poisson(orders, size=len(WEEKS))
    rate = np.full(len(WEEKS), base)
    for at, factor in steps:
        rate[at:] *= factor
    return rng.binomial(n, rate).tolist(), n.tolist()


@pytest.mark.parametrize(
    ("steps", "dates"),
    [
        ([(40, 0.5)], [WEEKS[40]]),
        ([(30, 1.8)], [WEEKS[30]]),
        ([(25, 2.0), (55, 0.5)], [WEEKS[25], WEEKS[55]]),
    ],
)
def test_planted_steps_are_dated_within_a_week(steps: list[tuple[int, float]], dates: list[dt.date]) -> None:
    observed, exposure = _rates(1, steps)
    result = detect_changepoints(WEEKS, observed, exposure)
    found = [cp.date for cp in result.change_points if cp.significant]
    assert len(found) == len(dates)
    for got, want in zip(found, dates, strict=True):
        assert abs((got - want).days) <= 7
    first = result.change_points[0]
    assert first.before == pytest.approx(0.08, rel=0.25)
    assert first.after == pytest.approx(0.08 * steps[0][1], rel=0.25)
    assert first.change == pytest.approx(first.after / first.before - 1)
    assert first.p_adjusted <= 0.05 and first.p_value <= first.p_adjusted


def test_noise_alone_gives_no_significant_break() -> None:
    for seed in range(10):
        observed, exposure = _rates(100 + seed, [])
        assert not [cp for cp in detect_changepoints(WEEKS, observed, exposure).change_points if cp.significant]


def test_over_dispersed_counts_are_segmented_by_their_real_change_only() -> None:
    rng = np.random.default_rng(3)
    mean = np.where(np.arange(len(WEEKS)) < 45, 50.0, 90.0)
    clump = 4.0
    n = mean / (clump - 1.0)
    counts = rng.negative_binomial(n, n / (n + mean))
    result = detect_changepoints(WEEKS, counts.tolist())
    assert result.dispersion > 1.5
    significant = [cp.date for cp in result.change_points if cp.significant]
    assert len(significant) == 1 and abs((significant[0] - WEEKS[45]).days) <= 21
    assert result.segments[0].level == pytest.approx(50, rel=0.2)


def test_promotion_labels_ride_along() -> None:
    observed, exposure = _rates(2, [(40, 0.4)])
    labels = [["618"] if 35 <= k <= 47 else [] for k in range(len(WEEKS))]
    result = detect_changepoints(WEEKS, observed, exposure, labels=labels)
    assert result.change_points[0].promotions == ["618"]


def test_short_series_is_one_segment() -> None:
    result = detect_changepoints(WEEKS[:5], [1, 2, 3, 4, 5])
    assert len(result.segments) == 1 and result.change_points == []
    assert result.to_dict()["segments"][0]["start"] == WEEKS[0].isoformat()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"observed": [1, 2]}, "differ"),
        ({"min_size": 1}, "min_size"),
        ({"penalty": -1.0}, "penalty"),
        ({"observed": [-1] * 10}, "negative"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {"weeks": WEEKS[:10], "observed": [1] * 10} | kwargs
    with pytest.raises(InvalidInputError, match=match):
        detect_changepoints(**args)  # type: ignore[arg-type]
