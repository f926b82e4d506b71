"""Insights for managers: reason Pareto and drill-down, stated vs actual reasons, anomalies, change points.

Each route returns exactly what the matching `aftersales insights ... --json` command prints (docs/insights.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query

from aftersales.api.deps import ManagerDep, SettingsDep
from aftersales.services import insights as svc
from aftersales.services.changes import scan_changepoints

router = APIRouter(prefix="/insights", tags=["insights"])

Source = Literal["returns", "messages"]
Metric = Literal["return_rate", "complaint_volume"]
Dimension = Literal["region", "category", "sku", "channel", "tier"]
Text = Annotated[str | None, Query(max_length=128)]


def _filters(
    start: Annotated[dt.date | None, Query(alias="from", description="First local date (inclusive).")] = None,
    end: Annotated[dt.date | None, Query(alias="to", description="Last local date (inclusive).")] = None,
    region: Text = None,
    category: Text = None,
    sku: Text = None,
    channel: Text = None,
) -> svc.Filters:
    return svc.Filters(start, end, region, category, sku, channel)


FiltersDep = Annotated[svc.Filters, Depends(_filters)]
ReasonQuery = Annotated[str | None, Query(max_length=32, description="Only returns/cases with this reason code.")]


def _with_reason(filters: svc.Filters, reason: str | None) -> svc.Filters:
    return svc.Filters(**{**filters.__dict__, "reason": reason})


@router.get("/pareto", summary="Reason Pareto: counts, shares, cumulative share, the vital few up to 80 %")
def pareto(
    settings: SettingsDep,
    _: ManagerDep,
    filters: FiltersDep,
    source: Source = "returns",
    threshold: Annotated[float, Query(gt=0, le=1)] = 0.8,
) -> dict[str, Any]:
    """`source=returns`: return-form reason codes; `source=messages`: the primary reason read from each message."""
    return svc.compute_pareto(settings, source, filters, threshold)


@router.get("/pareto/{reason}/items", summary="Drill-down: the returns or messages behind one Pareto bar")
def pareto_items(
    settings: SettingsDep,
    _: ManagerDep,
    filters: FiltersDep,
    reason: Annotated[str, Path(max_length=32)],
    source: Source = "returns",
    limit: Annotated[int, Query(ge=1, le=500)] = 20,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    """Newest first, with PII-masked text snippets (and the evidence words for messages)."""
    return svc.pareto_items(settings, reason, source, filters, limit, offset)


@router.get("/reasons", summary="Stated vs actual reasons: confusion table, agreement, top mismatches")
def reasons(
    settings: SettingsDep,
    _: ManagerDep,
    filters: FiltersDep,
    top: Annotated[int, Query(ge=1, le=100)] = 10,
) -> dict[str, Any]:
    """Return-form reason codes against the reasons read from the customers' own messages about the return."""
    return svc.compare_stated_actual(settings, filters, top=top)


@router.get("/anomalies", summary="Anomalies in return rate / complaint volume by a dimension, with significance")
def anomalies(
    settings: SettingsDep,
    _: ManagerDep,
    filters: FiltersDep,
    metric: Metric = "return_rate",
    by: Dimension = "region",
    reason: ReasonQuery = None,
    alpha: Annotated[float, Query(gt=0, lt=1)] = 0.05,
    direction: Literal["up", "down", "both"] = "up",
    baseline_weeks: Annotated[int, Query(ge=1, le=260)] = 52,
    limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
) -> dict[str, Any]:
    """Seasonality- and promotion-aware weekly baseline; Benjamini–Hochberg over every window tested."""
    return svc.find_anomalies(
        settings, metric, by, _with_reason(filters, reason), alpha, direction, baseline_weeks, limit
    )


@router.get("/changepoints", summary="Change points of one weekly series with before/after level and p-value")
def changepoints(
    settings: SettingsDep,
    _: ManagerDep,
    filters: FiltersDep,
    metric: Metric = "return_rate",
    by: Dimension | None = None,
    value: Annotated[str | None, Query(max_length=128)] = None,
    reason: ReasonQuery = None,
    penalty: Annotated[float | None, Query(gt=0, le=1e6)] = None,
    min_size: Annotated[int, Query(ge=2, le=52)] = 4,
    alpha: Annotated[float, Query(gt=0, lt=1)] = 0.05,
) -> dict[str, Any]:
    """The whole shop, or one value of a dimension (`by` + `value`)."""
    return svc.find_changepoints(settings, metric, by, value, _with_reason(filters, reason), penalty, min_size, alpha)


@router.get("/changes", summary="Scan every value of a dimension (× reason) for a lasting change, ranked")
def changes(
    settings: SettingsDep,
    _: ManagerDep,
    filters: FiltersDep,
    metric: Metric = "return_rate",
    by: Dimension = "sku",
    per_reason: bool = False,
    direction: Literal["both", "down", "up"] = "both",
    reason: ReasonQuery = None,
    min_events: Annotated[int, Query(ge=1, le=100000)] = 10,
    min_size: Annotated[int, Query(ge=2, le=52)] = 4,
    alpha: Annotated[float, Query(gt=0, lt=1)] = 0.05,
    limit: Annotated[int, Query(ge=1, le=1000)] = 20,
) -> dict[str, Any]:
    """Same as `aftersales insights changes --json`: search-adjusted p per series, Benjamini–Hochberg q over all."""
    return scan_changepoints(
        settings, metric, by, _with_reason(filters, reason), per_reason, direction, min_size, min_events, alpha, limit
    )


@router.get("/calendar", summary="Promotion windows in force between two dates")
def calendar(
    settings: SettingsDep,
    _: ManagerDep,
    start: Annotated[dt.date, Query(alias="from")],
    end: Annotated[dt.date, Query(alias="to")],
) -> list[dict[str, str]]:
    """Built-ins (unless `promotion_builtin` is off) merged with the `promotion_calendar` setting."""
    return svc.list_promotions(settings, start, end)
