"""The shipped policy: each rule fires on a Chinese or English example and does what docs/policy.md says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aftersales.policy.context import Decision, TriageContext
from aftersales.policy.engine import PolicyEngine
from aftersales.policy.loader import describe_condition, describe_effects, load_policy

DOCS = Path(__file__).resolve().parents[3] / "docs" / "policy.md"
POLICY = load_policy()
ENGINE = PolicyEngine(POLICY)
NEG = {"polarity": "negative"}

# (rule, example message, context the analyzer/signals would produce for it, expected decision fields)
EXAMPLES: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    (
        "positive_thanks",
        "收到了，质量很好，谢谢客服！",
        {"polarity": "positive", "emotion": "gratitude", "tier": "vip"},
        {"priority": "P4", "queue": "general", "strategy": ["thank"], "reply_template": "thanks", "auto_reply": True},
    ),
    (
        "technical_problem",
        "手机充不进电，开机就重启",
        {"reasons": ("quality_defect",), "problem_type": "technical"},
        {"priority": "P2", "queue": "tech_support", "strategy": ["explain", "replace", "refund"]},
    ),
    (
        "service_problem",
        "The agent hung up on me twice.",
        {"reasons": ("service_attitude",), "problem_type": "service", "language": "en"},
        {"priority": "P3", "queue": "general", "strategy": ["apologise"]},
    ),
    (
        "logistics_queue",
        "快递一周了还没到，物流也不更新",
        {"reasons": ("logistics_delay",), "problem_type": "other"},
        {"priority": "P4", "queue": "logistics", "strategy": ["expedite"]},
    ),
    (
        "reship_items",
        "The parcel arrived without the charger.",
        {"reasons": ("missing_parts",), "problem_type": "service", "language": "en"},
        {
            "priority": "P3",
            "queue": "logistics",
            "strategy": ["apologise", "replace", "expedite"],
            "notify": ["replacement_shipped"],
        },
    ),
    (
        "defect_remedy",
        "颜色和描述完全不一样",
        {"reasons": ("not_as_described",), "problem_type": "technical"},
        {"priority": "P2", "strategy": ["explain", "replace", "refund"], "notify": ["refund_issued"]},
    ),
    (
        "anxiety_reassure",
        "退款什么时候到账？有点着急",
        {**NEG, "emotion": "anxiety"},
        {"reply_template": "reassure_next_step", "strategy": ["reassure"], "notify": ["followup_survey"]},
    ),
    (
        "disappointment_recovery",
        "I expected much better. Really disappointed.",
        {**NEG, "emotion": "disappointment", "language": "en"},
        {"reply_template": "empathy_recovery", "strategy": ["apologise", "compensation"], "compensation_limit": 20},
    ),
    (
        "negative_apology",
        "东西很难用，非常不满意",
        {**NEG, "emotion": "dissatisfaction", "intensity": 2},
        {"priority": "P4", "reply_template": "apology_remedy", "strategy": ["apologise"]},
    ),
    (
        "public_negative",
        "差评！大家别买了",
        {**NEG, "emotion": "dissatisfaction", "channel": "review"},
        {"priority": "P3", "queue": "general"},
    ),
    (
        "repeat_contact",
        "这个问题我已经问过两次了",
        {"repeat_contacts": 2, "evidence": {"repeat_contacts": ["2 earlier contacts about O1"]}},
        {"priority": "P3", "strategy": []},
    ),
    (
        "repeat_contact_callback",
        "Third time I'm writing about this order!",
        {"repeat_contacts": 3, "reasons": ("quality_defect",), "problem_type": "technical"},
        {"priority": "P1", "queue": "tech_support", "strategy": ["explain", "replace", "refund", "callback"]},
    ),
    (
        "vip_bump",
        "Can I swap for a bigger size?",
        {"tier": "vip", "reasons": ("size_fit",), "language": "en"},
        {"priority": "P3", "queue": "vip", "compensation_limit": 50},
    ),
    (
        "anger_strong",
        "气死了！！！三天了都没人管！",
        {**NEG, "emotion": "anger", "intensity": 3, "tier": "vip"},
        {
            "priority": "P1",
            "queue": "emotion_care",
            "reply_template": "apology_remedy",
            "notify": ["case_escalated", "followup_survey"],
            "compensation_limit": 100,
        },
    ),
    (
        "complaint_intent",
        "再不解决我就去12315投诉",
        {**NEG, "emotion": "anger", "intensity": 3, "stage": "intent_to_complain"},
        {"priority": "P1", "queue": "complaints", "reply_template": "apology_remedy", "compensation_limit": 50},
    ),
    (
        "formal_complaint",
        "I have filed a complaint with the platform.",
        {**NEG, "stage": "formal_complaint", "language": "en"},
        {
            "priority": "P1",
            "queue": "complaints",
            "strategy": ["apologise", "callback"],
            "sla_first_response_minutes": 10,
        },
    ),
    (
        "churn_retention",
        "以后再也不在你们家买了",
        {**NEG, "emotion": "dissatisfaction", "churn_level": "high", "churn_risk": 0.82},
        {"strategy": ["apologise", "compensation", "callback"], "compensation_limit": 20},
    ),
    (
        "negative_followup",
        "Not great.",
        {**NEG, "language": "en"},
        {"priority": "P4", "notify": ["followup_survey"]},
    ),
    (
        "vip_queue",
        "屏幕有坏点",
        {"tier": "vip", "reasons": ("quality_defect",), "problem_type": "technical"},
        {"priority": "P1", "queue": "vip"},
    ),
]


@pytest.mark.parametrize(("rule_id", "text", "ctx", "expected"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_each_rule_fires_on_its_example(rule_id: str, text: str, ctx: dict[str, Any], expected: dict[str, Any]) -> None:
    context = TriageContext(**ctx)
    decision = ENGINE.decide(context)
    assert rule_id in [r.rule_id for r in decision.rules_fired], text
    assert {k: getattr(decision, k) for k in expected} == expected, text


def test_every_default_rule_has_an_example() -> None:
    assert sorted(e[0] for e in EXAMPLES) == sorted(r.id for r in POLICY.rules)


def fired(decision: Decision) -> list[str]:
    return [r.rule_id for r in decision.rules_fired]


def test_a_thank_you_with_a_reason_is_not_auto_answered() -> None:
    decision = ENGINE.decide(TriageContext(polarity="positive", emotion="gratitude", reasons=("size_fit",)))
    assert (decision.priority, decision.auto_reply, decision.reply_template) == ("P4", False, "generic")
    assert "positive_thanks" not in fired(decision)


def test_anger_and_complaint_intent_go_to_complaints() -> None:
    decision = ENGINE.decide(TriageContext(**NEG, emotion="anger", intensity=3, stage="intent_to_complain", tier="vip"))
    assert (decision.priority, decision.queue) == ("P1", "complaints")
    assert fired(decision).index("anger_strong") < fired(decision).index("complaint_intent")
    assert "vip_queue" not in fired(decision)


def test_mild_anger_is_not_escalated_to_p1() -> None:
    decision = ENGINE.decide(TriageContext(**NEG, emotion="anger", intensity=2))
    assert (decision.priority, decision.queue, decision.reply_template) == ("P4", "general", "apology_remedy")


def test_sla_targets_per_priority() -> None:
    assert [POLICY.sla_minutes(p) for p in ("P1", "P2", "P3", "P4")] == [(15, 240), (30, 720), (120, 1440), (480, 3600)]


def test_the_default_policy_is_open_every_day() -> None:
    config = POLICY.business_hours.to_calendar_config()
    assert config["weekdays"] == [0, 1, 2, 3, 4, 5, 6] and config["cn_public_holidays"] is False
    assert (config["start"], config["end"], config["timezone"]) == ("09:00", "21:00", "Asia/Shanghai")


def test_evidence_travels_into_the_explanation() -> None:
    ctx = TriageContext(**NEG, emotion="anger", intensity=3, evidence={"emotion": ["气死了"], "intensity": ["！！！"]})
    rule = next(r for r in ENGINE.decide(ctx).rules_fired if r.rule_id == "anger_strong")
    assert [(c["field"], c["actual"], c["evidence"]) for c in rule.conditions] == [
        ("emotion", "anger", ["气死了"]),
        ("intensity", 3, ["！！！"]),
    ]


def test_docs_table_matches_the_shipped_rules() -> None:
    """docs/policy.md lists every default rule with the same reading of its when/then as `policy validate`."""
    text = DOCS.read_text(encoding="utf-8")
    for rule in POLICY.rules:
        row = f"| `{rule.id}` | {describe_condition(rule.condition)} | {describe_effects(rule.then, rule.stop)} |"
        assert row in text, f"docs/policy.md is missing or stale for {rule.id}: expected {row}"
