"""Settings pages: the policy in force (as GET /api/v1/policy), validation with line numbers (as POST
/api/v1/policy/validate), the what-if simulation, KPI targets, and users with API keys shown once."""

from __future__ import annotations

import html
import re
from importlib import resources

import pytest
from fastapi.testclient import TestClient

from aftersales.api.app import create_app
from aftersales.services import policy as policy_svc
from aftersales.services.kpi import targets_for
from tests.conftest import DemoHome

PASSWORD = "demo-pass-123"
DEFAULT = resources.files("aftersales.policy").joinpath("default.yaml").read_text(encoding="utf-8")


def _token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


@pytest.fixture(scope="module")
def admin(demo_home: DemoHome) -> TestClient:
    client = TestClient(create_app(demo_home.settings))
    form = {"username": "demo-admin", "password": PASSWORD, "csrf_token": _token(client.get("/login").text)}
    assert client.post("/login", data=form).status_code == 200
    return client


def test_policy_page_lists_the_active_rules(admin: TestClient) -> None:
    page = admin.get("/settings/policy").text
    api = admin.get("/api/v1/policy").json()
    assert re.findall(r'data-rule="(\w+)"', page) == [r["id"] for r in api["rules"]]
    assert api["version"] in page


def test_validate_shows_each_error_at_its_line(admin: TestClient) -> None:
    token = _token(admin.get("/settings/policy").text)
    bad = DEFAULT.replace("emotion: anger\n", "emotion: angry\n", 1)
    r = admin.post("/settings/policy/validate", data={"yaml": bad, "csrf_token": token})
    assert r.status_code == 200
    api = admin.post("/api/v1/policy/validate", json={"yaml": bad}, headers={"X-CSRF-Token": token}).json()
    assert not api["ok"]
    listed = [html.unescape(e) for e in re.findall(r"<li><code>(.*?)</code></li>", r.text, flags=re.S)]
    assert listed == api["errors"]
    line = int(re.match(r"[^:]*:(\d+):", api["errors"][0]).group(1))  # type: ignore[union-attr]
    assert f'<li value="{line}" id="line-{line}" class="bad">' in r.text
    ok = admin.post(
        "/settings/policy/validate", files={"file": ("p.yaml", DEFAULT.encode())}, data={"csrf_token": token}
    )
    assert 'id="validation-ok"' in ok.text
    assert admin.post("/settings/policy/validate", data={"yaml": bad}).status_code == 403  # no CSRF token


def test_simulation_compares_both_policies(admin: TestClient, demo_home: DemoHome, tmp_path: object) -> None:
    token = _token(admin.get("/settings/policy").text)
    candidate = DEFAULT.replace("priority: P2", "priority: P1", 1)
    r = admin.post("/settings/policy/simulate", data={"yaml": candidate, "csrf_token": token})
    assert r.status_code == 200
    from pathlib import Path

    path = Path(str(tmp_path)) / "c.yaml"
    path.write_text(candidate, encoding="utf-8")
    expected = policy_svc.simulate(path, None, demo_home.settings)
    title = re.search(r'<h2 id="h-sim">(.*?)</h2>', r.text)
    assert title and f"{expected['cases']} 个工单，{expected['changed']} 个" in title.group(1)
    p1 = expected["priorities"]["P1"]
    assert f'<th scope="row">P1</th><td>{p1["current"]}</td><td>{p1["new"]}</td>' in r.text


def test_kpi_targets_show_default_configured_and_effective(admin: TestClient, demo_home: DemoHome) -> None:
    page = admin.get("/settings/kpis").text
    effective = targets_for(demo_home.settings)
    assert len(re.findall(r'<tr data-kpi="(\w+)">', page)) == len(effective)
    assert "[kpi_targets]" in page


def test_users_create_show_key_once_and_revoke(admin: TestClient, demo_home: DemoHome) -> None:
    page = admin.get("/settings/users").text
    assert 'data-user="demo-manager"' in page
    token = _token(page)
    form = {"username": "web-bot", "role": "manager", "display_name": "Bot", "csrf_token": token}
    r = admin.post("/settings/users", data=form)
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    key = re.search(r'id="api-key" readonly value="([^"]+)"', r.text)
    assert key
    assert key.group(1) not in admin.get("/settings/users").text  # shown once
    assert admin.post("/settings/users", data=form).status_code == 409
    r = admin.post("/settings/users/web-bot/revoke", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    bot = TestClient(create_app(demo_home.settings))
    assert bot.get("/api/v1/me", headers={"Authorization": f"Bearer {key.group(1)}"}).status_code == 401
    manager = TestClient(create_app(demo_home.settings))
    manager.post(
        "/login",
        data={"username": "demo-manager", "password": PASSWORD, "csrf_token": _token(manager.get("/login").text)},
    )
    assert manager.get("/settings/users").status_code == 403
    assert manager.get("/settings/policy").status_code == 200
