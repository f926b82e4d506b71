"""The closed loop for one message: store → analyse → signals → policy decision → case, in one transaction."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from typing import Any

import pandas as pd
from sqlalchemy import Connection, bindparam, insert, update
from sqlalchemy.exc import IntegrityError

from aftersales.config import Settings, get_settings
from aftersales.errors import ConflictError, InvalidInputError
from aftersales.services.history import CustomerHistory, load_customer_history
from aftersales.services.runtime import Runtime, get_runtime
from aftersales.services.triage import (
    CasePlan,
    Message,
    _ev,
    build_context,
    decision_row,
    is_problem,
    late_stamps,
    plan_case,
)
from aftersales.signals.scalar import signals_from_rows
from aftersales.storage import db
from aftersales.storage.db import utcnow
from aftersales.storage.tables import analyses, case_events, cases, customers, decisions, interactions
from aftersales.vocab import Channel, Language
from aftersales.workflow.routing import idle_resolution, route_message

ANALYSIS_COLUMNS = set(analyses.c.keys()) - {"id", "interaction_id", "created_at"}


def to_utc(value: Any, settings: Settings, field_name: str) -> dt.datetime:
    """ISO time → naive UTC; naive input is read in the configured timezone (DESIGN.md §4)."""
    if isinstance(value, dt.datetime):
        stamp = pd.Timestamp(value)
    else:
        try:
            stamp = pd.Timestamp(str(value))
        except (ValueError, TypeError):
            raise InvalidInputError(f"{field_name}: not an ISO-8601 time: {value!r}") from None
    if pd.isna(stamp):
        raise InvalidInputError(f"{field_name}: not an ISO-8601 time: {value!r}")
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(settings.zone)
    result: dt.datetime = stamp.tz_convert("UTC").tz_localize(None).to_pydatetime()
    return result


def _opt_str(payload: Mapping[str, Any], key: str, limit: int = 128) -> str | None:
    value = payload.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if len(text) > limit:
        raise InvalidInputError(f"{key}: longer than {limit} characters")
    return text


def validate_message(payload: Mapping[str, Any], settings: Settings) -> Message:
    """Check an interaction payload field by field; errors name the field."""
    customer_id = _opt_str(payload, "customer_id")
    if customer_id is None:
        raise InvalidInputError("customer_id: required")
    text = payload.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError("text: required, a non-empty string")
    if len(text) > 100_000:
        raise InvalidInputError("text: longer than 100,000 characters")
    channel = _opt_str(payload, "channel", 32) or "chat"
    if channel not in Channel.codes():
        raise InvalidInputError(f"channel: {channel!r} is not one of {', '.join(Channel.codes())}")
    author = _opt_str(payload, "author", 32) or "customer"
    if author not in ("customer", "agent"):
        raise InvalidInputError(f"author: {author!r} is not customer or agent")
    language = _opt_str(payload, "language", 32)
    if language is not None and language not in Language.codes():
        raise InvalidInputError(f"language: {language!r} is not one of {', '.join(Language.codes())}")
    tier = _opt_str(payload, "tier", 32)
    if tier is not None and tier not in ("regular", "vip"):
        raise InvalidInputError(f"tier: {tier!r} is not regular or vip")
    created = payload.get("created_at")
    if settings.mask_pii:
        from aftersales.nlp.pii import mask_pii

        text = mask_pii(text).text
    return Message(
        interaction_id=_opt_str(payload, "interaction_id") or f"api-{secrets.token_hex(8)}",
        customer_id=customer_id,
        text=text,
        created_at=to_utc(created, settings, "created_at") if created not in (None, "") else utcnow(),
        channel=channel,
        author=author,
        order_id=_opt_str(payload, "order_id"),
        return_id=_opt_str(payload, "return_id"),
        case_id=_opt_str(payload, "case_id"),
        language=language,
        customer_name=_opt_str(payload, "customer_name", 200),
        tier=tier,
    )


def _update_case(conn: Connection, case_id: str, values: Mapping[str, Any]) -> None:
    """UPDATE cases by id with values as parameters: the compiled statement is cached per column set (building
    literal-valued statements per request cost more than the database work)."""
    if values:
        conn.execute(_U_CASE, {**values, "case_id_": case_id})


_U_CASE = update(cases).where(cases.c.case_id == bindparam("case_id_"))


_U_CUSTOMER = update(customers).where(customers.c.customer_id == bindparam("cid_"))


def _ensure_customer(conn: Connection, msg: Message, history: CustomerHistory) -> None:
    """Unknown customers become pending rows (as in ingest); a name/tier sent with the message fills blanks."""
    if not history.exists:
        conn.execute(
            insert(customers),
            {
                "customer_id": msg.customer_id,
                "name": msg.customer_name,
                "tier": msg.tier,
                "pending": msg.customer_name is None,
            },
        )
        return
    patch = {k: v for k, v in (("name", msg.customer_name), ("tier", msg.tier)) if v and not history.stored.get(k)}
    if patch:
        conn.execute(_U_CUSTOMER, {**patch, "cid_": msg.customer_id})


def _store_interaction(conn: Connection, msg: Message, case_id: str | None) -> None:
    """Insert the message; its id is the primary key, so a duplicate is refused by the database (no extra query)."""
    try:
        _insert_interaction(conn, msg, case_id)
    except IntegrityError as exc:
        # SQLite: "UNIQUE constraint failed: interactions.interaction_id"; PostgreSQL: unique_violation (23505).
        # (No query here: after an error PostgreSQL refuses every statement until the transaction rolls back.)
        text = str(exc.orig).lower()
        if "unique" in text or "duplicate" in text or getattr(exc.orig, "sqlstate", None) == "23505":
            raise ConflictError(f"interaction {msg.interaction_id!r} already exists") from None
        raise


def _insert_interaction(conn: Connection, msg: Message, case_id: str | None) -> None:
    conn.execute(
        insert(interactions),
        {
            "interaction_id": msg.interaction_id,
            "customer_id": msg.customer_id,
            "text": msg.text,
            "created_at": msg.created_at,
            "order_id": msg.order_id,
            "return_id": msg.return_id,
            "case_id": case_id,
            "channel": msg.channel,
            "author": msg.author,
            "language": msg.language,
        },
    )


def _write_case(conn: Connection, plan: CasePlan) -> None:
    if plan.is_new:
        conn.execute(insert(cases), plan.row)
    else:
        row = {k: v for k, v in plan.row.items() if k in cases.c and k != "case_id"}
        _update_case(conn, plan.row["case_id"], row)
    if plan.events:
        conn.execute(insert(case_events), plan.events)  # executemany with bound parameters


def _agent_message(
    conn: Connection, msg: Message, history: CustomerHistory, actor: str, status: str | None
) -> dict[str, Any]:
    """An agent's message answers the case: it stops the first-response clock and is not analysed."""
    route = route_message(history.case_refs, at=msg.created_at, order_id=msg.order_id, case_id=msg.case_id)
    case_row = history.case_rows.get(route.case_id or "")
    if case_row is None or route.action != "attach":
        _store_interaction(conn, msg, None)
        return {"interaction_id": msg.interaction_id, "case": None}
    _store_interaction(conn, msg, case_row["case_id"])
    patch: dict[str, Any] = {"updated_at": msg.created_at}
    if case_row.get("first_response_at") is None:
        patch["first_response_at"] = msg.created_at
        patch.update(late_stamps(case_row, first_response_at=msg.created_at))
    events = [_ev(case_row["case_id"], msg.created_at, actor, "agent_message", interaction=msg.interaction_id)]
    if status and case_row["status"] != status:
        # An answer from the team hands the turn to the customer (the same rule the history replay applies).
        events.append(_ev(case_row["case_id"], msg.created_at, actor, "transition", from_status=case_row["status"],
                          to_status=status))  # fmt: skip
        patch["status"] = status
    _update_case(conn, case_row["case_id"], patch)
    conn.execute(insert(case_events), events)
    return {"interaction_id": msg.interaction_id, "case": {**case_row, **patch}}


def idle_resolutions(history: CustomerHistory, msg: Message) -> list[dict[str, Any]]:
    """Cases left silent (workflow.routing.idle_resolution) count as resolved before routing, as in the replay.

    Pure: updates the in-memory history and returns the audit events; `_apply_idle` writes them.
    """
    last_agent: dict[str, dt.datetime] = {}
    last_activity: dict[str, dt.datetime] = {}
    for m in history.rows["messages"]:
        case_id = m["case_id"]
        if case_id is None or m["interaction_id"] == msg.interaction_id:
            continue
        at = m["created_at"]
        if m["author"] == "agent" and (case_id not in last_agent or at > last_agent[case_id]):
            last_agent[case_id] = at
        if case_id not in last_activity or at > last_activity[case_id]:
            last_activity[case_id] = at
    events = []
    for case_id, row in list(history.case_rows.items()):
        if row["status"] not in ("new", "triaged", "in_progress", "waiting_customer") or case_id == msg.case_id:
            continue  # a message that names its case is about that case, however long it was silent
        activity = max(row["opened_at"], last_activity.get(case_id, row["opened_at"]))
        found = idle_resolution(row["status"], last_agent.get(case_id), activity, msg.created_at)
        if found is None:
            continue
        at, note = found
        events.append(_ev(case_id, at, "policy", "transition", from_status=row["status"], to_status="resolved",
                          note=note))  # fmt: skip
        history.case_rows[case_id] = {**row, "status": "resolved", "resolved_at": at}
        for c in history.rows["cases"]:
            if c["case_id"] == case_id:
                c.update(status="resolved", resolved_at=at)
    return events


def _apply_idle(conn: Connection, events: list[dict[str, Any]]) -> None:
    for event in events:
        _update_case(conn, event["case_id"], {"status": "resolved", "resolved_at": event["at"]})
    if events:
        conn.execute(insert(case_events), events)


def process_message(
    conn: Connection, rt: Runtime, msg: Message, actor: str = "api", agent_status: str | None = "waiting_customer"
) -> dict[str, Any]:
    """Run one validated message through the loop inside the caller's transaction.

    Reads and computation come first and every write comes last, so that on SQLite (one writer at a time) the write
    lock is held for the short write phase only, not while the message is analysed.
    """
    history = load_customer_history(conn, msg.customer_id, rt.analyzer.version)
    history.rows["messages"].append(
        {"interaction_id": msg.interaction_id, "customer_id": msg.customer_id, "created_at": msg.created_at,
         "channel": msg.channel, "author": msg.author, "order_id": msg.order_id, "case_id": None,
         "polarity": None, "polarity_score": None, "emotion": None, "stage": None}
    )  # fmt: skip
    # A name or tier sent with the message fills blanks (and counts for this very triage, e.g. a VIP bump).
    for key, value in (("name", msg.customer_name), ("tier", msg.tier)):
        if value and not history.customer.get(key):
            history.customer[key] = value
            if key in history.rows["customers"][0]:
                history.rows["customers"][0][key] = value
    idle = idle_resolutions(history, msg)
    if msg.author == "agent":
        _ensure_customer(conn, msg, history)
        _apply_idle(conn, idle)
        return _agent_message(conn, msg, history, actor, agent_status)
    analysis = rt.analyzer.analyze(msg.text, channel=msg.channel)
    analysis_dict = analysis.to_dict()
    history.rows["messages"][-1].update(polarity=analysis.polarity, polarity_score=analysis.polarity_score,
                                        emotion=analysis.emotion, stage=analysis.stage)  # fmt: skip
    route = route_message(history.case_refs, at=msg.created_at, order_id=msg.order_id, case_id=msg.case_id)
    case_row = history.case_rows.get(route.case_id or "") if route.action != "new" else None
    signals = signals_from_rows(
        msg.customer_id,
        msg.created_at,
        customer=history.rows["customers"],
        messages=history.rows["messages"],
        orders=history.rows["orders"],
        returns=history.rows["returns"],
        cases=history.rows["cases"],
        focus_order_id=msg.order_id or (case_row or {}).get("order_id"),
        # The case too, as the batch replay does: without it, contacts on a case with no order never count as repeats.
        focus_case_id=(case_row or {}).get("case_id"),
        current_interaction_id=msg.interaction_id,
        churn_model=rt.churn,
        horizon_days=rt.settings.churn_horizon_days,
    )
    ctx = build_context(analysis, signals, msg, case_row)
    decision = rt.engine.decide(ctx)
    result: dict[str, Any] = {
        "interaction_id": msg.interaction_id,
        "analysis": analysis_dict,
        "decision": decision.model_dump(mode="json"),
        "signals": signals.to_dict(),
    }
    no_case = route.action == "new" and not is_problem(analysis.polarity, analysis.stage, analysis.reasons)
    plan = None if no_case else plan_case(rt, msg, route, case_row, analysis, ctx, decision, actor)
    # ---- writes
    _ensure_customer(conn, msg, history)
    _store_interaction(conn, msg, None if plan is None else plan.row["case_id"])
    conn.execute(
        insert(analyses),
        {
            "interaction_id": msg.interaction_id,
            "created_at": msg.created_at,
            **{k: v for k, v in analysis_dict.items() if k in ANALYSIS_COLUMNS},
        },
    )
    _apply_idle(conn, idle)
    if plan is None:
        # Praise or thanks with no open problem: analysed and decided (auto-reply eligibility), but no case.
        return result | {"case": None, "route": {"action": "none", "case_id": None, "reason": "not a problem"}}
    _write_case(conn, plan)
    case = plan.row
    conn.execute(insert(decisions), decision_row(case["case_id"], msg, ctx, decision))
    from aftersales.services.notify import enqueue_decision_events

    escalated = plan.is_new or any(e["kind"] == "escalated" for e in plan.events)
    enqueue_decision_events(conn, rt, case, decision, history.customer, ctx.language, escalated=escalated)
    return result | {
        "case": case,
        "route": {"action": route.action, "case_id": case["case_id"], "reason": route.reason},
    }


def submit_interaction(
    payload: Mapping[str, Any], settings: Settings | None = None, actor: str = "api"
) -> dict[str, Any]:
    """Store, analyse and triage one interaction in one unit of work; returns analysis, case and decision."""
    settings = settings or get_settings()
    rt = get_runtime(settings)
    msg = validate_message(payload, settings)
    with db.transaction(db.get_engine(settings)) as conn:
        return process_message(conn, rt, msg, actor)
