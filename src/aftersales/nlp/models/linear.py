"""Hashed-n-gram linear classifiers: sparse dot products in numpy, calibrated scores and n-gram evidence.

Predicting needs numpy only (weights load from an .npz without pickles); fitting lives in `fitting.py` and imports
scikit-learn lazily. One class serves single-label tasks (softmax with a fitted temperature) and multi-label ones
(independent sigmoids with per-label thresholds).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from aftersales.nlp.models.features import Features, HashingFeaturizer
from aftersales.nlp.normalise import Normalised, normalise
from aftersales.nlp.types import Evidence, Prediction

__all__ = ["FORMAT", "HashedLinearClassifier"]

FORMAT = "aftersales-hashed-linear/1"
_EVIDENCE_PER_LABEL = 3
_Array = npt.NDArray[np.float32]


class HashedLinearClassifier:
    """A linear model over hashed character n-grams, implementing the `Classifier` contract."""

    def __init__(
        self,
        task: str,
        labels: Sequence[str],
        *,
        multilabel: bool = False,
        featurizer: HashingFeaturizer | None = None,
        version: str = "0",
        options: dict[str, Any] | None = None,
    ) -> None:
        if len(labels) < (1 if multilabel else 2) or len(set(labels)) != len(labels):
            raise ValueError("labels must be distinct (at least two for a single-label task)")
        self.task, self.version, self.multilabel = task, version, multilabel
        self.labels: tuple[str, ...] = tuple(labels)
        self.featurizer = featurizer or HashingFeaturizer()
        self.options: dict[str, Any] = dict(options or {})  # training hyper-parameters, kept for the record
        self.binary = not multilabel and len(self.labels) == 2  # one weight column: logit of labels[1] vs labels[0]
        n_cols = 1 if self.binary else len(self.labels)
        self.weights: _Array = np.zeros((self.featurizer.n_features, n_cols), dtype=np.float32)
        self.bias: _Array = np.zeros(n_cols, dtype=np.float32)
        self.temperature = 1.0
        self.thresholds: _Array = np.full(len(self.labels), 0.5, dtype=np.float32)
        self.metadata: dict[str, Any] = {}

    # ----------------------------------------------------------------------------------------------------------
    # Scoring

    def _logits(self, feats: Features) -> _Array:
        """Raw scores per label: one gather and one segmented sum over all n-gram occurrences of the batch."""
        contrib = self.weights[feats.indices] * feats.values[:, None]
        sums = np.add.reduceat(contrib, feats.indptr[:-1], axis=0) if len(contrib) else contrib
        out = (sums + self.bias).astype(np.float32)
        return np.hstack([np.zeros_like(out), out]) if self.binary else out

    def _proba(self, logits: _Array) -> _Array:
        """Calibrated probabilities: softmax(logits / T), or per-label sigmoids for multi-label tasks."""
        if self.multilabel:
            return (1.0 / (1.0 + np.exp(-np.clip(logits, -30, 30)))).astype(np.float32)
        z = logits / np.float32(self.temperature)
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        out: _Array = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
        return out

    def proba_from_features(self, feats: Features) -> _Array:
        """Calibrated probabilities from already-hashed features (lets callers share one hashing pass)."""
        return self._proba(self._logits(feats))

    def evidence_from_features(self, feats: Features, row: int, label: str, norm: Normalised) -> tuple[Evidence, ...]:
        """The n-grams of text `row` that pushed `label` hardest, as spans of `norm`'s original text."""
        return self._evidence(feats, row, self.labels.index(label), norm)

    def featurize(self, texts: Sequence[str]) -> tuple[list[Normalised], Features]:
        """Normalise each text (aftersales.nlp.normalise) and hash its n-grams."""
        norms = [normalise(t if isinstance(t, str) else "") for t in texts]
        return norms, self.featurizer.transform([n.text for n in norms])

    def decision_function(self, texts: Sequence[str]) -> _Array:
        """Uncalibrated logits, one column per label (what the calibration is fitted on)."""
        return self._logits(self.featurize(texts)[1])

    def predict_proba(self, texts: Sequence[str]) -> _Array:
        """Calibrated probabilities, one column per label in `labels` order."""
        return self._proba(self.decision_function(texts))

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """One Prediction per text: calibrated scores, the chosen label(s) and the n-grams that drove them."""
        if not texts:
            return []
        norms, feats = self.featurize(texts)
        proba = self._proba(self._logits(feats))
        if self.multilabel:
            chosen = [np.flatnonzero(row >= self.thresholds) for row in proba]
            chosen = [c[np.argsort(-proba[i, c], kind="stable")] for i, c in enumerate(chosen)]
        else:
            chosen = [np.array([i]) for i in proba.argmax(axis=1)]
        out: list[Prediction] = []
        for i, norm in enumerate(norms):
            scores = {label: round(float(p), 6) for label, p in zip(self.labels, proba[i], strict=True)}
            labels = tuple(self.labels[int(c)] for c in chosen[i])
            evidence = {self.labels[int(c)]: self._evidence(feats, i, int(c), norm) for c in chosen[i]}
            out.append(Prediction(labels=labels, scores=scores, evidence={k: v for k, v in evidence.items() if v}))
        return out

    def _label_weights(self, idx: npt.NDArray[np.int64], label: int) -> _Array:
        """How much each n-gram pushes `label` up relative to the other labels."""
        if self.binary:
            col: _Array = self.weights[idx, 0]
            return col if label == 1 else -col
        w: _Array = self.weights[idx]
        if self.multilabel:
            own: _Array = w[:, label]
            return own
        rel: _Array = w[:, label] - (w.sum(axis=1) - w[:, label]) / (w.shape[1] - 1)
        return rel

    def _evidence(self, feats: Features, row: int, label: int, norm: Normalised) -> tuple[Evidence, ...]:
        """The strongest non-overlapping n-grams for `label`, as spans of the original text."""
        lo, hi = int(feats.indptr[row]), int(feats.indptr[row + 1])
        if hi <= lo or not norm.text:
            return ()
        contrib = self._label_weights(feats.indices[lo:hi], label) * feats.values[lo:hi]
        order = np.argsort(-contrib, kind="stable")[: 4 * _EVIDENCE_PER_LABEL]
        taken: list[tuple[int, int]] = []
        found: list[Evidence] = []
        for k in order:
            weight = float(contrib[k])
            if weight <= 0 or len(found) >= _EVIDENCE_PER_LABEL:
                break
            start, end = feats.span(lo + int(k), len(norm.text))
            if end <= start or any(start < b and a < end for a, b in taken) or not norm.text[start:end].strip():
                continue
            taken.append((start, end))
            a, b = norm.to_original(start, end)
            found.append(Evidence(norm.original[a:b], a, b, "model", round(weight, 4)))
        return tuple(found)

    # ----------------------------------------------------------------------------------------------------------
    # Learning (scikit-learn is imported only here)

    def fit(
        self,
        texts: Sequence[str],
        y: Sequence[str] | Sequence[Sequence[str] | Mapping[str, float]],
        sample_weight: npt.ArrayLike | None = None,
        **options: Any,
    ) -> HashedLinearClassifier:
        """Learn weights, then the calibration (temperature or thresholds) on out-of-fold scores; returns self.

        A multi-label ``y`` item is a list of labels or a mapping of labels to probabilities (soft targets).
        """
        from aftersales.nlp.models import fitting

        fitting.fit_model(self, texts, y, sample_weight, **options)
        return self

    # ----------------------------------------------------------------------------------------------------------
    # Persistence: .npz of plain arrays (no pickles) with a JSON header

    def header(self) -> dict[str, Any]:
        """The JSON-ready description stored alongside the weights."""
        return {
            "format": FORMAT,
            "task": self.task,
            "version": self.version,
            "labels": list(self.labels),
            "multilabel": self.multilabel,
            "featurizer": self.featurizer.config,
            "temperature": self.temperature,
            "thresholds": [round(float(t), 6) for t in self.thresholds],
            "options": self.options,
            "metadata": self.metadata,
        }

    def save(self, path: str | Path) -> Path:
        """Write float16 weights of the used hash buckets (sparse rows) plus the header to one .npz."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        w16 = self.weights.astype(np.float16)
        rows = np.flatnonzero(np.any(w16 != 0, axis=1)).astype(np.int32)
        header = json.dumps(self.header(), ensure_ascii=False, sort_keys=True).encode("utf-8")
        with path.open("wb") as fh:
            np.savez_compressed(
                fh,
                header=np.frombuffer(header, dtype=np.uint8),
                rows=np.diff(rows, prepend=np.int32(0)).astype(np.int32),  # deltas compress far better
                weights=w16[rows],
                bias=self.bias.astype(np.float32),
            )
        return path

    @classmethod
    def load(cls, path: str | Path) -> HashedLinearClassifier:
        """Rebuild a saved model (numpy only; refuses files of another format)."""
        with np.load(Path(path), allow_pickle=False) as data:
            header = json.loads(bytes(data["header"]).decode("utf-8"))
            if header.get("format") != FORMAT:
                raise ValueError(f"{path}: not an {FORMAT} file")
            model = cls(
                header["task"],
                header["labels"],
                multilabel=header["multilabel"],
                featurizer=HashingFeaturizer(**header["featurizer"]),
                version=header["version"],
                options=header["options"],
            )
            rows = np.cumsum(data["rows"].astype(np.int64))
            model.weights[rows] = data["weights"].astype(np.float32)
            model.bias = data["bias"].astype(np.float32)
        model.temperature = float(header["temperature"])
        model.thresholds = np.asarray(header["thresholds"], dtype=np.float32)
        model.metadata = header.get("metadata", {})
        return model

    def __repr__(self) -> str:
        return f"HashedLinearClassifier(task={self.task!r}, version={self.version!r}, labels={len(self.labels)})"
