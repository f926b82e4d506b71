"""A student with a hidden layer over the same hashed n-grams, against the shipped linear recipe (JSON out).

    python benchmarks/mlp_student.py reasons [--hidden 64] [--epochs 4] [--folds 5]
    python benchmarks/mlp_student.py emotion_cs --hidden 64 --epochs 4

Why: the linear students keep about the same share of the teachers' readings however many rows they read (docs/
models.md, stop 26); a hidden layer is more capacity per weight. Each fold of the cs_labels training split (the five
folds of `nlp_sweep.py`, seed 7) is read by three models fitted on the other folds plus the teacher's rows, as the
shipped fit learns them: the shipped recipe (`train.fit_task`), a one-hidden-layer network (ReLU, dropout 0.3,
lazy Adam on the rows of the input layer a batch touches, numpy only) and the mean of the two. Reasons thresholds:
the linear model's own (tuned out of fold inside its fit); the network's tuned on a tenth of its training rows held
out of its fit; the mean's at the mean of the two. Scores as `nlp_sweep.py`'s (reasons micro-F1 without `other`;
macro-F1 and accuracy). The test split is never read.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from nlp_sweep import scores  # sibling benchmark: the same scoring as the linear sweeps

from aftersales.nlp import train as tr
from aftersales.nlp.models.features import HashingFeaturizer
from aftersales.nlp.models.fitting import tune_thresholds

_F = npt.NDArray[Any]
MIN_DF = 2  # input rows for n-grams seen in at least this many training texts (the others learn nothing)
BATCH = 128


class HiddenLayer:
    """x → ReLU(x·W1 + b1) → ·W2 + b2: sigmoid outputs for a multi-label task, softmax for a single-label one."""

    def __init__(self, n_in: int, hidden: int, n_out: int, multilabel: bool, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.multilabel = multilabel
        self.params: dict[str, _F] = {
            "W1": (rng.standard_normal((n_in, hidden)) * 0.05).astype(np.float32),
            "b1": np.zeros(hidden, np.float32),
            "W2": (rng.standard_normal((hidden, n_out)) * np.sqrt(2 / hidden)).astype(np.float32),
            "b2": np.zeros(n_out, np.float32),
        }
        self.m = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.v = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.t = 0

    def proba(self, x: Any) -> _F:
        """Output probabilities of a CSR batch."""
        p = self.params
        out = np.maximum(x @ p["W1"] + p["b1"], 0) @ p["W2"] + p["b2"]
        return _activate(out, self.multilabel)

    def step(
        self, x: Any, y: npt.NDArray[Any], lr: float, drop: float, rng: np.random.Generator, cw: _F | None
    ) -> None:
        """One Adam step on a batch; the input layer's moments and weights move only on the rows the batch uses."""
        p = self.params
        cols, inv = np.unique(x.indices, return_inverse=True)
        xs = sp.csr_matrix((x.data, inv, x.indptr), shape=(x.shape[0], len(cols)))
        z = xs @ p["W1"][cols] + p["b1"]
        keep = (rng.random(z.shape) >= drop).astype(np.float32) / (1 - drop)
        h = np.maximum(z, 0) * keep
        g = _activate(h @ p["W2"] + p["b2"], self.multilabel)
        if self.multilabel:
            g = g - y
        else:
            g[np.arange(len(y)), y] -= 1
            if cw is not None:
                g *= cw[y][:, None]
        g /= x.shape[0]
        gh = (g @ p["W2"].T) * keep * (z > 0)
        grads = {"W2": h.T @ g, "b2": g.sum(0), "b1": gh.sum(0), "W1": xs.T @ gh}
        self.t += 1
        c1, c2 = 1 - 0.9**self.t, 1 - 0.999**self.t
        for name, grad in grads.items():
            rows = cols if name == "W1" else slice(None)
            m = 0.9 * self.m[name][rows] + 0.1 * grad
            v = 0.999 * self.v[name][rows] + 0.001 * grad * grad
            self.m[name][rows], self.v[name][rows] = m, v
            p[name][rows] -= lr * (m / c1) / (np.sqrt(v / c2) + 1e-8)


def _activate(out: _F, multilabel: bool) -> _F:
    """Sigmoid of each output (multi-label) or softmax over a row (single-label)."""
    if multilabel:
        sig: _F = 1.0 / (1.0 + np.exp(-out))
        return sig
    e = np.exp(out - out.max(axis=1, keepdims=True))
    soft: _F = e / e.sum(axis=1, keepdims=True)
    return soft


def _targets(task: str, frame: Any, labels: list[str]) -> npt.NDArray[Any]:
    _, multilabel, column = tr._TASK_LABELS[task]
    if not multilabel:
        return np.asarray([labels.index(v) for v in frame[column]])
    y = np.zeros((len(frame), len(labels)), np.float32)
    for i, reasons in enumerate(frame[column]):
        y[i, [labels.index(r) for r in reasons]] = 1
    return y


def _decide(task: str, proba: _F, labels: list[str], thresholds: _F | None) -> list[Any]:
    if task == "reasons":
        assert thresholds is not None
        return [[labels[j] for j in np.flatnonzero(row >= thresholds) if labels[j] != "other"] for row in proba]
    return [labels[i] for i in proba.argmax(axis=1)]


def _gold(task: str, frame: Any) -> list[Any]:
    column = tr._TASK_LABELS[task][2]
    if task == "reasons":
        return [[r for r in rs if r != "other"] for rs in frame[column]]
    return [str(v) for v in frame[column]]


def one_fold(task: str, train: Any, held: Any, args: argparse.Namespace) -> dict[str, tuple[list[Any], float]]:
    """Each model's decisions on the held-out fold, and its fit's seconds."""
    labels = list(tr._TASK_LABELS[task][0])
    multilabel = tr._TASK_LABELS[task][1]
    started = time.perf_counter()
    linear = tr.fit_task(task, train)
    order = [list(linear.labels).index(c) for c in labels]
    p_lin = linear.predict_proba([str(t) for t in held["text"]])[:, order]
    th_lin = np.asarray(linear.thresholds)[order] if multilabel else None
    linear_s = time.perf_counter() - started

    started = time.perf_counter()
    hp = tr.HYPER[task]
    feat = HashingFeaturizer(bits=hp["bits"], n_min=1, n_max=hp["n_max"], weighting=hp.get("weighting", "sqrt"))
    x_all = feat.to_csr(feat.transform([str(t) for t in train["text"]])).astype(np.float32)
    used = np.flatnonzero(np.bincount(x_all.indices, minlength=x_all.shape[1]) >= MIN_DF)
    x_tr = x_all[:, used].tocsr()
    x_te = feat.to_csr(feat.transform([str(t) for t in held["text"]])).astype(np.float32)[:, used].tocsr()
    y = _targets(task, train, labels)
    cw = None
    if not multilabel and hp.get("class_weight") == "balanced":
        counts = np.bincount(y, minlength=len(labels)).astype(np.float32)
        cw = (len(y) / (len(labels) * np.maximum(counts, 1))).astype(np.float32)
    rng = np.random.default_rng(0)
    inner = rng.random(len(y)) < 0.1  # held out of the network's fit: where its thresholds are tuned
    rows = np.flatnonzero(~inner)
    net = HiddenLayer(len(used), args.hidden, len(labels), multilabel)
    for _ in range(args.epochs):
        rng.shuffle(rows)
        for s in range(0, len(rows), BATCH):
            batch = rows[s : s + BATCH]
            net.step(x_tr[batch], y[batch], args.lr, 0.3, rng, cw)
    p_net = net.proba(x_te)
    th_net = tune_thresholds(net.proba(x_tr[inner]), y[inner].astype(np.int64)) if multilabel else None
    net_s = time.perf_counter() - started
    th_mean = (th_lin + th_net) / 2 if th_lin is not None and th_net is not None else None
    return {
        "linear": (_decide(task, p_lin, labels, th_lin), linear_s),
        "hidden_layer": (_decide(task, p_net, labels, th_net), net_s),
        "mean_of_both": (_decide(task, (p_lin + p_net) / 2, labels, th_mean), 0.0),
    }


def main(args: argparse.Namespace) -> dict[str, Any]:
    """Out-of-fold scores of the three students over `args.folds` folds."""
    started = time.perf_counter()
    splits = tr.load_splits()
    cs = splits["cs_train"].reset_index(drop=True)
    fold = np.arange(len(cs)) % 5  # nlp_sweep.py's folds: every run compares like with like
    np.random.default_rng(7).shuffle(fold)
    labelled = set(cs["key"])
    gold: list[Any] = []
    pred: dict[str, list[Any]] = {}
    seconds: dict[str, float] = {}
    for k in range(args.folds):
        train = tr.with_teacher(args.task, cs[fold != k], splits, labelled).reset_index(drop=True)
        held = cs[fold == k].reset_index(drop=True)
        gold += _gold(args.task, held)
        for name, (decided, took) in one_fold(args.task, train, held, args).items():
            pred.setdefault(name, []).extend(decided)
            seconds[name] = seconds.get(name, 0.0) + took
    return {
        "task": args.task,
        "folds": args.folds,
        "hidden": args.hidden,
        "epochs": args.epochs,
        "lr": args.lr,
        "n": len(gold),
        **{name: scores(args.task, gold, p) | {"fit_seconds": round(seconds[name])} for name, p in pred.items()},
        "seconds": round(time.perf_counter() - started),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=["reasons", "emotion_cs", "stage"])
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--folds", type=int, default=5, help="how many of the five folds to read (1 for a quick look)")
    print(json.dumps(main(parser.parse_args())), flush=True)
