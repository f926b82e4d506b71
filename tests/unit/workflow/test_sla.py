"""SLA clocks: ok / at_risk / breached while running, met / missed once stopped, and breach detection."""

from __future__ import annotations

import datetime as dt

import pytest

from aftersales.workflow.calendar import BusinessCalendar
from aftersales.workflow.sla import Breach, CaseClocks, clock_state, find_breaches, sla_status

D = dt.datetime
ALWAYS = BusinessCalendar.always_open("UTC")
OFFICE = BusinessCalendar("Asia/Shanghai", range(5), dt.time(9), dt.time(18))
T0 = D(2025, 3, 3, 1, 0)  # Monday 09:00 in Shanghai


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("stopped", "now", "expected"),
    [
        (None, at(10), "ok"),  # 90 of 100 minutes left
        (None, at(79), "ok"),  # 21 left > 20 % of 100
        (None, at(80), "at_risk"),  # 20 left = 20 %
        (None, at(100), "at_risk"),  # due now: not yet breached
        (None, at(101), "breached"),
        (at(50), at(500), "met"),
        (at(100), at(500), "met"),
        (at(120), at(500), "missed"),
    ],
)
def test_clock_state(stopped: dt.datetime | None, now: dt.datetime, expected: str) -> None:
    assert clock_state(T0, at(100), stopped, now, ALWAYS) == expected


def test_no_due_time_means_no_clock() -> None:
    assert clock_state(T0, None, None, at(10_000), ALWAYS) == "none"
    status = sla_status(T0, None, None, None, None, at(10), ALWAYS)
    assert (status.first_response, status.resolution, status.minutes_left, status.breached) == (
        "none",
        "none",
        None,
        False,
    )


def test_running_first_response_is_the_next_due() -> None:
    s = sla_status(T0, at(60), None, at(600), None, at(15), ALWAYS)
    assert (s.first_response, s.resolution, s.next_due, s.minutes_left, s.breached) == (
        "ok",
        "ok",
        at(60),
        45,
        False,
    )


def test_after_first_response_the_resolution_clock_is_next() -> None:
    s = sla_status(T0, at(60), at(30), at(600), None, at(550), ALWAYS)
    assert (s.first_response, s.resolution, s.next_due, s.minutes_left) == ("met", "at_risk", at(600), 50)
    assert s.to_dict() == {
        "first_response": "met",
        "resolution": "at_risk",
        "minutes_left": 50,
        "breached": False,
        "next_due": at(600),
    }


def test_breached_minutes_left_are_negative() -> None:
    s = sla_status(T0, at(60), None, at(600), None, at(75), ALWAYS)
    assert (s.first_response, s.minutes_left, s.breached, s.next_due) == ("breached", -15, True, at(60))


def test_missed_first_response_still_marks_the_case_breached() -> None:
    s = sla_status(T0, at(60), at(90), at(600), None, at(100), ALWAYS)
    assert (s.first_response, s.resolution, s.breached, s.next_due, s.minutes_left) == (
        "missed",
        "ok",
        True,
        at(600),
        500,
    )


def test_resolving_stops_both_clocks() -> None:
    s = sla_status(T0, at(60), None, at(600), at(45), at(5000), ALWAYS)
    assert (s.first_response, s.resolution, s.next_due, s.minutes_left, s.breached) == (
        "met",
        "met",
        None,
        None,
        False,
    )


def test_business_minutes_are_used_for_risk_and_minutes_left() -> None:
    # Opened Fri 17:00 CST (09:00 UTC), first response due after 120 business minutes → Mon 10:00 CST.
    opened = D(2025, 3, 7, 9, 0)
    due = OFFICE.add_business_minutes(opened, 120)
    assert due == D(2025, 3, 10, 2, 0)
    # Saturday noon: 60 business minutes left of 120, although ~38 wall-clock hours remain.
    s = sla_status(opened, due, None, None, None, D(2025, 3, 8, 4, 0), OFFICE)
    assert (s.first_response, s.minutes_left) == ("ok", 60)
    # Sunday night: still 60 left; at 20 % risk fraction that is fine, at 50 % it is at risk.
    s = sla_status(opened, due, None, None, None, D(2025, 3, 9, 15, 0), OFFICE, at_risk_fraction=0.5)
    assert s.first_response == "at_risk"
    s = sla_status(opened, due, None, None, None, D(2025, 3, 10, 2, 30), OFFICE)
    assert (s.first_response, s.minutes_left) == ("breached", -30)


def test_at_risk_fraction_is_validated() -> None:
    with pytest.raises(ValueError):
        sla_status(T0, at(60), None, None, None, at(1), ALWAYS, at_risk_fraction=1.5)


def test_find_breaches_reports_each_clock_once() -> None:
    now = at(1000)
    rows = [
        # first response overdue and unanswered → ongoing
        CaseClocks("C1", T0, first_response_due=at(60), resolution_due=at(2000)),
        # already recorded → not reported again
        CaseClocks("C2", T0, first_response_due=at(60), first_response_breached_at=at(60)),
        # answered late, never recorded (job was down) → reported, not ongoing
        CaseClocks("C3", T0, first_response_due=at(60), first_response_at=at(90)),
        # answered in time, resolution overdue → only the resolution clock
        {
            "case_id": "C4",
            "opened_at": T0,
            "first_response_due": at(60),
            "first_response_at": at(30),
            "resolution_due": at(600),
            "resolved_at": None,
            "status": "in_progress",  # extra columns of a cases row are ignored
        },
        # closed as spam before anything was due → nothing
        CaseClocks("C5", T0, first_response_due=at(60), resolution_due=at(600), closed_at=at(10)),
        # not due yet
        CaseClocks("C6", T0, first_response_due=at(2000)),
        # due exactly now: not breached yet
        CaseClocks("C7", T0, first_response_due=now),
    ]
    found = find_breaches(rows, now, ALWAYS)
    assert found == [
        Breach("C1", "first_response", at(60), ongoing=True, minutes_over=940),
        Breach("C3", "first_response", at(60), ongoing=False, minutes_over=30),
        Breach("C4", "resolution", at(600), ongoing=True, minutes_over=400),
    ]


def test_find_breaches_counts_business_minutes_over() -> None:
    # Due Fri 18:00 CST, now Mon 10:00 CST: the weekend does not count, 60 business minutes over.
    row = CaseClocks("C1", D(2025, 3, 7, 1, 0), first_response_due=D(2025, 3, 7, 10, 0))
    (breach,) = find_breaches([row], D(2025, 3, 10, 2, 0), OFFICE)
    assert breach.minutes_over == 60
