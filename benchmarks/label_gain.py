"""What a batch of new labels buys, model alone, on the fixed customer-service test split (JSON out).

    python benchmarks/label_gain.py --base-without 'round8_*' --add t='round8_t*' --add u='round8_u*' --same-size

The base is every committed label file except those matching `--base-without`; each `--add NAME=GLOB` refits the
reasons, customer-service emotion and stage models with the base's training rows plus the training rows of the label
files matching GLOB (in data/labels, or `--labels DIR`), and scores them on the test split of all the files together.
`--same-size` draws every added group down to the smallest one's size (seeded), so kinds of batch compare per label.
Only `pick` batches keep the test split fixed (they are drawn from the training split); the script refuses a group
that would move a text into the test split. Models alone, at their own thresholds: the Analyzer's combiner is not
refitted (see `aftersales train` for that).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from nlp_sweep import COLUMN, alone, scores

from aftersales.nlp import datasets as ds
from aftersales.nlp import train as tr


def score(task: str, train: pd.DataFrame, test: pd.DataFrame) -> float:
    """Micro-F1 (reasons, `other` dropped as in the targets) or macro-F1 of one model fitted on `train`."""
    values = scores(task, *alone(task, tr.fit_task(task, train), test))
    return values["micro_f1" if task == "reasons" else "macro_f1"]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Scores of the base and of each added group, per task."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--labels", type=Path, action="append", help="label folders (default: data/labels)")
    parser.add_argument("--base-without", default="", help="label files left out of the base (glob; default none)")
    parser.add_argument("--add", action="append", default=[], help="NAME=GLOB of label files to add to the base")
    parser.add_argument("--same-size", action="store_true", help="draw each added group down to the smallest")
    parser.add_argument("--tasks", default=",".join(COLUMN))
    args = parser.parse_args(argv)
    folders = args.labels or [ds.labels_dir()]
    files = sorted(p for folder in folders for p in folder.glob("*.jsonl"))
    train, test = ds.dedup_split(ds.cs_labels(files), ds.CS_TEST_SIZE, ds.CS_SPLIT_SEED)
    name_of = train["label_file"].str.split(":").str[0]
    in_base = ~name_of.map(lambda n: fnmatch.fnmatch(n, args.base_without))
    test_files = set(test["label_file"].str.split(":").str[0])
    groups: dict[str, pd.DataFrame] = {}
    for spec in args.add:
        name, _, pattern = spec.partition("=")
        moved = sorted(f for f in test_files if fnmatch.fnmatch(f, pattern))
        if moved:
            raise SystemExit(f"--add {spec}: {moved} put texts into the test split; the gains would not compare")
        groups[name] = train[~in_base & name_of.map(lambda n, p=pattern: fnmatch.fnmatch(n, p))]
        if groups[name].empty:
            raise SystemExit(f"--add {spec}: no training rows outside the base (is --base-without set to cover it?)")
    if args.same_size and groups:
        smallest = min(len(g) for g in groups.values())
        groups = {k: g.sample(n=smallest, random_state=7) for k, g in groups.items()}
    base = train[in_base]
    test = test[~test["label_file"].str.split(":").str[0].map(lambda n: fnmatch.fnmatch(n, args.base_without))]
    out: dict[str, Any] = {"n_test": len(test), "n_base": len(base), "groups": {k: len(g) for k, g in groups.items()}}
    for task in args.tasks.split(","):
        started = time.perf_counter()
        row = {"base": round(score(task, base, test), 4)}
        for name, group in groups.items():
            row[name] = round(score(task, pd.concat([base, group], ignore_index=True), test), 4)
        out[task] = row | {"seconds": round(time.perf_counter() - started, 1)}
    return out


if __name__ == "__main__":
    np.seterr(all="ignore")
    print(json.dumps(main(), indent=1))
