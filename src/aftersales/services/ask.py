"""`aftersales ask`: read a question, run the structured query through the KPI service, and word the answer.

Filter values come from the store (distinct regions, categories, channels, queues, reasons, tiers, SKUs), read per
question. A filter on the breakdown's own dimension (or with no breakdown) goes through `compute_kpis` unchanged; a
filter on another dimension ("华东地区 … 各品类") narrows each KPI source (the joins that dimension needs plus
WHERE column IN values, on the very column `compute_kpis` would group that dimension by), so both paths count the
same rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import replace
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import and_, func, select, union

from aftersales.analytics.ask import (
    Query,
    Refusal,
    Vocabulary,
    build_vocabulary,
    format_answer,
    format_refusal,
    parse_question,
)
from aftersales.analytics.ask.suggest import Parts, for_dimensions
from aftersales.analytics.ask.time import PromotionCalendar, TimeRange, month_end, shift_year
from aftersales.analytics.insights.calendar import calendar_from_config
from aftersales.analytics.kpis import KPIS, KpiDef, trend, value_of
from aftersales.config import Settings
from aftersales.errors import PolicyError
from aftersales.services.kpi import compute_kpis, targets_for, windows
from aftersales.storage import db
from aftersales.storage.tables import cases, customers, interactions, orders, returns

MAX_BUCKETS = {"day": 92, "week": 60, "month": 36}


class AskResult(BaseModel):
    """The JSON contract of `aftersales ask --json` and `POST /api/v1/ask`."""

    question: str
    answered: bool
    answer: str = Field(description="The answer sentence, or the refusal with its suggestions.")
    language: Literal["zh", "en"]
    query: Query | None = Field(default=None, description="The structured query that was run.")
    rows: list[dict[str, Any]] = Field(default_factory=list, description="The result table (compute_kpis rows).")
    cannot_answer: Refusal | None = None


class FilterNotSupported(Exception):
    """A KPI whose SQL cannot take a filter on another dimension than its breakdown (percentiles, customer-level)."""


def load_vocabulary(settings: Settings) -> Vocabulary:
    """Distinct stored values per dimension (plus product names and queue display names) for the parser."""
    engine = db.get_engine(settings)
    sources: dict[str, list[Any]] = {
        "region": [orders.c.region, customers.c.region],
        "category": [orders.c.category],
        "sku": [orders.c.sku],
        "channel": [orders.c.channel, cases.c.channel, interactions.c.channel],
        "queue": [cases.c.queue],
        "reason": [returns.c.reason_code, cases.c.primary_reason],
        "tier": [customers.c.tier],
    }
    distinct: dict[str, list[str | None]] = {}
    with engine.connect() as conn:
        for dim, cols in sources.items():
            stmt = union(*(select(col.label("v")).distinct() for col in cols))
            distinct[dim] = [r[0] for r in conn.execute(stmt)]
        product_rows = conn.execute(select(orders.c.sku, func.max(orders.c.product_name)).group_by(orders.c.sku))
        products: dict[str, str] = {str(sku): str(name) for sku, name in product_rows if sku and name}
    return build_vocabulary(distinct, products, _queue_names(settings))


def _queue_names(settings: Settings) -> dict[str, tuple[str, str]]:
    from aftersales.policy.loader import load_policy
    from aftersales.policy.schema import DEFAULT_QUEUES

    names = {code: (zh, en) for code, zh, en in DEFAULT_QUEUES}
    with suppress(PolicyError):  # a broken policy is reported by `aftersales policy`; keep the default names
        names |= {q.code: (q.zh, q.en) for q in load_policy(settings.policy_path).queues}
    return names


def promotions_for(settings: Settings) -> PromotionCalendar:
    """The merchant's promotion calendar (the `promotion_calendar` setting when present, else the built-ins)."""
    calendar = calendar_from_config(
        getattr(settings, "promotion_calendar", ()), getattr(settings, "promotion_builtin", True)
    )

    def of_year(year: int) -> list[Any]:
        windows_ = calendar.windows(dt.date(year, 1, 1), dt.date(year, 12, 31))
        return [w for w in windows_ if w.start.year == year]

    return of_year


def ask(settings: Settings, question: str, locale: str | None = None, today: dt.date | None = None) -> AskResult:
    """Answer one question, or refuse it with up to three close questions that can be answered."""
    today = today or dt.datetime.now(settings.zone).date()
    vocabulary = load_vocabulary(settings)
    parsed = parse_question(question, today=today, vocabulary=vocabulary, promotions=promotions_for(settings))
    if locale and isinstance(parsed, Query):
        parsed = parsed.model_copy(update={"language": "zh" if locale.lower().startswith("zh") else "en"})
    if isinstance(parsed, Refusal):
        language: Literal["zh", "en"] = "en" if parsed.message.startswith("Cannot") else "zh"
        return AskResult(
            question=question,
            answered=False,
            answer=format_refusal(parsed, language),
            language=language,
            cannot_answer=parsed,
        )
    try:
        rows = run_query(settings, parsed, vocabulary, today)
    except FilterNotSupported as exc:
        refusal = _filter_refusal(parsed, vocabulary, str(exc))
        return AskResult(
            question=question,
            answered=False,
            answer=format_refusal(refusal, parsed.language),
            language=parsed.language,
            query=parsed,
            cannot_answer=refusal,
        )
    answer = format_answer(parsed, rows, vocabulary)
    return AskResult(question=question, answered=True, answer=answer, language=parsed.language, query=parsed, rows=rows)


def _filter_refusal(query: Query, vocabulary: Vocabulary, kpi_name: str) -> Refusal:
    kpi = KPIS[kpi_name]
    parts = Parts(query.language, query.time.text)
    dims = [*query.filters, *([query.by] if query.by else [])]
    zh = f"无法回答：{kpi.zh}暂不支持在按一个维度拆分的同时按另一个维度筛选；可以分别查看："
    en = f"Cannot answer: {kpi.en} cannot yet be filtered by one dimension while broken down by another; try:"
    return Refusal(
        reason="unsupported_filter",
        message=zh if query.language == "zh" else en,
        suggestions=for_dimensions(parts, kpi, dims, vocabulary, query.ranking is not None),
    )


def buckets(time: TimeRange, granularity: str | None) -> Iterator[tuple[str | None, dt.date, dt.date]]:
    """(label, first, last) per day/week/month inside the window (clipped to it); the whole window without one."""
    if granularity is None:
        yield None, time.start, time.end
        return
    start = time.start
    while start <= time.end:
        if granularity == "day":
            last, label = start, start.isoformat()
        elif granularity == "week":
            last = start + dt.timedelta(days=6 - start.weekday())
            label = f"{start.isoformat()}~{min(last, time.end).isoformat()}"
        else:
            last, label = month_end(start.year, start.month), f"{start:%Y-%m}"
        yield label, start, min(last, time.end)
        start = last + dt.timedelta(days=1)


def _coarsen(query: Query) -> str | None:
    """The asked bucket size, or a coarser one when it would produce too many rows."""
    granularity = query.granularity
    days = (query.time.end - query.time.start).days + 1
    if granularity == "day" and days > MAX_BUCKETS["day"]:
        granularity = "week"
    if granularity == "week" and days > 7 * MAX_BUCKETS["week"]:
        granularity = "month"
    return granularity


def run_query(settings: Settings, query: Query, vocabulary: Vocabulary, today: dt.date) -> list[dict[str, Any]]:
    """The result table: compute_kpis rows per KPI and bucket, filtered, labelled, ranked; year-ago values for 同比."""
    granularity = _coarsen(query)
    rows: list[dict[str, Any]] = []
    for name in query.metrics:
        mine: list[dict[str, Any]] = []
        for label, first, last in buckets(query.time, granularity):
            found = _compute(settings, name, query, first, last, today)
            if query.compare == "year_ago":
                before = _compute(settings, name, query, shift_year(first, -1), shift_year(last, -1), today)
                earlier = {r.get(query.by) if query.by else None: r["value"] for r in before}
                for row in found:
                    row["year_ago"] = earlier.get(row.get(query.by) if query.by else None)
            for row in found:
                if label is not None:
                    row |= {"period": label, "period_start": first.isoformat(), "period_end": last.isoformat()}
                if query.by:
                    row["label"] = vocabulary.label(query.by, row.get(query.by), query.language)
            mine += found
        if query.ranking is not None:
            mine = [r for r in mine if r["value"] is not None]
            mine.sort(key=lambda r: r["value"], reverse=query.ranking.order == "desc")
            mine = mine[: query.ranking.limit] if query.ranking.limit else mine
        rows += mine
    return rows


def _compute(
    settings: Settings, name: str, query: Query, first: dt.date, last: dt.date, today: dt.date
) -> list[dict[str, Any]]:
    """compute_kpis rows for one KPI and window with the query's filters applied."""
    filters, by = query.filters, query.by
    if not filters:
        return compute_kpis(settings, name, by, start=first, end=last, today=today)
    if len(filters) == 1 and (by is None or by in filters):
        (dim, codes), *_ = filters.items()
        rows = compute_kpis(settings, name, dim, start=first, end=last, today=today)
        kept = [r for r in rows if r[dim] in codes]
        if not kept and by is None:  # the value has no rows in either window: report it as empty, not missing
            kpi = KPIS[name]
            kept = [{dim: codes[0], "kpi": name, "value": value_of(kpi, 0.0, 0), "target": targets_for(settings)[name],
                     "previous": value_of(kpi, 0.0, 0), "trend": None, "better": None, "n": 0}]  # fmt: skip
        return kept
    return filtered_kpis(settings, KPIS[name], by, filters, first, last)


def _narrowed(source: Any, by: str | None, filters: dict[str, list[str]]) -> Any:
    """The KPI source with the filter dimensions' joins added and WHERE dim IN (values) for each filter."""
    needs = list(source.needs.get(by or "", ()))
    conditions = []
    for dim, codes in filters.items():
        needs += [j for j in source.needs.get(dim, ()) if j not in needs]
        conditions.append(source.dims[dim].in_(codes))
    where = and_(*conditions) if source.where is None else and_(source.where, *conditions)
    return replace(source, needs=source.needs | {by or "": tuple(needs)}, where=where)


def _filtered_aggregate(
    conn: Any, kpi: KpiDef, q: Any, filters: dict[str, list[str]]
) -> dict[tuple[bool, Any], list[float]]:
    """{(is_current, dim value): [num, den]} for one KPI over both windows, restricted to the filter values."""
    # Imported here: the fused KPI SQL is the KPI service's own structure; only cross-dimension filters need it.
    from aftersales.services import kpi_sql

    acc: dict[tuple[bool, Any], list[float]] = {}
    if kpi.name in kpi_sql.PARTS:
        for part in kpi_sql.PARTS[kpi.name]:
            source = _narrowed(kpi_sql.SOURCES[part.source], q.by, filters)
            stmt = kpi_sql.fused_select(source, q, [(part.num(q.dialect), part.den(q.dialect))])
            for cur, dim, num, den in conn.execute(stmt):
                slot = acc.setdefault((bool(cur), dim), [0.0, 0.0])
                slot[0] += float(num or 0)
                slot[1] += float(den or 0)
    else:
        raise FilterNotSupported(kpi.name)
    return acc


def filtered_kpis(
    settings: Settings, kpi: KpiDef, by: str | None, filters: dict[str, list[str]], first: dt.date, last: dt.date
) -> list[dict[str, Any]]:
    """compute_kpis-shaped rows for one KPI restricted to the filter values (current and previous window)."""
    from aftersales.services import kpi_sql

    kpi.check_dimension(by)
    for dim in filters:
        kpi.check_dimension(dim)
    cur, prev = windows(settings, first, last)
    engine = db.get_engine(settings)
    q = kpi_sql.Query(cur, prev, by, engine.dialect.name, settings.churn_horizon_days)
    with engine.connect() as conn:
        acc = _filtered_aggregate(conn, kpi, q, filters)
    goal = targets_for(settings)[kpi.name]
    keys = sorted({k for _c, k in acc}, key=lambda k: (k is None, str(k))) if by else [None]
    rows: list[dict[str, Any]] = []
    for key in keys:
        num, den = acc.get((True, key), [0.0, 0.0])
        value = value_of(kpi, num, int(den))
        previous = value_of(kpi, *_pair(acc.get((False, key), [0.0, 0.0])))
        arrow, better = trend(value, previous, kpi.direction)
        row: dict[str, Any] = {by: key} if by else {}
        row |= {"kpi": kpi.name, "value": value, "target": goal, "previous": previous}
        row |= {"trend": arrow, "better": better, "n": int(den)}
        rows.append(row)
    return rows


def _pair(slot: list[float]) -> tuple[float, int]:
    return slot[0], int(slot[1])


__all__ = ["AskResult", "ask", "buckets", "filtered_kpis", "load_vocabulary", "run_query"]
