"""The managers' overview: KPI cards with sparklines, emotion mix, reason Pareto, open-case load, and drill-downs.

The web dashboard and `GET /api/v1/dashboard` render these same dictionaries; every chart point carries the filters
that `drill` turns back into the cases and messages behind it. The KPI cards (six months of `compute_kpis`) and the
anomaly panel are kept per filter set for `dashboard_cache_seconds` (time-invalidated, per process); the live parts
(queue load, SLA risk) and the cheap aggregates are computed on every call.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, case, distinct, func, select

from aftersales.analytics.kpis import KPIS
from aftersales.config import Settings, get_settings
from aftersales.errors import InvalidInputError, PermissionDeniedError
from aftersales.services import insights as insights_svc
from aftersales.services import kpi as kpi_svc
from aftersales.services.cases import OPEN, with_sla
from aftersales.services.runtime import get_runtime
from aftersales.services.users import Principal
from aftersales.storage import db
from aftersales.storage.db import utcnow
from aftersales.storage.tables import analyses, cases, customers, interactions, orders
from aftersales.vocab import Channel, Emotion

SPANS = (1, 3, 6, 12)
SPARK_MONTHS = 6
MIX_MONTHS = 6
SLA_SCAN_LIMIT = 5000  # open cases whose live SLA state is computed; beyond that the risk counts are partial
ANOMALY_METRICS = ("return_rate", "complaint_volume")
ANOMALY_LIMIT = 5


class TtlCache:
    """Results of slow read-only queries for a few seconds, keyed by their arguments (one per process, thread-safe)."""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, ttl: float, compute: Callable[[], Any]) -> Any:
        """The cached value while younger than `ttl` seconds, else a fresh one (ttl 0: always fresh)."""
        if ttl <= 0:
            return compute()
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = compute()  # outside the lock: two concurrent misses compute twice rather than queue
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries = {k: v for k, v in self._entries.items() if v[0] > now}
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()
            self._entries[key] = (now + ttl, value)
        return value

    def clear(self) -> None:
        """Forget everything (tests, or after a bulk import when fresh numbers are wanted at once)."""
        with self._lock:
            self._entries.clear()


CACHE = TtlCache()


def _cache_key(settings: Settings, *parts: Hashable) -> tuple[Hashable, ...]:
    """Everything a cached result depends on besides its arguments: the database and the configured targets."""
    return (settings.resolved_database_url, tuple(sorted(settings.kpi_targets.items())), *parts)


@dataclass(frozen=True)
class Filters:
    """Dashboard filters; `channel` is a contact channel (chat, phone …) or a sales channel (an order's shop)."""

    region: str | None = None
    category: str | None = None
    channel: str | None = None

    def active(self) -> dict[str, str]:
        """The filters that are set, by dimension name."""
        return {k: v for k, v in asdict(self).items() if v}


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _month_end(first: dt.date) -> dt.date:
    return _add_months(first, 1) - dt.timedelta(days=1)


def parse_month(value: str | None, today: dt.date) -> dt.date:
    """`YYYY-MM` to its first day; default the last full month before `today`."""
    if not value:
        return _add_months(_month_start(today), -1)
    try:
        return dt.date.fromisoformat(f"{value}-01")
    except ValueError:
        raise InvalidInputError(f"month: expected YYYY-MM, got {value!r}") from None


def _utc(day: dt.date, settings: Settings) -> dt.datetime:
    return db.local_midnight_utc(day, settings.zone)


def _channel_cond(channel: str, contact_col: Any) -> ColumnElement[bool]:
    """A contact channel filters the contact column; anything else is a sales channel on the order."""
    if channel in Channel.codes():
        return contact_col == channel  # type: ignore[no-any-return]
    return orders.c.channel == channel


def _case_conds(filters: Filters) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if filters.region:
        conds.append(customers.c.region == filters.region)
    if filters.category:
        conds.append(orders.c.category == filters.category)
    if filters.channel:
        conds.append(_channel_cond(filters.channel, cases.c.channel))
    return conds


CASES_FROM = cases.join(customers, customers.c.customer_id == cases.c.customer_id).outerjoin(
    orders, orders.c.order_id == cases.c.order_id
)


def _latest_analysis() -> Any:
    """Id of each message's latest analysis (a re-analysis with new models must not count twice)."""
    return select(func.max(analyses.c.id).label("id")).group_by(analyses.c.interaction_id).subquery()


def _messages_from() -> Any:
    latest = _latest_analysis()
    return (
        analyses.join(latest, latest.c.id == analyses.c.id)
        .join(interactions, interactions.c.interaction_id == analyses.c.interaction_id)
        .join(customers, customers.c.customer_id == interactions.c.customer_id)
        .outerjoin(orders, orders.c.order_id == interactions.c.order_id)
    )


def _message_conds(filters: Filters, start: dt.datetime, end: dt.datetime) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = [
        interactions.c.author == "customer",
        interactions.c.created_at >= start,
        interactions.c.created_at < end,
    ]
    if filters.region:
        conds.append(customers.c.region == filters.region)
    if filters.category:
        conds.append(orders.c.category == filters.category)
    if filters.channel:
        conds.append(_channel_cond(filters.channel, interactions.c.channel))
    return conds


def _require_manager(principal: Principal) -> None:
    if not principal.sees_all_queues:
        raise PermissionDeniedError("the overview is for managers and admins; agents work from the workbench")


def filter_options(settings: Settings, today: dt.date | None = None) -> dict[str, Any]:
    """What the filter selects offer: regions, categories, contact and sales channels, the last 24 months."""
    today = today or dt.datetime.now(settings.zone).date()
    with db.get_engine(settings).connect() as conn:

        def values(col: Any) -> list[str]:
            return sorted(v for (v,) in conn.execute(select(distinct(col)).where(col.is_not(None))) if v)

        regions = values(customers.c.region)
        categories = values(orders.c.category)
        contact = [c for c in Channel.codes() if c in set(values(cases.c.channel))]
        sales = values(orders.c.channel)
    latest = _add_months(_month_start(today), -1)
    months = [_add_months(latest, -i).strftime("%Y-%m") for i in range(24)]
    return {
        "regions": regions,
        "categories": categories,
        "contact_channels": contact,
        "sales_channels": sales,
        "months": months,
        "spans": list(SPANS),
    }


def _kpi_rows(settings: Settings, filters: Filters, start: dt.date, end: dt.date) -> dict[str, dict[str, Any]]:
    """KPI rows for one window by name, through `compute_kpis` with every active filter (KPIs that cannot take one
    of the filtered dimensions are left out, so their cards say "not available")."""
    rows = kpi_svc.compute_kpis(settings, start=start, end=end, filters=dict(filters.active()) or None)
    return {r["kpi"]: r for r in rows}


def kpi_cards(settings: Settings, filters: Filters, month: dt.date, span: int) -> list[dict[str, Any]]:
    """One card per registry KPI: value, target, previous, trend arrow and a monthly sparkline."""
    key = _cache_key(settings, "kpi_cards", filters, month, span, dt.datetime.now(settings.zone).date())
    cards = CACHE.get(key, settings.dashboard_cache_seconds, lambda: _kpi_cards(settings, filters, month, span))
    return [dict(c) for c in cards]  # copies: callers may not change the cached ones


def _kpi_cards(settings: Settings, filters: Filters, month: dt.date, span: int) -> list[dict[str, Any]]:
    start = _add_months(month, -(span - 1))
    spark_months = [_add_months(month, -i) for i in reversed(range(SPARK_MONTHS))]
    monthly = [_kpi_rows(settings, filters, m, _month_end(m)) for m in spark_months]
    # A one-month period is the sparkline's last point: its rows already carry the previous month and the trend.
    current = monthly[-1] if span == 1 else _kpi_rows(settings, filters, start, _month_end(month))
    cards = []
    for name, kdef in KPIS.items():
        row = current.get(name)
        cards.append(
            {
                "kpi": name,
                "label_zh": kdef.zh,
                "label_en": kdef.en,
                "unit": kdef.unit,
                "direction": str(kdef.direction),
                "available": row is not None,
                "value": None if row is None else row["value"],
                "target": kdef.target if row is None else row["target"],
                "previous": None if row is None else row["previous"],
                "trend": None if row is None else row["trend"],
                "better": None if row is None else row["better"],
                "n": 0 if row is None else row["n"],
                "spark": [
                    {"month": m.strftime("%Y-%m"), "value": (rows.get(name) or {}).get("value")}
                    for m, rows in zip(spark_months, monthly, strict=True)
                ],
            }
        )
    return cards


def emotion_mix(settings: Settings, filters: Filters, month: dt.date) -> dict[str, Any]:
    """Customer messages per month and emotion (latest analysis of each), over the months up to `month`."""
    months = [_add_months(month, -i) for i in reversed(range(MIX_MONTHS))]
    bounds = [_utc(m, settings) for m in [*months, _add_months(month, 1)]]
    bucket = case(
        *[(interactions.c.created_at < bounds[i + 1], m.strftime("%Y-%m")) for i, m in enumerate(months)],
        else_=None,
    ).label("month")
    stmt = (
        select(bucket, analyses.c.emotion, func.count().label("n"))
        .select_from(_messages_from())
        .where(*_message_conds(filters, bounds[0], bounds[-1]))
        .group_by(bucket, analyses.c.emotion)
    )
    counts: dict[str, dict[str, int]] = {e: {m.strftime("%Y-%m"): 0 for m in months} for e in Emotion.codes()}
    with db.get_engine(settings).connect() as conn:
        for m, emotion, n in conn.execute(stmt):
            if m is not None and emotion in counts:
                counts[emotion][m] = int(n)
    labels = [m.strftime("%Y-%m") for m in months]
    return {"months": labels, "series": {e: [counts[e][m] for m in labels] for e in Emotion.codes()}}


def reason_pareto(settings: Settings, filters: Filters, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Cases opened in the window by primary reason, largest first, with each reason's share and the running total."""
    reason = func.coalesce(cases.c.primary_reason, "none").label("reason")
    stmt = (
        select(reason, func.count().label("n"))
        .select_from(CASES_FROM)
        .where(
            cases.c.opened_at >= _utc(start, settings),
            cases.c.opened_at < _utc(end + dt.timedelta(days=1), settings),
            *_case_conds(filters),
        )
        .group_by(reason)
        .order_by(func.count().desc(), reason)
    )
    with db.get_engine(settings).connect() as conn:
        rows = [(r, int(n)) for r, n in conn.execute(stmt)]
    total = sum(n for _, n in rows) or 1
    out, running = [], 0
    for r, n in rows:
        running += n
        out.append({"reason": r, "count": n, "share": n / total, "cumulative": running / total})
    return out


def open_load(principal: Principal, settings: Settings, filters: Filters) -> dict[str, Any]:
    """Open cases by queue and priority with live SLA state (ok, at risk, breached) per queue."""
    query: Select[Any] = select(cases).select_from(CASES_FROM).where(cases.c.status.in_(OPEN), *_case_conds(filters))
    if not principal.sees_all_queues:
        query = query.where(cases.c.queue.in_(list(principal.queues)))
    query = query.order_by(cases.c.priority, cases.c.first_response_due).limit(SLA_SCAN_LIMIT)
    with db.get_engine(settings).connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    now, calendar = utcnow(), get_runtime(settings).calendar
    grid: dict[tuple[str, str], int] = {}
    sla: dict[str, dict[str, int]] = {}
    for row in rows:
        state = with_sla(row, settings, now, calendar)["sla"]
        queue, priority = row["queue"] or "none", row["priority"] or "none"
        grid[(queue, priority)] = grid.get((queue, priority), 0) + 1
        sla.setdefault(queue, {"ok": 0, "at_risk": 0, "breached": 0})[_risk(state)] += 1
    return {
        "by_queue_priority": [{"queue": q, "priority": p, "open": n} for (q, p), n in sorted(grid.items())],
        "sla_by_queue": [{"queue": q, **counts} for q, counts in sorted(sla.items())],
        "total": len(rows),
        "partial": len(rows) >= SLA_SCAN_LIMIT,
    }


def _states(sla: dict[str, Any]) -> tuple[str, ...]:
    return (str(sla.get("first_response")), str(sla.get("resolution")))


def overview(
    principal: Principal,
    settings: Settings | None = None,
    *,
    month: str | None = None,
    span: int = 1,
    filters: Filters | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Everything the overview dashboard shows for one period and set of filters (managers and admins)."""
    settings = settings or get_settings()
    _require_manager(principal)
    if span not in SPANS:
        raise InvalidInputError(f"span: {span} is not one of {', '.join(map(str, SPANS))} (months)")
    filters = filters or Filters()
    today = today or dt.datetime.now(settings.zone).date()
    last = parse_month(month, today)
    start, end = _add_months(last, -(span - 1)), _month_end(last)
    cards = kpi_cards(settings, filters, last, span)
    return {
        "period": {"month": last.strftime("%Y-%m"), "span": span, "start": start.isoformat(), "end": end.isoformat()},
        "filters": filters.active(),
        "kpis": cards,
        "emotion_mix": emotion_mix(settings, filters, last),
        "pareto": reason_pareto(settings, filters, start, end),
        "open_cases": open_load(principal, settings, filters),
    }


def anomaly_panel(principal: Principal, settings: Settings | None = None) -> dict[str, Any]:
    """The dashboard's anomaly panel: shop-wide weekly anomalies by region in return rate and complaint volume."""
    settings = settings or get_settings()
    _require_manager(principal)

    def compute() -> dict[str, Any]:
        found = {}
        for metric in ANOMALY_METRICS:
            found[metric] = insights_svc.find_anomalies(
                settings, metric, "region", insights_svc.Filters(), limit=ANOMALY_LIMIT
            )
        return {"by": "region", "limit": ANOMALY_LIMIT, "metrics": found}

    key = _cache_key(settings, "anomalies", dt.datetime.now(settings.zone).date())
    result: dict[str, Any] = CACHE.get(key, settings.dashboard_cache_seconds, compute)
    return result


def drill(
    principal: Principal,
    settings: Settings | None = None,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    filters: Filters | None = None,
    reason: str | None = None,
    emotion: str | None = None,
    queue: str | None = None,
    priority: str | None = None,
    risk: str | None = None,
    open_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """The cases (and, for an emotion, the messages) behind one chart point; agents see their own queues only."""
    settings = settings or get_settings()
    filters = filters or Filters()
    if not 1 <= limit <= 500 or offset < 0:
        raise InvalidInputError("limit must be 1..500 and offset ≥ 0")
    if risk not in (None, "ok", "at_risk", "breached"):
        raise InvalidInputError(f"risk: {risk!r} is not one of ok, at_risk, breached")
    lo = _utc(start, settings) if start else None
    hi = _utc(end + dt.timedelta(days=1), settings) if end else None
    conds = _case_conds(filters)
    if not principal.sees_all_queues:
        conds.append(cases.c.queue.in_(list(principal.queues)))
    for col, value in ((cases.c.queue, queue), (cases.c.priority, priority)):
        if value:
            conds.append(col == value)
    if reason:
        conds.append(func.coalesce(cases.c.primary_reason, "none") == reason)
    if open_only or risk:
        conds.append(cases.c.status.in_(OPEN))
    messages: list[dict[str, Any]] = []
    engine = db.get_engine(settings)
    with engine.connect() as conn:
        if emotion:
            window = (lo or dt.datetime(1970, 1, 1), hi or dt.datetime(9999, 1, 1))
            mconds = [*_message_conds(filters, *window), analyses.c.emotion == emotion]
            if not principal.sees_all_queues:
                mconds.append(
                    interactions.c.case_id.in_(select(cases.c.case_id).where(cases.c.queue.in_(principal.queues)))
                )
            mq = (
                select(
                    interactions.c.interaction_id,
                    interactions.c.case_id,
                    interactions.c.text,
                    interactions.c.created_at,
                    interactions.c.channel,
                    analyses.c.emotion,
                    analyses.c.intensity,
                    analyses.c.stage,
                )
                .select_from(_messages_from())
                .where(*mconds)
                .order_by(interactions.c.created_at.desc())
            )
            messages = [dict(r) for r in conn.execute(mq.limit(limit).offset(offset)).mappings()]
            conds.append(cases.c.case_id.in_(select(mq.subquery().c.case_id)))
        else:
            if lo is not None:
                conds.append(cases.c.opened_at >= lo)
            if hi is not None:
                conds.append(cases.c.opened_at < hi)
        base = select(cases, customers.c.name.label("customer_name"), customers.c.tier.label("customer_tier"))
        query = base.select_from(CASES_FROM).where(*conds)
        query = query.order_by(cases.c.priority, cases.c.first_response_due, cases.c.case_id)
        if risk:
            rows = [dict(r) for r in conn.execute(query.limit(SLA_SCAN_LIMIT)).mappings()]
        else:
            rows = [dict(r) for r in conn.execute(query.limit(limit).offset(offset)).mappings()]
            count_q = select(func.count()).select_from(CASES_FROM).where(*conds)
            total = int(conn.execute(count_q).scalar_one())
    now, calendar = utcnow(), get_runtime(settings).calendar
    data = [with_sla(r, settings, now, calendar) for r in rows]
    if risk:
        data = [r for r in data if _risk(r["sla"]) == risk]
        total, data = len(data), data[offset : offset + limit]
    iso = [{k: (v.isoformat() if isinstance(v, dt.datetime) else v) for k, v in m.items()} for m in messages]
    return {"data": data, "count": total, "messages": iso}


def _risk(sla: dict[str, Any]) -> str:
    """One word for a case's live SLA: breached, at_risk or ok."""
    if sla.get("breached"):
        return "breached"
    return "at_risk" if "at_risk" in _states(sla) else "ok"
