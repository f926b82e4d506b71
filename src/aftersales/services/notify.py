"""Which notifications a change produces and where they go: customers by e-mail, the team by group-robot webhooks.

Notifications are written to the outbox in the same transaction as the change that caused them, so they exist
exactly when the change commits; `deliver` (the `aftersales outbox deliver` worker) sends them with retries.
Events for a channel with no configured sender are not queued (the case's audit trail says so).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update

from aftersales.config import Settings, get_settings
from aftersales.policy.context import Decision
from aftersales.policy.replies import ReplyContext, render_notification
from aftersales.services import outbox
from aftersales.services.runtime import Runtime, get_runtime
from aftersales.storage import db
from aftersales.storage.tables import case_events, cases, customers, orders
from aftersales.workflow.sla import find_breaches

CUSTOMER_EVENTS = ("return_received", "refund_issued", "replacement_shipped")
TEAM_EVENTS = ("case_escalated", "sla_breach")
_CJK = re.compile(r"[\u4e00-\u9fff]")
OPEN = ("new", "triaged", "in_progress", "waiting_customer")


def _language(case_row: Mapping[str, Any], hint: str | None = None) -> str:
    if hint in ("zh", "en", "mixed"):
        return "en" if hint == "en" else "zh"
    return "zh" if _CJK.search(str(case_row.get("subject") or "")) else "en"


def _local(value: dt.datetime | None, settings: Settings) -> dt.datetime | None:
    return None if value is None else value.replace(tzinfo=dt.UTC).astimezone(settings.zone)


def _reply_context(conn: Connection, rt: Runtime, case_row: Mapping[str, Any], **values: Any) -> ReplyContext:
    """The customer, order and case facts a notification may mention."""
    cust = conn.execute(
        select(customers.c.name, customers.c.tier).where(customers.c.customer_id == case_row["customer_id"])
    ).first()
    product = None
    if case_row.get("order_id"):
        product = conn.execute(select(orders.c.product_name).where(orders.c.order_id == case_row["order_id"])).scalar()
    reason = case_row.get("primary_reason")
    values.setdefault("customer_name", cust.name if cust else None)
    values.setdefault("tier", (cust.tier if cust else None) or "regular")
    values.setdefault("order_id", case_row.get("order_id"))
    values.setdefault("product_name", product)
    values.setdefault("reasons", (reason,) if reason and reason != "none" else ())
    values.setdefault("emotion", case_row.get("emotion_open") or "neutral")
    values.setdefault("stage", case_row.get("stage") or "none")
    values.setdefault("first_response_due", _local(case_row.get("first_response_due"), rt.settings))
    values.setdefault("resolution_due", _local(case_row.get("resolution_due"), rt.settings))
    values.setdefault("case_id", case_row.get("case_id"))
    return ReplyContext(**values)


def _customer_email(conn: Connection, customer_id: str) -> str | None:
    return conn.execute(select(customers.c.email).where(customers.c.customer_id == customer_id)).scalar()


def _email(
    conn: Connection, case_id: str, to: str, subject: str, body: str, event: str, not_before: dt.datetime | None = None
) -> None:
    """Queue one e-mail to a customer in the outbox."""
    outbox.enqueue(
        conn,
        case_id=case_id,
        channel=outbox.EMAIL_CHANNEL,
        recipient=to,
        subject=subject,
        body=body,
        payload={"event": event},
        not_before=not_before,
    )


def enqueue_customer_event(
    conn: Connection,
    rt: Runtime,
    case_row: Mapping[str, Any],
    event: str,
    not_before: dt.datetime | None = None,
    language: str | None = None,
    **extra: Any,
) -> bool:
    """Queue a customer-facing notification by e-mail; False (and nothing queued) when it cannot be delivered."""
    email = _customer_email(conn, case_row["customer_id"])
    if not email or outbox.EMAIL_CHANNEL not in rt.senders:
        return False
    ctx = _reply_context(conn, rt, case_row)
    subject, body = render_notification(event, _language(case_row, language), ctx, **extra)
    _email(conn, case_row["case_id"], email, subject, body, event, not_before)
    return True


def enqueue_team_event(
    conn: Connection, rt: Runtime, case_row: Mapping[str, Any], event: str, language: str | None = None, **extra: Any
) -> int:
    """Post a team notification to every configured group-robot webhook; returns how many were queued."""
    hooks = [name for name in rt.senders if name != outbox.EMAIL_CHANNEL]
    if not hooks:
        return 0
    ctx = _reply_context(conn, rt, case_row)
    subject, body = render_notification(event, _language(case_row, language), ctx, **extra)
    for name in hooks:
        outbox.enqueue(
            conn,
            case_id=case_row["case_id"],
            channel=name,
            recipient=name,
            subject=subject,
            body=body,
            payload={"event": event, "priority": case_row.get("priority"), "queue": case_row.get("queue")},
        )
    return len(hooks)


def enqueue_decision_events(
    conn: Connection,
    rt: Runtime,
    case_row: Mapping[str, Any],
    decision: Decision,
    customer: Mapping[str, Any],
    language: str | None,
    escalated: bool = True,
) -> None:
    """Queue what a triage may send at once: `case_escalated` to the team, when this message opened or escalated the
    case. The other events in `notify` are subscriptions sent when they happen: customer progress events by
    notify_progress (a customer reporting a defect must not be told at triage that the refund was paid), sla_breach
    by detect_breaches, followup_survey on resolution."""
    if escalated and "case_escalated" in decision.notify:
        # The team gets an internal alert (escalation_alert); `case_escalated` itself is the customer-facing notice.
        enqueue_team_event(
            conn,
            rt,
            case_row,
            "escalation_alert",
            language,
            escalated_to=queue_name(rt, case_row.get("queue"), language),
        )


def queue_name(rt: Runtime, code: str | None, language: str | None) -> str | None:
    """A queue's display name from the policy (e.g. 投诉处理), falling back to its code."""
    for queue in rt.policy.queues:
        if queue.code == code:
            return queue.en if language == "en" else queue.zh
    return code


def enqueue_reply(conn: Connection, rt: Runtime, case_row: Mapping[str, Any], text: str) -> bool:
    """E-mail an agent's reply to the customer when they have an address and e-mail is configured."""
    email = _customer_email(conn, case_row["customer_id"])
    if not email or outbox.EMAIL_CHANNEL not in rt.senders:
        return False
    zh = _language(case_row) == "zh"
    subject = f"关于您的售后问题 [{case_row['case_id']}]" if zh else f"About your request [{case_row['case_id']}]"
    _email(conn, case_row["case_id"], email, subject, text, "reply")
    return True


def detect_breaches(settings: Settings | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """Stamp newly breached SLA clocks on open cases, write the audit trail, notify the team once per clock."""
    settings = settings or get_settings()
    rt = get_runtime(settings)
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    c = cases.c
    # SQL narrows to open cases with an unstamped clock past due; workflow.sla.find_breaches decides per clock.
    first = and_(c.first_response_due < now, c.first_response_breached_at.is_(None))
    resolution = and_(c.resolution_due < now, c.resolution_breached_at.is_(None))
    found = {"first_response": 0, "resolution": 0}
    with db.transaction(db.get_engine(settings)) as conn:
        rows = {
            r["case_id"]: dict(r)
            for r in conn.execute(select(cases).where(c.status.in_(OPEN), or_(first, resolution))).mappings()
        }
        for breach in find_breaches(rows.values(), now, rt.calendar):
            found[breach.clock] += 1
            # The stamp is when the clock broke (its due time), the same whether noticed live, late or in a replay.
            conn.execute(
                update(cases).where(c.case_id == breach.case_id).values({f"{breach.clock}_breached_at": breach.due})
            )
            over = round(breach.minutes_over)  # business minutes
            conn.execute(
                insert(case_events).values(
                    case_id=breach.case_id, at=now, actor="sla", kind="sla_breach",
                    payload={"clock": breach.clock, "due": breach.due.isoformat(), "minutes_over": over},
                )
            )  # fmt: skip
            if breach.ongoing:  # a clock that already stopped late needs a record, not an alert
                enqueue_team_event(conn, rt, rows[breach.case_id], "sla_breach", minutes_over=over)
    return {"checked_at": now.isoformat(), "breached": found}


def deliver(settings: Settings | None = None, senders: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One delivery round of the outbox (pass `senders` to reuse their HTTP pools across rounds)."""
    settings = settings or get_settings()
    if senders is None:
        senders = outbox.senders_from_settings(settings)
    report = outbox.deliver_due(db.get_engine(settings), senders)
    return {"sent": report.sent, "retried": report.retried, "dead": report.dead, "errors": report.errors}
