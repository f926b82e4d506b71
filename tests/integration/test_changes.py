"""The change scan over real SQL: the demo's improved SKU found with no hint; CLI, API and errors."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from aftersales.api.app import create_app
from aftersales.cli.main import app
from aftersales.config import Settings
from aftersales.errors import InvalidInputError
from aftersales.services import insights as svc
from aftersales.services.changes import scan_changepoints
from aftersales.services.users import create_user
from tests.conftest import DemoHome

runner = CliRunner()


def test_demo_improved_sku_is_the_top_change_with_no_hint(demo_home: DemoHome) -> None:
    truth = demo_home.truths["sku_improvement"]
    result = scan_changepoints(demo_home.settings, "return_rate", "sku", per_reason=True, direction="down")
    top = result["changes"][0]
    assert (top["sku"], top["reason"]) == (truth["sku"], truth["reason"])
    start = dt.date.fromisoformat(truth["start_date"])
    assert abs((dt.date.fromisoformat(top["date"]) - start).days) <= 21
    assert top["after"] < top["before"] / 2 and top["p_value"] < 0.05
    assert top["before"] == pytest.approx(truth["hard_to_use_rate_before"], abs=0.01)
    assert result["tested"] >= 30 and "HA-101" in top["explanation_zh"] and "from 2026-02" in top["explanation_en"]
    placebo = [c for c in result["changes"] if c["sku"] == truth["placebo"]["sku"] and c["reason"] == truth["reason"]]
    assert all(not c["significant"] and c["p_value"] > top["p_value"] for c in placebo)


def test_demo_scan_by_region_and_complaints(demo_home: DemoHome) -> None:
    rates = scan_changepoints(demo_home.settings, "return_rate", "region", limit=3)
    assert rates["tested"] == 7 and len(rates["changes"]) <= 3
    assert [c["p_value"] for c in rates["changes"]] == sorted(c["p_value"] for c in rates["changes"])
    counts = scan_changepoints(demo_home.settings, "complaint_volume", "category", per_reason=True)
    assert counts["level"].startswith("cases per week") and counts["tested"] > 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"by": "sku", "filters": svc.Filters(sku="HA-101")}, "covers every sku"),
        ({"per_reason": True, "filters": svc.Filters(reason="size_fit")}, "--per-reason and --reason"),
        ({"by": "colour"}, "unknown dimension"),
        ({"metric": "nps"}, "unknown metric"),
        ({"direction": "sideways"}, "unknown direction"),
        ({"limit": 0}, "--limit"),
    ],
)
def test_bad_requests_name_the_problem(demo_home: DemoHome, kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        scan_changepoints(demo_home.settings, **kwargs)  # type: ignore[arg-type]


def test_cli_and_api_agree(demo_home: DemoHome) -> None:
    home = str(demo_home.settings.home)
    args = ["insights", "changes", "--by", "category", "--per-reason", "--direction", "down", "--limit", "5"]
    out = runner.invoke(app, [*args, "--home", home, "--json"])
    assert out.exit_code == 0, out.output
    key = create_user("scan-mgr", "manager", settings=demo_home.settings)["api_key"]
    client = TestClient(create_app(demo_home.settings))
    params = {"by": "category", "per_reason": "true", "direction": "down", "limit": 5}
    api = client.get("/api/v1/insights/changes", params=params, headers={"Authorization": f"Bearer {key}"})
    assert api.status_code == 200 and api.json() == json.loads(out.stdout)
    table = runner.invoke(app, [*args, "--home", home])
    assert table.exit_code == 0 and "changes" in table.output
    bad = runner.invoke(app, ["insights", "changes", "--by", "sku", "--sku", "HA-101", "--home", home])
    assert bad.exit_code == 2 and "covers every sku" in bad.output


def test_cli_reason_filter_reaches_the_service(demo_home: DemoHome) -> None:
    """Regression: --reason was passed into the tier slot, so a reason-filtered series came back empty."""
    home = str(demo_home.settings.home)
    args = ["insights", "changepoints", "--by", "sku", "--value", "HA-101", "--reason", "hard_to_use", "--json"]
    out = runner.invoke(app, [*args, "--home", home])
    result = json.loads(out.stdout)
    assert result["filters"]["reason"] == "hard_to_use" and "tier" not in result["filters"]
    assert result["weeks"] > 50 and result["change_points"]


def test_scan_sql_runs_on_every_backend(any_settings: Settings) -> None:
    """The per-reason statements on SQLite and PostgreSQL give the same series as one reason at a time."""
    from tests.integration.test_insights import seed_shop

    seed_shop(any_settings)
    for metric in ("return_rate", "complaint_volume"):
        every = scan_changepoints(any_settings, metric, "region", per_reason=True, min_events=1, min_size=2, limit=None)
        assert every["tested"] >= len(every["changes"])
        for change in every["changes"]:
            alone = scan_changepoints(
                any_settings,
                metric,
                "region",
                svc.Filters(reason=change["reason"]),
                min_events=1,
                min_size=2,
                limit=None,
            )
            same = [c for c in alone["changes"] if c["region"] == change["region"]]
            assert same and (same[0]["date"], same[0]["events"]) == (change["date"], change["events"])
            assert same[0]["before"] == pytest.approx(change["before"])
