"""Predict speed of each shipped model: texts/s in batches of 1024, single-text latency (median, p99); prints JSON."""

from __future__ import annotations

import json
import time

import numpy as np

from aftersales.nlp import datasets as ds
from aftersales.nlp.analyzer import Analyzer


def main() -> None:
    """Time every shipped model on real reviews (online_shopping_10_cats sample, the analyzer's typical input)."""
    texts = list(ds.online_shopping_10_cats()["text"].sample(n=4096, random_state=0))
    report: dict[str, object] = {"median_chars": int(np.median([len(t) for t in texts]))}
    shipped = Analyzer.default()
    for task in shipped.tasks:
        model = shipped.models[task]
        model.predict(texts[:64])  # warm-up
        t0 = time.perf_counter()
        for i in range(0, len(texts), 1024):
            model.predict(texts[i : i + 1024])
        batch = len(texts) / (time.perf_counter() - t0)
        lat = []
        for text in texts[:1000]:
            t = time.perf_counter()
            model.predict([text])
            lat.append(time.perf_counter() - t)
        report[task] = {
            "batch1024_texts_per_s": round(batch),
            "single_median_ms": round(1000 * float(np.median(lat)), 3),
            "single_p99_ms": round(1000 * float(np.quantile(lat, 0.99)), 3),
        }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
