"""Which series changed level, and when: one most-likely break per series, tested against the search it took.

Finding "the SKU whose hard-to-use returns fell in February" means testing every SKU (× reason) at every week. A
per-week χ² p-value would be far too optimistic (the week was chosen because it looks best) and Bonferroni over the
weeks far too strict (neighbouring weeks are almost the same test). So each series gets the *supremum* likelihood-ratio
statistic of a single rate change over all admissible weeks (Andrews' sup-LR), and its p-value is read off the same
statistic's distribution under "no change": events reallocated to weeks in proportion to exposure (a multinomial, the
exact conditional null of a constant Poisson rate), simulated. Over-dispersed series have the statistic divided by
their Pearson dispersion first. Benjamini–Hochberg then controls the false-discovery rate over all series scanned.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from statsmodels.stats.multitest import multipletests

from aftersales.errors import InvalidInputError

DIRECTIONS = ("both", "down", "up")
K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class WeeklySeries:
    """One series: week starts, events per week and the exposure (orders, or days covered) per week."""

    weeks: Sequence[dt.date]
    observed: Sequence[float]
    exposure: Sequence[float]


@dataclass(frozen=True)
class SeriesChange:
    """The best single break of one series: when, levels either side, the search-adjusted p and the FDR q."""

    key: Hashable
    date: dt.date
    before: float
    after: float
    change: float | None
    events: int
    statistic: float
    dispersion: float
    p_value: float
    q_value: float
    significant: bool


def _ll(o: np.ndarray, x: np.ndarray | float) -> np.ndarray:
    """Maximised Poisson log-likelihood terms o·log(o/x) (0 where o = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out: np.ndarray = np.where(o > 0, o * np.log(np.where(o > 0, o / x, 1.0)), 0.0)
    return out


def sup_lr(
    observed: np.ndarray, exposure: np.ndarray, min_size: int, direction: str = "both"
) -> tuple[np.ndarray, np.ndarray]:
    """sup over split points of the single-change LR statistic, for one series or a batch (rows); and the argmax.

    Split k means weeks [0, k) before and [k, n) after; both sides hold at least `min_size` weeks. `direction`
    keeps only falls ("down") or rises ("up") of the rate.
    """
    o = np.atleast_2d(np.asarray(observed, dtype=float))
    x = np.asarray(exposure, dtype=float)
    n = x.shape[-1]
    ks = np.arange(min_size, n - min_size + 1)
    co, cx = np.cumsum(o, axis=-1), np.cumsum(x)
    total_o, total_x = co[:, -1:], cx[-1]
    a, xa = co[:, ks - 1], cx[ks - 1]
    b, xb = total_o - a, total_x - xa
    valid = (xa > 0) & (xb > 0)
    lr = 2.0 * (_ll(a, xa) + _ll(b, xb) - _ll(total_o, total_x))
    lr = np.where(valid, np.maximum(lr, 0.0), 0.0)
    if direction != "both":
        with np.errstate(divide="ignore", invalid="ignore"):
            fell = b / xb < a / xa
        lr = np.where(fell if direction == "down" else ~fell, lr, 0.0)
    best = lr.argmax(axis=-1)
    return lr.max(axis=-1), ks[best]


def _dispersion(o: np.ndarray, x: np.ndarray, k: int) -> float:
    """Pearson χ²/dof of the two-rate fit split at k, at least 1 (sparse series: never below Poisson)."""
    fitted = np.empty_like(o)
    for lo, hi in ((0, k), (k, len(o))):
        xs = x[lo:hi].sum()
        fitted[lo:hi] = (o[lo:hi].sum() / xs if xs > 0 else 0.0) * x[lo:hi]
    used = fitted > 0
    dof = int(used.sum()) - 2
    if dof <= 0:
        return 1.0
    return max(1.0, float((((o - fitted) ** 2)[used] / fitted[used]).sum()) / dof)


def scan_changes(
    series: Mapping[K, WeeklySeries],
    min_size: int = 4,
    min_events: int = 10,
    direction: str = "both",
    alpha: float = 0.05,
    simulations: int = 2000,
    seed: int = 0,
) -> tuple[list[SeriesChange], int]:
    """Every series with at least `min_events` events tested for one change; returns (results by p, number tested).

    A series with no move in the asked direction counts as tested (p = 1) but is not listed.
    """
    if direction not in DIRECTIONS:
        raise InvalidInputError(f"unknown direction {direction!r}; use one of: {', '.join(DIRECTIONS)}")
    if min_size < 2:
        raise InvalidInputError(f"min_size must be at least 2 weeks, got {min_size}")
    if simulations < 100:
        raise InvalidInputError(f"simulations must be at least 100, got {simulations}")
    rng = np.random.default_rng(seed)
    rows: list[tuple[Hashable, dt.date, float, float, float | None, int, float, float, float]] = []
    for key, s in series.items():
        o = np.asarray(s.observed, dtype=float)
        x = np.asarray(s.exposure, dtype=float)
        if not len(o) == len(x) == len(s.weeks):
            raise InvalidInputError(f"series {key!r}: weeks, counts and exposures differ in length")
        total = int(np.rint(o.sum()))
        if total < min_events or len(o) < 2 * min_size or x.sum() <= 0:
            continue
        stat, k = sup_lr(o, x, min_size, direction)
        split = int(k[0])
        if stat[0] <= 0:  # no move at all in the direction asked for: tested, nothing to show
            rows.append((key, s.weeks[split], 0.0, 0.0, None, total, 0.0, 1.0, 1.0))
            continue
        phi = _dispersion(o, x, split)
        observed_stat = float(stat[0]) / phi
        null = rng.multinomial(total, x / x.sum(), size=simulations).astype(float)
        null_stat, _ = sup_lr(null, x, min_size, direction)
        p = float((1 + np.count_nonzero(null_stat >= observed_stat - 1e-9)) / (simulations + 1))
        before = o[:split].sum() / x[:split].sum()
        after = o[split:].sum() / x[split:].sum()
        change = after / before - 1.0 if before > 0 else None
        rows.append((key, s.weeks[split], float(before), float(after), change, total, observed_stat, phi, p))
    if not rows:
        return [], 0
    q = multipletests([r[-1] for r in rows], method="fdr_bh")[1]
    out = [
        SeriesChange(key, date, before, after, change, n, stat, phi, p, float(qv), bool(qv <= alpha))
        for (key, date, before, after, change, n, stat, phi, p), qv in zip(rows, q, strict=True)
        if stat > 0
    ]
    out.sort(key=lambda c: (c.p_value, -c.statistic))
    return out, len(rows)
