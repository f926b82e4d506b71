"""Anomalies on hand-made panels: a planted spike is found first, promotion peaks are not flagged, BH holds the FDR."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from aftersales.analytics.insights.anomalies import (
    MetricInfo,
    benjamini_hochberg,
    build_panel,
    find_anomalies,
    scan,
)
from aftersales.errors import InvalidInputError

RATE = MetricInfo("return_rate", "退货率", "return rate", True, "单", "orders")
COUNT = MetricInfo("complaint_volume", "投诉量", "complaint volume", False, "件", "cases")
WEEKS = pd.date_range("2025-01-06", periods=78, freq="7D")
PROMO_WEEKS = {20, 21, 44, 45, 46, 70, 71}


def rate_panel(
    seed: int,
    spike: tuple[int, int, int, float] | None = None,
    promo_lift: dict[int, float] | None = None,
    with_promo: bool = True,
    n_series: int = 6,
) -> pd.DataFrame:
    """Weekly orders and returns: seasonal demand, promotion weeks (3× orders, returns × lift), optional spike.

    spike = (series, first week, weeks, factor); promo_lift = {series: return-rate lift in promotion weeks}.
    """
    rng = np.random.default_rng(seed)
    rows = []
    base = rng.uniform(0.05, 0.12, size=n_series)
    for s in range(n_series):
        for w, week in enumerate(WEEKS):
            promo = w in PROMO_WEEKS
            orders = rng.poisson(150 * (1 + 0.3 * np.sin(w / 8)) * (3 if promo else 1))
            rate = base[s] * (1 + 0.2 * np.sin(w / 13))
            rate *= (promo_lift or {}).get(s, 1.3) if promo else 1.0
            if spike and s == spike[0] and spike[1] <= w < spike[1] + spike[2]:
                rate *= spike[3]
            returned = rng.binomial(orders, min(rate, 1.0))
            share = 1.0 if promo and with_promo else 0.0
            rows.append((f"S{s}", week, returned, orders, share))
    return pd.DataFrame(rows, columns=["series", "week", "observed", "exposure", "promo_share"])


@pytest.mark.parametrize(
    "p",
    [
        [0.01, 0.02, 0.03, 0.04, 0.05],
        [0.001, 0.2, 0.04, 0.5, 0.03, 0.9, 0.0001],
        [0.5],
        [1.0, 1.0, 0.0],
    ],
)
def test_bh_matches_statsmodels(p: list[float]) -> None:
    expected = multipletests(p, method="fdr_bh")[1]
    np.testing.assert_allclose(benjamini_hochberg(np.array(p)), expected)


def test_planted_spike_is_found_first_with_its_size() -> None:
    report = find_anomalies(build_panel(rate_panel(1, spike=(2, 50, 4, 2.2))), RATE, "region")
    top = report.anomalies[0]
    assert top.value == "S2"
    assert abs((top.start - WEEKS[50].date()).days) <= 7 and 3 <= top.weeks <= 5
    assert top.ratio is not None and top.ratio > 1.6
    assert top.q_value <= 0.05 and top.p_value <= top.q_value
    assert top.observed_rate is not None and top.expected_rate is not None
    assert top.observed_rate > top.expected_rate
    assert "S2" in top.explanation_zh and "BH" in top.explanation_zh
    assert "Benjamini–Hochberg" in top.explanation_en and f"{top.observed}/" in top.explanation_en


def test_shop_wide_promotion_peaks_are_not_flagged() -> None:
    for seed in range(5):
        report = find_anomalies(build_panel(rate_panel(seed)), RATE, "region")
        assert report.anomalies == [], [a.to_dict() for a in report.anomalies]


def test_a_series_own_promotion_uplift_is_learnt_from_the_calendar() -> None:
    lift = {0: 2.2}
    with_calendar = find_anomalies(build_panel(rate_panel(3, promo_lift=lift)), RATE, "region")
    assert with_calendar.anomalies == []
    without = find_anomalies(build_panel(rate_panel(3, promo_lift=lift, with_promo=False)), RATE, "region")
    assert without.anomalies and all(a.value == "S0" for a in without.anomalies)


def test_false_discoveries_stay_rare_on_null_panels() -> None:
    # Under the complete null every discovery is false; BH keeps P(any) ≤ alpha up to dependence between windows.
    runs = [find_anomalies(build_panel(rate_panel(100 + seed)), RATE, "region").anomalies for seed in range(20)]
    assert sum(bool(r) for r in runs) <= 3


def test_a_drop_is_found_only_when_asked_for() -> None:
    panel = build_panel(rate_panel(5, spike=(4, 30, 6, 0.2)))
    assert find_anomalies(panel, RATE, "region", direction="up").anomalies == []
    down = find_anomalies(panel, RATE, "region", direction="down").anomalies
    assert down[0].value == "S4" and down[0].direction == "down" and down[0].difference < 0
    both = find_anomalies(panel, RATE, "region", direction="both").anomalies
    assert both[0].value == "S4"


def _clumped_counts(seed: int, clump: float) -> pd.DataFrame:
    """Complaint counts per week that arrive in clumps (negative binomial, variance ≈ clump × mean)."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(8):
        for week in WEEKS:
            mean = 40.0
            n = mean / (clump - 1.0)
            rows.append((f"S{s}", week, rng.negative_binomial(n, n / (n + mean)), 1.0))
    return pd.DataFrame(rows, columns=["series", "week", "observed", "exposure"])


def test_over_dispersed_counts_are_not_read_as_anomalies() -> None:
    panel = build_panel(_clumped_counts(7, clump=4.0))
    report = find_anomalies(panel, COUNT, "region")
    assert report.dispersion > 2.0
    assert len(report.anomalies) <= 1
    naive = find_anomalies(panel, COUNT, "region", phi=1.0)
    assert len(naive.anomalies) > len(report.anomalies)


def test_counts_report_no_rates() -> None:
    frame = _clumped_counts(8, clump=1.0001)
    frame.loc[(frame["series"] == "S1") & (frame["week"].isin(WEEKS[40:43])), "observed"] *= 3
    top = find_anomalies(build_panel(frame), COUNT, "region").anomalies[0]
    assert top.value == "S1" and top.observed_rate is None and top.exposure is None
    assert "投诉量" in top.explanation_zh


def test_missing_weeks_are_zero_filled() -> None:
    frame = pd.DataFrame(
        {"series": ["a", "a", "b"], "week": [WEEKS[0], WEEKS[3], WEEKS[1]], "observed": [1, 2, 3], "exposure": [5] * 3}
    )
    panel = build_panel(frame)
    assert len(panel.weeks) == 4
    np.testing.assert_array_equal(panel.observed, [[1, 0, 0, 2], [0, 3, 0, 0]])
    np.testing.assert_array_equal(panel.exposure, [[5, 0, 0, 5], [0, 5, 0, 0]])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"alpha": 0.0}, "alpha"), ({"alpha": 1.0}, "alpha"), ({"direction": "sideways"}, "direction"),
     ({"baseline_weeks": 0}, "baseline_weeks")],
)  # fmt: skip
def test_invalid_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        find_anomalies(build_panel(rate_panel(0, n_series=3)), RATE, "region", **kwargs)  # type: ignore[arg-type]


def test_missing_columns_are_named() -> None:
    with pytest.raises(InvalidInputError, match="observed"):
        build_panel(pd.DataFrame({"series": ["a"], "week": [WEEKS[0]]}))


def test_empty_panel_has_nothing_to_test() -> None:
    panel = build_panel(pd.DataFrame(columns=["series", "week", "observed"]))
    assert scan(panel).empty
    assert find_anomalies(panel, COUNT, "region").anomalies == []
