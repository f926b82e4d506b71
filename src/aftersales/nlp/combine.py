"""Combining the statistical models with the rule layer: a few readable weights, fitted on held-out predictions.

Each task's final score is the model's log-probability plus a weighted rule strength for the same label (and, for
the complaint stage, a floor the wording proves). The weights and temperatures are fitted on out-of-fold model
predictions of the labelled customer-service texts, so the rules are trusted exactly as much as they help.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from aftersales.vocab import Emotion, Reason, Stage

_F = npt.NDArray[np.float64]
EMOTIONS = Emotion.codes()
STAGES = Stage.codes()
REASONS = Reason.codes()
NEGATIVE_EMOTIONS = ("anger", "dissatisfaction", "disappointment", "anxiety")
POSITIVE_EMOTIONS = ("satisfaction", "relief", "gratitude")


@dataclass
class CombinerParams:
    """The fitted knobs: rule weights, temperatures, thresholds. Stored as JSON next to the model artefacts."""

    emotion_rule_weight: float = 1.0
    emotion_temperature: float = 1.0
    stage_rule_weight: float = 1.0
    stage_temperature: float = 1.0
    use_stage_floor: bool = True
    reason_rule_weight: float = 1.0
    reason_bias: float = 0.0
    polarity_model_weight: float = 1.0
    polarity_rule_weight: float = 0.5
    polarity_emotion_weight: float = 0.5
    polarity_neutral_band: float = 0.15
    intensity_cuts: tuple[float, float] = (0.9, 2.0)
    # Per-label offsets (log-odds) that trade a little accuracy on common labels for recall on rare ones (macro-F1).
    emotion_bias: dict[str, float] = field(default_factory=dict)
    stage_bias: dict[str, float] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)

    def save(self, path: Path) -> None:
        """Write as JSON (human-readable: anyone can see how much the rules count)."""
        path.write_text(json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> CombinerParams:
        """Read the JSON written by save(); defaults where the file is absent."""
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        data["intensity_cuts"] = tuple(data.get("intensity_cuts", (0.9, 2.0)))
        return cls(**data)


def _softmax(z: _F) -> _F:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    out: _F = e / e.sum(axis=-1, keepdims=True)
    return out


def _log(p: _F) -> _F:
    out: _F = np.log(np.clip(p, 1e-6, 1.0))
    return out


def combine_emotion(p_model: _F, rule: _F, params: CombinerParams) -> _F:
    """Emotion probabilities: softmax((log p + w·rule) / T) over vocab.Emotion order."""
    bias = np.array([params.emotion_bias.get(c, 0.0) for c in EMOTIONS])
    return _softmax((_log(p_model) + params.emotion_rule_weight * rule + bias) / params.emotion_temperature)


def combine_stage(p_model: _F, rule: _F, floor: Sequence[int], params: CombinerParams) -> tuple[_F, list[int]]:
    """Stage probabilities and the chosen stage index (never below the floor the wording proves)."""
    bias = np.array([params.stage_bias.get(c, 0.0) for c in STAGES])
    proba = _softmax((_log(p_model) + params.stage_rule_weight * rule + bias) / params.stage_temperature)
    chosen = proba.argmax(axis=-1).tolist()
    if params.use_stage_floor:
        chosen = [max(int(c), int(f)) for c, f in zip(chosen, floor, strict=True)]
    return proba, chosen


def combine_reasons(p_model: _F, rule: _F, params: CombinerParams) -> _F:
    """Per-reason probabilities: sigmoid(logit p + w·rule + bias)."""
    p = np.clip(p_model, 1e-6, 1 - 1e-6)
    z = np.log(p / (1 - p)) + params.reason_rule_weight * rule + params.reason_bias
    out: _F = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
    return out


def polarity_score(
    p_pos: _F, rule_polarity: _F, emotion_proba: _F, params: CombinerParams, chinese: _F | None = None
) -> _F:
    """Signed polarity in [-1, 1] from the polarity model, the lexicon and the emotion mix.

    The polarity model learned Chinese only: for other languages (`chinese` = 0) the lexicon takes its place.
    """
    idx_pos = [EMOTIONS.index(e) for e in POSITIVE_EMOTIONS]
    idx_neg = [EMOTIONS.index(e) for e in NEGATIVE_EMOTIONS]
    emo = emotion_proba[:, idx_pos].sum(axis=1) - emotion_proba[:, idx_neg].sum(axis=1)
    zh = np.ones_like(p_pos) if chinese is None else chinese
    w_model = params.polarity_model_weight * zh
    w_rule = params.polarity_rule_weight * zh + params.polarity_model_weight * (1 - zh)
    total = w_model + w_rule + params.polarity_emotion_weight
    score = (w_model * (2 * p_pos - 1) + w_rule * rule_polarity + params.polarity_emotion_weight * emo) / np.maximum(
        total, 1e-9
    )
    out: _F = np.clip(score, -1.0, 1.0)
    return out


def polarity_label(score: float, params: CombinerParams) -> str:
    """positive / neutral / negative by a symmetric neutral band."""
    if score > params.polarity_neutral_band:
        return "positive"
    if score < -params.polarity_neutral_band:
        return "negative"
    return "neutral"


def intensity_level(rule_intensity: float, top_emotion_p: float, emotion: str, params: CombinerParams) -> int:
    """1 mild / 2 clear / 3 strong from the rule layer's intensity cues and the emotion's confidence."""
    if emotion == "neutral":
        return 1
    score = rule_intensity + top_emotion_p
    low, high = params.intensity_cuts
    return 1 if score < low else (2 if score < high else 3)
