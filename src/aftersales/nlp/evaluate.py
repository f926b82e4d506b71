"""Pure metric functions returning JSON-ready dicts (no scikit-learn needed, so `aftersales eval` runs anywhere)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "accuracy",
    "binary_polarity",
    "bootstrap_multilabel",
    "bootstrap_single",
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


def binary_polarity(scores: Iterable[float]) -> list[str]:
    """Labels for gold without a neutral class (review corpora): the sign of polarity_score, 0 counting as positive."""
    return ["positive" if s >= 0 else "negative" for s in scores]


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
        "ci95": bootstrap_multilabel(y_true, y_pred),
        "per_label": table,
    }


BOOTSTRAP_ROUNDS = 1000
_CHUNK = 100  # resamples per numpy step: bounded memory on large test sets


def _resamples(n: int, rounds: int, seed: int) -> Iterator[npt.NDArray[np.int64]]:
    """Index arrays of bootstrap resamples (rows drawn with replacement), `_CHUNK` at a time."""
    rng = np.random.default_rng(seed)
    for start in range(0, rounds, _CHUNK):
        yield rng.integers(0, n, size=(min(_CHUNK, rounds - start), n))


def _interval(values: list[float], level: float) -> list[float]:
    tail = (1.0 - level) / 2.0
    return [round(float(np.quantile(values, tail)), 4), round(float(np.quantile(values, 1.0 - tail)), 4)]


def _f1(tp: npt.NDArray[np.float64], fp: npt.NDArray[np.float64], fn: npt.NDArray[np.float64]) -> npt.NDArray[Any]:
    denominator = 2 * tp + fp + fn
    return np.divide(2 * tp, denominator, out=np.zeros_like(denominator), where=denominator > 0)


def bootstrap_single(
    y_true: Sequence[str],
    y_pred: Sequence[str],
    labels: Sequence[str] | None = None,
    rounds: int = BOOTSTRAP_ROUNDS,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, list[float]]:
    """Percentile-bootstrap intervals of accuracy and macro-F1 (over `labels` drawn as truth or prediction).

    A class with three test items moves macro-F1 by a whole 1/k when one of them flips: the interval says how much
    of a difference between two numbers is the test set's size rather than the model.
    """
    _check(y_true, y_pred)
    if not y_true:
        return {}
    names = list(labels) if labels is not None else sorted(set(y_true) | set(y_pred))
    index = {name: i for i, name in enumerate(names)}
    k = len(names)
    truth = np.array([index.get(t, k) for t in y_true])
    pred = np.array([index.get(p, k) for p in y_pred])
    acc: list[float] = []
    macro: list[float] = []
    for rows in _resamples(len(truth), rounds, seed):
        t, p = truth[rows], pred[rows]
        hit = t == p
        acc.extend(hit.mean(axis=1).tolist())
        tp, n_true, n_pred = (_per_row_counts(codes, k + 1) for codes in (np.where(hit, t, k), t, p))
        tp_, fn, fp = tp[:, :k].astype(float), (n_true - tp)[:, :k].astype(float), (n_pred - tp)[:, :k].astype(float)
        seen = (tp_ + fp + fn) > 0  # a rare class drawn neither as truth nor as prediction is not scored 0
        counts = seen.sum(axis=1)
        f1 = (_f1(tp_, fp, fn) * seen).sum(axis=1)
        macro.extend(np.divide(f1, counts, out=np.zeros(len(rows)), where=counts > 0).tolist())
    return {"accuracy": _interval(acc, level), "macro_f1": _interval(macro, level)}


def _per_row_counts(codes: npt.NDArray[np.int64], width: int) -> npt.NDArray[np.int64]:
    """How often each code 0..width-1 occurs in each row of `codes` (one bincount for all rows)."""
    offsets = np.arange(len(codes))[:, None] * width
    counts: npt.NDArray[np.int64] = np.bincount((offsets + codes).ravel(), minlength=len(codes) * width)
    return counts.reshape(-1, width)


def bootstrap_multilabel(
    y_true: Sequence[Sequence[str]],
    y_pred: Sequence[Sequence[str]],
    rounds: int = BOOTSTRAP_ROUNDS,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, list[float]]:
    """Percentile-bootstrap intervals of micro-F1 and macro-F1 (over labels with support) of a multi-label task."""
    _check(y_true, y_pred)
    if not y_true:
        return {}
    names = sorted({x for ys in (*y_true, *y_pred) for x in ys})
    index = {name: i for i, name in enumerate(names)}
    gold = np.zeros((len(y_true), len(names)), dtype=bool)
    found = np.zeros_like(gold)
    for row, (t, p) in enumerate(zip(y_true, y_pred, strict=True)):
        gold[row, [index[x] for x in set(t)]] = True
        found[row, [index[x] for x in set(p)]] = True
    tp_row, fp_row, fn_row = (gold & found).astype(float), (~gold & found).astype(float), (gold & ~found).astype(float)
    micro: list[float] = []
    macro: list[float] = []
    for rows in _resamples(len(gold), rounds, seed):
        tp, fp, fn = tp_row[rows].sum(axis=1), fp_row[rows].sum(axis=1), fn_row[rows].sum(axis=1)
        micro.extend(_f1(tp.sum(axis=1), fp.sum(axis=1), fn.sum(axis=1)).tolist())
        per = _f1(tp, fp, fn)
        supported = (tp + fn) > 0
        counts = supported.sum(axis=1)
        macro.extend(
            np.divide((per * supported).sum(axis=1), counts, out=np.zeros(len(rows)), where=counts > 0).tolist()
        )
    return {"micro_f1": _interval(micro, level), "macro_f1": _interval(macro, level)}


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
        "ci95": bootstrap_single(y_true, y_pred, labels),
        "per_label": per_label(y_true, y_pred, labels),
        "confusion": confusion_matrix(y_true, y_pred, labels),
    }
    if confidence is not None:
        hits = [t == p for t, p in zip(y_true, y_pred, strict=True)]
        report["ece"] = expected_calibration_error(confidence, hits)
    return report
