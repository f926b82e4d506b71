"""The public dev sets the combiner is fitted on besides the customer-service labels, and their scores.

Why a module of its own: `calibrate` fits the combiner and scores the whole Analyzer; which public rows no blended
model has seen, and how they are scored, is a question of its own (docs/models.md, v2026.11.8).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from aftersales.nlp import evaluate as ev
from aftersales.nlp import train as tr
from aftersales.nlp.analyzer import Analyzer, Prepared
from aftersales.nlp.combine import CombinerParams
from aftersales.nlp.mappings import EMOTION_TO_SMP
from aftersales.nlp.models import fitting

# Rows per public dev set: enough for a stable score, cheap enough for every grid point. Binary review polarity gets
# every eligible calibration row (3,345 in v2026.11.8): it is an issue target decided by a few tenths of a point.
DEV_ROWS = {"emotion_smp": 3000, "polarity": 8000}
# The review target is scored on online_shopping_10_cats; waimai rows (a tenth of the polarity calibration split) read
# the emotion mix differently and used to pull the polarity knobs away from it.
POLARITY_DEV_SOURCE = "online_shopping_10_cats"


@dataclass
class DevSet:
    """Public-corpus rows the shipped models never trained on (their calibration split), prepared once."""

    prep: Prepared
    gold: list[str]
    kind: str  # "emotion_smp" (collapsed onto SMP labels, macro-F1) or "polarity" (binary accuracy by sign)


def dev_sets(analyzer: Analyzer, splits: dict[str, pd.DataFrame], feedback: pd.DataFrame | None) -> list[DevSet]:
    """SMP2020 usual rows from the emotion model's and review rows from the polarity model's calibration split.

    The shipped large-data models train on 90 % and calibrate on the other 10 % (`fitting.calibration_mask`). The
    customer-service models (emotion head, stage, reasons) train on cs_train, whose reviews are also polarity and
    emotion rows; those are dropped here, so every dev row is unseen by every model the Analyzer blends. (Until
    v2026.11.7 they were not: a fifth of the review dev rows were texts the emotion head had learned, which made the
    emotion mix look better for review polarity than it is.) The combiner is fitted on these rows as well as on the
    customer-service labels, so its weights also serve the generic texts the public targets measure.
    """
    emo = tr.emotion_training_frame(splits, feedback)
    calib = fitting.calibration_mask(len(emo))
    smp = emo[calib & emo["source"].astype(str).str.startswith("smp2020_ewect/usual").to_numpy()]
    pol = splits["polarity_train"]
    pol = pol[fitting.calibration_mask(len(pol))]
    pol = pol[pol["source"] == POLARITY_DEV_SOURCE]  # the corpus of the review target, not the food-delivery rows
    seen = _cs_keys(splits, feedback)
    out = []
    for frame, column, kind in ((smp, "emotion", "emotion_smp"), (pol, "polarity", "polarity")):
        frame = frame[~frame["key"].isin(seen)]
        frame = frame.sample(n=min(DEV_ROWS[kind], len(frame)), random_state=0) if len(frame) else frame
        if len(frame):
            texts = [str(t) for t in frame["text"]]
            social = np.full(len(texts), kind == "emotion_smp")  # Weibo posts: the social channel
            out.append(DevSet(analyzer.prepare(texts, social), [str(x) for x in frame[column]], kind))
    return out


def _cs_keys(splits: dict[str, pd.DataFrame], feedback: pd.DataFrame | None) -> set[str]:
    """Normalised-text keys of every text the customer-service models train on (labels and feedback)."""
    keys = set(splits["cs_train"]["key"])
    if feedback is not None and "key" in feedback:
        keys |= set(feedback["key"])
    return keys


def score_dev(analyzer: Analyzer, dev: Sequence[DevSet], params: CombinerParams) -> dict[str, float]:
    """smp_dev_macro_f1 (emotions collapsed onto SMP's labels) and polarity_dev_accuracy (binary, by sign)."""
    out: dict[str, float] = {}
    for d in dev:
        analyses = analyzer.decide(d.prep, params)
        if d.kind == "emotion_smp":
            gold = [EMOTION_TO_SMP[g] for g in d.gold]
            pred = [EMOTION_TO_SMP[a.emotion] for a in analyses]
            out["smp_dev_macro_f1"] = ev.macro_f1(gold, pred, sorted(set(gold)))
        else:
            out["polarity_dev_accuracy"] = ev.accuracy(d.gold, ev.binary_polarity(a.polarity_score for a in analyses))
    return out
