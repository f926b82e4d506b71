"""`aftersales train` end to end on a tiny synthetic corpus: five models, out-of-fold combiner, a loadable folder.

The real run reads ../shared/data and takes ~30 minutes; this one swaps `load_splits` for in-test frames and shrinks the
hash spaces, so every step (fits, calibration, out-of-fold predictions, the combiner grid, saving, loading) runs in
seconds anywhere and a broken step fails here rather than half an hour into a retrain.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
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


# English rows (GoEmotions-like): text, emotion, polarity (None: the mapping gives none)
ENGLISH = [
    ("thanks so much, you made my day", "gratitude", "positive"),
    ("this is awful, I hate it", "anger", "negative"),
    ("what a letdown, so sad", "disappointment", "negative"),
    ("I love it, great job", "satisfaction", "positive"),
    ("the meeting is at noon", "neutral", None),
]


def _english(suffixes: list[str]) -> pd.DataFrame:
    rows = [{"text": f"{t} {s}", "emotion": e, "polarity": p} for s in suffixes for t, e, p in ENGLISH]
    return ds.dedup(pd.DataFrame(rows).assign(source="goemotions"))


def _splits() -> dict[str, pd.DataFrame]:
    cs_train, cs_test = _cs_frame(SUFFIXES[:8]), _cs_frame(SUFFIXES[8:])
    en_train = _english(["ok", "really", "today", "now", "again", "honestly", "guys", "lol"])
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
        "goemotions_emotion_train": en_train,
        "goemotions_polarity_train": tr.english_polarity(en_train),
        "goemotions_test": _english(["tbh", "man"]),
    }


def test_train_analyzer_writes_five_models_a_fitted_combiner_and_loadable_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aftersales.nlp import calibrate

    monkeypatch.setattr(tr, "load_splits", _splits)
    for task in tr.HYPER:
        monkeypatch.setitem(tr.HYPER, task, tr.HYPER[task] | {"bits": 12})
    metrics = calibrate.train_analyzer(tmp_path)
    assert sorted(p.stem for p in tmp_path.glob("*.npz")) == [
        "emotion",
        "emotion_cs",
        "emotion_en",
        "polarity",
        "polarity_en",
        "reasons",
        "stage",
    ]
    assert metrics["polarity_en"]["goemotions_test"]["accuracy"] == 1.0  # neutral learned as its own class
    assert metrics["emotion_en"]["goemotions_test"]["macro_f1"] > 0.5
    assert metrics["emotion_cs"]["cs_labels_test"]["macro_f1"] > 0.5  # learned the ten templates, unseen suffixes
    params = json.loads((tmp_path / "combiner.json").read_text(encoding="utf-8"))
    assert params["emotion_cs_weight"] in calibrate._GRID["emotion_cs_weight"]
    fitted_on_posts = {"emotion_cs_weight", "emotion_rule_weight", "emotion_override", "emotion_bias"}
    assert set(params["social"]) <= fitted_on_posts | {"english_model_trust"}
    assert params["english_model_trust"] == 0.0 and params["social"]["english_model_trust"] > 0.0
    assert set(metrics["combined"]["targets"]) == {"reasons_micro_f1", "emotion_macro_f1", "stage_macro_f1"}
    assert json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8"))["version"] == tr.MODEL_VERSION
    analyzer = Analyzer.from_directory(tmp_path)
    assert "emotion_cs" in analyzer.tasks and analyzer.params.emotion_cs_weight == params["emotion_cs_weight"]
    assert analyzer.analyze("发错货了，颜色不对哦").reasons  # a working Analyzer, not just files
    assert {"polarity_en", "emotion_en"} <= set(analyzer.tasks)


def _small_hash(monkeypatch: pytest.MonkeyPatch) -> None:
    for task in tr.HYPER:
        monkeypatch.setitem(tr.HYPER, task, tr.HYPER[task] | {"bits": 12})


def _trained(monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, pd.DataFrame], Analyzer]:
    """The tiny splits and an Analyzer over models fitted on them (small hash spaces)."""
    _small_hash(monkeypatch)
    splits = _splits()
    return splits, Analyzer(tr.train_models(splits))


def test_out_of_fold_fits_never_see_their_held_out_texts_and_workers_change_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aftersales.nlp import calibrate

    splits, analyzer = _trained(monkeypatch)
    fits: list[tuple[str, set[str]]] = []
    real_fit = tr.fit_task

    def recording_fit(task: str, frame: pd.DataFrame, hyper: dict[str, object] | None = None) -> object:
        fits.append((task, {ds.key_of(t) for t in frame["text"]}))  # from the texts: a lost key column shows
        return real_fit(task, frame, hyper)

    monkeypatch.setattr(tr, "fit_task", recording_fit)
    # agents' corrections join the customer-service and emotion training sets: out of fold they are held out too
    corrections = [
        ("这个赠品没收到，太坑了", "dissatisfaction", "explicit", ["missing_parts"]),
        ("谢谢你们，很贴心", "gratitude", "none", []),
    ]
    feedback = ds.dedup(
        pd.DataFrame(
            [
                {"text": f"{t}{s}", "emotion": e, "stage": st, "reasons": r, "source": "feedback"}
                for s in SUFFIXES
                for t, e, st, r in corrections
            ]
        )
    )
    serial = calibrate._oof(analyzer, splits, feedback, jobs=1)
    cs_keys = set(splits["cs_train"]["key"]) | set(feedback["key"])
    assert [t for t, _ in fits] == list(calibrate._OOF_TASKS) * calibrate.FOLDS
    for k in range(calibrate.FOLDS):
        fold = dict(fits[k * len(calibrate._OOF_TASKS) : (k + 1) * len(calibrate._OOF_TASKS)])
        held = cs_keys - fold["stage"]
        assert held and fold["stage"] == fold["reasons"] == fold["emotion_cs"]
        # the polarity and general emotion corpora hold customer-service texts too: the fold's are taken out
        assert not held & fold["polarity"] and not held & fold["emotion"]
        assert set(feedback["key"]) - held <= fold["emotion"]  # the other folds' corrections are learned
    parallel = calibrate._oof(analyzer, splits, feedback, jobs=2)  # workers fit with the real fit_task
    assert len(fits) == len(calibrate._OOF_TASKS) * calibrate.FOLDS  # none ran in this process
    for task, proba in serial.probs.items():
        assert np.allclose(proba, parallel.probs[task], atol=1e-6), task


def test_teacher_rows_join_the_emotion_head_stage_and_reasons_in_every_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fit of a teacher task, out of fold too, learns the teacher's rows; reasons only those it was sure of."""
    from aftersales.nlp import calibrate

    splits, analyzer = _trained(monkeypatch)
    assert tr.with_teacher("stage", splits["cs_train"], splits) is splits["cs_train"]  # no teacher rows: as it was
    said = "快递三天了还没到"
    rows = [
        {
            "text": said + s,
            "emotion": "anxiety",
            "stage": "latent",
            "reasons": ["logistics_delay"],
            "reasons_p": 0.9 if i % 2 else 0.3,  # half of them under the bar
            "source": "teacher",
        }
        for i, s in enumerate(SUFFIXES)
    ]
    splits["cs_teacher"] = ds.dedup(pd.DataFrame(rows))
    teacher = set(splits["cs_teacher"]["key"])
    sure = set(splits["cs_teacher"].loc[splits["cs_teacher"]["reasons_p"] >= tr.TEACHER_MIN_P["reasons"], "key"])
    assert sure and sure < teacher
    fits: list[tuple[str, set[str]]] = []
    real_fit = tr.fit_task

    def recording_fit(task: str, frame: pd.DataFrame, hyper: dict[str, object] | None = None) -> object:
        fits.append((task, {ds.key_of(t) for t in frame["text"]}))
        return real_fit(task, frame, hyper)

    monkeypatch.setattr(tr, "fit_task", recording_fit)
    calibrate._oof(analyzer, splits, None, jobs=1)
    tr.train_models(splits)
    # out of fold: the Chinese tasks; the shipped fit: those and the English models
    assert len(fits) == len(calibrate._OOF_TASKS) * (calibrate.FOLDS + 1) + len(tr.ENGLISH_TASKS)
    for task, keys in fits:
        assert keys & teacher == (sure if task == "reasons" else teacher if task in tr.TEACHER_TASKS else set()), task
    cs = set(splits["cs_train"]["key"])
    final = dict(fits[len(calibrate._OOF_TASKS) * calibrate.FOLDS :])
    assert final["stage"] == final["emotion_cs"] == cs | teacher and final["reasons"] == cs | sure
    # an agent's correction of a text the teacher read: the teacher's reading leaves every fit, the correction stays
    corrected = splits["cs_teacher"].head(1).assign(emotion="relief", stage="none", reasons=[[]], source="feedback")
    frames: dict[str, pd.DataFrame] = {}

    def keeping_fit(task: str, frame: pd.DataFrame, hyper: dict[str, object] | None = None) -> object:
        frames[task] = frame
        return real_fit(task, frame, hyper)

    monkeypatch.setattr(tr, "fit_task", keeping_fit)
    tr.train_models(splits, corrected)
    key = corrected["key"].iloc[0]
    for task in ("emotion_cs", "stage", "reasons"):
        assert list(frames[task].loc[frames[task]["key"] == key, "source"]) == ["feedback"], task


def test_teacher_reasons_join_the_reasons_fit_only_where_a_line_has_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """A teacher file without reasons adds nothing to the reasons fit; with them, only the lines that carry them."""
    monkeypatch.setattr(tr, "TEACHER_TASKS", (*tr.TEACHER_TASKS, "reasons"))
    said = {"emotion": "anger", "stage": "explicit"}
    cs = ds.dedup(pd.DataFrame([{"text": "发错货了", **said, "reasons": ["wrong_item"]}]))
    rows = [
        {"text": "快递三天了还没到", "emotion": "anxiety", "stage": "latent", "source": "teacher"},
        {"text": "盒子压坏了", **said, "source": "teacher", "reasons": ["damaged_in_transit"]},
        {"text": "东西不错", "emotion": "satisfaction", "stage": "none", "source": "teacher", "reasons": []},
    ]
    without = ds.dedup(pd.DataFrame(rows[:1]))
    assert tr.with_teacher("reasons", cs, {"cs_teacher": without}) is cs
    teacher = ds.dedup(pd.DataFrame(rows))
    got = tr.with_teacher("reasons", cs, {"cs_teacher": teacher}, set(cs["key"]))
    assert list(got["text"]) == ["发错货了", "盒子压坏了", "东西不错"]
    assert list(got["reasons"]) == [["wrong_item"], ["damaged_in_transit"], []]
    assert len(tr.with_teacher("stage", cs, {"cs_teacher": teacher})) == 4  # the other tasks take every line


def test_teacher_reasons_are_learned_as_probabilities_where_a_line_gives_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """TEACHER_SOFT tasks take a line's reasons_proba (the 0/1 reading where it has none); without, the readings
    (the shipped default since stop 24: the probabilities read worse)."""
    cs = ds.dedup(pd.DataFrame([{"text": "发错货了", "reasons": ["wrong_item"]}]))
    rows = [
        {"text": "盒子压坏了", "source": "teacher", "reasons": ["damaged_in_transit"], "reasons_p": 0.6},
        {"text": "东西不错", "source": "teacher", "reasons": [], "reasons_p": 0.9},
    ]
    rows[0]["reasons_proba"] = {"damaged_in_transit": 0.7, "quality_defect": 0.2}
    teacher = ds.dedup(pd.DataFrame(rows))
    assert tr.TEACHER_SOFT == ()
    got = tr.with_teacher("reasons", cs, {"cs_teacher": teacher}, set(cs["key"]))
    assert list(got["reasons"]) == [["wrong_item"], ["damaged_in_transit"], []]
    monkeypatch.setattr(tr, "TEACHER_SOFT", ("reasons",))
    got = tr.with_teacher("reasons", cs, {"cs_teacher": teacher}, set(cs["key"]))
    assert list(got["reasons"]) == [["wrong_item"], {"damaged_in_transit": 0.7, "quality_defect": 0.2}, []]
    model = tr.fit_task("reasons", tr.with_teacher("reasons", cs, {"cs_teacher": teacher}, set(cs["key"])))
    assert model.metadata["n_train"] == 3


def test_models_fitted_side_by_side_equal_those_fitted_in_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    _small_hash(monkeypatch)
    splits = _splits()
    serial, parallel = tr.train_models(splits, jobs=1), tr.train_models(splits, jobs=3)
    texts = list(splits["cs_test"]["text"])
    assert (
        list(serial) == list(parallel) == ["polarity", "emotion", "emotion_cs", "stage", "reasons", *tr.ENGLISH_TASKS]
    )
    for task, model in serial.items():
        assert np.allclose(model.predict_proba(texts), parallel[task].predict_proba(texts), atol=1e-6), task


def test_review_dev_rows_are_online_shopping_texts_no_blended_model_trained_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from aftersales.nlp import devsets
    from aftersales.nlp.models import fitting

    splits, analyzer = _trained(monkeypatch)
    n = 2 * fitting._SMALL  # a large-data corpus: its calibration split is what the dev set draws on
    fresh = [f"第{i}次买，{'很好用' if i % 2 else '质量太差'}" for i in range(n)]
    unseen = ds.dedup(
        pd.DataFrame({"text": fresh, "polarity": ["positive" if i % 2 else "negative" for i in range(n)]})
    )
    reviews = pd.concat(
        [
            splits["polarity_train"].assign(source="online_shopping_10_cats"),  # customer-service texts: seen
            unseen.iloc[: n // 2].assign(source="online_shopping_10_cats"),
            unseen.iloc[n // 2 :].assign(source="waimai_10k"),
        ],
        ignore_index=True,
    )
    splits["polarity_train"] = reviews
    calib = reviews[fitting.calibration_mask(len(reviews))]
    cs_keys = set(splits["cs_train"]["key"])
    assert calib["key"].isin(cs_keys).any() and (calib["source"] == "waimai_10k").any()  # both kinds are dropped
    expected = calib[(calib["source"] == "online_shopping_10_cats") & ~calib["key"].isin(cs_keys)]
    (dev,) = [d for d in devsets.dev_sets(analyzer, splits, None) if d.kind == "polarity"]
    assert 0 < len(dev.gold) == len(expected)
    assert {ds.key_of(n.original) for n in dev.prep.norms} == set(expected["key"])


def _thread_pools(_: int) -> list[int]:
    """In a worker: the thread count of every BLAS / OpenMP runtime a fit loads."""
    import scipy.sparse  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    from threadpoolctl import threadpool_info

    return [int(pool["num_threads"]) for pool in threadpool_info()]


def test_training_workers_use_one_thread_each_and_leave_this_process_alone() -> None:
    before = {name: os.environ.get(name) for name in tr._THREAD_VARS}
    pools = tr.run_parallel(_thread_pools, [(0,), (1,)], jobs=2)
    assert all(p and max(p) == 1 for p in pools), pools  # two workers on two cores: no oversubscription
    assert {name: os.environ.get(name) for name in tr._THREAD_VARS} == before
