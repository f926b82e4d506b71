"""Pages on the demo merchant: the dashboard renders the API's numbers and drills down; the workbench acts on cases."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aftersales.api.app import create_app
from aftersales.services import cases as case_svc
from aftersales.services.users import list_users
from tests.conftest import DemoHome

PASSWORD = "demo-pass-123"


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def _client(demo: DemoHome, username: str) -> TestClient:
    client = TestClient(create_app(demo.settings))
    token = _token(client.get("/login").text)
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 200
    return client


@pytest.fixture(scope="module")
def manager(demo_home: DemoHome) -> TestClient:
    return _client(demo_home, "demo-manager")


@pytest.fixture(scope="module")
def agent(demo_home: DemoHome) -> TestClient:
    return _client(demo_home, "agent-care")


def _figures(html: str) -> dict[str, Any]:
    found = re.findall(r'<script type="application/json" id="fig-(\w+)">(.*?)</script>', html, flags=re.S)
    return {k: json.loads(v) for k, v in found}


def test_dashboard_renders_the_api_result_and_every_chart_drills_down(manager: TestClient) -> None:
    page = manager.get("/dashboard?month=2026-10&span=1")
    assert page.status_code == 200
    api = manager.get("/api/v1/dashboard?month=2026-10&span=1").json()
    assert api["period"] == {"month": "2026-10", "span": 1, "start": "2026-10-01", "end": "2026-10-31"}
    assert page.text.count('data-kpi="') == len(api["kpis"])
    figures = _figures(page.text)
    assert set(figures) == {"emotion", "pareto", "load", "risk"}
    pareto = figures["pareto"]["data"][0]
    assert pareto["y"] == [r["count"] for r in api["pareto"]]
    for fig in figures.values():
        urls = [u for trace in fig["data"] for u in trace["customdata"]]
        assert urls and all(u.startswith("/cases/drill?") for u in urls)
    top = api["pareto"][0]
    drill = manager.get(pareto["customdata"][0])
    assert drill.status_code == 200
    assert f"（{top['count']}）" in drill.text  # the list holds exactly the cases behind the bar
    query = pareto["customdata"][0].split("?", 1)[1]
    assert manager.get(f"/api/v1/dashboard/drill?{query}").json()["count"] == top["count"]
    assert 'data-plotly="/static/plotly.min.js?v=' in page.text and "cdn" not in page.text.lower()


def test_filters_reach_charts_and_kpis(manager: TestClient) -> None:
    api = manager.get("/api/v1/dashboard?month=2026-10&region=华东").json()
    everything = manager.get("/api/v1/dashboard?month=2026-10").json()
    assert api["filters"] == {"region": "华东"}
    assert sum(r["count"] for r in api["pareto"]) < sum(r["count"] for r in everything["pareto"])
    volume = {k["kpi"]: k for k in api["kpis"]}["complaint_volume"]
    assert volume["available"] and volume["value"] == sum(r["count"] for r in api["pareto"])
    page = manager.get("/dashboard?month=2026-10&region=华东&channel=chat")
    assert page.status_code == 200 and "region=%E5%8D%8E%E4%B8%9C" in page.text


def test_kpi_cards_apply_every_filter(manager: TestClient, demo_home: DemoHome) -> None:
    import datetime as dt

    from aftersales.services.kpi import compute_kpis

    api = manager.get("/api/v1/dashboard?month=2026-10&region=华东&category=服装").json()
    cards = {k["kpi"]: k for k in api["kpis"]}
    expected = compute_kpis(
        demo_home.settings,
        start=dt.date(2026, 10, 1),
        end=dt.date(2026, 10, 31),
        filters={"region": "华东", "category": "服装"},
    )
    assert expected
    for row in expected:
        assert cards[row["kpi"]]["available"] and cards[row["kpi"]]["value"] == pytest.approx(row["value"])
    unavailable = {k for k, c in cards.items() if not c["available"]}
    assert "csat" in unavailable  # surveys have no category: the card says so instead of showing an unfiltered value


def test_emotion_drill_lists_messages(manager: TestClient) -> None:
    r = manager.get("/api/v1/dashboard/drill?emotion=anger&start=2026-10-01&end=2026-10-31").json()
    assert r["messages"] and all(m["emotion"] == "anger" for m in r["messages"])
    page = manager.get("/cases/drill?emotion=anger&start=2026-10-01&end=2026-10-31")
    assert page.text.count('class="badge emo-anger"') >= len(r["messages"])


def test_workbench_is_my_queue_in_priority_then_due_order(agent: TestClient, demo_home: DemoHome) -> None:
    page = agent.get("/workbench").text
    ids = re.findall(r'href="/cases/([\w-]+)" class="case-link"', page)
    me = next(u for u in list_users(demo_home.settings) if u["username"] == "agent-care")
    from aftersales.services.users import Principal

    principal = Principal(me["id"], "agent-care", "agent", tuple(me["queues"]))
    expected = case_svc.list_cases(principal, open_only=True, limit=50, settings=demo_home.settings)
    assert ids == [c["case_id"] for c in expected["data"]]
    assert all(c["queue"] in ("emotion_care", "complaints") for c in expected["data"])
    assert 'class="breached"' in page  # breaches are highlighted


def _open_case(agent: TestClient) -> str:
    ids = re.findall(r'href="/cases/([\w-]+)" class="case-link"', agent.get("/workbench?status=triaged").text)
    ids = ids or re.findall(r'href="/cases/([\w-]+)" class="case-link"', agent.get("/workbench").text)
    return ids[-1]


def test_case_view_reply_transition_and_label(agent: TestClient) -> None:
    case_id = _open_case(agent)
    page = agent.get(f"/cases/{case_id}")
    assert page.status_code == 200 and "<mark" in page.text and 'id="h-decision"' in page.text
    token = _token(page.text)
    head = {"X-Partial": "1", "X-CSRF-Token": token}
    sugg = agent.get(f"/cases/{case_id}/suggestions", headers=head)
    assert 'id="draft-text"' in sugg.text
    r = agent.post(
        f"/cases/{case_id}/reply", data={"text": "您好，已为您加急处理。", "status_after": "in_progress"}, headers=head
    )
    assert r.status_code == 200 and 'data-notice="replied"' in r.text and "已为您加急处理" in r.text
    assert "<html" not in r.text  # a fragment, not a page
    r = agent.post(f"/cases/{case_id}/transition", data={"status": "resolved"}, headers=head)
    assert r.status_code == 200 and 'data-status="resolved"' in r.text
    r = agent.post(f"/cases/{case_id}/transition", data={"status": "triaged"}, headers=head)
    assert r.status_code == 409 and "E310_illegal_transition" in r.text
    msg = re.search(r'name="interaction_id" value="([^"]+)"', page.text)
    assert msg
    r = agent.post(
        f"/cases/{case_id}/label", data={"interaction_id": msg.group(1), "label": "emotion:anxiety"}, headers=head
    )
    assert r.status_code == 200 and 'data-notice="labelled"' in r.text


def test_forms_work_without_javascript(agent: TestClient) -> None:
    case_id = _open_case(agent)
    token = _token(agent.get(f"/cases/{case_id}").text)
    r = agent.post(f"/cases/{case_id}/assign", data={"assignee": "me", "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{case_id}?done=assigned"
    page = agent.get(r.headers["location"]).text
    assert 'id="case-assignee">agent-care<' in page and 'data-notice="assigned"' in page
    r = agent.post(f"/cases/{case_id}/assign", data={"assignee": "me"})
    assert r.status_code == 403  # no token, no change


def test_agents_cannot_open_other_queues(agent: TestClient, demo_home: DemoHome) -> None:
    from aftersales.services.users import system_principal

    other = case_svc.list_cases(system_principal(), queue="logistics", limit=1, settings=demo_home.settings)
    r = agent.get(f"/cases/{other['data'][0]['case_id']}")
    assert r.status_code == 403 and "E403_forbidden" in r.text


def test_plotly_is_served_from_the_package(manager: TestClient) -> None:
    r = manager.get("/static/plotly.min.js", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert "plotly" in r.text[:2000].lower() and "immutable" in r.headers["cache-control"]
