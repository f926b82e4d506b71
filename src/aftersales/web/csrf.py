"""CSRF protection: one random token per session, checked on every unsafe request made with the session cookie.

Forms send it as the `csrf_token` field, fetch calls as the `X-CSRF-Token` header. API calls with an
`Authorization: Bearer` key carry no cookie authority and are not checked.
"""

from __future__ import annotations

import hmac
import json
import secrets
from typing import Any

from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from aftersales.errors import AftersalesError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
HEADER = "x-csrf-token"
FIELD = "csrf_token"


class CsrfError(AftersalesError):
    """The request's CSRF token is missing or does not match the session's."""

    code = "E403_csrf"


def new_token() -> str:
    """A fresh unguessable token."""
    return secrets.token_urlsafe(32)


def session_token(session: dict[str, Any]) -> str:
    """This session's token, created on first use (anonymous sessions get one too: the login form needs it)."""
    token = session.get("csrf")
    if not isinstance(token, str) or not token:
        token = new_token()
        session["csrf"] = token
    return token


def matches(session: dict[str, Any], sent: str | None) -> bool:
    """Constant-time comparison of the sent token with the session's."""
    expected = session.get("csrf")
    return bool(sent) and isinstance(expected, str) and hmac.compare_digest(expected, str(sent))


def _header(scope: Scope, name: str) -> str | None:
    raw = name.encode("latin-1")
    for key, value in scope.get("headers", []):
        if key.lower() == raw:
            return str(value.decode("latin-1"))
    return None


def api_request_ok(scope: Scope, session: dict[str, Any]) -> bool:
    """Whether an API request authenticated by the cookie may proceed (safe method, Bearer key, or a valid header)."""
    path = str(scope.get("path", ""))
    if not path.startswith("/api/") or scope.get("method", "GET") in SAFE_METHODS:
        return True
    if (_header(scope, "authorization") or "").lower().startswith("bearer "):
        return True
    return matches(session, _header(scope, HEADER))


async def forbidden_json(scope: Scope, receive: Receive, send: Send) -> None:
    """The API's error shape for a missing or wrong CSRF header."""
    body = json.dumps(
        {"error": {"code": CsrfError.code, "message": f"missing or invalid {HEADER} header for a cookie session"}}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def protect(request: Request) -> None:
    """Router dependency: unsafe web requests must carry the session's token (form field or header)."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(HEADER)
    if not sent and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(FIELD)
        sent = value if isinstance(value, str) else None
    if not matches(request.session, sent):
        raise CsrfError("missing or invalid CSRF token; reload the page and try again")
