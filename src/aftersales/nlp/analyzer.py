"""Analyzer: one customer message in, one explainable `Analysis` out (DESIGN.md §5), fast enough for every message.

Per batch: normalise once, run the rule layer, hash n-grams once per featuriser configuration, score every model
with a sparse dot product, then combine (nlp.combine) into calibrated labels with evidence mapped to the original text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from aftersales.nlp import combine as cb
from aftersales.nlp.models import ARTEFACTS, HashedLinearClassifier, load_shipped
from aftersales.nlp.models.features import Features, HashingFeaturizer
from aftersales.nlp.normalise import Normalised, normalise
from aftersales.nlp.pii import mask_pii
from aftersales.nlp.rules import RuleLayer, RuleSignals
from aftersales.nlp.types import Analysis, Evidence
from aftersales.vocab import Channel

if TYPE_CHECKING:
    import pandas as pd

TASKS = ("polarity", "emotion", "stage", "reasons")
# Used when present: the customer-service emotion head (nlp.combine.blend_emotion) and the English models.
OPTIONAL_TASKS = ("emotion_cs", "polarity_en", "emotion_en")
# English models: each reads, for texts detected as English, what its Chinese counterpart (polarity, emotion) reads
ENGLISH_MODELS = ("polarity_en", "emotion_en")
# Public posts (Weibo-style), by code or display name: read with the combiner's social overrides (emotion, polarity).
SOCIAL_CHANNEL = frozenset({Channel.SOCIAL.value, Channel.SOCIAL.zh, Channel.SOCIAL.en})
MAX_CHARS = 20_000  # beyond this, only the first part is scored (evidence offsets stay valid)
_EVIDENCE_LIMIT = 6

# Default problem type per reason (seed 002: technical → high, service → medium, other → low); policy may override.
PROBLEM_TYPE: dict[str, str] = {
    "quality_defect": "technical",
    "hard_to_use": "technical",
    "counterfeit": "technical",
    "not_as_described": "technical",
    "service_attitude": "service",
    "wrong_item": "service",
    "missing_parts": "service",
    "logistics_delay": "other",
    "damaged_in_transit": "other",
    "size_fit": "other",
    "changed_mind": "other",
    "price": "other",
    "other": "other",
}
_PROBLEM_RANK = {"technical": 0, "service": 1, "other": 2}


def problem_type_for(reasons: Sequence[str]) -> str:
    """The most serious problem type among the reasons (technical > service > other); 'other' without reasons."""
    types = [PROBLEM_TYPE.get(r, "other") for r in reasons]
    return min(types, key=_PROBLEM_RANK.__getitem__) if types else "other"


@dataclass(frozen=True)
class Prepared:
    """A scored batch before the decision: normalised texts, rule signals, model probabilities per task."""

    norms: list[Normalised]
    signals: list[RuleSignals]
    probs: dict[str, np.ndarray]
    social: np.ndarray | None = None  # per text: came in on the social channel (None: no channel given)

    def subset(self, rows: np.ndarray) -> Prepared:
        """The same batch restricted to some rows, in the order given."""
        return Prepared(
            [self.norms[i] for i in rows],
            [self.signals[i] for i in rows],
            {task: p[rows] for task, p in self.probs.items()},
            None if self.social is None else self.social[rows],
        )


class Analyzer:
    """Combines the shipped statistical models with the lexicon/rule layer; thread-safe after construction."""

    def __init__(
        self,
        models: dict[str, Any],
        rules: RuleLayer | None = None,
        params: cb.CombinerParams | None = None,
    ) -> None:
        missing = [t for t in TASKS if t not in models]
        if missing:
            raise ValueError(f"Analyzer needs a model for every task; missing: {missing}")
        self.models = models
        self.rules = rules or RuleLayer()
        self.params = params or cb.CombinerParams()
        self.tasks = [*TASKS, *(t for t in OPTIONAL_TASKS if models.get(t) is not None)]
        self.version = analyzer_version({t: str(models[t].version) for t in self.tasks})
        # Models sharing a featuriser configuration share one hashing pass.
        self._groups: dict[tuple[tuple[str, Any], ...], list[str]] = {}
        self._other: list[str] = []  # tasks served by another Classifier (e.g. the transformers backend)
        self._english = [t for t in ENGLISH_MODELS if t in self.tasks]  # scored on English texts only
        for task in self.tasks:
            if task in self._english:
                continue
            if isinstance(models[task], HashedLinearClassifier):
                key = tuple(sorted(models[task].featurizer.config.items()))
                self._groups.setdefault(key, []).append(task)
            else:
                self._other.append(task)
        self._emotion_order = self._order(models["emotion"], cb.EMOTIONS)
        self._emotion_cs_order = self._order(models["emotion_cs"], cb.EMOTIONS) if "emotion_cs" in self.tasks else []
        self._emotion_en_order = self._order(models["emotion_en"], cb.EMOTIONS) if "emotion_en" in self.tasks else []
        self._stage_order = self._order(models["stage"], cb.STAGES)
        self._reason_order = self._order(models["reasons"], cb.REASONS, allow_missing=True)

    @staticmethod
    def _order(model: Any, codes: list[str], allow_missing: bool = False) -> list[int]:
        """Column of each vocabulary code in the model's label order (-1 where the model lacks it)."""
        idx = [model.labels.index(c) if c in model.labels else -1 for c in codes]
        if not allow_missing and -1 in idx:
            lacking = [c for c, i in zip(codes, idx, strict=True) if i < 0]
            raise ValueError(f"{model.task} model lacks labels {lacking}")
        return idx

    @classmethod
    def default(cls) -> Analyzer:
        """The shipped models and combiner (loaded once per process)."""
        return _default_analyzer()

    @classmethod
    def from_directory(cls, directory: Path) -> Analyzer:
        """Models and combiner from a training output folder (`aftersales train --out DIR`).

        A task the folder lacks comes from the shipped artefacts; an optional head the folder lacks is left out
        (models of one training run belong together: the shipped head was fitted beside the shipped models).
        """
        models: dict[str, Any] = {}
        for task in OPTIONAL_TASKS:
            if (directory / f"{task}.npz").exists():
                models[task] = load_shipped(task, directory)
        for task in TASKS:
            if (directory / task / "config.json").exists():  # a local fine-tuned transformers model for this task
                from aftersales.nlp.models.transformers_backend import TransformersClassifier

                models[task] = TransformersClassifier(task, directory / task)
            else:
                models[task] = load_shipped(task, directory if (directory / f"{task}.npz").exists() else ARTEFACTS)
        return cls(models, params=cb.CombinerParams.load(directory / "combiner.json"))

    # ----------------------------------------------------------------------------------------------------------
    def model_probabilities(self, norms: Sequence[Normalised]) -> dict[str, np.ndarray]:
        """Calibrated probabilities of every model, columns in each model's label order."""
        out: dict[str, np.ndarray] = {}
        texts = [n.text[:MAX_CHARS] for n in norms]
        shared = self._shared_features(texts)
        for key, tasks in self._groups.items():
            config = dict(key)
            if shared is not None:
                feats = shared.restrict(config["n_max"], config["bits"], config.get("weighting", "sqrt"))
            else:
                feats = self.models[tasks[0]].featurizer.transform(texts)
            for task in tasks:
                out[task] = self.models[task].proba_from_features(feats)
        for task in self._other:
            model = self.models[task]
            preds = model.predict(texts)
            out[task] = np.array([[p.scores.get(label, 0.0) for label in model.labels] for p in preds], np.float32)
        rows = [i for i, n in enumerate(norms) if n.language == "en"] if self._english else []
        for task in self._english if rows else ():  # English texts only (zeros elsewhere, never read there)
            out[task] = np.zeros((len(texts), len(self.models[task].labels)), np.float32)
            out[task][rows] = self.models[task].predict_proba([texts[i] for i in rows])
        return out

    def _shared_features(self, texts: list[str]) -> Features | None:
        """One hashing pass for every model when their featurisers differ only in n_max and bits (the shipped ones)."""
        configs = [dict(key) for key in self._groups]
        if len(configs) < 2 or len({c["n_min"] for c in configs}) != 1:
            return None
        widest = max(configs, key=lambda c: (c["n_max"], c["bits"]))
        if any(c["n_max"] > widest["n_max"] or c["bits"] > widest["bits"] for c in configs):
            return None
        return HashingFeaturizer(widest["bits"], widest["n_min"], widest["n_max"]).transform(texts)

    def analyze(self, text: str, channel: str | None = None) -> Analysis:
        """Analyse one message (`channel`: the vocab.Channel code it came in on, when known)."""
        return self.analyze_batch([text], channels=[channel])[0]

    def analyze_batch(
        self, texts: Iterable[str], batch_size: int = 1024, channels: Sequence[str | None] | str | None = None
    ) -> list[Analysis]:
        """Analyse many messages, vectorised per batch; `channels`: one code for all, or one per text (or None)."""
        items = [t if isinstance(t, str) else ("" if t is None else str(t)) for t in texts]
        social = social_mask(channels, len(items))
        out: list[Analysis] = []
        for start in range(0, len(items), batch_size):
            part = None if social is None else social[start : start + batch_size]
            out.extend(self.decide(self.prepare(items[start : start + batch_size], part)))
        return out

    def analyze_frame(
        self, frame: pd.DataFrame, text_col: str = "text", channel_col: str | None = "channel"
    ) -> pd.DataFrame:
        """A copy of `frame` with the Analysis fields added as columns (JSON-like fields as Python objects).

        The channel of each row is read from `channel_col` when the frame has that column.
        """
        import pandas as pd

        if text_col not in frame.columns:
            raise KeyError(f"column {text_col!r} not in frame; columns: {list(frame.columns)}")
        channels = frame[channel_col].tolist() if channel_col and channel_col in frame.columns else None
        results = self.analyze_batch(frame[text_col].tolist(), channels=channels)
        fields = pd.DataFrame([r.to_dict() for r in results], index=frame.index)
        return pd.concat([frame, fields.drop(columns=[c for c in fields.columns if c in frame.columns])], axis=1)

    # ----------------------------------------------------------------------------------------------------------
    def prepare(self, texts: Sequence[str], social: np.ndarray | None = None) -> Prepared:
        """Everything the decision needs: normalised texts, rule signals and model probabilities."""
        norms = [normalise(t) for t in texts]
        return Prepared(norms, self.rules.signals_batch(norms), self.model_probabilities(norms), social)

    def decide(self, prep: Prepared, params: cb.CombinerParams | None = None) -> list[Analysis]:
        """Combine prepared signals into Analyses (also used to fit the combiner on out-of-fold probabilities).

        Messages on the social channel are read with the combiner's social overrides (`CombinerParams.social`).
        """
        p = params or self.params
        if prep.social is None or not p.social or not prep.social.any():
            return self._decide(prep, p)
        if prep.social.all():
            return self._decide(prep, p.for_social())
        out: list[Analysis | None] = [None] * len(prep.norms)
        for rows, knobs in ((np.flatnonzero(~prep.social), p), (np.flatnonzero(prep.social), p.for_social())):
            for i, analysis in zip(rows, self._decide(prep.subset(rows), knobs), strict=True):
                out[i] = analysis
        return out  # type: ignore[return-value]  # every row is filled by one of the two parts

    def _decide(self, prep: Prepared, p: cb.CombinerParams) -> list[Analysis]:
        norms, signals, probs = prep.norms, prep.signals, prep.probs
        n = len(norms)
        # The Chinese models learned Chinese; English texts are read by the English models where there are some
        # (polarity and emotion), by the rules alone otherwise. No model sees what a negator does to the words after it.
        chinese = np.array([n.language in ("zh", "mixed") for n in norms])
        english = np.array([n.language == "en" for n in norms])
        en_pol, en_emo = "polarity_en" in probs, "emotion_en" in probs  # present when the batch has English texts
        pol_model = self.models["polarity"]
        p_pos = probs["polarity"][:, pol_model.labels.index("positive")].astype(np.float64)
        if en_pol:
            p_pos = np.where(english, cb.positivity(probs["polarity_en"], self.models["polarity_en"].labels), p_pos)
        leans_negative = np.clip(2.0 * (1.0 - p_pos), 0.0, 1.0)  # 1 whenever the model reads a complaint
        negated = np.array([s.negated_share for s in signals])
        trust = trust_pol = trust_emo = cb.model_trust(chinese.astype(np.float64), negated, p, leans_negative)
        if en_pol or en_emo:  # the tasks the English models read trust them on English texts
            language = np.where(chinese, 1.0, p.english_model_trust * english)
            trust_en = cb.model_trust(language, negated, p, leans_negative)
            trust_pol, trust_emo = (trust_en if en_pol else trust), (trust_en if en_emo else trust)
        emo_model = probs["emotion"][:, self._emotion_order].astype(np.float64)
        if self._emotion_cs_order:
            emo_cs = probs["emotion_cs"][:, self._emotion_cs_order].astype(np.float64)
            emo_model = cb.blend_emotion(emo_model, emo_cs, p.emotion_cs_weight)
        if en_emo:
            emo_model = np.where(english[:, None], probs["emotion_en"][:, self._emotion_en_order], emo_model)
        emo_rule = np.array([[s.emotion.get(c, 0.0) for c in cb.EMOTIONS] for s in signals]).reshape(n, -1)
        emotion_p = cb.combine_emotion(emo_model, emo_rule, p, trust_emo)
        stage_model = probs["stage"][:, self._stage_order].astype(np.float64)
        stage_rule = np.array([[s.stage.get(c, 0.0) for c in cb.STAGES] for s in signals]).reshape(n, -1)
        floors = [cb.STAGES.index(s.stage_floor) if s.stage_floor in cb.STAGES else 0 for s in signals]
        stage_p, stage_idx = cb.combine_stage(stage_model, stage_rule, floors, p, trust)
        reason_model = np.stack(
            [probs["reasons"][:, i] if i >= 0 else np.zeros(n) for i in self._reason_order], axis=1
        ).astype(np.float64)
        reason_rule = np.array(
            [[s.reasons.get(c, 0.0) - s.negated_reasons.get(c, 0.0) for c in cb.REASONS] for s in signals]
        ).reshape(n, -1)
        thresholds = self._reason_thresholds()
        reason_p = cb.combine_reasons(reason_model, reason_rule, p, trust, thresholds)
        pol_score = cb.polarity_score(p_pos, np.array([s.polarity for s in signals]), emotion_p, p, trust_pol)
        # Scores as shown, rounded to 4 decimals per batch (three numpy calls, not 26 round() calls per text).
        shown = zip(*(np.round(a, 4).tolist() for a in (emotion_p, stage_p, reason_p)), strict=True)
        return [
            self._one(
                norm,
                sig,
                emotion_p[i],
                stage_p[i],
                stage_idx[i],
                reason_p[i],
                thresholds,
                float(pol_score[i]),
                p,
                rounded,
            )
            for i, (norm, sig, rounded) in enumerate(zip(norms, signals, shown, strict=True))
        ]

    def _reason_thresholds(self) -> np.ndarray:
        model = self.models["reasons"]
        return np.array([float(model.thresholds[i]) if i >= 0 else 0.5 for i in self._reason_order])

    def _one(
        self,
        norm: Normalised,
        sig: RuleSignals,
        emotion_p: np.ndarray,
        stage_p: np.ndarray,
        stage_idx: int,
        reason_p: np.ndarray,
        thresholds: np.ndarray,
        pol_score: float,
        p: cb.CombinerParams,
        shown: tuple[list[float], list[float], list[float]],
    ) -> Analysis:
        if not norm.text.strip():  # nothing to read: a calm, empty analysis rather than a guess
            pol_score, emotion_p, stage_idx = 0.0, np.eye(len(cb.EMOTIONS))[cb.EMOTIONS.index("neutral")], 0
            stage_p, reason_p = np.eye(len(cb.STAGES))[0], np.zeros(len(cb.REASONS))
            shown = (emotion_p.tolist(), stage_p.tolist(), reason_p.tolist())
        polarity, pol_score = cb.settle_polarity(pol_score, emotion_p, p)
        emotion_scores = dict(zip(cb.EMOTIONS, shown[0], strict=True))
        allowed = _emotions_for(polarity)
        emotion = max(allowed, key=lambda c: emotion_scores[c])
        chosen = [c for c, v, t in zip(cb.REASONS, reason_p, thresholds, strict=True) if v >= t and c != "other"]
        if polarity == "positive" and sig.stage_floor == "none":
            chosen = [c for c in chosen if reason_p[cb.REASONS.index(c)] >= 0.8]  # praise rarely carries reasons
        chosen.sort(key=lambda c: -reason_p[cb.REASONS.index(c)])
        stage = cb.STAGES[stage_idx]
        if polarity == "positive" and stage_idx >= 2 and sig.stage_floor in ("none", "latent"):
            stage = "latent" if chosen else "none"
        if polarity == "negative" and stage == "none":
            stage = "explicit" if chosen else "latent"
        elif polarity == "neutral" and stage == "none" and chosen:  # a plain statement of a problem
            stage = "explicit"
        intensity = cb.intensity_level(sig.intensity, float(emotion_p.max()), emotion, p)
        evidence: dict[str, tuple[Evidence, ...]] = {}
        for key in ("polarity", f"emotion:{emotion}", f"stage:{stage}", "intensity", *[f"reason:{c}" for c in chosen]):
            spans = sig.evidence.get(key, ())
            if spans:
                evidence[key.split(":")[0] if key.startswith(("emotion:", "stage:")) else key] = tuple(
                    sorted(spans, key=lambda e: -e.weight)[:_EVIDENCE_LIMIT]
                )
        masked = mask_pii(norm.original)
        return Analysis(
            polarity=polarity,
            polarity_score=round(pol_score, 4),
            emotion=emotion,
            emotion_scores=emotion_scores,
            intensity=intensity,
            stage=stage,
            stage_scores=dict(zip(cb.STAGES, shown[1], strict=True)),
            reasons=tuple(chosen),
            reason_scores=dict(zip(cb.REASONS, shown[2], strict=True)),
            primary_reason=chosen[0] if chosen else "none",
            problem_type=problem_type_for(chosen),
            evidence=evidence,
            language=str(norm.language),
            model_version=self.version,
            pii=tuple({"kind": str(s.kind), "start": s.start, "end": s.end} for s in masked.spans),
        )


def social_mask(channels: Sequence[str | None] | str | None, n: int) -> np.ndarray | None:
    """Per text: did it come in on the social channel? None when no channel is known for any text."""
    if channels is None:
        return None
    if isinstance(channels, str):
        channels = [channels] * n
    if len(channels) != n:
        raise ValueError(f"channels: {len(channels)} given for {n} texts")
    if all(c is None for c in channels):
        return None
    return np.array([isinstance(c, str) and c.strip().lower() in SOCIAL_CHANNEL for c in channels], dtype=bool)


VERSION_CHARS = 64  # the width of analyses.model_version


def analyzer_version(versions: dict[str, str]) -> str:
    """One string naming the models behind an Analysis: "models:V" when all share V, else "task:V+…" (≤ 64 chars).

    A longer combination keeps its first characters and a hash of the whole, so different model sets never collide.
    """
    unique = set(versions.values())
    text = f"models:{unique.pop()}" if len(unique) == 1 else "+".join(f"{t}:{v}" for t, v in versions.items())
    if len(text) <= VERSION_CHARS:
        return text
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]
    return f"{text[: VERSION_CHARS - 11]}#{digest}"


def _emotions_for(polarity: str) -> list[str]:
    """Emotions consistent with the overall polarity (an angry message is never 'satisfied')."""
    if polarity == "positive":
        return [*cb.POSITIVE_EMOTIONS, "neutral"]
    if polarity == "negative":
        return [*cb.NEGATIVE_EMOTIONS]
    return ["neutral", "anxiety", "satisfaction", "gratitude", "relief", "dissatisfaction"]


@lru_cache(maxsize=1)
def _default_analyzer() -> Analyzer:
    return Analyzer.from_directory(ARTEFACTS)
