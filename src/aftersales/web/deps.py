"""Page dependencies: the logged-in user (or a redirect to the login page) and the app's settings."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends, Request

from aftersales.config import Settings
from aftersales.errors import AftersalesError, InvalidInputError, PermissionDeniedError
from aftersales.services.users import Principal
from aftersales.web.auth import current_user


class LoginRequired(AftersalesError):
    """No session: pages answer with a redirect to /login, fetch calls with 401."""

    code = "E401_unauthenticated"


async def page_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


async def page_user(request: Request) -> Principal:
    """The session's user; raises LoginRequired (→ redirect to the login page) when nobody is logged in."""
    user = current_user(request)
    if user is None:
        raise LoginRequired("please log in")
    return user


async def page_manager(request: Request) -> Principal:
    """A manager or admin (insights, actions, the Ask box, policy and KPI settings); agents get 403."""
    user = await page_user(request)
    if not user.sees_all_queues:
        raise PermissionDeniedError("this page is for managers and admins")
    return user


async def page_admin(request: Request) -> Principal:
    """An admin (users and API keys); others get 403."""
    user = await page_user(request)
    if user.role != "admin":
        raise PermissionDeniedError("this page is for admins")
    return user


WebSettings = Annotated[Settings, Depends(page_settings)]
WebUser = Annotated[Principal, Depends(page_user)]
WebManager = Annotated[Principal, Depends(page_manager)]
WebAdmin = Annotated[Principal, Depends(page_admin)]


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths as redirect targets after login (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def optional_date(value: str | None, name: str) -> dt.date | None:
    """A form or query date (YYYY-MM-DD); empty means none; anything else is an E400 naming the field."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(f"{name}: expected YYYY-MM-DD, got {value!r}") from None
