"""Reason Pareto: counts sorted high to low with shares, cumulative share and the "vital few" up to a threshold."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from aftersales.analytics.insights.reasons import reason_labels
from aftersales.errors import InvalidInputError

VITAL_SHARE = 0.8


@dataclass(frozen=True)
class ParetoBar:
    """One reason's bar: how many, its share of all, the running share up to it, and whether it is vital."""

    reason: str
    zh: str
    en: str
    count: int
    share: float
    cumulative_share: float
    vital: bool


@dataclass(frozen=True)
class Pareto:
    """The whole chart: source, total, bars (largest first) and the vital few that reach the threshold."""

    source: str
    total: int
    threshold: float
    bars: list[ParetoBar]
    vital_few: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def pareto(counts: Mapping[str, int], source: str, threshold: float = VITAL_SHARE) -> Pareto:
    """Order reasons by count (ties by code) and mark the fewest whose cumulative share reaches `threshold`."""
    if not 0 < threshold <= 1:
        raise InvalidInputError(f"Pareto threshold must be in (0, 1], got {threshold}")
    items = sorted(((str(k), int(v)) for k, v in counts.items() if int(v) > 0), key=lambda kv: (-kv[1], kv[0]))
    total = sum(v for _, v in items)
    bars: list[ParetoBar] = []
    running = 0
    for reason, count in items:
        # A bar is vital while the share *before* it is still short of the threshold (it closes the gap).
        vital = running / total < threshold - 1e-12
        running += count
        zh, en = reason_labels(reason)
        bars.append(ParetoBar(reason, zh, en, count, count / total, running / total, vital))
    return Pareto(source, total, threshold, bars, [b.reason for b in bars if b.vital])
