"""What-if simulation: hand-computed queue waits and breaches, and the cases whose routing changes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from aftersales.errors import InvalidInputError
from aftersales.policy.context import TriageContext
from aftersales.policy.loader import load_policy, policy_from_text
from aftersales.policy.schema import Policy
from aftersales.policy.simulate import PolicyRun, serve_queue, simulate

T0 = datetime(2026, 3, 2, 10, 0)
# Tight clocks so a few minutes of waiting already breach: P1 5 minutes, P4 15 minutes.
SLA = (
    "sla:\n"
    "  P1: {first_response: 5m, resolution: 1h}\n"
    "  P2: {first_response: 10m, resolution: 2h}\n"
    "  P3: {first_response: 15m, resolution: 3h}\n"
    "  P4: {first_response: 15m, resolution: 4h}\n"
)
CURRENT = policy_from_text('version: "current"\n' + SLA)  # everything P4 → general
NEW = policy_from_text(
    'version: "new"\n' + SLA + "rules:\n  - {id: urgent_anger, when: {emotion: anger}, then: {priority: P1}}\n"
)
ROUTED = policy_from_text(
    'version: "routed"\n' + SLA + "rules:\n"
    "  - {id: urgent_anger, when: {emotion: anger}, then: {priority: P1, queue: emotion_care}}\n"
)
CALM, ANGRY = TriageContext(), TriageContext(emotion="anger", polarity="negative")


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# A at 0, B at 1 (both calm), C at 2 (angry).
ITEMS = [("A", at(0), CALM), ("B", at(1), CALM), ("C", at(2), ANGRY)]


def waits(run: PolicyRun) -> dict[str, float | None]:
    return {c.case_key: c.wait_minutes for c in run.cases}


def test_serve_queue_two_agents_three_arrivals() -> None:
    # Agents free at 0 and 0; A(0) → agent 1 until 10, B(1) → agent 2 until 11, C(2) waits for agent 1 at 10.
    starts = serve_queue([(at(0), 1, 0), (at(1), 1, 1), (at(2), 4, 2)], agents=2, handle_minutes=10)
    assert starts == {0: at(0), 1: at(1), 2: at(10)}


def test_serve_queue_most_urgent_first_then_fifo() -> None:
    # One agent: A(0, P4) starts at once; at 10 B(1, P4) and C(2, P1) wait: C first (10), then B (20).
    starts = serve_queue([(at(0), 1, 0), (at(1), 1, 1), (at(2), 4, 2)], agents=1, handle_minutes=10)
    assert starts == {0: at(0), 2: at(10), 1: at(20)}
    # Equal urgency: arrival order.
    same = serve_queue([(at(3), 2, 0), (at(1), 2, 1), (at(2), 2, 2)], agents=1, handle_minutes=5)
    assert same == {1: at(1), 2: at(6), 0: at(11)}


def test_serve_queue_idle_gap_and_no_agents() -> None:
    starts = serve_queue([(at(0), 1, 0), (at(30), 1, 1)], agents=1, handle_minutes=10)
    assert starts == {0: at(0), 1: at(30)}  # the agent idles until the next arrival
    assert serve_queue([(at(0), 1, 0)], agents=0, handle_minutes=10) == {}


def test_two_agents_priority_change_creates_a_breach() -> None:
    report = simulate(ITEMS, CURRENT, NEW, staffing={"general": 2}, handle_minutes=10)
    # Both agents are busy until 10 whatever C's priority: C waits 8 minutes either way.
    assert waits(report.current) == waits(report.new) == {"A": 0, "B": 0, "C": 8}
    assert [c.breach for c in report.current.cases] == [False, False, False]  # 8 ≤ 15 (P4)
    assert [c.breach for c in report.new.cases] == [False, False, True]  # 8 > 5 (P1)
    assert (report.current.breaches, report.new.breaches) == (0, 1)
    (change,) = report.changes
    assert (change.case_key, change.priority_current, change.priority_new) == ("C", "P4", "P1")
    assert (change.rule_current, change.rule_new) == (None, "urgent_anger")


def test_one_agent_priority_reorders_the_queue() -> None:
    report = simulate(ITEMS, CURRENT, NEW, staffing={"general": 1}, handle_minutes=10)
    assert waits(report.current) == {"A": 0, "B": 9, "C": 18}  # FIFO: C breaches its 15-minute P4 target
    assert waits(report.new) == {"A": 0, "B": 19, "C": 8}  # C jumps ahead; B now breaches, C misses its 5 minutes
    assert (report.current.breaches, report.new.breaches) == (1, 2)
    general = report.new.queues["general"]
    assert (general.agents, general.cases, general.breaches, general.max_wait_minutes) == (1, 3, 2, 19)
    assert general.mean_wait_minutes == pytest.approx(9)


def test_routing_to_a_staffed_queue_removes_the_wait() -> None:
    report = simulate(ITEMS, CURRENT, ROUTED, staffing={"general": 1, "emotion_care": 1}, handle_minutes=10)
    assert waits(report.new) == {"A": 0, "B": 9, "C": 0}
    assert report.new.by_queue == {"general": 2, "emotion_care": 1}
    assert report.new.by_priority == {"P4": 2, "P1": 1}
    (change,) = report.changes
    assert (change.queue_current, change.queue_new, change.rule_new) == ("general", "emotion_care", "urgent_anger")


def test_unstaffed_queue_breaches_everything() -> None:
    report = simulate(ITEMS, CURRENT, ROUTED, staffing={"general": 2}, handle_minutes=10)
    care = report.new.queues["emotion_care"]
    assert (care.agents, care.cases, care.breaches, care.mean_wait_minutes) == (0, 1, 1, None)
    assert waits(report.new)["C"] is None


def test_wildcard_staffing_and_per_queue_handle_times() -> None:
    report = simulate(ITEMS, CURRENT, ROUTED, staffing={"*": 1}, handle_minutes={"general": 20, "*": 5})
    assert waits(report.new) == {"A": 0, "B": 19, "C": 0}
    assert report.new.queues["emotion_care"].agents == 1


def test_a_business_calendar_measures_the_waits() -> None:
    seen: list[tuple[datetime, datetime]] = []

    def business_minutes(start: datetime, end: datetime) -> float:
        seen.append((start, end))
        return 0.0  # e.g. everything happened outside business hours

    report = simulate(ITEMS, CURRENT, NEW, staffing={"general": 1}, handle_minutes=10, calendar_fn=business_minutes)
    assert report.new.breaches == 0 and not report.wall_clock
    assert (at(2), at(10)) in seen


def test_report_is_json_ready_and_side_by_side() -> None:
    report = simulate(ITEMS, CURRENT, ROUTED, staffing={"general": 1, "emotion_care": 1}, handle_minutes=10)
    data = json.loads(json.dumps(report.to_dict(include_cases=True)))
    assert data["policy_current"] == "current" and data["policy_new"] == "routed"
    assert data["priorities"]["P1"] == {"current": 0, "new": 1, "delta": 1}
    assert data["queues"]["emotion_care"] == {"current": 0, "new": 1, "delta": 1}
    assert data["sla_breaches"]["total"] == {"current": 1, "new": 0, "delta": -1}
    assert data["queue_load"]["emotion_care"] == {
        "new": {"agents": 1, "cases": 1, "breaches": 0, "mean_wait_minutes": 0.0, "max_wait_minutes": 0.0}
    }
    assert data["changes"] == [
        {
            "case_key": "C",
            "priority": {"current": "P4", "new": "P1"},
            "queue": {"current": "general", "new": "emotion_care"},
            "rule_current": None,
            "rule_new": "urgent_anger",
        }
    ]
    assert data["case_outcomes"]["new"][2]["start"] == at(2).isoformat()


def test_the_default_policy_against_itself_changes_nothing() -> None:
    policy: Policy = load_policy()
    items = [(f"K{i}", at(i), ctx) for i, ctx in enumerate([CALM, ANGRY, TriageContext(tier="vip")])]
    report = simulate(items, policy, policy, staffing={"*": 2}, handle_minutes=6)
    assert report.changes == [] and report.current.by_queue == report.new.by_queue


@pytest.mark.parametrize(
    ("staffing", "handle", "message"),
    [
        ({"general": 1}, {"vip": 5}, "no handle time for queue general"),
        ({"general": 1}, 0, "handle time for queue general must be > 0"),
        ({"general": -1}, 5, "staffing for queue general must be a whole number"),
    ],
)
def test_bad_inputs(staffing: dict[str, int], handle: dict[str, float] | float, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        simulate(ITEMS, CURRENT, NEW, staffing=staffing, handle_minutes=handle)


def test_case_keys_must_be_unique() -> None:
    with pytest.raises(InvalidInputError, match="repeated: A"):
        simulate([*ITEMS, ("A", at(5), CALM)], CURRENT, NEW, staffing={"general": 1}, handle_minutes=5)
