"""The declarative KPI registry (issue #5): definitions, directions, default targets, dimensions, trend logic.

Pure: no SQLAlchemy here. `aftersales.services.kpi` turns each definition into SQL aggregates.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from aftersales.errors import InvalidInputError

DIMENSIONS: tuple[str, ...] = ("region", "category", "sku", "channel", "queue", "reason", "tier")
"""Every dimension a KPI may be broken down by (a KPI supports a subset)."""

ORDER_DIMS = ("region", "category", "sku", "channel", "tier")
RETURN_DIMS = ("region", "category", "sku", "channel", "reason", "tier")
CASE_DIMS = ("region", "category", "sku", "channel", "queue", "reason", "tier")
SURVEY_DIMS = ("region", "tier")
MESSAGE_DIMS = ("region", "channel", "tier")

TOLERANCE = 1e-9


class Direction(StrEnum):
    """Whether a rising value is good news or bad news."""

    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"


@dataclass(frozen=True)
class KpiDef:
    """One KPI: labels, unit, direction, default target, what is counted, and the dimensions it supports."""

    name: str
    zh: str
    en: str
    unit: str  # ratio (0..1), count, amount, minutes, score
    direction: Direction
    target: float | None
    numerator: str
    denominator: str
    dimensions: tuple[str, ...]

    def label(self, locale: str = "zh-CN") -> str:
        """Display name for a locale (zh-* → Chinese)."""
        return self.zh if locale.lower().startswith("zh") else self.en

    def check_dimension(self, by: str | None) -> None:
        """Raise InvalidInputError when `by` is not a dimension this KPI supports."""
        if by is not None and by not in self.dimensions:
            raise InvalidInputError(
                f"KPI {self.name} cannot be broken down by {by!r}; supported dimensions: {', '.join(self.dimensions)}"
            )


H, L = Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER

_DEFS = [
    KpiDef("return_rate", "退货率", "Return rate", "ratio", L, 0.05,
           "returns requested in the window (joined to their order)", "orders placed in the window", ORDER_DIMS),
    KpiDef("exchange_rate", "换货率", "Exchange rate", "ratio", L, 0.02,
           "returns of type exchange requested in the window", "orders placed in the window", ORDER_DIMS),
    KpiDef("refund_amount", "退款金额", "Refund amount", "amount", L, None,
           "sum of returns.refund_amount over returns requested in the window", "returns requested in the window",
           RETURN_DIMS),
    KpiDef("complaint_volume", "投诉/工单量", "Complaint volume", "count", L, None,
           "cases opened in the window", "cases opened in the window", CASE_DIMS),
    KpiDef("csat", "满意度 (CSAT)", "CSAT", "score", H, 4.5,
           "sum of csat survey scores answered in the window", "csat surveys answered in the window", SURVEY_DIMS),
    KpiDef("nps", "净推荐值 (NPS)", "NPS", "score", H, 30.0,
           "% promoters (9-10) minus % detractors (0-6), x100", "nps surveys answered in the window", SURVEY_DIMS),
    KpiDef("first_response_minutes", "首次响应时长(分钟)", "First response (minutes)", "minutes", L, 30.0,
           "sum of minutes from opened_at to first_response_at", "cases opened in the window with a first response",
           CASE_DIMS),
    KpiDef("sla_compliance", "首响 SLA 达成率", "First-response SLA compliance", "ratio", H, 0.95,
           "cases opened in the window whose first response SLA was not breached", "cases opened in the window",
           CASE_DIMS),
    KpiDef("reopen_rate", "重开率", "Reopen rate", "ratio", L, 0.05,
           "cases opened in the window reopened at least once", "cases opened in the window", CASE_DIMS),
    KpiDef("escalation_rate", "投诉升级率", "Escalation rate", "ratio", L, 0.05,
           "cases opened in the window at stage intent_to_complain or formal_complaint", "cases opened in the window",
           CASE_DIMS),
    KpiDef("negative_share", "负面情绪占比", "Negative share", "ratio", L, 0.3,
           "analysed customer messages with a negative analysis", "analysed customer messages created in the window",
           MESSAGE_DIMS),
    KpiDef("emotion_recovery_rate", "情绪修复率", "Emotion recovery rate", "ratio", H, 0.7,
           "of those, cases with polarity_close >= -0.2", "cases resolved in the window with polarity_open < -0.2",
           CASE_DIMS),
]  # fmt: skip

KPIS: dict[str, KpiDef] = {d.name: d for d in _DEFS}


def get_kpi(name: str) -> KpiDef:
    """The definition of `name`, or InvalidInputError listing the known KPIs."""
    try:
        return KPIS[name]
    except KeyError:
        raise InvalidInputError(f"unknown KPI {name!r}; known KPIs: {', '.join(KPIS)}") from None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None when the denominator is missing or zero."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def trend(current: float | None, previous: float | None, direction: Direction) -> tuple[str | None, bool | None]:
    """("up" | "down" | "flat", whether that is good news given the direction); (None, None) without both values."""
    if current is None or previous is None:
        return None, None
    if abs(current - previous) <= TOLERANCE * max(1.0, abs(previous)):
        return "flat", False
    arrow = "up" if current > previous else "down"
    return arrow, (arrow == "up") == (direction is Direction.HIGHER_IS_BETTER)
