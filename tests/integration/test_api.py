"""The REST API end to end on a real database: auth and roles, submit → case → decision, the case actions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from aftersales.api import create_app
from aftersales.config import Settings
from aftersales.services import kb as kb_service
from aftersales.services.runtime import reset_runtimes
from aftersales.services.users import _KEY_CACHE, create_user

ANGRY = "第三次联系你们了！吹风机用两天就坏了，再不处理我就去12315投诉！"
CALM_EN = "Hi, could you tell me when my parcel will arrive? Thanks."


@pytest.fixture
def api(any_settings: Settings) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    """An app on a fresh database with one user per role (agents on two different queues)."""
    reset_runtimes()
    _KEY_CACHE.clear()
    keys = {
        "admin": create_user("ada", "admin", settings=any_settings)["api_key"],
        "manager": create_user("mia", "manager", settings=any_settings)["api_key"],
        "agent_care": create_user(
            "ann", "agent", ["emotion_care", "complaints", "tech_support"], settings=any_settings
        )["api_key"],
        "agent_logistics": create_user("leo", "agent", ["logistics"], settings=any_settings)["api_key"],
    }
    headers = {role: {"Authorization": f"Bearer {key}"} for role, key in keys.items()}
    with TestClient(create_app(any_settings)) as client:
        yield client, headers
    reset_runtimes()


def submit(client: TestClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"customer_id": "C1", "text": ANGRY, "order_id": "O1", "channel": "chat"} | fields
    res = client.post("/api/v1/interactions", json=body, headers=headers)
    assert res.status_code == 201, res.text
    return res.json()  # type: ignore[no-any-return]


def test_healthz_is_the_only_route_without_auth(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, _ = api
    assert client.get("/healthz").json()["status"] == "ok"
    for route in client.app.routes:  # type: ignore[attr-defined]
        if not isinstance(route, APIRoute) or route.path == "/healthz":
            continue
        path = route.path.replace("{case_id}", "X").replace("{customer_id}", "X").replace("{article_id}", "X")
        for method in route.methods:
            res = client.request(method, path, json={})
            assert res.status_code == 401, (method, path, res.status_code)
            assert res.json()["error"]["code"] == "E401_unauthenticated"


def test_bad_and_revoked_keys_are_refused(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, headers = api
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    forged = headers["admin"]["Authorization"][:-4] + "AAAA"
    assert client.get("/api/v1/me", headers={"Authorization": forged}).status_code == 401
    assert client.get("/api/v1/me", headers=headers["agent_care"]).json()["role"] == "agent"


def test_submit_returns_analysis_case_and_an_explained_decision(
    api: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, headers = api
    out = submit(client, headers["manager"])
    assert out["analysis"]["emotion"] in ("anger", "dissatisfaction")
    assert out["case"]["priority"] == "P1"
    assert out["case"]["queue"] in ("emotion_care", "complaints")
    assert out["decision"]["rules_fired"], "every decision lists the rules that fired"
    fired = out["decision"]["rules_fired"][0]
    assert fired["conditions"] and "actual" in fired["conditions"][0]
    assert out["case"]["sla"]["first_response"] in ("ok", "at_risk", "breached")
    # The same order's next message joins the same case.
    again = submit(client, headers["manager"], text="还没人理我？？")
    assert again["case"]["case_id"] == out["case"]["case_id"]
    assert again["route"]["action"] == "attach"


def test_agents_see_only_their_queues(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, headers = api
    case_id = submit(client, headers["manager"])["case"]["case_id"]
    assert client.get(f"/api/v1/cases/{case_id}", headers=headers["agent_care"]).status_code == 200
    res = client.get(f"/api/v1/cases/{case_id}", headers=headers["agent_logistics"])
    assert res.status_code == 403 and res.json()["error"]["code"] == "E403_forbidden"
    assert client.get("/api/v1/cases", headers=headers["agent_logistics"]).json()["count"] == 0
    assert client.get("/api/v1/cases", headers=headers["manager"]).json()["count"] == 1
    # Agents cannot submit interactions or write the KB; managers can.
    assert client.post("/api/v1/interactions", json={"customer_id": "C", "text": "x"},
                       headers=headers["agent_care"]).status_code == 403  # fmt: skip
    article = {"title": "退货政策", "body": "七天无理由退货。"}
    assert client.post("/api/v1/kb", json=article, headers=headers["agent_care"]).status_code == 403
    assert client.post("/api/v1/kb", json=article, headers=headers["manager"]).status_code == 201


def test_case_lifecycle_reply_transition_reopen(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, headers = api
    agent = headers["agent_care"]
    case_id = submit(client, headers["manager"])["case"]["case_id"]
    res = client.post(f"/api/v1/cases/{case_id}/transition", json={"status": "closed"}, headers=agent)
    assert res.status_code == 409 and res.json()["error"]["code"] == "E310_illegal_transition"
    res = client.post(f"/api/v1/cases/{case_id}/reply", json={"text": "非常抱歉，已为您安排换新。"}, headers=agent)
    assert res.status_code == 200, res.text
    detail = res.json()
    assert detail["case"]["status"] == "waiting_customer"
    assert detail["case"]["first_response_at"] is not None
    assert any(m["author"] == "agent" for m in detail["messages"])
    res = client.post(f"/api/v1/cases/{case_id}/transition", json={"status": "resolved"}, headers=agent)
    assert res.status_code == 200, res.text
    events = [e["kind"] for e in res.json()["events"]]
    assert events[0] == "created" and "transition" in events
    resolved = next(e for e in res.json()["events"] if e["to_status"] == "resolved")
    assert "followup_due" in resolved["payload"]
    # A new message about the same order within the window reopens it.
    again = submit(client, headers["manager"], text="换的新机器又坏了！")
    assert again["case"]["case_id"] == case_id and again["route"]["action"] == "reopen"
    assert again["case"]["reopen_count"] == 1


def test_assign_and_label_correction_rules(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, headers = api
    out = submit(client, headers["manager"])
    case_id, iid = out["case"]["case_id"], out["interaction_id"]
    res = client.post(f"/api/v1/cases/{case_id}/assign", json={"assignee": "leo"}, headers=headers["agent_care"])
    assert res.status_code == 403
    res = client.post(f"/api/v1/cases/{case_id}/assign", json={"assignee": "ann"}, headers=headers["agent_care"])
    assert res.status_code == 200 and res.json()["case"]["assignee"] == "ann"
    bad = client.post("/api/v1/labels", json={"interaction_id": iid, "task": "emotion", "value": "furious"},
                      headers=headers["agent_care"])  # fmt: skip
    assert bad.status_code == 400 and "emotion must be one of" in bad.json()["error"]["message"]
    good = client.post("/api/v1/labels", json={"interaction_id": iid, "task": "emotion", "value": "anger"},
                       headers=headers["agent_care"])  # fmt: skip
    assert good.status_code == 201 and good.json()["value"] == "anger"
    other = client.post("/api/v1/labels", json={"interaction_id": iid, "task": "emotion", "value": "anger"},
                        headers=headers["agent_logistics"])  # fmt: skip
    assert other.status_code == 403


def test_customer_signals_kb_and_policy(
    api: tuple[TestClient, dict[str, dict[str, str]]], any_settings: Settings
) -> None:
    client, headers = api
    submit(client, headers["manager"])
    submit(client, headers["manager"], text=CALM_EN, order_id="O2", channel="email")
    res = client.get("/api/v1/customers/C1", headers=headers["manager"])
    assert res.status_code == 200
    signals = res.json()["signals"]
    assert signals["contacts_7d"] >= 2 and "churn" in signals and signals["churn"]["factors"] is not None
    assert client.get("/api/v1/customers/nobody", headers=headers["manager"]).status_code == 404
    kb_service.create_article({"title": "吹风机保修", "body": "吹风机一年内质量问题免费换新。", "tags": "小家电"},
                              any_settings)  # fmt: skip
    hits = client.get("/api/v1/kb/search", params={"q": "吹风机坏了"}, headers=headers["agent_care"]).json()["data"]
    assert hits and hits[0]["title"] == "吹风机保修"
    case_id = client.get("/api/v1/cases", headers=headers["manager"]).json()["data"][0]["case_id"]
    sugg = client.get(f"/api/v1/cases/{case_id}/suggestions", headers=headers["manager"]).json()
    assert sugg["reply"]["text"] and sugg["kb"]
    bad = client.post("/api/v1/policy/validate", json={"yaml": "rules:\n  - id: x\n    when: {emotion: angry}\n"},
                      headers=headers["manager"])  # fmt: skip
    assert bad.status_code == 200 and bad.json()["ok"] is False and bad.json()["errors"]
    assert client.get("/api/v1/policy", headers=headers["agent_care"]).status_code == 403


def test_validation_errors_use_the_contract_shape(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, headers = api
    res = client.post("/api/v1/interactions", json={"customer_id": "C1"}, headers=headers["manager"])
    assert res.status_code == 422
    assert res.json()["error"]["code"] == "E422_validation" and "text" in res.json()["error"]["message"]
    res = client.post("/api/v1/interactions", json={"customer_id": "C1", "text": "x", "created_at": "yesterday-ish"},
                      headers=headers["manager"])  # fmt: skip
    assert res.status_code == 400 and "created_at" in res.json()["error"]["message"]
    assert client.get("/api/v1/cases/nope", headers=headers["manager"]).status_code == 404


def test_a_duplicate_interaction_id_is_a_conflict(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, headers = api
    submit(client, headers["manager"], interaction_id="dup-1")
    res = client.post("/api/v1/interactions", json={"customer_id": "C1", "text": "again", "interaction_id": "dup-1"},
                      headers=headers["manager"])  # fmt: skip
    assert res.status_code == 409 and res.json()["error"]["code"] == "E409_conflict"
    assert "dup-1" in res.json()["error"]["message"]


def test_kpis_endpoint_returns_the_cli_contract_rows(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    client, headers = api
    submit(client, headers["manager"])
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date()  # windows are local dates (default timezone)
    params = {"name": "complaint_volume", "period": "day", "from": today.isoformat(), "to": today.isoformat()}
    res = client.get("/api/v1/kpis", params=params, headers=headers["manager"])
    assert res.status_code == 200, res.text
    (row,) = res.json()
    assert {"kpi", "value", "target", "previous", "trend", "n"} <= set(row)
    assert row["kpi"] == "complaint_volume" and row["value"] >= 1
    assert client.get("/api/v1/kpis", headers=headers["agent_care"]).status_code == 403
    bad = client.get("/api/v1/kpis", params={"name": "happiness"}, headers=headers["manager"])
    assert bad.status_code == 400 and "return_rate" in bad.json()["error"]["message"]


def test_analyze_takes_the_channel_of_the_texts(api: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    """`channel` is optional, one of the channel codes, and answered with one analysis per text."""
    client, headers = api
    res = client.post(
        "/api/v1/analyze", json={"texts": ["太差了", "谢谢"], "channel": "social"}, headers=headers["agent_care"]
    )
    assert res.status_code == 200 and res.json()["count"] == 2
    res = client.post("/api/v1/analyze", json={"text": "太差了", "channel": "weibo"}, headers=headers["agent_care"])
    assert res.status_code == 422 and "channel" in res.json()["error"]["message"]
