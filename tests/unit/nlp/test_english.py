"""English customer-service messages (issue #3): reasons with evidence, complaint stage, negation, routing.

The Chinese models are not trusted on English text (`combine.model_trust` is 0 there), so an English customer message
is read by the rule layer alone: these sentences check that the English lexicons carry every reason and stage. The
English models (GoEmotions, Reddit) read the polarity and emotion of English social posts only (v2026.11.16, as
the `social` override of `CombinerParams.english_model_trust`): they read polite complaints as praise.
"""

from __future__ import annotations

import numpy as np
import pytest

from aftersales.nlp.analyzer import Analyzer


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer.default()


# (message, reasons that must be found — () means none at all, stage)
CASES: list[tuple[str, tuple[str, ...], str]] = [
    ("The jacket is way too small, I need a size up.", ("size_fit",), "explicit"),
    ("These shoes run half a size small and pinch my toes.", ("size_fit",), "explicit"),
    ("The dress doesn't fit at all, can I exchange it for a large?", ("size_fit",), "explicit"),
    ("I ordered a blue kettle but you sent me a red one.", ("wrong_item",), "explicit"),
    ("Received the wrong item in my package, this is not what I ordered.", ("wrong_item",), "explicit"),
    ("You shipped me the 64GB model instead of the 128GB one.", ("wrong_item",), "explicit"),
    ("The box came without the charger and the manual.", ("missing_parts",), "explicit"),
    ("Two screws are missing so I can't assemble the table.", ("missing_parts",), "explicit"),
    ("Only one of the two pillows was in the parcel.", ("missing_parts",), "explicit"),
    ("Item arrived broken. Very disappointed.", ("damaged_in_transit",), "explicit"),
    ("The glass was shattered when I opened the box.", ("damaged_in_transit",), "explicit"),
    ("The package was crushed and the mug inside is chipped.", ("damaged_in_transit",), "explicit"),
    ("My order is two weeks late and the tracking hasn't updated.", ("logistics_delay",), "explicit"),
    ("It's been 10 days and my package still hasn't arrived.", ("logistics_delay",), "explicit"),
    ("Delivery was supposed to be Monday, it's Friday and still nothing.", ("logistics_delay",), "explicit"),
    ("I returned the item a month ago and still haven't received my refund.", ("service_attitude",), "explicit"),
    ("Where is my refund? You promised it within 5 days.", ("service_attitude",), "explicit"),
    (
        "I have asked three times, where is my refund? I will report you to the consumer association.",
        ("service_attitude",),
        "intent_to_complain",
    ),
    ("This is clearly a fake, the logo is printed crooked.", ("counterfeit",), "explicit"),
    ("The perfume is not authentic, it smells nothing like the original.", ("counterfeit",), "explicit"),
    ("The color looks nothing like the photos on your website.", ("not_as_described",), "explicit"),
    ("The description said solid wood but it's cheap particle board.", ("not_as_described",), "explicit"),
    ("It's much smaller than it looked in the pictures.", ("not_as_described",), "explicit"),
    ("The app is so confusing, I can't figure out how to pair the headphones.", ("hard_to_use",), "explicit"),
    ("The instructions are unclear and setup took me hours.", ("hard_to_use",), "explicit"),
    ("I bought it last week and now it's $50 cheaper, I want the price difference back.", ("price",), "explicit"),
    ("Way overpriced for such cheap plastic.", ("price",), "explicit"),
    ("You charged me twice for the same order.", ("price",), "explicit"),
    ("Your agent was rude and hung up on me.", ("service_attitude",), "explicit"),
    ("I've emailed support three times and nobody has replied.", ("service_attitude",), "explicit"),
    ("I changed my mind and would like to return it, it's unopened.", ("changed_mind",), "explicit"),
    ("I ordered this by mistake, please cancel my order.", ("changed_mind",), "explicit"),
    ("The blender stopped working after two days.", ("quality_defect",), "explicit"),
    ("The zipper broke the first time I used it.", ("quality_defect",), "explicit"),
    ("Thank you so much for the quick refund.", (), "none"),
    ("The package arrived on time and nothing was missing.", (), "none"),
    ("The box wasn't damaged at all, thanks for packing it so well.", (), "none"),
    ("It's not expensive for what you get.", (), "none"),
    ("No problems with the fit, the size is perfect.", (), "none"),
    ("Not bad at all, works as described.", (), "none"),
    ("Hi, could you tell me what your return policy is?", (), "none"),
    ("How do I track my order?", (), "none"),
    ("I haven't had any issues with it so far.", (), "none"),
    ("If I don't get my money back by Friday I will file a chargeback.", (), "intent_to_complain"),
    ("I have already filed a complaint with my bank and the BBB.", (), "formal_complaint"),
    ("Your support is useless, I want to speak to a manager now!", ("service_attitude",), "intent_to_complain"),
    ("It's okay I guess, but the stitching could be better.", (), "latent"),
    ("Never had such a bad experience with an online store.", (), "explicit"),
]


@pytest.mark.parametrize(("text", "reasons", "stage"), CASES)
def test_english_reasons_and_stage(analyzer: Analyzer, text: str, reasons: tuple[str, ...], stage: str) -> None:
    a = analyzer.analyze(text)
    assert a.language == "en"
    assert a.stage == stage
    if reasons:
        assert set(reasons) <= set(a.reasons)
        for code in reasons:  # every reason shows the words that drove it, in what the customer wrote
            spans = a.evidence[f"reason:{code}"]
            assert spans and all(text[e.start : e.end] == e.text for e in spans)
    else:
        assert a.reasons == ()


def test_enough_cases() -> None:
    assert len(CASES) >= 40
    assert len({r for _t, rs, _s in CASES for r in rs}) == 12  # every reason code but `other`


@pytest.mark.parametrize(
    ("text", "polarity", "emotions"),
    [
        ("Thank you so much for the quick refund.", "positive", ("gratitude",)),
        ("Item arrived broken. Very disappointed.", "negative", ("disappointment",)),
        (
            "I have asked three times, where is my refund? I will report you to the consumer association.",
            "negative",
            ("anger", "dissatisfaction"),
        ),
        ("The package arrived on time and nothing was missing.", "positive", ("satisfaction",)),
        ("Hi, could you tell me what your return policy is?", "neutral", ("neutral",)),
        ("Your agent was rude and hung up on me.", "negative", ("anger", "dissatisfaction")),
    ],
)
def test_english_polarity_and_emotion(analyzer: Analyzer, text: str, polarity: str, emotions: tuple[str, ...]) -> None:
    a = analyzer.analyze(text)
    assert a.polarity == polarity and a.emotion in emotions


@pytest.mark.parametrize(
    "text",
    [
        "I opened the box and everything was fine.",  # "I opened" is no opened dispute
        "I submitted my return request yesterday.",
        "I called you this morning about my order.",
    ],
)
def test_ordinary_past_actions_are_not_formal_complaints(analyzer: Analyzer, text: str) -> None:
    assert analyzer.analyze(text).stage != "formal_complaint"


@pytest.mark.parametrize(
    "text",
    [
        "What is your refund policy?",
        "Can I check the status of my refund?",
        "Is there a money back guarantee?",
    ],
)
def test_questions_about_policy_are_no_complaint(analyzer: Analyzer, text: str) -> None:
    a = analyzer.analyze(text)
    assert a.reasons == () and a.stage in ("none", "latent")


def test_swearing_is_anger_but_judges_no_aspect(analyzer: Analyzer) -> None:
    a = analyzer.analyze("I'd like to ask a fucking agent about delivery options")
    assert a.emotion == "anger" and a.reasons == ()  # not service_attitude (agent) nor logistics_delay (delivery)


def _without_english(analyzer: Analyzer) -> Analyzer:
    return Analyzer({t: m for t, m in analyzer.models.items() if not t.endswith("_en")}, params=analyzer.params)


def test_english_models_read_english_social_posts_only(analyzer: Analyzer) -> None:
    """Chinese and mixed texts, and English customer messages, read the same with or without the English models;
    English social posts are theirs to read."""
    assert {"polarity_en", "emotion_en"} <= set(analyzer.tasks)
    texts = [
        "质量太差了，要退货",
        "The jacket is too small",
        "这个 charger 坏了",
        "谢谢，问题解决了",
        "Thanks, all good now",
    ]
    probs = analyzer.model_probabilities([analyzer.prepare([t]).norms[0] for t in texts])
    english = [analyzer.prepare([t]).norms[0].language == "en" for t in texts]
    assert english == [False, True, False, False, True]
    for task in ("polarity_en", "emotion_en"):
        assert np.allclose(probs[task].sum(axis=1), english)  # a distribution for English rows, zeros elsewhere
    plain = _without_english(analyzer)
    for text, is_en in zip(texts, english, strict=True):
        for channel in (None, "chat", "email", "review"):  # customer messages: the English lexicons alone
            assert analyzer.analyze(text, channel).to_dict() == plain.analyze(text, channel).to_dict(), (text, channel)
        post, plain_post = analyzer.analyze(text, "social").to_dict(), plain.analyze(text, "social").to_dict()
        assert (post == plain_post) == (not is_en), text


def test_english_trust_is_a_social_override(analyzer: Analyzer) -> None:
    assert analyzer.params.english_model_trust == 0.0
    assert analyzer.params.for_social().english_model_trust > 0.0


def test_a_polite_english_complaint_reads_as_a_complaint(analyzer: Analyzer) -> None:
    """The demo message that the English models read as praise at customer trust 0.5 (stop 23, reverted)."""
    a = analyzer.analyze("Hello, My floral dress is not as described. This is not okay.", "email")
    assert (a.polarity, a.stage, a.reasons) == ("negative", "explicit", ("not_as_described",))


def test_english_model_trust_zero_is_the_rule_only_reading(analyzer: Analyzer) -> None:
    from dataclasses import replace

    texts = ["I love it, thank you so much!", "This is the worst purchase ever, I want my money back"]
    params = replace(analyzer.params, social={**analyzer.params.social, "english_model_trust": 0.0})
    off = Analyzer(analyzer.models, params=params)
    plain = _without_english(analyzer)
    for channel in (None, "social"):
        got = [a.to_dict() for a in off.analyze_batch(texts, channels=channel)]
        assert got == [a.to_dict() for a in plain.analyze_batch(texts, channels=channel)]
