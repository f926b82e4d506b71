"""The SQL behind each KPI, fused: one scan per source table answers every KPI counted from it, both windows at once.

A KPI is a list of `Part`s, each a `(num, den)` pair of SQL aggregates over one `Source` (orders placed, returns
requested, cases opened, cases resolved, customer messages, surveys answered). `fused_select` turns all parts of one
source into a single `SELECT is_current, dim, num_1, den_1, num_2, den_2, … GROUP BY dim, is_current` over the
current and the previous window together, joining only the tables the asked dimension needs. KPIs that are not sums
over one source have their own statement: percentiles (`percentile_cont` on PostgreSQL, window-function ranks on
SQLite, which has no percentile aggregate), repurchase and churn (customer-level, both windows in one statement each).
No row is looped over in Python. `services.kpi` runs the statements side by side; the plans they rely on (covering
indexes of migrations 0004/0005, statistics) are measured in docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    FromClause,
    Integer,
    Select,
    Table,
    and_,
    case,
    cast,
    exists,
    extract,
    func,
    literal_column,
    null,
    select,
    true,
)

from aftersales.analytics.kpis import KPIS, REPURCHASE_DAYS
from aftersales.storage.tables import analyses, cases, customers, interactions, orders, returns, surveys

Window = tuple[dt.datetime, dt.datetime]
Sql = Callable[[str], Any]  # dialect → SQL aggregate expression

ESCALATED = ("intent_to_complain", "formal_complaint")
RECOVERED_FROM = -0.2  # polarity below this at open counts as upset; at or above it at close as recovered


@dataclass(frozen=True)
class Query:
    """What every statement needs: both half-open naive-UTC windows, the dimension, the dialect, the churn horizon."""

    current: Window
    previous: Window
    by: str | None
    dialect: str
    churn_days: int = 90
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (dimension, allowed values): WHERE dim IN (...)

    @property
    def dims(self) -> tuple[str | None, ...]:
        """The breakdown and every filtered dimension: what the FROM clause must be able to reach."""
        return (self.by, *(dim for dim, _ in self.filters))


@dataclass(frozen=True)
class Join:
    """A table joined in only when a dimension needs it (`after` names the join it hangs off)."""

    table: Table
    on: Any
    outer: bool = False
    after: str | None = None


@dataclass(frozen=True)
class Source:
    """Rows a group of KPIs is counted over: a base table, its cohort timestamp, dimensions and their joins."""

    base: FromClause
    time: Any
    dims: dict[str, Any]
    needs: dict[str, tuple[str, ...]]  # dimension → names of the joins it needs, in order
    joins: dict[str, Join] = field(default_factory=dict)
    where: Any = None

    def from_clause(self, *dims: str | None) -> FromClause:
        """The base table plus only the joins the dimensions need (each join once, in dependency order)."""
        names: list[str] = []
        for dim in dims:
            names += [n for n in self.needs.get(dim or "", ()) if n not in names]
        src = self.base
        for name in names:
            join = self.joins[name]
            src = src.outerjoin(join.table, join.on) if join.outer else src.join(join.table, join.on)
        return src

    def where_clause(self, q: Query, *conditions: Any) -> ColumnElement[bool]:
        """The source's own condition, the query's dimension filters and any extra conditions, ANDed."""
        conds = [*conditions, *(self.dims[dim].in_(values) for dim, values in q.filters)]
        return and_(true(), *conds) if self.where is None else and_(self.where, *conds)


def _analysed() -> Any:
    """EXISTS an analysis of the message (any model version): the messages are counted once each, without joining
    their analyses in and counting DISTINCT (which made PostgreSQL hash every analysis ever stored and sort)."""
    return exists().where(analyses.c.interaction_id == interactions.c.interaction_id)


def _negative() -> Any:
    """1 when any analysis of the message is negative, else 0: one index lookup per message."""
    negative = case((analyses.c.polarity == "negative", 1), else_=0)
    same_message = analyses.c.interaction_id == interactions.c.interaction_id
    return select(func.max(negative)).where(same_message).scalar_subquery()


_CUSTOMER_OF_ORDER = Join(customers, orders.c.customer_id == customers.c.customer_id)
_CASE_JOINS = {
    "customers": Join(customers, cases.c.customer_id == customers.c.customer_id),
    "orders": Join(orders, cases.c.order_id == orders.c.order_id, outer=True),
}
_CASE_DIMS = {
    "region": customers.c.region,
    "category": orders.c.category,
    "sku": orders.c.sku,
    "channel": cases.c.channel,
    "queue": cases.c.queue,
    "reason": cases.c.primary_reason,
    "tier": customers.c.tier,
}
_CASE_NEEDS: dict[str, tuple[str, ...]] = {
    "region": ("customers",),
    "tier": ("customers",),
    "category": ("orders",),
    "sku": ("orders",),
}
_ORDER_DIMS = {
    "region": orders.c.region,
    "category": orders.c.category,
    "sku": orders.c.sku,
    "channel": orders.c.channel,
    "tier": customers.c.tier,
}
_VIA_ORDER = ("orders",)

SOURCES: dict[str, Source] = {
    "orders": Source(orders, orders.c.ordered_at, _ORDER_DIMS, {"tier": ("customers",)},
                     {"customers": _CUSTOMER_OF_ORDER}),
    "returns": Source(
        returns, returns.c.requested_at, _ORDER_DIMS | {"reason": returns.c.reason_code},
        {"region": _VIA_ORDER, "category": _VIA_ORDER, "sku": _VIA_ORDER, "channel": _VIA_ORDER,
         "tier": ("orders", "customers")},
        {"orders": Join(orders, returns.c.order_id == orders.c.order_id), "customers": _CUSTOMER_OF_ORDER},
    ),
    "cases_opened": Source(cases, cases.c.opened_at, _CASE_DIMS, _CASE_NEEDS, _CASE_JOINS),
    "cases_resolved": Source(cases, cases.c.resolved_at, _CASE_DIMS, _CASE_NEEDS, _CASE_JOINS),
    "messages": Source(
        interactions,
        interactions.c.created_at,
        {"region": customers.c.region, "channel": interactions.c.channel, "tier": customers.c.tier},
        {"region": ("customers",), "tier": ("customers",)},
        {"customers": Join(customers, interactions.c.customer_id == customers.c.customer_id)},
        where=and_(interactions.c.author == "customer", _analysed()),
    ),
    "surveys": Source(
        surveys, surveys.c.answered_at, {"region": customers.c.region, "tier": customers.c.tier},
        {"region": ("customers",), "tier": ("customers",)},
        {"customers": Join(customers, surveys.c.customer_id == customers.c.customer_id)},
    ),
}  # fmt: skip


SOURCE_ORDER = ("messages", "cases_resolved", "cases_opened", "orders", "returns", "surveys")
"""The fused statements, heaviest first (so that statements run side by side finish together)."""

SESSION_SETTINGS: dict[str, tuple[str, ...]] = {
    "postgresql": (
        # The correlated subqueries' cost estimates trigger JIT compilation (with inlining and optimisation) for
        # statements that return a few dozen rows: compiling costs more than it saves.
        "SET LOCAL jit = off",
        # The default 4 MB made churn's hash aggregate and the case sorts spill to disk.
        "SET LOCAL work_mem = '64MB'",
        # The month's rows are hot in memory: index lookups of a return's order beat hashing all orders.
        "SET LOCAL random_page_cost = 1.1",
        # The statements already run side by side (services.kpi); parallel workers on top only oversubscribe the
        # CPUs (2-core benchmark: 3.2 s with them, 2.2 s without).
        "SET LOCAL max_parallel_workers_per_gather = 0",
    ),
}
"""Per-transaction settings for the KPI statements (SET LOCAL: nothing outlives the statement's transaction)."""


@dataclass(frozen=True)
class Part:
    """One (numerator, denominator) pair of aggregates over one source; a KPI sums its parts."""

    source: str
    num: Sql
    den: Sql


def _flag(cond: Any) -> Any:
    return func.sum(case((cond, 1), else_=0))


def _count(_dialect: str) -> Any:
    return func.count()


def _none(_dialect: str) -> Any:
    return literal_column("0", Integer)


def days_between(dialect: str, start: Any, end: Any) -> Any:
    """Fractional days from `start` to `end` (naive timestamps), per database dialect."""
    if dialect == "postgresql":
        return cast(extract("epoch", end - start), Float) / 86400.0
    return func.julianday(end) - func.julianday(start)


def _response_minutes(dialect: str) -> Any:
    return days_between(dialect, cases.c.opened_at, cases.c.first_response_at) * 1440.0


def _resolution_hours(dialect: str) -> Any:
    return days_between(dialect, cases.c.opened_at, cases.c.resolved_at) * 24.0


def _first_contact(_dialect: str) -> Any:
    """Never reopened, and the customer wrote at most once on the case (the opening message, if any)."""
    contacts = (
        select(func.count())
        .select_from(interactions)
        .where(interactions.c.case_id == cases.c.case_id, interactions.c.author == "customer")
        .scalar_subquery()
    )
    return _flag(and_(cases.c.reopen_count == 0, contacts <= 1))


def _survey(kind: str, score: Any) -> Part:
    return Part("surveys", lambda _d: func.sum(case((surveys.c.kind == kind, score), else_=0)),
                lambda _d: _flag(surveys.c.kind == kind))  # fmt: skip


_UPSET = cases.c.polarity_open < RECOVERED_FROM
_NPS = case((surveys.c.score >= 9, 1), (surveys.c.score <= 6, -1), else_=0)

PARTS: dict[str, list[Part]] = {
    "return_rate": [Part("returns", _count, _none), Part("orders", _none, _count)],
    "exchange_rate": [Part("returns", lambda _d: _flag(returns.c.type == "exchange"), _none),
                      Part("orders", _none, _count)],
    "refund_amount": [Part("returns", lambda _d: func.sum(returns.c.refund_amount), _count)],
    "complaint_volume": [Part("cases_opened", _count, _count)],
    "complaint_rate": [Part("cases_opened", _count, _none), Part("orders", _none, _count)],
    "csat": [_survey("csat", surveys.c.score)],
    "nps": [_survey("nps", _NPS)],
    "first_contact_resolution": [Part("cases_resolved", _first_contact, _count)],
    "first_response_minutes": [
        Part("cases_opened", lambda d: func.sum(_response_minutes(d)), lambda _d: func.count(cases.c.first_response_at))
    ],
    "resolution_hours": [Part("cases_resolved", lambda d: func.sum(_resolution_hours(d)), _count)],
    "sla_compliance": [Part("cases_opened", lambda _d: _flag(cases.c.first_response_breached_at.is_(None)), _count)],
    "reopen_rate": [Part("cases_opened", lambda _d: _flag(cases.c.reopen_count > 0), _count)],
    "escalation_rate": [Part("cases_opened", lambda _d: _flag(cases.c.stage.in_(ESCALATED)), _count)],
    "negative_share": [Part("messages", lambda _d: func.sum(_negative()), _count)],
    "emotion_recovery_rate": [
        Part("cases_resolved", lambda _d: _flag(and_(_UPSET, cases.c.polarity_close >= RECOVERED_FROM)),
             lambda _d: _flag(_UPSET))
    ],
}  # fmt: skip


def _is_current(time: Any, q: Query) -> Any:
    return case((time >= q.current[0], 1), else_=0)


def _both_windows(time: Any, q: Query) -> ColumnElement[bool]:
    return and_(time >= q.previous[0], time < q.current[1])


def _dim(dims: dict[str, Any], by: str | None) -> Any:
    return dims[by] if by else null()


def fused_select(source: Source, q: Query, aggregates: Sequence[tuple[Any, Any]]) -> Select[Any]:
    """SELECT is_current, dim, num_1, den_1, … over both windows, grouped by dimension value and window.

    The dimension leads the grouping so that a (dimension, time) index can deliver the rows in group order: SQLite
    then counts a month's orders by region from `orders (region, ordered_at)` with a skip-scan, reading no row.
    """
    period, dim = _is_current(source.time, q), _dim(source.dims, q.by)
    cols: list[Any] = [period.label("cur"), dim.label("dim")]
    for i, (num, den) in enumerate(aggregates):
        cols += [num.label(f"n{i}"), den.label(f"d{i}")]
    stmt = (
        select(*cols)
        .select_from(source.from_clause(*q.dims))
        .where(source.where_clause(q, _both_windows(source.time, q)))
    )
    return stmt.group_by(dim, period) if q.by else stmt.group_by(period)


# Percentiles: KPI name → (source, duration in the KPI's unit).
PERCENTILES: dict[str, tuple[str, Sql]] = {
    "first_response_minutes_p50": ("cases_opened", _response_minutes),
    "first_response_minutes_p90": ("cases_opened", _response_minutes),
    "resolution_hours_p50": ("cases_resolved", _resolution_hours),
    "resolution_hours_p90": ("cases_resolved", _resolution_hours),
}


def percentile_select(source: Source, q: Query, value: Any, fractions: Sequence[float]) -> Select[Any]:
    """SELECT is_current, dim, p_1, …, n: percentile_cont of `value` per window and dimension value.

    On SQLite each rank h = (n - 1) × fraction is split into lo = ⌊h⌋ and f = h - lo, and the value is
    x[lo] × (1 - f) + x[lo + 1] × f: exactly percentile_cont's (and pandas' default) linear interpolation.
    """
    period, dim = _is_current(source.time, q), _dim(source.dims, q.by)
    where = source.where_clause(q, _both_windows(source.time, q), value.is_not(None))
    src = source.from_clause(*q.dims)
    if q.dialect == "postgresql":
        pcts = [func.percentile_cont(f).within_group(value).label(f"p{i}") for i, f in enumerate(fractions)]
        stmt = select(period.label("cur"), dim.label("dim"), *pcts, func.count(value).label("n"))
        stmt = stmt.select_from(src).where(where)
        return stmt.group_by(period, dim) if q.by else stmt.group_by(period)
    parts = [period, dim] if q.by else [period]
    # Both window functions share one definition (frame included: row_number ignores it), so SQLite sorts the rows
    # once instead of once per function.
    spec: dict[str, Any] = {"partition_by": parts, "order_by": value, "rows": (None, None)}
    ranked = (
        select(
            period.label("cur"),
            dim.label("dim"),
            value.label("x"),
            (func.row_number().over(**spec) - 1).label("rn"),
            func.count().over(**spec).label("n"),
        )
        .select_from(src)
        .where(where)
        .subquery()
    )
    pcts = []
    for i, fraction in enumerate(fractions):
        h = (ranked.c.n - 1) * fraction
        lo = cast(h, Integer)  # non-negative, so the cast is the floor
        f = h - lo
        pick = case((ranked.c.rn == lo, ranked.c.x * (1 - f)), (ranked.c.rn == lo + 1, ranked.c.x * f), else_=0)
        pcts.append(func.sum(pick).label(f"p{i}"))
    stmt = select(ranked.c.cur, ranked.c.dim, *pcts, func.count().label("n"))
    return stmt.group_by(ranked.c.cur, ranked.c.dim)


_CUSTOMER_DIMS = {"region": customers.c.region, "tier": customers.c.tier}


def _customer_filters(q: Query) -> list[Any]:
    return [_CUSTOMER_DIMS[d].in_(values) for d, values in q.filters]


def _pivoted(dim: Any, q: Query, src: Any, where: Sequence[Any], current: Any, previous: Any, hit: Any) -> Any:
    """SELECT dim, num, den of the current window, num, den of the previous one (the CUSTOMER_LEVEL row shape)."""
    cols = [dim.label("dim"), _flag(and_(current, hit)), _flag(current), _flag(and_(previous, hit)), _flag(previous)]
    stmt = select(*cols).select_from(src).where(*where)
    return stmt.group_by(dim) if q.by else stmt


def repurchase_select(q: Query) -> Select[Any]:
    """Each customer at their first return in each window; repurchased: ordered again within 90 days after it.

    Both windows in one statement (GROUP BY window, customer); a customer whose 90-day follow-up reaches past the
    data's horizon (the latest order) is censored: in neither numerator nor denominator.
    """
    period = _is_current(returns.c.requested_at, q)
    first = (
        select(period.label("cur"), orders.c.customer_id.label("cid"), func.min(returns.c.requested_at).label("at"))
        .select_from(returns.join(orders, returns.c.order_id == orders.c.order_id))
        .where(_both_windows(returns.c.requested_at, q))
        .group_by(period, orders.c.customer_id)
        .subquery("first_return")
    )
    later = orders.alias("later")
    gap = days_between(q.dialect, first.c.at, later.c.ordered_at)
    again = exists().where(later.c.customer_id == first.c.cid, later.c.ordered_at > first.c.at, gap <= REPURCHASE_DAYS)
    horizon = select(func.max(orders.c.ordered_at)).scalar_subquery()
    observed = days_between(q.dialect, first.c.at, horizon) >= REPURCHASE_DAYS
    src = first.join(customers, first.c.cid == customers.c.customer_id) if any(q.dims) else first
    where = [observed, *_customer_filters(q)]
    return _pivoted(_dim(_CUSTOMER_DIMS, q.by), q, src, where, first.c.cur == 1, first.c.cur == 0, again)  # type: ignore[no-any-return]


def _boundaries(q: Query) -> tuple[dt.datetime, ...]:
    """Where churn looks back from: each window's start and end (the previous window's end is the current start)."""
    return tuple(dict.fromkeys((q.previous[0], q.previous[1], q.current[0], q.current[1])))


def churn_select(q: Query) -> Select[Any]:
    """Customers active at each window's start; lapsed: of those, not active at its end (both windows at once).

    A customer is active at instant X when they ordered in [X - N days, X), i.e. their last order before X is at
    most N days old. Denominator: active at the window's start; numerator: of those, not active at its end. Both
    windows in one statement: on SQLite, three index probes per customer (last order before each boundary, on
    `orders (customer_id, ordered_at)`), because sorting the look-back's orders by customer costs it more than
    the probes; on PostgreSQL, one hash aggregate over the orders of the whole look-back instead.
    """
    horizon = dt.timedelta(days=q.churn_days)
    marks = _boundaries(q)
    if q.dialect == "sqlite":
        later = orders.alias("o")
        last = [
            select(func.max(later.c.ordered_at))
            .where(later.c.customer_id == customers.c.customer_id, later.c.ordered_at < mark)
            .scalar_subquery()
            .label(f"l{i}")
            for i, mark in enumerate(marks)
        ]
        keys = [customers.c.region.label("region"), customers.c.tier.label("tier")]
        # MATERIALIZED: each probe runs once per customer, not once per reference to its column.
        lasts = select(*keys, *last).where(*_customer_filters(q)).cte("last_orders").prefix_with("MATERIALIZED")
        active = {
            mark: and_(lasts.c[f"l{i}"].is_not(None), lasts.c[f"l{i}"] >= mark - horizon)
            for i, mark in enumerate(marks)
        }
        src: Any = lasts
        dim = lasts.c[q.by] if q.by else null()
    else:
        lo, hi = min(marks) - horizon, max(marks)
        recent = [and_(orders.c.ordered_at >= mark - horizon, orders.c.ordered_at < mark) for mark in marks]
        flags = [func.max(case((cond, 1), else_=0)).label(f"a{i}") for i, cond in enumerate(recent)]
        per = (
            select(orders.c.customer_id.label("cid"), *flags)
            .where(orders.c.ordered_at >= lo, orders.c.ordered_at < hi)
            .group_by(orders.c.customer_id)
            .subquery("active")
        )
        active = {mark: per.c[f"a{i}"] == 1 for i, mark in enumerate(marks)}
        src = per.join(customers, per.c.cid == customers.c.customer_id) if any(q.dims) else per
        dim = _dim(_CUSTOMER_DIMS, q.by)
    where = _customer_filters(q) if q.dialect != "sqlite" else []
    (cs, ce), (ps, pe) = q.current, q.previous
    cols = [dim.label("dim")]
    cols += [_flag(and_(active[cs], ~active[ce])), _flag(active[cs]), _flag(and_(active[ps], ~active[pe]))]
    stmt = select(*cols, _flag(active[ps])).select_from(src).where(*where)
    return stmt.group_by(dim) if q.by else stmt


CUSTOMER_LEVEL: dict[str, Callable[[Query], Select[Any]]] = {
    "repurchase_rate": repurchase_select,
    "churn_rate": churn_select,
}


def _check_registry() -> None:
    """Every registry KPI has exactly one way to be computed (fails at import, not at the first request)."""
    ways = [set(PARTS), set(PERCENTILES), set(CUSTOMER_LEVEL)]
    assert set().union(*ways) == set(KPIS) and sum(map(len, ways)) == len(KPIS), "KPI registry and SQL out of step"
    for name in PERCENTILES:
        assert KPIS[name].percentile is not None, name


_check_registry()
