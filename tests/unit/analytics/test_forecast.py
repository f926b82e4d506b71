"""Weekly forecasts: zero-filling, promotion regressors, error measures, backtest origins, model choice, intervals."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from aftersales.analytics.forecast import (
    MIN_TRAIN_WEEKS,
    backtest_cutoffs,
    check_horizon,
    forecast_panel,
    mase,
    promotion_regressors,
    smape,
    week_start,
    weekly_panel,
)
from aftersales.analytics.insights.calendar import PromotionCalendar, PromotionWindow
from aftersales.errors import InvalidInputError

MONDAY = dt.date(2025, 1, 6)


def weeks(n: int, start: dt.date = MONDAY) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(start), periods=n, freq="7D")


def panel(values: dict[str, np.ndarray], start: dt.date = MONDAY) -> pd.DataFrame:
    frames = [
        pd.DataFrame({"series": name, "week": weeks(len(y), start), "y": y.astype(float)}) for name, y in values.items()
    ]
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize(
    ("day", "monday"),
    [(dt.date(2025, 1, 6), dt.date(2025, 1, 6)), (dt.date(2025, 1, 12), dt.date(2025, 1, 6)),
     (dt.date(2025, 1, 13), dt.date(2025, 1, 13)), (dt.date(2024, 12, 31), dt.date(2024, 12, 30))],
)  # fmt: skip
def test_week_start_is_the_monday(day: dt.date, monday: dt.date) -> None:
    assert week_start(day) == monday


def test_weekly_panel_fills_every_missing_week_of_every_series_with_zero() -> None:
    counts = pd.DataFrame(
        {
            "series": ["a", "a", "b", None],
            "week": ["2025-01-06", "2025-01-20", "2025-01-13", "2025-01-13"],
            "y": [3, 1, 2, 5],
        }
    )
    out = weekly_panel(counts, dt.date(2025, 1, 6), dt.date(2025, 1, 27))
    wide = out.pivot(index="week", columns="series", values="y")
    assert list(wide.columns) == ["(unknown)", "a", "b"]
    assert wide["a"].tolist() == [3, 0, 1, 0]
    assert wide["b"].tolist() == [0, 2, 0, 0]
    assert wide["(unknown)"].tolist() == [0, 5, 0, 0]


DOUBLE_11 = PromotionCalendar(
    custom=(PromotionWindow("双11", dt.date(2025, 10, 31), dt.date(2025, 11, 11)),), builtin=False
)


def test_promotion_regressors_mark_the_festival_weeks_and_their_lags() -> None:
    idx = pd.date_range("2025-10-20", periods=6, freq="7D")  # Mondays 10-20 … 11-24
    x, names = promotion_regressors(idx, DOUBLE_11)
    # 10-31 … 11-11: 3 days in the week of 10-27, all 7 of 11-03, 2 of 11-10.
    assert x[:, 0].round(3).tolist() == [0, round(3 / 7, 3), 1, round(2 / 7, 3), 0, 0]
    assert x[:, 1].round(3).tolist() == [0, 0, round(3 / 7, 3), 1, round(2 / 7, 3), 0]  # one week later
    assert not x[:, 3:].any()  # no holiday lull
    assert names == ["", "双11", "双11", "双11", "", ""]


def test_the_spring_festival_is_a_lull_not_a_festival() -> None:
    idx = pd.date_range("2026-02-09", periods=3, freq="7D")  # 春节 2026-02-17, window 02-10 … 02-24
    x, names = promotion_regressors(idx, PromotionCalendar())
    assert x[:, 3].round(3).tolist() == [round(6 / 7, 3), 1, round(2 / 7, 3)]
    assert names[1] == "春节"


@pytest.mark.parametrize(
    ("actual", "forecast", "train", "expected"),
    [
        ([10, 10], [12, 8], [1, 3, 5], 1.0),  # MAE 2 / naive in-sample MAE 2
        ([10, 10], [10, 10], [1, 3, 5], 0.0),
        ([4, 0], [2, 0], [5, 5, 5], 1.0),  # flat training: scaled by 1
    ],
)
def test_mase(actual: list[float], forecast: list[float], train: list[float], expected: float) -> None:
    assert mase(np.array(actual, float), np.array(forecast, float), np.array(train, float)) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("actual", "forecast", "expected"),
    [([10, 10], [10, 10], 0.0), ([0, 0], [0, 0], 0.0), ([10, 0], [30, 5], 100 * (1.0 + 2.0) / 2), ([0], [4], 200.0)],
)
def test_smape(actual: list[float], forecast: list[float], expected: float) -> None:
    assert smape(np.array(actual, float), np.array(forecast, float)) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("n", "horizon", "cuts"),
    [
        (78, 8, [54, 62, 70]),
        (78, 12, [42, 54, 66]),
        (40, 8, [32]),
        (MIN_TRAIN_WEEKS + 4, 4, [MIN_TRAIN_WEEKS]),
        (20, 4, []),
    ],
)
def test_backtest_origins_are_one_horizon_apart_with_enough_training(n: int, horizon: int, cuts: list[int]) -> None:
    assert backtest_cutoffs(n, horizon) == cuts


@pytest.mark.parametrize("horizon", [0, 3, 13, 52])
def test_horizon_outside_4_to_12_weeks_is_invalid(horizon: int) -> None:
    with pytest.raises(InvalidInputError, match="4–12"):
        check_horizon(horizon)


def _noisy(n: int, level: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).poisson(level, n).astype(float)


def test_short_series_falls_back_to_the_window_average_and_says_why() -> None:
    [result] = forecast_panel(panel({"new": _noisy(12, 20, 1)}), 8)
    assert result.model == "window_average" and result.backtest is None and result.mase is None
    assert "only 12 weeks" in result.reason
    assert len(result.points) == 8


def test_sparse_series_uses_only_count_mean_models() -> None:
    y = np.zeros(60)
    y[::5] = 1  # one event every five weeks
    [result] = forecast_panel(panel({"rare": y}), 6)
    assert result.model in ("window_average", "historic_average")
    assert result.reason.startswith("sparse series")
    assert result.backtest is not None and "naive" in result.backtest.scores  # the baseline is still reported


def test_dense_series_gets_the_candidate_with_the_lowest_backtest_mase() -> None:
    [result] = forecast_panel(panel({"total": _noisy(70, 30, 2)}), 8)
    assert result.backtest is not None and result.backtest.windows == 3
    assert result.reason.startswith("dense series")  # every candidate competes, the naive baseline included
    assert result.mase == min(s["mase"] for s in result.backtest.scores.values())
    assert result.naive_mase == result.backtest.scores["naive"]["mase"]


def test_intervals_are_nested_non_negative_and_weeks_follow_the_history() -> None:
    results = forecast_panel(panel({"a": _noisy(60, 25, 3), "b": _noisy(60, 1.5, 4)}), 5)
    assert [r.series for r in results] == ["a", "b"]  # largest volume first
    for r in results:
        assert [p.week for p in r.points] == [d.date().isoformat() for d in weeks(5, MONDAY + dt.timedelta(weeks=60))]
        for p in r.points:
            assert 0 <= p.lo95 <= p.lo80 <= p.mean <= p.hi80 <= p.hi95


def test_promotion_weeks_ahead_are_forecast_above_ordinary_weeks() -> None:
    """Returns one and two weeks after each festival rise; the promotion model sees 双11 coming."""
    start = dt.date(2024, 4, 1)
    idx = weeks(80, start)  # to early October 2025; at a 12-week horizon no origin has a year for seasonal naive
    x, _ = promotion_regressors(idx, PromotionCalendar())
    rng = np.random.default_rng(5)
    y = rng.poisson(20 + 40 * x[:, 1] + 25 * x[:, 2]).astype(float)
    [result] = forecast_panel(panel({"all": y}, start), 12)
    assert result.model == "arima_promo"
    assert result.mase is not None and result.naive_mase is not None and result.mase < result.naive_mase
    by_week = {p.week: p.mean for p in result.points}
    after_festival = max(v for w, v in by_week.items() if "2025-10-27" <= w <= "2025-11-17")
    assert after_festival > min(by_week.values()) + 15


def test_without_promotions_the_promotion_model_is_not_a_candidate() -> None:
    [result] = forecast_panel(panel({"all": _noisy(70, 30, 6)}), 8, calendar=None)
    assert result.backtest is not None and "arima_promo" not in result.backtest.scores
    assert all(p.promotion is None for p in result.points)


def test_empty_panel_gives_no_series() -> None:
    assert forecast_panel(pd.DataFrame(columns=["series", "week", "y"]), 8) == []
