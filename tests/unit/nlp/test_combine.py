"""The polarity/emotion settlement: a confident emotion decides neutral vs not; label, score and emotion agree."""

from __future__ import annotations

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
