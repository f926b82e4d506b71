"""Hand-labelled customer-service examples shared by the combiner and training-pipeline tests."""

from __future__ import annotations

# (text, polarity, emotion, intensity, stage, reasons)
LABELLED: list[tuple[str, str, str, int, str, list[str]]] = [
    ("质量太差了，用两天就坏了", "negative", "dissatisfaction", 2, "explicit", ["quality_defect"]),
    ("再不退款我就去12315投诉！！！", "negative", "anger", 3, "intent_to_complain", []),
    ("物流很快，东西很好，满意", "positive", "satisfaction", 2, "none", []),
    ("快递怎么还没到？急用", "negative", "anxiety", 2, "explicit", ["logistics_delay"]),
    ("尺码偏小，穿不下", "negative", "dissatisfaction", 2, "explicit", ["size_fit"]),
    ("谢谢客服，辛苦了", "positive", "gratitude", 2, "none", []),
    ("还行吧，就是有点贵", "positive", "satisfaction", 1, "latent", ["price"]),
    ("发错货了，颜色不对", "negative", "dissatisfaction", 2, "explicit", ["wrong_item"]),
]
COLUMNS = ["text", "polarity", "emotion", "intensity", "stage", "reasons"]
