"""scripts/labelling.py agreement: a blind second annotation compared with the committed first labels."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "labelling.py"


@pytest.fixture(scope="module")
def labelling() -> ModuleType:
    spec = importlib.util.spec_from_file_location("labelling_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_agreement_counts_each_disagreement(labelling: ModuleType, tmp_path: Path) -> None:
    first = [json.loads(line) for line in (SCRIPT.parents[1] / "data" / "labels" / "round4_r1.jsonl").open()][:4]
    second = [dict(r) for r in first]
    second[0]["emotion"] = "neutral" if first[0]["emotion"] != "neutral" else "anger"
    second[1]["reasons"] = [*first[1]["reasons"], "wrong_item" if "wrong_item" not in first[1]["reasons"] else "price"]
    path = tmp_path / "second.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in second), encoding="utf-8")
    out = labelling.agreement(path)
    assert out["n"] == 4
    assert out["emotion_accuracy"] == 0.75 and out["stage_accuracy"] == 1.0 and out["polarity_accuracy"] == 1.0
    n_first = sum(len(r["reasons"]) for r in first)
    assert out["reasons_micro_f1"] == round(2 * n_first / (2 * n_first + 1), 3)  # one extra reason: one false positive


@pytest.mark.data
def test_picked_batches_come_from_the_training_split_and_are_the_models_least_sure(
    labelling: ModuleType, tmp_path: Path
) -> None:
    from aftersales.nlp import datasets as ds
    from tests.conftest import shared_data

    shared_data("online_shopping_10_cats")
    shared_data("waimai_10k")
    sizes = labelling.select_picked(tmp_path, "round7", uncertain_batches=1, random_batches=1, rare_batches=1)
    full = labelling.PICKED_SIZE
    assert sizes["round7_u1.jsonl"] == sizes["round7_m1.jsonl"] == full
    # some category strata have run short of unlabelled negatives since rounds 9 and 10: the others make them up
    assert sizes["round7_t1.jsonl"] == full
    batches = {k: [json.loads(line) for line in (tmp_path / f"round7_{k}1.jsonl").open()] for k in ("m", "t", "u")}
    rows = [r for b in batches.values() for r in b]
    assert len({(r["dataset"], r["row"]) for r in rows}) == len(rows)  # no text in two batches
    done = {(r["dataset"], r["row"]) for r in labelling._labelled().to_dict("records")}
    assert not done & {(r["dataset"], r["row"]) for r in rows}  # nothing labelled before
    keys = [ds.key_of(r["text"]) for r in rows]
    assert (ds.split_fraction(keys, ds.CS_SPLIT_SEED) >= ds.CS_TEST_SIZE).all()  # the test split is never touched
    assert all(ds.text_sha16(r["text"]) == r["sha1"] for r in rows)
    # the uncertain batch sits closer to the reasons thresholds than the random one
    from aftersales.nlp.models import ARTEFACTS
    from aftersales.nlp.models.linear import HashedLinearClassifier

    reasons = HashedLinearClassifier.load(ARTEFACTS / "reasons.npz")

    def margin(batch: list[dict[str, object]]) -> float:
        return float(labelling.reason_margins(reasons, [str(r["text"]) for r in batch]).max())

    assert margin(batches["u"]) < margin(batches["t"])


@pytest.mark.data
def test_relabel_writes_the_test_split_or_the_older_training_labels_without_labels(
    labelling: ModuleType, tmp_path: Path
) -> None:
    from aftersales.nlp import datasets as ds
    from tests.conftest import shared_data

    shared_data("online_shopping_10_cats")
    shared_data("waimai_10k")
    sizes = labelling.select_relabel(tmp_path, "t", batches=3)
    rows = [json.loads(line) for p in sorted(tmp_path.glob("t_s*.jsonl")) for line in p.open()]
    _, test = ds.cs_labels_split(adjudicated=False)
    assert sum(sizes.values()) == len(rows) == len(test) and len(sizes) == 3
    assert {(r["dataset"], r["row"]) for r in rows} == set(zip(test["dataset"], test["row"], strict=True))
    assert all(set(r) == {"dataset", "row", "sha1", "text"} for r in rows)  # blind: no first label travels with it
    train, _ = ds.cs_labels_split(adjudicated=False)
    older = train[train["guideline"] != labelling.CURRENT_GUIDELINE]
    labelling.select_relabel(tmp_path / "train", "r", batches=2, split="train")
    rows = [json.loads(line) for p in sorted((tmp_path / "train").glob("r_s*.jsonl")) for line in p.open()]
    assert {(r["dataset"], r["row"]) for r in rows} == set(zip(older["dataset"], older["row"], strict=True))
    assert 0 < len(older) < len(train)  # the rounds labelled under the current guideline are not re-read
    sha1 = dict(zip(zip(older["dataset"], older["row"], strict=True), older["sha1"], strict=True))
    assert all(r["sha1"] == sha1[(r["dataset"], r["row"])] for r in rows)  # the first label's, BOM and all


@pytest.mark.data
def test_adjudication_shows_only_disputed_rows_and_hides_which_label_came_first(
    labelling: ModuleType, tmp_path: Path
) -> None:
    from tests.conftest import shared_data

    shared_data("online_shopping_10_cats")
    first = [json.loads(line) for line in (SCRIPT.parents[1] / "data" / "labels" / "round4_r1.jsonl").open()][:4]
    second = [dict(r) for r in first]
    second[0]["emotion"] = "neutral" if first[0]["emotion"] != "neutral" else "anger"  # disputed
    second[1]["intensity"] = 1 if first[1]["intensity"] != 1 else 2  # intensity alone: the first label stays
    second[2]["reasons"] = list(reversed(first[2]["reasons"]))  # the same set in another order: no dispute
    path = tmp_path / "second.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in second), encoding="utf-8")
    rows = labelling.disputed([path])
    assert [(r["dataset"], r["row"]) for r in rows] == [(first[0]["dataset"], first[0]["row"])]
    shown = {rows[0]["A"]["emotion"], rows[0]["B"]["emotion"]}
    assert shown == {first[0]["emotion"], second[0]["emotion"]}
    assert "labeller" not in rows[0]["A"] and rows[0]["text"]
    sizes = labelling.write_adjudication([path], tmp_path / "adj", batches=2)
    assert sum(sizes.values()) == 1


def test_a_stratum_that_runs_short_is_made_up_from_the_other_categories(labelling: ModuleType) -> None:
    import numpy as np
    import pandas as pd

    # category A has no negatives left (as phones and Mengniu after round 10); B and C have plenty of both
    rows = [("A", 1)] * 40 + [("B", 0)] * 200 + [("B", 1)] * 200 + [("C", 0)] * 200 + [("C", 1)] * 200
    pool = pd.DataFrame(rows, columns=["cat", "label"]).assign(key=lambda f: [f"k{i}" for i in range(len(f))])
    chosen = labelling._stratified(pool, 150, np.random.default_rng(0))
    assert len(chosen) >= 150 and chosen["key"].is_unique  # full, and no text twice
    assert (chosen["label"] == 0).sum() >= round(150 * labelling.NEGATIVE_SHARE)  # A's negatives come from B and C
    assert set(chosen.loc[chosen["label"] == 0, "cat"]) == {"B", "C"}
    again = labelling._stratified(pool, 150, np.random.default_rng(0))
    assert list(again["key"]) == list(chosen["key"])  # the seed fixes the draw
    tiny = pool[pool["cat"] == "A"]
    assert len(labelling._stratified(tiny, 150, np.random.default_rng(0))) == 40  # no more than the pool holds
