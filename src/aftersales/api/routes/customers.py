"""Customers with their behaviour signals and churn risk."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from aftersales.api.deps import PrincipalDep, SettingsDep
from aftersales.services import customer_view as svc

router = APIRouter(prefix="/customers", tags=["customers"])


@router.get("/{customer_id}", summary="A customer with signals, churn risk (with reasons) and cases")
def get_customer(customer_id: str, settings: SettingsDep, principal: PrincipalDep) -> dict[str, Any]:
    """Agents see customers who have a case in their queues."""
    return svc.get_customer(customer_id, principal, settings)
