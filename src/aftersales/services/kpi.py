"""KPI computation: each registry KPI as one SQL aggregate grouped by the asked dimension (SQLAlchemy Core).

Every KPI is a `(dim, num, den)` aggregate over one window; the value is derived from num/den by the KPI's kind.
Windows are local calendar dates in `settings.timezone`, converted to the naive UTC the store keeps.
Extension point for targets: pass `targets={"return_rate": 0.04, ...}` to `compute_kpis` to override the registry
defaults (a future Setting can feed this argument).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Integer,
    Select,
    and_,
    case,
    extract,
    func,
    literal_column,
    null,
    select,
    union_all,
)

from aftersales.analytics.kpis import KPIS, KpiDef, get_kpi, ratio, trend
from aftersales.config import Settings
from aftersales.errors import InvalidInputError
from aftersales.storage import db
from aftersales.storage.tables import analyses, cases, customers, interactions, orders, returns, surveys

PERIODS = ("day", "week", "month")
Window = tuple[dt.datetime, dt.datetime]
Builder = Callable[[Window, str | None, str], list[Select[Any]]]

ORDER_DIM = {
    "region": orders.c.region,
    "category": orders.c.category,
    "sku": orders.c.sku,
    "channel": orders.c.channel,
    "tier": customers.c.tier,
}
RETURN_DIM = ORDER_DIM | {"reason": returns.c.reason_code}
CASE_DIM = {
    "region": customers.c.region,
    "category": orders.c.category,
    "sku": orders.c.sku,
    "channel": cases.c.channel,
    "queue": cases.c.queue,
    "reason": cases.c.primary_reason,
    "tier": customers.c.tier,
}
SURVEY_DIM = {"region": customers.c.region, "tier": customers.c.tier}
MESSAGE_DIM = {"region": customers.c.region, "channel": interactions.c.channel, "tier": customers.c.tier}

ORDERS_FROM = orders.join(customers, orders.c.customer_id == customers.c.customer_id)
RETURNS_FROM = returns.join(orders, returns.c.order_id == orders.c.order_id).join(
    customers, orders.c.customer_id == customers.c.customer_id
)
CASES_FROM = cases.join(customers, cases.c.customer_id == customers.c.customer_id).outerjoin(
    orders, cases.c.order_id == orders.c.order_id
)
SURVEYS_FROM = surveys.join(customers, surveys.c.customer_id == customers.c.customer_id)
MESSAGES_FROM = analyses.join(interactions, analyses.c.interaction_id == interactions.c.interaction_id).join(
    customers, interactions.c.customer_id == customers.c.customer_id
)


def _dim(mapping: dict[str, Any], by: str | None) -> ColumnElement[Any]:
    return (mapping[by] if by else null()).label("dim")


def _within(col: Any, window: Window) -> ColumnElement[bool]:
    return and_(col >= window[0], col < window[1])


def _part(src: FromClause, dims: dict[str, Any], by: str | None, num: Any, den: Any, where: Any) -> Select[Any]:
    """select dim, num, den from src where ... group by dim."""
    dim = _dim(dims, by)
    stmt = select(dim, func.coalesce(num, 0).label("num"), den.label("den")).select_from(src).where(where)
    return stmt.group_by(dim) if by else stmt


def _flag(cond: Any) -> Any:
    return func.sum(case((cond, 1), else_=0))


def _minutes(dialect: str, start: Any, end: Any) -> Any:
    """Wall-clock minutes between two naive timestamps, per database dialect."""
    if dialect == "postgresql":
        return extract("epoch", end - start) / 60.0
    return (func.julianday(end) - func.julianday(start)) * 1440.0


def _rate_over_orders(extra: Any) -> Builder:
    def build(window: Window, by: str | None, _dialect: str) -> list[Select[Any]]:
        zero: ColumnElement[int] = literal_column("0", Integer)
        num = _part(RETURNS_FROM, ORDER_DIM, by, _flag(extra), zero, _within(returns.c.requested_at, window))
        den = _part(ORDERS_FROM, ORDER_DIM, by, zero, func.count(), _within(orders.c.ordered_at, window))
        return [num, den]

    return build


def _cases(num: Callable[[str], Any], den: Any = None, where: Any = None) -> Builder:
    def build(window: Window, by: str | None, dialect: str) -> list[Select[Any]]:
        cond = (
            _within(cases.c.opened_at, window) if where is None else and_(_within(cases.c.resolved_at, window), where)
        )
        return [_part(CASES_FROM, CASE_DIM, by, num(dialect), func.count() if den is None else den, cond)]

    return build


def _surveys(kind: str, num: Any) -> Builder:
    def build(window: Window, by: str | None, _dialect: str) -> list[Select[Any]]:
        cond = and_(surveys.c.kind == kind, _within(surveys.c.answered_at, window))
        return [_part(SURVEYS_FROM, SURVEY_DIM, by, num, func.count(), cond)]

    return build


def _negative_share(window: Window, by: str | None, _dialect: str) -> list[Select[Any]]:
    neg = func.count(func.distinct(case((analyses.c.polarity == "negative", analyses.c.interaction_id))))
    cond = and_(interactions.c.author == "customer", _within(interactions.c.created_at, window))
    return [_part(MESSAGES_FROM, MESSAGE_DIM, by, neg, func.count(func.distinct(analyses.c.interaction_id)), cond)]


def _refund(window: Window, by: str | None, _dialect: str) -> list[Select[Any]]:
    num = func.sum(returns.c.refund_amount)
    return [_part(RETURNS_FROM, RETURN_DIM, by, num, func.count(), _within(returns.c.requested_at, window))]


BUILDERS: dict[str, Builder] = {
    "return_rate": _rate_over_orders(literal_column("1") == 1),
    "exchange_rate": _rate_over_orders(returns.c.type == "exchange"),
    "refund_amount": _refund,
    "complaint_volume": _cases(lambda _d: func.count()),
    "csat": _surveys("csat", func.sum(surveys.c.score)),
    "nps": _surveys("nps", func.sum(case((surveys.c.score >= 9, 1), (surveys.c.score <= 6, -1), else_=0))),
    "first_response_minutes": _cases(
        lambda d: func.sum(_minutes(d, cases.c.opened_at, cases.c.first_response_at)),
        func.count(cases.c.first_response_at),
    ),
    "sla_compliance": _cases(lambda _d: _flag(cases.c.first_response_breached_at.is_(None))),
    "reopen_rate": _cases(lambda _d: _flag(cases.c.reopen_count > 0)),
    "escalation_rate": _cases(lambda _d: _flag(cases.c.stage.in_(("intent_to_complain", "formal_complaint")))),
    "negative_share": _negative_share,
    "emotion_recovery_rate": _cases(
        lambda _d: _flag(cases.c.polarity_close >= -0.2), where=cases.c.polarity_open < -0.2
    ),
}
SCALE = {"nps": 100.0}


def _value(kpi: KpiDef, num: float, den: int) -> float | None:
    """The KPI value from its aggregate: counts and sums stand alone, the rest are num / den."""
    if kpi.name in ("complaint_volume", "refund_amount"):
        return float(num) if den else (0.0 if kpi.name == "complaint_volume" else None)
    value = ratio(num, den)
    return None if value is None else value * SCALE.get(kpi.name, 1.0)


def _local_midnight_utc(day: dt.date, settings: Settings) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(), tzinfo=settings.zone)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def _period_start(day: dt.date, period: str) -> dt.date:
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def _period_end(start: dt.date, period: str) -> dt.date:
    """Last day (inclusive) of the period starting at `start`."""
    if period == "week":
        return start + dt.timedelta(days=6)
    if period == "month":
        nxt = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return nxt - dt.timedelta(days=1)
    return start


def resolve_dates(period: str, start: dt.date | None, end: dt.date | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """Inclusive local [start, end]: explicit dates win; otherwise the last full period before `today`."""
    if period not in PERIODS:
        raise InvalidInputError(f"unknown period {period!r}; use one of: {', '.join(PERIODS)}")
    if start is None and end is None:
        start = _period_start(_period_start(today, period) - dt.timedelta(days=1), period)
    if start is None:
        assert end is not None
        start = _period_start(end, period)
    if end is None:
        end = _period_end(_period_start(start, period), period)
    if end < start:
        raise InvalidInputError(f"--to {end} is before --from {start}")
    return start, end


def windows(settings: Settings, start: dt.date, end: dt.date) -> tuple[Window, Window]:
    """(current, previous) naive-UTC half-open windows; previous has the same number of days just before."""
    days = (end - start).days + 1
    cur = (_local_midnight_utc(start, settings), _local_midnight_utc(end + dt.timedelta(days=1), settings))
    prev_start = start - dt.timedelta(days=days)
    return cur, (_local_midnight_utc(prev_start, settings), cur[0])


def _aggregate(conn: Any, kpi: KpiDef, window: Window, by: str | None, dialect: str) -> dict[Any, tuple[float, int]]:
    """{dim value: (num, den)} for one KPI and window, summed in SQL across the KPI's parts."""
    parts = union_all(*BUILDERS[kpi.name](window, by, dialect)).subquery()
    if by:
        stmt = select(parts.c.dim, func.sum(parts.c.num), func.sum(parts.c.den)).group_by(parts.c.dim)
    else:
        stmt = select(null(), func.sum(parts.c.num), func.sum(parts.c.den))
    return {d: (float(n or 0), int(c or 0)) for d, n, c in conn.execute(stmt)}


def compute_kpis(
    settings: Settings,
    name: str | None = None,
    by: str | None = None,
    period: str = "month",
    start: dt.date | None = None,
    end: dt.date | None = None,
    targets: dict[str, float] | None = None,
    today: dt.date | None = None,
) -> list[dict[str, Any]]:
    """Rows of {by?, kpi, value, target, previous, trend, better, n}; `targets` overrides registry defaults."""
    if name is not None:
        kpis = [get_kpi(name)]
        kpis[0].check_dimension(by)
    else:
        kpis = [k for k in KPIS.values() if by is None or by in k.dimensions]
        if not kpis:
            raise InvalidInputError(f"no KPI supports dimension {by!r}; dimensions: region, category, sku, ...")
    today = today or dt.datetime.now(settings.zone).date()
    try:
        cur, prev = windows(settings, *resolve_dates(period, start, end, today))
    except OverflowError:
        # Dates at the edge of the calendar (year 1 or 9999) leave no room for the window or the one before it.
        raise InvalidInputError(f"dates out of range: from={start} to={end}") from None
    targets = targets or {}
    engine = db.get_engine(settings)
    rows: list[dict[str, Any]] = []
    with engine.connect() as conn:
        for kpi in kpis:
            now = _aggregate(conn, kpi, cur, by, engine.dialect.name)
            before = _aggregate(conn, kpi, prev, by, engine.dialect.name)
            keys = sorted(set(now) | set(before), key=lambda k: (k is None, str(k))) if by else [None]
            for key in keys:
                num, den = now.get(key, (0.0, 0))
                value = _value(kpi, num, den)
                previous = _value(kpi, *before.get(key, (0.0, 0)))
                arrow, better = trend(value, previous, kpi.direction)
                row: dict[str, Any] = {by: key} if by else {}
                row |= {"kpi": kpi.name, "value": value, "target": targets.get(kpi.name, kpi.target)}
                row |= {"previous": previous, "trend": arrow, "better": better, "n": den}
                rows.append(row)
    return rows
