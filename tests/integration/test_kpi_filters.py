"""compute_kpis(filters=...): a filter on one dimension, alone or beside a breakdown by another, on the demo data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest

from aftersales.analytics.kpis import KPIS
from aftersales.errors import InvalidInputError
from aftersales.services.kpi import compute_kpis
from aftersales.storage import db
from tests.conftest import DemoHome

OCT = {"start": dt.date(2026, 10, 1), "end": dt.date(2026, 10, 31), "today": dt.date(2026, 11, 5)}
SEP = {"start": dt.date(2026, 9, 1), "end": dt.date(2026, 9, 30), "today": dt.date(2026, 11, 5)}


def _table(demo: DemoHome, name: str) -> pd.DataFrame:
    with db.get_engine(demo.settings).connect() as conn:
        return pd.read_sql_table(name, conn)


@pytest.mark.parametrize("name", [k for k, d in KPIS.items() if "region" in d.dimensions])
def test_a_filter_equals_the_matching_row_of_the_breakdown(demo_home: DemoHome, name: str) -> None:
    window = SEP if name == "repurchase_rate" else OCT  # October's 90-day follow-up is still censored
    by_region = {r["region"]: r for r in compute_kpis(demo_home.settings, name, "region", **window)}
    region = "华东"
    [row] = compute_kpis(demo_home.settings, name, filters={"region": region}, **window)
    expected = by_region[region]
    assert row["n"] == expected["n"]
    assert row["value"] == pytest.approx(expected["value"]) and row["previous"] == pytest.approx(expected["previous"])


def test_two_values_of_one_filter_add_up_for_counts(demo_home: DemoHome) -> None:
    rows = {r["region"]: r["value"] for r in compute_kpis(demo_home.settings, "complaint_volume", "region", **OCT)}
    [both] = compute_kpis(demo_home.settings, "complaint_volume", filters={"region": ["华东", "西南"]}, **OCT)
    assert both["value"] == rows["华东"] + rows["西南"]


def test_percentile_filtered_by_region_and_broken_down_by_category_matches_pandas(demo_home: DemoHome) -> None:
    cases, customers, orders = (_table(demo_home, t) for t in ("cases", "customers", "orders"))
    start = pd.Timestamp("2026-09-30 16:00")  # 2026-10-01 00:00 Asia/Shanghai in naive UTC
    end = pd.Timestamp("2026-10-31 16:00")
    frame = cases[(cases["opened_at"] >= start) & (cases["opened_at"] < end) & cases["first_response_at"].notna()]
    frame = frame.merge(customers[["customer_id", "region"]], on="customer_id")
    frame = frame.merge(orders[["order_id", "category"]], on="order_id", how="left")
    frame = frame[frame["region"] == "华东"]
    minutes = (frame["first_response_at"] - frame["opened_at"]).dt.total_seconds() / 60
    expected = minutes.groupby(frame["category"]).median()
    got = compute_kpis(demo_home.settings, "first_response_minutes_p50", "category", filters={"region": "华东"}, **OCT)
    values: dict[Any, Any] = {r["category"]: r["value"] for r in got if r["category"] is not None and r["n"]}
    assert len(values) >= 3 and values == pytest.approx(expected.to_dict(), rel=1e-6)


def test_customer_level_kpi_takes_a_tier_filter(demo_home: DemoHome) -> None:
    by_tier = {r["tier"]: r for r in compute_kpis(demo_home.settings, "churn_rate", "tier", **OCT)}
    [vip] = compute_kpis(demo_home.settings, "churn_rate", filters={"tier": "vip"}, **OCT)
    assert vip["n"] == by_tier["vip"]["n"] > 0 and vip["value"] == pytest.approx(by_tier["vip"]["value"])


@pytest.mark.parametrize(
    ("name", "filters", "message"),
    [
        ("csat", {"category": "小家电"}, "cannot be broken down by 'category'"),
        ("return_rate", {"planet": "mars"}, "unknown filter dimension"),
        ("return_rate", {"region": []}, "has no values"),
        (None, {"queue": "vip"}, None),
    ],
)
def test_bad_or_unsupported_filters_are_clear(
    demo_home: DemoHome, name: str | None, filters: dict[str, Any], message: str | None
) -> None:
    if message is None:  # without a name, only KPIs that support every filtered dimension are computed
        rows = compute_kpis(demo_home.settings, name, filters=filters, **OCT)
        assert rows and all("queue" in KPIS[r["kpi"]].dimensions for r in rows)
        return
    with pytest.raises(InvalidInputError, match=message):
        compute_kpis(demo_home.settings, name, filters=filters, **OCT)
