"""Anomalies in a panel of weekly counts (series × week): a seasonal, promotion-aware baseline and a scan of windows.

The expected count of series s in week w is  exposure[s, w] × level_s × index_w × promo_s(w):

* `index_w` is how every *other* series of the panel moved that week (leave-one-out), so seasonality, promotions,
  holidays and the immaturity of recent order cohorts, which hit the whole shop, are expected rather than found;
* `promo_s` is the series' own extra uplift on promotion days, estimated from all its promotion weeks (shrunk to 1),
  so a category that always swells on 双11 more than the rest is not flagged every 双11;
* `level_s` is the series' own level in the `baseline_weeks` either side of the window (the window excluded).

Each window of 1–8 consecutive weeks is tested with the exact conditional test for two Poisson rates (the window's
count given the count of window + baseline is binomial), which accounts for the noise in the baseline too. All
windows of one panel form one family: Benjamini–Hochberg keeps the expected share of false findings at `alpha`.
Overlapping significant windows of a series are reduced to the most significant one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import special

from aftersales.errors import InvalidInputError

Direction = Literal["up", "down", "both"]
DIRECTIONS: tuple[str, ...] = ("up", "down", "both")
DEFAULT_LENGTHS: tuple[int, ...] = (1, 2, 3, 4, 6, 8)
BASELINE_WEEKS = 52
"""Weeks either side of a window that set the series' own level: a year, so a 4-week spike is judged on ~100 weeks."""
INDEX_PSEUDO_COUNT = 10.0
"""Shrinks the week index towards 1 (see `week_index`); 10 expected events keep ~75 % of a week index on 30 events."""
MIN_EXPECTED_FOR_DISPERSION = 5.0
DISPERSION_TOLERANCE = 0.5
PROMO_PSEUDO_COUNT = 10.0
"""Shrinks a series' promotion uplift towards 1: with few promotion-week events the estimate stays near 'no extra'."""


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values): reject where q ≤ alpha to control the FDR at alpha."""
    p = np.asarray(p_values, dtype=float)
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, m + 1)
    # Step-up: each q is the smallest adjusted value at or above its rank.
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(m)
    q[order] = np.minimum(ranked, 1.0)
    return q


@dataclass(frozen=True)
class MetricInfo:
    """What is counted, for explanations: labels, and whether counts are over an exposure (a rate)."""

    name: str
    zh: str
    en: str
    is_rate: bool
    unit_zh: str = "单"
    unit_en: str = "cases"


@dataclass
class Anomaly:
    """One unusual window of one series, with its size, significance and the baseline it was judged against."""

    metric: str
    dimension: str
    value: str
    start: dt.date
    end: dt.date
    weeks: int
    observed: int
    expected: float
    ratio: float | None
    difference: float
    exposure: float | None
    observed_rate: float | None
    expected_rate: float | None
    p_value: float
    q_value: float
    direction: str
    promotions: list[str] = field(default_factory=list)
    baseline: str = ""
    explanation_zh: str = ""
    explanation_en: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (dates as ISO strings)."""
        out = asdict(self)
        out["start"], out["end"] = self.start.isoformat(), self.end.isoformat()
        return out


@dataclass(frozen=True)
class Panel:
    """Dense series × week matrices built from a long frame."""

    series: list[str]
    weeks: pd.DatetimeIndex
    observed: np.ndarray
    exposure: np.ndarray
    promo_share: np.ndarray
    labels: list[list[str]]


def build_panel(frame: pd.DataFrame, week_labels: dict[pd.Timestamp, list[str]] | None = None) -> Panel:
    """Pivot a long frame (series, week, observed[, exposure][, promo_share]) into dense matrices.

    Rows may be finer than weeks (days): values are summed per week. Weeks missing between the first and last week
    are filled with zeros. Without an exposure column every week of every series has exposure 1 (a count, not a
    rate) and `promo_share` is read as the week's share of promotion days.
    """
    missing = {"series", "week", "observed"} - set(frame.columns)
    if missing:
        raise InvalidInputError(f"anomaly panel: missing columns {sorted(missing)}")
    data = frame.dropna(subset=["series", "week"])
    if data.empty:
        return Panel([], pd.DatetimeIndex([]), *(np.zeros((0, 0)),) * 3, [])
    weeks = pd.date_range(data["week"].min(), data["week"].max(), freq="7D")
    series = sorted(data["series"].astype(str).unique().tolist())

    def dense(column: str, fill: float) -> np.ndarray:
        if column not in data.columns:
            return np.full((len(series), len(weeks)), fill)
        table = data.pivot_table(index="series", columns="week", values=column, aggfunc="sum", fill_value=0.0)
        matrix: np.ndarray = table.reindex(index=series, columns=weeks, fill_value=0.0).to_numpy(dtype=float)
        return matrix

    observed = dense("observed", 0.0)
    exposure = dense("exposure", 1.0)
    if "promo_share" in data.columns and "exposure" in data.columns:
        # Exposure-weighted share of promotion days per cell (rows may be days), consistent with the exposure.
        weighted = data.assign(_pw=data["promo_share"] * data["exposure"])
        num = weighted.pivot_table(index="series", columns="week", values="_pw", aggfunc="sum", fill_value=0.0)
        num_m = num.reindex(index=series, columns=weeks, fill_value=0.0).to_numpy(dtype=float)
        promo = np.divide(num_m, exposure, out=np.zeros_like(num_m), where=exposure > 0)
    elif "promo_share" in data.columns:
        # Counts without exposure: one row per (series, week) carrying the week's share of promotion days.
        table = data.pivot_table(index="series", columns="week", values="promo_share", aggfunc="mean")
        promo = table.reindex(index=series, columns=weeks).fillna(0.0).to_numpy(dtype=float)
    else:
        promo = np.zeros_like(observed)
    labels = [list((week_labels or {}).get(w, [])) for w in weeks]
    return Panel(series, weeks, observed, exposure, np.clip(promo, 0.0, 1.0), labels)


def week_index(observed: np.ndarray, exposure: np.ndarray, pseudo: float = INDEX_PSEUDO_COUNT) -> np.ndarray:
    """Leave-one-out week effect per cell: the other series' rate that week over their usual rate.

    Shrunk towards 1 by `pseudo` expected events: a week in which the others had few events says little about
    the week, and an unshrunk ratio of small counts would turn their noise into "anomalies" of this series.
    """
    if observed.shape[0] < 2:
        return np.ones_like(observed)
    o_other = observed.sum(axis=0, keepdims=True) - observed
    x_other = exposure.sum(axis=0, keepdims=True) - exposure
    overall = o_other.sum(axis=1, keepdims=True) / np.maximum(x_other.sum(axis=1, keepdims=True), 1e-12)
    expected = x_other * overall
    index: np.ndarray = (o_other + pseudo) / (expected + pseudo)
    # A week the others did not trade at all carries no information about the week: treat it as ordinary.
    return np.where(x_other > 0, index, 1.0)


def promo_uplift(observed: np.ndarray, base: np.ndarray, promo_share: np.ndarray) -> np.ndarray:
    """Per-series extra uplift on promotion days beyond the shop-wide one (shrunk towards 1), shape (series, 1)."""
    off = 1.0 - promo_share
    level = (observed * off).sum(axis=1) / np.maximum((base * off).sum(axis=1), 1e-12)
    obs_promo = (observed * promo_share).sum(axis=1)
    exp_promo = level * (base * promo_share).sum(axis=1)
    uplift = (obs_promo + PROMO_PSEUDO_COUNT) / (exp_promo + PROMO_PSEUDO_COUNT)
    return np.asarray(uplift)[:, None]


def expected_weights(panel: Panel) -> np.ndarray:
    """exposure × week index × the series' promotion uplift: the expected count up to the series' own level."""
    base = panel.exposure * week_index(panel.observed, panel.exposure)
    uplift = promo_uplift(panel.observed, base, panel.promo_share)
    weights: np.ndarray = base * (1.0 + (uplift - 1.0) * panel.promo_share)
    return weights


def _window_sums(values: np.ndarray, length: int, baseline_weeks: int) -> tuple[np.ndarray, np.ndarray]:
    """(inside, around) sums for every window start: `around` is baseline_weeks either side, window excluded."""
    n_weeks = values.shape[1]
    cs = np.concatenate([np.zeros((values.shape[0], 1)), np.cumsum(values, axis=1)], axis=1)
    starts = np.arange(n_weeks - length + 1)
    ends = starts + length
    inside = cs[:, ends] - cs[:, starts]
    before = cs[:, starts] - cs[:, np.maximum(starts - baseline_weeks, 0)]
    after = cs[:, np.minimum(ends + baseline_weeks, n_weeks)] - cs[:, ends]
    return inside, before + after


def _binom_tails(k: np.ndarray, n: np.ndarray, share: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """P(X ≥ k) and P(X ≤ k) for X ~ Binomial(n, share), continued to non-integer k, n (quasi-likelihood)."""
    safe_n = np.maximum(n, 1e-12)
    k = np.clip(k, 0.0, safe_n)
    # Regularised incomplete beta: P(X ≥ k) = I_share(k, n − k + 1), P(X ≤ k) = I_(1−share)(n − k, k + 1).
    upper = np.where(k > 0, special.betainc(np.maximum(k, 1e-12), safe_n - k + 1.0, share), 1.0)
    lower = np.where(k < safe_n, special.betainc(np.maximum(safe_n - k, 1e-12), k + 1.0, 1.0 - share), 1.0)
    return upper, lower


def dispersion(panel: Panel, weights: np.ndarray, baseline_weeks: int) -> float:
    """Over-dispersion φ ≥ 1: Pearson χ² per single-week cell with ≥ 5 expected events, less a tolerance.

    Real complaint and return counts come in clumps (one incident, several contacts) and vary more than a Poisson
    count; dividing counts by φ keeps such noise from reading as significance. The tolerance absorbs what the
    estimated baseline adds to the χ² of pure Poisson data (measured 1.0–1.4 on synthetic binomial demo panels).
    """
    o_in, o_out = _window_sums(np.rint(panel.observed), 1, baseline_weeks)
    x_in, x_out = _window_sums(weights, 1, baseline_weeks)
    expected = np.divide(x_in * o_out, x_out, out=np.zeros_like(x_in), where=x_out > 0)
    usable = expected >= MIN_EXPECTED_FOR_DISPERSION
    if usable.sum() < 10:
        return 1.0
    chi2 = ((o_in - expected) ** 2)[usable] / expected[usable]
    return max(1.0, float(chi2.mean()) - DISPERSION_TOLERANCE)


def scan(
    panel: Panel,
    lengths: Sequence[int] = DEFAULT_LENGTHS,
    baseline_weeks: int = BASELINE_WEEKS,
    direction: Direction = "up",
    phi: float | None = None,
) -> pd.DataFrame:
    """Every testable window: series, start index, length, observed, expected, exposure, p-value (one per row).

    `phi` is the over-dispersion to allow for (None: estimated with `dispersion`, 1: pure Poisson noise).
    """
    if direction not in DIRECTIONS:
        raise InvalidInputError(f"unknown direction {direction!r}; use one of: {', '.join(DIRECTIONS)}")
    if baseline_weeks < 1:
        raise InvalidInputError(f"baseline_weeks must be at least 1, got {baseline_weeks}")
    n_series, n_weeks = panel.observed.shape
    columns = ["series", "start", "length", "observed", "expected", "exposure", "p_value"]
    if n_series == 0:
        empty = pd.DataFrame(columns=columns)
        empty.attrs["dispersion"] = 1.0
        return empty
    weights = expected_weights(panel)
    counts = np.rint(panel.observed)
    factor = dispersion(panel, weights, baseline_weeks) if phi is None else max(1.0, float(phi))
    parts: list[pd.DataFrame] = []
    for length in sorted(set(lengths)):
        if length < 1 or length > n_weeks:
            continue
        o_in, o_out = _window_sums(counts, length, baseline_weeks)
        x_in, x_out = _window_sums(weights, length, baseline_weeks)
        n_in, _ = _window_sums(panel.exposure, length, baseline_weeks)
        total = o_in + o_out
        testable = (x_in > 0) & (x_out > 0) & (total > 0)
        share = np.divide(x_in, x_in + x_out, out=np.zeros_like(x_in), where=testable)
        # Conditional on window + baseline, the window's count is Binomial(total, share) when nothing changed;
        # over-dispersed counts are scaled down by φ first (as many independent events as the noise is worth).
        p_up, p_down = _binom_tails(o_in / factor, total / factor, share)
        p = {"up": p_up, "down": p_down, "both": np.minimum(1.0, 2.0 * np.minimum(p_up, p_down))}[direction]
        expected = np.divide(x_in * o_out, x_out, out=np.zeros_like(x_in), where=testable)
        rows, starts = np.nonzero(testable)
        parts.append(
            pd.DataFrame(
                {
                    "series": rows,
                    "start": starts,
                    "length": length,
                    "observed": o_in[rows, starts],
                    "expected": expected[rows, starts],
                    "exposure": n_in[rows, starts],
                    "p_value": np.clip(p[rows, starts], 0.0, 1.0),
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    frame.attrs["dispersion"] = factor
    return frame


def _select(windows: pd.DataFrame) -> pd.DataFrame:
    """Per series, the most significant window first, then the next that does not overlap any chosen one."""
    chosen: list[int] = []
    taken: dict[int, list[tuple[int, int]]] = {}
    ordered = windows.assign(_excess=(windows["observed"] - windows["expected"]).abs())
    ordered = ordered.sort_values(["p_value", "_excess"], ascending=[True, False], kind="stable")
    for idx, series, start, length in zip(
        ordered.index, ordered["series"], ordered["start"], ordered["length"], strict=True
    ):
        spans = taken.setdefault(int(series), [])
        lo, hi = int(start), int(start) + int(length)
        if any(lo < b and a < hi for a, b in spans):
            continue
        spans.append((lo, hi))
        chosen.append(int(idx))
    return windows.loc[chosen]


DIMENSION_ZH = {"region": "地区", "category": "品类", "sku": "SKU", "channel": "渠道", "tier": "客户等级"}


def _fmt_rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def explain(a: Anomaly, metric: MetricInfo, baseline_weeks: int) -> tuple[str, str]:
    """Plain-language zh/en sentences: what, when, how big, how sure, and against which baseline."""
    span_zh = f"{a.start:%Y-%m-%d} 至 {a.end:%Y-%m-%d}（{a.weeks} 周）"
    span_en = f"{a.start:%Y-%m-%d} to {a.end:%Y-%m-%d} ({a.weeks} week{'s' if a.weeks > 1 else ''})"
    dim_zh = DIMENSION_ZH.get(a.dimension, a.dimension)
    times = "-" if a.ratio is None else f"{a.ratio:.1f}"
    higher = a.difference >= 0
    if metric.is_rate:
        what_zh = (
            f"{metric.zh}为 {_fmt_rate(a.observed_rate)}（{a.observed}/{a.exposure:.0f}），"
            f"预期 {_fmt_rate(a.expected_rate)}"
        )
        what_en = (
            f"{metric.en} was {_fmt_rate(a.observed_rate)} ({a.observed}/{a.exposure:.0f}); "
            f"expected {_fmt_rate(a.expected_rate)}"
        )
    else:
        what_zh = f"{metric.zh}为 {a.observed}，预期约 {a.expected:.1f}"
        what_en = f"{metric.en} was {a.observed}; expected about {a.expected:.1f}"
    diff_zh = f"{'多' if higher else '少'} {abs(a.difference):.1f} {metric.unit_zh}"
    diff_en = f"{abs(a.difference):.1f} {metric.unit_en} {'more' if higher else 'fewer'}"
    promo_zh = f"；期间有促销/节日（{'、'.join(a.promotions)}），其常规拉动已计入预期" if a.promotions else ""
    promo_en = (
        f"; the window overlaps {', '.join(a.promotions)}, whose usual lift is already in the expectation"
        if a.promotions
        else ""
    )
    zh = (
        f"{a.value} 在 {span_zh} 的{what_zh}，为预期的 {times} 倍，{diff_zh}；"
        f"p={a.p_value:.2g}，BH 校正后 q={a.q_value:.2g}。基线：该{dim_zh}前后各 {baseline_weeks} 周的自身水平"
        f" × 同期其他{dim_zh}的走势（季节、促销已计入）{promo_zh}。"
    )
    en = (
        f"{a.value}: from {span_en} {what_en}, {times}× the expectation, {diff_en}; "
        f"p={a.p_value:.2g}, Benjamini–Hochberg q={a.q_value:.2g}. Baseline: its own level in the {baseline_weeks} "
        f"weeks either side × how the other {a.dimension}s moved in the same weeks (seasonality and promotions "
        f"included){promo_en}."
    )
    return zh, en


@dataclass
class AnomalyReport:
    """The anomalies of one panel and the size of the family they were found in."""

    anomalies: list[Anomaly]
    series: int
    weeks: int
    windows_tested: int
    dispersion: float = 1.0


def find_anomalies(
    panel: Panel,
    metric: MetricInfo,
    dimension: str,
    alpha: float = 0.05,
    lengths: Sequence[int] = DEFAULT_LENGTHS,
    baseline_weeks: int = BASELINE_WEEKS,
    direction: Direction = "up",
    phi: float | None = None,
) -> AnomalyReport:
    """Significant windows (BH q ≤ alpha over every window tested in the panel), most significant first."""
    if not 0 < alpha < 1:
        raise InvalidInputError(f"alpha must be between 0 and 1, got {alpha}")
    windows = scan(panel, lengths, baseline_weeks, direction, phi)
    report = AnomalyReport([], len(panel.series), len(panel.weeks), len(windows), windows.attrs["dispersion"])
    if windows.empty:
        return report
    windows["q_value"] = benjamini_hochberg(windows["p_value"].to_numpy())
    hits = _select(windows[windows["q_value"] <= alpha])
    found: list[Anomaly] = []
    for row in hits.itertuples(index=False):
        start, length = int(row.start), int(row.length)
        observed, expected, exposure = int(row.observed), float(row.expected), float(row.exposure)
        promos = sorted({name for labels in panel.labels[start : start + length] for name in labels})
        anomaly = Anomaly(
            metric=metric.name,
            dimension=dimension,
            value=panel.series[int(row.series)],
            start=panel.weeks[start].date(),
            end=(panel.weeks[start + length - 1] + pd.Timedelta(days=6)).date(),
            weeks=length,
            observed=observed,
            expected=round(expected, 3),
            ratio=round(observed / expected, 3) if expected > 0 else None,
            difference=round(observed - expected, 3),
            exposure=exposure if metric.is_rate else None,
            observed_rate=observed / exposure if metric.is_rate and exposure > 0 else None,
            expected_rate=expected / exposure if metric.is_rate and exposure > 0 else None,
            p_value=float(row.p_value),
            q_value=float(row.q_value),
            direction="up" if observed >= expected else "down",
            promotions=promos,
            baseline=(
                f"own level in the {baseline_weeks} weeks either side (window excluded) × leave-one-out week index of "
                f"the other {dimension} values × the series' promotion uplift; conditional binomial test with "
                f"over-dispersion φ={report.dispersion:.2f}; "
                f"Benjamini–Hochberg over {len(windows)} windows"
            ),
        )
        anomaly.explanation_zh, anomaly.explanation_en = explain(anomaly, metric, baseline_weeks)
        found.append(anomaly)
    found.sort(key=lambda a: (a.p_value, -abs(a.difference)))
    report.anomalies = found
    return report
