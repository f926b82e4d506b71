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
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import func, select, union

from aftersales.analytics.ask import (
    Query,
    Refusal,
    Vocabulary,
    build_vocabulary,
    format_answer,
    format_refusal,
    parse_question,
)
from aftersales.analytics.ask.time import PromotionCalendar, TimeRange, month_end, shift_year
from aftersales.analytics.kpis import KPIS, value_of
from aftersales.config import Settings
from aftersales.errors import PolicyError
from aftersales.services.ask_paraphrase import paraphrase
from aftersales.services.insights import promotion_calendar
from aftersales.services.kpi import compute_kpis, targets_for
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
    paraphrased_as: str | None = Field(
        default=None, description="The rewrite that was answered, when the optional paraphrase endpoint was used."
    )


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
    calendar = promotion_calendar(settings)

    def of_year(year: int) -> list[Any]:
        windows_ = calendar.windows(dt.date(year, 1, 1), dt.date(year, 12, 31))
        return [w for w in windows_ if w.start.year == year]

    return of_year


def ask(settings: Settings, question: str, locale: str | None = None, today: dt.date | None = None) -> AskResult:
    """Answer one question, or refuse it with up to three close questions that can be answered."""
    today = today or dt.datetime.now(settings.zone).date()
    vocabulary = load_vocabulary(settings)
    parsed = parse_question(question, today=today, vocabulary=vocabulary, promotions=promotions_for(settings))
    rewrite = None
    if isinstance(parsed, Refusal) and settings.ask_llm_url:
        rewrite = paraphrase(settings, question, parsed.suggestions)
        if rewrite is not None:
            again = parse_question(rewrite, today=today, vocabulary=vocabulary, promotions=promotions_for(settings))
            parsed, rewrite = (again, rewrite) if isinstance(again, Query) else (parsed, None)
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
    rows = run_query(settings, parsed, vocabulary, today)
    answer = format_answer(parsed, rows, vocabulary)
    return AskResult(
        question=question,
        answered=True,
        answer=answer,
        language=parsed.language,
        query=parsed,
        rows=rows,
        paraphrased_as=rewrite,
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
    return compute_kpis(settings, name, by, start=first, end=last, today=today, filters=dict(filters))


__all__ = ["AskResult", "ask", "buckets", "load_vocabulary", "run_query"]
