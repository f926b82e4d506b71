"""Loaders, label joins, leak-free splits and the SHIPPED models' held-out scores (needs ../shared/data)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from aftersales.nlp import datasets as ds
from aftersales.nlp import evaluate as ev
from aftersales.nlp.mappings import EMOTION_TO_SMP
from aftersales.nlp.models import ARTEFACTS, HashedLinearClassifier, load_shipped
from aftersales.vocab import Emotion, Polarity, Reason, Stage
from tests.conftest import shared_data

pytestmark = pytest.mark.data
SLACK = 0.03  # a shipped model may not fall more than this below its target


@pytest.fixture(autouse=True)
def _data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the loaders at the shared data (skips when absent) despite the isolated test environment."""
    monkeypatch.setenv("AFTERSALES_SHARED_DATA", str(shared_data()))


@pytest.mark.parametrize(
    ("name", "column", "allowed"),
    [
        ("online_shopping_10_cats", "polarity", Polarity.codes()),
        ("waimai_10k", "polarity", Polarity.codes()),
        ("chnsenticorp_htl_all", "polarity", Polarity.codes()),
        ("smp2020_ewect", "emotion", Emotion.codes()),
        ("clue_emotion2020", "emotion", Emotion.codes()),
        ("covid19_weibo_emotion7", "emotion", Emotion.codes()),
        ("goemotions", "emotion", [*Emotion.codes(), None]),
        ("bitext_customer_support", "intent", None),
        ("zhijiang2019_ecommerce_opinion", "reasons", None),
        ("cs_labels", "stage", Stage.codes()),
    ],
)
def test_loaders(name: str, column: str, allowed: list[str | None] | None) -> None:
    df = ds.load(name)
    assert len(df) > 1000
    assert {"text", "source", column} <= set(df.columns)
    assert (df["text"].str.len() > 0).all() and not df["text"].str.contains("\ufeff").any()
    if allowed is not None:
        assert set(df[column].dropna()) <= set(allowed)


def test_hotels_are_excluded_by_default() -> None:
    assert "酒店" not in set(ds.online_shopping_10_cats()["category"])
    assert "酒店" in set(ds.online_shopping_10_cats(exclude_hotel=False)["category"])


def test_missing_shared_data_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AFTERSALES_SHARED_DATA", str(tmp_path / "nope"))
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ds.DataUnavailableError, match="AFTERSALES_SHARED_DATA"):
        ds.shared_data_dir()


def test_cs_labels_join_and_sha1_check(tmp_path: Path) -> None:
    cs = ds.cs_labels()
    files = sorted(ds.labels_dir().glob("*.jsonl"))
    assert len(cs) == sum(1 for f in files for line in f.open() if line.strip()) >= 5000
    assert set(cs["emotion"]) <= set(Emotion.codes())
    assert {r for rs in cs["reasons"] for r in rs} <= set(Reason.codes())
    bad = json.loads(next(iter(sorted(ds.labels_dir().glob("*.jsonl")))).read_text().splitlines()[0])
    bad["row"] += 1  # points at the neighbouring text: its sha1 cannot match
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(bad) + "\n")
    with pytest.raises(ds.LabelJoinError, match="sha1"):
        ds.cs_labels([path])


def test_adjudicated_labels_override_the_first_and_say_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    source = sorted(ds.labels_dir().glob("*.jsonl"))[0]
    first = [json.loads(line) for line in source.read_text().splitlines()[:3]]
    (tmp_path / "adjudicated").mkdir()
    (tmp_path / "part.jsonl").write_text("".join(json.dumps(r) + "\n" for r in first))
    decided = dict(first[0], emotion="neutral" if first[0]["emotion"] != "neutral" else "anger", labeller="adj")
    kept = dict(first[1], reasons=list(reversed(first[1]["reasons"])))  # disputed, decided as first labelled
    adjudicated = tmp_path / "adjudicated" / "a.jsonl"
    adjudicated.write_text(json.dumps(decided) + "\n" + json.dumps(kept) + "\n")
    monkeypatch.setattr(ds, "labels_dir", lambda: tmp_path)
    cs = ds.cs_labels()
    assert list(cs["emotion"]) == [decided["emotion"], first[1]["emotion"], first[2]["emotion"]]
    assert list(cs["adjudicated"]) == [True, False, False]
    assert list(cs["label_file"]) == [f"part.jsonl:{n}" for n in (1, 2, 3)]  # still names the first label
    assert list(ds.cs_labels(adjudicated=False)["emotion"]) == [r["emotion"] for r in first]
    adjudicated.write_text(json.dumps(dict(decided, sha1="0" * 16)) + "\n")
    with pytest.raises(ds.LabelJoinError, match="sha1 differs"):
        ds.cs_labels()
    adjudicated.write_text(json.dumps(decided) + "\n" + json.dumps(decided) + "\n")
    with pytest.raises(ds.LabelJoinError, match="adjudicated twice"):
        ds.cs_labels()
    adjudicated.write_text(json.dumps(decided) + "\n{not json\n")
    with pytest.raises(ds.LabelJoinError, match=r"a\.jsonl:2: not JSON"):
        ds.cs_labels()


def test_every_adjudication_settles_a_dispute_of_a_blind_second_annotation() -> None:
    """An adjudicated label exists only where a second annotation disputed the first (docs/labelling.md)."""
    first = ds.cs_labels(adjudicated=False)
    by_id = {
        (d, int(r)): rec for d, r, rec in zip(first["dataset"], first["row"], first.to_dict("records"), strict=True)
    }
    second = {
        (rec["dataset"], int(rec["row"])): rec
        for path in sorted((ds.labels_dir() / "agreement").glob("*_v13_second.jsonl"))
        for rec in map(json.loads, path.open(encoding="utf-8"))
    }
    assert all(rec["sha1"] == by_id[ident]["sha1"] for ident, rec in second.items())  # the same texts, BOMs and all
    decided = ds.adjudications()
    assert len(decided) > 2000
    disputed = ("polarity", "emotion", "stage", "reasons")

    def labels(rec: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(sorted(set(rec[f])) if f == "reasons" else rec[f] for f in disputed)

    for ident, rec in decided.items():
        assert ident in second, ident
        assert labels(second[ident]) != labels(by_id[ident]), ident  # nothing decided that was not disputed
        assert rec["sha1"] == by_id[ident]["sha1"] == second[ident]["sha1"]
    _, test = ds.cs_labels_split(adjudicated=False)
    assert set(zip(test["dataset"], test["row"], strict=True)) <= set(second)  # the whole test split was read twice


def test_dedup_split_is_stable_and_leak_free() -> None:
    df = ds.waimai_10k()
    doubled = pd.concat([df, df.assign(text=df["text"] + " ")], ignore_index=True)  # same normalised text
    train, test = ds.dedup_split(doubled, 0.2, "s")
    assert len(train) + len(test) == len(ds.dedup(df))
    ds.assert_no_overlap(train, test)
    _, again_test = ds.dedup_split(doubled.sample(frac=1.0, random_state=3), 0.2, "s")
    assert set(again_test["key"]) == set(test["key"])  # order does not matter, only the text
    assert 0.15 < len(test) / (len(train) + len(test)) < 0.25
    with pytest.raises(AssertionError, match="also occur"):
        ds.assert_no_overlap(train, pd.concat([test, train.head(1)]))


def test_cs_test_split_is_fixed() -> None:
    """Round 1's 401 test texts stay in test; keyword- or model-picked texts never enter it; ~20 % of the rest.

    Enriched (`_e`) batches and every batch of `labelling.py pick` (`_u`, `_m`, `_t`, round 7 on) are drawn from the
    training split, so the test split is ~20 % of the randomly drawn rounds only.
    """
    train, test = ds.cs_labels_split()
    ds.assert_no_overlap(train, test)
    file_of = test["label_file"].str.split(":").str[0]
    round1 = {"online_shopping_part1.jsonl", "online_shopping_part2.jsonl", "waimai_part1.jsonl"}
    assert file_of.isin(round1).sum() == 401
    picked = r"_[eumt]\d"
    assert not file_of.str.contains(picked, regex=True).any()
    drawn = (~train["label_file"].str.split(":").str[0].str.contains(picked, regex=True)).sum()
    assert 0.15 < len(test) / (drawn + len(test)) < 0.25


def test_teacher_labels_join_and_never_touch_a_labelled_or_test_text() -> None:
    """The e5 teacher read unlabelled training-split reviews only: no test text of any task, none we labelled."""
    joined = ds.teacher_labels()
    teacher = ds.dedup(joined)
    assert len(teacher) == len(joined) > 20_000  # one row per text, whichever files read it
    lines = [json.loads(line) for f in sorted(ds.teacher_dir().glob("*.jsonl")) for line in f.open() if line.strip()]
    assert len(joined) == len({(r["dataset"], r["row"]) for r in lines})  # every text any file read, joined
    assert set(teacher["emotion"].dropna()) <= set(Emotion.codes())
    assert set(teacher["stage"].dropna()) <= set(Stage.codes())
    assert not set(teacher["key"]) & set(ds.dedup(ds.cs_labels())["key"])
    shop = ds.online_shopping_10_cats(exclude_hotel=False)
    hotel_rows = set(shop.loc[shop["category"] == "酒店", "row"])  # out of domain: never read as a label source
    assert not hotel_rows & set(teacher.loc[teacher["dataset"] == "online_shopping_10_cats", "row"])
    for corpus in (ds.online_shopping_10_cats(), ds.waimai_10k()):
        _, test = ds.dedup_split(corpus, 0.2, ds.CS_SPLIT_SEED)
        ds.assert_no_overlap(teacher, test)


SHIPPED = ARTEFACTS / "metrics.json"


@pytest.fixture(scope="module")
def shipped() -> dict[str, HashedLinearClassifier]:
    if not SHIPPED.exists():
        pytest.fail(f"{SHIPPED} missing: run python -m aftersales.nlp.train --out {ARTEFACTS}")
    return {task: load_shipped(task) for task in ("polarity", "emotion", "stage", "reasons")}


def _sample(df: pd.DataFrame, n: int) -> pd.DataFrame:
    return df.sample(n=min(n, len(df)), random_state=0) if len(df) > n else df


def test_artefacts_are_small() -> None:
    """The issue's budget: every shipped file (weights, metrics, combiner) under 20 MB in total."""
    total = sum(p.stat().st_size for p in ARTEFACTS.iterdir() if p.is_file())
    assert 0 < total < 20_000_000


def _guard(metric: str, target: float) -> float:
    """Target − slack, or measured − slack where the shipped model misses its target (documented in models.md)."""
    task, split, name = metric.split(".")
    measured = float(json.loads(SHIPPED.read_text())[task][split][name])
    return min(target, measured) - SLACK


def test_shipped_polarity(shipped: dict[str, HashedLinearClassifier]) -> None:
    from aftersales.nlp.train import SPLIT_SEED, TEST_SIZE

    model = shipped["polarity"]
    _, test = ds.dedup_split(ds.online_shopping_10_cats(), TEST_SIZE, SPLIT_SEED)
    test = _sample(test, 4000)
    acc = ev.accuracy(list(test["polarity"]), [p.label for p in model.predict(list(test["text"]))])
    assert acc >= 0.94 - SLACK
    hotel = _sample(ds.dedup(ds.chnsenticorp_htl_all()), 3000)
    acc = ev.accuracy(list(hotel["polarity"]), [p.label for p in model.predict(list(hotel["text"]))])
    assert acc >= _guard("polarity.chnsenticorp_htl.accuracy", 0.88)  # target missed: 0.825 measured


def test_shipped_emotion_on_smp(shipped: dict[str, HashedLinearClassifier]) -> None:
    test = ds.dedup(ds.smp2020_ewect("usual", "test"))
    preds = [EMOTION_TO_SMP[p.label] for p in shipped["emotion"].predict(list(test["text"]))]
    assert ev.macro_f1(list(test["label_raw"]), preds, sorted(set(test["label_raw"]))) >= 0.65 - SLACK


def test_shipped_cs_models_do_not_regress(shipped: dict[str, HashedLinearClassifier]) -> None:
    """cs_labels targets are not all met (see docs/models.md): guard the measured values instead."""
    metrics = json.loads(SHIPPED.read_text())
    _, test = ds.cs_labels_split()
    texts = list(test["text"])
    for task, column in (("emotion", "emotion"), ("stage", "stage")):
        truth = list(test[column])
        pred = [p.label for p in shipped[task].predict(texts)]
        measured = ev.macro_f1(truth, pred, sorted(set(truth)))
        assert measured >= min(0.65, metrics[task]["cs_labels_test"]["macro_f1"]) - SLACK
    pred_r = [list(p.labels) for p in shipped["reasons"].predict(texts)]
    micro = ev.micro_f1([list(r) for r in test["reasons"]], pred_r)
    assert micro >= min(0.80, metrics["reasons"]["cs_labels_test"]["micro_f1"]) - SLACK


def test_shipped_models_are_calibrated_and_explain(shipped: dict[str, HashedLinearClassifier]) -> None:
    model = shipped["polarity"]
    _, test = ds.dedup_split(ds.waimai_10k(), 0.2, "cs-labels-v1")
    proba = model.predict_proba(list(test["text"]))
    pred = np.asarray(model.labels)[proba.argmax(axis=1)]
    assert ev.expected_calibration_error(proba.max(axis=1), pred == test["polarity"].to_numpy()) < 0.08
    text = "质量太差了，用了两天就坏了，客服也不理人"
    for task in ("polarity", "emotion", "stage", "reasons"):
        pred_one = shipped[task].predict([text])[0]
        assert pred_one.evidence, task
        assert all(text[e.start : e.end] == e.text for evs in pred_one.evidence.values() for e in evs)


def test_env_var_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ds.shared_data_dir() == Path(os.environ["AFTERSALES_SHARED_DATA"])


def test_shipped_analyzer_holds_its_customer_service_scores() -> None:
    """The complete Analyzer (models + rules + combiner) on the untouched cs_labels test split, vs metrics.json."""
    from aftersales.nlp.analyzer import Analyzer
    from aftersales.nlp.calibrate import score

    shipped = json.loads((ARTEFACTS / "metrics.json").read_text(encoding="utf-8"))["combined"]["cs_labels_test"]
    _, test = ds.cs_labels_split()
    measured = score(Analyzer.default().analyze_batch([str(t) for t in test["text"]]), test)
    for name in ("emotion_macro_f1", "stage_macro_f1", "reasons_micro_f1", "polarity_accuracy"):
        assert measured[name] >= shipped[name] - SLACK, (name, measured[name], shipped[name])


def test_each_held_out_split_read_alone_is_the_one_load_splits_gives() -> None:
    """`aftersales eval --dataset` reads one split on its own: the same rows, texts, labels and keys as training's."""
    from aftersales.nlp.train import TEST_SPLITS, held_out_split, load_splits

    splits = load_splits()
    for name in TEST_SPLITS:
        pd.testing.assert_frame_equal(held_out_split(name), splits[name], obj=name)
    with pytest.raises(KeyError, match="cs_train"):
        held_out_split("cs_train")  # a training frame is not a held-out split


def test_weibo_posts_are_read_as_social_posts() -> None:
    """The held-out Weibo splits carry channel=social (`aftersales eval --dataset`), and read as social posts the
    shipped Analyzer keeps the SMP2020 target (the customer knobs are not fitted for such posts)."""
    from aftersales.nlp.analyzer import Analyzer
    from aftersales.services.nlp import dataset_records

    records = dataset_records("smp2020_usual_test")
    assert {r["channel"] for r in records} == {"social"}
    assert "channel" not in dataset_records("cs_test")[0]
    found = Analyzer.default().analyze_batch([r["text"] for r in records], channels=[r["channel"] for r in records])
    gold = [str(r["label_raw"]) for r in records]
    pred = [EMOTION_TO_SMP[a.emotion] for a in found]
    assert ev.macro_f1(gold, pred, sorted(set(gold))) >= 0.65 - SLACK


def test_english_posts_are_read_by_the_english_models() -> None:
    """GoEmotions test through `aftersales eval --dataset`: Reddit comments carry channel=social, rows without a mapped
    label are counted, not scored, and the whole Analyzer keeps what the English models bought for posts over the
    English lexicons alone (docs/models.md, v2026.11.16: polarity 0.651 → 0.796, emotion macro-F1 0.386 → 0.490)."""
    from aftersales.services.nlp import dataset_records, evaluate_file

    assert {r["channel"] for r in dataset_records("goemotions_test")} == {"social"}
    polarity = evaluate_file(None, "polarity", dataset="goemotions_test")
    emotion = evaluate_file(None, "emotion", dataset="goemotions_test")
    assert polarity["without_gold"] > 1000 and emotion["without_gold"] > 1000  # neutral-only or unmapped comments
    assert polarity["binary"]["accuracy"] >= 0.796 - SLACK
    assert emotion["macro_f1"] >= 0.490 - SLACK
    metrics = json.loads(SHIPPED.read_text(encoding="utf-8"))
    assert metrics["emotion_en"]["goemotions_test"]["macro_f1"] > 0.45  # the model alone, as trained
