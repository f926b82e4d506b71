"""What the behaviour layer says about a customer: plain, typed, explainable (each score lists its contributors)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


@dataclass(frozen=True, slots=True)
class Factor:
    """One contributor to a score or stage: which feature, its value, and how much it pushed (signed)."""

    feature: str
    value: float | str | None
    contribution: float
    note: str = ""  # human-readable, e.g. "3 contacts about order O1 in 7 days"


@dataclass(frozen=True, slots=True)
class ChurnRisk:
    """Churn-risk score in [0, 1] with its top contributing features and which scorer produced it."""

    score: float
    level: str  # "low" | "medium" | "high"
    method: str  # "model" (trained on this merchant's history) | "rules" (fallback)
    factors: tuple[Factor, ...] = ()


@dataclass(frozen=True, slots=True)
class CustomerSignals:
    """Behavioural signals for one customer at one moment (`as_of`), optionally focused on one order/case."""

    customer_id: str
    as_of: str  # ISO timestamp (naive UTC) the signals were computed for
    tier: str  # "regular" | "vip"
    contacts_7d: int
    contacts_30d: int
    repeat_contacts_same_order: int  # earlier customer messages about the focus order (0 when no focus order)
    open_cases: int
    oldest_unresolved_case_age_hours: float | None
    reopen_count: int  # reopens summed over the customer's cases
    negative_reviews: int  # negative messages on channel review/social
    channel_path: tuple[str, ...]  # distinct channels in order of first use within the last 30 days
    channel_escalation: bool  # moved up chat/email/ticket → phone → social/review
    emotion_trend: float | None  # slope of polarity_score over the last messages (< 0: getting worse)
    recent_negative_share: float | None  # share of negative messages among the last messages
    purchase_frequency_ratio: float | None  # orders/day in the last 90 days ÷ the customer's own baseline
    orders_total: int
    returns_total: int
    return_frequency: float  # returns ÷ orders (0 when no orders)
    order_value: float | None  # amount of the focus order, when known
    churn: ChurnRisk
    behaviour_stage: str  # stage implied by behaviour alone (vocab Stage code)
    stage_factors: tuple[Factor, ...] = ()  # why behaviour_stage is what it is
    extra: dict[str, Any] = field(default_factory=dict)
    days_since_last_order: float | None = None  # None when the customer has no order yet
    tenure_days: float | None = None  # since the earliest of joining, first order, first message

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        # Field by field (dataclasses.asdict deep-copies every leaf; this runs on every API submission).
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["channel_path"] = list(self.channel_path)
        data["stage_factors"] = [_factor(f) for f in self.stage_factors]
        data["extra"] = dict(self.extra)
        churn = self.churn
        data["churn"] = {"score": churn.score, "level": churn.level, "method": churn.method,
                         "factors": [_factor(f) for f in churn.factors]}  # fmt: skip
        return data


def _factor(f: Factor) -> dict[str, Any]:
    return {"feature": f.feature, "value": f.value, "contribution": f.contribution, "note": f.note}
