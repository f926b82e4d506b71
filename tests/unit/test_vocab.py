"""The vocabulary is a contract (DESIGN.md §3): codes must never drift."""

from __future__ import annotations

import pytest

from aftersales import vocab

CONTRACT = {
    vocab.Polarity: ["positive", "neutral", "negative"],
    vocab.Emotion: [
        "anger",
        "dissatisfaction",
        "disappointment",
        "anxiety",
        "neutral",
        "satisfaction",
        "relief",
        "gratitude",
    ],
    vocab.Stage: ["none", "latent", "explicit", "intent_to_complain", "formal_complaint"],
    vocab.Reason: [
        "quality_defect",
        "counterfeit",
        "damaged_in_transit",
        "wrong_item",
        "missing_parts",
        "not_as_described",
        "size_fit",
        "logistics_delay",
        "hard_to_use",
        "changed_mind",
        "price",
        "service_attitude",
        "other",
    ],
    vocab.ProblemType: ["technical", "service", "other"],
    vocab.Priority: ["P1", "P2", "P3", "P4"],
    vocab.CaseStatus: ["new", "triaged", "in_progress", "waiting_customer", "resolved", "closed"],
    vocab.Channel: ["chat", "phone", "email", "social", "review", "survey", "ticket", "return_form"],
}


@pytest.mark.parametrize("enum", list(CONTRACT), ids=lambda e: e.__name__)
def test_codes_match_design(enum: type[vocab.Labelled]) -> None:
    assert enum.codes() == CONTRACT[enum]


@pytest.mark.parametrize("enum", list(CONTRACT), ids=lambda e: e.__name__)
def test_every_code_has_both_display_names(enum: type[vocab.Labelled]) -> None:
    for member in enum:
        assert member.zh and member.en
        assert member.label("zh-CN") == member.zh and member.label("en") == member.en


def test_emotions_map_to_polarity() -> None:
    assert set(vocab.EMOTION_POLARITY) == set(vocab.Emotion)
    assert vocab.EMOTION_POLARITY[vocab.Emotion.RELIEF] is vocab.Polarity.POSITIVE


def test_display_names_must_cover_codes() -> None:
    with pytest.raises(ValueError, match="do not match"):
        vocab._names(vocab.Priority, {"P1": ("紧急", "urgent")})
