"""How far the Analyzer should trust the English models, per channel: a grid over `english_model_trust` (JSON).

The English models learned Reddit comments (GoEmotions), not customer messages, and no English customer-service
labels exist to fit the knob with the others. So each value is read, on each channel kind, on held-out English texts:

* **social** posts (the `social` override, `calibrate.SOCIAL_ENGLISH_TRUST`): GoEmotions **dev** read as social
  posts (never trained on; its test split stays for reporting): emotion accuracy and macro-F1 over the mapped labels,
  binary polarity by the sign of `polarity_score`; and, as a guard, the demo's English social posts (their intended
  labels: polarity, emotion, stage, reasons);
* **customer** messages (the top-level knob, shipped at 0): the demo's English customer messages on every
  other channel (chat, email, phone, review, ticket), and Bitext customer-support utterances (synthetic, never trained
  on): the `complaint` intent should read negative, the 21 intents that state no complaint (docs/models.md,
  "Issue #3") should not, and should have stage `none`.

`choose` gives each set one vote: the mean, over a kind's sets, of each set's mean reading (GoEmotions: emotion
macro-F1 and polarity accuracy); `best` is the value with the highest (ties: the smaller trust).
Usage: python benchmarks/english_trust.py [MODEL_DIR]   (needs ../shared/data)
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from analyzer_quality import english_scores  # a sibling benchmark: the script's folder is on sys.path

from aftersales.demo.build import label_agreement
from aftersales.demo.generator import generate
from aftersales.nlp import datasets as ds
from aftersales.nlp.analyzer import Analyzer, Prepared
from aftersales.nlp.combine import CombinerParams
from aftersales.nlp.models import ARTEFACTS

GRID = (0.0, 0.25, 0.5, 0.75, 1.0)
# Bitext intents that ask for something without complaining (the same 21 as docs/models.md's Issue #3 table)
LEFT_OUT = {"complaint", "cancel_order", "get_refund", "payment_issue", "registration_problems", "contact_human_agent"}
DEMO_END = dt.date(2026, 11, 1)  # a fixed end date: the same demo messages on every run


def _with_trust(params: CombinerParams, trust: float, social: bool) -> CombinerParams:
    """The knobs with one channel kind's English trust set (the other kind's left as shipped)."""
    if social:
        return replace(params, social={**params.social, "english_model_trust": trust})
    return replace(params, english_model_trust=trust)


def _demo(
    analyzer: Analyzer, params: CombinerParams, frame: pd.DataFrame, prep: Prepared, name: str
) -> dict[str, float]:
    """Agreement with the intended labels the demo generator wrote each message for (`demo.build.label_agreement`)."""
    read = analyzer.decide(prep, params)
    both = frame.rename(columns={c: f"{c}_true" for c in ("polarity", "emotion", "stage", "reasons")}).assign(
        polarity=[a.polarity for a in read],
        emotion=[a.emotion for a in read],
        stage=[a.stage for a in read],
        reasons=[list(a.reasons) for a in read],
    )
    return {f"{name}_{k}": v for k, v in label_agreement(both).items()}


def social_readings(analyzer: Analyzer, trust: float, prepared: dict[str, Any]) -> dict[str, float]:
    """GoEmotions dev and the demo's English social posts, read as social posts at one trust value."""
    params = _with_trust(analyzer.params, trust, social=True)
    go, go_prep = prepared["goemotions"]
    scores = english_scores(analyzer.decide(go_prep, params), go, ci=False)
    go_macro, go_pol = scores["emotion_macro_f1"], scores["binary_polarity_accuracy"]
    demo_frame, demo_prep = prepared["demo_social"]
    demo = _demo(analyzer, params, demo_frame, demo_prep, "demo_social")
    result = {
        "goemotions_dev_emotion_accuracy": scores["emotion_accuracy"],
        "goemotions_dev_emotion_macro_f1": go_macro,
        "goemotions_dev_polarity_accuracy": go_pol,
        **demo,
    }
    return _rounded(trust, result, [(go_macro + go_pol) / 2, float(np.mean(list(demo.values())))])


def customer_readings(analyzer: Analyzer, trust: float, prepared: dict[str, Any]) -> dict[str, float]:
    """The demo's English customer messages and Bitext, read as customer messages at one trust value."""
    params = _with_trust(analyzer.params, trust, social=False)
    bitext, bit_prep = prepared["bitext"]
    read = analyzer.decide(bit_prep, params)
    complaint = (bitext["intent"] == "complaint").to_numpy()
    calm = ~bitext["intent"].isin(LEFT_OUT).to_numpy()
    negative = np.array([a.polarity == "negative" for a in read])
    stage_none = np.array([a.stage == "none" for a in read])
    demo_frame, demo_prep = prepared["demo_customer"]
    demo = _demo(analyzer, params, demo_frame, demo_prep, "demo_customer")
    bits = {
        "bitext_complaint_negative": float(negative[complaint].mean()),
        "bitext_no_complaint_not_negative": float(1.0 - negative[calm].mean()),
        "bitext_no_complaint_stage_none": float(stage_none[calm].mean()),
    }
    votes = [float(np.mean(list(demo.values()))), float(np.mean(list(bits.values())))]
    return _rounded(trust, {**demo, **bits}, votes)


def _rounded(trust: float, result: dict[str, float], votes: list[float]) -> dict[str, float]:
    """The readings to 4 decimals, the trust value first and `choose` (the mean of the sets' votes) last."""
    return {
        "english_model_trust": trust,
        **{k: round(v, 4) for k, v in result.items()},
        "choose": round(float(np.mean(votes)), 4),
    }


def _prepare(analyzer: Analyzer) -> dict[str, Any]:
    """Every set scored once (models and rules); the knobs are applied per grid value by `decide`."""
    go = ds.dedup(ds.goemotions("dev"))
    bitext = ds.bitext_customer_support()
    demo = generate(seed=42, end=DEMO_END)
    truth = demo.interactions_truth.merge(demo.interactions[["interaction_id", "text"]], on="interaction_id")
    english = truth[(truth["author"] == "customer") & (truth["language"] == "en")].reset_index(drop=True)
    social = english[english["channel"] == "social"].reset_index(drop=True)
    customer = english[english["channel"] != "social"].reset_index(drop=True)

    def prep(frame: pd.DataFrame, on_social: bool) -> tuple[pd.DataFrame, Prepared]:
        texts = [str(t) for t in frame["text"]]
        return frame, analyzer.prepare(texts, np.full(len(texts), on_social))

    return {
        "goemotions": prep(go, True),
        "demo_social": prep(social, True),
        "bitext": prep(bitext, False),
        "demo_customer": prep(customer, False),
    }


def main(model_dir: Path = ARTEFACTS) -> dict[str, Any]:
    """Every grid value's readings per channel kind, and the value each kind's `choose` prefers."""
    analyzer = Analyzer.from_directory(model_dir)
    prepared = _prepare(analyzer)
    out: dict[str, Any] = {"model_version": analyzer.version, "n": {k: len(v[0]) for k, v in prepared.items()}}
    shipped = {
        "social": analyzer.params.for_social().english_model_trust,
        "customer": analyzer.params.english_model_trust,
    }
    for kind, read in (("social", social_readings), ("customer", customer_readings)):
        rows = [read(analyzer, t, prepared) for t in GRID]
        best = max(rows, key=lambda r: (r["choose"], -r["english_model_trust"]))
        out[kind] = {"shipped": shipped[kind], "best": best["english_model_trust"], "grid": rows}
    return out


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ARTEFACTS), indent=1))
