"""Login, logout, the language switch and the home page (managers land on the dashboard, agents on their queue)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from aftersales.errors import AuthenticationError
from aftersales.web import i18n
from aftersales.web.auth import current_user, log_in, log_out
from aftersales.web.csrf import protect
from aftersales.web.deps import WebSettings, safe_next
from aftersales.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(protect)])


@router.get("/")
def home(request: Request) -> Response:
    """Send each role to where its work starts."""
    user = current_user(request)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse("/dashboard" if user.sees_all_queues else "/workbench", status_code=303)


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    """The login form (already logged in: straight on)."""
    if current_user(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "login.html", {"next": safe_next(next, ""), "error": None, "username": ""})


@router.post("/login")
def login_submit(
    request: Request,
    settings: WebSettings,
    username: Annotated[str, Form(max_length=128)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Check the password (Argon2id) and start a new session; a wrong one re-shows the form with 401."""
    try:
        log_in(request, username.strip(), password, settings, request.app.state.web_principals)
    except AuthenticationError:
        context = {"next": safe_next(next, ""), "error": "login.failed", "username": username}
        return render(request, "login.html", context, status_code=401)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    """End the session and show the login form."""
    log_out(request)
    return RedirectResponse("/login", status_code=303)


@router.post("/lang")
def switch_language(
    request: Request,
    lang: Annotated[str, Form(max_length=16)] = i18n.DEFAULT_LANG,
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Remember the chosen language in the session and go back to the page."""
    request.session["lang"] = i18n.normalise_lang(lang)
    return RedirectResponse(safe_next(next), status_code=303)
