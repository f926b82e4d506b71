"""Out-of-domain polarity without reading hotels: leave one online_shopping category out of training, score it (JSON).

    python benchmarks/polarity_loco.py '{}'                                 # the shipped polarity learner
    python benchmarks/polarity_loco.py '{"C": 3}'                           # another C
    python benchmarks/polarity_loco.py '{"weighting": "binary", "idf": true}'

ChnSentiCorp hotels is the out-of-domain *test* set, and online_shopping's 酒店 category is mostly the same texts, so
neither can choose a recipe. This proxy can: for each of six categories, fit the polarity model exactly as
`aftersales train` does (`train.fit_task`, with the variant's settings) on the polarity training split minus that
category (waimai included), and score the category's training rows. About 2.5 minutes per variant on one core. The test
splits are never read.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import numpy as np

from aftersales.nlp import train as tr

CATEGORIES = ("书籍", "平板", "水果", "衣服", "洗发水", "计算机")


def leave_one_out(variant: dict[str, Any]) -> dict[str, Any]:
    """Accuracy on each held-out category of the polarity model with HYPER["polarity"] updated by `variant`."""
    started = time.perf_counter()
    hyper = tr.HYPER["polarity"] | variant
    frame = tr.load_splits()["polarity_train"].reset_index(drop=True)
    category = frame["category"].fillna("").to_numpy()
    scores: dict[str, float] = {}
    for held in CATEGORIES:
        model = tr.fit_task("polarity", frame[category != held], hyper)
        test = frame[category == held]
        predicted = np.asarray(model.labels)[model.predict_proba([str(t) for t in test["text"]]).argmax(axis=1)]
        scores[held] = round(float(np.mean(predicted == test["polarity"].to_numpy())), 4)
    return {
        "benchmark": "polarity_leave_one_category_out",
        "hyper": hyper,
        "mean": round(float(np.mean(list(scores.values()))), 4),
        "accuracy": scores,
        "seconds": round(time.perf_counter() - started),
    }


if __name__ == "__main__":
    print(json.dumps(leave_one_out(json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}), ensure_ascii=False))
