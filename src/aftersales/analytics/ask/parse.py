"""A question in plain Chinese or English → a structured `Query`, or a `Refusal` with close suggestions.

Offline and deterministic: comparison words, time expressions, time buckets and ranking words are read with regular
expressions; KPIs, dimensions and filter values with one longest-match-first scan over the synonym tables and the
store's own values. What is left over only feeds the suggestions, so a question is never half-understood silently:
it names a KPI we compute, or it is refused.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from aftersales.analytics.ask import suggest
from aftersales.analytics.ask.metric import (
    DIMENSION_LABELS,
    DIMENSION_WORDS,
    METRIC_SYNONYMS,
    PERCENTILE_WORDS,
    SUFFIXES,
    UNSUPPORTED_METRICS,
    percentile_variant,
)
from aftersales.analytics.ask.query import Granularity, Language, Query, Ranking, Refusal, RefusalReason
from aftersales.analytics.ask.time import EN_NUMBERS, PromotionCalendar, TimeRange, default_promotions, find_times
from aftersales.analytics.ask.time import number as to_number
from aftersales.analytics.ask.vocabulary import DimValue, Vocabulary, normalise
from aftersales.analytics.kpis import KPIS, Direction, KpiDef

NUM = r"\d{1,3}|[一二两三四五六七八九十]{1,3}|" + "|".join(k for k in EN_NUMBERS if len(k) > 2)
YOY = r"同比|去年同期|比去年同期|与去年同期相比|year[- ]over[- ]year|yoy|(?:the )?same period last year"
MOM = (
    r"环比|比上期|较上期|与上期相比|和上期相比|比上月|较上月|比上周|较上周|与上月相比|和上月相比|"
    r"period[- ]over[- ]period|month[- ]over[- ]month|week[- ]over[- ]week|\bmom\b|\bwow\b|"
    r"(?:vs\.?|versus|compared (?:to|with)) (?:the )?previous (?:period|month|week)"
)
GRANULARITY: list[tuple[Granularity | None, str]] = [
    ("day", r"每天|每日|按天|按日|逐日|日度|分天|各天|\bdaily\b|per day|by day|each day|day by day"),
    ("week", r"每周|按周|逐周|周度|分周|各周|\bweekly\b|per week|by week|each week|week by week"),
    ("month", r"每个月|每月|按月|逐月|月度|分月|各月|\bmonthly\b|per month|by month|each month|month by month"),
    (None, r"变化趋势|趋势|走势|\btrends?\b|over time"),
]
WHICH_PERIOD = r"哪(?:一|个)?(?P<zh>天|日|周|星期|个月|月份|月)|which (?P<en>day|week|month)"
TOP_N = (
    rf"(?:排名|排行)?前\s*(?P<a>{NUM})\s*(?:名|个|位|大|项)?|\btop[\s-]*(?P<b>{NUM})\b"
    rf"|(?:最高|最多|最大)的\s*(?P<c>{NUM})\s*(?:个|名|位|项)|(?P<d>{NUM})\s+(?:highest|largest|biggest|most)"
    rf"|(?:highest|largest|biggest)\s+(?P<e>{NUM})\b"
)
BOTTOM_N = (
    rf"后\s*(?P<a>{NUM})\s*(?:名|个|位|项)|倒数(?:第)?\s*(?P<b>{NUM})?\s*(?:名|个|位|项)?|\bbottom[\s-]*(?P<c>{NUM})?\b"
    rf"|(?:最低|最少|最小)的\s*(?P<d>{NUM})\s*(?:个|名|位|项)|(?P<e>{NUM})\s+(?:lowest|smallest|fewest)"
    rf"|(?:lowest|smallest|fewest)\s+(?P<f>{NUM})\b"
)
BEST = r"表现最好|最好|最佳|最优|\bbest\b|top[- ]performing"
WORST = r"表现最差|最差|最糟|最坏|\bworst\b|poorest|worst[- ]performing"
HIGHEST = r"最高|最多|最大|最长|最慢|最严重|最突出|highest|largest|biggest|\bmost\b|maximum|longest|slowest|\btop\b"
LOWEST = r"最低|最少|最小|最短|最快|lowest|smallest|\bleast\b|fewest|minimum|shortest|fastest|\bbottom\b"
RANK_ALL = r"排名|排行|排序|从高到低|从低到高|ranking|ranked|\brank\b|sorted"
WHY = r"为什么|为何|怎么会|什么导致|\bwhy\b|what caused|what drove|how come"
WHICH = r"哪|which"


@dataclass(frozen=True)
class Token:
    """One recognised word: where it is, what it names (metric, unsupported, dim, value, pct) and the payload."""

    begin: int
    stop: int
    kind: str
    payload: str
    value: DimValue | None = None


class _Text:
    """The normalised question with the spans already understood blanked out."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.taken = [False] * len(text)

    def free(self, begin: int, stop: int) -> bool:
        return not any(self.taken[begin:stop])

    def take(self, begin: int, stop: int) -> None:
        self.taken[begin:stop] = [True] * (stop - begin)

    def masked(self) -> str:
        return "".join(" " if t else c for c, t in zip(self.text, self.taken, strict=True))

    def find(self, pattern: str) -> re.Match[str] | None:
        """The first match in the untaken text; taken (blanked) so later rules do not read it again."""
        m = re.search(pattern, self.masked())
        if m is not None and m.group(0).strip():
            self.take(m.start(), m.end())
            return m
        return None


def _lexicon(kpis: Mapping[str, KpiDef], vocabulary: Vocabulary) -> list[tuple[str, str, str, DimValue | None]]:
    """(alias, kind, payload, value) for every word the scan looks for, longest first."""
    entries: list[tuple[str, str, str, DimValue | None]] = []
    for name, words in METRIC_SYNONYMS.items():
        entries += [(normalise(w), "metric", name, None) for w in words]
    entries += [(name, "metric", name, None) for name in kpis]
    entries += [(normalise(w), "unsupported", w, None) for w in UNSUPPORTED_METRICS]
    for dim, words in DIMENSION_WORDS.items():
        entries += [(normalise(w), "dim", dim, None) for w in words]
    for modifier, words in PERCENTILE_WORDS.items():
        entries += [(normalise(w), "pct", modifier, None) for w in words]
    entries += [(alias, "value", value.dim, value) for alias, value in vocabulary.aliases().items()]
    return sorted(entries, key=lambda e: -len(e[0]))


def _boundary_ok(text: str, begin: int, stop: int) -> bool:
    """ASCII words match whole words only ("vip" not inside "vipers", "ap-301" not inside "ap-3011")."""
    before = text[begin - 1] if begin > 0 else " "
    after = text[stop] if stop < len(text) else " "
    head, tail = text[begin], text[stop - 1]
    if head.isascii() and head.isalnum() and before.isascii() and before.isalnum():
        return False
    return not (tail.isascii() and tail.isalnum() and after.isascii() and after.isalnum())


def scan(state: _Text, kpis: Mapping[str, KpiDef], vocabulary: Vocabulary) -> list[Token]:
    """Longest-match-first scan of the untaken text for KPIs, dimensions, filter values and modifiers."""
    text = state.text
    tokens: list[Token] = []
    for alias, kind, payload, value in _lexicon(kpis, vocabulary):
        start = text.find(alias)
        while start != -1:
            stop = start + len(alias)
            if state.free(start, stop) and _boundary_ok(text, start, stop):
                tokens.append(Token(start, stop, kind, payload, value))
                state.take(start, stop)
            start = text.find(alias, start + 1)
    return sorted(tokens, key=lambda t: t.begin)


def _qualifiers(state: _Text, tokens: list[Token]) -> list[Token]:
    """Drop dimension words that only qualify a filter value ("华东地区", "地区为华东", "VIP 客户")."""
    text = state.text
    kept: list[Token] = []
    values = [t for t in tokens if t.kind == "value"]
    for token in tokens:
        if token.kind == "dim" and any(
            v.payload == token.payload
            and (
                (v.stop <= token.begin and re.fullmatch(r"\s*", text[v.stop : token.begin]))
                or (token.stop <= v.begin and re.fullmatch(r"\s*(?:为|是|=|:|：)?\s*", text[token.stop : v.begin]))
            )
            for v in values
        ):
            continue
        kept.append(token)
    for v in values:  # suffixes that are no dimension word of their own ("华东区", "服装类", "VIP客户")
        rest = state.masked()[v.stop :]
        for suffix in sorted(SUFFIXES.get(v.payload, ()), key=len, reverse=True):
            m = re.match(rf"\s*{re.escape(suffix)}", rest)
            if m:
                state.take(v.stop, v.stop + m.end())
                break
    return kept


def _count(m: re.Match[str]) -> int | None:
    raw = next((g for g in m.groups() if g), None)
    return to_number(raw) if raw else None


def _ranking(state: _Text, direction: Direction | None) -> tuple[Ranking | None, bool]:
    """(ranking, asked "which") from top/bottom-N, superlative and ranking words; best/worst follow the KPI."""
    which = state.find(WHICH) is not None
    higher = direction is not Direction.LOWER_IS_BETTER
    if (m := state.find(TOP_N)) is not None:
        order = "desc"
        limit = _count(m) or 3
    elif (m := state.find(BOTTOM_N)) is not None:
        order, limit = "asc", _count(m) or 3
    elif state.find(BEST):
        order, limit = ("desc" if higher else "asc"), 1
    elif state.find(WORST):
        order, limit = ("asc" if higher else "desc"), 1
    elif state.find(HIGHEST):
        order, limit = "desc", 1
    elif state.find(LOWEST):
        order, limit = "asc", 1
    elif state.find(RANK_ALL):
        return Ranking(order="asc" if "从低到高" in state.text else "desc"), which
    else:
        return None, which
    return Ranking(order="desc" if order == "desc" else "asc", limit=limit), which


def _default_month(today: dt.date) -> TimeRange:
    """The last full calendar month before today (the `aftersales kpi` default)."""
    end = today.replace(day=1) - dt.timedelta(days=1)
    return TimeRange(start=end.replace(day=1), end=end, text="", grain="month")


def _default_span(today: dt.date, granularity: Granularity) -> TimeRange:
    """A window for a time series nobody bounded: 6 full months, 8 full weeks or 14 full days before today."""
    if granularity == "month":
        end = today.replace(day=1) - dt.timedelta(days=1)
        start = end.replace(day=1)
        for _ in range(5):
            start = (start - dt.timedelta(days=1)).replace(day=1)
    elif granularity == "week":
        end = today - dt.timedelta(days=today.weekday() + 1)
        start = end - dt.timedelta(days=8 * 7 - 1)
    else:
        end = today - dt.timedelta(days=1)
        start = end - dt.timedelta(days=13)
    return TimeRange(start=start, end=end, text="", grain="span")


def _auto_granularity(time: TimeRange) -> Granularity:
    days = (time.end - time.start).days + 1
    return "month" if days > 62 else "week" if days > 21 else "day"


def parse_question(
    question: str,
    *,
    today: dt.date,
    vocabulary: Vocabulary | None = None,
    kpis: Mapping[str, KpiDef] = KPIS,
    promotions: PromotionCalendar = default_promotions,
) -> Query | Refusal:
    """Read a question into a Query (KPIs, breakdown, filters, window, buckets, ranking, comparison) or refuse it."""
    vocabulary = vocabulary or Vocabulary()
    text = normalise(question)
    cased = " ".join(unicodedata.normalize("NFKC", question).split())
    cased = cased if len(cased) == len(text) else text  # time words are echoed as written when lengths agree
    language: Language = "zh" if re.search(r"[\u4e00-\u9fff]", text) else "en"
    parts = suggest.Parts(language)

    def refuse(reason: RefusalReason, zh: str, en: str, suggestions: list[str]) -> Refusal:
        return Refusal(reason=reason, message=zh if language == "zh" else en, suggestions=suggestions[:3])

    if not text.strip(" ?？!！。.,，"):
        return refuse(
            "empty",
            "无法回答：问题是空的。",
            "Cannot answer: the question is empty.",
            suggest.for_metrics(parts, [], kpis, vocabulary),
        )
    state = _Text(text)
    compare = "year_ago" if state.find(YOY) else "previous" if state.find(MOM) else None
    asked_why = state.find(WHY) is not None

    times = find_times(state.masked(), today, promotions)
    for t in times:
        state.take(t.begin, t.stop)
    if times:
        parts.time_text = cased[times[0].begin : times[0].stop]

    granularity: Granularity | None = None
    trend = False
    for grain, pattern in GRANULARITY:
        if state.find(pattern):
            granularity, trend = grain, grain is None
            break
    which_period = (m := state.find(WHICH_PERIOD)) is not None
    if m is not None:
        unit = m["zh"] or m["en"]
        granularity = "day" if unit in ("天", "日", "day") else "week" if unit in ("周", "星期", "week") else "month"

    tokens = _qualifiers(state, scan(state, kpis, vocabulary))
    for token in (t for t in tokens if t.kind == "value"):
        codes = parts.filters.setdefault(token.payload, [])
        if token.value is not None and token.value.code not in codes:
            codes.append(token.value.code)
    dims = list(dict.fromkeys(t.payload for t in tokens if t.kind == "dim"))
    metrics = list(dict.fromkeys(t.payload for t in tokens if t.kind == "metric"))
    for modifier in (t.payload for t in tokens if t.kind == "pct"):
        metrics = [percentile_variant(name, modifier, kpis) for name in metrics]
    first = kpis.get(metrics[0]) if metrics else None
    ranking, which = _ranking(state, first.direction if first else None)
    which = which or which_period
    parts.ranked = ranking is not None
    parts.descending = ranking is None or ranking.order == "desc"
    parts.by = dims[0] if len(dims) == 1 else None

    leftovers = suggest.residual_words(state.masked(), language)
    leftovers += [normalise(t.payload) for t in tokens if t.kind == "unsupported"]
    if not metrics:
        close = suggest.close_metrics(leftovers, kpis)
        hints = suggest.for_metrics(parts, close, kpis, vocabulary)
        if any(t.kind == "unsupported" for t in tokens):
            word = next(t.payload for t in tokens if t.kind == "unsupported")
            return refuse(
                "unsupported_metric",
                f"无法回答：暂不提供「{word}」这个指标。",
                f"Cannot answer: '{word}' is not a metric we compute.",
                hints,
            )
        return refuse(
            "no_metric",
            "无法回答：没有识别出要查询的指标（如退货率、投诉量、满意度）。",
            "Cannot answer: no metric recognised (e.g. return rate, complaint volume, CSAT).",
            hints,
        )
    missing = [name for name in metrics if name not in kpis]
    if missing:
        hints = suggest.for_metrics(parts, suggest.close_metrics(METRIC_SYNONYMS[missing[0]], kpis), kpis, vocabulary)
        return refuse(
            "unavailable_metric",
            f"无法回答：指标 {missing[0]} 尚未计算。",
            f"Cannot answer: the metric {missing[0]} is not computed yet.",
            hints,
        )
    assert first is not None
    if asked_why:
        return refuse(
            "why",
            "无法回答原因类问题（为什么）；可以按维度拆开看指标：",
            "Cannot answer 'why' questions; breaking the metric down may show where it comes from:",
            suggest.for_dimensions(parts, first, ("reason", "category", "region", "channel"), vocabulary, False),
        )
    if len(times) > 1:
        texts = [text[t.begin : t.stop] for t in times]
        hints = []
        for time_text in texts[:3]:
            parts.time_text = time_text
            hints += suggest.for_metrics(parts, [first.name], kpis, vocabulary, limit=1)
        return refuse(
            "ambiguous_time",
            f"无法回答：问题里有多个时间（{'、'.join(texts)}）；对比去年请用“同比”，对比上期请用“环比”。",
            f"Cannot answer: several time ranges ({', '.join(texts)}); say 'year over year' or "
            "'vs previous period' to compare.",
            hints,
        )
    if times and times[0].start > today:
        asked = text[times[0].begin : times[0].stop]
        parts.time_text = "上个月" if language == "zh" else "last month"
        hints = suggest.for_metrics(parts, [first.name], kpis, vocabulary, limit=1)
        parts.time_text = "近30天" if language == "zh" else "last 30 days"
        hints += suggest.for_metrics(parts, [first.name], kpis, vocabulary, limit=1)
        return refuse(
            "future",
            f"无法回答：{asked}还没有到来，没有数据（预测请用 forecast）。",
            f"Cannot answer: {asked} has not happened yet (see the forecast).",
            hints,
        )
    if len(dims) > 1:
        names = "、".join(DIMENSION_LABELS[d][0] for d in dims)
        return refuse(
            "too_many_dimensions",
            f"无法回答：一次只能按一个维度拆分（问题里有 {names}）。",
            f"Cannot answer: one breakdown at a time (the question names {', '.join(dims)}).",
            suggest.for_dimensions(parts, first, dims, vocabulary, ranking is not None),
        )
    by = dims[0] if dims else None
    if by is None and len(parts.filters) == 1:
        (only_dim, codes), *_ = parts.filters.items()
        if len(codes) > 1:
            by = only_dim  # "华东和华南的退货率": compare the named values side by side
    for name in metrics:
        kpi = kpis[name]
        bad = [d for d in ([by] if by else []) + list(parts.filters) if d not in kpi.dimensions]
        if bad:
            others = [k for k in kpis.values() if bad[0] in k.dimensions and k.name != name][:1]
            hints = suggest.for_dimensions(parts, kpi, kpi.dimensions[:2], vocabulary, ranking is not None)
            hints += [suggest.question(parts, k, vocabulary) for k in others]
            return refuse(
                "unsupported_dimension",
                f"无法回答：{suggest.metric_word(kpi, 'zh')}不能按{DIMENSION_LABELS[bad[0]][0]}拆分或筛选"
                f"（支持：{'、'.join(DIMENSION_LABELS[d][0] for d in kpi.dimensions)}）。",
                f"Cannot answer: {kpi.en} cannot be broken down or filtered by {bad[0]} "
                f"(supported: {', '.join(kpi.dimensions)}).",
                hints,
            )
    if which and ranking is None and (by or granularity):
        low = re.search(r"低|少|小|短|快|\blow|\bleast|\bfew|\bshort|\bfast", state.masked())
        ranking = Ranking(order="asc" if low else "desc", limit=1)
    if ranking is not None and by is None and granularity is None:
        return refuse(
            "ranking_needs_dimension",
            "无法回答：排名需要一个维度（按地区、品类、渠道…）。",
            "Cannot answer: a ranking needs a breakdown (by region, category, channel ...).",
            suggest.for_dimensions(parts, first, first.dimensions[:3], vocabulary, True),
        )

    if times:
        found = times[0]
        time = TimeRange(
            start=found.start, end=min(found.end, today), text=parts.time_text, grain=found.grain, name=found.name
        )
    elif granularity is not None or trend:
        time = _default_span(today, granularity or "month")
    else:
        time = _default_month(today)
    if trend and granularity is None:
        granularity = _auto_granularity(time)
    return Query(
        metrics=metrics,
        by=by,
        filters=parts.filters,
        time=time,
        time_defaulted=not times,
        granularity=granularity,
        ranking=ranking,
        compare=compare,
        language=language,
    )
