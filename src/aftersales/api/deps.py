"""FastAPI dependencies as Annotated aliases: settings, the authenticated principal, role checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from aftersales.config import Settings
from aftersales.errors import AuthenticationError, PermissionDeniedError
from aftersales.services.users import Principal, authenticate_key
from aftersales.storage import db

bearer = HTTPBearer(auto_error=False, description="API key from `aftersales users create`")


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was created with (async: no thread-pool hop for a dict lookup)."""
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_app_settings)]


async def current_principal(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """Who is calling: a Bearer API key, or the web session's user (set by the web app's middleware).

    Async because verified keys are served from an in-process cache; a miss costs one indexed query on the loop.
    """
    if credentials is not None and credentials.scheme.lower() == "bearer":
        return authenticate_key(credentials.credentials, db.get_engine(settings))
    web_user = request.scope.get("aftersales.principal")
    if isinstance(web_user, Principal):
        return web_user
    raise AuthenticationError("missing credentials: send Authorization: Bearer <API key>")


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require_role(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets only the given roles through."""

    async def check(principal: PrincipalDep) -> Principal:
        if principal.role not in roles:
            raise PermissionDeniedError(f"role {principal.role!r} may not do this (needs {' or '.join(roles)})")
        return principal

    return check


ManagerDep = Annotated[Principal, Depends(require_role("admin", "manager"))]
AdminDep = Annotated[Principal, Depends(require_role("admin"))]
