"""The whole Analyzer (models + rules + combiner) on every held-out set, in one run (JSON out).

Polarity on the review corpora is scored two ways: binary by the sign of polarity_score (their gold has no neutral
class) and three-way; SMP2020 emotions collapsed onto SMP's labels (docs/models.md); the customer-service metrics on
the whole cs_labels test split and on its round-1 part (the 401 texts earlier numbers were measured on).
Usage: python benchmarks/analyzer_quality.py [MODEL_DIR]   (default: the shipped models; needs ../shared/data)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from aftersales.nlp import evaluate as ev
from aftersales.nlp.analyzer import Analyzer
from aftersales.nlp.calibrate import score
from aftersales.nlp.mappings import EMOTION_TO_SMP
from aftersales.nlp.models import ARTEFACTS
from aftersales.nlp.train import load_splits
from aftersales.nlp.types import Analysis

ROUND1 = {"online_shopping_part1.jsonl", "online_shopping_part2.jsonl", "waimai_part1.jsonl"}


def main(model_dir: Path) -> dict[str, Any]:
    """Every metric, keyed by held-out set."""
    analyzer = Analyzer.from_directory(model_dir)
    splits = load_splits()
    out: dict[str, Any] = {"model_version": analyzer.version}
    for name in ("online_shopping_test", "waimai_test", "chnsenticorp_htl"):
        frame = splits[name]
        found = analyzer.analyze_batch([str(t) for t in frame["text"]])
        gold = list(frame["polarity"])
        signs = ev.binary_polarity(a.polarity_score for a in found)
        out[name] = {
            "binary_accuracy": round(ev.accuracy(gold, signs), 4),
            "binary_accuracy_ci95": ev.bootstrap_single(gold, signs)["accuracy"],
            "three_way_accuracy": round(ev.accuracy(gold, [a.polarity for a in found]), 4),
        }
    for name in ("smp2020_usual_test", "smp2020_virus_test"):
        frame = splits[name]
        found = analyzer.analyze_batch([str(t) for t in frame["text"]])
        gold = [str(x) for x in frame["label_raw"]]
        pred = [EMOTION_TO_SMP[a.emotion] for a in found]
        out[name] = {
            "collapsed_macro_f1": round(ev.macro_f1(gold, pred, sorted(set(gold))), 4),
            "collapsed_macro_f1_ci95": ev.bootstrap_single(gold, pred, sorted(set(gold)))["macro_f1"],
            "collapsed_accuracy": round(ev.accuracy(gold, pred), 4),
        }
    test = splits["cs_test"]
    round1 = test[test["label_file"].str.split(":").str[0].isin(ROUND1)]
    for name, frame in (("cs_labels_test", test), ("cs_labels_test_round1", round1)):
        found = analyzer.analyze_batch([str(t) for t in frame["text"]])
        out[name] = {k: round(v, 4) for k, v in score(found, frame).items()} | {
            "n": len(frame),
            "ci95": _cs_ci(found, frame),
        }
    return out


def _cs_ci(found: list[Analysis], frame: pd.DataFrame) -> dict[str, list[float]]:
    """95 % bootstrap intervals of the three customer-service targets, with `calibrate.score`'s label sets."""
    out = {}
    for task in ("emotion", "stage"):
        gold = [str(x) for x in frame[task]]
        pred = [str(getattr(a, task)) for a in found]
        out[f"{task}_macro_f1"] = ev.bootstrap_single(gold, pred, sorted(set(gold)))["macro_f1"]
    gold_sets = [[r for r in rs if r != "other"] for rs in frame["reasons"]]
    out["reasons_micro_f1"] = ev.bootstrap_multilabel(gold_sets, [list(a.reasons) for a in found])["micro_f1"]
    return out


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ARTEFACTS), indent=1))
