"""Insight, action and Ask pages on the demo merchant render exactly what the matching API routes return."""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from aftersales.api.app import create_app
from tests.conftest import DemoHome

PASSWORD = "demo-pass-123"


def _token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    return match.group(1)


def _client(demo: DemoHome, username: str) -> TestClient:
    client = TestClient(create_app(demo.settings))
    r = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": _token(client.get("/login").text)}
    )
    assert r.status_code == 200
    return client


@pytest.fixture(scope="module")
def manager(demo_home: DemoHome) -> TestClient:
    return _client(demo_home, "demo-manager")


def _figures(page: str) -> dict[str, Any]:
    found = re.findall(r'<script type="application/json" id="fig-(\w+)">(.*?)</script>', page, flags=re.S)
    return {k: json.loads(v) for k, v in found}


def _text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def test_anomalies_page_shows_the_api_findings_with_links(manager: TestClient) -> None:
    page = manager.get("/insights/anomalies?by=region")
    assert page.status_code == 200
    api = manager.get("/api/v1/insights/anomalies?by=region").json()
    shown = [_text(p) for p in re.findall(r'<p class="explanation">(.*?)</p>', page.text, flags=re.S)]
    assert api["found"] >= 1 and shown == [a["explanation_zh"] for a in api["anomalies"]]
    assert 'href="/api/v1/insights/anomalies?metric=return_rate&amp;by=region' in page.text  # the JSON twin
    first = api["anomalies"][0]
    link = re.search(r'href="([^"]+)" class="drill-returns"', page.text)
    assert link
    drill = manager.get(html.unescape(link.group(1)))
    assert drill.status_code == 200
    query = f"from={first['start']}&to={first['end']}&region={quote(first['value'])}"
    pareto = manager.get(f"/api/v1/insights/pareto?{query}").json()
    assert f"{pareto['total']}" in _text(
        re.search(r'<p class="muted small">(.*?)</p>', drill.text, flags=re.S).group(1)
    )


def test_changes_page_lists_the_api_scan_and_puts_the_redesigned_sku_first(manager: TestClient) -> None:
    page = manager.get("/insights/changes")
    assert page.status_code == 200
    api = manager.get("/api/v1/insights/changes?by=sku&per_reason=true&direction=both").json()
    shown = [_text(p) for p in re.findall(r'<p class="explanation">(.*?)</p>', page.text, flags=re.S)]
    assert shown == [c["explanation_zh"] for c in api["changes"]] and shown
    rows = re.findall(r'<tr class="change[^"]*" data-value="([^"]+)" data-reason="([^"]*)">', page.text)
    assert rows[0] == ("HA-101", "hard_to_use") and len(rows) == len(api["changes"])
    assert 'href="/api/v1/insights/changes?metric=return_rate&amp;by=sku&amp;per_reason=true' in page.text
    by_region = manager.get("/insights/changes?by=region&per_reason=false&lang=en")
    assert by_region.status_code == 200 and 'aria-current="page">' in by_region.text
    assert manager.get("/insights/changes?by=colour").status_code == 422


def test_dashboard_anomaly_panel_is_the_api_panel(manager: TestClient) -> None:
    dash = manager.get("/dashboard?month=2026-10").text
    assert 'data-fragment="/dashboard/anomalies"' in dash and 'data-plotly="/static/plotly.min.js?v=' in dash
    fragment = manager.get("/dashboard/anomalies", headers={"X-Partial": "1"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    api = manager.get("/api/v1/dashboard/anomalies").json()
    expected = [a["explanation_zh"] for m in api["metrics"].values() for a in m["anomalies"]]
    shown = [_text(p) for p in re.findall(r'<li class="anomaly"[^>]*><p>(.*?)</p>', fragment.text, flags=re.S)]
    assert expected and shown == expected
    assert any("西南" in e for e in expected)  # the demo's planted logistics failure


def test_stated_vs_actual_heat_map_equals_the_api_table(manager: TestClient) -> None:
    page = manager.get("/insights/reasons").text
    api = manager.get("/api/v1/insights/reasons").json()
    cells = re.findall(r'data-stated="(\w+)" data-actual="(\w+)">(\d*)</td>', page)
    shown = {(s, a): int(n) for s, a, n in cells if n}
    expected = {(row["stated"], c): int(row[c]) for row in api["table"] for c in api["labels"] if row.get(c)}
    assert shown == expected
    assert f"{api['agreement_rate'] * 100:.1f}%" in page


def test_pareto_bars_drill_down_to_the_api_items(manager: TestClient) -> None:
    page = manager.get("/insights/pareto?source=returns&region=华东").text
    api = manager.get("/api/v1/insights/pareto?source=returns&region=华东").json()
    fig = _figures(page)["pareto"]
    assert fig["data"][0]["y"] == [b["count"] for b in api["bars"]]
    url = fig["data"][0]["customdata"][0]
    items = manager.get(url)
    top = api["bars"][0]
    api_items = manager.get(f"/api/v1/insights/pareto/{top['reason']}/items?region=华东&limit=20").json()
    assert items.status_code == 200 and f"{top['zh']}：{api_items['total']} 条" in items.text
    assert [i["return_id"] for i in api_items["items"]] == re.findall(r"<tr><td>(R\d+)<div", items.text)


def test_forecast_charts_are_the_api_forecasts(manager: TestClient) -> None:
    page = manager.get("/insights/forecasts?metric=returns&by=category&horizon=8").text
    api = manager.get("/api/v1/forecasts?metric=returns&by=category&horizon=8").json()
    figs = _figures(page)
    assert len(figs) == len(api["series"])
    for i, series in enumerate(api["series"], 1):
        traces = {t.get("name"): t for t in figs[f"s{i}"]["data"]}
        assert traces["预测"]["y"] == [p["mean"] for p in series["points"]]
        assert traces["80% 区间"]["y"] == [p["lo80"] for p in series["points"]]
        assert f"<code>{series['model']}</code>" in page


def test_segments_and_at_risk_match_the_api(manager: TestClient) -> None:
    page = manager.get("/insights/segments").text
    api = manager.get("/api/v1/segments").json()
    risk = manager.get("/api/v1/segments/at-risk?limit=50").json()
    names = re.findall(r'<tr data-segment="\d+"><th scope="row">(.*?)</th>', page)
    assert names == [s["name_zh"] for s in api["segments"]]
    shown = re.findall(r'<tr><th scope="row">(C\d+)</th>', page)
    assert shown == [r["customer_id"] for r in risk["data"]]


def test_create_an_action_and_see_its_effect(manager: TestClient) -> None:
    listing = manager.get("/actions").text
    assert "DEMO-ACT-001" in listing
    form = {
        "title": "页面测试：尺码表改版",
        "sku": "AP-302",
        "reason": ["size_fit"],
        "start_date": "2026-03-02",
        "target_kpi": "return_rate",
        "status": "active",
        "csrf_token": _token(listing),
    }
    r = manager.post("/actions", data=form, follow_redirects=False)
    assert r.status_code == 303
    action_id = r.headers["location"].split("/")[2].split("?")[0]
    assert manager.get(f"/api/v1/actions/{action_id}").json()["scope"] == {"sku": ["AP-302"], "reason": ["size_fit"]}
    assert manager.post("/actions", data={**form, "csrf_token": ""}).status_code == 403
    bad = manager.post("/actions", data={**form, "sku": "NO-SUCH-SKU"})
    assert bad.status_code == 400 and "NO-SUCH-SKU" in bad.text and 'value="页面测试：尺码表改版"' in bad.text
    page = manager.get("/actions/DEMO-ACT-001").text
    effect = manager.get("/api/v1/actions/DEMO-ACT-001/effect").json()
    assert _text(re.search(r'id="effect-summary">(.*?)</span>', page, flags=re.S).group(1)) == effect["summary_zh"]
    fig = _figures(page)["effect"]
    assert fig["data"][0]["y"] == [r["treated"] for r in effect["series"]]
    assert re.findall(r'<tr class="chosen"><th scope="row">([\w-]+)</th>', page) == [
        c["unit"] for c in effect["candidates"] if c["chosen"]
    ]


@pytest.mark.parametrize(
    "question",
    [
        "上个月华东地区退货率最高的品类是什么？",
        "上个月各地区的退货率",
        "今天天气怎么样？",
        "CSAT by region last quarter",
    ],
)
def test_ask_page_answers_like_the_api(manager: TestClient, question: str) -> None:
    page = manager.get("/ask", params={"q": question}).text
    token = _token(page)
    api = manager.post("/api/v1/ask", json={"question": question}, headers={"X-CSRF-Token": token}).json()
    shown = _text(re.search(r'id="answer-text">(.*?)</p>', page, flags=re.S).group(1))
    expected = api["answer"] if api["answered"] else api["cannot_answer"]["message"]
    assert shown == expected
    if api["query"]:
        query = re.search(r'<pre class="query" id="ask-query">(.*?)</pre>', page, flags=re.S)
        assert query and json.loads(html.unescape(query.group(1))) == api["query"]
        assert len(re.findall(r"<tr>", page)) - 1 == len(api["rows"])
    else:
        assert len(re.findall(r'<li><a href="/ask\?q=', page)) == len(api["cannot_answer"]["suggestions"])


def test_agents_get_no_insights(demo_home: DemoHome) -> None:
    agent = _client(demo_home, "agent-care")
    for path in ("/insights/anomalies", "/actions", "/ask?q=退货率", "/settings/policy", "/dashboard/anomalies"):
        r = agent.get(path)
        assert r.status_code == 403 and "E403_forbidden" in r.text, path
    assert 'action="/ask"' not in agent.get("/workbench").text
