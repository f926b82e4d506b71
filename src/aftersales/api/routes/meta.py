"""Health check (the only route without auth) and who-am-I."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import text

from aftersales import __version__
from aftersales.api.deps import PrincipalDep, SettingsDep
from aftersales.api.schemas import UserPublic
from aftersales.storage import db

router = APIRouter()


@router.get("/healthz", tags=["meta"], summary="Liveness and database check (no auth)")
def healthz(settings: SettingsDep) -> dict[str, Any]:
    """200 when the database answers."""
    with db.get_engine(settings).connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok", "version": __version__}


@router.get("/api/v1/me", tags=["meta"], response_model=UserPublic, summary="The authenticated user")
def me(principal: PrincipalDep) -> dict[str, Any]:
    """Role and queues of the caller."""
    return principal.to_dict()
