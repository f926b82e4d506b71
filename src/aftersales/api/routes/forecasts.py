"""Weekly return / complaint volume forecasts with intervals and backtest errors: `aftersales forecast --json`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from aftersales.api.deps import ManagerDep, SettingsDep
from aftersales.services.forecast import forecast_volume

router = APIRouter(prefix="/forecasts", tags=["analytics"])


@router.get("", summary="Weekly volume forecast per series with 80/95 % intervals and the backtest of its model")
def forecasts(
    settings: SettingsDep,
    _: ManagerDep,
    metric: Literal["returns", "complaints"] = "returns",
    by: Literal["category", "reason"] | None = None,
    horizon: Annotated[int, Query(ge=4, le=12, description="Weeks ahead.")] = 8,
    series: Annotated[list[str] | None, Query(max_length=50, description="Only these series.")] = None,
    promotions: Annotated[bool, Query(description="Model 618/双11/双12 weeks as regressors.")] = True,
) -> dict[str, Any]:
    """Managers and admins; the same object as `aftersales forecast --json` (docs/forecasts-and-segments.md)."""
    return forecast_volume(settings, metric, by, horizon, promotions=promotions, series=series)
