"""Rule layer: negation/degree/contrast handling, stage threats and floors, reasons, cues, evidence offsets."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales.nlp.lexicons import Lexicons
from aftersales.nlp.normalise import normalise
from aftersales.nlp.rules import REASON_CODES, RuleLayer, RuleSignals, stage_at_least
from aftersales.vocab import Emotion, Reason, Stage


@pytest.fixture(scope="module")
def layer() -> RuleLayer:
    return RuleLayer()


def sig(layer: RuleLayer, text: str) -> RuleSignals:
    return layer.signals(normalise(text))


def top(scores: dict[str, float]) -> str:
    return max(scores, key=lambda k: scores[k])


# --------------------------------------------------------------------------------------------------------------
# Negation, degree, contrast


@pytest.mark.parametrize(
    ("text", "sign", "emotion"),
    [
        ("不是很满意", -1, "dissatisfaction"),  # negated positive, softened by 很
        ("一点也不差", 1, "satisfaction"),  # emphatic negation of a negative word
        ("质量很好，物流也快", 1, "satisfaction"),
        ("不会再买了", -1, "dissatisfaction"),
        ("太失望了，本以为很好用", -1, "disappointment"),
        ("气死我了，什么破东西，骗子！", -1, "anger"),
        ("怎么还没发货？急用", -1, "anxiety"),
        ("终于到了，放心了", 1, "relief"),
        ("谢谢客服，辛苦了", 1, "gratitude"),
        ("不用担心", 1, "relief"),  # negated worry
        ("not bad", 1, "satisfaction"),
        ("I'm not happy with this", -1, "dissatisfaction"),
        ("never again", -1, "dissatisfaction"),
        ("Thanks a lot for your help", 1, "gratitude"),
        ("Very disappointed, not what I expected", -1, "disappointment"),
    ],
)
def test_polarity_sign_and_top_emotion(layer: RuleLayer, text: str, sign: int, emotion: str) -> None:
    s = sig(layer, text)
    assert math.copysign(1, s.polarity) == sign and s.polarity != 0
    assert top(s.emotion) == emotion


@pytest.mark.parametrize(
    ("text", "emotion"),
    [
        ("东西不错，谢谢快递小哥", "gratitude"),  # thanks to a person outweighs a word of praise
        ("东西不错，快递师傅辛苦了", "gratitude"),
        ("发错货了，京东立马换过来了", "relief"),  # a problem that got resolved
        ("三个全发霉了，还好给我退了", "relief"),
        ("下单十天了，为什么还没收到？", "anxiety"),  # a waiting question
        ("刚收到，还没用，但愿是正品", "anxiety"),
    ],
)
def test_rare_customer_service_emotions(layer: RuleLayer, text: str, emotion: str) -> None:
    assert top(sig(layer, text).emotion) == emotion


@pytest.mark.parametrize(
    ("text", "sign"),
    [("客服不错", 1), ("客服不好", -1), ("客服不理人", -1), ("赠品没问题", 1), ("赠品没给", -1), ("发票没开", -1)],
)
def test_an_aspect_term_does_not_swallow_the_negation_after_it(layer: RuleLayer, text: str, sign: int) -> None:
    """A term ending in 不/没 ("客服不", "赠品没") once ate the negator of "不错"/"没问题" and flipped the reading."""
    s = sig(layer, text)
    assert math.copysign(1, s.polarity) == sign and s.polarity != 0


@pytest.mark.parametrize(
    "text", ["赠品没有问题", "发票没有问题", "餐具没有坏，东西不错", "赠品没有什么问题，质量也不错"]
)
def test_a_missing_part_term_does_not_read_a_denied_problem(layer: RuleLayer, text: str) -> None:
    """ "赠品没有" (the gift is missing) must not take the 没有 of "没有问题" (the gift is fine)."""
    s = sig(layer, text)
    assert s.reasons["missing_parts"] == 0 and s.polarity >= 0
    # the denied problem is still read as one, so the models' trust falls where "没有问题" fools them
    assert s.negations == 1 and s.negated_share == 1.0


def test_a_missing_part_is_still_read(layer: RuleLayer) -> None:
    assert sig(layer, "赠品没有，差评").reasons["missing_parts"] >= 0.8


def test_still_okay_is_not_relief(layer: RuleLayer) -> None:
    """In a review 还好 mostly means "just okay" (docs/labelling.md, round 4): weak evidence, not a resolved worry."""
    s = sig(layer, "质量还好，就是有点贵")
    assert s.emotion["relief"] < 0.5
    assert top(s.emotion) != "relief"


def test_softened_negation_is_milder_than_plain_complaint(layer: RuleLayer) -> None:
    mild, plain = sig(layer, "不是很满意"), sig(layer, "很不满意")
    assert -0.5 < mild.polarity < 0
    assert plain.polarity < mild.polarity
    assert mild.intensity < plain.intensity
    notes = [e.note for e in mild.evidence["emotion:dissatisfaction"]]
    assert any("negated by 不是" in n for n in notes)


def test_hedged_praise_is_weak_positive_and_mild(layer: RuleLayer) -> None:
    s = sig(layer, "还行吧")
    assert 0 < s.polarity < 0.5
    assert s.intensity == 1.0
    assert s.stage["latent"] > 0


def test_clause_after_contrast_weighs_more(layer: RuleLayer) -> None:
    s = sig(layer, "好得很，用两天就坏了")
    assert s.reasons["quality_defect"] >= 1.0
    assert s.polarity < 0
    assert top(s.emotion) == "dissatisfaction"


@pytest.mark.parametrize("text", ["没有坏", "东西没坏", "屏幕没有坏掉", "一点都没坏"])
def test_negated_defect_does_not_fire(layer: RuleLayer, text: str) -> None:
    s = sig(layer, text)
    assert s.reasons["quality_defect"] < 0.3  # at most a topic mention (屏幕), never a defect
    assert all(e.note == "topic only" for e in s.evidence.get("reason:quality_defect", ()))


@pytest.mark.parametrize("text", ["还没到", "快递一直没到", "到现在还没收到"])
def test_not_yet_arrived_is_logistics_not_a_negation(layer: RuleLayer, text: str) -> None:
    s = sig(layer, text)
    assert s.reasons["logistics_delay"] >= 1.0
    assert s.polarity < 0


def test_degree_words_scale_and_are_noted(layer: RuleLayer) -> None:
    strong, plain, weak = sig(layer, "非常慢"), sig(layer, "慢"), sig(layer, "有点慢")
    assert strong.emotion["dissatisfaction"] > plain.emotion["dissatisfaction"] > weak.emotion["dissatisfaction"] > 0
    assert any(e.note == "degree ×1.5 非常" for e in strong.evidence["emotion:dissatisfaction"])
    assert strong.intensity > weak.intensity


def test_negator_does_not_reach_across_punctuation(layer: RuleLayer) -> None:
    assert sig(layer, "不，满意").polarity > 0
    assert sig(layer, "不满意").polarity < 0


def test_intensity_from_punctuation_insults_and_stacking(layer: RuleLayer) -> None:
    calm, loud = sig(layer, "质量差"), sig(layer, "质量太太太差了！！！垃圾！")
    assert loud.intensity == 3.0
    assert 1.0 <= calm.intensity < loud.intensity
    assert sig(layer, "请问怎么申请退货").intensity <= 1.5


# --------------------------------------------------------------------------------------------------------------
# Stage threats and the stage floor


@pytest.mark.parametrize(
    ("text", "floor"),
    [
        ("已经向12315投诉了", "formal_complaint"),
        ("我已经在黑猫投诉上投诉了", "formal_complaint"),
        ("昨天打了12315，消协已经受理", "formal_complaint"),
        ("已报警", "formal_complaint"),
        ("再不退款我就投诉", "intent_to_complain"),
        ("再不处理我就投诉了", "intent_to_complain"),  # 投诉了 after 就 is a threat, not a filed complaint
        ("東西壞了，我要投訴到12315！", "intent_to_complain"),
        ("不解决我就去消费者协会", "intent_to_complain"),
        ("我要曝光你们，发微博", "intent_to_complain"),
        ("找律师起诉你们", "intent_to_complain"),
        ("差评警告！", "intent_to_complain"),
        ("不给退就给差评", "intent_to_complain"),
        ("大家千万别买", "intent_to_complain"),
        ("投诉无门", "intent_to_complain"),
        ("我不会投诉的，放心", "none"),
        ("质量太差了，差评", "none"),  # a negative review is explicit, not a threat
        ("质量不错，物流快", "none"),
        ("I will report you to the BBB", "intent_to_complain"),
        ("I'm going to leave a bad review and do a chargeback", "intent_to_complain"),
        ("I want to speak to a manager", "intent_to_complain"),
        ("I have filed a complaint with the FTC", "formal_complaint"),
        ("We already reported this to consumer protection", "formal_complaint"),
    ],
)
def test_stage_floor(layer: RuleLayer, text: str, floor: str) -> None:
    assert sig(layer, text).stage_floor == floor


@pytest.mark.parametrize(
    ("text", "stage"),
    [
        ("质量不错，物流快", "none"),
        ("还可以吧，就是有点慢", "latent"),
        ("质量太差，用了两天就坏了", "explicit"),
        ("发错货了", "explicit"),
    ],
)
def test_stage_scores_point_at_the_stage(layer: RuleLayer, text: str, stage: str) -> None:
    s = sig(layer, text)
    assert top(s.stage) == stage
    assert s.stage_floor == "none"


def test_stage_at_least_orders_stages() -> None:
    assert stage_at_least("explicit", "intent_to_complain") == "intent_to_complain"
    assert stage_at_least("formal_complaint", "intent_to_complain") == "formal_complaint"
    assert stage_at_least("latent", "none") == "latent"


# --------------------------------------------------------------------------------------------------------------
# Reasons


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("用了三天就坏了，经常死机", "quality_defect"),
        ("It stopped working after a week", "quality_defect"),
        ("这是假货吧，根本不是正品", "counterfeit"),
        ("Pretty sure this is a fake", "counterfeit"),
        ("收到的时候盒子压坏了，瓶子碎了", "damaged_in_transit"),
        ("The package arrived damaged", "damaged_in_transit"),
        ("发错货了，颜色不对", "wrong_item"),
        ("You sent the wrong item", "wrong_item"),
        ("少了一个配件，漏发了", "missing_parts"),
        ("Two parts missing from the box", "missing_parts"),
        ("色差太大，和图片不一样", "not_as_described"),
        ("Not as described at all", "not_as_described"),
        ("尺码偏小，挤脚", "size_fit"),
        ("The shoes are too small", "size_fit"),
        ("物流太慢了，一周了还没到", "logistics_delay"),
        ("My order has still not arrived", "logistics_delay"),
        ("说明书看不懂，不会用", "hard_to_use"),
        ("It's really hard to use", "hard_to_use"),
        ("拍错了，不想要了", "changed_mind"),
        ("I changed my mind", "changed_mind"),
        ("刚买就降价了，要求价保", "price"),
        ("Way too expensive for what it is", "price"),
        ("客服态度很差，一直不回复", "service_attitude"),
        ("Customer service was rude and unhelpful", "service_attitude"),
        ("汤都洒了", "damaged_in_transit"),
        ("饭菜送到都凉了", "logistics_delay"),
        ("没给筷子", "missing_parts"),
    ],
)
def test_each_reason_fires(layer: RuleLayer, text: str, reason: str) -> None:
    s = sig(layer, text)
    assert s.reasons[reason] >= 0.8
    assert top(s.reasons) == reason
    assert s.evidence[f"reason:{reason}"]


@pytest.mark.parametrize("text", ["质量很好，物流很快，客服态度也好", "Great quality, fast shipping", "请问有发票吗"])
def test_praise_and_questions_have_no_strong_reason(layer: RuleLayer, text: str) -> None:
    assert max(sig(layer, text).reasons.values()) < 0.8


def test_aspect_needs_a_negative_opinion(layer: RuleLayer) -> None:
    bad, good = sig(layer, "客服态度很差"), sig(layer, "客服态度很好")
    assert bad.reasons["service_attitude"] >= 0.8 > good.reasons["service_attitude"]
    assert any("with 很差" in e.note for e in bad.evidence["reason:service_attitude"])


# --------------------------------------------------------------------------------------------------------------
# Cues


@pytest.mark.parametrize(
    ("text", "emotion", "source"),
    [
        ("😡😡", "anger", "emoji"),
        ("收到了🙏", "gratitude", "emoji"),
        ("好评👍", "satisfaction", "emoji"),
        ("又坏了 T_T", "disappointment", "emoji"),
        ("怎么还没到？？？", "anxiety", "punctuation"),
    ],
)
def test_cues_feed_emotion_with_evidence(layer: RuleLayer, text: str, emotion: str, source: str) -> None:
    s = sig(layer, text)
    assert s.emotion[emotion] > 0
    assert any(e.source == source for e in s.evidence[f"emotion:{emotion}"])


@pytest.mark.parametrize(
    ("text", "source"),
    [("太差了！！！", "punctuation"), ("THIS IS TERRIBLE", "typography"), ("sooo bad", "typography")],
)
def test_cues_raise_intensity(layer: RuleLayer, text: str, source: str) -> None:
    s = sig(layer, text)
    assert any(e.source == source for e in s.evidence["intensity"])
    assert s.intensity >= 2.0


# --------------------------------------------------------------------------------------------------------------
# Evidence offsets point at what the customer wrote


def test_evidence_on_traditional_input_points_at_original(layer: RuleLayer) -> None:
    raw = "東西壞了，我要投訴到12315！"
    s = sig(layer, raw)
    (defect,) = s.evidence["reason:quality_defect"]
    assert (defect.text, raw[defect.start : defect.end]) == ("壞了", "壞了")
    threats = {e.text for e in s.evidence["stage:intent_to_complain"]}
    assert {"投訴", "12315"} <= threats


def test_evidence_offsets_survive_width_folding_and_whitespace(layer: RuleLayer) -> None:
    raw = "  質量　　太差了！！！ ＶＥＲＹ　ＢＡＤ 😡"
    s = sig(layer, raw)
    for evs in s.evidence.values():
        for e in evs:
            assert raw[e.start : e.end] == e.text
    texts = {e.text for evs in s.evidence.values() for e in evs}
    assert {"質量", "太差", "ＢＡＤ", "！！！", "😡"} <= texts


@pytest.mark.parametrize(
    "text", ["不是很满意", "已经向12315投诉了", "物流太慢了，客服态度也很差😡", "I have filed a chargeback!!!"]
)
def test_every_evidence_span_matches_original(layer: RuleLayer, text: str) -> None:
    s = sig(layer, text)
    assert s.evidence
    for key, evs in s.evidence.items():
        assert key in layer_keys()
        for e in evs:
            assert text[e.start : e.end] == e.text and e.text


def layer_keys() -> set[str]:
    return (
        {"polarity", "intensity", "urgency", "politeness"}
        | {f"emotion:{c}" for c in Emotion.codes()}
        | {f"stage:{c}" for c in Stage.codes()}
        | {f"reason:{c}" for c in REASON_CODES}
    )


# --------------------------------------------------------------------------------------------------------------
# Contract: shapes, features, batch, extension


def test_signals_cover_every_code(layer: RuleLayer) -> None:
    s = sig(layer, "")
    assert list(s.emotion) == Emotion.codes()
    assert list(s.stage) == Stage.codes()
    assert list(s.reasons) == [c for c in Reason.codes() if c != "other"]
    assert (s.polarity, s.intensity, s.stage_floor, s.evidence) == (0.0, 0.0, "none", {})


def test_features_follow_feature_names(layer: RuleLayer) -> None:
    names = layer.feature_names()
    assert len(names) == len(set(names))
    s = sig(layer, "已经向12315投诉了，质量太差")
    vec = dict(zip(names, layer.features(s), strict=True))
    assert vec["stage_floor:formal_complaint"] == 1.0 and vec["stage_floor:none"] == 0.0
    assert vec["reason:quality_defect"] == s.reasons["quality_defect"]
    assert vec["polarity"] == s.polarity
    assert names == RuleLayer().feature_names()  # stable across instances


def test_batch_equals_single(layer: RuleLayer) -> None:
    texts = ["发错货了", "谢谢", "", "never again"]
    assert layer.signals_batch([normalise(t) for t in texts]) == [sig(layer, t) for t in texts]


def test_lexicons_can_be_extended() -> None:
    base = RuleLayer()
    custom = RuleLayer(Lexicons.default().extend(reasons={"quality_defect": {"爆浆": 1.0}}))
    assert sig(base, "蛋糕爆浆").reasons["quality_defect"] == 0
    assert sig(custom, "蛋糕爆浆").reasons["quality_defect"] == 1.0
    with pytest.raises(KeyError):
        Lexicons.default().extend(reasons={"no_such_reason": {"x": 1.0}})


def test_lexicon_terms_are_canonical() -> None:
    """Terms must look like normalised text (simplified, folded), or the scanner can never match them."""
    lex = Lexicons.default()
    tables = [*lex.emotion.values(), *lex.stage.values(), *lex.reasons.values(), *lex.aspects.values()]
    tables += [lex.negators, lex.degree, lex.degree_suffix, lex.contrast, lex.hedges, lex.urgency, lex.politeness]
    assert set(lex.emotion) == set(Emotion.codes())
    assert set(lex.reasons) == set(REASON_CODES) and set(lex.aspects) <= set(REASON_CODES)
    assert set(lex.stage) <= set(Stage.codes())
    for table in tables:
        for term, weight in table.items():
            assert weight > 0, term
            assert term == term.strip() and "  " not in term, term
            assert normalise(term).text.lower() == term.lower(), term


# --------------------------------------------------------------------------------------------------------------
# Robustness


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_never_crashes_and_spans_stay_inside(text: str) -> None:
    layer = _shared_layer()
    s = layer.signals(normalise(text))
    assert -1.0 <= s.polarity <= 1.0
    assert 0.0 <= s.intensity <= 3.0
    assert s.stage_floor in Stage.codes()
    assert all(v >= 0 for v in (*s.emotion.values(), *s.stage.values(), *s.reasons.values()))
    for evs in s.evidence.values():
        for e in evs:
            assert 0 <= e.start <= e.end <= len(text)
            assert text[e.start : e.end] == e.text
    assert len(layer.features(s)) == len(layer.feature_names())


_LAYER: list[RuleLayer] = []


def _shared_layer() -> RuleLayer:
    if not _LAYER:
        _LAYER.append(RuleLayer())
    return _LAYER[0]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(["不", "很", "满意", "差", "投诉", "已经", "了", "，", "！", "坏了", "not ", "bad "]),
        max_size=12,
    )
)
def test_lexicon_soup_never_crashes(parts: list[str]) -> None:
    text = "".join(parts)
    s = _shared_layer().signals(normalise(text))
    for evs in s.evidence.values():
        for e in evs:
            assert text[e.start : e.end] == e.text
