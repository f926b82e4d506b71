"""Errors on pages: HTML (a page, or a fragment for the page's script) instead of the API's JSON body.

The API's handlers stay in charge of /api, /docs and /healthz; these wrap them and take over for page paths only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from aftersales.api.errors import status_for
from aftersales.errors import AftersalesError
from aftersales.web.deps import LoginRequired
from aftersales.web.templating import is_partial, render

Handler = Callable[[Request, Any], Awaitable[Response]]
NOT_PAGES = ("/api/", "/docs", "/openapi.json", "/healthz")


def is_page(request: Request) -> bool:
    """Whether the path belongs to the web app rather than the API."""
    return not request.url.path.startswith(NOT_PAGES)


def _page(request: Request, status: int, code: str, message: str) -> Response:
    template = "partials/error.html" if is_partial(request) else "error.html"
    return render(request, template, {"status": status, "code": code, "message": message}, status_code=status)


def install(app: FastAPI) -> None:
    """Wrap the API's exception handlers so page requests get HTML; call after api.errors.install."""
    previous: dict[Any, Handler] = dict(app.exception_handlers)  # type: ignore[arg-type]

    def wrap(kind: Any, page: Callable[[Request, Any], Response]) -> None:
        api = previous.get(kind)

        async def handler(request: Request, exc: Any) -> Response:
            if is_page(request) or api is None:
                return page(request, exc)
            return await api(request, exc)

        app.add_exception_handler(kind, handler)

    def domain(request: Request, exc: AftersalesError) -> Response:
        if isinstance(exc, LoginRequired) and not is_partial(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
        return _page(request, status_for(exc.code), exc.code, exc.message)

    def validation(request: Request, exc: RequestValidationError) -> Response:
        parts = [f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()[:5]]
        return _page(request, 422, "E422_validation", "; ".join(parts))

    def http(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "E404_not_found", 405: "E405_method_not_allowed"}.get(exc.status_code, f"E{exc.status_code}_http")
        return _page(request, exc.status_code, code, str(exc.detail))

    wrap(AftersalesError, domain)
    wrap(RequestValidationError, validation)
    wrap(StarletteHTTPException, http)
