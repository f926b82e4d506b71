"""Customer segments with profiles, and the customers at risk of drifting away: `aftersales segments --json`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from aftersales.api.deps import ManagerDep, SettingsDep
from aftersales.services.segments import MAX_K, at_risk_customers, customer_segments

router = APIRouter(prefix="/segments", tags=["analytics"])


@router.get("", summary="Customer segments (KMeans on RFM + emotion + returns) with named profiles")
def segments(
    settings: SettingsDep,
    _: ManagerDep,
    k: Annotated[int | None, Query(ge=2, le=MAX_K, description="Segments (default: best silhouette of 3–6).")] = None,
) -> dict[str, Any]:
    """Managers and admins; the same object as `aftersales segments --json`."""
    return customer_segments(settings, k)


@router.get("/at-risk", summary="Customers buying clearly less since a bad after-sales experience, with evidence")
def at_risk(
    settings: SettingsDep,
    _: ManagerDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    include_unlisted: Annotated[
        bool, Query(description="Also customers with a bad experience but no significant drop.")
    ] = False,
) -> dict[str, Any]:
    """Managers and admins; `{as_of, listed, with_bad_experience, note, data, count}` as `segments at-risk --json`."""
    return at_risk_customers(settings, limit, include_unlisted=include_unlisted)
