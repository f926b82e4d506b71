"""The polarity/emotion settlement: a confident emotion decides neutral vs not; label, score and emotion agree."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from aftersales.nlp.combine import EMOTIONS, CombinerParams, polarity_label, settle_polarity


def _emotion(code: str, p: float) -> np.ndarray:
    out = np.full(len(EMOTIONS), (1.0 - p) / (len(EMOTIONS) - 1))
    out[EMOTIONS.index(code)] = p
    return out


@pytest.mark.parametrize(
    ("score", "code", "p", "expected"),
    [
        (0.6, "anger", 0.9, "positive"),  # the sign stays the polarity model's
        (-0.4, "neutral", 0.8, "neutral"),  # a confident "no feeling" makes it neutral
        (0.05, "gratitude", 0.75, "positive"),  # a confident feeling lifts a neutral reading out of the band
        (-0.02, "anger", 0.75, "negative"),
        (0.6, "anger", 0.5, "positive"),  # not confident enough: the polarity stands
        (-0.3, "dissatisfaction", 0.9, "negative"),  # already agreeing: untouched
    ],
)
def test_confident_emotion_decides_and_score_follows(score: float, code: str, p: float, expected: str) -> None:
    params = CombinerParams(emotion_override=0.7, polarity_neutral_band=0.1)
    label, moved = settle_polarity(score, _emotion(code, p), params)
    assert label == expected and polarity_label(moved, params) == label
    if label == polarity_label(score, params):
        assert moved == score
    else:
        assert abs(moved) <= max(abs(score), params.polarity_neutral_band + 0.01)


def test_default_params_never_override() -> None:
    params = CombinerParams()
    assert settle_polarity(0.6, _emotion("anger", 0.99), params) == ("positive", 0.6)


def test_analyzer_version_fits_the_column() -> None:
    from aftersales.nlp.analyzer import VERSION_CHARS, analyzer_version

    same = {t: "2026.11.2" for t in ("polarity", "emotion", "stage", "reasons")}
    assert analyzer_version(same) == "models:2026.11.2"
    mixed = {**same, "stage": "kw-1"}
    short = {**mixed, "polarity": "1", "emotion": "1", "reasons": "1"}
    assert analyzer_version(short) == "polarity:1+emotion:1+stage:kw-1+reasons:1"
    assert analyzer_version(mixed).startswith("polarity:2026.11.2+emotion:2026.11.2+stage:kw-1")
    assert len(analyzer_version(mixed)) == VERSION_CHARS
    long = {t: f"transformers:{'x' * 40}-{t}" for t in same}
    a, b = analyzer_version(long), analyzer_version({**long, "stage": "other"})
    assert len(a) == VERSION_CHARS and a != b


def test_reason_label_bias_moves_only_its_own_reason() -> None:
    from aftersales.nlp.combine import REASONS, combine_reasons

    p_model = np.full((1, len(REASONS)), 0.5)
    rule = np.zeros((1, len(REASONS)))
    plain = combine_reasons(p_model, rule, CombinerParams())
    params = CombinerParams(reason_label_bias={"not_as_described": -1.0})
    shifted = combine_reasons(p_model, rule, params)
    j = REASONS.index("not_as_described")
    assert shifted[0, j] == pytest.approx(1 / (1 + np.exp(1.0)))
    others = [i for i in range(len(REASONS)) if i != j]
    assert np.allclose(shifted[0, others], plain[0, others])
    # at trust 0 the rule-only reading decides and the fitted offset does not apply
    alone = combine_reasons(p_model, rule, params, trust=np.zeros(1))
    assert np.allclose(alone, combine_reasons(p_model, rule, CombinerParams(), trust=np.zeros(1)))


def test_params_round_trip_keeps_reason_label_bias(tmp_path: Path) -> None:
    params = CombinerParams(reason_label_bias={"price": 0.5})
    params.save(tmp_path / "combiner.json")
    assert CombinerParams.load(tmp_path / "combiner.json").reason_label_bias == {"price": 0.5}


def test_emotion_offsets_do_not_decide_a_rule_only_reading() -> None:
    """Offsets are fitted against the models' probabilities: with no rule evidence and trust 0 they pick nothing."""
    from aftersales.nlp.combine import combine_emotion

    params = CombinerParams(emotion_bias={"anxiety": 1.0, "relief": 1.0})
    p_model = np.full((1, len(EMOTIONS)), 1 / len(EMOTIONS))
    rule = np.zeros((1, len(EMOTIONS)))
    alone = combine_emotion(p_model, rule, params, trust=np.zeros(1))
    assert np.allclose(alone, 1 / len(EMOTIONS))
    stacked = combine_emotion(p_model, rule, params, trust=np.ones(1))
    assert stacked[0, EMOTIONS.index("anxiety")] > stacked[0, EMOTIONS.index("neutral")]


def test_blend_emotion_is_a_geometric_mix_of_the_two_heads() -> None:
    """Weight 0 (or no head) is the general model unchanged; 1 is the customer-service head; between, a normalised
    weighted geometric mean."""
    from aftersales.nlp.combine import blend_emotion

    general = np.array([[0.7, 0.1, 0.1, 0.05, 0.02, 0.01, 0.01, 0.01]])
    cs = np.array([[0.1, 0.1, 0.1, 0.1, 0.3, 0.1, 0.1, 0.1]])
    assert blend_emotion(general, None, 0.9) is general
    assert blend_emotion(general, cs, 0.0) is general
    assert np.allclose(blend_emotion(general, cs, 1.0), cs)
    half = blend_emotion(general, cs, 0.5)
    expected = np.sqrt(general * cs) / np.sqrt(general * cs).sum()
    assert np.allclose(half, expected) and half.sum() == pytest.approx(1.0)


def test_params_without_the_head_weight_load_as_the_general_model_alone(tmp_path: Path) -> None:
    """combiner.json files written before the emotion_cs head (v2026.11.5 and older) read it as weight 0."""
    import json

    data = {k: v for k, v in CombinerParams().__dict__.items() if k != "emotion_cs_weight"}
    (tmp_path / "combiner.json").write_text(json.dumps(data), encoding="utf-8")
    assert CombinerParams.load(tmp_path / "combiner.json").emotion_cs_weight == 0.0


def test_social_overrides_change_only_what_they_name() -> None:
    """Social-channel posts read the emotion knobs the combiner fitted for them; everything else is shared, and a
    knob that may not differ by channel is refused by name."""
    params = CombinerParams(emotion_cs_weight=0.75, emotion_bias={"anxiety": 1.0}, social={"emotion_cs_weight": 0.1})
    social = params.for_social()
    assert social.emotion_cs_weight == 0.1 and social.emotion_bias == {"anxiety": 1.0} and social.social == {}
    assert replace(social, emotion_cs_weight=0.75) == replace(params, social={})
    assert CombinerParams().for_social() == CombinerParams()
    with pytest.raises(ValueError, match="reason_bias"):
        CombinerParams(social={"reason_bias": 1.0})


def test_social_overrides_survive_save_and_load(tmp_path: Path) -> None:
    params = CombinerParams(social={"emotion_cs_weight": 0.0, "emotion_bias": {"neutral": 0.5}})
    params.save(tmp_path / "combiner.json")
    assert CombinerParams.load(tmp_path / "combiner.json").for_social().emotion_bias == {"neutral": 0.5}
