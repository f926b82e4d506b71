"""Weekly return / complaint volume per category or reason from the store, forecast by `analytics.forecast`.

The counting is one SQL `GROUP BY week, dimension` per call; weeks run Monday–Sunday in the configured timezone and
only complete weeks count (a half-finished week would read as a drop). Missing weeks are filled with 0 in pandas.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import ColumnElement, FromClause, Select, func, literal, literal_column, select

from aftersales.analytics.forecast import (
    DEFAULT_HORIZON,
    LEVELS,
    MIN_TRAIN_WEEKS,
    check_horizon,
    forecast_panel,
    week_start,
    weekly_panel,
)
from aftersales.config import Settings, get_settings
from aftersales.errors import InvalidInputError
from aftersales.services.insights import promotion_calendar
from aftersales.storage import db
from aftersales.storage.tables import cases, orders, returns

METRICS = ("returns", "complaints")
DIMENSIONS = ("category", "reason")
ALL = "all"


def _source(metric: str, by: str | None) -> tuple[FromClause, Any, ColumnElement[Any]]:
    """(FROM clause, event time column, series column) of a metric broken down by a dimension."""
    if metric == "returns":
        time_col: Any = returns.c.requested_at
        frm: FromClause = returns
        if by == "category":
            frm = returns.outerjoin(orders, returns.c.order_id == orders.c.order_id)
            dim: ColumnElement[Any] = orders.c.category
        else:
            dim = returns.c.reason_code if by == "reason" else literal(ALL)
    else:
        time_col, frm = cases.c.opened_at, cases
        if by == "category":
            frm = cases.outerjoin(orders, cases.c.order_id == orders.c.order_id)
            dim = orders.c.category
        else:
            dim = cases.c.primary_reason if by == "reason" else literal(ALL)
    return frm, time_col, dim


def _week(col: Any, dialect: str, offset_minutes: int) -> ColumnElement[Any]:
    """The local Monday of a naive-UTC timestamp's week, in SQL (SQLite: date modifiers; PostgreSQL: date_trunc)."""
    if dialect == "postgresql":
        shifted = col + literal_column(f"interval '{offset_minutes} minutes'")
        return func.date_trunc("week", shifted)
    return func.date(col, f"{offset_minutes:+d} minutes", "weekday 0", "-6 days")


def _offset_minutes(settings: Settings, at: dt.datetime) -> int:
    """The timezone's UTC offset at a moment (one fixed offset per run; see docs for DST zones)."""
    offset = ZoneInfo(settings.timezone).utcoffset(at)
    return int(offset.total_seconds() // 60) if offset is not None else 0


def _check(metric: str, by: str | None) -> None:
    if metric not in METRICS:
        raise InvalidInputError(f"forecast metric {metric!r}: must be one of {', '.join(METRICS)}")
    if by is not None and by not in DIMENSIONS:
        raise InvalidInputError(f"forecast --by {by!r}: must be one of {', '.join(DIMENSIONS)} (or none for the total)")


def weekly_counts(
    settings: Settings, metric: str, by: str | None, until: dt.date | None = None
) -> tuple[pd.DataFrame, dt.date | None, dt.date | None]:
    """Zero-filled weekly counts (series, week, y) of complete weeks up to `until` (default: the data's last day)."""
    _check(metric, by)
    frm, time_col, dim = _source(metric, by)
    engine = db.get_engine(settings)
    with engine.connect() as conn:
        first, last = conn.execute(select(func.min(time_col), func.max(time_col)).select_from(frm)).one()
        if first is None:
            return pd.DataFrame(columns=["series", "week", "y"]), None, None
        first, last = pd.Timestamp(first).to_pydatetime(), pd.Timestamp(last).to_pydatetime()
        offset = _offset_minutes(settings, last)
        local_last = (last + dt.timedelta(minutes=offset)).date()
        end_day = min(until, local_last) if until else local_last
        # The last complete week ends on a Sunday on or before end_day.
        last_week = week_start(end_day) - (dt.timedelta(days=0) if end_day.weekday() == 6 else dt.timedelta(days=7))
        # Likewise the first complete week starts on a Monday on or after the first local day.
        first_day = (first + dt.timedelta(minutes=offset)).date()
        first_week = week_start(first_day) + (
            dt.timedelta(days=0) if first_day.weekday() == 0 else dt.timedelta(days=7)
        )
        if last_week < first_week:
            return pd.DataFrame(columns=["series", "week", "y"]), first_week, None
        end_utc = dt.datetime.combine(last_week + dt.timedelta(days=7), dt.time()) - dt.timedelta(minutes=offset)
        start_utc = dt.datetime.combine(first_week, dt.time()) - dt.timedelta(minutes=offset)
        week = _week(time_col, engine.dialect.name, offset).label("week")
        series = dim.label("series")
        stmt: Select[Any] = (
            select(week, series, func.count().label("y"))
            .select_from(frm)
            .where(time_col < end_utc)
            .group_by(week, series)
        )
        counts = pd.DataFrame(
            conn.execute(stmt.where(time_col >= start_utc)).fetchall(), columns=["week", "series", "y"]
        )
    counts["week"] = pd.to_datetime(counts["week"]).dt.tz_localize(None).dt.normalize()
    return weekly_panel(counts, first_week, last_week), first_week, last_week


def forecast_volume(
    settings: Settings | None = None,
    metric: str = "returns",
    by: str | None = None,
    horizon: int = DEFAULT_HORIZON,
    *,
    until: dt.date | None = None,
    promotions: bool = True,
    series: list[str] | None = None,
) -> dict[str, Any]:
    """Forecast weekly return or complaint volume per series, with intervals, the chosen model and its backtest."""
    settings = settings or get_settings()
    check_horizon(horizon)
    panel, first_week, last_week = weekly_counts(settings, metric, by, until)
    if series:
        known = set(panel["series"])
        missing = [s for s in series if s not in known]
        if missing:
            raise InvalidInputError(
                f"forecast series {', '.join(map(repr, missing))} not found for {metric} by {by or 'total'}; "
                f"known: {', '.join(sorted(known)) or '(none)'}"
            )
        panel = panel[panel["series"].isin(series)]
    calendar = promotion_calendar(settings) if promotions else None
    results = forecast_panel(panel, horizon, calendar=calendar)
    models: dict[str, int] = {}
    for r in results:
        models[r.model] = models.get(r.model, 0) + 1
    beat = [r for r in results if r.mase is not None and r.naive_mase is not None]
    return {
        "metric": metric,
        "by": by,
        "horizon": horizon,
        "levels": list(LEVELS),
        "timezone": settings.timezone,
        "first_week": first_week.isoformat() if first_week else None,
        "last_week": last_week.isoformat() if last_week else None,
        "promotions": promotions,
        "note": (
            f"weekly {metric} (Monday–Sunday, {settings.timezone}); complete weeks only; each series' model is the "
            f"candidate with the lowest MASE over up to 3 rolling {horizon}-week backtest windows "
            f"(each trained on ≥ {MIN_TRAIN_WEEKS} weeks); MASE < 1 beats the in-sample naive forecast"
        ),
        "summary": {
            "series": len(results),
            "models": models,
            "backtested": len(beat),
            "better_than_naive": sum(1 for r in beat if (r.mase or 0.0) < (r.naive_mase or 0.0)),
        },
        "series": [r.to_dict() for r in results],
    }
