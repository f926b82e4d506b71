"""The whole Analyzer (models + rules + combiner) on every held-out set, in one run (JSON out).

Polarity on the review corpora is scored two ways: binary by the sign of polarity_score (their gold has no neutral
class) and three-way; SMP2020 emotions collapsed onto SMP's labels (docs/models.md); the customer-service metrics on
the whole cs_labels test split (the adjudicated gold, and as first labelled: `cs_labels_test_first_labels`), on the
1,458 texts labelled before round 6 (what v2026.11.5 was measured on), on the 1,149 labelled before round 5
(v2026.11.4), on the 926 labelled before round 4 (v2026.11.3) and on its round-1 part (401 texts, the earliest
numbers), each with per-label emotion F1; and GoEmotions test, English, read as social posts (since v2026.11.16).
Usage: python benchmarks/analyzer_quality.py [MODEL_DIR]   (default: the shipped models; needs ../shared/data)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from aftersales.nlp import datasets as ds
from aftersales.nlp import evaluate as ev
from aftersales.nlp.analyzer import Analyzer
from aftersales.nlp.calibrate import cs_targets, score, score_intervals
from aftersales.nlp.mappings import EMOTION_TO_SMP
from aftersales.nlp.models import ARTEFACTS
from aftersales.nlp.train import load_splits

ROUND1 = {"online_shopping_part1.jsonl", "online_shopping_part2.jsonl", "waimai_part1.jsonl"}
# label files added after a version was measured: the test texts of the other files are what it was measured on
AFTER_V2026_11_3 = ("round4_", "round5_", "round6_")  # 926 test texts
AFTER_V2026_11_4 = ("round5_", "round6_")  # 1,149 test texts
AFTER_V2026_11_5 = ("round6_",)  # 1,458 test texts


def main(model_dir: Path) -> dict[str, Any]:
    """Every metric, keyed by held-out set."""
    analyzer = Analyzer.from_directory(model_dir)
    splits = load_splits()
    out: dict[str, Any] = {"model_version": analyzer.version}
    for name in ("online_shopping_test", "waimai_test", "chnsenticorp_htl"):
        frame = splits[name]
        found = analyzer.analyze_batch([str(t) for t in frame["text"]], channels="review")
        gold = list(frame["polarity"])
        signs = ev.binary_polarity(a.polarity_score for a in found)
        out[name] = {
            "binary_accuracy": round(ev.accuracy(gold, signs), 4),
            "binary_accuracy_ci95": ev.bootstrap_single(gold, signs)["accuracy"],
            "three_way_accuracy": round(ev.accuracy(gold, [a.polarity for a in found]), 4),
        }
    for name in ("smp2020_usual_test", "smp2020_virus_test"):
        frame = splits[name]
        found = analyzer.analyze_batch([str(t) for t in frame["text"]], channels="social")  # Weibo posts
        gold = [str(x) for x in frame["label_raw"]]
        pred = [EMOTION_TO_SMP[a.emotion] for a in found]
        out[name] = {
            "collapsed_macro_f1": round(ev.macro_f1(gold, pred, sorted(set(gold))), 4),
            "collapsed_macro_f1_ci95": ev.bootstrap_single(gold, pred, sorted(set(gold)))["macro_f1"],
            "collapsed_accuracy": round(ev.accuracy(gold, pred), 4),
        }
    out["goemotions_test"] = _english(analyzer, splits["goemotions_test"])
    test = splits["cs_test"]
    files = test["label_file"].str.split(":").str[0]
    subsets = {
        "cs_labels_test": test,
        "cs_labels_test_first_labels": ds.cs_labels_split(adjudicated=False)[1],
        "cs_labels_test_to_round5": test[~files.str.startswith(AFTER_V2026_11_5)],
        "cs_labels_test_to_round4": test[~files.str.startswith(AFTER_V2026_11_4)],
        "cs_labels_test_to_round3": test[~files.str.startswith(AFTER_V2026_11_3)],
        "cs_labels_test_round1": test[files.isin(ROUND1)],
    }
    for name, frame in subsets.items():
        found = analyzer.analyze_batch([str(t) for t in frame["text"]], channels="review")
        out[name] = {k: round(v, 4) for k, v in score(found, frame).items()} | {
            "n": len(frame),
            "adjudicated": int(frame["adjudicated"].sum()),
            "ci95": score_intervals(found, frame),
            "emotion_f1": {
                code: round(row["f1"], 3) for code, row in ev.per_label(*cs_targets(found, frame)["emotion"]).items()
            },
        }
    return out


def _english(analyzer: Analyzer, frame: Any) -> dict[str, Any]:
    """GoEmotions test (English Reddit comments), read as social posts."""
    return english_scores(analyzer.analyze_batch([str(t) for t in frame["text"]], channels="social"), frame)


def english_scores(found: list[Any], frame: Any, ci: bool = True) -> dict[str, Any]:
    """GoEmotions readings: emotion where the mapping gives one, binary polarity by sign where one (english_trust's
    too, without the bootstrap interval)."""
    emo, pol = frame["emotion"].notna().to_numpy(), frame["polarity"].notna().to_numpy()
    gold = [str(x) for x in frame["emotion"][emo]]
    pred = [a.emotion for a, keep in zip(found, emo, strict=True) if keep]
    gold_pol = [str(x) for x in frame["polarity"][pol]]
    signs = ev.binary_polarity(a.polarity_score for a, keep in zip(found, pol, strict=True) if keep)
    return {
        "emotion_accuracy": round(ev.accuracy(gold, pred), 4),
        "emotion_macro_f1": round(ev.macro_f1(gold, pred, sorted(set(gold))), 4),
        **({"emotion_macro_f1_ci95": ev.bootstrap_single(gold, pred, sorted(set(gold)))["macro_f1"]} if ci else {}),
        "binary_polarity_accuracy": round(ev.accuracy(gold_pol, signs), 4),
        "n_emotion": len(gold),
        "n_polarity": len(gold_pol),
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ARTEFACTS), indent=1))
