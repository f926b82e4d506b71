"""The FastAPI app factory: nothing connects to the database until the first request."""

from __future__ import annotations

from fastapi import FastAPI

from aftersales import __version__
from aftersales.api import errors
from aftersales.api.routes import actions as actions_routes
from aftersales.api.routes import analysis, cases, customers, kb, kpis, meta, policy
from aftersales.api.routes import ask as ask_routes
from aftersales.api.routes import dashboard as dashboard_routes
from aftersales.api.routes import forecasts as forecasts_routes
from aftersales.api.routes import insights as insights_routes
from aftersales.api.routes import segments as segments_routes
from aftersales.config import Settings, get_settings

DESCRIPTION = """After-sales (售后) intelligence for returns and exchanges.

Authenticate with `Authorization: Bearer <API key>` (create one with `aftersales users create NAME --role ROLE`).
Errors are `{"error": {"code", "message"}}` with stable codes (see docs/api.md).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the API for these settings (tests pass their own; `aftersales serve` uses the environment)."""
    app = FastAPI(
        title="aftersales",
        version=__version__,
        description=DESCRIPTION,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings or get_settings()
    errors.install(app)
    app.include_router(meta.router)
    for module in (analysis, cases, customers, kb, kpis, policy):
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(dashboard_routes.router, prefix="/api/v1")
    app.include_router(insights_routes.router, prefix="/api/v1")
    app.include_router(forecasts_routes.router, prefix="/api/v1")
    app.include_router(segments_routes.router, prefix="/api/v1")
    app.include_router(ask_routes.router, prefix="/api/v1")
    app.include_router(actions_routes.router, prefix="/api/v1")
    from aftersales.web import install as install_web

    install_web(app)  # pages at "/" (after the API's error handlers, which it wraps for page paths)
    return app


def serve_app() -> FastAPI:
    """The factory `aftersales serve` runs in each worker: loads models and policy before the first request."""
    import gc
    from contextlib import asynccontextmanager
    from typing import Any

    settings = get_settings()

    @asynccontextmanager
    async def warm(_: FastAPI) -> Any:
        from aftersales.services.runtime import get_runtime
        from aftersales.storage import db

        rt = get_runtime(settings)  # analyzer weights, policy, calendar, churn model
        rt.analyzer.analyze("预热 warm-up")
        db.get_engine(settings)
        # Move the loaded models and modules out of the collector's sight: full collections then only scan what
        # requests allocate, which cuts the tail-latency spikes under load.
        gc.collect()
        gc.freeze()
        yield

    app = create_app(settings)
    app.router.lifespan_context = warm
    return app
