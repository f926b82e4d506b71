"""Which case a message joins: one case per problem, reopen within the window, never attach to stale cases."""

from __future__ import annotations

import datetime as dt

import pytest

from aftersales.workflow.routing import CaseRef, route_message

T0 = dt.datetime(2026, 3, 1, 10, 0)
DAY = dt.timedelta(days=1)


def case(
    case_id: str, order: str | None, status: str, opened: dt.datetime, resolved: dt.datetime | None = None
) -> CaseRef:
    return CaseRef(case_id, order, status, opened, resolved_at=resolved)


CASES = [
    case("A", "O1", "in_progress", T0),
    case("B", "O2", "resolved", T0 - 20 * DAY, resolved=T0 - 5 * DAY),
    case("C", "O3", "closed", T0 - 60 * DAY, resolved=T0 - 40 * DAY),
    case("D", None, "triaged", T0 - 2 * DAY),
]


@pytest.mark.parametrize(
    ("order", "case_id", "action", "expected"),
    [
        ("O1", None, "attach", "A"),  # the open case about the same order
        ("O2", None, "reopen", "B"),  # resolved 5 days ago: within the 14-day window
        ("O3", None, "attach", "D"),  # closed 40 days ago: too old to reopen; joins the open case without an order
        (None, None, "attach", "A"),  # no order: the most recent open case
        (None, "B", "reopen", "B"),  # an explicit case id wins, even a resolved one
        (None, "A", "attach", "A"),
        (None, "Z", "new", None),  # not this customer's case
    ],
)
def test_route_message(order: str | None, case_id: str | None, action: str, expected: str | None) -> None:
    route = route_message(CASES, at=T0 + DAY, order_id=order, case_id=case_id)
    assert (route.action, route.case_id) == (action, expected)
    assert route.reason  # every routing decision explains itself


def test_no_cases_means_a_new_case() -> None:
    assert route_message([], at=T0, order_id="O9").action == "new"
    assert route_message([], at=T0).action == "new"


def test_stale_open_cases_are_not_joined_without_an_order() -> None:
    old = [case("A", None, "in_progress", T0 - 45 * DAY)]
    assert route_message(old, at=T0).action == "new"
    assert route_message(old, at=T0, attach_window_days=60).case_id == "A"


def test_reopen_window_is_configurable() -> None:
    done = [case("B", "O2", "resolved", T0 - 20 * DAY, resolved=T0 - 5 * DAY)]
    assert route_message(done, at=T0, order_id="O2", reopen_window_days=3).action == "new"
