"""The engine: every operator and combinator, effect precedence, stop, SLA and compensation, and explanations."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aftersales.policy.context import Decision, TriageContext
from aftersales.policy.engine import PolicyEngine
from aftersales.policy.loader import policy_from_text


def engine_for(rules: str, head: str = "") -> PolicyEngine:
    """An engine for a small policy (built-in sections, default P4/general) with these rules."""
    return PolicyEngine(policy_from_text(head + "rules:\n" + rules))


def fires(when: str, **ctx: Any) -> bool:
    """Whether a single rule with this `when` fires on a context."""
    decision = engine_for(f"  - id: probe\n    when: {when}\n    then: {{queue: vip}}\n").decide(TriageContext(**ctx))
    return [r.rule_id for r in decision.rules_fired] == ["probe"]


@pytest.mark.parametrize(
    ("when", "ctx", "expected"),
    [
        # equals / in / not_in / ne on coded fields
        ("{emotion: anger}", {"emotion": "anger"}, True),
        ("{emotion: anger}", {"emotion": "anxiety"}, False),
        ("{emotion: [anger, anxiety]}", {"emotion": "anxiety"}, True),
        ("{emotion: {ne: neutral}}", {"emotion": "neutral"}, False),
        ("{emotion: {not_in: [neutral, relief]}}", {"emotion": "gratitude"}, True),
        ("{tier: vip, channel: phone}", {"tier": "vip", "channel": "chat"}, False),
        # ordered stage: none < latent < explicit < intent_to_complain < formal_complaint
        ("{stage: {gte: intent_to_complain}}", {"stage": "formal_complaint"}, True),
        ("{stage: {gte: intent_to_complain}}", {"stage": "explicit"}, False),
        ("{stage: {gt: explicit}}", {"stage": "explicit"}, False),
        ("{stage: {lte: latent}}", {"stage": "none"}, True),
        ("{stage: {lt: latent}}", {"stage": "latent"}, False),
        ("{message_stage: {gte: explicit}}", {"message_stage": "intent_to_complain"}, True),
        ("{stage: {gte: latent}}", {"stage": "garbled"}, False),  # an unknown runtime value never matches
        ("{churn_level: {gte: medium}}", {"churn_level": "high"}, True),
        ("{churn_level: {gte: medium}}", {"churn_level": "low"}, False),
        # numbers
        ("{intensity: {gte: 3}}", {"intensity": 3}, True),
        ("{intensity: {gt: 2}}", {"intensity": 2}, False),
        ("{intensity: [2, 3]}", {"intensity": 2}, True),
        ("{churn_risk: {gte: 0.7}}", {"churn_risk": 0.71}, True),
        ("{polarity_score: {lt: -0.5}}", {"polarity_score": -0.2}, False),
        ("{repeat_contacts: {gte: 2, lt: 5}}", {"repeat_contacts": 5}, False),
        ("{repeat_contacts: {gte: 2, lt: 5}}", {"repeat_contacts": 4}, True),
        ("{order_value: {gte: 500}}", {"order_value": None}, False),  # unknown value: comparisons fail
        ("{order_value: {gte: 500}}", {"order_value": 899.0}, True),
        ("{order_value: {eq: null}}", {"order_value": None}, True),
        ("{emotion_trend: {lt: -0.1}}", {"emotion_trend": -0.3}, True),
        # booleans
        ("{channel_escalation: true}", {"channel_escalation": True}, True),
        ("{is_new_case: {ne: true}}", {"is_new_case": True}, False),
        # tuple field reasons: any of; eq [] = no reasons
        ("{reasons: quality_defect}", {"reasons": ("size_fit", "quality_defect")}, True),
        ("{reasons: [wrong_item, missing_parts]}", {"reasons": ("size_fit",)}, False),
        ("{reasons: {contains: [price]}}", {"reasons": ("price",)}, True),
        ("{reasons: {eq: []}}", {"reasons": ()}, True),
        ("{reasons: {eq: []}}", {"reasons": ("price",)}, False),
        ("{reasons: {eq: [price, size_fit]}}", {"reasons": ("size_fit", "price")}, True),
        ("{reasons: {ne: []}}", {"reasons": ("price",)}, True),
        # combinators
        ("{any: [{emotion: anger}, {stage: formal_complaint}]}", {"stage": "formal_complaint"}, True),
        ("{any: [{emotion: anger}, {stage: formal_complaint}]}", {"emotion": "anxiety"}, False),
        ("{all: [{emotion: anger}, {intensity: 3}]}", {"emotion": "anger", "intensity": 2}, False),
        ("{not: {tier: vip}}", {"tier": "vip"}, False),
        ("{not: {tier: vip, emotion: anger}}", {"tier": "vip"}, True),
        ("{any: [{all: [{tier: vip}, {emotion: anger}]}, {not: {channel: chat}}]}", {"channel": "phone"}, True),
        ("{}", {}, True),  # an empty `when` always matches
        # the decision so far: priority (P1 highest) and queue
        ("{priority: P4}", {}, True),
        ("{priority: {gte: P3}}", {}, False),
        ("{priority: {lte: P3}}", {}, True),
        ("{queue: general}", {}, True),
        ("{queue: {not_in: [complaints]}}", {}, True),
    ],
)
def test_operators(when: str, ctx: dict[str, Any], expected: bool) -> None:
    assert fires(when, **ctx) is expected


def test_priority_is_a_floor_never_lowered_by_a_later_priority() -> None:
    engine = engine_for(
        "  - {id: high, when: {emotion: anger}, then: {priority: P2}}\n"
        "  - {id: low, then: {priority: P3}}\n"
        "  - {id: lower_floor, when: {emotion: anger}, then: {priority: P4}}\n"
    )
    decision = engine.decide(TriageContext(emotion="anger"))
    assert decision.priority == "P2"
    assert [r.rule_id for r in decision.rules_fired] == ["high", "low", "lower_floor"]
    assert [r.changes for r in decision.rules_fired] == [{"priority": {"from": "P4", "to": "P2"}}, {}, {}]
    assert engine.decide(TriageContext()).priority == "P3"


def test_raise_and_lower_are_capped() -> None:
    engine = engine_for(
        "  - {id: p2, when: {emotion: anger}, then: {priority: P2}}\n"
        "  - {id: vip_bump, when: {tier: vip}, then: {raise_priority: 3}}\n"
        "  - {id: calm, when: {emotion: gratitude}, then: {lower_priority: 2}}\n"
    )
    assert engine.decide(TriageContext(emotion="anger", tier="vip")).priority == "P1"  # P2 + 3 capped at P1
    assert engine.decide(TriageContext(tier="vip")).priority == "P1"  # P4 + 3
    assert engine.decide(TriageContext(emotion="gratitude")).priority == "P4"  # P4 − 2 capped at P4
    assert engine.decide(TriageContext(emotion="gratitude", tier="vip")).priority == "P3"  # P4 + 3 − 2


def test_vip_bump_moves_each_base_level_by_one() -> None:
    engine = engine_for(
        "  - {id: technical, when: {problem_type: technical}, then: {priority: P2}}\n"
        "  - {id: service, when: {problem_type: service}, then: {priority: P3}}\n"
        "  - {id: vip_bump, when: {tier: vip}, then: {raise_priority: 1}}\n"
    )
    for problem, regular, vip in [("technical", "P2", "P1"), ("service", "P3", "P2"), ("other", "P4", "P3")]:
        assert engine.decide(TriageContext(problem_type=problem)).priority == regular
        assert engine.decide(TriageContext(problem_type=problem, tier="vip")).priority == vip


def test_stop_ends_evaluation_and_disabled_rules_are_skipped() -> None:
    engine = engine_for(
        "  - {id: thanks, when: {emotion: gratitude}, then: {reply_template: thanks}, stop: true}\n"
        "  - {id: off_rule, enabled: false, then: {queue: complaints}}\n"
        "  - {id: everyone, then: {priority: P2}}\n"
    )
    thanked = engine.decide(TriageContext(emotion="gratitude"))
    assert (thanked.priority, thanked.reply_template) == ("P4", "thanks")
    assert [r.rule_id for r in thanked.rules_fired] == ["thanks"]
    assert thanked.rules_fired[0].effects == {"reply_template": "thanks", "stop": True}
    other = engine.decide(TriageContext())
    assert (other.priority, other.queue) == ("P2", "general")


def test_a_guard_rule_may_only_stop() -> None:
    engine = engine_for(
        "  - {id: ignore_surveys, when: {channel: survey}, stop: true}\n  - {id: all, then: {priority: P1}}\n"
    )
    assert engine.decide(TriageContext(channel="survey")).priority == "P4"


def test_strategy_and_notify_keep_order_without_duplicates() -> None:
    engine = engine_for(
        "  - {id: a, then: {strategy: [apologise, replace], notify: [case_escalated]}}\n"
        "  - {id: b, then: {strategy: [replace, callback, apologise], notify: [case_escalated, sla_breach]}}\n",
        head="defaults: {strategy: [explain], notify: [return_received]}\n",
    )
    decision = engine.decide(TriageContext())
    assert decision.strategy == ["explain", "apologise", "replace", "callback"]
    assert decision.notify == ["return_received", "case_escalated", "sla_breach"]
    assert decision.rules_fired[1].changes == {"strategy": {"added": ["callback"]}, "notify": {"added": ["sla_breach"]}}


def test_later_queue_template_and_auto_reply_win() -> None:
    engine = engine_for(
        "  - {id: a, then: {queue: tech_support, reply_template: apology_remedy, auto_reply: true}}\n"
        "  - {id: b, when: {emotion: anxiety}, then: {queue: logistics, reply_template: reassure_next_step,"
        " auto_reply: false}}\n"
    )
    first = engine.decide(TriageContext())
    assert (first.queue, first.reply_template, first.auto_reply) == ("tech_support", "apology_remedy", True)
    second = engine.decide(TriageContext(emotion="anxiety"))
    assert (second.queue, second.reply_template, second.auto_reply) == ("logistics", "reassure_next_step", False)


def test_conditions_read_the_decision_so_far() -> None:
    engine = engine_for(
        "  - {id: angry, when: {emotion: anger}, then: {queue: emotion_care, priority: P1}}\n"
        "  - {id: vip_queue, when: {tier: vip, queue: {not_in: [emotion_care]}}, then: {queue: vip}}\n"
        "  - {id: urgent_note, when: {priority: {gte: P2}}, then: {notify: [case_escalated]}}\n"
    )
    calm = engine.decide(TriageContext(tier="vip"))
    assert (calm.queue, calm.notify) == ("vip", [])
    angry = engine.decide(TriageContext(tier="vip", emotion="anger"))
    assert (angry.queue, angry.notify) == ("emotion_care", ["case_escalated"])
    assert [r.rule_id for r in angry.rules_fired] == ["angry", "urgent_note"]
    assert angry.rules_fired[1].conditions[0]["actual"] == "P1"


def test_sla_follows_the_final_priority_unless_overridden() -> None:
    engine = engine_for(
        "  - {id: vip_bump, when: {tier: vip}, then: {raise_priority: 2}}\n"
        "  - {id: formal, when: {stage: formal_complaint}, then: {priority: P1, sla: {first_response: 10m}}}\n"
        "  - {id: slow_fix, when: {reasons: [counterfeit]}, then: {sla: {resolution: 3d}}}\n"
    )
    assert _sla(engine.decide(TriageContext())) == ("P4", 480, 3600)
    assert _sla(engine.decide(TriageContext(tier="vip"))) == ("P2", 30, 720)
    assert _sla(engine.decide(TriageContext(stage="formal_complaint"))) == ("P1", 10, 240)
    assert _sla(engine.decide(TriageContext(reasons=("counterfeit",)))) == ("P4", 480, 3 * 720)


def _sla(decision: Decision) -> tuple[str, int, int]:
    return decision.priority, decision.sla_first_response_minutes, decision.sla_resolution_minutes


def test_compensation_limit_by_tier_and_priority() -> None:
    engine = engine_for(
        "  - {id: urgent, when: {emotion: anger}, then: {priority: P1}}\n",
        head="compensation: {limits: {regular: 20, vip: {default: 50, P1: 100}}}\n",
    )
    assert engine.decide(TriageContext()).compensation_limit == 20
    assert engine.decide(TriageContext(emotion="anger")).compensation_limit == 20
    assert engine.decide(TriageContext(tier="vip")).compensation_limit == 50
    assert engine.decide(TriageContext(tier="vip", emotion="anger")).compensation_limit == 100
    assert engine_for("  - {id: a, then: {priority: P1}}\n").decide(TriageContext()).compensation_limit is None


def test_fired_rules_explain_themselves() -> None:
    engine = engine_for(
        "  - id: strong_anger\n"
        "    description: {zh: 强烈愤怒, en: Strong anger}\n"
        "    when:\n"
        "      emotion: anger\n"
        "      any: [{intensity: {gte: 3}}, {repeat_contacts: {gte: 2}}]\n"
        "    then: {priority: P1, queue: emotion_care}\n"
    )
    ctx = TriageContext(
        emotion="anger",
        intensity=3,
        repeat_contacts=1,
        evidence={"emotion": ["气死了", "太离谱"], "repeat_contacts": ["1 earlier contact"]},
    )
    decision = engine.decide(ctx)
    (fired,) = decision.rules_fired
    assert fired.rule_id == "strong_anger" and fired.description == "强烈愤怒 / Strong anger"
    assert fired.conditions == [
        {
            "field": "emotion",
            "op": "eq",
            "expected": "anger",
            "actual": "anger",
            "evidence": ["气死了", "太离谱"],
            "matched": True,
            "path": "when.emotion",
        },
        {
            "field": "intensity",
            "op": "gte",
            "expected": 3,
            "actual": 3,
            "evidence": [],
            "matched": True,
            "path": "when.any[0].intensity",
        },
        {
            "field": "repeat_contacts",
            "op": "gte",
            "expected": 2,
            "actual": 1,
            "evidence": ["1 earlier contact"],
            "matched": False,  # the other branch of `any` carried the rule
            "path": "when.any[1].repeat_contacts",
        },
    ]
    assert fired.effects == {"priority": "P1", "queue": "emotion_care"}
    assert fired.changes == {"priority": {"from": "P4", "to": "P1"}, "queue": {"from": "general", "to": "emotion_care"}}
    json.loads(decision.model_dump_json())  # the whole decision is JSON-ready


def test_negated_conditions_report_the_raw_comparison() -> None:
    engine = engine_for("  - {id: not_vip, when: {not: {tier: vip}}, then: {queue: general, priority: P3}}\n")
    (fired,) = engine.decide(TriageContext(reasons=("price",))).rules_fired
    assert fired.conditions[0] | {"evidence": []} == {
        "field": "tier",
        "op": "eq",
        "expected": "vip",
        "actual": "regular",
        "evidence": [],
        "matched": False,
        "path": "when.not.tier",
    }


def test_tuple_values_are_lists_in_explanations() -> None:
    engine = engine_for("  - {id: reship, when: {reasons: [wrong_item, missing_parts]}, then: {strategy: [replace]}}\n")
    (fired,) = engine.decide(TriageContext(reasons=("missing_parts", "size_fit"))).rules_fired
    assert fired.conditions[0]["expected"] == ["wrong_item", "missing_parts"]
    assert fired.conditions[0]["actual"] == ["missing_parts", "size_fit"]


def test_decisions_record_the_policy_version() -> None:
    engine = engine_for("  - {id: a, then: {priority: P1}}\n", head='version: "2026.7"\n')
    assert engine.decide(TriageContext()).policy_version == "2026.7"
    unversioned = engine_for("  - {id: a, then: {priority: P1}}\n", head="name: trial\n")
    assert unversioned.decide(TriageContext()).policy_version.startswith("trial+")


def test_no_rules_gives_the_defaults() -> None:
    decision = PolicyEngine(policy_from_text("defaults: {priority: P3, queue: tech_support}\n")).decide(TriageContext())
    assert (decision.priority, decision.queue, decision.strategy, decision.reply_template) == (
        "P3",
        "tech_support",
        [],
        "generic",
    )
    assert (decision.sla_first_response_minutes, decision.sla_resolution_minutes) == (120, 1440)
    assert decision.rules_fired == [] and decision.auto_reply is False
