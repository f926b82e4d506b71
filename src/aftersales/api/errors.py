"""The only place domain error codes become HTTP statuses; every error body is {"error": {"code", "message"}}."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from aftersales.errors import AftersalesError

log = logging.getLogger("aftersales.api")

STATUS_BY_PREFIX = {
    "E400": 400,
    "E401": 401,
    "E403": 403,
    "E404": 404,
    "E409": 409,
    "E310": 409,
    "E300": 422,
    "E320": 502,
    "E1": 400,
    "E2": 503,
    "E0": 500,
}


def status_for(code: str) -> int:
    """HTTP status of a domain error code (longest matching prefix)."""
    for size in (4, 2):
        if code[:size] in STATUS_BY_PREFIX:
            return STATUS_BY_PREFIX[code[:size]]
    return 500


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    """The DESIGN.md §5 error shape."""
    return {"error": {"code": code, "message": message}}


def install(app: FastAPI) -> None:
    """Register the handlers that turn every failure into the contract shape."""

    @app.exception_handler(AftersalesError)
    async def _domain(_: Request, exc: AftersalesError) -> JSONResponse:
        status = status_for(exc.code)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(error_body(exc.code, exc.message), status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors()[:10]:
            loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            parts.append(f"{loc or 'body'}: {err.get('msg')}")
        return JSONResponse(error_body("E422_validation", "; ".join(parts) or "invalid request"), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "E404_not_found", 405: "E405_method_not_allowed", 401: "E401_unauthenticated"}.get(
            exc.status_code, f"E{exc.status_code}_http"
        )
        return JSONResponse(
            error_body(code, str(exc.detail)), status_code=exc.status_code, headers=getattr(exc, "headers", None)
        )

    @app.exception_handler(Exception)
    async def _crash(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return JSONResponse(error_body("E000_internal", "internal error; see the server log"), status_code=500)
