"""Churn risk: a logistic model trained on this merchant's own history, and an explainable rule score as fallback.

Training examples are after-sales moments (a case opened, or a return requested when there are no cases); the label
is "no order within the horizon afterwards". Features are computed as of that moment by the same engine that scores
customers today (`features_at`), so training and scoring cannot drift apart. scikit-learn is used to fit only; the
fitted model is a handful of numpy arrays, stored as JSON (no pickles). Details and limits: docs/signals.md.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from aftersales.signals.engine import COUNT_FEATURES, DAY, MODEL_FEATURES, as_timestamp, features_at
from aftersales.signals.frames import Frames
from aftersales.signals.types import ChurnRisk, Factor

MIN_EXAMPLES = 200
MIN_PER_CLASS = 20
HOLDOUT_SHARE = 0.2
HIGH, MEDIUM = 0.6, 0.3
TOP_FACTORS = 3
FORMAT = "aftersales.churn/1"
# Heavy-tailed counts and durations enter the model as log1p; ratios and slopes are clipped so that one extreme
# customer cannot dominate the standardisation.
LOG_FEATURES = COUNT_FEATURES | {"oldest_unresolved_case_age_hours", "days_since_last_order", "tenure_days"}
CLIP: dict[str, tuple[float, float]] = {
    "purchase_frequency_ratio": (0.0, 3.0),
    "purchase_frequency_z": (-5.0, 5.0),
    "return_frequency": (0.0, 1.0),
    "emotion_trend": (-1.0, 1.0),
}

FeatureRow: TypeAlias = Mapping[str, Any] | pd.Series


def churn_level(score: float) -> str:
    """low / medium / high, the buckets agents and policies act on."""
    return "high" if score >= HIGH else "medium" if score >= MEDIUM else "low"


def _as_float(value: Any) -> float | None:
    """A value as float, None when missing, NaN or not a number (bools count as 0/1)."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _number(row: FeatureRow, name: str) -> float | None:
    """A named feature of a row as float (see `_as_float`)."""
    return _as_float(row.get(name))


@dataclass(frozen=True)
class TrainingSet:
    """Churn examples: features as of each anchor moment, whether the customer then churned, and the anchor kind."""

    features: pd.DataFrame  # customer_id, as_of and FEATURES, one row per example
    churned: np.ndarray  # bool per row
    source: str  # "cases" | "returns" | "none"
    horizon_days: int
    as_of_end: pd.Timestamp | None


def build_training_set(
    frames: Frames, horizon_days: int, as_of_end: dt.datetime | pd.Timestamp | None = None
) -> TrainingSet:
    """One example per case (or per return when there are no cases) whose horizon has fully passed by as_of_end."""
    end = as_timestamp(as_of_end) if as_of_end is not None else frames.data_end()
    horizon = horizon_days * DAY
    if len(frames.cases):
        anchors, source = frames.cases[["customer_id", "opened_at"]].rename(columns={"opened_at": "as_of"}), "cases"
    else:
        # Real imports such as UCI Online Retail carry returns (cancellations) but no service cases.
        anchors = frames.returns[["customer_id", "requested_at"]].rename(columns={"requested_at": "as_of"})
        source = "returns" if len(anchors) else "none"
    anchors = anchors.iloc[0:0] if end is None else anchors[anchors["as_of"] + horizon <= end]
    anchors = anchors.sort_values("as_of", kind="stable").reset_index(drop=True)
    feats = features_at(anchors, frames)
    # Label: did the customer order again in (as_of, as_of + horizon]?
    hits = frames.orders[["customer_id", "ordered_at"]].merge(
        anchors.reset_index(names="example"), on="customer_id", how="inner"
    )
    hits = hits[(hits["ordered_at"] > hits["as_of"]) & (hits["ordered_at"] <= hits["as_of"] + horizon)]
    reordered = np.zeros(len(anchors), dtype=bool)
    reordered[hits["example"].to_numpy(dtype=np.int64)] = True
    return TrainingSet(feats, ~reordered, source, horizon_days, end)


def _design(frame: pd.DataFrame, features: tuple[str, ...], fill: np.ndarray | None) -> np.ndarray:
    """The transformed feature matrix of a frame (see `_stack`)."""
    columns = [pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype="float64") for name in features]
    return _stack(columns, features, fill, len(frame))


def _design_row(row: FeatureRow, features: tuple[str, ...], fill: np.ndarray | None) -> np.ndarray:
    """The transformed 1-row feature matrix of one mapping, without building a DataFrame (the online path)."""
    columns = [np.array([math.nan if (v := _number(row, name)) is None else v]) for name in features]
    return _stack(columns, features, fill, 1)


def _stack(columns: list[np.ndarray], features: tuple[str, ...], fill: np.ndarray | None, rows: int) -> np.ndarray:
    """log1p / clipping per column, then missing values replaced by `fill` (training medians).

    Frames and single rows share this code, column by column, so one customer scores exactly as in a batch.
    """
    out = []
    for name, col in zip(features, columns, strict=True):
        if name in LOG_FEATURES:
            col = np.log1p(np.clip(col, 0.0, None))
        elif name in CLIP:
            col = np.clip(col, *CLIP[name])
        out.append(col)
    matrix = np.column_stack(out) if out else np.empty((rows, 0))
    if fill is not None:
        matrix = np.where(np.isnan(matrix), fill, matrix)
    return matrix


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(z, -35.0, 35.0))))


@dataclass
class ChurnModel:
    """A fitted logistic churn model: imputation, standardisation and coefficients, all plain numbers."""

    features: tuple[str, ...]
    fill: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    horizon_days: int
    metrics: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def fit(cls, training: TrainingSet, *, c: float = 1.0, features: tuple[str, ...] = MODEL_FEATURES) -> ChurnModel:
        """Fit on the earlier 80 % to measure AUC/Brier on the rest, then refit on all; ValueError if data is thin."""
        y = np.asarray(training.churned, dtype=bool)
        n, positives = len(y), int(y.sum())
        if n < MIN_EXAMPLES or min(positives, n - positives) < MIN_PER_CLASS:
            raise ValueError(
                f"too little history for a churn model: {n} examples, {positives} churned, {n - positives} stayed "
                f"(need ≥ {MIN_EXAMPLES} examples and ≥ {MIN_PER_CLASS} of each); use the rule score instead"
            )
        order = np.argsort(training.features["as_of"].to_numpy(), kind="stable")
        frame, y = training.features.iloc[order].reset_index(drop=True), y[order]
        cut = round(n * (1.0 - HOLDOUT_SHARE))
        holdout = cls._fit_arrays(frame.iloc[:cut], y[:cut], c, features, training.horizon_days)
        metrics = holdout._holdout_metrics(frame.iloc[cut:], y[cut:], float(y[:cut].mean()))
        model = cls._fit_arrays(frame, y, c, features, training.horizon_days)
        model.metrics = {
            "source": training.source,
            "horizon_days": training.horizon_days,
            "trained_through": None if training.as_of_end is None else training.as_of_end.isoformat(),
            "examples": n,
            "base_rate": round(float(y.mean()), 4),
            **metrics,
        }
        return model

    @classmethod
    def _fit_arrays(
        cls, frame: pd.DataFrame, y: np.ndarray, c: float, features: tuple[str, ...], horizon_days: int
    ) -> ChurnModel:
        """medians for gaps, standardise, balanced weights, then undo the balancing in the intercept."""
        from sklearn.linear_model import LogisticRegression  # training-only dependency

        raw = _design(frame, features, None)
        fill = np.nan_to_num(np.nanmedian(np.where(np.isnan(raw).all(axis=0), 0.0, raw), axis=0))
        x = np.where(np.isnan(raw), fill, raw)
        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale = np.where(scale > 1e-12, scale, 1.0)  # a constant column stays at 0 instead of dividing by zero
        if len(np.unique(y)) < 2:
            raise ValueError("churn training split holds only one class; use the rule score instead")
        clf = LogisticRegression(C=c, class_weight="balanced", max_iter=1000)
        clf.fit((x - mean) / scale, y.astype(int))
        # Balanced weights fit the log-odds of a 50/50 world; adding the true prior log-odds back gives probabilities
        # that match this merchant's churn rate (King & Zeng's prior correction), so "0.6" means about 60 %.
        rate = float(np.clip(y.mean(), 1e-6, 1 - 1e-6))
        intercept = float(clf.intercept_[0]) + math.log(rate / (1.0 - rate))
        return cls(features, fill, mean, scale, clf.coef_[0].astype("float64"), intercept, horizon_days)

    def _holdout_metrics(self, frame: pd.DataFrame, y: np.ndarray, train_rate: float) -> dict[str, Any]:
        """AUC and Brier on the later examples, next to the Brier of always predicting the training churn rate."""
        from sklearn.metrics import roc_auc_score  # training-only dependency

        p = self.predict_proba(frame)
        auc = float(roc_auc_score(y, p)) if len(np.unique(y)) == 2 else None
        return {
            "holdout_examples": len(y),
            "holdout_base_rate": round(float(y.mean()), 4) if len(y) else None,
            "auc": None if auc is None else round(auc, 4),
            "brier": round(float(np.mean((p - y) ** 2)), 4) if len(y) else None,
            "brier_base_rate": round(float(np.mean((train_rate - y) ** 2)), 4) if len(y) else None,
        }

    def usable_with(self, columns: Any) -> bool:
        """Whether a feature frame/row carries every input this model needs (older models may know other features)."""
        return set(self.features) <= set(columns)

    def contributions(self, frame: pd.DataFrame) -> np.ndarray:
        """coef × standardised value per example and feature: the signed push of each feature on the log-odds."""
        return self._push(_design(frame, self.features, self.fill))

    def _push(self, design: np.ndarray) -> np.ndarray:
        """coef × standardised value for a design matrix."""
        return np.asarray((design - self.mean) / self.scale * self.coef)

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Churn probability for each row of a feature frame (numpy only, no scikit-learn needed)."""
        return _sigmoid(self.contributions(frame).sum(axis=1) + self.intercept)

    def score_frame(self, frame: pd.DataFrame) -> list[ChurnRisk]:
        """ChurnRisk per row, each with the three features that pushed hardest (either way), computed in one pass."""
        raw = frame.reindex(columns=list(self.features)).to_numpy(dtype=object)
        return self._risks(self.contributions(frame), raw)

    def score(self, row: FeatureRow) -> ChurnRisk:
        """ChurnRisk for one customer's features (a plain mapping, e.g. `scalar.features_of`, or a Series)."""
        raw = [[row.get(name) for name in self.features]]
        return self._risks(self._push(_design_row(row, self.features, self.fill)), raw)[0]

    def _risks(self, contrib: np.ndarray, raw: Any) -> list[ChurnRisk]:
        """ChurnRisk per row of contributions; `raw[i][j]` is the feature value shown in the factor."""
        probability = _sigmoid(contrib.sum(axis=1) + self.intercept)
        top = np.argsort(-np.abs(contrib), axis=1, kind="stable")[:, :TOP_FACTORS]
        risks = []
        for i, p in enumerate(probability.tolist()):
            factors = tuple(
                Factor(
                    feature=self.features[j],
                    value=_as_float(raw[i][j]),
                    contribution=round(float(contrib[i, j]), 4),
                    note=f"{'raises' if contrib[i, j] > 0 else 'lowers'} churn risk",
                )
                for j in top[i].tolist()
                if contrib[i, j] != 0.0
            )
            risks.append(ChurnRisk(round(p, 4), churn_level(p), "model", factors))
        return risks

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters (round-trips exactly through `from_dict`)."""
        return {
            "format": FORMAT,
            "features": list(self.features),
            "fill": self.fill.tolist(),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
            "horizon_days": self.horizon_days,
            "metrics": self.metrics,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ChurnModel:
        """Rebuild a model saved by `to_dict`, checking the format and array lengths so a bad file fails loudly."""
        if data.get("format") != FORMAT:
            raise ValueError(f"not a churn model ({FORMAT!r} expected, got {data.get('format')!r})")
        features = tuple(str(f) for f in data["features"])
        arrays = [np.asarray(data[k], dtype="float64") for k in ("fill", "mean", "scale", "coef")]
        if any(a.shape != (len(features),) for a in arrays):
            raise ValueError("churn model arrays do not match its feature list")
        fill, mean, scale, coef = arrays
        return cls(
            features,
            fill,
            mean,
            scale,
            coef,
            float(data["intercept"]),
            int(data["horizon_days"]),
            dict(data.get("metrics", {})),
        )


def try_fit(training: TrainingSet, **kwargs: Any) -> ChurnModel | None:
    """A fitted model, or None when the history is too thin (callers then use `rule_churn`)."""
    try:
        return ChurnModel.fit(training, **kwargs)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class RulePoints:
    """One rule of the fallback score: points added when `feature` passes its threshold."""

    feature: str
    points: float
    note: str


BASE_POINTS = 0.05  # everyone carries a little risk; the points below add up to 0.95, so the score stays in [0, 1]
LONG_SILENCE = RulePoints("days_since_last_order", 0.30, "no order for {value:.0f} days (≥ the {h}-day horizon)")
SILENCE = RulePoints("days_since_last_order", 0.15, "no order for {value:.0f} days (≥ half the {h}-day horizon)")
RULES: tuple[tuple[RulePoints, str, float], ...] = (
    # (rule, comparison, threshold); days-since rules are checked separately because their threshold is the horizon.
    (RulePoints("purchase_frequency_ratio", 0.25, "buys at {value:.0%} of their usual rate"), "<", 0.5),
    (RulePoints("recent_negative_share", 0.15, "{value:.0%} of recent messages negative"), ">=", 0.5),
    (RulePoints("reopen_count", 0.10, "{value:.0f} reopened case(s)"), ">=", 1.0),
    (RulePoints("return_frequency", 0.10, "returned {value:.0%} of orders"), ">=", 0.3),
    (RulePoints("open_cases", 0.05, "{value:.0f} open case(s)"), ">=", 1.0),
)


def rule_churn(features: FeatureRow, horizon_days: int = 90) -> ChurnRisk:
    """Explainable churn score for when no model could be trained: fixed points per warning sign (docs/signals.md)."""
    fired: list[tuple[RulePoints, float]] = []
    silence = _number(features, "days_since_last_order")
    if silence is not None and silence >= horizon_days:
        fired.append((LONG_SILENCE, silence))
    elif silence is not None and silence >= horizon_days / 2:
        fired.append((SILENCE, silence))
    for rule, op, threshold in RULES:
        value = _number(features, rule.feature)
        if value is not None and (value < threshold if op == "<" else value >= threshold):
            fired.append((rule, value))
    score = round(min(1.0, BASE_POINTS + sum(rule.points for rule, _ in fired)), 4)
    factors = tuple(
        Factor(rule.feature, value, rule.points, rule.note.format(value=value, h=horizon_days))
        for rule, value in sorted(fired, key=lambda item: -item[0].points)
    )
    return ChurnRisk(score, churn_level(score), "rules", factors)
