"""Combining the statistical models with the rule layer: a few readable weights, fitted on held-out predictions.

Each task's final score is the model's log-probability plus a weighted rule strength for the same label (and, for
the complaint stage, a floor the wording proves). The weights and temperatures are fitted on out-of-fold model
predictions of the labelled customer-service texts, so the rules are trusted exactly as much as they help.

Where the models cannot read a message, a rule-only reading takes their place in proportion to a per-message
*trust* in [0, 1] (`model_trust`): the models learned Chinese only (trust 0 for English), and character n-grams
read a negated complaint ("一点也不差", "没有坏") as the complaint (trust falls with the rule layer's
`negated_share`). At trust 1 every formula below is exactly the fitted stacked one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from aftersales.vocab import Emotion, Reason, Stage

_F = npt.NDArray[np.float64]
EMOTIONS = Emotion.codes()
STAGES = Stage.codes()
REASONS = Reason.codes()
NEGATIVE_EMOTIONS = ("anger", "dissatisfaction", "disappointment", "anxiety")
POSITIVE_EMOTIONS = ("satisfaction", "relief", "gratitude")
# What a social post may read differently from a customer message: how its emotion and polarity are read (a post's
# emotion must agree with its polarity, so the two go together), and how far an English post's English models are
# trusted; stage, reasons and intensity are read alike.
SOCIAL_KNOBS = (
    "english_model_trust",
    "emotion_cs_weight",
    "emotion_rule_weight",
    "emotion_override",
    "emotion_bias",
    "polarity_rule_weight",
    "polarity_emotion_weight",
    "polarity_neutral_band",
)


@dataclass
class CombinerParams:
    """The fitted knobs: rule weights, temperatures, thresholds. Stored as JSON next to the model artefacts."""

    emotion_rule_weight: float = 1.0
    emotion_temperature: float = 1.0
    # Weight of the customer-service emotion head against the general emotion model, in log space
    # (`blend_emotion`); 0 reads the general model alone (and is what an Analyzer without the head uses).
    emotion_cs_weight: float = 0.0
    stage_rule_weight: float = 1.0
    stage_temperature: float = 1.0
    use_stage_floor: bool = True
    reason_rule_weight: float = 1.0
    reason_bias: float = 0.0
    polarity_model_weight: float = 1.0
    polarity_rule_weight: float = 0.5
    polarity_emotion_weight: float = 0.5
    polarity_neutral_band: float = 0.15
    # A combined emotion at least this probable decides whether the text is neutral (the sign stays the polarity
    # model's) instead of being overruled by the polarity; above 1 the polarity decides alone (the behaviour before).
    emotion_override: float = 1.01
    intensity_cuts: tuple[float, float] = (0.9, 2.0)
    # Rule-only reading, used in proportion to (1 − trust). Not fitted: the labelled texts are Chinese and hold too
    # few negated complaints; set so one plain rule hit decides (tests/unit/nlp/test_negation.py, test_english.py).
    negation_discount: float = 1.0  # trust = language trust × (1 − discount × negated_share)
    # Language trust of the English models (polarity, emotion) on English texts. They learned Reddit comments
    # (GoEmotions), which read polite customer complaints as praise ("Hello, my dress is not as described." →
    # positive), so customer messages keep the English lexicons alone (0); social posts, Reddit's kind of text, trust
    # them by the `social` override (`calibrate.SOCIAL_ENGLISH_TRUST`, `python benchmarks/english_trust.py`).
    english_model_trust: float = 0.0
    rule_only_emotion_weight: float = 2.0
    rule_only_stage_weight: float = 1.5
    rule_only_stage_none: float = 1.0  # log-odds for `none`: no complaint wording, no complaint
    rule_only_reason_weight: float = 3.0  # log-odds per unit of rule strength around the cut
    rule_only_reason_cut: float = 0.8  # rule strength at which a reason passes its threshold (docs/nlp.md)
    # Per-label offsets (log-odds) that trade a little accuracy on common labels for recall on rare ones (macro-F1).
    emotion_bias: dict[str, float] = field(default_factory=dict)
    stage_bias: dict[str, float] = field(default_factory=dict)
    # Per-reason offsets (log-odds, on top of `reason_bias`) for reasons micro-F1: labels the models over- or
    # under-call (e.g. not_as_described read into every "不一样") move their own cut.
    reason_label_bias: dict[str, float] = field(default_factory=dict)
    # Knobs read differently for messages on the social channel (public, Weibo-style posts): fitted on such posts
    # (the SMP2020 dev set) rather than on customer messages. Only the emotion and polarity knobs (`SOCIAL_KNOBS`);
    # empty: a social post is read like any other message (combiners fitted before v2026.11.7).
    social: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.social) - set(SOCIAL_KNOBS))
        if unknown:
            raise ValueError(f"combiner social overrides: {unknown} cannot differ by channel; allowed: {SOCIAL_KNOBS}")

    def for_social(self) -> CombinerParams:
        """The knobs a social-channel message is read with: these, with the `social` overrides applied."""
        return replace(self, **self.social, social={}) if self.social else self

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


def model_trust(language_trust: _F, negated_share: _F, params: CombinerParams, model_complaint: _F | None = None) -> _F:
    """How far each message's model probabilities are trusted: 0 where the models cannot read the text at all.

    `negated_share` (rule layer) says how much of the complaint wording was negated; `model_complaint` (the polarity
    model's P(negative)) says whether the models nevertheless read a complaint. Only that reading is discounted: a
    model that already reads "没有坏果，很甜" as praise keeps its weight.
    """
    complaint = np.ones_like(negated_share) if model_complaint is None else model_complaint
    out: _F = np.clip(language_trust * (1.0 - params.negation_discount * negated_share * complaint), 0.0, 1.0)
    return out


def positivity(proba: npt.NDArray[Any], labels: Sequence[str]) -> _F:
    """A polarity model's P(positive), a neutral reading counting half way: P(positive) + ½·P(neutral).

    Why: the three-class English model learns plain requests as neutral; the combiner reads one positivity per text.
    """
    out: _F = proba[:, list(labels).index("positive")].astype(np.float64)
    if "neutral" in labels:
        out = out + 0.5 * proba[:, list(labels).index("neutral")]
    return out


def _column(trust: _F | None, n: int) -> _F:
    out: _F = np.ones((n, 1)) if trust is None else np.asarray(trust, dtype=np.float64).reshape(n, 1)
    return out


def blend_emotion(p_general: _F, p_cs: _F | None, weight: float) -> _F:
    """The emotion model reading: softmax(a·log p_cs + (1 − a)·log p_general), a geometric mix of the two heads.

    The general model learned from Weibo posts as well as our labels and reads generic text; the customer-service
    head learned our labels alone, every emotion weighed alike, and tells anxiety, relief and gratitude apart where
    the general model hardly sees them. Without the head (or at weight 0) this is the general model unchanged.
    """
    if p_cs is None or weight <= 0.0:
        return p_general
    return _softmax(weight * _log(p_cs) + (1.0 - weight) * _log(p_general))


def combine_emotion(p_model: _F, rule: _F, params: CombinerParams, trust: _F | None = None) -> _F:
    """Emotion probabilities: softmax(t·(log p + w·rule + bias)/T + (1 − t)·w₀·rule) over vocab.Emotion order.

    The per-emotion offsets are fitted against the models' probabilities, so they belong to the stacked reading only:
    in the rule-only reading an offset with no evidence behind it would pick the emotion ("没有坏" as anxiety).
    """
    bias = np.array([params.emotion_bias.get(c, 0.0) for c in EMOTIONS])
    t = _column(trust, len(p_model))
    stacked = (_log(p_model) + params.emotion_rule_weight * rule + bias) / params.emotion_temperature
    return _softmax(t * stacked + (1 - t) * (params.rule_only_emotion_weight * rule))


def combine_stage(
    p_model: _F, rule: _F, floor: Sequence[int], params: CombinerParams, trust: _F | None = None
) -> tuple[_F, list[int]]:
    """Stage probabilities and the chosen stage index (never below the floor the wording proves)."""
    bias = np.array([params.stage_bias.get(c, 0.0) for c in STAGES])
    t = _column(trust, len(p_model))
    stacked = (_log(p_model) + params.stage_rule_weight * rule + bias) / params.stage_temperature
    prior = np.array([params.rule_only_stage_none if c == "none" else 0.0 for c in STAGES])
    proba = _softmax(t * stacked + (1 - t) * (params.rule_only_stage_weight * rule + prior))  # offsets: stacked only
    chosen = proba.argmax(axis=-1).tolist()
    if params.use_stage_floor:
        chosen = [max(int(c), int(f)) for c, f in zip(chosen, floor, strict=True)]
    return proba, chosen


def combine_reasons(
    p_model: _F, rule: _F, params: CombinerParams, trust: _F | None = None, thresholds: _F | None = None
) -> _F:
    """Per-reason probabilities: sigmoid(logit p + w·rule + bias + label bias), blended with a rule-only reading.

    The rule-only log-odds sit at each label's decision threshold when the rule strength equals the cut, so at
    trust 0 a reason is chosen exactly when its rule strength reaches `rule_only_reason_cut`. `rule` may be negative
    (denied problems, "没有坏").
    """
    p = np.clip(p_model, 1e-6, 1 - 1e-6)
    label_bias = np.array([params.reason_label_bias.get(c, 0.0) for c in REASONS]) if params.reason_label_bias else 0.0
    z = np.log(p / (1 - p)) + params.reason_rule_weight * rule + params.reason_bias + label_bias
    if trust is not None:
        t = _column(trust, len(p_model))
        thr = np.clip(np.full(p_model.shape[1], 0.5) if thresholds is None else thresholds, 1e-6, 1 - 1e-6)
        alone = np.log(thr / (1 - thr)) + params.rule_only_reason_weight * (rule - params.rule_only_reason_cut)
        z = t * z + (1 - t) * alone
    out: _F = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
    return out


def polarity_score(
    p_pos: _F, rule_polarity: _F, emotion_proba: _F, params: CombinerParams, trust: _F | None = None
) -> _F:
    """Signed polarity in [-1, 1] from the polarity model, the lexicon and the emotion mix.

    The lexicon takes the polarity model's weight in proportion to 1 − `trust` (`model_trust`: 0 for languages the
    model never learned, lower where negation hides what the words mean).
    """
    idx_pos = [EMOTIONS.index(e) for e in POSITIVE_EMOTIONS]
    idx_neg = [EMOTIONS.index(e) for e in NEGATIVE_EMOTIONS]
    emo = emotion_proba[:, idx_pos].sum(axis=1) - emotion_proba[:, idx_neg].sum(axis=1)
    zh = np.ones_like(p_pos) if trust is None else trust
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


def settle_polarity(score: float, emotion_p: _F, params: CombinerParams) -> tuple[str, float]:
    """The polarity label and score, letting a confident emotion decide neutral vs not (`emotion_override`).

    Without the override the emotion is forced into the polarity's group (an angry text is never "positive"), which
    on generic texts turns most plain "no feeling" posts into complaints or praise. With it, an emotion at least
    this probable decides whether the text is neutral; the sign (positive vs negative) stays the polarity model's,
    which reads reviews better than the emotion model does. The score moves just inside the chosen label's range, so
    label, score and emotion always agree.
    """
    label = polarity_label(score, params)
    top = int(np.argmax(emotion_p))
    if float(emotion_p[top]) < params.emotion_override:
        return label, score
    code = EMOTIONS[top]
    group = "positive" if code in POSITIVE_EMOTIONS else "negative" if code in NEGATIVE_EMOTIONS else "neutral"
    if group == label or {group, label} == {"positive", "negative"}:
        return label, score
    band = params.polarity_neutral_band
    edge = min(band + 0.01, 1.0)
    moved = {"positive": max(score, edge), "negative": min(score, -edge), "neutral": min(max(score, -band), band)}
    return group, float(moved[group])


def intensity_level(rule_intensity: float, top_emotion_p: float, emotion: str, params: CombinerParams) -> int:
    """1 mild / 2 clear / 3 strong from the rule layer's intensity cues and the emotion's confidence."""
    if emotion == "neutral":
        return 1
    score = rule_intensity + top_emotion_p
    low, high = params.intensity_cuts
    return 1 if score < low else (2 if score < high else 3)
