"""The declarative KPI registry (issue #5): definitions, directions, default targets, dimensions, trend logic.

Pure: no SQLAlchemy here. `aftersales.services.kpi` turns each definition into SQL aggregates that return a
numerator and a denominator per dimension value; `value_of` turns those into the KPI value by the KPI's `agg`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from aftersales.errors import InvalidInputError

DIMENSIONS: tuple[str, ...] = ("region", "category", "sku", "channel", "queue", "reason", "tier")
"""Every dimension a KPI may be broken down by (a KPI supports a subset)."""

ORDER_DIMS = ("region", "category", "sku", "channel", "tier")
RETURN_DIMS = ("region", "category", "sku", "channel", "reason", "tier")
CASE_DIMS = ("region", "category", "sku", "channel", "queue", "reason", "tier")
COMPLAINT_DIMS = ("region", "category", "sku", "tier")
SURVEY_DIMS = ("region", "tier")
MESSAGE_DIMS = ("region", "channel", "tier")
CUSTOMER_DIMS = ("region", "tier")

REPURCHASE_DAYS = 90
"""Follow-up after a customer's return in which a new order counts as a repurchase (issue #5: 90 days)."""

TOLERANCE = 1e-9


class Direction(StrEnum):
    """Whether a rising value is good news or bad news."""

    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"


class Agg(StrEnum):
    """How the value follows from the SQL aggregate (num, den), so every KPI shares one (dim, num, den) shape."""

    RATIO = "ratio"  # num / den × scale; null without a denominator
    TOTAL = "total"  # num itself (a sum); null without rows
    COUNT = "count"  # num itself; 0 without rows
    PERCENTILE = "percentile"  # num is the percentile computed in SQL; null without rows


@dataclass(frozen=True)
class KpiDef:
    """One KPI: labels, unit, direction, default target, what is counted, and the dimensions it supports."""

    name: str
    zh: str
    en: str
    unit: str  # ratio (0..1), count, amount, minutes, hours, score
    direction: Direction
    target: float | None
    numerator: str
    denominator: str
    dimensions: tuple[str, ...]
    agg: Agg = Agg.RATIO
    scale: float = 1.0
    percentile: float | None = None  # for Agg.PERCENTILE: the fraction (0.5 = median), as percentile_cont

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
RATIO, TOTAL, COUNT, PCT = Agg.RATIO, Agg.TOTAL, Agg.COUNT, Agg.PERCENTILE
OPENED = "cases opened in the window"
RESPONDED = "cases opened in the window with a first response"
RESOLVED = "cases resolved in the window"

_DEFS = [
    KpiDef("return_rate", "退货率", "Return rate", "ratio", L, 0.05,
           "returns requested in the window (joined to their order)", "orders placed in the window", ORDER_DIMS),
    KpiDef("exchange_rate", "换货率", "Exchange rate", "ratio", L, 0.02,
           "returns of type exchange requested in the window", "orders placed in the window", ORDER_DIMS),
    KpiDef("refund_amount", "退款金额", "Refund amount", "amount", L, None,
           "sum of returns.refund_amount over returns requested in the window", "returns requested in the window",
           RETURN_DIMS, agg=TOTAL),
    KpiDef("complaint_volume", "投诉/工单量", "Complaint volume", "count", L, None, OPENED, OPENED, CASE_DIMS,
           agg=COUNT),
    KpiDef("complaint_rate", "投诉率", "Complaint rate", "ratio", L, 0.03,
           OPENED, "orders placed in the window", COMPLAINT_DIMS),
    KpiDef("csat", "满意度 (CSAT)", "CSAT", "score", H, 4.5,
           "sum of csat survey scores answered in the window", "csat surveys answered in the window", SURVEY_DIMS),
    KpiDef("nps", "净推荐值 (NPS)", "NPS", "score", H, 30.0,
           "promoters (9-10) minus detractors (0-6)", "nps surveys answered in the window", SURVEY_DIMS, scale=100.0),
    KpiDef("first_contact_resolution", "一次解决率", "First-contact resolution", "ratio", H, 0.7,
           "resolved cases never reopened with at most one customer message", RESOLVED, CASE_DIMS),
    KpiDef("first_response_minutes", "首次响应时长(分钟)", "First response (minutes)", "minutes", L, 30.0,
           "sum of minutes from opened_at to first_response_at", RESPONDED, CASE_DIMS),
    KpiDef("first_response_minutes_p50", "首次响应时长中位数(分钟)", "First response p50 (minutes)", "minutes", L,
           15.0, "median minutes from opened_at to first_response_at", RESPONDED, CASE_DIMS, agg=PCT,
           percentile=0.5),
    KpiDef("first_response_minutes_p90", "首次响应时长 P90(分钟)", "First response p90 (minutes)", "minutes", L,
           60.0, "90th percentile of minutes from opened_at to first_response_at", RESPONDED, CASE_DIMS, agg=PCT,
           percentile=0.9),
    KpiDef("resolution_hours", "解决时长(小时)", "Resolution time (hours)", "hours", L, 48.0,
           "sum of hours from opened_at to resolved_at", RESOLVED, CASE_DIMS),
    KpiDef("resolution_hours_p50", "解决时长中位数(小时)", "Resolution time p50 (hours)", "hours", L, 24.0,
           "median hours from opened_at to resolved_at", RESOLVED, CASE_DIMS, agg=PCT, percentile=0.5),
    KpiDef("resolution_hours_p90", "解决时长 P90(小时)", "Resolution time p90 (hours)", "hours", L, 72.0,
           "90th percentile of hours from opened_at to resolved_at", RESOLVED, CASE_DIMS, agg=PCT, percentile=0.9),
    KpiDef("sla_compliance", "首响 SLA 达成率", "First-response SLA compliance", "ratio", H, 0.95,
           "cases opened in the window whose first response SLA was not breached", OPENED, CASE_DIMS),
    KpiDef("reopen_rate", "重开率", "Reopen rate", "ratio", L, 0.05,
           "cases opened in the window reopened at least once", OPENED, CASE_DIMS),
    KpiDef("escalation_rate", "投诉升级率", "Escalation rate", "ratio", L, 0.05,
           "cases opened in the window at stage intent_to_complain or formal_complaint", OPENED, CASE_DIMS),
    KpiDef("negative_share", "负面情绪占比", "Negative share", "ratio", L, 0.3,
           "analysed customer messages with a negative analysis", "analysed customer messages created in the window",
           MESSAGE_DIMS),
    KpiDef("emotion_recovery_rate", "情绪修复率", "Emotion recovery rate", "ratio", H, 0.7,
           "of those, cases with polarity_close >= -0.2", "cases resolved in the window with polarity_open < -0.2",
           CASE_DIMS),
    KpiDef("repurchase_rate", "退货后复购率", "Repurchase after return", "ratio", H, 0.3,
           f"of those, customers with an order within {REPURCHASE_DAYS} days after their first return in the window",
           f"customers with a return in the window whose {REPURCHASE_DAYS}-day follow-up is observed",
           CUSTOMER_DIMS),
    KpiDef("churn_rate", "客户流失率", "Churn rate", "ratio", L, 0.2,
           "of those, customers with no order in the churn_horizon_days before the window's end",
           "customers with an order in the churn_horizon_days before the window's start", CUSTOMER_DIMS),
]  # fmt: skip

KPIS: dict[str, KpiDef] = {d.name: d for d in _DEFS}


def get_kpi(name: str) -> KpiDef:
    """The definition of `name`, or InvalidInputError listing the known KPIs."""
    try:
        return KPIS[name]
    except KeyError:
        raise InvalidInputError(f"unknown KPI {name!r}; known KPIs: {', '.join(KPIS)}") from None


def unknown_kpis(names: Mapping[str, object]) -> list[str]:
    """The keys of `names` that are not registry KPIs (used to validate configured targets)."""
    return [n for n in names if n not in KPIS]


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None when the denominator is missing or zero."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def value_of(kpi: KpiDef, num: float, den: int) -> float | None:
    """The KPI value from its SQL aggregate, by the KPI's `agg` (see `Agg`)."""
    if kpi.agg is Agg.COUNT:
        return float(num)
    if kpi.agg in (Agg.TOTAL, Agg.PERCENTILE):
        return float(num) if den else None
    value = ratio(num, den)
    return None if value is None else value * kpi.scale


def trend(current: float | None, previous: float | None, direction: Direction) -> tuple[str | None, bool | None]:
    """("up" | "down" | "flat", whether that is good news given the direction); (None, None) without both values."""
    if current is None or previous is None:
        return None, None
    if abs(current - previous) <= TOLERANCE * max(1.0, abs(previous)):
        return "flat", False
    arrow = "up" if current > previous else "down"
    return arrow, (arrow == "up") == (direction is Direction.HIGHER_IS_BETTER)
