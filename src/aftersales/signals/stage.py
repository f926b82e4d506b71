"""Complaint stage from behaviour alone (repeat contacts, reopens, public escalation), as a small table of rules.

The message text gives one stage (nlp), the customer's behaviour another (here), the case its own; the effective stage
is the highest of the three, so a calm-sounding third call about the same broken order is still treated as a
complaint in the making. Behaviour never implies `formal_complaint`: only words or a case record can show that the
customer has actually gone to the platform, a regulator or the media.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aftersales.signals.types import Factor
from aftersales.vocab import Stage

STAGE_ORDER: tuple[str, ...] = tuple(Stage.codes())  # none < latent < explicit < intent_to_complain < formal
_RANK = {code: i for i, code in enumerate(STAGE_ORDER)}


def stage_rank(code: str | None) -> int:
    """Position of a stage code on the ladder (unknown or missing codes rank as `none`)."""
    return _RANK.get(code or Stage.NONE.value, 0)


def max_stage(*codes: str | None) -> str:
    """The highest of several stage codes (missing ones ignored), so every source of evidence can only raise it."""
    best = Stage.NONE.value
    for code in codes:
        if code is not None and stage_rank(code) > stage_rank(best):
            best = code
    return best


def effective_stage(message_stage: str | None, behaviour_stage: str | None, case_stage: str | None) -> str:
    """The stage triage should act on: the highest of what the text, the behaviour and the case so far say."""
    return max_stage(message_stage, behaviour_stage, case_stage)


@dataclass(frozen=True, slots=True)
class StageInputs:
    """What the stage rules read: behaviour features plus the contacts about the problem in focus."""

    repeat_contacts: int = 0  # earlier customer contacts about the same unresolved problem (order / open case)
    repeat_contacts_7d: int = 0  # of those, within the last 7 days
    open_cases: int = 0
    open_reopened_cases: int = 0  # open cases that were reopened at least once
    escalated_to: int = 0  # highest ladder level the customer moved up to in 30 days (3 = social/review)
    negative_public_while_open: int = 0  # negative review/social messages since the oldest open case began


@dataclass(frozen=True, slots=True)
class StageRule:
    """One behaviour rule: when `test` holds, the stage is at least `stage`; `note` explains it to an agent."""

    rule_id: str
    stage: Stage
    feature: str
    test: Callable[[StageInputs], bool]
    value: Callable[[StageInputs], int]
    note: Callable[[StageInputs], str]


# Ordered from the weakest conclusion to the strongest; every rule that fires is reported, the highest stage wins.
STAGE_RULES: tuple[StageRule, ...] = (
    StageRule(
        "repeat_contact",
        Stage.EXPLICIT,
        "repeat_contacts",
        test=lambda s: s.repeat_contacts >= 1,
        value=lambda s: s.repeat_contacts,
        note=lambda s: f"contact no. {s.repeat_contacts + 1} about the same unresolved problem",
    ),
    StageRule(
        "negative_public_review_open_case",
        Stage.EXPLICIT,
        "negative_public_while_open",
        test=lambda s: s.negative_public_while_open >= 1 and s.open_cases >= 1,
        value=lambda s: s.negative_public_while_open,
        note=lambda s: f"{s.negative_public_while_open} negative public review/post while a case is open",
    ),
    StageRule(
        "three_contacts_7d",
        Stage.INTENT_TO_COMPLAIN,
        "repeat_contacts_7d",
        # The contact being handled now plus two earlier ones within a week.
        test=lambda s: s.repeat_contacts_7d >= 2,
        value=lambda s: s.repeat_contacts_7d + 1,
        note=lambda s: f"{s.repeat_contacts_7d + 1} contacts about the same problem within 7 days",
    ),
    StageRule(
        "reopened_case",
        Stage.INTENT_TO_COMPLAIN,
        "open_reopened_cases",
        test=lambda s: s.open_reopened_cases >= 1,
        value=lambda s: s.open_reopened_cases,
        note=lambda s: f"{s.open_reopened_cases} open case(s) reopened after being resolved",
    ),
    StageRule(
        "public_escalation_open_case",
        Stage.INTENT_TO_COMPLAIN,
        "escalated_to",
        test=lambda s: s.escalated_to >= 3 and s.open_cases >= 1,
        value=lambda s: s.escalated_to,
        note=lambda s: "moved to social media / public review while a case is open",
    ),
)


def behaviour_stage(inputs: StageInputs, rules: tuple[StageRule, ...] = STAGE_RULES) -> tuple[str, tuple[Factor, ...]]:
    """Stage implied by behaviour with one Factor per rule that fired (contribution = the stage's rank)."""
    fired = [r for r in rules if r.test(inputs)]
    factors = tuple(
        Factor(
            feature=r.feature,
            value=float(r.value(inputs)),
            contribution=float(stage_rank(r.stage)),
            note=r.note(inputs),
        )
        for r in fired
    )
    return max_stage(*(r.stage.value for r in fired)), factors
