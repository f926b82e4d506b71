"""Web login: session cookie, CSRF on every unsafe request (pages and cookie-authenticated API calls), logout."""

from __future__ import annotations

import re
import stat

import httpx2
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from aftersales.api.app import create_app
from aftersales.config import Settings
from aftersales.services.users import create_user
from aftersales.web.auth import secret_key

PASSWORD = "s3cret-pass"


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


@pytest.fixture
def web(settings: Settings) -> TestClient:
    create_user("mia", "manager", display_name="Mia", password=PASSWORD, settings=settings)
    create_user("ann", "agent", ["general"], password=PASSWORD, settings=settings)
    return TestClient(create_app(settings))


def _login(client: TestClient, username: str, password: str = PASSWORD, next: str = "") -> httpx2.Response:
    token = _token(client.get("/login").text)
    form = {"username": username, "password": password, "csrf_token": token, "next": next}
    return client.post("/login", data=form, follow_redirects=False)


def test_pages_redirect_to_login_and_back(web: TestClient) -> None:
    r = web.get("/workbench?queue=general", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/workbench%3Fqueue%3Dgeneral"
    r = _login(web, "ann", next="/workbench?queue=general")
    assert r.status_code == 303 and r.headers["location"] == "/workbench?queue=general"
    assert web.get("/workbench").status_code == 200


def test_wrong_password_and_missing_token(web: TestClient) -> None:
    r = _login(web, "mia", "wrong-password")
    assert r.status_code == 401
    assert 'id="login-error"' in r.text
    r = web.post("/login", data={"username": "mia", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403 and "E403_csrf" in r.text
    assert web.get("/dashboard", follow_redirects=False).status_code == 303


def test_open_redirects_are_refused(web: TestClient) -> None:
    r = _login(web, "mia", next="//evil.example/x")
    assert r.headers["location"] == "/"


def test_session_is_signed_and_new_at_login(web: TestClient) -> None:
    before = _token(web.get("/login").text)
    _login(web, "mia")
    after = _token(web.get("/dashboard").text)
    assert before != after  # no session fixation: a fresh token after login
    (jar,) = [c for c in web.cookies.jar if c.name == "aftersales_session"]
    assert jar.value
    # replaced in place (same domain): a second cookie of that name without a domain would not be the one sent
    web.cookies.set("aftersales_session", jar.value[:-4] + "AAAA", domain=jar.domain, path=jar.path)
    assert [c.value[-4:] for c in web.cookies.jar if c.name == "aftersales_session"] == ["AAAA"]
    assert web.get("/dashboard", follow_redirects=False).status_code == 303


def test_cookie_session_calls_the_api_only_with_the_csrf_header(web: TestClient) -> None:
    _login(web, "mia")
    assert web.get("/api/v1/me").json()["username"] == "mia"
    r = web.post("/api/v1/analyze", json={"text": "太差了"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "E403_csrf"
    token = _token(web.get("/dashboard").text)
    r = web.post("/api/v1/analyze", json={"text": "太差了"}, headers={"X-CSRF-Token": token})
    assert r.status_code == 200


def test_api_keys_need_no_csrf(settings: Settings) -> None:
    key = create_user("bot", "manager", settings=settings)["api_key"]
    client = TestClient(create_app(settings))
    r = client.post("/api/v1/analyze", json={"text": "很好"}, headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200


def test_logout_ends_the_session(web: TestClient) -> None:
    _login(web, "ann")
    token = _token(web.get("/workbench").text)
    r = web.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert web.get("/workbench", follow_redirects=False).status_code == 303
    assert web.get("/api/v1/me").status_code == 401


def test_roles_land_on_their_page_and_agents_cannot_open_the_dashboard(web: TestClient) -> None:
    _login(web, "ann")
    assert web.get("/", follow_redirects=False).headers["location"] == "/workbench"
    r = web.get("/dashboard")
    assert r.status_code == 403 and "E403_forbidden" in r.text and r.headers["content-type"].startswith("text/html")
    assert web.get("/api/v1/dashboard").json()["error"]["code"] == "E403_forbidden"


def test_language_switch(web: TestClient) -> None:
    page = web.get("/login").text
    assert '<html lang="zh-CN">' in page and "用户名" in page
    web.post("/lang", data={"lang": "en", "next": "/login", "csrf_token": _token(page)})
    page = web.get("/login").text
    assert '<html lang="en">' in page and "Username" in page
    _login(web, "mia")
    assert '<html lang="en">' in web.get("/dashboard").text  # the choice survives logging in


def test_secret_key_is_generated_once_private(settings: Settings) -> None:
    first = secret_key(settings)
    path = settings.home / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_key(settings) == first and len(first) >= 40
    explicit = settings.model_copy(update={"secret_key": SecretStr("from-settings")})
    assert secret_key(explicit) == "from-settings"


def test_api_and_docs_are_untouched(web: TestClient) -> None:
    assert web.get("/healthz").json()["status"] == "ok"
    assert web.get("/docs").status_code == 200
    assert web.get("/api/v1/nope").json()["error"]["code"] == "E404_not_found"
    assert web.get("/nope").headers["content-type"].startswith("text/html")
    paths = web.get("/openapi.json").json()["paths"]
    assert "/api/v1/dashboard" in paths and "/dashboard" not in paths and "/login" not in paths
