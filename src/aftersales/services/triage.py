"""The pure part of triaging one message: its policy context, what it does to its case, and the records to write.

No database access here: the online path (services.pipeline) and the history replay (services.replay) both call
these functions and write their results, which is what keeps the two paths in agreement.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aftersales.nlp.types import Analysis
from aftersales.policy.context import Decision, TriageContext
from aftersales.services.runtime import Runtime
from aftersales.signals.stage import max_stage
from aftersales.signals.types import CustomerSignals
from aftersales.storage.tables import cases
from aftersales.workflow.routing import Route

PRIORITY_RANK = {"P1": 1, "P2": 2, "P3": 3, "P4": 4}


@dataclass
class Message:
    """A validated incoming interaction (times naive UTC, text already PII-masked when masking is on)."""

    interaction_id: str
    customer_id: str
    text: str
    created_at: dt.datetime
    channel: str
    author: str
    order_id: str | None = None
    return_id: str | None = None
    case_id: str | None = None
    language: str | None = None
    customer_name: str | None = None
    tier: str | None = None


def _evidence(analysis: Analysis, signals: CustomerSignals) -> dict[str, list[str]]:
    """Per context field, the words and behaviour facts behind its value (shown next to each fired rule)."""
    ev: dict[str, list[str]] = {}
    for key, spans in analysis.evidence.items():
        words = [s.text for s in spans if s.text][:5]
        if not words:
            continue
        if key.startswith("reason:"):
            ev.setdefault("reasons", []).extend(f"{key[7:]}: {w}" for w in words)
            ev.setdefault("primary_reason", []).extend(words if key[7:] == analysis.primary_reason else [])
        else:
            ev.setdefault(key, []).extend(words)
    if ev.get("primary_reason"):
        # Problem type is derived from the reasons, so the reason words are its evidence too.
        ev["problem_type"] = [f"{analysis.primary_reason}: {w}" for w in ev["primary_reason"]]
    if analysis.evidence.get("stage"):
        ev["message_stage"] = list(ev.get("stage", []))
    ev.setdefault("stage", []).extend(f.note or f.feature for f in signals.stage_factors)
    ev["churn_risk"] = [f.note or f"{f.feature}={f.value}" for f in signals.churn.factors]
    ev["churn_level"] = ev["churn_risk"]
    ev["repeat_contacts"] = [f"{signals.repeat_contacts_same_order} earlier contacts about this order"]
    ev["tier"] = [f"customer tier {signals.tier}"]
    if signals.channel_escalation:
        ev["channel_escalation"] = [" → ".join(signals.channel_path)]
    return ev


def build_context(
    analysis: Analysis, signals: CustomerSignals, msg: Message, case_row: Mapping[str, Any] | None
) -> TriageContext:
    """The policy's view of this message: analysis + behaviour + the case so far."""
    case_stage = (case_row or {}).get("stage") or "none"
    return TriageContext(
        polarity=analysis.polarity,
        polarity_score=analysis.polarity_score,
        emotion=analysis.emotion,
        intensity=analysis.intensity,
        message_stage=analysis.stage,
        stage=max_stage(analysis.stage, signals.behaviour_stage, case_stage),
        reasons=tuple(analysis.reasons),
        primary_reason=analysis.primary_reason,
        problem_type=analysis.problem_type,
        language=msg.language or analysis.language,
        tier=signals.tier or "regular",
        churn_risk=signals.churn.score,
        churn_level=signals.churn.level,
        contacts_7d=signals.contacts_7d,
        contacts_30d=signals.contacts_30d,
        repeat_contacts=signals.repeat_contacts_same_order,
        reopen_count=signals.reopen_count,
        negative_reviews=signals.negative_reviews,
        channel_escalation=signals.channel_escalation,
        emotion_trend=signals.emotion_trend,
        channel=msg.channel,
        order_value=signals.order_value,
        case_status=(case_row or {}).get("status") or "new",
        is_new_case=case_row is None,
        evidence=_evidence(analysis, signals),
    )


@dataclass
class CasePlan:
    """What one message does to its case: the full new row, whether it is new, and the audit events to write."""

    row: dict[str, Any]
    is_new: bool
    events: list[dict[str, Any]]


def _ev(case_id: str, at: dt.datetime, actor: str, kind: str, **payload: Any) -> dict[str, Any]:
    from_status, to_status = payload.pop("from_status", None), payload.pop("to_status", None)
    return {
        "case_id": case_id,
        "at": at,
        "actor": actor,
        "kind": kind,
        "from_status": from_status,
        "to_status": to_status,
        "payload": payload or None,
    }


def new_case_id(at: dt.datetime) -> str:
    """Readable, unique case ids: CS-YYYYMMDD-xxxxxxxx."""
    return f"CS-{at:%Y%m%d}-{secrets.token_hex(4)}"


def plan_case(
    rt: Runtime,
    msg: Message,
    route: Route,
    case_row: Mapping[str, Any] | None,
    analysis: Analysis,
    ctx: TriageContext,
    decision: Decision,
    actor: str,
    case_id: str | None = None,
) -> CasePlan:
    """Pure: create, attach to or reopen the case and apply the decision (escalate only, clocks only tighten)."""
    at = msg.created_at
    cal = rt.calendar
    first_due = cal.add_business_minutes(at, decision.sla_first_response_minutes)
    resolution_due = cal.add_business_minutes(at, decision.sla_resolution_minutes)
    rules = [r.rule_id for r in decision.rules_fired]
    if case_row is None:
        case_id = case_id or new_case_id(at)
        row: dict[str, Any] = {str(c.name): None for c in cases.columns}
        row.update(
            case_id=case_id,
            customer_id=msg.customer_id,
            order_id=msg.order_id,
            return_id=msg.return_id,
            status="triaged",
            priority=decision.priority,
            queue=decision.queue,
            problem_type=analysis.problem_type,
            stage=ctx.stage,
            primary_reason=analysis.primary_reason,
            channel=msg.channel,
            subject=msg.text[:120],
            opened_at=at,
            first_response_due=first_due,
            resolution_due=resolution_due,
            reopen_count=0,
            emotion_open=analysis.emotion,
            polarity_open=analysis.polarity_score,
            created_at=at,
            updated_at=at,
        )
        events = [
            _ev(case_id, at, actor, "created", to_status="new", route=route.reason, interaction=msg.interaction_id),
            _ev(
                case_id,
                at,
                "policy",
                "triaged",
                from_status="new",
                to_status="triaged",
                priority=decision.priority,
                queue=decision.queue,
                rules=rules,
            ),
        ]
        return CasePlan(row, True, events)
    case_id = case_row["case_id"]
    patch: dict[str, Any] = {"updated_at": at}
    events = []
    status = case_row["status"]
    if route.action == "reopen":
        patch.update(
            status="in_progress",
            reopen_count=(case_row.get("reopen_count") or 0) + 1,
            resolved_at=None,
            closed_at=None,
            first_response_at=None,
            first_response_due=first_due,
            resolution_due=resolution_due,
            first_response_breached_at=None,
            resolution_breached_at=None,
        )
        events.append(
            _ev(case_id, at, actor, "reopened", from_status=status, to_status="in_progress", reason=route.reason)
        )
    elif status == "waiting_customer":
        patch["status"] = "in_progress"
        events.append(_ev(case_id, at, actor, "customer_replied", from_status=status, to_status="in_progress"))
    events.append(_ev(case_id, at, actor, "message", interaction=msg.interaction_id, route=route.reason))
    old_rank = PRIORITY_RANK.get(case_row.get("priority") or "P4", 4)
    if PRIORITY_RANK[decision.priority] < old_rank:
        # Escalate: a higher priority moves the case to the decision's queue and tightens its clocks.
        patch.update(priority=decision.priority, queue=decision.queue)
        if route.action != "reopen":
            if case_row.get("first_response_at") is None:
                patch["first_response_due"] = min(d for d in (case_row.get("first_response_due"), first_due) if d)
            patch["resolution_due"] = min(d for d in (case_row.get("resolution_due"), resolution_due) if d)
        events.append(
            _ev(
                case_id,
                at,
                "policy",
                "escalated",
                priority=[case_row.get("priority"), decision.priority],
                queue=[case_row.get("queue"), decision.queue],
                rules=rules,
            )
        )
    stage = max_stage(case_row.get("stage") or "none", ctx.stage)
    if stage != (case_row.get("stage") or "none"):
        patch["stage"] = stage
        events.append(_ev(case_id, at, "policy", "stage_changed", stage=[case_row.get("stage"), stage]))
    if (case_row.get("primary_reason") or "none") == "none" and analysis.primary_reason != "none":
        patch.update(primary_reason=analysis.primary_reason, problem_type=analysis.problem_type)
    if not case_row.get("order_id") and msg.order_id:
        patch["order_id"] = msg.order_id
    return CasePlan({**case_row, **patch}, False, events)


def decision_row(case_id: str, msg: Message, ctx: TriageContext, decision: Decision) -> dict[str, Any]:
    """The decisions-table row for one triage (with the context, so what-ifs can replay it)."""
    return {
        "case_id": case_id,
        "interaction_id": msg.interaction_id,
        "policy_version": decision.policy_version,
        "priority": decision.priority,
        "queue": decision.queue,
        "strategy": list(decision.strategy),
        "sla_first_response_minutes": decision.sla_first_response_minutes,
        "sla_resolution_minutes": decision.sla_resolution_minutes,
        "reply_template": decision.reply_template,
        "auto_reply": decision.auto_reply,
        "rules_fired": [r.model_dump(mode="json") for r in decision.rules_fired],
        "compensation_limit": decision.compensation_limit,
        "notify": list(decision.notify),
        "context": ctx.model_dump(mode="json"),
        "created_at": msg.created_at,
    }


def late_stamps(
    row: Mapping[str, Any], first_response_at: dt.datetime | None = None, resolved_at: dt.datetime | None = None
) -> dict[str, Any]:
    """Breach stamps for clocks that stop late (a late answer is a breach even if no check ran in between)."""
    out: dict[str, Any] = {}
    due = row.get("first_response_due")
    if first_response_at and due and first_response_at > due and not row.get("first_response_breached_at"):
        out["first_response_breached_at"] = due
    due = row.get("resolution_due")
    if resolved_at and due and resolved_at > due and not row.get("resolution_breached_at"):
        out["resolution_breached_at"] = due
    return out


def is_problem(polarity: str | None, stage: str | None, reasons: Any) -> bool:
    """A message opens a case only when it is about a problem: thanks and praise alone do not."""
    return bool(reasons) or polarity == "negative" or (stage or "none") != "none"
