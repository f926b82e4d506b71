"""Case state machine: every (current, target) pair, closing reasons, and what a customer message does."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from aftersales.errors import IllegalTransitionError
from aftersales.workflow.states import (
    NEW_CASE,
    STATUSES,
    allowed_targets,
    check_transition,
    on_customer_message,
)

# The expected table, written out by hand (not derived from TRANSITIONS) so a change to the data shows up here.
LEGAL = {
    ("new", "triaged"): "normal",
    ("new", "in_progress"): "normal",
    ("new", "closed"): "normal",
    ("triaged", "in_progress"): "normal",
    ("triaged", "waiting_customer"): "normal",
    ("triaged", "resolved"): "normal",
    ("triaged", "closed"): "normal",
    ("in_progress", "waiting_customer"): "normal",
    ("in_progress", "resolved"): "normal",
    ("waiting_customer", "in_progress"): "normal",
    ("waiting_customer", "resolved"): "normal",
    ("waiting_customer", "closed"): "normal",
    ("resolved", "closed"): "normal",
    ("resolved", "in_progress"): "reopen",
    ("closed", "in_progress"): "reopen",
}
ALL_PAIRS = list(itertools.product(STATUSES, STATUSES))


def test_statuses_are_the_contract_codes() -> None:
    assert STATUSES == ("new", "triaged", "in_progress", "waiting_customer", "resolved", "closed")


@pytest.mark.parametrize(("current", "target"), [p for p in ALL_PAIRS if p in LEGAL])
def test_legal_transitions(current: str, target: str) -> None:
    assert check_transition(current, target, reason="duplicate of C-1") == LEGAL[(current, target)]


@pytest.mark.parametrize(("current", "target"), [p for p in ALL_PAIRS if p not in LEGAL])
def test_illegal_transitions_name_both_states_and_the_allowed_targets(current: str, target: str) -> None:
    with pytest.raises(IllegalTransitionError) as info:
        check_transition(current, target, reason="any")
    message = info.value.message
    assert repr(current) in message and repr(target) in message
    for allowed in allowed_targets(current):
        assert allowed in message
    assert info.value.code == "E310_illegal_transition"


@pytest.mark.parametrize("current", ["new", "triaged"])
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_closing_an_unworked_case_needs_a_reason(current: str, reason: str | None) -> None:
    with pytest.raises(IllegalTransitionError, match="needs a reason"):
        check_transition(current, "closed", reason=reason)
    assert check_transition(current, "closed", reason="spam / 垃圾信息") == "normal"


def test_closing_after_work_needs_no_reason() -> None:
    assert check_transition("waiting_customer", "closed") == "normal"
    assert check_transition("resolved", "closed") == "normal"


@pytest.mark.parametrize("bad", ["open", "", "RESOLVED"])
def test_unknown_status_codes_are_rejected(bad: str) -> None:
    with pytest.raises(IllegalTransitionError, match="unknown case status"):
        check_transition(bad, "closed")
    with pytest.raises(IllegalTransitionError, match="unknown case status"):
        check_transition("new", bad)
    with pytest.raises(IllegalTransitionError):
        allowed_targets(bad)


@pytest.mark.parametrize("status", STATUSES)
def test_allowed_targets_match_the_table_in_contract_order(status: str) -> None:
    expected = tuple(t for t in STATUSES if (status, t) in LEGAL)
    assert allowed_targets(status) == expected


NOW = dt.datetime(2025, 6, 20, 8, 0)


@pytest.mark.parametrize(
    ("status", "done_at", "expected"),
    [
        ("new", None, None),
        ("triaged", None, None),
        ("in_progress", None, None),
        ("waiting_customer", None, "in_progress"),
        ("resolved", NOW - dt.timedelta(days=3), "in_progress"),
        ("resolved", NOW - dt.timedelta(days=14), "in_progress"),  # the window's last instant still reopens
        ("resolved", NOW - dt.timedelta(days=14, seconds=1), NEW_CASE),
        ("resolved", None, "in_progress"),  # unknown resolution time: reopen rather than lose the thread
        ("closed", NOW - dt.timedelta(hours=1), NEW_CASE),
    ],
)
def test_on_customer_message(status: str, done_at: dt.datetime | None, expected: str | None) -> None:
    assert on_customer_message(status, done_at=done_at, at=NOW) == expected


def test_customer_message_targets_are_legal_transitions() -> None:
    for status in STATUSES:
        target = on_customer_message(status)
        if target not in (None, NEW_CASE):
            assert check_transition(status, target) in ("normal", "reopen")


def test_reopen_window_is_configurable() -> None:
    done = NOW - dt.timedelta(days=3)
    assert on_customer_message("resolved", done_at=done, at=NOW, reopen_window=dt.timedelta(days=2)) == NEW_CASE
