"""Improvement actions and their measured effect: managers and admins write, every authenticated user reads."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from aftersales.api.deps import ManagerDep, PrincipalDep, SettingsDep
from aftersales.services import actions as svc

router = APIRouter(prefix="/actions", tags=["analytics"])

Status = Literal["planned", "active", "completed", "cancelled"]
Names = list[Annotated[str, Field(min_length=1, max_length=128)]]


class ActionScope(BaseModel):
    """Treated units (the first of sku, category, region given) and an optional return-reason filter."""

    model_config = ConfigDict(extra="forbid")
    sku: Names | str | None = None
    category: Names | str | None = None
    region: Names | str | None = None
    reason: Names | str | None = None


class ActionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action_id: str | None = Field(default=None, max_length=128)
    title: str = Field(min_length=1, max_length=500)
    description: str | None = Field(default=None, max_length=20_000)
    scope: ActionScope
    start_date: dt.date
    end_date: dt.date | None = None
    target_kpi: str = Field(default="return_rate", max_length=64)
    owner: str | None = Field(default=None, max_length=128)
    status: Status = "active"


class ActionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, min_length=1, max_length=500)
    description: str | None = Field(default=None, max_length=20_000)
    end_date: dt.date | None = None
    owner: str | None = Field(default=None, max_length=128)
    status: Status | None = None


class ActionsPublic(BaseModel):
    data: list[dict[str, Any]]
    count: int


@router.get("", response_model=ActionsPublic, summary="List improvement actions")
def list_actions(
    settings: SettingsDep,
    _: PrincipalDep,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    """Newest start first; `{data, count}`."""
    return svc.list_actions(status_, limit, offset, settings)


@router.get("/{action_id}", summary="One improvement action")
def get_action(action_id: str, settings: SettingsDep, _: PrincipalDep) -> dict[str, Any]:
    """404 when missing."""
    return svc.get_action(action_id, settings)


@router.get("/{action_id}/effect", summary="Measured effect on the target KPI (DiD or interrupted time series)")
def action_effect(
    action_id: str,
    settings: SettingsDep,
    _: PrincipalDep,
    period: Literal["week", "month"] = "week",
    model: Literal["poisson", "linear"] | None = None,
    max_controls: Annotated[int, Query(ge=1, le=50)] = 5,
    maturity_days: Annotated[int | None, Query(ge=0, le=365)] = None,
) -> dict[str, Any]:
    """Relative effect with 95 % CI and p-value, controls, pre-trend check and zh/en summaries (docs/actions.md)."""
    return svc.action_effect(
        action_id, settings, period=period, model=model, max_controls=max_controls, maturity=maturity_days
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="Record an improvement action")
def create_action(body: ActionCreate, settings: SettingsDep, _: ManagerDep) -> dict[str, Any]:
    """400 on an unknown SKU/category/region/reason or KPI; 409 when the id exists."""
    data = body.model_dump()
    data["scope"] = body.scope.model_dump(exclude_none=True)
    return svc.create_action(data, settings)


@router.patch("/{action_id}", summary="Change status, end date, owner, title or description")
def update_action(action_id: str, body: ActionUpdate, settings: SettingsDep, _: ManagerDep) -> dict[str, Any]:
    """Scope, start date and KPI define the measurement and stay fixed."""
    return svc.update_action(action_id, body.model_dump(exclude_none=True), settings)


@router.delete("/{action_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete an improvement action")
def delete_action(action_id: str, settings: SettingsDep, _: ManagerDep) -> Response:
    """404 when missing."""
    svc.delete_action(action_id, settings)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
