"""Answer sentences in Chinese or English from a Query and its result rows (numbers in each KPI's unit)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from aftersales.analytics.ask.metric import DIMENSION_LABELS
from aftersales.analytics.ask.query import Query, Refusal
from aftersales.analytics.ask.suggest import metric_word
from aftersales.analytics.ask.time import TimeRange
from aftersales.analytics.ask.vocabulary import Vocabulary
from aftersales.analytics.kpis import KPIS, KpiDef

INLINE = 8  # rows named in a sentence; the table carries the rest
QUARTERS_ZH = ("一", "二", "三", "四")


def format_value(kpi: KpiDef, value: float | None, language: str) -> str:
    """A value in the KPI's unit: ratios as percentages, amounts in yuan, durations with their unit."""
    zh = language == "zh"
    if value is None:
        return "无数据" if zh else "no data"
    if kpi.unit == "ratio":
        return f"{value:.1%}"
    if kpi.unit == "count":
        return f"{value:,.0f}"
    if kpi.unit == "amount":
        return f"¥{value:,.2f}"
    if kpi.unit == "minutes":
        return f"{value:,.1f} 分钟" if zh else f"{value:,.1f} min"
    if kpi.unit == "hours":
        return f"{value:,.1f} 小时" if zh else f"{value:,.1f} h"
    return f"{value:,.2f}"


def format_change(kpi: KpiDef, current: float | None, before: float | None, language: str) -> str:
    """The change from `before` to `current`: percentage points for ratios, a relative change otherwise."""
    if current is None or before is None:
        return "—"
    if kpi.unit == "ratio":
        points = (current - before) * 100
        return f"{points:+.1f} 个百分点" if language == "zh" else f"{points:+.1f} pp"
    if before == 0:
        return "—"
    return f"{(current - before) / abs(before):+.1%}"


def _month_en(day: dt.date) -> str:
    return day.strftime("%B %Y")


def format_range(time: TimeRange, language: str) -> str:
    """A window as people say it: 2026年10月 / October 2026, 2026年第三季度 / Q3 2026, or first–last dates."""
    zh = language == "zh"
    s, e = time.start, time.end
    full_month = s.day == 1 and (e + dt.timedelta(days=1)).day == 1 and (s.year, s.month) == (e.year, e.month)
    full_year = (s.month, s.day, e.month, e.day) == (1, 1, 12, 31) and s.year == e.year
    quarter = (s.month - 1) // 3
    full_quarter = s.day == 1 and s.month % 3 == 1 and (e + dt.timedelta(days=1)).day == 1 and e.month == s.month + 2
    if time.name and not time.text:
        body = f"{s.year}年{time.name}（{s} 至 {e}）" if zh else f"{time.name} {s.year} ({s} to {e})"
    elif time.name:
        body = f"{s} 至 {e}" if zh else f"{s} to {e}"
    elif full_month:
        body = f"{s.year}年{s.month}月" if zh else _month_en(s)
    elif full_quarter and s.year == e.year:
        body = f"{s.year}年第{QUARTERS_ZH[quarter]}季度" if zh else f"Q{quarter + 1} {s.year}"
    elif full_year:
        body = f"{s.year}年" if zh else str(s.year)
    elif s == e:
        body = s.isoformat()
    else:
        body = f"{s} 至 {e}" if zh else f"{s} to {e}"
    said = re.sub(r"^(?:in|during|for|from|between)\s+", "", time.text.strip(), flags=re.IGNORECASE)
    if said and said.lower() != body.lower():
        return f"{said}（{body}）" if zh else f"{said} ({body})"
    return body


def _filters(query: Query, vocabulary: Vocabulary, language: str) -> str:
    labels = [vocabulary.label(d, c, language) for d, codes in query.filters.items() if d != query.by for c in codes]
    if not labels:
        return ""
    if language == "zh":
        return "".join(vocabulary.label(d, c, language) + ("地区" if d == "region" else "")
                       for d, codes in query.filters.items() if d != query.by for c in codes)  # fmt: skip
    return " for " + ", ".join(labels)


def _key(row: Mapping[str, Any], query: Query) -> str:
    """How a row is named in a sentence: its dimension label and/or its period."""
    pieces = [str(row["period"])] if query.granularity and row.get("period") else []
    if query.by:
        pieces.append(str(row.get("label", row.get(query.by))))
    return " ".join(pieces)


def _single(query: Query, kpi: KpiDef, row: Mapping[str, Any], where: str, when: str, language: str) -> str:
    """One number with its n, target, previous window or year-ago value."""
    zh = language == "zh"
    name = metric_word(kpi, language)
    value = format_value(kpi, row["value"], language)
    extras: list[str] = [f"n={row['n']:,}"]
    if row.get("target") is not None:
        extras.append(("目标 " if zh else "target ") + format_value(kpi, row["target"], language))
    if query.compare == "year_ago":
        before = format_value(kpi, row.get("year_ago"), language)
        change = format_change(kpi, row["value"], row.get("year_ago"), language)
        extras.append(
            f"去年同期 {before}，同比 {change}" if zh else f"a year earlier {before}, {change} year over year"
        )
    else:
        before = format_value(kpi, row.get("previous"), language)
        change = format_change(kpi, row["value"], row.get("previous"), language)
        extras.append(f"上期 {before}，环比 {change}" if zh else f"previous period {before}, {change}")
    if row["value"] is None:
        return f"{when}{where}没有可计算{name}的数据（n=0）。" if zh else f"No data for {name}{where}, {when} (n=0)."
    detail = "；".join(extras) if zh else "; ".join(extras)
    if zh:
        return f"{when}{where}的{name}为 {value}（{detail}）。"
    return f"{name}{where}, {when}: {value} ({detail})."


def _many(query: Query, kpi: KpiDef, rows: Sequence[Mapping[str, Any]], where: str, when: str, language: str) -> str:
    """A breakdown, a time series or a ranking, naming up to INLINE rows."""
    zh = language == "zh"
    name = metric_word(kpi, language)
    unit = DIMENSION_LABELS[query.by][0 if zh else 1] if query.by else ("时间段" if zh else "period")
    if query.granularity and not query.by:
        unit = {"day": ("天", "day"), "week": ("周", "week"), "month": ("月份", "month")}[query.granularity][
            0 if zh else 1
        ]
    shown = [r for r in rows if r["value"] is not None] if query.ranking else list(rows)
    if not shown:
        return f"{when}{where}没有可计算{name}的数据。" if zh else f"No data for {name}{where} in {when}."
    items = [f"{_key(r, query)} {format_value(kpi, r['value'], language)}" for r in shown[:INLINE]]
    more = len(shown) - INLINE
    listing = "、".join(items) if zh else ", ".join(items)
    if more > 0:
        listing += f" 等（共 {len(shown)} 项）" if zh else f" and {more} more"
    if query.ranking is not None:
        high = query.ranking.order == "desc"
        word = ("最高" if high else "最低") if zh else ("highest" if high else "lowest")
        if len(shown) == 1 and query.ranking.limit == 1:
            top = shown[0]
            value = format_value(kpi, top["value"], language)
            if zh:
                return f"{when}{where}{name}{word}的{unit}是 {_key(top, query)}：{value}（n={top['n']:,}）。"
            return f"{word.capitalize()} {name} by {unit}{where}, {when}: {_key(top, query)} {value} (n={top['n']:,})."
        if zh:
            return f"{when}{where}{name}{word}的{len(shown)}个{unit}：{listing}。"
        return f"{len(shown)} {unit}s with the {word} {name}{where}, {when}: {listing}."
    if zh:
        return f"{when}{where}各{unit}的{name}：{listing}。"
    return f"{name} by {unit}{where}, {when}: {listing}."


def format_answer(query: Query, rows: Sequence[Mapping[str, Any]], vocabulary: Vocabulary) -> str:
    """The answer sentence(s): one per KPI asked."""
    language = query.language
    when = format_range(query.time, language)
    if query.time_defaulted and not query.granularity:
        when = f"上个月（{when}）" if language == "zh" else f"last month ({when})"
    where = _filters(query, vocabulary, language)
    sentences: list[str] = []
    for name in query.metrics:
        kpi = KPIS.get(name)
        if kpi is None:
            continue
        mine = [r for r in rows if r["kpi"] == name]
        if not query.by and not query.granularity and len(mine) == 1:
            sentences.append(_single(query, kpi, mine[0], where, when, language))
        else:
            sentences.append(_many(query, kpi, mine, where, when, language))
    return "".join(sentences) if language == "zh" else " ".join(sentences)


def format_refusal(refusal: Refusal, language: str) -> str:
    """The refusal message followed by the suggestions as a list."""
    if not refusal.suggestions:
        return refusal.message
    head = "可以这样问：" if language == "zh" else "Try asking:"
    return "\n".join([refusal.message, head, *(f"  - {s}" for s in refusal.suggestions)])
