"""The triage contract: what the policy engine reads (TriageContext) and what it returns (Decision)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class TriageContext(BaseModel):
    """Everything a policy condition may test: the message's analysis, the customer's signals and the case."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # from the Analysis of the message (nlp)
    polarity: str = "neutral"
    polarity_score: float = 0.0
    emotion: str = "neutral"
    intensity: int = 1
    message_stage: str = "none"  # stage read from the message text alone
    stage: str = "none"  # effective stage: max(message, behaviour, case so far)
    reasons: tuple[str, ...] = ()
    primary_reason: str = "none"
    problem_type: str = "other"
    language: str = "zh"
    # from the customer and behaviour (signals)
    tier: str = "regular"
    churn_risk: float = 0.0
    churn_level: str = "low"
    contacts_7d: int = 0
    contacts_30d: int = 0
    repeat_contacts: int = 0  # earlier contacts about the same order/case
    reopen_count: int = 0
    negative_reviews: int = 0
    channel_escalation: bool = False
    emotion_trend: float | None = None
    # the message and case
    channel: str = "chat"
    order_value: float | None = None
    case_status: str = "new"
    is_new_case: bool = True
    # evidence per field, filled by the service
    # (e.g. {"emotion": ["气死了"], "repeat_contacts": ["3 earlier contacts"]})
    evidence: dict[str, list[str]] = Field(default_factory=dict)


class FiredRule(BaseModel):
    """One policy rule that matched: what it tested (with the values and evidence seen) and what it set."""

    model_config = ConfigDict(frozen=True)

    rule_id: str
    description: str = ""
    conditions: list[dict[str, Any]] = Field(default_factory=list)  # {"field", "op", "expected", "actual", "evidence"}
    effects: dict[str, Any] = Field(default_factory=dict)
    # what the effects actually changed: {"priority": {"from": "P3", "to": "P2"}, "strategy": {"added": ["callback"]}}
    changes: dict[str, Any] = Field(default_factory=dict)


class Decision(BaseModel):
    """The triage outcome for one message/case; `rules_fired` explains every field."""

    model_config = ConfigDict(frozen=True)

    policy_version: str
    priority: str  # P1..P4
    queue: str
    strategy: list[str]  # e.g. ["apologise", "expedite", "compensation"]
    compensation_limit: float | None = None  # the most an agent may offer without approval (currency units)
    sla_first_response_minutes: int  # business minutes
    sla_resolution_minutes: int  # business minutes
    reply_template: str
    auto_reply: bool = False
    notify: list[str] = Field(default_factory=list)  # notification channel names from the policy
    rules_fired: list[FiredRule] = Field(default_factory=list)
