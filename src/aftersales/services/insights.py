"""Insights use cases: aggregate in SQL (GROUP BY per series and local day), then hand frames to the pure core.

Reason Pareto (return-form codes or the reasons read from customers' messages) with drill-down, stated vs. actual
reasons, anomalies in return rate / complaint volume by a dimension, and change points of one series. The weekly
series, filters and local-day SQL they share live in `services.insight_series`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.engine import Connection

from aftersales.analytics.insights import anomalies as anomaly_core
from aftersales.analytics.insights.changepoints import detect_changepoints
from aftersales.analytics.insights.pareto import VITAL_SHARE, pareto
from aftersales.analytics.insights.reasons import UNSPECIFIED, compare_reasons, reason_labels
from aftersales.config import Settings
from aftersales.errors import InvalidInputError
from aftersales.nlp.pii import mask_pii
from aftersales.services.insight_series import (
    CASE_COLS,
    DIMENSIONS,
    FILTERS,
    MATURITY_DAYS,
    MESSAGE_COLS,
    METRICS,
    ORDER_COLS,
    RETURN_COLS,
    Filters,
    check_dimension,
    conditions,
    count_weeks,
    daily_series,
    metric_info,
    promo_share,
    promotion_calendar,
    trim_immature,
    week_labels,
)
from aftersales.storage import db
from aftersales.storage.tables import analyses, customers, interactions, orders, returns

__all__ = [
    "CASE_COLS",
    "DIMENSIONS",
    "FILTERS",
    "MATURITY_DAYS",
    "METRICS",
    "ORDER_COLS",
    "SOURCES",
    "Filters",
    "compare_stated_actual",
    "compute_pareto",
    "find_anomalies",
    "find_changepoints",
    "list_promotions",
    "pareto_items",
    "promotion_calendar",
]

SOURCES = ("returns", "messages")
SNIPPET_CHARS = 120
MIN_SERIES = 3
"""Anomalies judge a series against how the others moved: with one or two series there is nothing fair to compare."""


def list_promotions(settings: Settings, start: dt.date, end: dt.date) -> list[dict[str, str]]:
    """The promotion windows overlapping [start, end], as {name, start, end}."""
    if end < start:
        raise InvalidInputError(f"--to {end} is before --from {start}")
    return [w.to_dict() for w in promotion_calendar(settings).windows(start, end)]


def _latest_analysis() -> Any:
    """One analysis per message: the newest row (a message re-analysed by a newer model counts once)."""
    return analyses.c.id.in_(select(func.max(analyses.c.id)).group_by(analyses.c.interaction_id))


def _returns_from() -> Any:
    return returns.join(orders, returns.c.order_id == orders.c.order_id)


def _messages_from() -> Any:
    return (
        analyses.join(interactions, analyses.c.interaction_id == interactions.c.interaction_id)
        .join(customers, interactions.c.customer_id == customers.c.customer_id)
        .outerjoin(orders, interactions.c.order_id == orders.c.order_id)
    )


def _source(source: str) -> str:
    if source not in SOURCES:
        raise InvalidInputError(f"unknown source {source!r}; use one of: {', '.join(SOURCES)}")
    return source


def _reason_key(source: str) -> Any:
    if source == "returns":
        return func.coalesce(returns.c.reason_code, UNSPECIFIED)
    return analyses.c.primary_reason


def _source_query(source: str, filters: Filters, settings: Settings, skip_reason: bool) -> tuple[Any, list[Any]]:
    """(FROM clause, WHERE conditions) of one Pareto source."""
    skip = "reason" if skip_reason else ""
    if source == "returns":
        return _returns_from(), conditions(returns.c.requested_at, RETURN_COLS, filters, settings, skip)
    conds = conditions(interactions.c.created_at, MESSAGE_COLS, filters, settings, skip)
    conds += [interactions.c.author == "customer", analyses.c.primary_reason != "none", _latest_analysis()]
    return _messages_from(), conds


# ---------------------------------------------------------------------------------------------------------------
# Pareto and drill-down


def compute_pareto(
    settings: Settings, source: str = "returns", filters: Filters | None = None, threshold: float = VITAL_SHARE
) -> dict[str, Any]:
    """Reason Pareto of returns (form reason codes) or customer messages (analysed primary reason)."""
    filters = filters or Filters()
    src, conds = _source_query(_source(source), filters, settings, skip_reason=False)
    key = _reason_key(source).label("reason")
    counted = func.count() if source == "returns" else func.count(func.distinct(analyses.c.interaction_id))
    stmt = select(key, counted).select_from(src).where(and_(True, *conds)).group_by(key)
    with db.get_engine(settings).connect() as conn:
        counts = {str(reason): int(n) for reason, n in conn.execute(stmt)}
    return pareto(counts, source, threshold).to_dict() | {"filters": filters.to_dict()}


def _snippet(text: str | None) -> str:
    """A short, PII-masked excerpt (masked again here: data may predate masking, or masking may be off)."""
    if not text:
        return ""
    masked = mask_pii(text).text
    return masked if len(masked) <= SNIPPET_CHARS else masked[: SNIPPET_CHARS - 1] + "…"


def _local_iso(value: dt.datetime | None, settings: Settings) -> str | None:
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC).astimezone(settings.zone).replace(tzinfo=None).isoformat(timespec="seconds")


def pareto_items(
    settings: Settings,
    reason: str,
    source: str = "returns",
    filters: Filters | None = None,
    limit: int = 20,
    offset: int = 0,
) -> dict[str, Any]:
    """The returns or messages behind one Pareto bar, newest first, paginated, with masked text snippets."""
    filters = filters or Filters()
    if not 1 <= limit <= 500 or offset < 0:
        raise InvalidInputError(f"limit must be 1..500 and offset ≥ 0, got limit={limit} offset={offset}")
    src, conds = _source_query(_source(source), filters, settings, skip_reason=True)
    conds.append(_reason_key(source) == reason)
    where = and_(True, *conds)
    if source == "returns":
        cols = [
            returns.c.return_id,
            returns.c.order_id,
            returns.c.customer_id,
            returns.c.requested_at,
            returns.c.type,
            RETURN_COLS["sku"].label("sku"),
            RETURN_COLS["region"].label("region"),
            returns.c.reason_text,
        ]
        order = [returns.c.requested_at.desc(), returns.c.return_id]
    else:
        cols = [
            interactions.c.interaction_id,
            interactions.c.customer_id,
            interactions.c.order_id,
            interactions.c.return_id,
            interactions.c.created_at,
            interactions.c.channel,
            interactions.c.text,
            analyses.c.evidence,
        ]
        order = [interactions.c.created_at.desc(), interactions.c.interaction_id]
    with db.get_engine(settings).connect() as conn:
        total = int(conn.execute(select(func.count()).select_from(src).where(where)).scalar_one())
        rows = conn.execute(select(*cols).select_from(src).where(where).order_by(*order).limit(limit).offset(offset))
        items = [_item(source, dict(row._mapping), reason, settings) for row in rows]
    zh, en = reason_labels(reason)
    return {
        "reason": reason,
        "zh": zh,
        "en": en,
        "source": source,
        "total": total,
        "limit": limit,
        "offset": offset,
        "items": items,
        "filters": filters.to_dict(),
    }


def _item(source: str, row: dict[str, Any], reason: str, settings: Settings) -> dict[str, Any]:
    if source == "returns":
        text = row.pop("reason_text")
        row["requested_at"] = _local_iso(row["requested_at"], settings)
        return row | {"snippet": _snippet(text)}
    text = row.pop("text")
    evidence = row.pop("evidence") or {}
    words = [str(e.get("text", "")) for e in evidence.get(f"reason:{reason}", []) if isinstance(e, dict)]
    row["created_at"] = _local_iso(row["created_at"], settings)
    return row | {"snippet": _snippet(text), "evidence": [mask_pii(w).text for w in words]}


# ---------------------------------------------------------------------------------------------------------------
# Stated vs actual


def _linked_messages(conn: Connection, filters: Filters, settings: Settings) -> pd.DataFrame:
    """Customer messages about each filtered return: linked by return_id, or by order_id when they cite none."""
    base = conditions(returns.c.requested_at, RETURN_COLS, filters, settings)
    cols = [returns.c.return_id, analyses.c.primary_reason, analyses.c.reason_scores, analyses.c.reasons]
    frames = []
    for link in (
        interactions.c.return_id == returns.c.return_id,
        and_(interactions.c.return_id.is_(None), interactions.c.order_id == returns.c.order_id),
    ):
        src = (
            _returns_from()
            .join(interactions, link)
            .join(analyses, analyses.c.interaction_id == interactions.c.interaction_id)
        )
        conds = [*base, interactions.c.author == "customer", _latest_analysis()]
        frames.append(pd.DataFrame(conn.execute(select(*cols).select_from(src).where(and_(True, *conds))).all()))
    frame = pd.concat([f for f in frames if not f.empty] or [pd.DataFrame(columns=[c.name for c in cols])])
    scores = frame["reason_scores"].tolist()
    primary = frame["primary_reason"].astype(str).tolist()
    frame["score"] = [float((s or {}).get(p, 0.0)) for s, p in zip(scores, primary, strict=True)]
    frame["reasons"] = [list(r or []) for r in frame["reasons"]]
    return frame[["return_id", "primary_reason", "score", "reasons"]]


def compare_stated_actual(
    settings: Settings, filters: Filters | None = None, top: int = 10, examples: int = 5
) -> dict[str, Any]:
    """Confusion table of return-form reason codes against the reasons read from the customers' own messages."""
    filters = filters or Filters()
    base = conditions(returns.c.requested_at, RETURN_COLS, filters, settings)
    stated_col = func.coalesce(returns.c.reason_code, UNSPECIFIED).label("stated")
    with db.get_engine(settings).connect() as conn:
        stmt = select(returns.c.return_id, stated_col).select_from(_returns_from()).where(and_(True, *base))
        stated = pd.DataFrame(conn.execute(stmt).all(), columns=["return_id", "stated"])
        messages = _linked_messages(conn, filters, settings)
    result = compare_reasons(stated, messages, top=top, examples=examples).to_dict()
    return result | {"filters": filters.to_dict()}


def find_anomalies(
    settings: Settings,
    metric: str = "return_rate",
    by: str = "region",
    filters: Filters | None = None,
    alpha: float = 0.05,
    direction: str = "up",
    baseline_weeks: int = anomaly_core.BASELINE_WEEKS,
    limit: int | None = None,
) -> dict[str, Any]:
    """Unusual weeks of return rate / complaint volume per region, category, SKU, channel or tier."""
    info, by = metric_info(metric), check_dimension(by)
    if direction not in anomaly_core.DIRECTIONS:
        raise InvalidInputError(f"unknown direction {direction!r}; use one of: {', '.join(anomaly_core.DIRECTIONS)}")
    filters = filters or Filters()
    if by in filters.equalities():
        raise InvalidInputError(f"cannot filter on {by!r} while comparing values of {by!r}; drop one of them")
    calendar = promotion_calendar(settings)
    daily = daily_series(settings, metric, by, filters)
    frame = promo_share(daily, calendar) if info.is_rate else count_weeks(daily, calendar)
    n_series = frame["series"].nunique()
    if 0 < n_series < MIN_SERIES:
        raise InvalidInputError(
            f"anomalies compare each {by} with the others: need at least {MIN_SERIES} values of {by}, "
            f"found {n_series}; choose another dimension (region, category, sku, channel)"
        )
    weeks = pd.DatetimeIndex(sorted(frame["week"].unique())) if not frame.empty else pd.DatetimeIndex([])
    full = pd.date_range(weeks.min(), weeks.max(), freq="7D") if len(weeks) else weeks
    panel = anomaly_core.build_panel(frame, week_labels(calendar, full))
    report = anomaly_core.find_anomalies(
        panel,
        info,
        by,
        alpha=alpha,
        baseline_weeks=baseline_weeks,
        direction=direction,  # type: ignore[arg-type]
    )
    found = report.anomalies[:limit] if limit else report.anomalies
    return {
        "metric": metric,
        "by": by,
        "alpha": alpha,
        "direction": direction,
        "baseline_weeks": baseline_weeks,
        "series": report.series,
        "weeks": report.weeks,
        "windows_tested": report.windows_tested,
        "dispersion": round(report.dispersion, 3),
        "found": len(report.anomalies),
        "filters": filters.to_dict(),
        "anomalies": [a.to_dict() for a in found],
    }


def find_changepoints(
    settings: Settings,
    metric: str = "return_rate",
    by: str | None = None,
    value: str | None = None,
    filters: Filters | None = None,
    penalty: float | None = None,
    min_size: int = 4,
    alpha: float = 0.05,
) -> dict[str, Any]:
    """Change points of one weekly series (the whole shop, or one value of a dimension) with levels and p-values."""
    info = metric_info(metric)
    if (by is None) != (value is None):
        raise InvalidInputError("give both --by and --value (one series), or neither (the whole shop)")
    filters = filters or Filters()
    if by is not None:
        check_dimension(by)
        if by in filters.equalities():
            raise InvalidInputError(f"--by {by} and a {by} filter together; use --value for the series")
        filters = Filters(**{**filters.__dict__, by: value})
    daily = daily_series(settings, metric, None, filters)
    weekly = daily.groupby("week")[["observed", *(["exposure"] if info.is_rate else [])]].sum()
    if not weekly.empty:
        weekly = weekly.reindex(pd.date_range(weekly.index.min(), weekly.index.max(), freq="7D"), fill_value=0)
        weekly = trim_immature(settings, metric, weekly)
    calendar = promotion_calendar(settings)
    labels = week_labels(calendar, pd.DatetimeIndex(weekly.index))
    weeks = [w.date() for w in weekly.index]
    result = detect_changepoints(
        weeks,
        weekly["observed"].to_numpy(dtype=float),
        weekly["exposure"].to_numpy(dtype=float) if info.is_rate else None,
        penalty=penalty,
        min_size=min_size,
        alpha=alpha,
        labels=[labels.get(w, []) for w in weekly.index],
    )
    return {
        "metric": metric,
        "series": {by: value} if by else "all",
        "level": "rate per order (by order week)" if info.is_rate else "cases per week (by opening week)",
        "filters": filters.to_dict(),
    } | result.to_dict()
