"""Scan every value of a dimension (optionally per reason) for a lasting change in return rate or complaint volume.

This is how "which SKU got better after February?" is answered with no hint: weekly series per SKU (× reason) from
SQL, one search-adjusted test per series (analytics.insights.scan), Benjamini–Hochberg over all of them, ranked.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import and_, func, select

from aftersales.analytics.insights.scan import WeeklySeries, scan_changes
from aftersales.config import Settings
from aftersales.errors import InvalidInputError
from aftersales.services import insight_series as si
from aftersales.storage import db
from aftersales.storage.tables import cases, customers, orders, returns
from aftersales.vocab import Reason

DEFAULT_LIMIT = 20


def _daily_by_reason(settings: Settings, metric: str, by: str, filters: si.Filters) -> pd.DataFrame:
    """Per (series, reason, local day) events, with the series' exposure on that day (one query per table)."""
    engine = db.get_engine(settings)
    dialect = engine.dialect.name
    if metric == "return_rate":
        exposure = si.daily_series(settings, metric, by, si.Filters(**{**filters.__dict__, "reason": None}))
        day = si.local_day(orders.c.ordered_at, dialect, settings).label("day")
        series = si.ORDER_COLS[by].label("series")
        returned = select(returns.c.order_id, returns.c.reason_code).distinct().subquery("r")
        src = orders.join(customers, orders.c.customer_id == customers.c.customer_id).join(
            returned, returned.c.order_id == orders.c.order_id
        )
        reason = returned.c.reason_code.label("reason")
        conds = si.conditions(orders.c.ordered_at, si.ORDER_COLS, filters, settings, skip="reason")
    else:
        day = si.local_day(cases.c.opened_at, dialect, settings).label("day")
        series = si.CASE_COLS[by].label("series")
        reason = cases.c.primary_reason.label("reason")
        src = cases.join(customers, cases.c.customer_id == customers.c.customer_id).outerjoin(
            orders, cases.c.order_id == orders.c.order_id
        )
        conds = si.conditions(cases.c.opened_at, si.CASE_COLS, filters, settings)
    stmt = (
        select(series, reason, day, func.count().label("observed"))
        .select_from(src)
        .where(and_(True, *conds))
        .group_by(series, reason, day)
    )
    with engine.connect() as conn:
        events = pd.DataFrame(conn.execute(stmt).all(), columns=["series", "reason", "day", "observed"])
    events = events.dropna(subset=["series", "reason", "day"])
    events = events[events["reason"].isin(Reason.codes())].assign(
        series=lambda f: f["series"].astype(str), day=lambda f: pd.to_datetime(f["day"])
    )
    if metric != "return_rate":
        exposure = events.groupby(["series", "day"], as_index=False)["observed"].sum()
    frames = []
    for code, part in events.groupby("reason"):
        grid = exposure[["series", "day"]].merge(part[["series", "day", "observed"]], how="left", on=["series", "day"])
        extra = ["exposure"] if metric == "return_rate" else []
        grid = grid.assign(observed=grid["observed"].fillna(0).astype(int), reason=code)
        if extra:
            grid = grid.merge(exposure[["series", "day", "exposure"]], on=["series", "day"])
        frames.append(grid)
    out = pd.concat(frames, ignore_index=True) if frames else events.assign(exposure=0)
    out["week"] = out["day"] - pd.to_timedelta(out["day"].dt.dayofweek, unit="D")
    return out


def _weekly(settings: Settings, metric: str, daily: pd.DataFrame) -> dict[str, WeeklySeries]:
    """Weekly (observed, exposure) per series, every week from the first to the last final one."""
    if daily.empty:
        return {}
    if si.METRICS[metric].is_rate:
        weekly = daily.groupby(["series", "week"])[["observed", "exposure"]].sum()
    else:
        weekly = si.count_weeks(daily, si.promotion_calendar(settings)).set_index(["series", "week"])
    weeks = pd.date_range(daily["week"].min(), daily["week"].max(), freq="7D")
    kept = weeks[si.final_weeks(settings, metric, weeks)]
    out: dict[str, WeeklySeries] = {}
    for value, frame in weekly.groupby(level="series"):
        grid = frame.droplevel("series").reindex(kept, fill_value=0)
        out[str(value)] = WeeklySeries(
            [w.date() for w in grid.index], grid["observed"].tolist(), grid["exposure"].astype(float).tolist()
        )
    return out


def scan_changepoints(
    settings: Settings,
    metric: str = "return_rate",
    by: str = "sku",
    filters: si.Filters | None = None,
    per_reason: bool = False,
    direction: str = "both",
    min_size: int = 4,
    min_events: int = 10,
    alpha: float = 0.05,
    limit: int | None = DEFAULT_LIMIT,
) -> dict[str, Any]:
    """The series of `by` (× reason) whose level changed most convincingly, most significant first, explained."""
    info = si.metric_info(metric)
    si.check_dimension(by)
    filters = filters or si.Filters()
    if by in filters.equalities():
        raise InvalidInputError(f"--by {by} and a {by} filter together: the scan covers every {by}")
    if per_reason and filters.reason:
        raise InvalidInputError("--per-reason and --reason together: the scan covers every reason")
    if limit is not None and limit < 1:
        raise InvalidInputError(f"--limit must be at least 1, got {limit}")
    series: dict[tuple[str, str | None], WeeklySeries] = {}
    if per_reason:
        daily = _daily_by_reason(settings, metric, by, filters)
        for code, part in daily.groupby("reason"):
            for value, s in _weekly(settings, metric, part).items():
                series[(value, str(code))] = s
    else:
        for value, s in _weekly(settings, metric, si.daily_series(settings, metric, by, filters)).items():
            series[(value, filters.reason)] = s
    found, tested = scan_changes(series, min_size, min_events, direction, alpha)
    rows = [_row(c, by, info, tested) for c in found]
    return {
        "metric": metric,
        "by": by,
        "per_reason": per_reason,
        "direction": direction,
        "level": "rate per order (by order week)" if info.is_rate else "cases per week (by opening week)",
        "filters": filters.to_dict(),
        "tested": tested,
        "significant": sum(1 for r in rows if r["significant"]),
        "alpha": alpha,
        "changes": rows[:limit] if limit is not None else rows,
    }


def _row(c: Any, by: str, info: Any, tested: int) -> dict[str, Any]:
    value, reason = c.key

    def fmt(v: float) -> str:
        return f"{v:.1%}" if info.is_rate else f"{v:.1f}"

    size = "" if c.change is None else f"{c.change:+.0%}, "
    what_zh = f"{value}" + (f" · {Reason(reason).zh}" if reason else "")
    what_en = f"{value}" + (f" · {Reason(reason).en}" if reason else "")
    verdict_zh = "显著" if c.significant else "不显著"
    verdict_en = "significant" if c.significant else "not significant"
    stats_txt = f"p={c.p_value:.3g}, q={c.q_value:.2g}"
    return {
        by: value,
        "reason": reason,
        "date": c.date.isoformat(),
        "before": c.before,
        "after": c.after,
        "change": c.change,
        "events": c.events,
        "statistic": round(c.statistic, 3),
        "dispersion": round(c.dispersion, 3),
        "p_value": c.p_value,
        "q_value": c.q_value,
        "significant": c.significant,
        "explanation_zh": f"{what_zh}：{info.zh}自 {c.date} 起由 {fmt(c.before)} 变为 {fmt(c.after)}"
        f"（{size}{stats_txt}，在 {tested} 个序列中{verdict_zh}）",
        "explanation_en": f"{what_en}: {info.en} went from {fmt(c.before)} to {fmt(c.after)} from {c.date} "
        f"({size}{stats_txt}; {verdict_en} among {tested} series)",
    }
