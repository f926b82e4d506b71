"""Weekly series in SQL for anomalies, change points and the change scan: filters, local days, per-day counts.

Every insight that looks at a series over time starts here: the `Filters` a request may carry, the columns each source
filters and groups by, local calendar days of naive-UTC timestamps (the configured zone's current offset — exact for
zones without daylight saving, such as Asia/Shanghai), and one GROUP BY per series and day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Date, and_, cast, func, literal, select
from sqlalchemy.sql.elements import ColumnElement

from aftersales.analytics.insights import anomalies as anomaly_core
from aftersales.analytics.insights.calendar import PromotionCalendar, calendar_from_config
from aftersales.config import Settings
from aftersales.errors import InvalidInputError
from aftersales.storage import db
from aftersales.storage.tables import analyses, cases, customers, interactions, orders, returns

METRICS: dict[str, anomaly_core.MetricInfo] = {
    "return_rate": anomaly_core.MetricInfo("return_rate", "退货率", "return rate", True, "单", "orders"),
    "complaint_volume": anomaly_core.MetricInfo("complaint_volume", "投诉量", "complaint volume", False, "件", "cases"),
}
DIMENSIONS = ("region", "category", "sku", "channel", "tier")
FILTERS = ("region", "category", "sku", "channel", "tier", "reason")
MATURITY_DAYS = 30
"""Order cohorts younger than this (before the last return on record) are left out of return-rate change points."""

# Columns each source filters and groups by (the order's region/channel for orders and returns, the customer's
# region and the contact channel for messages and cases, as in docs/kpis.md).
ORDER_COLS: dict[str, Any] = {
    "region": orders.c.region,
    "category": orders.c.category,
    "sku": orders.c.sku,
    "channel": orders.c.channel,
    "tier": customers.c.tier,
}
RETURN_COLS: dict[str, Any] = {
    "region": func.coalesce(orders.c.region, returns.c.region),
    "category": orders.c.category,
    "sku": func.coalesce(returns.c.sku, orders.c.sku),
    "channel": orders.c.channel,
    "reason": returns.c.reason_code,
}
MESSAGE_COLS: dict[str, Any] = {
    "region": customers.c.region,
    "category": orders.c.category,
    "sku": orders.c.sku,
    "channel": interactions.c.channel,
    "reason": analyses.c.primary_reason,
}
CASE_COLS: dict[str, Any] = {
    "region": customers.c.region,
    "category": orders.c.category,
    "sku": orders.c.sku,
    "channel": cases.c.channel,
    "tier": customers.c.tier,
    "reason": cases.c.primary_reason,
}


@dataclass(frozen=True)
class Filters:
    """Which rows count: local dates (inclusive) and equality filters on region/category/sku/channel/tier/reason."""

    start: dt.date | None = None
    end: dt.date | None = None
    region: str | None = None
    category: str | None = None
    sku: str | None = None
    channel: str | None = None
    tier: str | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.start and self.end and self.end < self.start:
            raise InvalidInputError(f"--to {self.end} is before --from {self.start}")

    def equalities(self) -> dict[str, str]:
        """The dimension filters that are set."""
        return {k: v for k in FILTERS if (v := getattr(self, k)) is not None}

    def to_dict(self) -> dict[str, Any]:
        """JSON echo of the filters in force."""
        out: dict[str, Any] = {"from": self.start.isoformat() if self.start else None}
        out["to"] = self.end.isoformat() if self.end else None
        return out | self.equalities()


def promotion_calendar(settings: Settings) -> PromotionCalendar:
    """The calendar in force: built-ins (setting `promotion_builtin`) merged with `promotion_calendar`."""
    return calendar_from_config(settings.promotion_calendar, builtin=settings.promotion_builtin)


# ---------------------------------------------------------------------------------------------------------------
# SQL helpers


def utc_offset(settings: Settings) -> dt.timedelta:
    offset = dt.datetime.now(settings.zone).utcoffset()
    return offset if offset is not None else dt.timedelta(0)


def local_day(col: Any, dialect: str, settings: Settings) -> ColumnElement[Any]:
    """The local calendar date of a naive-UTC timestamp column, in SQL."""
    minutes = int(utc_offset(settings).total_seconds() // 60)
    if dialect == "sqlite":
        return func.date(col, f"{minutes:+d} minutes")
    return cast(col + literal(dt.timedelta(minutes=minutes)), Date)


def utc_bound(day: dt.date, settings: Settings) -> dt.datetime:
    try:
        return db.local_midnight_utc(day, settings.zone)
    except OverflowError:
        raise InvalidInputError(f"date {day} is out of range") from None


def conditions(col: Any, cols: dict[str, Any], filters: Filters, settings: Settings, skip: str = "") -> list[Any]:
    """Date window on `col` plus the equality filters this source supports (others are an error)."""
    conds: list[Any] = []
    if filters.start:
        conds.append(col >= utc_bound(filters.start, settings))
    if filters.end:
        if filters.end >= dt.date.max:
            raise InvalidInputError(f"date {filters.end} is out of range")
        conds.append(col < utc_bound(filters.end + dt.timedelta(days=1), settings))
    for key, value in filters.equalities().items():
        if key == skip:
            continue
        if key not in cols:
            raise InvalidInputError(f"filter {key!r} is not supported here; supported: {', '.join(cols)}")
        conds.append(cols[key] == value)
    return conds


def metric_info(metric: str) -> anomaly_core.MetricInfo:
    if metric not in METRICS:
        raise InvalidInputError(f"unknown metric {metric!r}; use one of: {', '.join(METRICS)}")
    return METRICS[metric]


def check_dimension(by: str) -> str:
    if by not in DIMENSIONS:
        raise InvalidInputError(f"unknown dimension {by!r}; use one of: {', '.join(DIMENSIONS)}")
    return by


def daily_series(settings: Settings, metric: str, by: str | None, filters: Filters) -> pd.DataFrame:
    """Per (series, local day): observed count and, for return rate, the orders exposed (all in SQL)."""
    engine = db.get_engine(settings)
    dialect = engine.dialect.name
    if metric == "return_rate":
        returned = select(returns.c.order_id).distinct()
        if filters.reason:
            returned = returned.where(returns.c.reason_code == filters.reason)
        ret = returned.subquery("returned")
        src = orders.join(customers, orders.c.customer_id == customers.c.customer_id).outerjoin(
            ret, ret.c.order_id == orders.c.order_id
        )
        day = local_day(orders.c.ordered_at, dialect, settings).label("day")
        conds = conditions(orders.c.ordered_at, ORDER_COLS, filters, settings, skip="reason")
        series = (ORDER_COLS[by] if by else literal("all")).label("series")
        measures = [func.count(ret.c.order_id).label("observed"), func.count().label("exposure")]
    else:
        src = cases.join(customers, cases.c.customer_id == customers.c.customer_id).outerjoin(
            orders, cases.c.order_id == orders.c.order_id
        )
        day = local_day(cases.c.opened_at, dialect, settings).label("day")
        conds = conditions(cases.c.opened_at, CASE_COLS, filters, settings)
        series = (CASE_COLS[by] if by else literal("all")).label("series")
        measures = [func.count().label("observed")]
    stmt = select(series, day, *measures).select_from(src).where(and_(True, *conds)).group_by(series, day)
    with engine.connect() as conn:
        frame = pd.DataFrame(conn.execute(stmt).all(), columns=["series", "day", *(m.name for m in measures)])
    frame = frame.dropna(subset=["series", "day"])
    frame["series"] = frame["series"].astype(str)
    frame["day"] = pd.to_datetime(frame["day"])
    frame["week"] = frame["day"] - pd.to_timedelta(frame["day"].dt.dayofweek, unit="D")
    return frame


def week_labels(calendar: PromotionCalendar, weeks: pd.DatetimeIndex) -> dict[pd.Timestamp, list[str]]:
    """Names of the promotion windows touching each week."""
    if len(weeks) == 0:
        return {}
    days = pd.date_range(weeks.min(), weeks.max() + pd.Timedelta(days=6), freq="D")
    labels = pd.Series(calendar.label_days(days), index=days)
    week_of = days - pd.to_timedelta(days.dayofweek, unit="D")
    named = labels[labels != ""]
    return {w: sorted(set(g.tolist())) for w, g in named.groupby(week_of[labels.to_numpy() != ""])}


def promo_share(frame: pd.DataFrame, calendar: PromotionCalendar) -> pd.DataFrame:
    """Add promo_share to per-day rows of a rate: 1 on promotion days, 0 otherwise."""
    if frame.empty:
        return frame.assign(promo_share=pd.Series(dtype=float))
    return frame.assign(promo_share=(calendar.label_days(pd.DatetimeIndex(frame["day"])) != "").astype(float))


def count_weeks(frame: pd.DataFrame, calendar: PromotionCalendar) -> pd.DataFrame:
    """Weekly counts for every series and week (zeros included), exposed for the days of the week with data.

    The exposure of a count is the number of days the data covers in that week, so the part-weeks at either end
    of the data are not mistaken for drops; promo_share is the share of those days inside a promotion window.
    """
    if frame.empty:
        return pd.DataFrame(columns=["series", "week", "observed", "exposure", "promo_share"])
    days = pd.date_range(frame["day"].min(), frame["day"].max(), freq="D")
    week_of = days - pd.to_timedelta(days.dayofweek, unit="D")
    per_week = pd.DataFrame({"week": week_of, "promo": calendar.label_days(days) != ""})
    cover = per_week.groupby("week").agg(exposure=("promo", "size"), promo_share=("promo", "mean"))
    counts = frame.groupby(["series", "week"])["observed"].sum()
    grid = pd.MultiIndex.from_product([sorted(frame["series"].unique()), cover.index], names=["series", "week"])
    out = counts.reindex(grid, fill_value=0).rename("observed").reset_index()
    return out.join(cover, on="week")


def trim_immature(settings: Settings, metric: str, weekly: pd.DataFrame) -> pd.DataFrame:
    """Drop weeks whose numbers are not final: immature order cohorts (rates) or part-weeks at the ends (counts)."""
    return weekly[final_weeks(settings, metric, pd.DatetimeIndex(weekly.index))]


def final_weeks(settings: Settings, metric: str, weeks: pd.DatetimeIndex) -> np.ndarray:
    """Which of these week starts hold final numbers (the mask `trim_immature` applies)."""
    engine = db.get_engine(settings)
    dialect = engine.dialect.name
    with engine.connect() as conn:
        if metric == "return_rate":
            last = conn.execute(select(func.max(local_day(returns.c.requested_at, dialect, settings)))).scalar()
            if last is None:
                return np.ones(len(weeks), dtype=bool)
            cutoff = pd.Timestamp(last) - pd.Timedelta(days=MATURITY_DAYS)
            return np.asarray(weeks + pd.Timedelta(days=6) <= cutoff)
        day = local_day(cases.c.opened_at, dialect, settings)
        first, last = conn.execute(select(func.min(day), func.max(day))).one()
    if first is None:
        return np.ones(len(weeks), dtype=bool)
    return np.asarray((weeks >= pd.Timestamp(first)) & (weeks + pd.Timedelta(days=6) <= pd.Timestamp(last)))
