"""Change points in a weekly KPI series: PELT (ruptures) with a Poisson-rate cost, a BIC penalty and a test per break.

The cost of a segment is the Poisson deviance of its counts around one rate (count / exposure), so a rate on
30 orders a week and one on 3,000 are judged by how much evidence they carry, not by their raw wiggle. Real series
are noisier than Poisson (over-dispersed); the dispersion φ is estimated from the Pearson residuals of a first
segmentation and the costs are divided by it (quasi-likelihood) before the final run, so noise does not turn into
breaks. Each break is then tested on its own: a likelihood-ratio test of "one rate" against "two rates" for the two
segments next to it (χ² with 1 degree of freedom, divided by φ), Bonferroni-adjusted for the positions searched.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import ruptures as rpt
from ruptures.base import BaseCost
from scipy import stats

from aftersales.errors import InvalidInputError


def _loglik(observed: np.ndarray | float, exposure: np.ndarray | float) -> np.ndarray:
    """Maximised Poisson log-likelihood of segments (terms that do not depend on the rate dropped)."""
    o = np.asarray(observed, dtype=float)
    x = np.asarray(exposure, dtype=float)
    rate = np.divide(o, x, out=np.zeros_like(o), where=x > 0)
    safe = np.where(o > 0, rate, 1.0)
    return np.where(o > 0, o * np.log(safe) - o, 0.0)


class PoissonRateCost(BaseCost):  # type: ignore[misc]
    """ruptures cost: −2 × Poisson log-likelihood of a segment at its own rate, divided by the dispersion."""

    model = "poisson_rate"
    min_size = 2

    def __init__(self, dispersion: float = 1.0) -> None:
        self.dispersion = dispersion
        self.signal = np.zeros((0, 2))
        self._o = np.zeros(1)
        self._x = np.zeros(1)

    def fit(self, signal: np.ndarray) -> PoissonRateCost:
        """Keep cumulative sums of (observed, exposure) so each segment costs O(1)."""
        data = np.asarray(signal, dtype=float).reshape(len(signal), -1)
        self.signal = data
        self._o = np.concatenate([[0.0], np.cumsum(data[:, 0])])
        self._x = np.concatenate([[0.0], np.cumsum(data[:, 1])])
        return self

    def error(self, start: int, end: int) -> float:
        """Cost of the segment [start, end)."""
        o = self._o[end] - self._o[start]
        x = self._x[end] - self._x[start]
        return float(-2.0 * _loglik(o, x) / self.dispersion)


@dataclass(frozen=True)
class Segment:
    """A stretch with one level: first and last week start, totals and the level (rate or count per week)."""

    start: dt.date
    end: dt.date
    observed: float
    exposure: float
    level: float


@dataclass(frozen=True)
class ChangePoint:
    """A break: the first week of the new level, levels before/after, relative change and significance."""

    date: dt.date
    before: float
    after: float
    change: float | None
    p_value: float
    p_adjusted: float
    significant: bool
    promotions: list[str] = field(default_factory=list)


@dataclass
class ChangePointResult:
    """The segmentation of one series with its breaks and the settings that produced it."""

    segments: list[Segment]
    change_points: list[ChangePoint]
    penalty: float
    dispersion: float
    weeks: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (dates as ISO strings)."""
        out = asdict(self)
        for seg in out["segments"]:
            seg["start"], seg["end"] = seg["start"].isoformat(), seg["end"].isoformat()
        for cp in out["change_points"]:
            cp["date"] = cp["date"].isoformat()
        return out


def _breaks(signal: np.ndarray, penalty: float, min_size: int, dispersion: float) -> list[int]:
    """PELT end indices (the last one is len(signal))."""
    algo = rpt.Pelt(custom_cost=PoissonRateCost(dispersion), min_size=min_size, jump=1).fit(signal)
    return [int(b) for b in algo.predict(pen=penalty)]


def _dispersion(observed: np.ndarray, exposure: np.ndarray, ends: list[int]) -> float:
    """Pearson χ² / degrees of freedom of the segmented fit, at least 1."""
    fitted = np.zeros_like(observed)
    start = 0
    for end in ends:
        x = exposure[start:end].sum()
        rate = observed[start:end].sum() / x if x > 0 else 0.0
        fitted[start:end] = rate * exposure[start:end]
        start = end
    used = fitted > 0
    dof = int(used.sum()) - len(ends)
    if dof <= 0:
        return 1.0
    chi2 = float((((observed - fitted) ** 2)[used] / fitted[used]).sum())
    return max(1.0, chi2 / dof)


def detect_changepoints(
    weeks: Sequence[dt.date],
    observed: Sequence[float],
    exposure: Sequence[float] | None = None,
    penalty: float | None = None,
    min_size: int = 4,
    alpha: float = 0.05,
    labels: Sequence[Sequence[str]] | None = None,
) -> ChangePointResult:
    """Segment a weekly series of counts (over an exposure for rates); default penalty 2·ln(n) (BIC, 2 parameters)."""
    obs = np.asarray(observed, dtype=float)
    exp_ = np.ones_like(obs) if exposure is None else np.asarray(exposure, dtype=float)
    n = len(obs)
    if len(weeks) != n or len(exp_) != n:
        raise InvalidInputError(f"change points: {len(weeks)} weeks, {n} counts and {len(exp_)} exposures differ")
    if min_size < 2:
        raise InvalidInputError(f"min_size must be at least 2 weeks, got {min_size}")
    if np.any(obs < 0) or np.any(exp_ < 0):
        raise InvalidInputError("change points: counts and exposures must not be negative")
    pen = 2.0 * math.log(max(n, 2)) if penalty is None else float(penalty)
    if pen <= 0:
        raise InvalidInputError(f"penalty must be positive, got {pen}")
    if n < 2 * min_size:
        ends, phi = [n] if n else [], 1.0
    else:
        signal = np.column_stack([obs, exp_])
        first = _breaks(signal, pen, min_size, 1.0)
        phi = _dispersion(obs, exp_, first)
        ends = _breaks(signal, pen, min_size, phi) if phi > 1.0 else first
    bounds = [0, *ends]
    segments = []
    for a, b in itertools.pairwise(bounds):
        o, x = float(obs[a:b].sum()), float(exp_[a:b].sum())
        segments.append(Segment(weeks[a], weeks[b - 1], o, x, o / x if x > 0 else 0.0))
    candidates = max(n - 2 * min_size + 1, 1)
    points = []
    for i in range(1, len(segments)):
        left, right = segments[i - 1], segments[i]
        lr = 2.0 * float(
            _loglik(left.observed, left.exposure)
            + _loglik(right.observed, right.exposure)
            - _loglik(left.observed + right.observed, left.exposure + right.exposure)
        )
        p = float(stats.chi2.sf(max(lr, 0.0) / phi, 1))
        adjusted = min(1.0, p * candidates)
        at = bounds[i]
        promos = sorted(set(labels[at])) if labels is not None else []
        change = right.level / left.level - 1.0 if left.level > 0 else None
        points.append(ChangePoint(right.start, left.level, right.level, change, p, adjusted, adjusted <= alpha, promos))
    return ChangePointResult(segments, points, pen, phi, n)
