"""The web app: server-rendered pages (Jinja2 + small vanilla JS) over the same services as the REST API."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.sessions import SessionMiddleware

from aftersales.config import Settings


def install(app: FastAPI) -> None:
    """Mount the pages at "/" with sessions, CSRF checks and HTML errors (call after the API's error handlers)."""
    from aftersales.web import errors
    from aftersales.web.auth import SESSION_COOKIE, SESSION_MAX_AGE, PrincipalCache, PrincipalMiddleware, secret_key
    from aftersales.web.routes import account, actions, ask, dashboard, insights, settings, static, workbench

    config: Settings = app.state.settings
    cache = PrincipalCache()
    app.state.web_principals = cache
    # Starlette runs the last-added middleware first: the session must be decoded before the principal is read.
    app.add_middleware(PrincipalMiddleware, settings=config, cache=cache)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key(config),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        same_site="lax",
    )
    app.include_router(static.router)
    app.include_router(account.router)
    app.include_router(dashboard.router)  # before workbench: /cases/drill must win over /cases/{case_id}
    app.include_router(workbench.router)
    for module in (insights, actions, ask, settings):
        app.include_router(module.router)
    errors.install(app)
