"""The combiner's grid search in one process and in forked workers, on the same prepared texts (JSON out).

Why: the search is the longest phase of `aftersales train` (54 of 93 minutes in stop 25); `fit_combiner(jobs=N)`
scores each grid step's candidates side by side and must choose exactly the knobs one process chooses. This runs both
on a sample of the customer-service training split read by the shipped models (not out of fold: the timing and the
equality are the point, not the knobs), with the public dev sets, and reports each wall time, the ratio and whether
the fitted knobs are equal. Needs ../shared/data.

    python benchmarks/combiner_fit.py [--n 3000] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import time

from aftersales.nlp import train as tr
from aftersales.nlp.analyzer import Analyzer
from aftersales.nlp.calibrate import fit_combiner
from aftersales.nlp.devsets import dev_sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="customer-service training texts to fit on")
    parser.add_argument("--jobs", type=int, default=2, help="workers of the parallel run")
    args = parser.parse_args()
    splits = tr.load_splits()
    gold = splits["cs_train"].sample(n=min(args.n, len(splits["cs_train"])), random_state=0).reset_index(drop=True)
    analyzer = Analyzer.default()
    prep = analyzer.prepare([str(t) for t in gold["text"]])
    dev = dev_sets(analyzer, splits, None)
    runs = {}
    for jobs in (1, args.jobs):
        started = time.perf_counter()
        params, metrics = fit_combiner(analyzer, prep, gold, dev, jobs=jobs)
        runs[jobs] = (time.perf_counter() - started, params, metrics)
    (t1, p1, m1), (tn, pn, mn) = runs[1], runs[args.jobs]
    report = {
        "texts": len(gold),
        "dev_rows": sum(len(d.gold) for d in dev),
        "cpus": os.cpu_count(),
        "seconds_one_process": round(t1, 1),
        f"seconds_{args.jobs}_workers": round(tn, 1),
        "speedup": round(t1 / tn, 2),
        "same_knobs": p1 == pn and m1 == mn,
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
