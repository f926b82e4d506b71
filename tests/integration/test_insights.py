"""Insights against the store: a small hand-built shop on SQLite and PostgreSQL, then the demo's planted truths.

The small shop: three regions with 24 orders a week for 40 weeks (Asia/Shanghai); every 10th order is returned,
except in 西南 during weeks 24–27 where every 3rd order is. Some returns have a customer message whose analysed
reason differs from the form's reason code.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert
from typer.testing import CliRunner

from aftersales.analytics.insights import anomalies as core
from aftersales.api.app import create_app
from aftersales.cli.main import app
from aftersales.config import Settings, load_settings
from aftersales.errors import InvalidInputError
from aftersales.ingest.importers import import_online_retail
from aftersales.services import insight_series as series
from aftersales.services import insights as svc
from aftersales.services.users import create_user
from aftersales.storage import db
from aftersales.storage.tables import analyses, cases, customers, interactions, orders, returns
from tests.conftest import DemoHome, shared_data

runner = CliRunner()
REGIONS = ("华东", "华北", "西南")
FIRST_MONDAY = dt.date(2024, 1, 1)
N_WEEKS, PER_WEEK = 40, 24
SPIKE_WEEKS = range(24, 28)
REASONS = ("size_fit", "quality_defect", "size_fit", "changed_mind", "size_fit", "damaged_in_transit")
UTC_OFFSET = dt.timedelta(hours=8)


def _analysis(iid: str, reason: str) -> dict[str, Any]:
    return {
        "interaction_id": iid,
        "model_version": "test",
        "polarity": "negative",
        "polarity_score": -0.5,
        "emotion": "dissatisfaction",
        "emotion_scores": {},
        "intensity": 1,
        "stage": "explicit",
        "reasons": [reason],
        "reason_scores": {reason: 0.8},
        "primary_reason": reason,
        "problem_type": "other",
        "evidence": {f"reason:{reason}": [{"text": "尺码", "start": 0, "end": 2}]},
        "language": "zh",
    }


def seed_shop(settings: Settings) -> dict[str, Any]:
    """Insert the small shop; returns what the tests compare against (computed here, independently of SQL)."""
    custs = [{"customer_id": f"c{r}", "region": region, "tier": "regular"} for r, region in enumerate(REGIONS)]
    order_rows, return_rows, message_rows, analysis_rows, case_rows = [], [], [], [], []
    truth: dict[str, Any] = {"reasons": Counter(), "messages": Counter(), "agree": 0, "with_messages": 0}
    k = 0
    for week in range(N_WEEKS):
        for r, region in enumerate(REGIONS):
            for i in range(PER_WEEK):
                k += 1
                local = dt.datetime.combine(FIRST_MONDAY + dt.timedelta(weeks=week, days=i % 7), dt.time(9 + i % 12))
                oid = f"o{k:05d}"
                order_rows.append(
                    {"order_id": oid, "customer_id": f"c{r}", "ordered_at": local - UTC_OFFSET, "region": region}
                    | {"sku": f"SKU-{i % 3}", "category": "服装", "channel": "天猫旗舰店"}
                )
                every = 3 if region == "西南" and week in SPIKE_WEEKS else 10
                if i % every:
                    continue
                rid = f"r{k:05d}"
                code = REASONS[k % len(REASONS)]
                truth["reasons"][code] += 1
                return_rows.append(
                    {"return_id": rid, "order_id": oid, "customer_id": f"c{r}", "reason_code": code}
                    | {"requested_at": local - UTC_OFFSET + dt.timedelta(days=3), "reason_text": "尺码不对 13812345678"}
                )
                if (k // 7) % 2 == 0:
                    said = "changed_mind" if code == "quality_defect" else code
                    iid = f"m{k:05d}"
                    message_rows.append(
                        {"interaction_id": iid, "customer_id": f"c{r}", "text": f"{said} 电话 13812345678"}
                        | {"created_at": local - UTC_OFFSET + dt.timedelta(days=3), "return_id": rid}
                        | {"order_id": oid, "author": "customer", "channel": "chat"}
                    )
                    analysis_rows.append(_analysis(iid, said))
                    truth["messages"][said] += 1
                    truth["with_messages"] += 1
                    truth["agree"] += said == code
                    case_rows.append(
                        {"case_id": f"k{k:05d}", "customer_id": f"c{r}", "order_id": oid, "status": "new"}
                        | {"opened_at": local - UTC_OFFSET + dt.timedelta(days=3), "channel": "chat", "queue": "q"}
                    )
    with db.transaction(db.get_engine(settings)) as conn:
        conn.execute(insert(customers), custs)
        conn.execute(insert(orders), order_rows)
        conn.execute(insert(returns), return_rows)
        conn.execute(insert(interactions), message_rows)
        conn.execute(insert(analyses), analysis_rows)
        conn.execute(insert(cases), case_rows)
    truth["returns"] = len(return_rows)
    return truth


@pytest.fixture
def shop(any_settings: Settings) -> tuple[Settings, dict[str, Any]]:
    return any_settings, seed_shop(any_settings)


def test_pareto_counts_shares_and_vital_few(shop: tuple[Settings, dict[str, Any]]) -> None:
    settings, truth = shop
    for source, counts in (("returns", truth["reasons"]), ("messages", truth["messages"])):
        result = svc.compute_pareto(settings, source)
        assert {b["reason"]: b["count"] for b in result["bars"]} == dict(counts)
        assert result["total"] == sum(counts.values())
        assert result["bars"][0]["reason"] == counts.most_common(1)[0][0]
        vital = result["vital_few"]
        shares = [b["share"] for b in result["bars"]]
        assert sum(shares[: len(vital)]) >= 0.8 > sum(shares[: len(vital) - 1])


def test_pareto_filters_use_local_dates_and_dimensions(shop: tuple[Settings, dict[str, Any]]) -> None:
    settings, _ = shop
    everything = svc.compute_pareto(settings)["total"]
    by_region = [svc.compute_pareto(settings, filters=svc.Filters(region=r))["total"] for r in REGIONS]
    assert sum(by_region) == everything and by_region[2] > by_region[0]
    first_week = svc.Filters(start=FIRST_MONDAY, end=FIRST_MONDAY + dt.timedelta(days=6))
    # Returns are requested 3 days after the order: orders of Monday..Thursday of week 0 fall into that week.
    assert svc.compute_pareto(settings, filters=first_week)["total"] == sum(
        1 for i in range(PER_WEEK) if i % 10 == 0 and i % 7 <= 3
    ) * len(REGIONS)


def test_drill_down_pages_through_one_bar_with_masked_snippets(shop: tuple[Settings, dict[str, Any]]) -> None:
    settings, truth = shop
    total = truth["reasons"]["size_fit"]
    seen: list[str] = []
    for offset in range(0, total, 7):
        page = svc.pareto_items(settings, "size_fit", "returns", limit=7, offset=offset)
        assert page["total"] == total
        seen += [item["return_id"] for item in page["items"]]
        assert all("13812345678" not in item["snippet"] for item in page["items"])
    assert len(seen) == len(set(seen)) == total
    messages = svc.pareto_items(settings, "size_fit", "messages", limit=3)
    assert messages["total"] == truth["messages"]["size_fit"]
    assert messages["items"][0]["evidence"] == ["尺码"] and "<PHONE>" in messages["items"][0]["snippet"]
    with pytest.raises(InvalidInputError, match="limit"):
        svc.pareto_items(settings, "size_fit", limit=0)


def test_stated_vs_actual(shop: tuple[Settings, dict[str, Any]]) -> None:
    settings, truth = shop
    result = svc.compare_stated_actual(settings)
    assert (result["returns"], result["with_messages"]) == (truth["returns"], truth["with_messages"])
    assert result["agreement_rate"] == pytest.approx(truth["agree"] / truth["with_messages"])
    top = result["top_mismatches"][0]
    assert (top["stated"], top["actual"]) == ("quality_defect", "changed_mind")
    assert top["share_of_stated"] == pytest.approx(1.0)


def test_anomalies_find_the_planted_region_weeks(shop: tuple[Settings, dict[str, Any]]) -> None:
    settings, _ = shop
    result = svc.find_anomalies(settings, "return_rate", "region")
    top = result["anomalies"][0]
    assert top["value"] == "西南"
    spike_start = FIRST_MONDAY + dt.timedelta(weeks=SPIKE_WEEKS[0])
    assert top["start"] == spike_start.isoformat() and top["weeks"] == len(SPIKE_WEEKS)
    assert top["observed_rate"] == pytest.approx(8 / 24, abs=0.01) and top["q_value"] <= 0.05
    assert result["series"] == 3 and result["windows_tested"] > 0
    with pytest.raises(InvalidInputError, match="at least 3 values"):
        svc.find_anomalies(settings, "return_rate", "tier")


def test_changepoints_of_one_region(shop: tuple[Settings, dict[str, Any]]) -> None:
    settings, _ = shop
    result = svc.find_changepoints(settings, "return_rate", "region", "西南", min_size=3)
    dates = [cp["date"] for cp in result["change_points"] if cp["significant"]]
    assert (FIRST_MONDAY + dt.timedelta(weeks=SPIKE_WEEKS[0])).isoformat() in dates
    spike = next(s for s in result["segments"] if s["start"] == dates[0])
    assert spike["level"] == pytest.approx(8 / 24, abs=0.02)
    flat = svc.find_changepoints(settings, "return_rate", "region", "华东")
    assert not [cp for cp in flat["change_points"] if cp["significant"]]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda s: svc.compute_pareto(s, "reviews"), "unknown source"),
        (lambda s: svc.find_anomalies(s, "nps"), "unknown metric"),
        (lambda s: svc.find_anomalies(s, by="colour"), "unknown dimension"),
        (lambda s: svc.find_anomalies(s, by="region", filters=svc.Filters(region="华东")), "cannot filter"),
        (lambda s: svc.find_changepoints(s, by="region"), "both --by and --value"),
        (lambda s: svc.compute_pareto(s, filters=svc.Filters(reason="x", sku="y", region="z")), None),
    ],
)
def test_invalid_requests_name_the_problem(settings: Settings, call: Any, match: str | None) -> None:
    if match is None:
        assert call(settings)["total"] == 0
        return
    with pytest.raises(InvalidInputError, match=match):
        call(settings)


def test_filters_reject_reversed_dates() -> None:
    with pytest.raises(InvalidInputError, match="before"):
        svc.Filters(start=dt.date(2024, 2, 1), end=dt.date(2024, 1, 1))


def test_custom_promotion_calendar_setting(tmp_path: Any) -> None:
    custom = [{"name": "店庆", "start": "2024-08-08", "end": "2024-08-10"}]
    settings = load_settings(home=tmp_path / "h", promotion_calendar=custom, promotion_builtin=False)
    assert svc.list_promotions(settings, dt.date(2024, 1, 1), dt.date(2024, 12, 31)) == [
        {"name": "店庆", "start": "2024-08-08", "end": "2024-08-10"}
    ]
    builtin = svc.list_promotions(load_settings(home=tmp_path / "g"), dt.date(2024, 11, 1), dt.date(2024, 11, 30))
    assert [w["name"] for w in builtin] == ["双11"]


def test_cli_and_api_return_the_same_json(settings: Settings) -> None:
    seed_shop(settings)
    home = str(settings.home)
    out = runner.invoke(app, ["insights", "anomalies", "--by", "region", "--home", home, "--json"])
    assert out.exit_code == 0, out.output
    cli = json.loads(out.stdout)
    key = create_user("mia", "manager", settings=settings)["api_key"]
    agent = create_user("ann", "agent", ["q"], settings=settings)["api_key"]
    client = TestClient(create_app(settings))
    api = client.get("/api/v1/insights/anomalies", params={"by": "region"}, headers={"Authorization": f"Bearer {key}"})
    assert api.status_code == 200 and api.json() == cli
    denied = client.get("/api/v1/insights/pareto", headers={"Authorization": f"Bearer {agent}"})
    assert denied.status_code == 403
    for path, params in (
        ("/api/v1/insights/pareto", {"source": "messages"}),
        ("/api/v1/insights/pareto/size_fit/items", {"limit": 2}),
        ("/api/v1/insights/reasons", {}),
        ("/api/v1/insights/changepoints", {"by": "region", "value": "西南"}),
        ("/api/v1/insights/calendar", {"from": "2024-01-01", "to": "2024-12-31"}),
    ):
        assert client.get(path, params=params, headers={"Authorization": f"Bearer {key}"}).status_code == 200, path
    bad = client.get("/api/v1/insights/anomalies", params={"by": "tier"}, headers={"Authorization": f"Bearer {key}"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "E400_invalid_input"
    for command in (
        ["pareto"],
        ["pareto", "--reason", "size_fit", "--limit", "3"],
        ["pareto", "--source", "messages", "--region", "西南"],
        ["reasons"],
        ["anomalies", "--metric", "complaint_volume"],
        ["changepoints", "--by", "region", "--value", "西南", "--min-size", "3"],
        ["calendar", "--from", "2024-01-01", "--to", "2024-12-31"],
    ):
        result = runner.invoke(app, ["insights", *command, "--home", home])
        assert result.exit_code == 0, (command, result.output)
    assert runner.invoke(app, ["insights", "anomalies", "--by", "tier", "--home", home]).exit_code == 2


# ---------------------------------------------------------------------------------------------------------------
# The demo: planted truths found with no hint


def test_demo_region_spike_is_the_top_anomaly(demo_home: DemoHome) -> None:
    spike = demo_home.truths["region_spike"]
    result = svc.find_anomalies(demo_home.settings, "return_rate", "region")
    top = result["anomalies"][0]
    assert top["value"] == spike["region"]
    start, end = dt.date.fromisoformat(spike["start"]), dt.date.fromisoformat(spike["end"])
    overlap = (min(end, dt.date.fromisoformat(top["end"])) - max(start, dt.date.fromisoformat(top["start"]))).days + 1
    assert overlap >= 21, top
    assert top["ratio"] > 1.8 and top["q_value"] <= 0.05
    assert top["promotions"] == []


def test_demo_promotion_peaks_are_not_flagged(demo_home: DemoHome) -> None:
    for by in ("region", "category", "sku", "channel"):
        result = svc.find_anomalies(demo_home.settings, "return_rate", by)
        assert [a for a in result["anomalies"] if a["promotions"]] == [], by


def test_demo_improvement_shows_as_a_change_point(demo_home: DemoHome) -> None:
    truth = demo_home.truths["sku_improvement"]
    result = svc.find_changepoints(
        demo_home.settings, "return_rate", "sku", truth["sku"], svc.Filters(reason=truth["reason"])
    )
    start = dt.date.fromisoformat(truth["start_date"])
    near = [cp for cp in result["change_points"] if abs((dt.date.fromisoformat(cp["date"]) - start).days) <= 21]
    assert near and near[0]["after"] < near[0]["before"] / 2
    placebo = svc.find_changepoints(
        demo_home.settings, "return_rate", "sku", truth["placebo"]["sku"], svc.Filters(reason=truth["reason"])
    )
    assert not [cp for cp in placebo["change_points"] if cp["significant"]]


def test_demo_pareto_and_reasons(demo_home: DemoHome) -> None:
    returns_pareto = svc.compute_pareto(demo_home.settings, "returns")
    assert returns_pareto["bars"][0]["reason"] == "size_fit" and 3 <= len(returns_pareto["vital_few"]) <= 8
    reasons = svc.compare_stated_actual(demo_home.settings)
    assert reasons["with_messages"] > 0.5 * reasons["returns"]
    assert 0.0 < reasons["agreement_rate"] <= reasons["mention_rate"] <= 1.0
    table_total = sum(v for row in reasons["table"] for k, v in row.items() if k not in ("stated", "zh", "en"))
    assert table_total == reasons["with_messages"]


def test_demo_spike_drill_down_shows_the_logistics_reasons(demo_home: DemoHome) -> None:
    spike = demo_home.truths["region_spike"]
    start = dt.date.fromisoformat(spike["start"])
    # The spike is dated by order; its returns are requested within about two weeks after.
    window = svc.Filters(
        region=spike["region"], start=start, end=dt.date.fromisoformat(spike["end"]) + dt.timedelta(14)
    )
    result = svc.compute_pareto(demo_home.settings, "returns", window)
    assert result["bars"][0]["reason"] in spike["reasons"]
    items = svc.pareto_items(demo_home.settings, result["bars"][0]["reason"], "returns", window, limit=5)
    assert items["total"] == result["bars"][0]["count"] and all(i["region"] == spike["region"] for i in items["items"])


# ---------------------------------------------------------------------------------------------------------------
# Real data: UCI Online Retail (returns by country), where counts are clumpy


@pytest.mark.data
def test_online_retail_anomalies_allow_for_over_dispersion(settings: Settings) -> None:
    import_online_retail(shared_data("uci_online_retail", "online_retail.csv.gz"), settings=settings)
    result = svc.find_anomalies(settings, "return_rate", "region")
    assert result["series"] > 20 and result["windows_tested"] > 1000
    assert result["dispersion"] > 1.5  # invoices are returned in batches: far clumpier than Poisson
    assert all(a["q_value"] <= 0.05 and a["explanation_en"] for a in result["anomalies"])
    # Treating the same counts as Poisson would report more "anomalies": the φ correction is doing work.
    cal = svc.promotion_calendar(settings)
    panel = core.build_panel(
        series.promo_share(series.daily_series(settings, "return_rate", "region", svc.Filters()), cal)
    )
    naive = core.find_anomalies(panel, svc.METRICS["return_rate"], "region", phi=1.0)
    assert len(naive.anomalies) > len(result["anomalies"])
    shop = svc.find_changepoints(settings, "return_rate")
    assert shop["weeks"] > 40 and all(s["exposure"] > 0 for s in shop["segments"])
