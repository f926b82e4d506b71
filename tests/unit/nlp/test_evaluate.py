"""Metrics against hand-computed values and, where installed, scikit-learn."""

from __future__ import annotations

import json

import numpy as np
import pytest

from aftersales.nlp import evaluate as ev

TRUE = ["a", "a", "b", "b", "c", "c", "c"]
PRED = ["a", "b", "b", "b", "c", "a", "b"]


def test_accuracy_by_hand() -> None:
    assert ev.accuracy(TRUE, PRED) == pytest.approx(4 / 7)
    assert ev.accuracy([], []) == 0.0
    with pytest.raises(ValueError):
        ev.accuracy(["a"], [])


def test_per_label_by_hand() -> None:
    table = ev.per_label(TRUE, PRED)
    # a: tp1 fp1 fn1 → p .5 r .5; b: tp2 fp2 fn0 → p .5 r 1; c: tp1 fp0 fn2 → p 1 r 1/3
    assert table["a"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert table["b"]["precision"] == 0.5 and table["b"]["recall"] == 1.0 and table["b"]["f1"] == pytest.approx(2 / 3)
    assert table["c"]["f1"] == pytest.approx(0.5)
    assert ev.macro_f1(TRUE, PRED) == pytest.approx((0.5 + 2 / 3 + 0.5) / 3)


def test_macro_f1_restricted_labels_and_unseen_label() -> None:
    assert ev.macro_f1(["x"], ["y"]) == 0.0
    assert ev.macro_f1(TRUE, PRED, labels=["a"]) == pytest.approx(0.5)


def test_micro_f1_multilabel_by_hand() -> None:
    truth = [["q", "p"], [], ["l"]]
    pred = [["q"], ["s"], ["l", "q"]]
    # tp 2 (q, l), fp 2 (s, q), fn 1 (p) → p .5, r 2/3
    assert ev.micro_f1(truth, pred) == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    rep = ev.multilabel_report(truth, pred)
    assert rep["per_label"]["q"]["precision"] == 0.5  # type: ignore[index]
    assert rep["exact_match"] == 0.0
    assert ev.multilabel_report([["q"], []], [["q"], []])["exact_match"] == 1.0


def test_confusion_matrix() -> None:
    cm = ev.confusion_matrix(TRUE, PRED, ["a", "b", "c"])
    assert cm == {"labels": ["a", "b", "c"], "matrix": [[1, 1, 0], [0, 2, 0], [1, 1, 1]]}


def test_ece_by_hand() -> None:
    # two bins: confidences .95 (both right) and .55 (one of two right): ECE = (2*.05 + 2*.05)/4
    assert ev.expected_calibration_error([0.95, 0.95, 0.55, 0.55], [1, 1, 1, 0], n_bins=10) == pytest.approx(0.05)
    assert ev.expected_calibration_error([], []) == 0.0
    assert ev.expected_calibration_error([1.0], [1]) == 0.0


def test_report_is_json_ready() -> None:
    rep = ev.classification_report(TRUE, PRED, confidence=np.full(7, 0.6))
    assert json.loads(json.dumps(rep))["accuracy"] == pytest.approx(4 / 7)
    assert rep["ece"] == pytest.approx(abs(4 / 7 - 0.6))


def test_against_sklearn() -> None:
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    labels = ["x", "y", "z", "w"]
    truth = [labels[i] for i in rng.integers(0, 4, 300)]
    pred = [labels[i] for i in rng.integers(0, 3, 300)]
    assert ev.accuracy(truth, pred) == pytest.approx(metrics.accuracy_score(truth, pred))
    assert ev.macro_f1(truth, pred) == pytest.approx(metrics.f1_score(truth, pred, average="macro", zero_division=0))
    cm = ev.confusion_matrix(truth, pred, sorted(labels))
    assert cm["matrix"] == metrics.confusion_matrix(truth, pred, labels=sorted(labels)).tolist()
    y_true = [[lab for lab in labels if rng.random() < 0.3] for _ in range(200)]
    y_pred = [[lab for lab in labels if rng.random() < 0.3] for _ in range(200)]
    mlb = pytest.importorskip("sklearn.preprocessing").MultiLabelBinarizer(classes=labels)
    expected = metrics.f1_score(mlb.fit_transform(y_true), mlb.transform(y_pred), average="micro", zero_division=0)
    assert ev.micro_f1(y_true, y_pred) == pytest.approx(expected)


def test_bootstrap_resamples_score_like_the_point_metrics() -> None:
    """Each resample is scored by the same definitions: replaying the resamples by hand gives the same interval."""
    rng = np.random.default_rng(3)
    labels = ["x", "y", "z"]
    truth = [labels[i] for i in rng.integers(0, 3, 120)]
    pred = [t if rng.random() < 0.7 else labels[int(rng.integers(0, 3))] for t in truth]
    got = ev.bootstrap_single(truth, pred, labels, rounds=200, seed=5)
    acc, macro = [], []
    for rows in ev._resamples(len(truth), 200, 5):
        for r in rows:
            t, p = [truth[i] for i in r], [pred[i] for i in r]
            acc.append(ev.accuracy(t, p))
            macro.append(ev.macro_f1(t, p, [lab for lab in labels if lab in t or lab in p]))
    assert got["accuracy"] == [round(float(np.quantile(acc, q)), 4) for q in (0.025, 0.975)]
    assert got["macro_f1"] == [round(float(np.quantile(macro, q)), 4) for q in (0.025, 0.975)]
    assert got["accuracy"][0] < ev.accuracy(truth, pred) < got["accuracy"][1]


def test_bootstrap_multilabel_matches_micro_f1_by_hand() -> None:
    rng = np.random.default_rng(4)
    labels = ["p", "q", "r"]
    y_true = [[lab for lab in labels if rng.random() < 0.4] for _ in range(80)]
    y_pred = [[lab for lab in t if rng.random() < 0.8] + (["r"] if rng.random() < 0.2 else []) for t in y_true]
    got = ev.bootstrap_multilabel(y_true, y_pred, rounds=100, seed=1)
    micro = [
        ev.micro_f1([y_true[i] for i in r], [y_pred[i] for i in r]) for rows in ev._resamples(80, 100, 1) for r in rows
    ]
    assert got["micro_f1"] == [round(float(np.quantile(micro, q)), 4) for q in (0.025, 0.975)]
    assert got["micro_f1"][0] <= ev.micro_f1(y_true, y_pred) <= got["micro_f1"][1]


def test_bootstrap_of_perfect_predictions_and_reports_carry_it() -> None:
    assert ev.bootstrap_single(TRUE, TRUE) == {"accuracy": [1.0, 1.0], "macro_f1": [1.0, 1.0]}
    assert ev.bootstrap_single([], []) == {}
    rep = ev.classification_report(TRUE, PRED)
    lo, hi = rep["ci95"]["macro_f1"]  # type: ignore[index]
    assert 0.0 <= lo <= ev.macro_f1(TRUE, PRED) <= hi <= 1.0
    assert "micro_f1" in ev.multilabel_report([["a"], []], [["a"], ["b"]])["ci95"]  # type: ignore[operator]
