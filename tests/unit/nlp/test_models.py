"""One shared contract test over every Classifier implementation (scikit-learn's estimator-checks idea)."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from aftersales.nlp.models import HashedLinearClassifier, HashingFeaturizer
from aftersales.nlp.types import Classifier, Prediction

pytest.importorskip("sklearn", reason="fitting needs scikit-learn (predicting does not)")

POS = [
    "质量很好，物流很快",
    "非常满意，推荐购买",
    "不错不错，好评",
    "衣服很漂亮，喜欢",
    "客服态度很好，谢谢",
    "东西很好用",
]
NEG = [
    "质量太差了，要退货",
    "发错货了，很生气",
    "垃圾产品，再也不买",
    "物流太慢了",
    "用了两天就坏了",
    "客服不理人，差评",
]
REASONS = [["quality_defect"], ["wrong_item"], ["quality_defect"], ["logistics_delay"], ["quality_defect"], []]


def _single() -> HashedLinearClassifier:
    model = HashedLinearClassifier("polarity", ["negative", "positive"], featurizer=HashingFeaturizer(bits=12))
    return model.fit(POS + NEG, ["positive"] * 6 + ["negative"] * 6, C=10.0, nb_C=10.0, folds=3)


def _multiclass() -> HashedLinearClassifier:
    labels = ["satisfaction", "dissatisfaction", "anger"]
    model = HashedLinearClassifier("emotion", labels, featurizer=HashingFeaturizer(bits=12, n_max=3))
    y = ["satisfaction"] * 6 + ["dissatisfaction", "anger", "anger", "dissatisfaction", "dissatisfaction", "anger"]
    return model.fit(POS + NEG, y, C=10.0, folds=3)


def _multilabel() -> HashedLinearClassifier:
    labels = ["quality_defect", "wrong_item", "logistics_delay"]
    model = HashedLinearClassifier("reasons", labels, multilabel=True, featurizer=HashingFeaturizer(bits=12))
    return model.fit(POS + NEG, [[]] * 6 + REASONS, C=10.0, folds=3)


def _multilabel_presence_idf() -> HashedLinearClassifier:
    """The shipped reasons recipe: n-gram presence, idf-scaled while learning."""
    labels = ["quality_defect", "wrong_item", "logistics_delay"]
    feat = HashingFeaturizer(bits=12, n_max=3, weighting="binary")
    model = HashedLinearClassifier("reasons", labels, multilabel=True, featurizer=feat)
    return model.fit(POS + NEG, [[]] * 6 + REASONS, C=3.0, idf=True, folds=3)


def _multilabel_presence_idf_nb() -> HashedLinearClassifier:
    """The shipped reasons recipe since v2026.11.15: presence, idf, and an NB-LR averaged into every label's LR."""
    labels = ["quality_defect", "wrong_item", "logistics_delay"]
    feat = HashingFeaturizer(bits=12, n_max=3, weighting="binary")
    model = HashedLinearClassifier("reasons", labels, multilabel=True, featurizer=feat)
    return model.fit(POS + NEG, [[]] * 6 + REASONS, C=3.0, idf=True, nb_C=3.0, folds=3)


FACTORIES: dict[str, Callable[[], HashedLinearClassifier]] = {
    "binary": _single,
    "multiclass": _multiclass,
    "multilabel": _multilabel,
    "multilabel-presence-idf": _multilabel_presence_idf,
    "multilabel-presence-idf-nb": _multilabel_presence_idf_nb,
}
EDGE = ["", "😡😡😡", "好" * 10_000, "   ", "Quality is bad, I want a refund!!", "這個商品質量太差了", "\x00\ufeff"]


@pytest.fixture(params=sorted(FACTORIES), scope="module")
def model(request: pytest.FixtureRequest) -> HashedLinearClassifier:
    """Each implementation, fitted once on tiny in-test data."""
    return FACTORIES[request.param]()


def test_satisfies_the_protocol(model: HashedLinearClassifier) -> None:
    assert isinstance(model, Classifier)
    assert model.task and model.version


def test_output_length_and_types(model: HashedLinearClassifier) -> None:
    texts = POS[:2] + NEG[:3] + EDGE
    preds = model.predict(texts)
    assert len(preds) == len(texts)
    assert all(isinstance(p, Prediction) for p in preds)
    assert model.predict([]) == []


def test_predict_is_pure(model: HashedLinearClassifier) -> None:
    before = (model.weights.copy(), model.bias.copy(), model.temperature, model.thresholds.copy())
    first = model.predict(NEG + EDGE)
    second = model.predict(NEG + EDGE)
    assert first == second
    assert np.array_equal(before[0], model.weights) and np.array_equal(before[1], model.bias)
    assert before[2] == model.temperature and np.array_equal(before[3], model.thresholds)


def test_batch_equals_single(model: HashedLinearClassifier) -> None:
    batch = model.predict(NEG + EDGE)
    assert batch == [model.predict([t])[0] for t in NEG + EDGE]


def test_scores(model: HashedLinearClassifier) -> None:
    for pred in model.predict(POS + NEG + EDGE):
        assert set(pred.scores) == set(model.labels)
        assert all(0.0 <= s <= 1.0 for s in pred.scores.values())
        if model.multilabel:
            assert all(pred.scores[label] >= 0.0 for label in pred.labels)
        else:
            assert sum(pred.scores.values()) == pytest.approx(1.0, abs=1e-4)
            assert pred.labels == (max(pred.scores, key=pred.scores.__getitem__),)


def test_learns_the_training_data(model: HashedLinearClassifier) -> None:
    preds = model.predict(POS + NEG)
    if model.task == "polarity":
        assert [p.label for p in preds] == ["positive"] * 6 + ["negative"] * 6
    elif model.multilabel:
        assert "quality_defect" in preds[10].labels
        assert not any(p.labels for p in preds[:6])
    else:
        assert sum(p.label == "satisfaction" for p in preds[:6]) == 6


def test_evidence_points_into_the_original(model: HashedLinearClassifier) -> None:
    text = "這個商品質量太差了，我要退貨！"  # traditional + full width: evidence must map back through normalise()
    pred = model.predict([text])[0]
    for label, items in pred.evidence.items():
        assert label in pred.labels
        for ev in items:
            assert ev.source == "model" and ev.weight > 0
            assert text[ev.start : ev.end] == ev.text and ev.text


def test_save_load_roundtrip(model: HashedLinearClassifier, tmp_path: Path) -> None:
    path = model.save(tmp_path / "m.npz")
    loaded = HashedLinearClassifier.load(path)
    assert loaded.labels == model.labels and loaded.task == model.task and loaded.version == model.version
    texts = POS + NEG + EDGE
    # float16 storage: scores may move in the 3rd decimal, labels must not
    for a, b in zip(model.predict(texts), loaded.predict(texts), strict=True):
        assert a.labels == b.labels
        assert all(abs(a.scores[k] - b.scores[k]) < 5e-3 for k in a.scores)
    assert HashedLinearClassifier.load(loaded.save(tmp_path / "again.npz")).predict(texts) == loaded.predict(texts)


def test_load_rejects_foreign_npz(tmp_path: Path) -> None:
    path = tmp_path / "foreign.npz"
    np.savez(path, header=np.frombuffer(b'{"format": "other"}', dtype=np.uint8))
    with pytest.raises(ValueError, match="not an"):
        HashedLinearClassifier.load(path)


def test_fit_rejects_unknown_labels() -> None:
    model = HashedLinearClassifier("polarity", ["negative", "positive"], featurizer=HashingFeaturizer(bits=10))
    with pytest.raises(ValueError, match="label set"):
        model.fit(["a", "b"], ["positive", "meh"])


def test_featurizer_is_deterministic_and_positions_are_right() -> None:
    feat = HashingFeaturizer(bits=16, n_min=1, n_max=2)
    a, b = feat.transform(["质量差", ""]), feat.transform(["质量差", ""])
    assert np.array_equal(a.indices, b.indices) and np.array_equal(a.indptr, b.indptr)
    # "质量差" framed: 3 unigrams + 4 bigrams (including the two with the start/end markers); "" has 1 bigram
    assert list(np.diff(a.indptr)) == [7, 1]
    spans = {a.span(k, 3) for k in range(7)}
    assert {(0, 1), (1, 2), (2, 3), (0, 2), (1, 3), (0, 1), (2, 3)} <= spans
    # known value: the hash must never change across processes or versions (FNV-1a, fixed constants)
    assert HashingFeaturizer(bits=16, n_max=1).transform(["好", "质量差"]).indices.tolist() == [
        25068,
        60019,
        4602,
        26773,
    ]


def test_a_capped_multiclass_fit_does_not_warn() -> None:
    """The iteration cap is part of the training recipe: stopping at it must not print a warning per fold."""
    model = HashedLinearClassifier(
        "emotion", ["anger", "satisfaction", "neutral"], featurizer=HashingFeaturizer(bits=12)
    )
    y = ["satisfaction"] * 6 + ["anger"] * 3 + ["neutral"] * 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(POS + NEG, y, C=10.0, folds=3, max_iter=1)
    assert model.metadata["n_train"] == 12


def test_an_uncalibrated_fit_keeps_unit_temperature_and_learns_the_same_weights() -> None:
    """`calibrate=False` (the emotion_cs head, scaled by the combiner) skips the k-fold calibration, not the fit."""
    labels = ["satisfaction", "dissatisfaction", "anger"]
    y = ["satisfaction"] * 6 + ["dissatisfaction", "anger", "anger", "dissatisfaction", "dissatisfaction", "anger"]

    def fit(**options: object) -> HashedLinearClassifier:
        model = HashedLinearClassifier("emotion_cs", labels, featurizer=HashingFeaturizer(bits=12, n_max=3))
        return model.fit(POS + NEG, y, C=10.0, folds=3, **options)

    plain, calibrated = fit(calibrate=False), fit()
    assert plain.temperature == 1.0 and calibrated.temperature != 1.0
    assert plain.metadata == {"n_train": 12, "n_calibration": 0}
    assert np.array_equal(plain.weights, calibrated.weights) and np.array_equal(plain.bias, calibrated.bias)
    assert plain.options["calibrate"] is False


def test_presence_weighting_counts_each_bucket_once_with_unit_norm() -> None:
    feat = HashingFeaturizer(bits=16, n_max=2, weighting="binary")
    feats = feat.transform(["差差差差", "质量差，质量差", ""])
    mat = feat.to_csr(feats).toarray()
    np.testing.assert_allclose((mat**2).sum(axis=1), 1.0, rtol=1e-6)
    for row in mat:  # every bucket present in a text weighs the same, however often it occurs
        assert np.unique(row[row > 0]).size == 1
    # "差差差差" framed has 4 distinct buckets (差, ^差, 差差, 差$); the default weighting lets repeats add up
    assert np.count_nonzero(mat[0]) == 4 and mat[0].max() == pytest.approx(0.5)
    plain = HashingFeaturizer(bits=16, n_max=2).transform(["差差差差"])
    assert HashingFeaturizer(bits=16, n_max=2).to_csr(plain).toarray().max() > 0.5
    assert feat.config["weighting"] == "binary" and HashingFeaturizer().config["weighting"] == "sqrt"


def test_an_unknown_weighting_is_refused() -> None:
    with pytest.raises(ValueError, match="weighting"):
        HashingFeaturizer(weighting="tfidf")
    with pytest.raises(ValueError, match="weighting"):
        HashingFeaturizer(bits=12).transform(["质量差"]).restrict(2, 12, "tfidf")


def test_to_csr_leaves_the_features_as_they_were() -> None:
    feat = HashingFeaturizer(bits=12, n_max=2)
    feats = feat.transform(["好好好好", "质量差，质量差"])
    values = feats.values.copy()
    feat.to_csr(feats)
    np.testing.assert_array_equal(feats.values, values)


def test_idf_is_folded_into_weights_that_read_raw_features() -> None:
    """Learning on idf-scaled features gives the same scores as the saved model on raw ones."""
    from scipy.sparse import diags
    from sklearn.linear_model import LogisticRegression

    from aftersales.nlp.models import fitting

    model = _multilabel_presence_idf()
    x = model.featurizer.to_csr(model.featurize(POS + NEG)[1])
    scale = fitting.idf_weights(x)
    df = np.asarray((x > 0).sum(axis=0)).ravel()
    np.testing.assert_allclose(scale, np.log(13.0 / (1.0 + df)) + 1.0)
    y = np.array([0] * 6 + [1, 0, 1, 0, 1, 0])  # quality_defect
    ref = LogisticRegression(C=3.0, solver="liblinear", class_weight="balanced", random_state=0)
    ref.fit(x @ diags(scale), y)
    want = ref.decision_function(x @ diags(scale))
    got = model.decision_function(POS + NEG)[:, 0]
    np.testing.assert_allclose(got, want, atol=2e-3)  # float32 weights, |w| < 1e-3 not pruned here


def test_a_multilabel_nb_lr_is_the_mean_of_both_learners_folded_into_raw_weights() -> None:
    """Each label's weights average a balanced LR and an NB-LR (Wang & Manning 2012) on the idf-scaled features."""
    from scipy.sparse import diags
    from sklearn.linear_model import LogisticRegression

    from aftersales.nlp.models import fitting

    model = _multilabel_presence_idf_nb()
    x = model.featurizer.to_csr(model.featurize(POS + NEG)[1])
    xs = x @ diags(fitting.idf_weights(x))
    y = np.array([0] * 6 + [1, 0, 1, 0, 1, 0])  # quality_defect
    present = (x > 0).astype(np.float64)
    pos = np.asarray(present[y == 1].sum(axis=0)).ravel() + 1.0
    neg = np.asarray(present[y == 0].sum(axis=0)).ravel() + 1.0
    ratio = np.log((pos / pos.sum()) / (neg / neg.sum()))
    lr = LogisticRegression(C=3.0, solver="liblinear", class_weight="balanced", random_state=0).fit(xs, y)
    nb = LogisticRegression(C=3.0, solver="liblinear", class_weight="balanced", random_state=0)
    nb.fit(xs @ diags(ratio), y)
    want = (lr.decision_function(xs) + nb.decision_function(xs @ diags(ratio))) / 2.0
    np.testing.assert_allclose(model.decision_function(POS + NEG)[:, 0], want, atol=2e-3)
    assert not np.allclose(model.decision_function(POS + NEG), _multilabel_presence_idf().decision_function(POS + NEG))


def _soft_fit(y: list[object]) -> HashedLinearClassifier:
    labels = ["quality_defect", "wrong_item", "logistics_delay"]
    feat = HashingFeaturizer(bits=12, n_max=3, weighting="binary")
    model = HashedLinearClassifier("reasons", labels, multilabel=True, featurizer=feat)
    return model.fit(POS + NEG, y, C=3.0, idf=True, nb_C=3.0, folds=3)


def test_soft_targets_of_zero_and_one_learn_what_the_label_lists_learn() -> None:
    """A mapping of labels to 1.0 (the rest 0) is the list of those labels: the weighted-rows path is the same fit."""
    as_dicts = [{"wrong_item": 0.0} | {lab: 1.0 for lab in rs} for rs in [[]] * 6 + REASONS]
    soft, hard = _soft_fit(as_dicts), _multilabel_presence_idf_nb()
    np.testing.assert_allclose(soft.decision_function(POS + NEG), hard.decision_function(POS + NEG), atol=1e-3)
    np.testing.assert_array_equal(soft.thresholds, hard.thresholds)


def test_a_soft_target_pulls_a_label_by_its_probability() -> None:
    """One text taught quality_defect at 0.9 reads it likelier than at 0.1, and both lie between 0 and 1 taught."""
    text = POS[0]

    def reading(p: float) -> float:
        y: list[object] = [[]] * 6 + REASONS
        y[0] = {"quality_defect": p}
        return float(_soft_fit(y).decision_function([text])[0, 0])

    low, high = reading(0.1), reading(0.9)
    assert reading(0.0) < low < high < reading(1.0)


def test_soft_targets_outside_zero_to_one_are_refused() -> None:
    with pytest.raises(ValueError, match=r"row 0: soft targets must be probabilities in \[0, 1\]"):
        _soft_fit([{"quality_defect": 1.5}] + [[]] * 11)


def test_a_model_saved_before_weightings_existed_loads_with_the_default(tmp_path: Path) -> None:
    model = _multilabel()
    header = model.header()
    del header["featurizer"]["weighting"]
    path = model.save(tmp_path / "m.npz")
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["header"] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    np.savez_compressed(path, **arrays)
    loaded = HashedLinearClassifier.load(path)
    assert loaded.featurizer.weighting == "sqrt"
    assert [p.labels for p in loaded.predict(NEG)] == [p.labels for p in model.predict(NEG)]
