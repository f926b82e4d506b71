"""Negation and degree words (issue #3): a negated complaint reads positive/neutral and names no reason.

Two layers are checked: the rule layer must read the negation (cleared evidence, denied reasons, `negated_share`),
and the Analyzer must let that reading outweigh character n-gram models that see only "差" in "一点也不差".
"""

from __future__ import annotations

import numpy as np
import pytest

from aftersales.nlp import combine as cb
from aftersales.nlp.analyzer import Analyzer
from aftersales.nlp.normalise import normalise
from aftersales.nlp.rules import RuleLayer, RuleSignals


@pytest.fixture(scope="module")
def layer() -> RuleLayer:
    return RuleLayer()


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer.default()


def sig(layer: RuleLayer, text: str) -> RuleSignals:
    return layer.signals(normalise(text))


# Negated complaints (double negation, negated negative words, denied problems): never a complaint.
NEGATED_COMPLAINTS = [
    "赠品没有问题，质量也不错",  # the polarity model alone reads this 0.64 negative (v2026.11.8)
    "一点也不差",
    "并不难用",
    "没有坏",
    "不算贵",
    "没什么问题",
    "质量不差",
    "东西没坏，包装也没有破损",
    "一点都不贵，很划算",
    "物流不慢，第二天就到了",
    "没有色差，和图片一样",
    "没有异味",
    "尺码不偏小，很合适",
    "没发现什么问题",
    "用了一个月也没出问题",
    "屏幕没有划痕",
    "客服态度一点也不差",
    "没有任何质量问题",
    "不难安装",
    "不是假货，放心",
    "價格不貴",  # traditional characters are normalised first
    "不卡，很流畅",
    "not bad at all",
    "Nothing was missing and nothing was broken.",
    "The box wasn't damaged at all.",
]


@pytest.mark.parametrize("text", NEGATED_COMPLAINTS)
def test_negated_complaint_reads_positive_or_neutral(analyzer: Analyzer, text: str) -> None:
    a = analyzer.analyze(text)
    assert a.polarity in ("positive", "neutral"), (a.polarity, a.polarity_score)
    assert a.reasons == ()
    assert a.stage in ("none", "latent")
    assert a.emotion in ("satisfaction", "relief", "gratitude", "neutral")


@pytest.mark.parametrize("text", [t for t in NEGATED_COMPLAINTS if t not in ("不卡，很流畅", "not bad at all")])
def test_rule_layer_records_the_cleared_complaint(layer: RuleLayer, text: str) -> None:
    s = sig(layer, text)
    assert s.negated_share > 0.5
    assert s.polarity >= 0
    assert max(s.reasons[c] - s.negated_reasons[c] for c in s.reasons) < 0.8


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("没有坏", "quality_defect"),
        ("不算贵", "price"),
        ("物流不慢", "logistics_delay"),
        ("尺码不偏小", "size_fit"),
        ("nothing was missing", "missing_parts"),
        ("it was not damaged", "damaged_in_transit"),
    ],
)
def test_denied_reason_is_counter_evidence(layer: RuleLayer, text: str, reason: str) -> None:
    s = sig(layer, text)
    assert s.negated_reasons[reason] > 0
    assert s.reasons[reason] < 0.8
    assert any("denies" in e.note or "negated by" in e.note for e in s.evidence["polarity"])


# Negation that must NOT clear the complaint: scope breaks, lexicalised complaints, rhetorical questions, mixed text.
@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("没两天就坏了", "quality_defect"),  # 就 starts a new predicate: "broke within two days"
        ("还没用就坏了", "quality_defect"),
        ("从来没有这么差过", None),  # never this bad
        ("没见过这么差的东西", None),
        ("不是很满意", None),  # negated praise stays a (mild) complaint
        ("好得很，用两天就坏了", "quality_defect"),  # ironic praise before the contrast
        ("质量不差，就是物流太慢了", "logistics_delay"),
        ("根本不值这个价", "price"),  # the lexicalised 不值这个价 survives the longer negator 根本不
        ("不退差价，只能给差评了", "price"),  # a refused request is no denial
        ("没有说明书", "missing_parts"),  # an absent thing is a missing part
        ("这不是骗人吗？", None),  # rhetorical 不是…吗 asserts
        ("Never had such a bad experience.", None),
        ("The item is not as described.", "not_as_described"),
        ("It isn't working anymore.", "quality_defect"),
    ],
)
def test_negation_that_keeps_the_complaint(analyzer: Analyzer, text: str, reason: str | None) -> None:
    a = analyzer.analyze(text)
    assert a.polarity == "negative", (a.polarity, a.polarity_score)
    if reason:
        assert reason in a.reasons


@pytest.mark.parametrize(
    ("text", "polarity", "stages", "intensity_max"),
    [
        ("不是很满意", "negative", ("latent", "explicit"), 2),
        ("还行吧", "positive", ("none", "latent"), 1),
        ("一点也不差", "positive", ("none",), 3),
    ],
)
def test_issue_examples(
    analyzer: Analyzer, text: str, polarity: str, stages: tuple[str, ...], intensity_max: int
) -> None:
    a = analyzer.analyze(text)
    assert a.polarity == polarity and a.stage in stages and a.intensity <= intensity_max


def test_emphatic_negation_is_stronger_and_noted(layer: RuleLayer) -> None:
    emphatic, plain = sig(layer, "一点也不差"), sig(layer, "不差")
    assert emphatic.polarity > plain.polarity > 0
    assert any("一点也" in e.note for e in emphatic.evidence["emotion:satisfaction"])
    assert emphatic.negated_share == plain.negated_share == 1.0


def test_nothing_negated_means_full_model_trust(layer: RuleLayer) -> None:
    for text in ("质量太差了", "很好用", "", "Great product"):
        assert sig(layer, text).negated_share == 0.0


def test_unread_clauses_lower_the_negated_share(layer: RuleLayer) -> None:
    short, long = sig(layer, "没有坏"), sig(layer, "没有坏，收到后放在家里三周，昨天拿出来给孩子试了试")
    assert short.negated_share == 1.0
    assert 0 < long.negated_share < short.negated_share


def test_model_trust_is_one_without_negation_and_falls_with_it() -> None:
    params = cb.CombinerParams()
    lang = np.array([1.0, 1.0, 0.0, 1.0])
    share = np.array([0.0, 1.0, 0.0, 1.0])
    complaint = np.array([1.0, 1.0, 1.0, 0.0])  # the last: the model already reads praise
    assert cb.model_trust(lang, share, params, complaint).tolist() == [1.0, 0.0, 0.0, 1.0]


def test_full_trust_reproduces_the_fitted_combination() -> None:
    rng = np.random.default_rng(0)
    params = cb.CombinerParams(emotion_rule_weight=3.0, reason_rule_weight=3.5, reason_bias=-1.0)
    p = rng.dirichlet(np.ones(8), size=5)
    rule = rng.random((5, 8))
    ones = np.ones(5)
    assert np.allclose(cb.combine_emotion(p, rule, params, ones), cb.combine_emotion(p, rule, params))
    pr, rr = rng.random((5, 13)), rng.random((5, 13))
    thr = np.full(13, 0.4)
    assert np.allclose(cb.combine_reasons(pr, rr, params, ones, thr), cb.combine_reasons(pr, rr, params))


def test_rule_only_reason_passes_its_threshold_at_the_cut() -> None:
    params = cb.CombinerParams()
    thr = np.array([0.3, 0.6])
    zero = np.zeros(1)
    at_cut = cb.combine_reasons(np.full((1, 2), 0.01), np.full((1, 2), params.rule_only_reason_cut), params, zero, thr)
    assert np.allclose(at_cut[0], thr)
    below = cb.combine_reasons(np.full((1, 2), 0.99), np.full((1, 2), 0.5), params, zero, thr)
    assert (below[0] < thr).all()  # at trust 0 the model's 0.99 counts for nothing
