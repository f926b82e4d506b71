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

from aftersales.nlp import evaluate as ev
from aftersales.nlp import train as tr

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
            model = tr.fit_task(task, cs[fold != k])
            hold = cs[fold == k]
            for found, truth in zip(model.predict([str(t) for t in hold["text"]]), hold[COLUMN[task]], strict=True):
                if task == "reasons":
                    pred.append([r for r in found.labels if r != "other"])
                    gold.append([r for r in truth if r != "other"])
                else:
                    pred.append(found.labels[0])
                    gold.append(str(truth))
        hyper = dict(tr.HYPER[task])
    finally:
        tr.HYPER[task] = saved
    if task == "reasons":
        scores = {"micro_f1": round(ev.micro_f1(gold, pred), 4)}
    else:
        scores = {
            "macro_f1": round(ev.macro_f1(gold, pred, sorted(set(gold))), 4),
            "accuracy": round(ev.accuracy(gold, pred), 4),
        }
    return {"task": task, "hyper": hyper, **scores, "n": len(cs), "seconds": round(time.perf_counter() - started)}


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in COLUMN:
        sys.exit(f"usage: python benchmarks/nlp_sweep.py {{{','.join(COLUMN)}}} '<JSON dict of HYPER overrides>'")
    print(json.dumps(cross_validate(sys.argv[1], json.loads(sys.argv[2]))), flush=True)
