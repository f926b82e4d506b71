"""The triage policy: read the active one, validate a candidate."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from aftersales.api.deps import ManagerDep, SettingsDep
from aftersales.api.schemas import PolicyValidateRequest
from aftersales.services import policy as svc

router = APIRouter(prefix="/policy", tags=["policy"])


@router.get("", summary="The active triage policy (as data)")
def active_policy(settings: SettingsDep, _: ManagerDep) -> dict[str, Any]:
    """Version, business hours, SLAs, queues and rules."""
    return svc.active_policy(settings)


@router.post("/validate", summary="Validate a policy YAML without activating it")
def validate(body: PolicyValidateRequest, _: ManagerDep) -> dict[str, Any]:
    """`ok` plus errors that name the rule and field."""
    return svc.validate_text(body.yaml)
