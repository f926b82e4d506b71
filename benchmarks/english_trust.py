"""How far the whole Analyzer should trust the English models: a grid over `CombinerParams.english_model_trust` (JSON).

The English models learned Reddit comments (GoEmotions), not customer messages, and no English customer-service
labels exist to fit the knob with the others. So each value is read on two held-out English sets of different kinds:

* GoEmotions **dev** (never trained on; the test split stays for reporting): emotion accuracy and macro-F1 over the
  mapped labels, binary polarity by the sign of `polarity_score`;
* Bitext customer-support utterances (synthetic, never trained on): the `complaint` intent should read negative,
  the 21 intents that state no complaint (docs/models.md, "Issue #3") should not, and should have stage `none`.

`choose` is the mean of GoEmotions macro-F1, GoEmotions polarity accuracy, the complaint share read negative, the
no-complaint share read not negative and the no-complaint share with stage `none`.
Usage: python benchmarks/english_trust.py [MODEL_DIR]   (needs ../shared/data)
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from aftersales.nlp import datasets as ds
from aftersales.nlp import evaluate as ev
from aftersales.nlp.analyzer import Analyzer
from aftersales.nlp.models import ARTEFACTS

GRID = (0.0, 0.25, 0.5, 0.75, 1.0)
# Bitext intents that ask for something without complaining (the same 21 as docs/models.md's Issue #3 table)
LEFT_OUT = {"complaint", "cancel_order", "get_refund", "payment_issue", "registration_problems", "contact_human_agent"}


def readings(analyzer: Analyzer, trust: float, prepared: dict[str, Any]) -> dict[str, float]:
    """The four readings and their mean at one trust value (the batches are scored once, decided per value)."""
    params = replace(analyzer.params, english_model_trust=trust)
    go, go_prep = prepared["goemotions"]
    out = analyzer.decide(go_prep, params)
    emo = go["emotion"].notna().to_numpy()
    gold = [str(x) for x in go["emotion"][emo]]
    pred = [a.emotion for a, keep in zip(out, emo, strict=True) if keep]
    pol = go["polarity"].notna().to_numpy()
    gold_pol = [str(x) for x in go["polarity"][pol]]
    pred_pol = ["positive" if a.polarity_score > 0 else "negative" for a, keep in zip(out, pol, strict=True) if keep]
    bitext, bit_prep = prepared["bitext"]
    read = analyzer.decide(bit_prep, params)
    complaint = (bitext["intent"] == "complaint").to_numpy()
    calm = ~bitext["intent"].isin(LEFT_OUT).to_numpy()
    negative = np.array([a.polarity == "negative" for a in read])
    stage_none = np.array([a.stage == "none" for a in read])
    result = {
        "english_model_trust": trust,
        "goemotions_dev_emotion_accuracy": round(ev.accuracy(gold, pred), 4),
        "goemotions_dev_emotion_macro_f1": round(ev.macro_f1(gold, pred, sorted(set(gold))), 4),
        "goemotions_dev_polarity_accuracy": round(ev.accuracy(gold_pol, pred_pol), 4),
        "bitext_complaint_negative": round(float(negative[complaint].mean()), 4),
        "bitext_no_complaint_not_negative": round(float(1.0 - negative[calm].mean()), 4),
        "bitext_no_complaint_stage_none": round(float(stage_none[calm].mean()), 4),
    }
    keys = ("emotion_macro_f1", "polarity_accuracy", "complaint_negative", "not_negative", "stage_none")
    result["choose"] = round(float(np.mean([v for k, v in result.items() if k.endswith(keys)])), 4)
    return result


def main(model_dir: Path = ARTEFACTS) -> dict[str, Any]:
    """Every grid value's readings, and the value `choose` prefers (ties: the smaller trust)."""
    analyzer = Analyzer.from_directory(model_dir)
    go = ds.dedup(ds.goemotions("dev"))
    bitext = ds.bitext_customer_support()
    prepared = {
        "goemotions": (go, analyzer.prepare([str(t) for t in go["text"]])),
        "bitext": (bitext, analyzer.prepare([str(t) for t in bitext["text"]])),
    }
    rows = [readings(analyzer, t, prepared) for t in GRID]
    best = max(rows, key=lambda r: (r["choose"], -r["english_model_trust"]))
    return {
        "model_version": analyzer.version,
        "shipped": analyzer.params.english_model_trust,
        "best": best["english_model_trust"],
        "n": {"goemotions_dev": len(go), "bitext": len(bitext)},
        "grid": rows,
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ARTEFACTS), indent=1))
