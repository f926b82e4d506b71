"""CSRF tokens: per session, constant-time match, and which API requests a cookie session must sign."""

from __future__ import annotations

from typing import Any

import pytest

from aftersales.web import csrf
from aftersales.web.deps import safe_next


def test_session_token_is_created_once() -> None:
    session: dict[str, Any] = {}
    token = csrf.session_token(session)
    assert len(token) >= 32 and csrf.session_token(session) == token
    assert csrf.matches(session, token)
    assert not csrf.matches(session, token + "x")
    assert not csrf.matches(session, None)
    assert not csrf.matches({}, token)


def _scope(method: str, path: str, **headers: str) -> dict[str, Any]:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "headers": [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()],
    }


@pytest.mark.parametrize(
    ("method", "path", "headers", "ok"),
    [
        ("GET", "/api/v1/cases", {}, True),
        ("POST", "/api/v1/cases/C1/reply", {}, False),
        ("POST", "/api/v1/cases/C1/reply", {"x_csrf_token": "wrong"}, False),
        ("POST", "/api/v1/cases/C1/reply", {"x_csrf_token": "tok"}, True),
        ("POST", "/api/v1/cases/C1/reply", {"authorization": "Bearer as_x"}, True),
        ("POST", "/cases/C1/reply", {}, True),  # pages check the token in their router dependency instead
    ],
)
def test_api_requests_with_a_cookie_session(method: str, path: str, headers: dict[str, str], ok: bool) -> None:
    assert csrf.api_request_ok(_scope(method, path, **headers), {"csrf": "tok"}) is ok


@pytest.mark.parametrize(
    ("target", "expected"),
    [(None, "/"), ("/cases/1", "/cases/1"), ("//evil.example", "/"), ("https://evil.example", "/"), ("/\\x", "/")],
)
def test_safe_next_refuses_other_sites(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected
