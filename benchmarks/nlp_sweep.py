"""Model-alone 5-fold cross-validation of training variants on the customer-service training split (JSON out).

    python benchmarks/nlp_sweep.py reasons '{"C": 30}'          # one variant of HYPER["reasons"]; prints one JSON line
    python benchmarks/nlp_sweep.py emotion_cs '{}'              # the shipped recipe, for the baseline

Every variant of every run uses the same five folds (seed 7) of the cs_labels training split, so variants run side by
side (one process each, e.g. on a many-core machine) compare like with like. Scores: reasons micro-F1 without `other`,
single-label tasks macro-F1 and accuracy. The test split is never read.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import numpy as np
import pandas as pd

from aftersales.nlp import evaluate as ev
from aftersales.nlp import train as tr
from aftersales.nlp.models.linear import HashedLinearClassifier

COLUMN = {"reasons": "reasons", "stage": "stage", "emotion_cs": "emotion"}


def cross_validate(task: str, variant: dict[str, Any], folds: int = 5, seed: int = 7) -> dict[str, Any]:
    """Out-of-fold predictions of `fit_task(task)` with HYPER[task] updated by `variant`, scored."""
    started = time.perf_counter()
    cs = tr.load_splits()["cs_train"].reset_index(drop=True)
    fold = np.arange(len(cs)) % folds
    np.random.default_rng(seed).shuffle(fold)
    saved = tr.HYPER[task]
    tr.HYPER[task] = saved | variant
    gold: list[Any] = []
    pred: list[Any] = []
    try:
        for k in range(folds):
            truth, found = alone(task, tr.fit_task(task, cs[fold != k]), cs[fold == k])
            gold += truth
            pred += found
        hyper = dict(tr.HYPER[task])
    finally:
        tr.HYPER[task] = saved
    return {
        "task": task,
        "hyper": hyper,
        **scores(task, gold, pred),
        "n": len(cs),
        "seconds": round(time.perf_counter() - started),
    }


def alone(task: str, model: HashedLinearClassifier, frame: pd.DataFrame) -> tuple[list[Any], list[Any]]:
    """Gold and predicted labels of one model alone on `frame`, read as the targets are (reasons without `other`)."""
    proba = model.predict_proba([str(t) for t in frame["text"]])
    if task == "reasons":  # `other` is neither scored nor predicted (calibrate.cs_targets)
        chosen = [[model.labels[i] for i in np.flatnonzero(row >= model.thresholds)] for row in proba]
        return [[r for r in rs if r != "other"] for rs in frame["reasons"]], [
            [r for r in rs if r != "other"] for rs in chosen
        ]
    return [str(t) for t in frame[COLUMN[task]]], [model.labels[i] for i in proba.argmax(axis=1)]


def scores(task: str, gold: list[Any], pred: list[Any]) -> dict[str, float]:
    """Reasons micro-F1; macro-F1 and accuracy of a single-label task."""
    if task == "reasons":
        return {"micro_f1": round(ev.micro_f1(gold, pred), 4)}
    return {
        "macro_f1": round(ev.macro_f1(gold, pred, sorted(set(gold))), 4),
        "accuracy": round(ev.accuracy(gold, pred), 4),
    }


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in COLUMN:
        sys.exit(f"usage: python benchmarks/nlp_sweep.py {{{','.join(COLUMN)}}} '<JSON dict of HYPER overrides>'")
    print(json.dumps(cross_validate(sys.argv[1], json.loads(sys.argv[2]))), flush=True)
