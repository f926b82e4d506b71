"""Behaviour stage rules (each fires and each stays quiet), the stage helpers, and the rules in context."""

from __future__ import annotations

from typing import Any

import pytest

from aftersales.signals import STAGE_RULES, StageInputs, behaviour_stage, compute_signals, effective_stage, max_stage
from aftersales.signals.stage import stage_rank
from tests.unit.signals.builders import AS_OF, case, frame, msg

# (inputs, expected stage, features of the rules that fired)
CASES: list[tuple[dict[str, Any], str, set[str]]] = [
    ({}, "none", set()),
    # repeat_contact
    ({"repeat_contacts": 1}, "explicit", {"repeat_contacts"}),
    ({"repeat_contacts": 0, "repeat_contacts_7d": 0}, "none", set()),
    # negative public review while a case is open
    ({"negative_public_while_open": 1, "open_cases": 1}, "explicit", {"negative_public_while_open"}),
    ({"negative_public_while_open": 1, "open_cases": 0}, "none", set()),
    # ≥ 3 contacts within 7 days (this one + 2 earlier)
    ({"repeat_contacts": 2, "repeat_contacts_7d": 2}, "intent_to_complain", {"repeat_contacts", "repeat_contacts_7d"}),
    ({"repeat_contacts": 3, "repeat_contacts_7d": 1}, "explicit", {"repeat_contacts"}),
    # a reopened case
    ({"open_reopened_cases": 1, "open_cases": 1}, "intent_to_complain", {"open_reopened_cases"}),
    ({"open_reopened_cases": 0, "open_cases": 1}, "none", set()),
    # channel escalation to social/review while a case is open
    ({"escalated_to": 3, "open_cases": 1}, "intent_to_complain", {"escalated_to"}),
    ({"escalated_to": 2, "open_cases": 1}, "none", set()),  # up to the phone only
    ({"escalated_to": 3, "open_cases": 0}, "none", set()),
]


@pytest.mark.parametrize(("inputs", "stage", "fired"), CASES)
def test_each_rule_fires_and_stays_quiet(inputs: dict[str, Any], stage: str, fired: set[str]) -> None:
    got, factors = behaviour_stage(StageInputs(**inputs))
    assert got == stage
    assert {f.feature for f in factors} == fired
    assert all(
        f.note and f.contribution == stage_rank(r.stage) for f in factors for r in STAGE_RULES if r.feature == f.feature
    )


def test_every_rule_is_covered_by_a_case() -> None:
    fired = set().union(*(f for _, _, f in CASES))
    assert {r.feature for r in STAGE_RULES} <= fired


def test_behaviour_never_reaches_formal_complaint() -> None:
    loud = StageInputs(5, 5, 3, 3, 3, 3)
    stage, factors = behaviour_stage(loud)
    assert stage == "intent_to_complain" and len(factors) == len(STAGE_RULES)


@pytest.mark.parametrize(
    ("codes", "want"),
    [
        ((), "none"),
        (("none", "latent"), "latent"),
        (("explicit", None, "latent"), "explicit"),
        (("formal_complaint", "intent_to_complain"), "formal_complaint"),
        (("unknown", "none"), "none"),
    ],
)
def test_max_stage(codes: tuple[str | None, ...], want: str) -> None:
    assert max_stage(*codes) == want


@pytest.mark.parametrize(
    ("message", "behaviour", "case_stage", "want"),
    [
        ("latent", "explicit", None, "explicit"),
        ("formal_complaint", "none", "explicit", "formal_complaint"),
        ("none", "none", "intent_to_complain", "intent_to_complain"),
        (None, None, None, "none"),
    ],
)
def test_effective_stage_takes_the_highest(
    message: str | None, behaviour: str | None, case_stage: str | None, want: str
) -> None:
    assert effective_stage(message, behaviour, case_stage) == want


def signals(messages: list[dict[str, Any]], cases: list[dict[str, Any]] | None = None, **kw: Any) -> Any:
    return compute_signals("C1", AS_OF, messages=frame("messages", messages), cases=frame("cases", cases or []), **kw)


def test_third_contact_in_a_week_about_one_order_is_intent_to_complain() -> None:
    earlier = [msg(6, order_id="O1"), msg(2, order_id="O1", channel="phone")]
    got = signals(earlier, focus_order_id="O1")
    assert got.repeat_contacts_same_order == 2 and got.extra["repeat_contacts_7d"] == 2
    assert got.behaviour_stage == "intent_to_complain"
    assert any("3 contacts" in f.note for f in got.stage_factors)
    assert signals(earlier[:1], focus_order_id="O1").behaviour_stage == "explicit"
    assert signals(earlier, focus_order_id="O2").behaviour_stage == "none"
    assert signals(earlier).behaviour_stage == "none"  # no focus: nothing to repeat


def test_public_escalation_with_an_open_case_from_frames() -> None:
    rows = [msg(4, channel="chat"), msg(1, channel="review", polarity="negative")]
    got = signals(rows, [case(5)])
    assert got.channel_escalation and got.behaviour_stage == "intent_to_complain"
    assert {f.feature for f in got.stage_factors} == {"escalated_to", "negative_public_while_open"}
    assert signals(rows).behaviour_stage == "none"  # same behaviour without an open case
