"""The analysis contracts: what every classifier returns and what an Analysis holds (DESIGN.md §5, §7)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any, Protocol, runtime_checkable

TASKS = ("polarity", "emotion", "stage", "reason")


@dataclass(frozen=True, slots=True)
class Evidence:
    """A span of the ORIGINAL text (offsets into what the customer wrote) that pushed a label, and how hard."""

    text: str
    start: int
    end: int
    source: str  # "lexicon", "model", "emoji", "punctuation", "behaviour" …
    weight: float
    note: str = ""  # e.g. "negated: 不", "degree ×1.5: 非常"


@dataclass(frozen=True, slots=True)
class Prediction:
    """One classifier's output for one text: calibrated probabilities per label, plus its evidence.

    Single-label tasks: `scores` sums to 1 and `labels` holds the arg-max. Multi-label tasks (reasons): each score
    is an independent probability and `labels` holds those above the decision threshold (possibly none).
    """

    labels: tuple[str, ...]
    scores: dict[str, float]
    evidence: dict[str, tuple[Evidence, ...]] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The top label (single-label tasks), or 'none' when nothing passed the threshold."""
        return self.labels[0] if self.labels else "none"


@runtime_checkable
class Classifier(Protocol):
    """Shared contract: `predict` is pure (no side effects, no learning); `fit` sets the learned state."""

    task: str
    version: str

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """One Prediction per text, in order."""
        ...


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything aftersales reads from one customer message; `to_dict` gives the JSONL contract fields."""

    polarity: str
    polarity_score: float  # in [-1, 1]
    emotion: str
    emotion_scores: dict[str, float]
    intensity: int  # 1 mild, 2 clear, 3 strong
    stage: str
    stage_scores: dict[str, float]
    reasons: tuple[str, ...]
    reason_scores: dict[str, float]
    primary_reason: str  # "none" when no reason
    problem_type: str
    evidence: dict[str, tuple[Evidence, ...]]  # keys "polarity", "emotion", "intensity", "stage", "reason:<code>"
    language: str
    model_version: str
    pii: tuple[dict[str, Any], ...] = ()  # masked spans: kind, start, end (original offsets)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (evidence as lists of objects, reasons as a list)."""
        # Field by field, not dataclasses.asdict: asdict deep-copies every leaf and cost ~1 ms per message.
        data = {f: getattr(self, f) for f in _ANALYSIS_FIELDS}
        data["emotion_scores"] = dict(self.emotion_scores)
        data["stage_scores"] = dict(self.stage_scores)
        data["reason_scores"] = dict(self.reason_scores)
        data["reasons"] = list(self.reasons)
        data["evidence"] = {k: [_evidence_dict(e) for e in v] for k, v in self.evidence.items()}
        data["pii"] = [dict(p) for p in self.pii]
        return data


_ANALYSIS_FIELDS = tuple(f.name for f in fields(Analysis))
_EVIDENCE_FIELDS = tuple(f.name for f in fields(Evidence))


def _evidence_dict(e: Evidence) -> dict[str, Any]:
    return {f: getattr(e, f) for f in _EVIDENCE_FIELDS}
