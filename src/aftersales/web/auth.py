"""Web sessions: the signing secret, who is logged in (per request), login and logout.

The session is a cookie signed by Starlette's SessionMiddleware (itsdangerous) holding only the username, the CSRF
token and the language. The principal is looked up again (cached 30 s) on each request, so a deactivated user or a
changed role takes effect without waiting for the cookie to expire.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from aftersales.config import Settings
from aftersales.services.users import Principal, authenticate_password, list_users
from aftersales.web.csrf import api_request_ok, forbidden_json, new_token

SESSION_COOKIE = "aftersales_session"
SESSION_MAX_AGE = 12 * 3600  # one working day; the signature carries the timestamp
PRINCIPAL_TTL = 30.0
SCOPE_KEY = "aftersales.principal"  # read by api.deps.current_principal


def secret_key(settings: Settings) -> str:
    """The session signing key: the setting, else HOME/secret_key, created once with mode 600."""
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    path = Path(settings.home) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another worker created it first: read theirs
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="utf-8").strip()


class PrincipalCache:
    """Username → principal for a short time, so pages do not read the users table on every request."""

    def __init__(self, ttl: float = PRINCIPAL_TTL) -> None:
        self.ttl = ttl
        self._users: dict[str, Principal] = {}
        self._loaded = 0.0

    def get(self, username: str, settings: Settings) -> Principal | None:
        """The active user's principal, or None when unknown or deactivated."""
        if time.monotonic() - self._loaded > self.ttl:
            self._users = {
                u["username"]: Principal(
                    user_id=int(u["id"]),
                    username=u["username"],
                    role=u["role"],
                    queues=tuple(u["queues"]),
                    display_name=u["display_name"],
                )
                for u in list_users(settings)
                if u["active"]
            }
            self._loaded = time.monotonic()
        return self._users.get(username)

    def clear(self) -> None:
        """Forget every cached user (after login, so a fresh role is read)."""
        self._loaded = 0.0


class PrincipalMiddleware:
    """Puts the session's user into the request scope; unsafe API calls that rely on the cookie need the CSRF header."""

    def __init__(self, app: ASGIApp, settings: Settings, cache: PrincipalCache) -> None:
        self.app = app
        self.settings = settings
        self.cache = cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Resolve the principal, then hand on."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session: dict[str, Any] = scope.get("session") or {}
        username = session.get("user")
        if isinstance(username, str):
            principal = self.cache.get(username, self.settings)
            if principal is None:
                session.clear()  # the user was deleted or deactivated: log them out
            else:
                scope[SCOPE_KEY] = principal
        if scope.get(SCOPE_KEY) is not None and not api_request_ok(scope, session):
            await forbidden_json(scope, receive, send)
            return
        await self.app(scope, receive, send)


def current_user(request: Request) -> Principal | None:
    """The logged-in principal of this request, if any."""
    principal = request.scope.get(SCOPE_KEY)
    return principal if isinstance(principal, Principal) else None


def log_in(request: Request, username: str, password: str, settings: Settings, cache: PrincipalCache) -> Principal:
    """Check the password and start a fresh session (new CSRF token: no session fixation); raises E401 otherwise."""
    principal = authenticate_password(username, password, settings)
    lang = request.session.get("lang")
    request.session.clear()
    request.session.update(user=principal.username, csrf=new_token())
    if lang:
        request.session["lang"] = lang
    cache.clear()
    return principal


def log_out(request: Request) -> None:
    """End the session but keep the language choice."""
    lang = request.session.get("lang")
    request.session.clear()
    if lang:
        request.session["lang"] = lang
