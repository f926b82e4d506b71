"""Case use cases for agents and managers: list, read with timeline, transition, assign, reply, progress updates."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, insert, or_, select, update

from aftersales.config import Settings, get_settings
from aftersales.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from aftersales.services.pipeline import process_message
from aftersales.services.runtime import get_runtime
from aftersales.services.triage import Message, _ev, late_stamps
from aftersales.services.users import Principal
from aftersales.storage import db
from aftersales.storage.db import utcnow
from aftersales.storage.tables import analyses, case_events, cases, customers, decisions, interactions, users
from aftersales.vocab import CaseStatus, Priority
from aftersales.workflow.calendar import BusinessCalendar
from aftersales.workflow.followup import emotion_recovery, schedule_followup
from aftersales.workflow.sla import sla_status
from aftersales.workflow.states import check_transition

SORTS = {
    "priority": (cases.c.priority.asc(), cases.c.first_response_due.asc()),
    "sla": (cases.c.resolution_due.asc(), cases.c.priority.asc()),
    "opened": (cases.c.opened_at.desc(),),
    "updated": (cases.c.updated_at.desc(),),
}
OPEN = ("new", "triaged", "in_progress", "waiting_customer")


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, dt.datetime | dt.date) else v) for k, v in row.items()}


def _log(conn: Connection, case_id: str, at: dt.datetime, principal: Principal, kind: str, **payload: Any) -> None:
    """Append one entry to the case's audit trail, as the caller (from/to status go to their own columns)."""
    conn.execute(insert(case_events), _ev(case_id, at, principal.username, kind, **payload))


def _visible(principal: Principal, row: dict[str, Any]) -> None:
    if not principal.can_see_queue(row.get("queue")):
        raise PermissionDeniedError(f"case {row['case_id']} is in queue {row.get('queue')!r}, not one of yours")


def _case_row(conn: Connection, case_id: str) -> dict[str, Any]:
    row = conn.execute(select(cases).where(cases.c.case_id == case_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"case {case_id!r} not found")
    return dict(row)


def with_sla(
    row: dict[str, Any], settings: Settings, now: dt.datetime | None = None, calendar: BusinessCalendar | None = None
) -> dict[str, Any]:
    """A case row plus its live SLA state (business minutes left, at risk, breached)."""
    status = sla_status(
        opened_at=row["opened_at"],
        first_response_due=row.get("first_response_due"),
        first_response_at=row.get("first_response_at"),
        resolution_due=row.get("resolution_due"),
        resolved_at=row.get("resolved_at") or row.get("closed_at"),
        now=now or utcnow(),
        calendar=calendar or get_runtime(settings).calendar,
    )
    return {**_jsonable(row), "sla": _jsonable(status.to_dict())}


def list_cases(
    principal: Principal,
    *,
    status: list[str] | None = None,
    queue: str | None = None,
    priority: list[str] | None = None,
    assignee: str | None = None,
    customer_id: str | None = None,
    open_only: bool = False,
    sort: str = "priority",
    limit: int = 50,
    offset: int = 0,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Cases the caller may see, filtered and sorted (priority then SLA due by default); `{data, count}`."""
    settings = settings or get_settings()
    if sort not in SORTS:
        raise InvalidInputError(f"sort: {sort!r} is not one of {', '.join(SORTS)}")
    for code in status or []:
        if code not in CaseStatus.codes():
            raise InvalidInputError(f"status: {code!r} is not one of {', '.join(CaseStatus.codes())}")
    for code in priority or []:
        if code not in Priority.codes():
            raise InvalidInputError(f"priority: {code!r} is not one of {', '.join(Priority.codes())}")
    if not 1 <= limit <= 500 or offset < 0:
        raise InvalidInputError("limit must be 1..500 and offset ≥ 0")
    conds: list[ColumnElement[bool]] = []
    if not principal.sees_all_queues:
        if queue is not None and queue not in principal.queues:
            raise PermissionDeniedError(f"queue {queue!r} is not one of yours ({', '.join(principal.queues)})")
        conds.append(cases.c.queue.in_(list(principal.queues)))
    if queue:
        conds.append(cases.c.queue == queue)
    if status:
        conds.append(cases.c.status.in_(status))
    elif open_only:
        conds.append(cases.c.status.in_(OPEN))
    if priority:
        conds.append(cases.c.priority.in_(priority))
    if assignee:
        conds.append(cases.c.assignee == assignee)
    if customer_id:
        conds.append(cases.c.customer_id == customer_id)
    where = and_(*conds) if conds else None
    query = select(cases, customers.c.name.label("customer_name"), customers.c.tier.label("customer_tier")).outerjoin(
        customers, customers.c.customer_id == cases.c.customer_id
    )
    count_q = select(func.count()).select_from(cases)
    if where is not None:
        query, count_q = query.where(where), count_q.where(where)
    query = query.order_by(*SORTS[sort], cases.c.case_id).limit(limit).offset(offset)
    engine = db.get_engine(settings)
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
        total = int(conn.execute(count_q).scalar_one())
    now, calendar = utcnow(), get_runtime(settings).calendar
    return {"data": [with_sla(r, settings, now, calendar) for r in rows], "count": total}


def get_case(case_id: str, principal: Principal, settings: Settings | None = None) -> dict[str, Any]:
    """One case with its timeline (messages with analyses, events, decisions) and its customer."""
    settings = settings or get_settings()
    engine = db.get_engine(settings)
    with engine.connect() as conn:
        row = _case_row(conn, case_id)
        _visible(principal, row)
        msgs = conn.execute(
            select(
                interactions,
                analyses.c.emotion,
                analyses.c.intensity,
                analyses.c.stage,
                analyses.c.polarity,
                analyses.c.polarity_score,
                analyses.c.reasons,
                analyses.c.evidence,
                analyses.c.model_version,
            )
            .outerjoin(analyses, analyses.c.interaction_id == interactions.c.interaction_id)
            .where(interactions.c.case_id == case_id)
            .order_by(interactions.c.created_at, analyses.c.id)
        ).mappings()
        messages: dict[str, dict[str, Any]] = {}
        for m in msgs:
            messages[m["interaction_id"]] = _jsonable(dict(m))  # latest analysis wins
        events = [
            _jsonable(dict(e))
            for e in conn.execute(
                select(case_events).where(case_events.c.case_id == case_id).order_by(case_events.c.at, case_events.c.id)
            ).mappings()
        ]
        decs = [
            _jsonable(dict(d))
            for d in conn.execute(
                select(decisions).where(decisions.c.case_id == case_id).order_by(decisions.c.id)
            ).mappings()
        ]
        cust = conn.execute(select(customers).where(customers.c.customer_id == row["customer_id"])).mappings().first()
    return {
        "case": with_sla(row, settings),
        "customer": _jsonable(dict(cust)) if cust else None,
        "messages": list(messages.values()),
        "events": events,
        "decisions": decs,
        "decision": decs[-1] if decs else None,
    }


def _queues_ok(principal: Principal, row: dict[str, Any]) -> None:
    _visible(principal, row)


def transition_case(
    case_id: str,
    target: str,
    principal: Principal,
    note: str | None = None,
    settings: Settings | None = None,
    at: dt.datetime | None = None,
) -> dict[str, Any]:
    """Move a case to another status (illegal moves raise E310); resolving schedules the follow-up survey."""
    settings = settings or get_settings()
    rt = get_runtime(settings)
    now = at or utcnow()
    engine = db.get_engine(settings)
    with db.transaction(engine) as conn:
        row = _case_row(conn, case_id)
        _queues_ok(principal, row)
        kind = check_transition(row["status"], target, reason=note)
        patch: dict[str, Any] = {"status": target, "updated_at": now}
        payload: dict[str, Any] = {"note": note} if note else {}
        if kind == "reopen":
            patch.update(reopen_count=(row["reopen_count"] or 0) + 1, resolved_at=None, closed_at=None)
        if target == "in_progress" and row["first_response_at"] is None:
            patch["first_response_at"] = now
            patch.update(late_stamps(row, first_response_at=now))
        if target == "resolved":
            patch["resolved_at"] = now
            patch.update(late_stamps(row, resolved_at=now))
            last = conn.execute(
                select(analyses.c.emotion, analyses.c.polarity, analyses.c.polarity_score)
                .join(interactions, interactions.c.interaction_id == analyses.c.interaction_id)
                .where(interactions.c.case_id == case_id)
                .order_by(interactions.c.created_at.desc(), analyses.c.id.desc())
                .limit(1)
            ).first()
            if last is not None:
                patch.update(emotion_close=last.emotion, polarity_close=last.polarity_score)
                recovery = emotion_recovery(
                    row["emotion_open"], row["polarity_open"], last.emotion, last.polarity_score
                )
                payload["emotion_recovery"] = recovery.to_dict()
            due = schedule_followup(now, rt.calendar)
            payload["followup_due"] = due.isoformat()
            if settings.survey_url:
                from aftersales.services.notify import enqueue_customer_event

                url = settings.survey_url.replace("{case_id}", case_id)
                payload["followup_queued"] = enqueue_customer_event(
                    conn, rt, {**row, **patch}, "followup_survey", not_before=due, survey_url=url
                )
            else:
                payload["followup_queued"] = False  # no survey_url configured: nothing to link to
        if target == "closed":
            patch["closed_at"] = now
        conn.execute(update(cases).where(cases.c.case_id == case_id).values(**patch))
        kind_name = "reopened" if kind == "reopen" else "transition"
        _log(conn, case_id, now, principal, kind_name, from_status=row["status"], to_status=target, **payload)
    return get_case(case_id, principal, settings)


def assign_case(
    case_id: str, assignee: str | None, principal: Principal, queue: str | None = None, settings: Settings | None = None
) -> dict[str, Any]:
    """Assign a case to an agent (and optionally move it to another queue); agents may take cases of their queues."""
    settings = settings or get_settings()
    now = utcnow()
    engine = db.get_engine(settings)
    with db.transaction(engine) as conn:
        row = _case_row(conn, case_id)
        _queues_ok(principal, row)
        if principal.role == "agent" and assignee not in (None, principal.username):
            raise PermissionDeniedError("agents may only assign cases to themselves; ask a manager")
        if queue is not None and principal.role == "agent" and queue not in principal.queues:
            raise PermissionDeniedError(f"agents cannot move cases to queue {queue!r}")
        if assignee is not None:
            user = conn.execute(select(users.c.id).where(users.c.username == assignee, users.c.active.is_(True)))
            if user.first() is None:
                raise InvalidInputError(f"assignee: no active user {assignee!r}")
        patch: dict[str, Any] = {"assignee": assignee, "updated_at": now}
        if queue is not None:
            patch["queue"] = queue
        conn.execute(update(cases).where(cases.c.case_id == case_id).values(**patch))
        moved = {"assignee": [row["assignee"], assignee], "queue": [row["queue"], patch.get("queue", row["queue"])]}
        _log(conn, case_id, now, principal, "assigned", **moved)
    return get_case(case_id, principal, settings)


def reply_to_case(
    case_id: str,
    text: str,
    principal: Principal,
    status: str | None = "waiting_customer",
    notify: bool = True,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Store the agent's reply on the case, stop the first-response clock, send it to the customer, move status."""
    settings = settings or get_settings()
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError("text: required, a non-empty string")
    rt = get_runtime(settings)
    now = utcnow()
    engine = db.get_engine(settings)
    with db.transaction(engine) as conn:
        row = _case_row(conn, case_id)
        _queues_ok(principal, row)
        if row["status"] in ("resolved", "closed"):
            raise InvalidInputError(f"case {case_id} is {row['status']}; reopen it before replying")
        msg = Message(
            interaction_id=f"reply-{secrets.token_hex(8)}",
            customer_id=row["customer_id"],
            text=text.strip(),
            created_at=now,
            channel=row["channel"] or "chat",
            author="agent",
            order_id=row["order_id"],
            case_id=case_id,
        )
        process_message(conn, rt, msg, actor=principal.username, agent_status=None)
        if row["status"] in ("new", "triaged"):
            check_transition(row["status"], "in_progress")
            conn.execute(update(cases).where(cases.c.case_id == case_id).values(status="in_progress"))
            _log(conn, case_id, now, principal, "transition", from_status=row["status"], to_status="in_progress",
                 note="agent replied")  # fmt: skip
            row["status"] = "in_progress"
        if status and status != row["status"]:
            check_transition(row["status"], status)
            conn.execute(update(cases).where(cases.c.case_id == case_id).values(status=status, updated_at=now))
            _log(conn, case_id, now, principal, "transition", from_status=row["status"], to_status=status)
        if notify:
            from aftersales.services.notify import enqueue_reply

            enqueue_reply(conn, rt, row, text.strip())
    return get_case(case_id, principal, settings)


def notify_progress(
    case_id: str, event: str, principal: Principal, settings: Settings | None = None, **extra: Any
) -> dict[str, Any]:
    """Tell the customer about progress (return received, refund issued, replacement shipped) via the outbox."""
    from aftersales.services.notify import CUSTOMER_EVENTS, enqueue_customer_event

    settings = settings or get_settings()
    if event not in CUSTOMER_EVENTS:
        raise InvalidInputError(f"event: {event!r} is not one of {', '.join(CUSTOMER_EVENTS)}")
    rt = get_runtime(settings)
    now = utcnow()
    with db.transaction(db.get_engine(settings)) as conn:
        row = _case_row(conn, case_id)
        _queues_ok(principal, row)
        queued = enqueue_customer_event(conn, rt, row, event, **extra)
        _log(conn, case_id, now, principal, "notified", event=event, queued=queued)
    return get_case(case_id, principal, settings)


def queue_overview(principal: Principal, settings: Settings | None = None) -> list[dict[str, Any]]:
    """Open cases per queue and priority with SLA breaches, for the team's overview."""
    settings = settings or get_settings()
    breached = func.sum(
        case(
            (or_(cases.c.first_response_breached_at.is_not(None), cases.c.resolution_breached_at.is_not(None)), 1),
            else_=0,
        )
    )
    query = (
        select(cases.c.queue, cases.c.priority, func.count().label("open"), breached.label("breached"))
        .where(cases.c.status.in_(OPEN))
        .group_by(cases.c.queue, cases.c.priority)
        .order_by(cases.c.queue, cases.c.priority)
    )
    if not principal.sees_all_queues:
        query = query.where(cases.c.queue.in_(list(principal.queues)))
    with db.get_engine(settings).connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


_LABEL_CODES: dict[str, list[str]] = {}


def _label_codes(task: str) -> list[str]:
    from aftersales.vocab import Emotion, Polarity, ProblemType, Reason, Stage

    if not _LABEL_CODES:
        _LABEL_CODES.update(
            polarity=Polarity.codes(),
            emotion=Emotion.codes(),
            stage=Stage.codes(),
            reasons=Reason.codes(),
            primary_reason=[*Reason.codes(), "none"],
            problem_type=ProblemType.codes(),
            intensity=["1", "2", "3"],
        )
    return _LABEL_CODES[task]


def validate_label(task: str, value: Any) -> Any:
    """A corrected label must be a vocabulary code (a list of reason codes for `reasons`, 1-3 for intensity)."""
    codes = _label_codes(task)
    if task == "reasons":
        if not isinstance(value, list) or any(not isinstance(v, str) or v not in codes for v in value):
            raise InvalidInputError(f"value: reasons must be a list of codes from {', '.join(codes)}")
        return sorted(set(value))
    if task == "intensity":
        if isinstance(value, bool) or str(value) not in codes:
            raise InvalidInputError("value: intensity must be 1, 2 or 3")
        return int(value)
    if not isinstance(value, str) or value not in codes:
        raise InvalidInputError(f"value: {task} must be one of {', '.join(codes)}")
    return value


def correct_label(
    interaction_id: str, task: str, value: Any, principal: Principal, settings: Settings | None = None
) -> dict[str, Any]:
    """Record a human correction of one label of a stored message (agents: only on cases of their queues)."""
    from aftersales.services.nlp import CORRECTABLE, record_correction

    settings = settings or get_settings()
    if task not in CORRECTABLE:
        raise InvalidInputError(f"task: {task!r} is not one of {', '.join(CORRECTABLE)}")
    value = validate_label(task, value)
    with db.get_engine(settings).connect() as conn:
        msg = conn.execute(
            select(interactions.c.case_id, cases.c.queue)
            .outerjoin(cases, cases.c.case_id == interactions.c.case_id)
            .where(interactions.c.interaction_id == interaction_id)
        ).first()
        if msg is None:
            raise NotFoundError(f"interaction {interaction_id!r} not found")
        if not principal.can_see_queue(msg.queue):
            raise PermissionDeniedError(f"interaction {interaction_id} belongs to a case outside your queues")
        column = analyses.c[task]
        old = conn.execute(
            select(column).where(analyses.c.interaction_id == interaction_id).order_by(analyses.c.id.desc()).limit(1)
        ).scalar()
    correction_id = record_correction(
        task, value, principal.username, interaction_id=interaction_id, old_value=old, settings=settings
    )
    if msg.case_id:
        with db.transaction(db.get_engine(settings)) as conn:
            _log(conn, msg.case_id, utcnow(), principal, "label_corrected", interaction=interaction_id, task=task,
                 **{"from": old, "to": value})  # fmt: skip
    return {"id": correction_id, "interaction_id": interaction_id, "task": task, "old_value": old, "value": value}
