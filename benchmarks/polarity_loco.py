"""Out-of-domain polarity without reading hotels: leave one online_shopping category out of training, score it (JSON).

    python benchmarks/polarity_loco.py '{}'                                 # the shipped polarity learner
    python benchmarks/polarity_loco.py '{"C": 3}'                           # another C
    python benchmarks/polarity_loco.py '{"weighting": "binary", "idf": true}'

ChnSentiCorp hotels is the out-of-domain *test* set, and online_shopping's 酒店 category is mostly the same texts, so
neither can choose a recipe. This proxy can: for each of six categories, fit on the polarity training split minus that
category (waimai included) and score the category's training rows. The learner is the shipped one's core, the mean
of a logistic regression and an NB-LR (`fitting._learn`'s binary path), fitted on all remaining rows (no calibration
split: accuracy at logit 0 needs none). About 2 minutes per variant on one core. The test splits are never read.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import numpy as np

from aftersales.nlp import train as tr
from aftersales.nlp.models import HashedLinearClassifier, HashingFeaturizer
from aftersales.nlp.models.fitting import _learn

CATEGORIES = ("书籍", "平板", "水果", "衣服", "洗发水", "计算机")


def leave_one_out(variant: dict[str, Any]) -> dict[str, Any]:
    """Accuracy on each held-out category of the polarity learner with HYPER["polarity"] updated by `variant`."""
    started = time.perf_counter()
    hyper = tr.HYPER["polarity"] | variant
    frame = tr.load_splits()["polarity_train"].reset_index(drop=True)
    feat = HashingFeaturizer(hyper["bits"], 1, hyper["n_max"], hyper.get("weighting", "sqrt"))
    model = HashedLinearClassifier("polarity", ["negative", "positive"], featurizer=feat)
    x = feat.to_csr(model.featurize([str(t) for t in frame["text"]])[1])
    y = (frame["polarity"] == "positive").to_numpy().astype(np.int64)
    category = frame["category"].fillna("").to_numpy()
    options = {k: v for k, v in hyper.items() if k not in ("bits", "n_max", "weighting", "prune")}
    scores: dict[str, float] = {}
    for held in CATEGORIES:
        test = category == held
        w, b = _learn(model, x[~test], y[~test], np.ones(int((~test).sum())), options)
        logit = np.asarray(x[test] @ w).ravel() + b[0]
        scores[held] = round(float(((logit > 0).astype(np.int64) == y[test]).mean()), 4)
    return {
        "benchmark": "polarity_leave_one_category_out",
        "hyper": hyper,
        "mean": round(float(np.mean(list(scores.values()))), 4),
        "accuracy": scores,
        "seconds": round(time.perf_counter() - started),
    }


if __name__ == "__main__":
    print(json.dumps(leave_one_out(json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}), ensure_ascii=False))
