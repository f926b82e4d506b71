"""The SQL behind each KPI, fused: one statement per source table answers every KPI counted from it, both windows.

A KPI is a list of `Part`s, each a `(num, den)` pair of SQL aggregates over one `Source` (orders placed, returns
requested, cases opened, cases resolved, customer messages, surveys answered). `fused_select` turns all parts of one
source into a single statement `SELECT is_current, dim, num_1, den_1, num_2, den_2, …` over the current and the
previous window (PostgreSQL: one scan, `GROUP BY dim, is_current`; SQLite: `GROUP BY dim` per window, UNION ALL),
joining only the tables the asked dimension needs. KPIs that are not sums over one source have their own statement:
percentiles (`percentile_cont` on PostgreSQL, window-function ranks on SQLite, which has no percentile aggregate),
repurchase and churn (customer-level, both windows in one statement each). No row is looped over in Python.
`services.kpi` runs the statements side by side; the plans they rely on (indexes of migrations 0004–0006,
statistics) are measured in docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    CompoundSelect,
    Exists,
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
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from aftersales.analytics.kpis import KPIS, REPURCHASE_DAYS
from aftersales.storage.tables import analyses, cases, customers, interactions, orders, returns, surveys

Window = tuple[dt.datetime, dt.datetime]
Statement = Select[Any] | CompoundSelect[Any]
Sql = Callable[[str], Any]  # dialect → SQL aggregate expression

ESCALATED = ("intent_to_complain", "formal_complaint")
NEGATIVE = "negative"  # the polarity that `ix_analyses_negative` indexes (storage.tables)
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


def _exists() -> Exists:
    """EXISTS (SELECT 1 …): with `SELECT *` SQLite reads the table row behind the index entry it found."""
    return exists(literal_column("1"))


def _analysed() -> Any:
    """EXISTS an analysis of the message (any model version): the messages are counted once each, without joining
    their analyses in and counting DISTINCT (which made PostgreSQL hash every analysis ever stored and sort)."""
    return _exists().where(analyses.c.interaction_id == interactions.c.interaction_id)


def _negative() -> Any:
    """1 when any analysis of the message is negative, else 0: one probe of the partial index of negative analyses
    (`ix_analyses_negative`, migration 0006), which answers it without reading the analysis row. The polarity is
    written into the SQL, not bound: a planner can only match a partial index's condition against a literal."""
    same_message = analyses.c.interaction_id == interactions.c.interaction_id
    return case((_exists().where(same_message, analyses.c.polarity == literal_column(f"'{NEGATIVE}'")), 1), else_=0)


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


def _within(time: Any, window: Window) -> ColumnElement[bool]:
    return and_(time >= window[0], time < window[1])


def _dim(dims: dict[str, Any], by: str | None) -> Any:
    return dims[by] if by else null()


def _group_key(source: Source, dim: Any, dialect: str) -> Any:
    """The dimension as SQLite groups by it: as is where a `(dimension, time)` index reads the window in dimension
    order (a skip-scan, no sort); elsewhere `+dim`, which no index orders, so that the planner reads the window by
    its time index and sorts, instead of walking a whole table in dimension order to save that sort (its choice for
    cases resolved by region under approximate statistics: 12x slower)."""
    leads = {tuple(index.columns)[:2] for index in getattr(source.base, "indexes", ())}  # columns hash by identity
    if dialect != "sqlite" or not isinstance(dim, Column) or (dim, source.time) in leads:
        return dim
    return UnaryExpression(dim, operator=custom_op("+"), type_=dim.type)


def fused_select(source: Source, q: Query, aggregates: Sequence[tuple[Any, Any]]) -> Statement:
    """SELECT is_current, dim, num_1, den_1, … per window and dimension value, both windows in one statement.

    PostgreSQL: one scan of both windows, hash-aggregated by (dimension, window), so a joined dimension's table is
    hashed once. SQLite, which sorts to group: `GROUP BY dim` per window (UNION ALL of disjoint windows: each row is
    still read once), narrower sort keys, and no sort at all where an index delivers the rows in dimension order,
    e.g. a month's orders by region from `orders (region, ordered_at)`, a skip-scan reading no row (`_group_key`).
    """
    dim, src = _group_key(source, _dim(source.dims, q.by), q.dialect), source.from_clause(*q.dims)
    aggs = [agg.label(f"{kind}{i}") for i, pair in enumerate(aggregates) for kind, agg in zip("nd", pair, strict=True)]
    if q.dialect != "sqlite":
        period = _is_current(source.time, q)
        stmt = select(period.label("cur"), dim.label("dim"), *aggs).select_from(src)
        stmt = stmt.where(source.where_clause(q, _both_windows(source.time, q)))
        return stmt.group_by(dim, period) if q.by else stmt.group_by(period)

    def one(window: Window, current: int) -> Select[Any]:
        cur = literal_column(str(current), Integer).label("cur")
        stmt = select(cur, dim.label("dim"), *aggs).select_from(src)
        stmt = stmt.where(source.where_clause(q, _within(source.time, window)))
        return stmt.group_by(dim) if q.by else stmt

    return union_all(one(q.current, 1), one(q.previous, 0))


# Percentiles: KPI name → (source, duration in the KPI's unit).
PERCENTILES: dict[str, tuple[str, Sql]] = {
    "first_response_minutes_p50": ("cases_opened", _response_minutes),
    "first_response_minutes_p90": ("cases_opened", _response_minutes),
    "resolution_hours_p50": ("cases_resolved", _resolution_hours),
    "resolution_hours_p90": ("cases_resolved", _resolution_hours),
}


def percentile_select(source: Source, q: Query, value: Any, fractions: Sequence[float]) -> Statement:
    """SELECT is_current, dim, p_1, …, n: percentile_cont of `value` per window and dimension value.

    On SQLite each rank h = (n - 1) × fraction is split into lo = ⌊h⌋ and f = h - lo, and the value is
    x[lo] × (1 - f) + x[lo + 1] × f: exactly percentile_cont's (and pandas' default) linear interpolation.
    """
    dim, src = _dim(source.dims, q.by), source.from_clause(*q.dims)
    if q.dialect == "postgresql":
        period = _is_current(source.time, q)
        where = source.where_clause(q, _both_windows(source.time, q), value.is_not(None))
        pcts = [func.percentile_cont(f).within_group(value).label(f"p{i}") for i, f in enumerate(fractions)]
        stmt = select(period.label("cur"), dim.label("dim"), *pcts, func.count(value).label("n"))
        stmt = stmt.select_from(src).where(where)
        return stmt.group_by(period, dim) if q.by else stmt.group_by(period)

    def one(window: Window, current: int) -> Select[Any]:
        # Per window (UNION ALL): two sorts of half the rows, of a subquery's (dim, x), not of the expressions and the
        # columns they read; one window definition for both functions (row_number ignores the frame): one sort.
        where = source.where_clause(q, _within(source.time, window), value.is_not(None))
        values = select(dim.label("dim"), value.label("x")).select_from(src).where(where).subquery()
        spec: dict[str, Any] = {"order_by": values.c.x, "rows": (None, None)}
        spec |= {"partition_by": values.c.dim} if q.by else {}
        rank, n = (func.row_number().over(**spec) - 1).label("rn"), func.count().over(**spec).label("n")
        ranked = select(values.c.dim, values.c.x, rank, n).subquery()
        pcts, picked = [], []
        for i, fraction in enumerate(fractions):
            h = (ranked.c.n - 1) * fraction
            lo = cast(h, Integer)  # non-negative, so the cast is the floor
            f = h - lo
            pick = case((ranked.c.rn == lo, ranked.c.x * (1 - f)), (ranked.c.rn == lo + 1, ranked.c.x * f), else_=0)
            pcts.append(func.sum(pick).label(f"p{i}"))
            picked += [ranked.c.rn == lo, ranked.c.rn == lo + 1]
        # Only the ranks a percentile picks reach the GROUP BY (not every row, sorted again); each group keeps its
        # rank lo, and n is the same on all of its rows.
        cur = literal_column(str(current), Integer).label("cur")
        stmt = select(cur, ranked.c.dim, *pcts, func.max(ranked.c.n).label("n")).where(or_(*picked))
        return stmt.group_by(ranked.c.dim)

    return union_all(one(q.current, 1), one(q.previous, 0))


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
    again = _exists().where(later.c.customer_id == first.c.cid, later.c.ordered_at > first.c.at, gap <= REPURCHASE_DAYS)
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
    windows in one statement. On SQLite, one index probe per customer on `orders (customer_id, ordered_at)`: the
    customer's orders of the whole look-back, read from the index, give a bit per boundary (set when one of them
    lies in the N days before it), because sorting the look-back's orders by customer costs SQLite more than the
    probes. On PostgreSQL, one hash aggregate over the orders of the whole look-back instead.
    """
    horizon = dt.timedelta(days=q.churn_days)
    marks = _boundaries(q)
    lo, hi = min(marks) - horizon, max(marks)
    if q.dialect == "sqlite":
        later = orders.alias("o")
        bits = [
            func.max(case((and_(later.c.ordered_at >= mark - horizon, later.c.ordered_at < mark), 1 << i), else_=0))
            for i, mark in enumerate(marks)
        ]
        state = (
            select(sum(bits[1:], bits[0]))
            .where(later.c.customer_id == customers.c.customer_id, later.c.ordered_at >= lo, later.c.ordered_at < hi)
            .scalar_subquery()
            .label("active")
        )
        keys = [customers.c.region.label("region"), customers.c.tier.label("tier")]
        # MATERIALIZED: the probe runs once per customer, not once per reference to its column. A customer without
        # an order in the look-back has NULL bits: active nowhere.
        lasts = select(*keys, state).where(*_customer_filters(q)).cte("last_orders").prefix_with("MATERIALIZED")
        active = {mark: lasts.c.active.op("&")(1 << i) != 0 for i, mark in enumerate(marks)}
        src: Any = lasts
        dim = lasts.c[q.by] if q.by else null()
    else:
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
