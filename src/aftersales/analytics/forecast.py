"""Weekly volume forecasts with prediction intervals, chosen per series by a rolling-origin backtest.

Pure core: takes weekly counts (a DataFrame) and returns plain dataclasses. The statistical models come from
statsforecast (AutoETS, Naive, SeasonalNaive, ARIMA with promotion regressors); statsforecast is imported inside the
functions that fit, because importing it costs about two seconds and most commands never forecast. Definitions and
measured numbers: docs/forecasts-and-segments.md.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from aftersales.analytics.insights.calendar import PromotionCalendar
from aftersales.errors import InvalidInputError

MIN_HORIZON, MAX_HORIZON, DEFAULT_HORIZON = 4, 12, 8
LEVELS = (80, 95)
MIN_TRAIN_WEEKS = 26  # the shortest history a backtest origin may train on (half a year of weeks)
BACKTEST_WINDOWS = 3
SEASON_WEEKS = 52
AVERAGE_WEEKS = 8  # window of the count-mean model
SPARSE_MEAN, SPARSE_ZERO_SHARE = 2.0, 0.5  # below 2 a week, or mostly empty weeks: only count-mean models
PROMO_LAGS = 3  # returns and complaints follow the orders of a promotion by one to two weeks
HISTORY_WEEKS_SHOWN = 26
UNKNOWN = "(unknown)"


LULLS = frozenset({"春节"})  # holiday windows in which volume falls (couriers stop), unlike the sales festivals
DEFAULT_CALENDAR = PromotionCalendar()  # the built-in 年货节/春节/618/双11/双12 windows (analytics.insights.calendar)


def week_start(day: dt.date) -> dt.date:
    """The Monday of a date's week (weeks run Monday to Sunday, as in Chinese business reporting)."""
    return day - dt.timedelta(days=day.weekday())


def promotion_regressors(weeks: pd.DatetimeIndex, calendar: PromotionCalendar) -> tuple[np.ndarray, list[str]]:
    """Per week: the share of its days in a sales festival at lags 0..PROMO_LAGS-1 and in a holiday lull at lags 0..1,
    plus the name of the window the week touches ('' for none)."""
    days = pd.date_range(weeks[0] - pd.Timedelta(weeks=PROMO_LAGS), weeks[-1] + pd.Timedelta(days=6), freq="D")
    labels = pd.Series(calendar.label_days(days), index=days)
    lull = labels.isin(LULLS)
    festival = (labels != "") & ~lull

    def weekly(flags: pd.Series) -> pd.Series:
        return flags.astype(float).resample("W-MON", label="left", closed="left").mean()

    fest, hol = weekly(festival), weekly(lull)
    columns = [fest.shift(lag) for lag in range(PROMO_LAGS)] + [hol.shift(lag) for lag in range(2)]
    matrix = np.column_stack([c.reindex(weeks).fillna(0.0).to_numpy() for c in columns])
    names = labels.resample("W-MON", label="left", closed="left").agg(lambda v: next((x for x in v if x), ""))
    return matrix, [str(v) for v in names.reindex(weeks).fillna("")]


def weekly_panel(counts: pd.DataFrame, first_week: dt.date, last_week: dt.date) -> pd.DataFrame:
    """Counts (series, week, y) reindexed to every week of every series in [first, last], missing weeks as 0."""
    weeks = pd.date_range(pd.Timestamp(first_week), pd.Timestamp(last_week), freq="7D")
    frame = counts.assign(week=pd.to_datetime(counts["week"]), series=counts["series"].fillna(UNKNOWN).astype(str))
    frame = frame[(frame["week"] >= weeks[0]) & (frame["week"] <= weeks[-1])] if len(weeks) else frame.iloc[0:0]
    wide = frame.pivot_table(index="week", columns="series", values="y", aggfunc="sum", fill_value=0.0)
    wide = wide.reindex(weeks, fill_value=0.0).fillna(0.0)
    long = wide.rename_axis(index="week", columns="series").stack().rename("y").reset_index()
    return long[["series", "week", "y"]].astype({"y": "float64"})


# ---------------------------------------------------------------------------------------------------- models


@dataclass(frozen=True)
class Prediction:
    """A model's h-step forecast: mean and interval bounds per level (lo/hi arrays keyed by level)."""

    mean: np.ndarray
    lo: dict[int, np.ndarray]
    hi: dict[int, np.ndarray]


Fitter = Callable[[np.ndarray, int, np.ndarray | None, np.ndarray | None], Prediction]


def _from_statsforecast(result: dict[str, np.ndarray]) -> Prediction:
    return Prediction(
        mean=np.asarray(result["mean"], dtype=float),
        lo={lv: np.asarray(result[f"lo-{lv}"], dtype=float) for lv in LEVELS},
        hi={lv: np.asarray(result[f"hi-{lv}"], dtype=float) for lv in LEVELS},
    )


def _statsforecast(make: Callable[[], Any], use_x: bool = False) -> Fitter:
    def fit(y: np.ndarray, h: int, x: np.ndarray | None, x_future: np.ndarray | None) -> Prediction:
        model = make()
        with warnings.catch_warnings():  # rank-deficient regressors and convergence chatter: results still usable
            warnings.simplefilter("ignore")
            if use_x and x is not None and x.shape[1]:
                return _from_statsforecast(model.forecast(y=y, h=h, X=x, X_future=x_future, level=list(LEVELS)))
            return _from_statsforecast(model.forecast(y=y, h=h, level=list(LEVELS)))

    return fit


def _count_mean(window: int | None) -> Fitter:
    """Mean of the last `window` weeks (all weeks when None) with negative-binomial count intervals."""

    def fit(y: np.ndarray, h: int, _x: np.ndarray | None, _xf: np.ndarray | None) -> Prediction:
        recent = y[-window:] if window else y
        mean = float(recent.mean()) if len(recent) else 0.0
        # Counts vary at least as much as a Poisson; the mean's own uncertainty widens the spread by 1 + 1/n.
        var = max(float(recent.var(ddof=1)) if len(recent) > 1 else mean, mean) * (1.0 + 1.0 / max(len(recent), 1))
        lo, hi = {}, {}
        for lv in LEVELS:
            a, b = _count_quantiles(mean, var, lv)
            lo[lv], hi[lv] = np.full(h, a), np.full(h, b)
        return Prediction(np.full(h, mean), lo, hi)

    return fit


def _count_quantiles(mean: float, var: float, level: int) -> tuple[float, float]:
    """Central interval of a count with this mean and variance: Poisson when var ≈ mean, else negative binomial."""
    q = ((100 - level) / 200, 1 - (100 - level) / 200)
    if mean <= 0:
        return 0.0, 0.0
    if var <= mean * 1.0001:
        return float(stats.poisson.ppf(q[0], mean)), float(stats.poisson.ppf(q[1], mean))
    p = mean / var
    n = mean * p / (1 - p)
    return float(stats.nbinom.ppf(q[0], n, p)), float(stats.nbinom.ppf(q[1], n, p))


def _models() -> dict[str, tuple[Fitter, str]]:
    """Candidate models by code, each with a one-line description (statsforecast imported here, on first use)."""
    from statsforecast.models import ARIMA, AutoETS, Naive, SeasonalNaive

    return {
        "naive": (_statsforecast(Naive), "last week's value (the baseline every MASE is scaled by)"),
        "seasonal_naive": (
            _statsforecast(lambda: SeasonalNaive(season_length=SEASON_WEEKS)),
            "the same week one year earlier",
        ),
        "window_average": (_count_mean(AVERAGE_WEEKS), f"mean of the last {AVERAGE_WEEKS} weeks, count intervals"),
        "historic_average": (_count_mean(None), "mean of all weeks, count intervals"),
        "auto_ets": (_statsforecast(lambda: AutoETS(season_length=1)), "exponential smoothing (AutoETS, AICc)"),
        "arima_promo": (
            _statsforecast(lambda: ARIMA(order=(1, 0, 0), include_mean=True), use_x=True),
            "regression on promotion weeks (sales festivals at lags 0–2, 春节 lull at lags 0–1) with AR(1) errors",
        ),
    }


# -------------------------------------------------------------------------------------------------- backtest


def mase(actual: np.ndarray, forecast: np.ndarray, train: np.ndarray) -> float:
    """Mean absolute error scaled by the in-sample one-step naive error (1 when that is 0: all weeks equal)."""
    scale = float(np.mean(np.abs(np.diff(train)))) if len(train) > 1 else 0.0
    return float(np.mean(np.abs(actual - forecast)) / (scale if scale > 0 else 1.0))


def smape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Symmetric MAPE in percent (0–200); a week where both are 0 counts as no error."""
    den = np.abs(actual) + np.abs(forecast)
    ratio = np.divide(2 * np.abs(actual - forecast), den, out=np.zeros_like(den, dtype=float), where=den > 0)
    return float(100 * ratio.mean())


@dataclass(frozen=True)
class Backtest:
    """Rolling-origin backtest: errors of every candidate over the last `windows` non-overlapping horizons."""

    windows: int
    horizon: int
    cutoffs: list[str]  # the last training week of each origin
    scores: dict[str, dict[str, float]]  # model → {"mase", "smape"} averaged over the windows


@dataclass(frozen=True)
class ForecastPoint:
    """One forecast week: mean and the 80 % / 95 % prediction interval, plus the promotion it falls in."""

    week: str
    mean: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float
    promotion: str | None = None


@dataclass(frozen=True)
class SeriesForecast:
    """The forecast of one series with the model that made it, why, and how well it did in the backtest."""

    series: str
    model: str
    model_description: str
    reason: str
    history_weeks: int
    total: float
    mean_per_week: float
    zero_share: float
    points: list[ForecastPoint]
    backtest: Backtest | None
    mase: float | None  # the chosen model's backtest MASE (None without a backtest)
    smape: float | None
    naive_mase: float | None  # the naive baseline's, for comparison
    naive_smape: float | None
    history: list[dict[str, Any]] = field(default_factory=list)  # the last weeks: {"week", "y"}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def backtest_cutoffs(n: int, horizon: int, windows: int = BACKTEST_WINDOWS) -> list[int]:
    """Training lengths of the backtest origins (oldest first): one horizon apart, each ≥ MIN_TRAIN_WEEKS."""
    cuts = [n - horizon * (k + 1) for k in range(windows)]
    return sorted(c for c in cuts if c >= MIN_TRAIN_WEEKS)


def run_backtest(
    y: np.ndarray, x: np.ndarray, weeks: pd.DatetimeIndex, horizon: int, candidates: dict[str, Fitter]
) -> Backtest | None:
    """Each candidate refitted at every origin and scored on the following `horizon` weeks (None: too short)."""
    cuts = backtest_cutoffs(len(y), horizon)
    if not cuts:
        return None
    errors: dict[str, list[tuple[float, float]]] = {name: [] for name in candidates}
    for cut in cuts:
        train, actual = y[:cut], y[cut : cut + horizon]
        x_train, x_future = _usable_regressors(x[:cut], x[cut : cut + horizon])
        for name, fit in candidates.items():
            if name == "seasonal_naive" and cut < SEASON_WEEKS:
                continue
            mean = np.clip(fit(train, horizon, x_train, x_future).mean, 0.0, None)
            errors[name].append((mase(actual, mean, train), smape(actual, mean)))
    scores = {
        name: {"mase": float(np.mean([e[0] for e in errs])), "smape": float(np.mean([e[1] for e in errs]))}
        for name, errs in errors.items()
        if len(errs) == len(cuts)  # only models scored at every origin are comparable
    }
    return Backtest(len(cuts), horizon, [weeks[c - 1].date().isoformat() for c in cuts], scores)


def _usable_regressors(x: np.ndarray, x_future: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop regressor columns that never vary in training: their coefficient cannot be estimated."""
    keep = [j for j in range(x.shape[1]) if np.ptp(x[:, j]) > 0] if len(x) else []
    return x[:, keep], x_future[:, keep]


# ---------------------------------------------------------------------------------------------------- forecast


def check_horizon(horizon: int) -> int:
    """The horizon when it is within MIN_HORIZON..MAX_HORIZON weeks, else an InvalidInputError naming the range."""
    if not MIN_HORIZON <= horizon <= MAX_HORIZON:
        raise InvalidInputError(f"forecast horizon {horizon}: must be {MIN_HORIZON}–{MAX_HORIZON} weeks")
    return horizon


def forecast_panel(
    panel: pd.DataFrame, horizon: int = DEFAULT_HORIZON, *, calendar: PromotionCalendar | None = DEFAULT_CALENDAR
) -> list[SeriesForecast]:
    """Forecast every series of a weekly panel (series, week, y) `horizon` weeks past its last week.

    Each series gets the candidate with the lowest backtest MASE; sparse series only count-mean models, and series
    too short to backtest the window average. `calendar` supplies the promotion regressors (None: no promotion
    model). Series come back by total volume, largest first.
    """
    check_horizon(horizon)
    if panel.empty:
        return []
    weeks = pd.DatetimeIndex(sorted(panel["week"].unique()))
    future = pd.date_range(weeks[-1] + pd.Timedelta(weeks=1), periods=horizon, freq="7D")
    all_weeks = weeks.append(future)
    promotions = calendar is not None
    x_all, names = promotion_regressors(all_weeks, calendar or PromotionCalendar(builtin=False))
    models = _models()
    wide = panel.pivot_table(index="week", columns="series", values="y", aggfunc="sum").reindex(weeks, fill_value=0)
    out = [
        _forecast_one(str(s), wide[s].to_numpy(dtype=float), weeks, future, x_all, names, horizon, models, promotions)
        for s in wide.columns
    ]
    return sorted(out, key=lambda f: (-f.total, f.series))


def _candidates(y: np.ndarray, promotions: bool) -> tuple[list[str], str]:
    """Which models may compete for this series, and why (sparse counts exclude the smoothing models)."""
    mean, zeros = float(y.mean()), float((y == 0).mean())
    if mean < SPARSE_MEAN or zeros > SPARSE_ZERO_SHARE:
        why = f"sparse series ({mean:.1f} a week, {zeros:.0%} empty weeks): count-mean models only"
        return ["window_average", "historic_average"], why
    names = ["naive", "window_average", "auto_ets", "seasonal_naive"]
    return ([*names, "arima_promo"] if promotions else names), "dense series"


def _forecast_one(
    series: str,
    y: np.ndarray,
    weeks: pd.DatetimeIndex,
    future: pd.DatetimeIndex,
    x_all: np.ndarray,
    promo_names: list[str],
    horizon: int,
    models: dict[str, tuple[Fitter, str]],
    promotions: bool,
) -> SeriesForecast:
    """Choose a model for one series by backtest, then fit it on all weeks and forecast."""
    n = len(y)
    # Leading weeks before the series' first non-zero week are not history (the category/reason did not exist yet).
    start = int(np.argmax(y > 0)) if (y > 0).any() else n
    y, hist_weeks, x = y[start:], weeks[start:], x_all[start:n]
    allowed, why = _candidates(y, promotions) if len(y) else (["window_average"], "no history")
    fitters = {name: models[name][0] for name in allowed}
    baseline = {"naive": models["naive"][0]}
    backtest = run_backtest(y, x, hist_weeks, horizon, fitters | baseline) if len(y) else None
    if backtest is None:
        chosen = "window_average"
        reason = f"only {len(y)} weeks of history (a backtest needs ≥ {MIN_TRAIN_WEEKS + horizon}): window average"
    else:
        eligible = {m: s for m, s in backtest.scores.items() if m in fitters}
        order = list(models)
        chosen = min(eligible, key=lambda m: (round(eligible[m]["mase"], 6), order.index(m)))
        reason = f"{why}; lowest backtest MASE of {len(eligible)} candidates ({', '.join(sorted(eligible))})"
    x_train, x_future = _usable_regressors(x, x_all[n:])
    pred = (
        models[chosen][0](y, horizon, x_train, x_future) if len(y) else _count_mean(1)(np.zeros(1), horizon, None, None)
    )
    points = [
        ForecastPoint(
            week=w.date().isoformat(),
            mean=_round(pred.mean[i]),
            lo80=_round(pred.lo[80][i]),
            hi80=_round(pred.hi[80][i]),
            lo95=_round(pred.lo[95][i]),
            hi95=_round(pred.hi[95][i]),
            promotion=promo_names[n + i] or None,
        )
        for i, w in enumerate(future)
    ]
    chosen_scores = backtest.scores.get(chosen) if backtest else None
    naive_scores = backtest.scores.get("naive") if backtest else None
    return SeriesForecast(
        series=series,
        model=chosen,
        model_description=models[chosen][1],
        reason=reason,
        history_weeks=len(y),
        total=float(y.sum()),
        mean_per_week=round(float(y.mean()), 3) if len(y) else 0.0,
        zero_share=round(float((y == 0).mean()), 3) if len(y) else 1.0,
        points=points,
        backtest=_rounded(backtest),
        mase=round(chosen_scores["mase"], 3) if chosen_scores else None,
        smape=round(chosen_scores["smape"], 1) if chosen_scores else None,
        naive_mase=round(naive_scores["mase"], 3) if naive_scores else None,
        naive_smape=round(naive_scores["smape"], 1) if naive_scores else None,
        history=[
            {"week": w.date().isoformat(), "y": float(v)}
            for w, v in zip(hist_weeks[-HISTORY_WEEKS_SHOWN:], y[-HISTORY_WEEKS_SHOWN:], strict=True)
        ],
    )


def _round(value: float) -> float:
    """Counts cannot be negative: bounds and means are clipped at 0 and rounded for display."""
    return round(max(float(value), 0.0), 2) if math.isfinite(value) else 0.0


def _rounded(backtest: Backtest | None) -> Backtest | None:
    if backtest is None:
        return None
    scores = {m: {"mase": round(s["mase"], 3), "smape": round(s["smape"], 1)} for m, s in backtest.scores.items()}
    return Backtest(backtest.windows, backtest.horizon, backtest.cutoffs, scores)
