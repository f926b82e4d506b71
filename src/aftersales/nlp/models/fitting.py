"""Training for `HashedLinearClassifier` (scikit-learn + scipy, imported only when a model is fitted).

Binary tasks average a logistic regression with an NB-LR (logistic regression on features scaled by naive-Bayes
log-count ratios, Wang & Manning 2012); both are linear in the raw features, so the average folds into one weight
vector. Multi-class tasks use multinomial logistic regression, multi-label tasks one balanced logistic regression per
label (averaged with a per-label NB-LR the same way when ``nb_C`` is set). With ``idf=True`` the learner sees every
bucket scaled by its smoothed inverse document frequency in the rows it learns from; the scale is folded back into the
weights, so a saved model still reads the raw features. Calibration (temperature, thresholds) is fitted on out-of-fold
scores, never on the rows it scores; a model whose scale is fitted downstream (``calibrate=False``) skips it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from aftersales.nlp.models.linear import HashedLinearClassifier

__all__ = ["fit_model", "fit_temperature", "tune_thresholds"]

_F = npt.NDArray[np.float64]
_SMALL = 20_000  # below this many rows: k-fold out-of-fold calibration and a refit on all rows


def _targets(model: HashedLinearClassifier, y: Sequence[Any]) -> npt.NDArray[Any]:
    """Label indices (single-label) or an n×L target matrix (multi-label); unknown labels fail loudly.

    A multi-label item is a list of labels (1 each, 0 for the rest) or a mapping of labels to probabilities (a soft
    target, e.g. a teacher's reading; labels it leaves out are 0). Any soft item makes the matrix float, else 0/1 int.
    """
    index = {label: i for i, label in enumerate(model.labels)}
    unknown = {lab for item in y for lab in ([item] if isinstance(item, str) else item)} - set(index)
    if unknown:
        raise ValueError(f"labels not in the model's label set: {sorted(unknown)}")
    if not model.multilabel:
        return np.asarray([index[str(item)] for item in y], dtype=np.int64)
    soft = any(isinstance(item, Mapping) for item in y)
    out = np.zeros((len(y), len(model.labels)), dtype=np.float64 if soft else np.int64)
    for row, item in enumerate(y):
        if isinstance(item, Mapping):
            probs = np.asarray([float(p) for p in item.values()])
            if not np.all((probs >= 0.0) & (probs <= 1.0)):
                raise ValueError(f"row {row}: soft targets must be probabilities in [0, 1], got {dict(item)}")
            out[row, [index[lab] for lab in item]] = probs
        else:
            out[row, [index[lab] for lab in item]] = 1
    return out


def _hard(y: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
    """0/1 targets of a (possibly soft) target matrix: a probability counts as the label at 0.5 or more."""
    out: npt.NDArray[np.int64] = (y >= 0.5).astype(np.int64) if y.dtype.kind == "f" else y
    return out


def _logreg(c: float, class_weight: Any = None, solver: str = "liblinear", max_iter: int = 300) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=c, solver=solver, class_weight=class_weight, max_iter=max_iter, random_state=0)


def idf_weights(x: Any) -> _F:
    """Smoothed inverse document frequency of every column, ``log((1 + n) / (1 + df)) + 1`` (scikit-learn's)."""
    rows = x.tocsr(copy=True)
    rows.sum_duplicates()  # one entry per (row, column): the count is the column's document frequency
    rows.eliminate_zeros()
    df = np.bincount(rows.indices, minlength=x.shape[1])
    out: _F = np.log((1.0 + x.shape[0]) / (1.0 + df)) + 1.0
    return out


def _soft_rows(x: Any, p: _F, sw: _F, cw: Any) -> tuple[Any, npt.NDArray[np.int64], _F, Any, _F]:
    """A soft target as weighted hard rows: a row with 0 < p < 1 is a positive at weight p and a negative at 1 − p.

    Why: the log loss of one row against a probability p is exactly that pair's, so a binary learner that takes
    sample weights learns soft targets unchanged. "balanced" class weights are computed from the rows' weights (a
    soft row counts as p of a positive), which for 0/1 targets and unit weights is scikit-learn's own balancing.
    Also returns each row's class membership (p or 1 − p), what the NB ratios count.
    """
    from scipy.sparse import vstack

    pos, neg = p > 0.0, p < 1.0
    xs = vstack([x[pos], x[neg]]).tocsr()
    ys = np.concatenate([np.ones(int(pos.sum()), dtype=np.int64), np.zeros(int(neg.sum()), dtype=np.int64)])
    member = np.concatenate([p[pos], 1.0 - p[neg]])
    ws = np.concatenate([sw[pos], sw[neg]]) * member
    if cw == "balanced":
        total, on = ws.sum(), ws[ys == 1].sum()
        ws = ws * np.where(ys == 1, total / (2.0 * on), total / (2.0 * (total - on)))
        cw = None
    return xs, ys, ws, cw, member


def _binary(x: Any, y: npt.NDArray[Any], sw: _F, c: float, cw: Any, nb_c: float | None) -> tuple[_F, float]:
    """One binary logistic regression, averaged with an NB-LR when ``nb_c`` is set (both folded into raw weights).

    ``y`` is 0/1, or probabilities (soft targets, see `_soft_rows`).
    """
    member = None
    if y.dtype.kind == "f":
        x, y, sw, cw, member = _soft_rows(x, y, sw, cw)
    clf = _logreg(c, cw).fit(x, y, sample_weight=sw)
    wb, bb = clf.coef_[0].copy(), float(clf.intercept_[0])
    if nb_c:  # NB-LR ensemble member, folded back into raw-feature weights
        from scipy.sparse import diags

        xb = x.copy()
        xb.data[:] = 1.0
        if member is None:
            pos = np.asarray(xb[y == 1].sum(axis=0)).ravel() + 1.0
            neg = np.asarray(xb[y == 0].sum(axis=0)).ravel() + 1.0
        else:  # soft rows count as much as they belong to the class
            pos = np.asarray(xb.T @ np.where(y == 1, member, 0.0)).ravel() + 1.0
            neg = np.asarray(xb.T @ np.where(y == 0, member, 0.0)).ravel() + 1.0
        ratio = np.log((pos / pos.sum()) / (neg / neg.sum()))
        nb = _logreg(float(nb_c), cw).fit(x @ diags(ratio), y, sample_weight=sw)
        wb, bb = (wb + nb.coef_[0] * ratio) / 2.0, (bb + float(nb.intercept_[0])) / 2.0
    return wb, bb


def _learn(model: HashedLinearClassifier, x: Any, y: npt.NDArray[Any], sw: _F, opts: dict[str, Any]) -> tuple[_F, _F]:
    """Weights (n_features × columns) and bias for one training set (idf scaling folded back into the weights)."""
    if opts.get("idf"):
        from scipy.sparse import diags

        scale = idf_weights(x)
        w, b = _learn(model, x @ diags(scale), y, sw, {k: v for k, v in opts.items() if k != "idf"})
        return w * scale[:, None], b
    c = float(opts.get("C", 10.0))
    cw = opts.get("class_weight")
    n_features = model.featurizer.n_features
    if model.multilabel:
        w = np.zeros((n_features, y.shape[1]))
        b = np.full(y.shape[1], -10.0)  # a label never seen positive is never predicted
        for j in range(y.shape[1]):
            if 0 < y[:, j].sum() < len(y):  # soft columns too: some probability on each side
                w[:, j], b[j] = _binary(x, y[:, j], sw, c, cw or "balanced", opts.get("nb_C"))
        return w, b
    if model.binary:
        wb, bb = _binary(x, y, sw, c, cw, opts.get("nb_C"))
        return wb[:, None], np.array([bb])
    clf = _logreg(c, cw, solver="lbfgs", max_iter=int(opts.get("max_iter", 300)))
    with warnings.catch_warnings():
        # The iteration cap is part of the recipe (it regularises, and `aftersales train` must reproduce the shipped
        # weights): stopping at it is expected, not a failure worth a warning per fold.
        from sklearn.exceptions import ConvergenceWarning

        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x, y, sample_weight=sw)
    coef = np.zeros((len(model.labels), n_features))
    coef[clf.classes_] = clf.coef_
    bias = np.full(len(model.labels), -10.0)
    bias[clf.classes_] = clf.intercept_
    return coef.T, bias


def _scores(model: HashedLinearClassifier, x: Any, w: _F, b: _F) -> _F:
    logits = np.asarray(x @ w) + b
    return np.hstack([np.zeros_like(logits), logits]) if model.binary else logits


def fit_temperature(logits: _F, y: npt.NDArray[np.int64]) -> float:
    """The temperature minimising the negative log-likelihood of held-out logits (Guo et al. 2017)."""
    from scipy.optimize import minimize_scalar

    def nll(log_t: float) -> float:
        z = logits / np.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-logp[np.arange(len(y)), y].mean())

    res = minimize_scalar(nll, bounds=(np.log(0.05), np.log(20.0)), method="bounded")
    return float(np.exp(res.x))


def tune_thresholds(proba: _F, y: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
    """Per-label probability thresholds maximising that label's F1 on held-out scores (0.5 when unseen)."""
    grid = np.round(np.arange(0.05, 0.96, 0.025), 3)
    out = np.full(y.shape[1], 0.5, dtype=np.float32)
    for j in range(y.shape[1]):
        if y[:, j].sum() == 0:
            continue
        pred = proba[:, j][:, None] >= grid[None, :]
        tp = (pred & (y[:, j][:, None] == 1)).sum(axis=0)
        f1 = 2 * tp / np.maximum(pred.sum(axis=0) + y[:, j].sum(), 1)
        if f1.max() > 0:  # no threshold finds a positive: keep the neutral 0.5 rather than the grid's first
            out[j] = grid[int(np.argmax(f1))]
    return out


def _folds(n: int, k: int, seed: int) -> npt.NDArray[np.int64]:
    return np.random.default_rng(seed).permutation(n) % k


def calibration_mask(n: int, seed: int = 0) -> npt.NDArray[np.bool_]:
    """Rows a large-data model (≥ `_SMALL` rows) holds out of training for its calibration (the same draw)."""
    out: npt.NDArray[np.bool_] = _folds(n, 10, seed) == 0 if n >= _SMALL else np.zeros(n, dtype=bool)
    return out


def fit_model(
    model: HashedLinearClassifier,
    texts: Sequence[str],
    y: Sequence[Any],
    sample_weight: npt.ArrayLike | None = None,
    **options: Any,
) -> None:
    """Fit weights, then calibration on out-of-fold (small data) or held-out 10 % (large data) scores."""
    if len(texts) != len(y) or not texts:
        raise ValueError("texts and y must be non-empty and of equal length")
    target = _targets(model, y)
    sw = np.ones(len(texts)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    _norms, feats = model.featurize(texts)
    x = model.featurizer.to_csr(feats)
    seed = int(options.get("seed", 0))
    n = len(texts)
    if not options.get("calibrate", True):  # scaled downstream (a fitted blend weight): temperature 1, thresholds 0.5
        calib_rows = np.zeros(n, dtype=bool)
        w, b = _learn(model, x, target, sw, options)
    elif n < _SMALL:
        fold = _folds(n, int(options.get("folds", 5)), seed)
        held = np.zeros((n, len(model.labels)))
        for f in np.unique(fold):
            tr, te = fold != f, fold == f
            if model.multilabel or len(np.unique(target[tr])) > 1:
                held[te] = _scores(model, x[te], *_learn(model, x[tr], target[tr], sw[tr], options))
        calib_rows = np.ones(n, dtype=bool)
        w, b = _learn(model, x, target, sw, options)
    else:  # large data: one 90/10 split; the shipped weights are the 90 % model, calibrated on the other 10 %
        calib_rows = calibration_mask(n, seed)
        w, b = _learn(model, x[~calib_rows], target[~calib_rows], sw[~calib_rows], options)
        held = np.zeros((n, len(model.labels)))
        held[calib_rows] = _scores(model, x[calib_rows], w, b)
    prune = float(options.get("prune", 0.0))
    if prune > 0:
        w[np.abs(w) < prune] = 0.0
    model.weights = w.astype(np.float32)
    model.bias = np.asarray(b, dtype=np.float32)
    if calib_rows.any() and model.multilabel:
        model.thresholds = tune_thresholds(1.0 / (1.0 + np.exp(-held[calib_rows])), _hard(target[calib_rows]))
    elif calib_rows.any():
        model.temperature = fit_temperature(held[calib_rows], target[calib_rows])
    model.options = {k: v for k, v in options.items() if isinstance(v, (int, float, str, bool, type(None)))}
    model.metadata = {"n_train": int(n), "n_calibration": int(calib_rows.sum())}
