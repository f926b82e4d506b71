"""Pure metric functions returning JSON-ready dicts (no scikit-learn needed, so `aftersales eval` runs anywhere)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = [
    "accuracy",
    "classification_report",
    "confusion_matrix",
    "expected_calibration_error",
    "macro_f1",
    "micro_f1",
    "multilabel_report",
    "per_label",
]


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _check(y_true: Sequence[object], y_pred: Sequence[object]) -> None:
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} items, y_pred {len(y_pred)}")


def accuracy(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    """Share of exact matches (0.0 for no items)."""
    _check(y_true, y_pred)
    return sum(t == p for t, p in zip(y_true, y_pred, strict=True)) / len(y_true) if y_true else 0.0


def per_label(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None
) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support per label (labels default to every label seen in either list)."""
    _check(y_true, y_pred)
    names = list(labels) if labels is not None else sorted(set(y_true) | set(y_pred))
    out: dict[str, dict[str, float]] = {}
    for name in names:
        tp = sum(t == name and p == name for t, p in zip(y_true, y_pred, strict=True))
        fp = sum(t != name and p == name for t, p in zip(y_true, y_pred, strict=True))
        fn = sum(t == name and p != name for t, p in zip(y_true, y_pred, strict=True))
        p, r, f = _prf(tp, fp, fn)
        out[name] = {"precision": p, "recall": r, "f1": f, "support": tp + fn}
    return out


def macro_f1(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None) -> float:
    """Unweighted mean F1 over labels (by default every label in y_true or y_pred, as scikit-learn does)."""
    table = per_label(y_true, y_pred, labels)
    return float(np.mean([v["f1"] for v in table.values()])) if table else 0.0


def micro_f1(y_true: Sequence[Sequence[str]], y_pred: Sequence[Sequence[str]]) -> float:
    """Micro-averaged F1 over (item, label) pairs of a multi-label task."""
    _check(y_true, y_pred)
    tp = sum(len(set(t) & set(p)) for t, p in zip(y_true, y_pred, strict=True))
    fp = sum(len(set(p) - set(t)) for t, p in zip(y_true, y_pred, strict=True))
    fn = sum(len(set(t) - set(p)) for t, p in zip(y_true, y_pred, strict=True))
    return _prf(tp, fp, fn)[2]


def multilabel_report(
    y_true: Sequence[Sequence[str]], y_pred: Sequence[Sequence[str]], labels: Sequence[str] | None = None
) -> dict[str, object]:
    """Micro/macro F1 plus per-label P/R/F1/support for a multi-label task."""
    _check(y_true, y_pred)
    names = list(labels) if labels is not None else sorted({x for ys in (*y_true, *y_pred) for x in ys})
    table: dict[str, dict[str, float]] = {}
    for name in names:
        tp = sum(name in t and name in p for t, p in zip(y_true, y_pred, strict=True))
        fp = sum(name not in t and name in p for t, p in zip(y_true, y_pred, strict=True))
        fn = sum(name in t and name not in p for t, p in zip(y_true, y_pred, strict=True))
        p, r, f = _prf(tp, fp, fn)
        table[name] = {"precision": p, "recall": r, "f1": f, "support": tp + fn}
    supported = [v["f1"] for v in table.values() if v["support"] > 0]
    return {
        "n": len(y_true),
        "micro_f1": micro_f1(y_true, y_pred),
        "macro_f1": float(np.mean(supported)) if supported else 0.0,
        "exact_match": accuracy([",".join(sorted(t)) for t in y_true], [",".join(sorted(p)) for p in y_pred]),
        "per_label": table,
    }


def confusion_matrix(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None
) -> dict[str, object]:
    """Counts with rows = true label, columns = predicted label, in `labels` order."""
    _check(y_true, y_pred)
    names = list(labels) if labels is not None else sorted(set(y_true) | set(y_pred))
    index = {name: i for i, name in enumerate(names)}
    mat = [[0] * len(names) for _ in names]
    for t, p in zip(y_true, y_pred, strict=True):
        if t in index and p in index:
            mat[index[t]][index[p]] += 1
    return {"labels": names, "matrix": mat}


def expected_calibration_error(confidence: npt.ArrayLike, correct: npt.ArrayLike, n_bins: int = 15) -> float:
    """ECE: |accuracy − confidence| averaged over equal-width confidence bins, weighted by bin size."""
    conf = np.asarray(confidence, dtype=np.float64)
    hit = np.asarray(correct, dtype=np.float64)
    if conf.shape != hit.shape:
        raise ValueError("confidence and correct must have the same shape")
    if conf.size == 0:
        return 0.0
    bins = np.minimum((conf * n_bins).astype(int), n_bins - 1)
    total = 0.0
    for b in np.unique(bins):
        sel = bins == b
        total += sel.sum() * abs(hit[sel].mean() - conf[sel].mean())
    return float(total / conf.size)


def classification_report(
    y_true: Sequence[str],
    y_pred: Sequence[str],
    confidence: npt.ArrayLike | None = None,
    labels: Sequence[str] | None = None,
) -> dict[str, object]:
    """Accuracy, macro-F1, per-label table, confusion matrix and (given confidences) ECE for a single-label task."""
    report: dict[str, object] = {
        "n": len(y_true),
        "accuracy": accuracy(y_true, y_pred),
        "macro_f1": macro_f1(y_true, y_pred, labels),
        "per_label": per_label(y_true, y_pred, labels),
        "confusion": confusion_matrix(y_true, y_pred, labels),
    }
    if confidence is not None:
        hits = [t == p for t, p in zip(y_true, y_pred, strict=True)]
        report["ece"] = expected_calibration_error(confidence, hits)
    return report
