"""Label mappings from each public corpus to our vocabulary (DESIGN.md §3); docs/models.md renders them as a table.

A source label mapped to ``None`` is dropped: the corpus has no code we can honestly map it to (e.g. *surprise*,
which can be delighted or shocked). Every target is a code of `aftersales.vocab`.
"""

from __future__ import annotations

from typing import Final

from aftersales.vocab import Emotion, Polarity

# 1/0 binary polarity of the SophonPlus sets (online_shopping_10_cats, waimai_10k, ChnSentiCorp_htl_all).
BINARY_POLARITY: Final[dict[int, str]] = {1: Polarity.POSITIVE.value, 0: Polarity.NEGATIVE.value}

# SMP2020-EWECT (usual + virus): six Weibo emotions.
SMP2020_EMOTION: Final[dict[str, str | None]] = {
    "happy": Emotion.SATISFACTION.value,
    "angry": Emotion.ANGER.value,
    "sad": Emotion.DISAPPOINTMENT.value,
    "fear": Emotion.ANXIETY.value,
    "neutral": Emotion.NEUTRAL.value,
    "surprise": None,  # positive or negative surprise: no single customer-service code
}

# How our eight codes collapse back onto SMP's labels, to score a model trained on our taxonomy against SMP's test set
# (SMP cannot express dissatisfaction, relief or gratitude, so each goes to the SMP label it would have been given).
EMOTION_TO_SMP: Final[dict[str, str]] = {
    Emotion.SATISFACTION.value: "happy",
    Emotion.RELIEF.value: "happy",
    Emotion.GRATITUDE.value: "happy",
    Emotion.ANGER.value: "angry",
    Emotion.DISSATISFACTION.value: "angry",
    Emotion.DISAPPOINTMENT.value: "sad",
    Emotion.ANXIETY.value: "fear",
    Emotion.NEUTRAL.value: "neutral",
}

# CLUE Emotion 2020 (Li et al. 2016 hashtag corpus): seven labels, no neutral.
CLUE_EMOTION: Final[dict[str, str | None]] = {
    "happiness": Emotion.SATISFACTION.value,
    "like": Emotion.SATISFACTION.value,
    "sadness": Emotion.DISAPPOINTMENT.value,
    "anger": Emotion.ANGER.value,
    "disgust": Emotion.DISSATISFACTION.value,
    "fear": Emotion.ANXIETY.value,
    "surprise": None,
}

# COVID-19 Weibo emotion (Lyu et al. 2020): numeric ids of its README.
COVID19_NAMES: Final[dict[int, str]] = {
    0: "fear",
    1: "disgust",
    2: "optimism",
    3: "surprise",
    4: "gratitude",
    5: "sadness",
    6: "anger",
}
COVID19_EMOTION: Final[dict[str, str | None]] = {
    "fear": Emotion.ANXIETY.value,
    "disgust": Emotion.DISSATISFACTION.value,
    "optimism": Emotion.SATISFACTION.value,
    "surprise": None,
    "gratitude": Emotion.GRATITUDE.value,
    "sadness": Emotion.DISAPPOINTMENT.value,
    "anger": Emotion.ANGER.value,
}

# GoEmotions (English): the labels with a customer-service counterpart; the rest (amusement, curiosity, love …) drop.
GOEMOTIONS_EMOTION: Final[dict[str, str | None]] = {
    "anger": Emotion.ANGER.value,
    "annoyance": Emotion.DISSATISFACTION.value,
    "disapproval": Emotion.DISSATISFACTION.value,
    "disgust": Emotion.DISSATISFACTION.value,
    "disappointment": Emotion.DISAPPOINTMENT.value,
    "sadness": Emotion.DISAPPOINTMENT.value,
    "nervousness": Emotion.ANXIETY.value,
    "fear": Emotion.ANXIETY.value,
    "neutral": Emotion.NEUTRAL.value,
    "approval": Emotion.SATISFACTION.value,
    "joy": Emotion.SATISFACTION.value,
    "admiration": Emotion.SATISFACTION.value,
    "relief": Emotion.RELIEF.value,
    "gratitude": Emotion.GRATITUDE.value,
}
GOEMOTIONS_POSITIVE: Final[frozenset[str]] = frozenset(
    [
        "admiration",
        "amusement",
        "approval",
        "caring",
        "desire",
        "excitement",
        "gratitude",
        "joy",
        "love",
        "optimism",
        "pride",
        "relief",
    ]
)
GOEMOTIONS_NEGATIVE: Final[frozenset[str]] = frozenset(
    [
        "anger",
        "annoyance",
        "disappointment",
        "disapproval",
        "disgust",
        "embarrassment",
        "fear",
        "grief",
        "nervousness",
        "remorse",
        "sadness",
    ]
)

# Zhijiang 2019 aspect categories (negative opinions only) as weak return-reason hints; None = no reason code.
ZHIJIANG_REASON: Final[dict[str, str | None]] = {
    "物流": "logistics_delay",
    "包装": "damaged_in_transit",
    "真伪": "counterfeit",
    "尺寸": "size_fit",
    "价格": "price",
    "服务": "service_attitude",
    "使用体验": "quality_defect",
    "功效": "quality_defect",
    "新鲜度": "quality_defect",
    "气味": "other",
    "成分": "other",
    "整体": None,
    "其他": "other",
}

ALL_MAPPINGS: Final[dict[str, dict[str, str | None]]] = {
    "smp2020_ewect": SMP2020_EMOTION,
    "clue_emotion2020": CLUE_EMOTION,
    "covid19_weibo_emotion7": COVID19_EMOTION,
    "goemotions": GOEMOTIONS_EMOTION,
    "zhijiang2019_ecommerce_opinion": ZHIJIANG_REASON,
}


def map_label(mapping: dict[str, str | None], label: str) -> str | None:
    """Map one source label, failing loudly on a label the mapping has never seen (a changed corpus)."""
    if label not in mapping:
        raise KeyError(f"unmapped source label {label!r}; known: {sorted(mapping)}")
    return mapping[label]
