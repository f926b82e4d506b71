"""The overview dashboard as JSON: the same dictionaries the web dashboard and its drill-down lists render."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from aftersales.api.deps import ManagerDep, PrincipalDep, SettingsDep
from aftersales.services import dashboard as svc

router = APIRouter(prefix="/dashboard", tags=["dashboard"])
Text = Annotated[str | None, Query(max_length=128)]


@router.get("", summary="KPI cards with sparklines, emotion mix, reason Pareto, open-case load and SLA risk")
def overview(
    settings: SettingsDep,
    principal: ManagerDep,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
    span: Annotated[int, Query(ge=1, le=12, description="Months in the period: 1, 3, 6 or 12.")] = 1,
    region: Text = None,
    category: Text = None,
    channel: Text = None,
) -> dict[str, Any]:
    """`month` is the period's last month (default: the last full month); `span` its length in months."""
    filters = svc.Filters(region=region or None, category=category or None, channel=channel or None)
    return svc.overview(principal, settings, month=month, span=span, filters=filters)


@router.get("/anomalies", summary="The dashboard's anomaly panel: weekly anomalies by region, with explanations")
def anomalies(settings: SettingsDep, principal: ManagerDep) -> dict[str, Any]:
    """`{by, limit, metrics: {return_rate, complaint_volume}}`, each as `GET /api/v1/insights/anomalies?by=region`."""
    return svc.anomaly_panel(principal, settings)


@router.get("/drill", summary="The cases (and messages, for an emotion) behind one dashboard chart point")
def drill(
    settings: SettingsDep,
    principal: PrincipalDep,
    start: dt.date | None = None,
    end: dt.date | None = None,
    region: Text = None,
    category: Text = None,
    channel: Text = None,
    reason: Text = None,
    emotion: Text = None,
    queue: Text = None,
    priority: Annotated[str | None, Query(max_length=4)] = None,
    risk: Literal["ok", "at_risk", "breached"] | None = None,
    open: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    """Agents see cases of their own queues only; `{data, count, messages}`."""
    filters = svc.Filters(region=region or None, category=category or None, channel=channel or None)
    return svc.drill(
        principal,
        settings,
        start=start,
        end=end,
        filters=filters,
        reason=reason,
        emotion=emotion,
        queue=queue,
        priority=priority,
        risk=risk,
        open_only=open,
        limit=limit,
        offset=offset,
    )
