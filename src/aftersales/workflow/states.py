"""The case state machine of DESIGN.md §3 as data: which status changes are allowed, and what a customer message does.

The table is the single source of truth; services call `check_transition` before writing a status, and the docs
(docs/workflow.md) render the same table. Statuses are the contract codes of DESIGN.md §3.
"""

from __future__ import annotations

import datetime as dt
from typing import Final, Literal

from aftersales.errors import IllegalTransitionError

TransitionKind = Literal["normal", "reopen"]

NEW: Final = "new"
TRIAGED: Final = "triaged"
IN_PROGRESS: Final = "in_progress"
WAITING_CUSTOMER: Final = "waiting_customer"
RESOLVED: Final = "resolved"
CLOSED: Final = "closed"

STATUSES: Final[tuple[str, ...]] = (NEW, TRIAGED, IN_PROGRESS, WAITING_CUSTOMER, RESOLVED, CLOSED)
OPEN_STATUSES: Final = frozenset({NEW, TRIAGED, IN_PROGRESS, WAITING_CUSTOMER})
DONE_STATUSES: Final = frozenset({RESOLVED, CLOSED})

# current status → {allowed target: kind}. Reopening (a finished case back to work) is its own kind because it
# counts in `cases.reopen_count` and in the first-contact-resolution KPI.
TRANSITIONS: Final[dict[str, dict[str, TransitionKind]]] = {
    NEW: {TRIAGED: "normal", IN_PROGRESS: "normal", CLOSED: "normal"},
    TRIAGED: {IN_PROGRESS: "normal", WAITING_CUSTOMER: "normal", RESOLVED: "normal", CLOSED: "normal"},
    IN_PROGRESS: {WAITING_CUSTOMER: "normal", RESOLVED: "normal"},
    WAITING_CUSTOMER: {IN_PROGRESS: "normal", RESOLVED: "normal", CLOSED: "normal"},
    RESOLVED: {CLOSED: "normal", IN_PROGRESS: "reopen"},
    CLOSED: {IN_PROGRESS: "reopen"},
}

# Closing a case nobody worked on (spam, duplicate, test message) must say why, or the close hides lost customers.
CLOSE_NEEDS_REASON: Final = frozenset({(NEW, CLOSED), (TRIAGED, CLOSED)})

# What on_customer_message returns when the message should open a new case instead of touching this one.
NEW_CASE: Final = "new_case"
DEFAULT_REOPEN_WINDOW: Final = dt.timedelta(days=14)


def _known(status: str) -> str:
    """Reject codes outside the contract early, naming the valid ones."""
    if status not in TRANSITIONS:
        raise IllegalTransitionError(f"unknown case status {status!r}; statuses are {', '.join(STATUSES)}")
    return status


def allowed_targets(status: str) -> tuple[str, ...]:
    """The statuses a case in `status` may move to, in contract order (for buttons and error messages)."""
    targets = TRANSITIONS[_known(status)]
    return tuple(s for s in STATUSES if s in targets)


def check_transition(current: str, target: str, *, reason: str | None = None) -> TransitionKind:
    """Validate a status change and say whether it is a reopen; raises IllegalTransitionError (E310) otherwise."""
    _known(current)
    _known(target)
    kind = TRANSITIONS[current].get(target)
    if kind is None:
        allowed = ", ".join(allowed_targets(current)) or "none"
        raise IllegalTransitionError(
            f"a case cannot go from {current!r} to {target!r}; from {current!r} it may go to: {allowed}"
        )
    if (current, target) in CLOSE_NEEDS_REASON and not (reason and reason.strip()):
        raise IllegalTransitionError(
            f"closing a case that is still {current!r} needs a reason (spam, duplicate, …); "
            f"otherwise move it on to: {', '.join(t for t in allowed_targets(current) if t != CLOSED)}"
        )
    return kind


def on_customer_message(
    status: str,
    *,
    done_at: dt.datetime | None = None,
    at: dt.datetime | None = None,
    reopen_window: dt.timedelta = DEFAULT_REOPEN_WINDOW,
) -> str | None:
    """What a new customer message does to a case: the status to move to, None (no change) or NEW_CASE.

    waiting_customer → in_progress (the customer answered); resolved → in_progress (a reopen) when the message comes
    within `reopen_window` of `done_at` (or when either time is unknown), else NEW_CASE; closed → NEW_CASE, because a
    closed case is final and its SLA and KPIs must not move; new/triaged/in_progress → None (the message is attached).
    """
    _known(status)
    if status == WAITING_CUSTOMER:
        return IN_PROGRESS
    if status == RESOLVED:
        if done_at is not None and at is not None and at - done_at > reopen_window:
            return NEW_CASE
        return IN_PROGRESS
    if status == CLOSED:
        return NEW_CASE
    return None
