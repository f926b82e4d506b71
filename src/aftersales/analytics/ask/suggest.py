"""Close, answerable questions to offer when one cannot be answered (each one parses back into a Query)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from aftersales.analytics.ask.metric import DIMENSION_LABELS, metric_entries
from aftersales.analytics.ask.vocabulary import Vocabulary
from aftersales.analytics.kpis import KpiDef

DEFAULT_METRICS = ("return_rate", "complaint_volume", "csat")
STOPWORDS_ZH = (
    "请问", "告诉我", "帮我", "查一下", "查询", "看看", "看一下", "一下", "我们", "我想知道", "是多少", "多少",
    "是什么", "什么", "哪个", "哪些", "哪一个", "怎么样", "怎样", "如何", "情况", "数据", "指标", "期间", "的时候",
    "时候", "整体", "总体", "平均", "所有", "每个", "的", "是", "了", "吗", "呢", "和", "与", "及", "在", "中", "里",
    "各", "按", "分",
    "有", "高", "低", "多", "少", "最", "？", "?", "，", ",", "。", "！", "!", "、",
)  # fmt: skip
STOPWORDS_EN = frozenset(
    re.findall(
        r"\S+",
        "what is was were are the a an of in for by which how show me give tell list per each did does do have has "
        "with and or vs compared to from between during on at our my we us please much many number value values whats",
    )
)


@dataclass
class Parts:
    """What was understood of a question so far: the pieces a suggestion is assembled from."""

    language: str
    time_text: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    by: str | None = None
    descending: bool = True
    ranked: bool = False


def residual_words(text: str, language: str) -> list[str]:
    """The words of a question that nothing recognised (after stopwords), to match against metric names."""
    if language == "zh":
        for word in sorted(STOPWORDS_ZH, key=len, reverse=True):
            text = text.replace(word, " ")
        return [w for w in re.split(r"[\s\W]+", text) if len(w) >= 2]
    return [w for w in re.findall(r"[a-z][a-z0-9'-]*", text) if w not in STOPWORDS_EN and len(w) >= 3]


def close_metrics(words: Iterable[str], kpis: Mapping[str, KpiDef], limit: int = 3) -> list[str]:
    """KPI names whose synonyms look most like `words` (difflib ratio ≥ 0.5), best first."""
    entries = metric_entries(kpis)
    scored: list[tuple[float, str]] = []
    for word in words:
        for synonym, name in entries:
            ratio = difflib.SequenceMatcher(None, word, synonym).ratio()
            if ratio >= 0.5:
                scored.append((ratio, name))
    ranked: list[str] = []
    for _ratio, name in sorted(scored, key=lambda s: -s[0]):
        if name not in ranked:
            ranked.append(name)
    return ranked[:limit]


def metric_word(kpi: KpiDef, language: str) -> str:
    """The KPI's display name without the unit in brackets ("首次响应时长(分钟)" → "首次响应时长")."""
    return re.sub(r"\s*[(（][^)）]*[)）]", "", kpi.label("zh-CN" if language == "zh" else "en")).strip()


def question(
    parts: Parts, kpi: KpiDef, vocabulary: Vocabulary, by: str | None = None, ranked: bool | None = None
) -> str:
    """One answerable question in the asker's language from the understood parts and a KPI."""
    by = parts.by if by is None else by
    ranked = parts.ranked if ranked is None else ranked
    zh = parts.language == "zh"
    metric = metric_word(kpi, parts.language)
    values = [(d, vocabulary.label(d, c, parts.language)) for d, cs in parts.filters.items() for c in cs]
    if zh:
        where = "".join(label + ("地区" if dim == "region" else "") for dim, label in values)
        when = parts.time_text or "上个月"
        if by and ranked:
            word = "最高" if parts.descending else "最低"
            return f"{when}{where}{metric}{word}的{DIMENSION_LABELS[by][0]}是什么？"
        if by:
            return f"{when}{where}各{DIMENSION_LABELS[by][0]}的{metric}"
        return f"{when}{where}{metric}是多少？"
    where = "".join(f" in {label}" if dim == "region" else f" for {label}" for dim, label in values)
    when = parts.time_text or "last month"
    if by and ranked:
        word = "highest" if parts.descending else "lowest"
        return f"Which {DIMENSION_LABELS[by][1]} had the {word} {metric}{where} {when}?"
    if by:
        return f"{metric} by {DIMENSION_LABELS[by][1]}{where} {when}"
    return f"What was the {metric}{where} {when}?"


def for_metrics(
    parts: Parts, names: Sequence[str], kpis: Mapping[str, KpiDef], vocabulary: Vocabulary, limit: int = 3
) -> list[str]:
    """The understood question with each of these KPIs, dropping a breakdown or filter the KPI cannot take."""
    out: list[str] = []
    for name in list(names) + [m for m in DEFAULT_METRICS if m not in names]:
        kpi = kpis.get(name)
        if kpi is None:
            continue
        fitted = Parts(
            parts.language,
            parts.time_text,
            {d: v for d, v in parts.filters.items() if d in kpi.dimensions},
            parts.by if parts.by in kpi.dimensions else None,
            parts.descending,
            parts.ranked and parts.by in kpi.dimensions,
        )
        text = question(fitted, kpi, vocabulary)
        if text not in out:
            out.append(text)
        if len(out) == limit:
            break
    return out


def for_dimensions(
    parts: Parts, kpi: KpiDef, dims: Sequence[str], vocabulary: Vocabulary, ranked: bool, limit: int = 3
) -> list[str]:
    """The understood question broken down by each of `dims` (those the KPI supports)."""
    kept = Parts(parts.language, parts.time_text, {d: v for d, v in parts.filters.items() if d in kpi.dimensions})
    kept.descending = parts.descending
    return [question(kept, kpi, vocabulary, by=d, ranked=ranked) for d in dims if d in kpi.dimensions][:limit]
