"""KPIs against targets, previous period and trend: the same rows as `aftersales kpi --json`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from aftersales.api.deps import ManagerDep, SettingsDep
from aftersales.services.kpi import compute_kpis

router = APIRouter(prefix="/kpis", tags=["analytics"])


@router.get("", summary="KPIs with target, previous period, trend and denominator, optionally by a dimension")
def kpis(
    settings: SettingsDep,
    _: ManagerDep,
    name: Annotated[str | None, Query(max_length=64, description="One KPI (default: all).")] = None,
    by: Annotated[str | None, Query(max_length=32, description="region, category, sku, channel, queue, …")] = None,
    period: Literal["day", "week", "month"] = "month",
    start: Annotated[dt.date | None, Query(alias="from")] = None,
    end: Annotated[dt.date | None, Query(alias="to")] = None,
) -> list[dict[str, Any]]:
    """Managers and admins; rows `{<dimension>, kpi, value, target, previous, trend, better, n}` (docs/kpis.md)."""
    return compute_kpis(settings, name, by, period, start, end)
