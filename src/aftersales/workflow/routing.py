"""Which case a new message belongs to: one case per customer problem, so repeat contacts land on the same case."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

OPEN_STATUSES = frozenset({"new", "triaged", "in_progress", "waiting_customer"})
DONE_STATUSES = frozenset({"resolved", "closed"})


@dataclass(frozen=True, slots=True)
class CaseRef:
    """What routing needs to know about one of the customer's cases."""

    case_id: str
    order_id: str | None
    status: str
    opened_at: dt.datetime
    resolved_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Route:
    """The routing outcome: attach to an open case, reopen a finished one, or open a new one, and why."""

    action: str  # "attach" | "reopen" | "new"
    case_id: str | None
    reason: str


def route_message(
    cases: Sequence[CaseRef],
    *,
    at: dt.datetime,
    order_id: str | None = None,
    case_id: str | None = None,
    reopen_window_days: int = 14,
    attach_window_days: int = 30,
) -> Route:
    """Pick the case for a customer message (explicit case id > open case on the order > recent open case > reopen)."""
    if case_id:
        for case in cases:
            if case.case_id == case_id:
                if case.status in OPEN_STATUSES:
                    return Route("attach", case.case_id, f"the message names case {case_id}")
                if case.status == "resolved":
                    return Route("reopen", case.case_id, f"the message names case {case_id}, which was resolved")
                return Route("new", None, f"case {case_id} is closed (final); a follow-up case is opened")
        return Route("new", None, f"case {case_id} is not one of this customer's cases; a new case is opened")
    # A message cannot belong to a problem raised after it was written (a batch run that meets an older message
    # left without a case, e.g. a thank-you note, must not attach it to a later case).
    cases = [c for c in cases if c.opened_at <= at]
    open_cases = sorted((c for c in cases if c.status in OPEN_STATUSES), key=lambda c: c.opened_at, reverse=True)
    if order_id:
        for case in open_cases:
            if case.order_id == order_id:
                return Route("attach", case.case_id, f"open case {case.case_id} is about order {order_id}")
        window = dt.timedelta(days=reopen_window_days)
        finished = sorted(
            # Closed is final for customers (a follow-up opens a new case); only resolved cases reopen.
            (c for c in cases if c.status == "resolved" and c.order_id == order_id),
            key=lambda c: c.resolved_at or c.closed_at or c.opened_at,
            reverse=True,
        )
        for case in finished:
            done_at = case.resolved_at or case.closed_at or case.opened_at
            if at - done_at <= window:
                return Route(
                    "reopen",
                    case.case_id,
                    f"case {case.case_id} about order {order_id} ended {_ago(at - done_at)} ago "
                    f"(within the {reopen_window_days}-day reopen window)",
                )
        # An open case without an order is the same problem told again before the order number came up.
        for case in open_cases:
            if case.order_id is None and at - case.opened_at <= dt.timedelta(days=attach_window_days):
                return Route("attach", case.case_id, f"open case {case.case_id} has no order yet; order {order_id}")
        return Route("new", None, f"no open case about order {order_id}")
    for case in open_cases:
        if at - case.opened_at <= dt.timedelta(days=attach_window_days):
            return Route("attach", case.case_id, f"the customer's most recent open case is {case.case_id}")
    return Route("new", None, "the customer has no recent open case")


def _ago(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} d"


ANSWERED_IDLE = dt.timedelta(days=3)
STALE_IDLE = dt.timedelta(days=30)


def idle_resolution(
    status: str,
    last_agent_at: dt.datetime | None,
    last_activity: dt.datetime | None,
    now: dt.datetime,
    answered_idle: dt.timedelta = ANSWERED_IDLE,
    stale_idle: dt.timedelta = STALE_IDLE,
) -> tuple[dt.datetime, str] | None:
    """When an open case counts as resolved by silence: answered and not taken up for 3 days, or untouched for 30.

    Returns (resolved_at, note) or None. Both the online path and the history replay apply it before routing a new
    message, so a customer who comes back after the silence starts (or reopens) a case the same way in both.
    """
    if status == "waiting_customer" and last_agent_at is not None and now - last_agent_at > answered_idle:
        return last_agent_at, f"no customer reply within {answered_idle.days} days of the agent's answer"
    if status in ("new", "triaged", "in_progress") and last_activity is not None and now - last_activity > stale_idle:
        return last_activity, f"no further contact for {stale_idle.days} days"
    return None
