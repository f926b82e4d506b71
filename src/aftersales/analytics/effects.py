"""Measured effect of an improvement action: difference-in-differences on a unit × period panel, or an interrupted
time series when no comparable untreated unit exists.

Pure: numpy, scipy and pandas only. `aftersales.services.actions` builds the panel in SQL and calls these functions.

Panel contract: a DataFrame with columns `unit` (str), `period` (int, 0..T-1, consecutive), `y` (the KPI value of
that unit in that period) and `w` (its weight: the KPI's denominator, e.g. orders; 1 for counts and sums).
`post_start` is the index of the first period that is fully treated.

Models: `poisson` (default; Poisson pseudo-maximum likelihood with exposure `w`, so the effect is a rate ratio and
seasonality may scale every unit's rate in proportion) or `linear` (WLS by `w`, an additive effect; for KPIs that can
be negative, such as NPS).

Inference (docs/actions.md explains the choice):

* `cluster_robust`: CR1 cluster-robust by unit, t(G-1) — only with at least `MIN_CLUSTERS` treated *and*
  `MIN_CLUSTERS` control units; with fewer, unit clusters cannot estimate the treated units' variance.
* `driscoll_kraay`: the same regression with Driscoll–Kraay-type errors: scores summed per period (robust to any
  correlation across units), their variance times an AR(1) long-run factor for serial correlation, t(T-1). Valid
  with a fixed number of units (even one treated unit) and many periods — the usual SKU-level action, where unit
  clusters and the wild cluster bootstrap both fail (Conley & Taber 2011; MacKinnon & Webb 2017).
* `hac_ar1`: the interrupted time series of the treated units' aggregate: robust errors times the residuals' AR(1)
  long-run factor (kernel estimators are biased towards zero for a segmented trend; see `_its_fit`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from aftersales.errors import InvalidInputError

MIN_CLUSTERS = 10
"""Treated and control units needed (each) before unit-clustered standard errors are trusted."""
MIN_PRE, MIN_POST = 4, 2
"""Fewest pre- and post-periods an estimate is attempted with."""
ALPHA = 0.05
MAX_CONTROLS = 5


@dataclass(frozen=True)
class Candidate:
    """A possible control unit with its pre-period level and trend, and how far they are from the treated units."""

    unit: str
    level: float
    slope: float
    distance: float
    chosen: bool


@dataclass(frozen=True)
class Estimate:
    """An effect estimate: absolute and relative to the counterfactual, with CI, p-value and the pre-trend check."""

    method: str  # did | its
    model: str  # poisson | linear
    inference: str  # cluster_robust | driscoll_kraay | hac_ar1
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    df: int
    observed: float  # treated units' (weighted) mean KPI value over the post-periods
    counterfactual: float  # what it would have been without the action: observed - estimate
    relative: float | None
    rel_ci_low: float | None
    rel_ci_high: float | None
    pretrend_p: float | None
    pretrend_test: str
    n_pre: int
    n_post: int
    n_units: int
    series: list[dict[str, Any]] = field(default_factory=list)

    @property
    def significant(self) -> bool:
        """Whether the 95 % confidence interval excludes zero."""
        return self.p_value < ALPHA

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (with `significant`)."""
        return asdict(self) | {"significant": self.significant}


def ewc_df(n_periods: int) -> int:
    """Degrees of freedom ν = 0.4 T^(2/3) of the equal-weighted cosine long-run variance (Lazarus et al. 2018)."""
    return max(2, min(n_periods - 1, round(0.4 * float(n_periods ** (2 / 3)))))


def _design(unit_codes: np.ndarray, period_codes: np.ndarray, regressors: np.ndarray) -> np.ndarray:
    """[regressors | one dummy per unit | one dummy per period but the first]."""
    n_units, n_periods = int(unit_codes.max()) + 1, int(period_codes.max()) + 1
    x = np.zeros((len(unit_codes), regressors.shape[1] + n_units + n_periods - 1))
    x[:, : regressors.shape[1]] = regressors
    rows = np.arange(len(unit_codes))
    x[rows, regressors.shape[1] + unit_codes] = 1.0
    later = period_codes > 0
    x[rows[later], regressors.shape[1] + n_units + period_codes[later] - 1] = 1.0
    return x


@dataclass(frozen=True)
class _Fit:
    beta: np.ndarray  # coefficients of the first m columns (the regressors of interest)
    influence: np.ndarray  # n × m: each observation's contribution to beta_hat - beta
    n_params: int
    residuals: np.ndarray  # Pearson residuals (linear: weighted), in row order


def _check_rank(gram: np.ndarray, what: str) -> np.ndarray:
    if np.linalg.matrix_rank(gram) < gram.shape[0]:
        raise InvalidInputError(f"{what}: the regressors are collinear (too few periods or units on one side)")
    inv: np.ndarray = np.linalg.inv(gram)
    return inv


def _fit(y: np.ndarray, w: np.ndarray, x: np.ndarray, m: int, model: str) -> _Fit:
    """WLS (model="linear": y on x, weights w) or Poisson PMLE (model="poisson": y·w counts, exposure w).

    The Poisson pseudo-likelihood needs only a correct mean, exp(x·b)·w, so it fits rates (returns per order) and
    non-negative sums alike; its coefficients are log rate ratios.
    """
    if model == "linear":
        sw = np.sqrt(w)
        xw = x * sw[:, None]
        inv = _check_rank(xw.T @ xw, "linear effect model")
        beta = inv @ (xw.T @ (y * sw))
        resid = y * sw - xw @ beta
        return _Fit(beta[:m], (xw * resid[:, None]) @ inv[:, :m], x.shape[1], resid)
    counts = y * w
    offset = np.log(w)
    mu = (counts + counts.mean()) / 2 + 1e-9
    eta = np.log(mu)
    beta = np.zeros(x.shape[1])
    for _ in range(100):  # IRLS; converges in a handful of steps once zero-count units and periods are dropped
        z = eta - offset + (counts - mu) / mu
        xw = x * mu[:, None]
        new = np.linalg.lstsq(xw.T @ x, xw.T @ z, rcond=None)[0]
        eta = np.clip(x @ new + offset, -50.0, 50.0)
        mu = np.exp(eta)
        done = np.max(np.abs(new - beta)) < 1e-9
        beta = new
        if done:
            break
    inv = _check_rank((x * mu[:, None]).T @ x, "Poisson effect model")
    resid = counts - mu
    return _Fit(beta[:m], (x * resid[:, None]) @ inv[:, :m], x.shape[1], resid / np.sqrt(mu))


def _cluster_cov(fit: _Fit, groups: np.ndarray) -> tuple[np.ndarray, int]:
    """CR1 covariance clustered by `groups`, and its t degrees of freedom G-1."""
    n = len(groups)
    sums = pd.DataFrame(fit.influence).groupby(groups).sum().to_numpy()
    n_groups = len(sums)
    scale = n_groups / (n_groups - 1) * (n - 1) / max(n - fit.n_params, 1)
    return scale * sums.T @ sums, n_groups - 1


def _hac_cov(fit: _Fit, periods: np.ndarray, kernel: str = "ar1") -> tuple[np.ndarray, int]:
    """Driscoll–Kraay-type covariance: influence summed per period (so any cross-unit correlation is kept), then a
    long-run variance over periods; returns it with its t degrees of freedom.

    kernel="ar1" (default): the per-period sums' variance (clustered by period) times the AR(1)
    long-run factor (1 + ρ) / (1 - ρ) of the first coefficient's sums, t(T-1). Efficient with rare events, where most
    of the noise is Poisson noise with little serial correlation. kernel="ewc": equal-weighted cosine with
    ν = 0.4 T^(2/3) and t(ν) (Lazarus, Lewis, Stock & Watson 2018): robust to any weak dependence, but with only a
    few dozen periods ν is so small that real effects are missed.
    """
    sums = pd.DataFrame(fit.influence).groupby(periods).sum().sort_index()
    full = sums.reindex(range(int(periods.min()), int(periods.max()) + 1), fill_value=0.0).to_numpy()
    n_periods = len(full)
    if kernel == "ar1":
        factor = (1 + (rho := _ar1(full[:, 0]))) / (1 - rho)
        return full.T @ full * factor * n_periods / max(n_periods - 1, 1), n_periods - 1
    nu = ewc_df(n_periods)
    t = np.arange(1, n_periods + 1)
    cov = np.zeros((full.shape[1], full.shape[1]))
    for j in range(1, nu + 1):
        lam = math.sqrt(2.0) * (np.cos(math.pi * j * (t - 0.5) / n_periods) @ full)
        cov += np.outer(lam, lam)
    return cov / nu, nu


def _ar1(resid: np.ndarray) -> float:
    """Lag-1 autocorrelation of residuals, bias-corrected (Kendall 1954), clipped to [0, 0.9]."""
    r = resid - resid.mean()
    denom = float(r @ r)
    if denom <= 0 or len(r) < 3:
        return 0.0
    rho = float(r[1:] @ r[:-1]) / denom
    return min(max(rho + (1 + 3 * rho) / len(r), 0.0), 0.9)


def _test(value: float, var: float, df: int) -> tuple[float, float, float, float]:
    """(se, p, ci_low, ci_high) for a t test of value = 0 with df degrees of freedom."""
    se = math.sqrt(max(var, 0.0))
    df = max(df, 1)
    if se == 0.0:
        return 0.0, (1.0 if value == 0 else 0.0), value, value
    p = float(2 * stats.t.sf(abs(value / se), df))
    half = float(stats.t.ppf(1 - ALPHA / 2, df)) * se
    return se, p, value - half, value + half


def relative_effect(
    estimate: float, observed: float, ci: tuple[float, float]
) -> tuple[float | None, float | None, float | None]:
    """Effect relative to the counterfactual (observed - estimate), and its CI mapped through the same monotone map.

    b ↦ b / (observed - b) is increasing for b < observed, so CI end points map to CI end points; an end point at or
    beyond `observed` (a counterfactual ≤ 0) has no finite relative value and is None.
    """

    def rel(b: float) -> float | None:
        base = observed - b
        return b / base if base > 1e-12 else None

    if observed - estimate <= 1e-12:
        return None, None, None
    return rel(estimate), rel(ci[0]), rel(ci[1])


def _check_panel(panel: pd.DataFrame) -> None:
    missing = {"unit", "period", "y", "w"} - set(panel.columns)
    if missing:
        raise InvalidInputError(f"effect panel lacks columns: {', '.join(sorted(missing))}")


def _pre_post_counts(periods: np.ndarray, post_start: int) -> tuple[int, int]:
    n_pre = len(np.unique(periods[periods < post_start]))
    n_post = len(np.unique(periods[periods >= post_start]))
    if n_pre < MIN_PRE or n_post < MIN_POST:
        raise InvalidInputError(
            f"not enough mature periods to estimate an effect: {n_pre} before the start (need {MIN_PRE}) "
            f"and {n_post} after it (need {MIN_POST})"
        )
    return n_pre, n_post


def _weighted_mean(y: pd.Series, w: pd.Series) -> float:
    total = float(w.sum())
    return float((y * w).sum() / total) if total > 0 else float("nan")


def _pre_stats(panel: pd.DataFrame, post_start: int) -> pd.DataFrame:
    """Per unit: weighted pre-period level and weighted least-squares slope per period."""
    rows = []
    for unit, grp in panel[panel["period"] < post_start].groupby("unit", sort=True):
        level = _weighted_mean(grp["y"], grp["w"])
        t, w = grp["period"].to_numpy(float), grp["w"].to_numpy(float)
        if len(grp) >= 2 and w.sum() > 0 and np.ptp(t) > 0:
            tc = t - np.average(t, weights=w)
            slope = float(np.sum(w * tc * grp["y"].to_numpy()) / max(np.sum(w * tc * tc), 1e-12))
        else:
            slope = 0.0
        rows.append({"unit": str(unit), "level": level, "slope": slope})
    return pd.DataFrame(rows, columns=["unit", "level", "slope"]).set_index("unit")


def select_controls(
    panel: pd.DataFrame, treated: Sequence[str], candidates: Sequence[str], post_start: int, k: int = MAX_CONTROLS
) -> list[Candidate]:
    """Rank candidate controls by similarity of pre-period level and trend to the treated units; choose the k nearest.

    Distance = |Δlevel| / sd(level) + |Δslope| / sd(slope) against the treated units' pooled pre-period series, the
    spreads taken over treated and candidates together, so level and trend count equally.
    """
    _check_panel(panel)
    pre = _pre_stats(panel, post_start)
    cands = [c for c in candidates if c in pre.index and c not in set(treated)]
    if not cands:
        return []
    tr = panel[panel["unit"].isin(treated)]
    pooled = tr.groupby("period").apply(lambda g: _weighted_mean(g["y"], g["w"]), include_groups=False)
    weights = tr.groupby("period")["w"].sum()
    ref = _pre_stats(pd.DataFrame({"unit": "_", "period": pooled.index, "y": pooled.values, "w": weights.values}),
                     post_start).iloc[0]  # fmt: skip
    spread = pre.loc[cands + [t for t in treated if t in pre.index]]
    sd_level = float(spread["level"].std(ddof=0)) or 1.0
    sd_slope = float(spread["slope"].std(ddof=0)) or 1.0
    dist = {
        c: abs(pre.at[c, "level"] - ref["level"]) / sd_level + abs(pre.at[c, "slope"] - ref["slope"]) / sd_slope
        for c in cands
    }
    order = sorted(cands, key=lambda c: (dist[c], c))
    chosen = set(order[:k])
    return [
        Candidate(c, float(pre.at[c, "level"]), float(pre.at[c, "slope"]), float(dist[c]), c in chosen) for c in order
    ]


def _effect_fields(model: str, b: float, var: float, df: int, observed: float) -> dict[str, Any]:
    """Absolute and relative effect with CIs from a coefficient: a difference (linear) or a log rate ratio (poisson)."""
    se, p, lo, hi = _test(b, var, df)
    out: dict[str, Any] = {"se": se, "p_value": p, "df": df, "observed": observed}
    if model == "poisson":
        absolute = [observed * (1.0 - math.exp(-v)) for v in (b, lo, hi)]  # increasing in v
        out |= {"estimate": absolute[0], "ci_low": absolute[1], "ci_high": absolute[2]}
        out |= {"relative": math.expm1(b), "rel_ci_low": math.expm1(lo), "rel_ci_high": math.expm1(hi)}
        out["counterfactual"] = observed * math.exp(-b)
        return out
    rel, rel_lo, rel_hi = relative_effect(b, observed, (lo, hi))
    out |= {"estimate": b, "ci_low": lo, "ci_high": hi, "relative": rel, "rel_ci_low": rel_lo, "rel_ci_high": rel_hi}
    out["counterfactual"] = observed - b
    return out


def _usable(data: pd.DataFrame, model: str, keys: Sequence[str]) -> pd.DataFrame:
    """Rows with weight; for Poisson also without units/periods whose counts are all zero (they carry no contrast)."""
    data = data[data["w"] > 0]
    if model == "poisson":
        if (data["y"] < 0).any():
            raise InvalidInputError("the Poisson effect model needs a non-negative KPI; use model='linear'")
        counts = data["y"] * data["w"]
        for key in keys:
            totals = counts.groupby(data[key]).transform("sum")
            data, counts = data[totals > 0], counts[totals > 0]
    elif model != "linear":
        raise InvalidInputError(f"unknown effect model {model!r}; use poisson or linear")
    return data.reset_index(drop=True)


def _check_events(data: pd.DataFrame, post_start: int, who: str) -> None:
    """Poisson needs events both before and after the start; with none on one side the rate ratio is 0 or ∞."""
    counts = data["y"] * data["w"]
    post = data["period"] >= post_start
    for side, mask in (("before", ~post), ("after", post)):
        if float(counts[mask].sum()) <= 0:
            raise InvalidInputError(
                f"{who} have no events {side} the start, so the rate ratio is unbounded; use a longer window, "
                "--period month or --model linear"
            )


def did(panel: pd.DataFrame, treated: Sequence[str], post_start: int, model: str = "poisson") -> Estimate:
    """Two-way fixed-effects DiD (unit and period FE) of the treated units against the other units.

    model="poisson" (rates and non-negative sums): Poisson PMLE with exposure `w`, effect a rate ratio, which keeps
    parallel trends meaningful when seasonality moves every unit's rate in proportion. model="linear": WLS by `w`.
    """
    _check_panel(panel)
    full = panel[(panel["w"] > 0) & panel["unit"].isin(set(treated)) & (panel["period"] >= post_start)]
    observed = _weighted_mean(full["y"], full["w"])  # before Poisson drops zero-count periods: the real level
    data = _usable(panel, model, ("unit", "period"))
    is_treated = data["unit"].isin(set(treated)).to_numpy()
    n_treated = data.loc[is_treated, "unit"].nunique()
    n_controls = data.loc[~is_treated, "unit"].nunique()
    if n_treated == 0 or n_controls == 0:
        raise InvalidInputError("difference-in-differences needs at least one treated and one control unit with data")
    n_pre, n_post = _pre_post_counts(data["period"].to_numpy(), post_start)
    if model == "poisson":
        _check_events(data[is_treated], post_start, "the treated units")
    unit_codes, units = pd.factorize(data["unit"], sort=True)
    period_codes, _ = pd.factorize(data["period"], sort=True)
    post = data["period"].to_numpy() >= post_start
    treat = (is_treated & post).astype(float)[:, None]
    y, w = data["y"].to_numpy(float), data["w"].to_numpy(float)
    fit = _fit(y, w, _design(unit_codes, period_codes, treat), 1, model)
    clustered = n_treated >= MIN_CLUSTERS and n_controls >= MIN_CLUSTERS
    if clustered:
        cov, df = _cluster_cov(fit, unit_codes)
    else:
        cov, df = _hac_cov(fit, data["period"].to_numpy(int))
    return Estimate(
        method="did",
        model=model,
        inference="cluster_robust" if clustered else "driscoll_kraay",
        **_effect_fields(model, float(fit.beta[0]), float(cov[0, 0]), df, observed),
        pretrend_p=_did_pretrend(data, is_treated, post_start, clustered, model),
        pretrend_test="differential linear trend of the treated units before the start (same model and errors)",
        n_pre=n_pre,
        n_post=n_post,
        n_units=len(units),
        series=_did_series(data, is_treated),
    )


def _did_pretrend(
    data: pd.DataFrame, is_treated: np.ndarray, post_start: int, clustered: bool, model: str
) -> float | None:
    """p-value of treated × (period - mean) in the pre-periods, with unit and period FE: do the groups diverge?"""
    pre = (data["period"] < post_start).to_numpy()
    sub = data[pre].assign(_treated=is_treated[pre])
    sub = _usable(sub, model, ("unit", "period"))
    if sub["period"].nunique() < MIN_PRE or sub["_treated"].all() or not sub["_treated"].any():
        return None
    t = sub["period"].to_numpy(float)
    trend = sub["_treated"].to_numpy(float) * (t - t.mean())
    unit_codes, _ = pd.factorize(sub["unit"], sort=True)
    period_codes, _ = pd.factorize(sub["period"], sort=True)
    try:
        x = _design(unit_codes, period_codes, trend[:, None])
        fit = _fit(sub["y"].to_numpy(float), sub["w"].to_numpy(float), x, 1, model)
    except InvalidInputError:
        return None
    cov, df = _cluster_cov(fit, unit_codes) if clustered else _hac_cov(fit, sub["period"].to_numpy(int))
    return _test(float(fit.beta[0]), float(cov[0, 0]), df)[1]


def _did_series(data: pd.DataFrame, is_treated: np.ndarray) -> list[dict[str, Any]]:
    """Per period: the treated and the control units' weighted mean KPI value (for charts)."""
    out: dict[int, dict[str, Any]] = {}
    for flag, key in ((True, "treated"), (False, "control")):
        part = data[is_treated == flag]
        for row in aggregate(part, part["unit"].unique()).itertuples():
            out.setdefault(int(row.period), {"period": int(row.period)})[key] = float(row.y)
    return [out[k] for k in sorted(out)]


def aggregate(panel: pd.DataFrame, units: Sequence[str]) -> pd.DataFrame:
    """The units' pooled series: per period the w-weighted mean of y and the summed weight."""
    _check_panel(panel)
    sub = panel[panel["unit"].isin(set(units)) & (panel["w"] > 0)]
    sub = sub.assign(yw=sub["y"] * sub["w"])
    grp = sub.groupby("period", sort=True)[["yw", "w"]].sum()
    return pd.DataFrame(
        {"period": grp.index.to_numpy(int), "y": (grp["yw"] / grp["w"]).to_numpy(), "w": grp["w"].to_numpy()}
    )


def _its_fit(series: pd.DataFrame, post_start: int, model: str) -> tuple[float, float, int, float]:
    """(average post-period effect on the model's scale, its variance, df, residual AR(1)) of a segmented regression.

    Variance: heteroskedasticity-robust, times the residuals' AR(1) long-run factor (1 + ρ) / (1 - ρ). Kernel
    estimators (Newey–West, EWC) are biased towards zero here: the scores of the level and trend terms sum to zero
    within each segment, and the more lags they use the more of the variance they cancel (measured by simulation).
    """
    t = series["period"].to_numpy(float)
    post = (t >= post_start).astype(float)
    since = post * (t - post_start)
    x = np.column_stack([np.ones_like(t), t - post_start, post, since])
    w = series["w"].to_numpy(float)
    y = series["y"].to_numpy(float)
    fit = _fit(y, w, x, 4, model)
    rho = _ar1(fit.residuals)
    factor = (1 + rho) / (1 - rho)
    on_post = post > 0
    contrast = np.array([0.0, 0.0, 1.0, float(np.average(since[on_post], weights=w[on_post]))])
    infl = fit.influence @ contrast
    return float(contrast @ fit.beta), float(infl @ infl) * factor, len(t) - 4, rho


def its(series: pd.DataFrame, post_start: int, model: str = "poisson") -> Estimate:
    """Interrupted time series: segmented regression with a level and a slope change at post_start, HAC errors.

    The effect is the change at the post-periods' average distance from the start (on the log scale for Poisson)
    against the extrapolated pre-period trend; the pre-trend check is the same estimate for a placebo start half-way
    through the pre-periods, using the pre-periods only.
    """
    _check_panel(series.assign(unit="_"))
    full = series[(series["w"] > 0) & (series["period"] >= post_start)]
    observed = _weighted_mean(full["y"], full["w"])
    data = _usable(series.sort_values("period"), model, ())
    if model == "poisson" and float((data["y"] * data["w"]).sum()) <= 0:
        raise InvalidInputError("interrupted time series: the treated units have no events in the panel")
    n_pre, n_post = _pre_post_counts(data["period"].to_numpy(), post_start)
    if model == "poisson":
        _check_events(data, post_start, "the treated units")
    effect, var, df, _ = _its_fit(data, post_start, model)
    post = data["period"] >= post_start
    pretrend: float | None = None
    pre = data[~post]
    if len(pre) >= 2 * MIN_PRE:
        try:
            p_eff, p_var, p_df, _ = _its_fit(pre, int(pre["period"].iloc[len(pre) // 2]), model)
            pretrend = _test(p_eff, p_var, p_df)[1]
        except InvalidInputError:
            pretrend = None
    return Estimate(
        method="its",
        model=model,
        inference="hac_ar1",
        **_effect_fields(model, effect, var, df, observed),
        pretrend_p=pretrend,
        pretrend_test="placebo break half-way through the pre-periods (pre-periods only)",
        n_pre=n_pre,
        n_post=n_post,
        n_units=1,
        series=[{"period": int(r.period), "treated": float(r.y)} for r in data.itertuples()],
    )
