"""Batch path of the loop: run every stored message without a case through routing, signals, policy and cases.

Same pure pieces as the online path (route_message, signals, build_context, PolicyEngine, plan_case), in three passes
so that signals are computed in bulk: (1) routing and case lifecycle in time order, (2) behaviour signals for every
customer message, (3) decisions and case triage in time order. Historical messages send no notifications.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import bindparam, insert, select, update

from aftersales.config import Settings, get_settings
from aftersales.nlp.types import Analysis, Evidence
from aftersales.services.history import CASE_COLUMNS, load_all_frames
from aftersales.services.nlp import analyze_stored
from aftersales.services.runtime import get_runtime
from aftersales.services.triage import (
    Message,
    _ev,
    build_context,
    decision_row,
    is_problem,
    late_stamps,
    new_case_id,
    plan_case,
)
from aftersales.signals.compute import signals_for_points
from aftersales.signals.frames import Frames
from aftersales.storage import db
from aftersales.storage.tables import analyses, case_events, cases, decisions, interactions
from aftersales.workflow.routing import CaseRef, Route, idle_resolution, route_message

TRIAGE_EVENTS = frozenset({"created", "triaged", "escalated", "stage_changed"})


@dataclass
class _Case:
    """A case's lifecycle while replaying (pass 1)."""

    case_id: str
    customer_id: str
    order_id: str | None
    return_id: str | None
    channel: str | None
    subject: str
    opened_at: dt.datetime
    status: str = "triaged"
    first_response_at: dt.datetime | None = None
    last_agent_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    reopen_count: int = 0
    last_customer: str | None = None  # interaction id of the latest customer message (emotion at close)
    existing: bool = False
    last_activity: dt.datetime | None = None

    def ref(self) -> CaseRef:
        """The routing view of this case."""
        return CaseRef(self.case_id, self.order_id, self.status, self.opened_at, self.resolved_at, None)


@dataclass
class _Replay:
    """Everything the three passes share."""

    cases: dict[str, _Case] = field(default_factory=dict)
    by_customer: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    routed: list[tuple[Message, Route, str]] = field(default_factory=list)  # customer messages with a case
    assigned: dict[str, str] = field(default_factory=dict)  # interaction_id → case_id
    events: list[dict[str, Any]] = field(default_factory=list)


def _auto_resolve(state: _Replay, customer_id: str, now: dt.datetime, after: dt.timedelta) -> None:
    """Apply the silence rule (workflow.routing.idle_resolution) to the customer's cases before a new message."""
    for case_id in state.by_customer.get(customer_id, []):
        case = state.cases[case_id]
        if case.existing:
            continue
        found = idle_resolution(case.status, case.last_agent_at, case.last_activity, now, answered_idle=after)
        if found is None:
            continue
        at, note = found
        state.events.append(
            _ev(case_id, at, "replay", "transition", from_status=case.status, to_status="resolved", note=note)
        )
        case.status, case.resolved_at = "resolved", at


def _route_all(rows: Sequence[Any], state: _Replay, after: dt.timedelta) -> None:
    """Pass 1: routing and lifecycle in time order."""
    for r in rows:
        msg = Message(r.interaction_id, r.customer_id, r.text, r.created_at, r.channel or "chat",
                      r.author or "customer", r.order_id, r.return_id, None, r.language)  # fmt: skip
        _auto_resolve(state, msg.customer_id, msg.created_at, after)
        refs = [state.cases[c].ref() for c in state.by_customer.get(msg.customer_id, [])]
        route = route_message(refs, at=msg.created_at, order_id=msg.order_id)
        if msg.author == "agent":
            if route.action != "attach" or route.case_id is None:
                continue
            case = state.cases[route.case_id]
            case.first_response_at = case.first_response_at or msg.created_at
            case.last_agent_at = case.last_activity = msg.created_at
            if case.status != "waiting_customer":
                state.events.append(_ev(case.case_id, msg.created_at, "replay", "transition", from_status=case.status,
                                        to_status="waiting_customer"))  # fmt: skip
            case.status = "waiting_customer"
            state.events.append(_ev(case.case_id, msg.created_at, "replay", "agent_message",
                                    interaction=msg.interaction_id))  # fmt: skip
            state.assigned[msg.interaction_id] = case.case_id
            continue
        if route.action == "new":
            if not is_problem(r.polarity, r.stage, r.reasons):
                continue
            case = _Case(new_case_id(msg.created_at), msg.customer_id, msg.order_id, msg.return_id, msg.channel,
                         msg.text[:120], msg.created_at)  # fmt: skip
            state.cases[case.case_id] = case
            state.by_customer[msg.customer_id].append(case.case_id)
        else:
            case = state.cases[route.case_id or ""]
            if route.action == "reopen":
                state.events.append(_ev(case.case_id, msg.created_at, "replay", "reopened", from_status=case.status,
                                        to_status="in_progress", reason=route.reason))  # fmt: skip
                case.reopen_count += 1
                case.resolved_at, case.first_response_at = None, None
                case.status = "in_progress"
            elif case.status == "waiting_customer":
                state.events.append(_ev(case.case_id, msg.created_at, "replay", "customer_replied",
                                        from_status=case.status, to_status="in_progress"))  # fmt: skip
                case.status = "in_progress"
            state.events.append(_ev(case.case_id, msg.created_at, "replay", "message", interaction=msg.interaction_id,
                                    route=route.reason))  # fmt: skip
            case.order_id = case.order_id or msg.order_id
        case.last_customer = msg.interaction_id
        case.last_activity = msg.created_at
        state.assigned[msg.interaction_id] = case.case_id
        state.routed.append((msg, route, case.case_id))


def _analysis(row: Any, version: str) -> Analysis:
    """Rebuild the stored Analysis of a message (the policy reads the same fields as online)."""
    evidence = {k: tuple(Evidence(**e) for e in v) for k, v in (row.evidence or {}).items()}
    return Analysis(
        polarity=row.polarity, polarity_score=row.polarity_score, emotion=row.emotion,
        emotion_scores=row.emotion_scores or {}, intensity=row.intensity, stage=row.stage, stage_scores={},
        reasons=tuple(row.reasons or ()), reason_scores=row.reason_scores or {}, primary_reason=row.primary_reason,
        problem_type=row.problem_type, evidence=evidence, language=row.analysis_language or row.language,
        model_version=version,
    )  # fmt: skip


def process_stored(
    settings: Settings | None = None,
    progress: Callable[[int, int], None] | None = None,
    auto_resolve_days: int = 3,
) -> dict[str, Any]:
    """Route, triage and open cases for every stored message that has none yet; returns counts and timings."""
    settings = settings or get_settings()
    started = time.perf_counter()
    analysed = analyze_stored(settings)
    rt = get_runtime(settings)
    engine = db.get_engine(settings)
    version = rt.analyzer.version
    query = (
        select(interactions, *[analyses.c[c] for c in ("polarity", "polarity_score", "emotion", "emotion_scores",
               "intensity", "stage", "reasons", "reason_scores", "primary_reason", "problem_type", "evidence")],
               analyses.c.language.label("analysis_language"))  # interactions.language is often empty
        .outerjoin(analyses, (analyses.c.interaction_id == interactions.c.interaction_id)
                   & (analyses.c.model_version == version))
        .where(interactions.c.case_id.is_(None))
        .order_by(interactions.c.created_at, interactions.c.interaction_id)
    )  # fmt: skip
    with engine.connect() as conn:
        rows = conn.execute(query).all()
        frames = load_all_frames(conn, version)
        existing = [dict(r) for r in conn.execute(select(cases)).mappings()]
    state = _Replay()
    existing_by_id = {r["case_id"]: r for r in existing}
    for r in existing:
        case = _Case(r["case_id"], r["customer_id"], r["order_id"], r["return_id"], r["channel"], r["subject"] or "",
                     r["opened_at"], r["status"], r["first_response_at"], None, r["resolved_at"],
                     r["reopen_count"] or 0, None, True)  # fmt: skip
        state.cases[case.case_id] = case
        state.by_customer[case.customer_id].append(case.case_id)
    by_id = {r.interaction_id: r for r in rows}
    timings: dict[str, float] = {"analyse": round(time.perf_counter() - started, 2)}
    t = time.perf_counter()
    _route_all(rows, state, dt.timedelta(days=auto_resolve_days))
    if rows:
        end = max(r.created_at for r in rows)
        for customer_id in list(state.by_customer):
            _auto_resolve(state, customer_id, end, dt.timedelta(days=auto_resolve_days))
    timings["route"] = round(time.perf_counter() - t, 2)
    # Pass 2: signals in bulk, with the cases frame as pass 1 left it (opened/resolved times make it time-aware).
    t = time.perf_counter()
    case_frame = pd.DataFrame(
        [{"case_id": c.case_id, "customer_id": c.customer_id, "order_id": c.order_id, "status": c.status,
          "opened_at": c.opened_at, "resolved_at": c.resolved_at, "reopen_count": c.reopen_count}
         for c in state.cases.values()], columns=CASE_COLUMNS)  # fmt: skip
    msgs = frames["messages"].copy()
    msgs["case_id"] = msgs["interaction_id"].map(state.assigned).fillna(msgs["case_id"])
    tidy = Frames.of(frames["customers"], msgs, frames["orders"], frames["returns"], case_frame)
    points = pd.DataFrame(
        [
            {
                "customer_id": m.customer_id,
                "as_of": m.created_at,
                "focus_order_id": m.order_id or state.cases[cid].order_id,
                "focus_case_id": cid,
                "interaction_id": m.interaction_id,
            }
            for m, _, cid in state.routed
        ]
    )
    signals = (
        signals_for_points(tidy, points, churn_model=rt.churn, horizon_days=settings.churn_horizon_days)
        if state.routed
        else []
    )
    timings["signals"] = round(time.perf_counter() - t, 2)
    # Pass 3: decisions and triage in time order.
    t = time.perf_counter()
    rows_by_case: dict[str, dict[str, Any]] = {}
    decision_rows: list[dict[str, Any]] = []
    for i, ((msg, route, case_id), sig) in enumerate(zip(state.routed, signals, strict=True)):
        analysis = _analysis(by_id[msg.interaction_id], version)
        current = rows_by_case.get(case_id)
        if current is None and state.cases[case_id].existing:
            current = existing_by_id[case_id]
        ctx = build_context(analysis, sig, msg, current)
        decision = rt.engine.decide(ctx)
        plan = plan_case(rt, msg, route if current is not None else Route("new", None, route.reason), current,
                         analysis, ctx, decision, "replay", case_id=case_id)  # fmt: skip
        rows_by_case[case_id] = plan.row
        state.events.extend(e for e in plan.events if e["kind"] in TRIAGE_EVENTS)
        decision_rows.append(decision_row(case_id, msg, ctx, decision))
        if progress is not None and i % 500 == 0:
            progress(i, len(state.routed))
    timings["decide"] = round(time.perf_counter() - t, 2)
    # Lifecycle from pass 1 wins over the triage rows' status fields.
    closing = {c.last_customer: c.case_id for c in state.cases.values() if c.resolved_at and c.last_customer}
    for case_id, row in rows_by_case.items():
        c = state.cases[case_id]
        row.update(status=c.status, first_response_at=c.first_response_at, resolved_at=c.resolved_at,
                   reopen_count=c.reopen_count, updated_at=max(e for e in (c.resolved_at, c.last_agent_at,
                   row["updated_at"]) if e))  # fmt: skip
    for row in rows_by_case.values():
        row.update(late_stamps(row, first_response_at=row["first_response_at"], resolved_at=row["resolved_at"]))
    for interaction_id, case_id in closing.items():
        a = by_id.get(interaction_id)
        if a is not None and case_id in rows_by_case:
            rows_by_case[case_id].update(emotion_close=a.emotion, polarity_close=a.polarity_score)
    t = time.perf_counter()
    new_rows = [r for cid, r in rows_by_case.items() if not state.cases[cid].existing]
    with db.transaction(engine) as conn:
        for start in range(0, len(new_rows), 2000):
            conn.execute(insert(cases), new_rows[start : start + 2000])
        for cid, r in rows_by_case.items():
            if state.cases[cid].existing:
                conn.execute(update(cases).where(cases.c.case_id == cid).values(
                    **{k: v for k, v in r.items() if k in cases.c and k != "case_id"}))  # fmt: skip
        for start in range(0, len(decision_rows), 2000):
            conn.execute(insert(decisions), decision_rows[start : start + 2000])
        for start in range(0, len(state.events), 5000):
            conn.execute(insert(case_events), state.events[start : start + 5000])
        if state.assigned:
            stmt = (
                update(interactions)
                .where(interactions.c.interaction_id == bindparam("iid"))
                .values(case_id=bindparam("cid"))
            )
            pairs = [{"iid": i, "cid": c} for i, c in state.assigned.items()]
            for start in range(0, len(pairs), 5000):
                conn.execute(stmt, pairs[start : start + 5000])
    timings["write"] = round(time.perf_counter() - t, 2)
    if progress is not None:
        progress(len(state.routed), len(state.routed))
    status_counts: dict[str, int] = defaultdict(int)
    for r in rows_by_case.values():
        status_counts[r["status"]] += 1
    return {
        "messages": len(rows),
        "analysed": analysed["analysed"],
        "triaged": len(decision_rows),
        "cases_opened": len(new_rows),
        "cases_by_status": dict(status_counts),
        "seconds": round(time.perf_counter() - started, 2),
        "timings": timings,
    }
