"""`aftersales train` end to end on a tiny synthetic corpus: five models, out-of-fold combiner, a loadable folder.

The real run reads ../shared/data and takes ~30 minutes; this one swaps `load_splits` for in-test frames and shrinks the
hash spaces, so every step (fits, calibration, out-of-fold predictions, the combiner grid, saving, loading) runs in
seconds anywhere and a broken step fails here rather than half an hour into a retrain.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from aftersales.nlp import datasets as ds
from aftersales.nlp import train as tr
from aftersales.nlp.analyzer import Analyzer

from .examples import LABELLED

pytest.importorskip("sklearn", reason="training needs scikit-learn")

CS = [
    *LABELLED,
    ("终于收到了，总算放心了", "positive", "relief", 1, "none", []),
    ("买了就降价，太失望了", "negative", "disappointment", 2, "explicit", ["price"]),
    ("请问什么时候发货", "neutral", "neutral", 1, "none", []),
]
SUFFIXES = ["", "。", "！", "啊", "呢", "吧", "哦", "了", "呀", "哈"]


def _cs_frame(suffixes: list[str]) -> pd.DataFrame:
    rows = [
        {"text": t + s, "polarity": p, "emotion": e, "intensity": i, "stage": st, "reasons": r, "source": "cs_labels"}
        for s in suffixes
        for (t, p, e, i, st, r) in CS
    ]
    return ds.dedup(pd.DataFrame(rows))


def _splits() -> dict[str, pd.DataFrame]:
    cs_train, cs_test = _cs_frame(SUFFIXES[:8]), _cs_frame(SUFFIXES[8:])
    polarity = cs_train[cs_train["polarity"] != "neutral"][["text", "polarity", "key"]].assign(source="reviews")
    emotion = cs_train[["text", "emotion", "key"]].assign(source="weibo")
    smp = cs_test[["text", "emotion", "key"]].assign(source="smp2020_ewect/usual", label_raw="neutral")
    reviews_test = cs_test[cs_test["polarity"] != "neutral"][["text", "polarity", "key"]]
    return {
        "polarity_train": polarity.reset_index(drop=True),
        "emotion_train": pd.concat([emotion, cs_train[["text", "emotion", "key", "source"]]], ignore_index=True),
        "cs_train": cs_train,
        "online_shopping_test": reviews_test,
        "waimai_test": reviews_test,
        "chnsenticorp_htl": reviews_test,
        "smp2020_usual_test": smp,
        "smp2020_virus_test": smp,
        "clue_emotion2020_test": smp,
        "cs_test": cs_test,
    }


def test_train_analyzer_writes_five_models_a_fitted_combiner_and_loadable_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aftersales.nlp import calibrate

    monkeypatch.setattr(tr, "load_splits", _splits)
    for task in tr.HYPER:
        monkeypatch.setitem(tr.HYPER, task, tr.HYPER[task] | {"bits": 12})
    metrics = calibrate.train_analyzer(tmp_path)
    assert sorted(p.stem for p in tmp_path.glob("*.npz")) == ["emotion", "emotion_cs", "polarity", "reasons", "stage"]
    assert metrics["emotion_cs"]["cs_labels_test"]["macro_f1"] > 0.5  # learned the ten templates, unseen suffixes
    params = json.loads((tmp_path / "combiner.json").read_text(encoding="utf-8"))
    assert params["emotion_cs_weight"] in calibrate._GRID["emotion_cs_weight"]
    assert set(params["social"]) <= {"emotion_cs_weight", "emotion_rule_weight", "emotion_override", "emotion_bias"}
    assert set(metrics["combined"]["targets"]) == {"reasons_micro_f1", "emotion_macro_f1", "stage_macro_f1"}
    assert json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8"))["version"] == tr.MODEL_VERSION
    analyzer = Analyzer.from_directory(tmp_path)
    assert "emotion_cs" in analyzer.tasks and analyzer.params.emotion_cs_weight == params["emotion_cs_weight"]
    assert analyzer.analyze("发错货了，颜色不对哦").reasons  # a working Analyzer, not just files
