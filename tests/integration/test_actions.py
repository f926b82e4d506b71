"""Improvement actions: CRUD and validation, the effect on a seeded store (SQLite and PostgreSQL), the demo's planted
说明书改版 action and a placebo, the CLI and the API with roles."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from typer.testing import CliRunner

from aftersales.api.app import create_app
from aftersales.cli.main import app
from aftersales.config import Settings
from aftersales.demo import catalog
from aftersales.errors import ConflictError, InvalidInputError, NotFoundError
from aftersales.services import actions as svc
from aftersales.services.users import _KEY_CACHE, create_user
from aftersales.storage import db
from aftersales.storage.tables import customers, orders, returns
from tests.conftest import DemoHome

runner = CliRunner()
START = dt.date(2024, 5, 6)  # a Monday, 20 weeks into the seeded store
SKUS = {"A": "小家电", "B": "小家电", "C": "小家电", "D": "小家电", "Z": "服装"}


def seed_store(settings: Settings, weeks: int = 40, per_week: int = 40) -> None:
    """Orders for five SKUs from 2023-12-18; A's hard_to_use returns drop from 10 % to 3 % of orders from START."""
    rng = np.random.default_rng(7)
    first = dt.datetime(2023, 12, 18, 4)
    order_rows: list[dict[str, Any]] = []
    return_rows: list[dict[str, Any]] = []
    for week in range(weeks):
        for sku, category in SKUS.items():
            for i in range(per_week):
                at = first + dt.timedelta(days=7 * week + i % 7, minutes=i)
                oid = f"O-{sku}-{week}-{i}"
                order_rows.append({"order_id": oid, "customer_id": "c1", "ordered_at": at, "sku": sku,
                                   "category": category, "region": "华东"})  # fmt: skip
                rate = 0.03 if sku == "A" and at.date() >= START else 0.10
                if rng.random() < rate:
                    return_rows.append({"return_id": f"R-{oid}", "order_id": oid, "requested_at": at + dt.timedelta(
                        days=int(rng.integers(1, 12))), "reason_code": "hard_to_use", "type": "return"})  # fmt: skip
                elif rng.random() < 0.05:
                    return_rows.append({"return_id": f"R-{oid}", "order_id": oid, "requested_at": at + dt.timedelta(
                        days=3), "reason_code": "size_fit", "type": "exchange"})  # fmt: skip
    with db.transaction(db.get_engine(settings)) as conn:
        conn.execute(insert(customers), [{"customer_id": "c1", "region": "华东"}])
        conn.execute(insert(orders), order_rows)
        conn.execute(insert(returns), return_rows)


def action(**kw: Any) -> dict[str, Any]:
    base = {"title": "说明书改版", "scope": {"sku": "A", "reason": "hard_to_use"}, "start_date": START}
    return base | {"target_kpi": "return_rate", "owner": "产品部"} | kw


@pytest.fixture
def store(settings: Settings) -> Settings:
    seed_store(settings, weeks=16, per_week=10)
    return settings


def test_crud(store: Settings) -> None:
    created = svc.create_action(action(action_id="ACT-1", end_date=dt.date(2024, 9, 1)), store)
    assert created["scope"] == {"reason": ["hard_to_use"], "sku": ["A"]} and created["status"] == "active"
    assert created["start_date"] == "2024-05-06" and created["end_date"] == "2024-09-01"
    generated = svc.create_action(action(scope={"category": ["小家电"]}, status="planned"), store)
    assert generated["action_id"].startswith("ACT-")
    with pytest.raises(ConflictError, match="ACT-1"):
        svc.create_action(action(action_id="ACT-1"), store)
    assert svc.list_actions(settings=store)["count"] == 2
    assert [a["action_id"] for a in svc.list_actions("planned", settings=store)["data"]] == [generated["action_id"]]
    updated = svc.update_action("ACT-1", {"status": "completed", "owner": "QA"}, store)
    assert (updated["status"], updated["owner"]) == ("completed", "QA")
    with pytest.raises(InvalidInputError, match="cannot change scope"):
        svc.update_action("ACT-1", {"scope": {"sku": "B"}}, store)
    with pytest.raises(InvalidInputError, match="before start_date"):
        svc.update_action("ACT-1", {"end_date": dt.date(2024, 1, 1)}, store)
    svc.delete_action("ACT-1", store)
    with pytest.raises(NotFoundError, match="ACT-1"):
        svc.get_action("ACT-1", store)
    with pytest.raises(NotFoundError):
        svc.delete_action("ACT-1", store)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"scope": {"sku": "NOPE"}}, "scope.sku: unknown sku NOPE"),
        ({"scope": {"region": "火星"}}, "scope.region: unknown region 火星"),
        ({"scope": {"sku": "A", "reason": "bored"}}, "unknown reason code bored"),
        ({"scope": {"sku": "Z", "category": "小家电"}}, "Z is in 服装"),
        ({"scope": {"reason": "hard_to_use"}}, "at least one of sku, category or region"),
        ({"scope": {"shop": "x"}}, "unknown key"),
        ({"target_kpi": "happiness"}, "unknown KPI 'happiness'"),
        ({"target_kpi": "csat"}, "cannot be broken down by 'sku'"),
        ({"end_date": dt.date(2024, 1, 1)}, "before start_date"),
        ({"status": "paused"}, "status 'paused'"),
        ({"title": " "}, "title is required"),
    ],
)
def test_invalid_actions_are_refused_naming_what(store: Settings, changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        svc.create_action(action(**changes), store)


def test_effect_on_a_seeded_store(any_settings: Settings) -> None:
    """The SQL panel on SQLite and PostgreSQL: A's drop is found against B, C, D (never the 服装 SKU Z)."""
    seed_store(any_settings)
    svc.create_action(action(action_id="ACT-A"), any_settings)
    result = svc.action_effect("ACT-A", any_settings)
    assert result["method"] == "did" and result["level"] == "sku"
    assert sorted(result["controls"]) == ["B", "C", "D"]
    assert result["significant"] and result["verdict"] == "improved"
    assert result["rel_ci_low"] <= 0.03 / 0.10 - 1 <= result["rel_ci_high"]
    assert 8 <= result["maturity_days"] <= 12  # the 99th percentile of the seeded 1-11 day return lags, plus a day
    assert result["summary_zh"].startswith("退货率 −") and "对照：" in result["summary_zh"]
    placebo = svc.estimate_effect({"sku": "B", "reason": "hard_to_use"}, START, settings=any_settings)
    assert not placebo["significant"] and placebo["excluded"] == {"A": "ACT-A"}
    lonely = svc.estimate_effect({"sku": "Z"}, START, settings=any_settings)  # no other 服装 SKU: ITS
    assert lonely["method"] == "its" and lonely["controls"] == [] and "中断时间序列" in lonely["summary_zh"]


# ------------------------------------------------------------------------------------------------------------ demo


def test_the_demo_action_is_a_significant_drop_near_the_planted_size(demo_home: DemoHome) -> None:
    truth = demo_home.truths["sku_improvement"]
    planted = truth["hard_to_use_rate_after"] / truth["hard_to_use_rate_before"] - 1  # ≈ −0.78
    result = svc.action_effect("DEMO-ACT-001", demo_home.settings)
    assert result["method"] == "did" and result["treated"] == [catalog.IMPROVED_SKU]
    assert result["significant"] and result["verdict"] == "improved"
    assert result["rel_ci_low"] <= planted <= result["rel_ci_high"]
    assert abs(result["relative"] - planted) < 0.15
    assert catalog.IMPROVED_SKU not in result["controls"] and len(result["controls"]) >= 3
    assert result["pretrend_p"] > 0.05
    assert result["summary_zh"].startswith("退货率 −") and "对照：" in result["summary_zh"]
    assert result["summary_en"].startswith("Return rate −") and "pre-trend test p=" in result["summary_en"]


def test_a_placebo_action_on_the_comparable_sku_is_not_significant(demo_home: DemoHome) -> None:
    start = dt.date.fromisoformat(demo_home.truths["sku_improvement"]["start_date"])
    scope = {"sku": catalog.PLACEBO_SKU, "reason": "hard_to_use", "category": "小家电"}
    placebo = svc.create_action(action(title="安慰剂 placebo", scope=scope, start_date=start), demo_home.settings)
    try:
        result = svc.action_effect(placebo["action_id"], demo_home.settings)
        assert not result["significant"] and result["verdict"] == "no_significant_change"
        assert result["excluded"] == {catalog.IMPROVED_SKU: "DEMO-ACT-001"}  # the treated SKU is no control
    finally:
        svc.delete_action(placebo["action_id"], demo_home.settings)


def test_cli_effect_json_and_table(demo_home: DemoHome) -> None:
    home = str(demo_home.settings.home)
    out = runner.invoke(app, ["actions", "effect", "DEMO-ACT-001", "--home", home, "--json"])
    assert out.exit_code == 0, out.output
    result = json.loads(out.stdout)
    assert result["title"] == "说明书改版" and result["significant"]
    table = runner.invoke(app, ["actions", "effect", "DEMO-ACT-001", "--home", home, "--lang", "en"])
    assert table.exit_code == 0 and "Return rate −" in table.stdout and "verdict: improved" in table.stdout
    listed = runner.invoke(app, ["actions", "list", "--home", home, "--json"])
    assert "DEMO-ACT-001" in {a["action_id"] for a in json.loads(listed.stdout)["data"]}
    missing = runner.invoke(app, ["actions", "show", "NOPE", "--home", home])
    assert missing.exit_code == 2 and "NOPE" in missing.output


def test_cli_add_and_set_status(store: Settings) -> None:
    home = str(store.home)
    args = ["actions", "add", "包装升级", "--start", "2024-01-08", "--sku", "B", "--reason", "hard_to_use"]
    out = runner.invoke(app, [*args, "--id", "ACT-B", "--owner", "仓储", "--home", home, "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["scope"] == {"sku": ["B"], "reason": ["hard_to_use"]}
    done = runner.invoke(app, ["actions", "set-status", "ACT-B", "completed", "--home", home, "--json"])
    assert json.loads(done.stdout)["status"] == "completed"
    bad = runner.invoke(app, ["actions", "add", "x", "--start", "2024-01-08", "--sku", "NOPE", "--home", home])
    assert bad.exit_code == 2 and "unknown sku NOPE" in bad.output


@pytest.fixture
def client(store: Settings) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    _KEY_CACHE.clear()
    keys = {
        "manager": create_user("mia", "manager", settings=store)["api_key"],
        "agent": create_user("ann", "agent", ["general"], settings=store)["api_key"],
    }
    with TestClient(create_app(store)) as c:
        yield c, {role: {"Authorization": f"Bearer {key}"} for role, key in keys.items()}


def test_api_managers_write_agents_read(client: tuple[TestClient, dict[str, dict[str, str]]]) -> None:
    c, h = client
    body = {"action_id": "ACT-API", "title": "说明书改版", "scope": {"sku": "A", "reason": ["hard_to_use"]}}
    body |= {"start_date": "2024-02-05", "target_kpi": "return_rate"}
    assert c.post("/api/v1/actions", json=body, headers=h["agent"]).status_code == 403
    created = c.post("/api/v1/actions", json=body, headers=h["manager"])
    assert created.status_code == 201, created.text
    assert c.post("/api/v1/actions", json=body, headers=h["manager"]).status_code == 409
    bad = c.post("/api/v1/actions", json=body | {"action_id": "X", "scope": {"sku": "NOPE"}}, headers=h["manager"])
    assert bad.status_code == 400 and "NOPE" in bad.json()["error"]["message"]
    assert c.get("/api/v1/actions", headers=h["agent"]).json()["count"] == 1
    assert c.get("/api/v1/actions/ACT-API", headers=h["agent"]).json()["owner"] is None
    effect = c.get("/api/v1/actions/ACT-API/effect", headers=h["agent"])
    assert effect.status_code == 200, effect.text
    assert effect.json()["kpi"] == "return_rate" and effect.json()["controls"]
    patched = c.patch("/api/v1/actions/ACT-API", json={"status": "completed"}, headers=h["manager"])
    assert patched.json()["status"] == "completed"
    assert c.patch("/api/v1/actions/ACT-API", json={"status": "x"}, headers=h["manager"]).status_code in (400, 422)
    assert c.delete("/api/v1/actions/ACT-API", headers=h["agent"]).status_code == 403
    assert c.delete("/api/v1/actions/ACT-API", headers=h["manager"]).status_code == 204
    assert c.get("/api/v1/actions/ACT-API", headers=h["agent"]).status_code == 404
