"""The synthetic demo data set: sizes, determinism, planted truths, reason mixes and text variety (no database)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from aftersales import vocab
from aftersales.demo import DemoData, generate, write_demo
from aftersales.demo.catalog import IMPROVED_SKU, PLACEBO_SKU, SPIKE_REGION
from aftersales.ingest.schema import SPECS

END = dt.date(2025, 6, 30)
N = 2500
MONTHS = 12


@pytest.fixture(scope="module")
def data() -> DemoData:
    return generate(seed=7, end=END, n_customers=N, months=MONTHS)


def _rate(mask: pd.Series, returned: pd.Series) -> float:
    return float((mask & returned).sum() / mask.sum())


def test_sizes_window_and_customer_mix(data: DemoData) -> None:
    customers, orders = data.customers, data.orders
    assert len(customers) == N and customers["customer_id"].is_unique
    assert 3 * N <= len(orders) <= 7 * N
    assert 0.05 <= (customers["tier"] == "vip").mean() <= 0.11
    shares = customers["region"].value_counts(normalize=True)
    assert set(shares.index) == {r.value for r in vocab.Region}
    assert shares.idxmax() == "华东" and 0.25 <= shares["华东"] <= 0.35 and shares["西北"] < 0.1
    start = dt.date.fromisoformat(data.truths["start"])
    assert orders["ordered_at"].min() >= pd.Timestamp(start)
    assert orders["ordered_at"].max() < pd.Timestamp(END + dt.timedelta(days=1))
    assert (orders["ordered_at"].max() - orders["ordered_at"].min()).days >= 30 * MONTHS - 10
    assert orders["sku"].nunique() >= 55 and orders["category"].nunique() == 7
    delivered = orders.dropna(subset=["delivered_at"])
    assert (delivered["delivered_at"] > delivered["ordered_at"]).all()
    assert 0.05 <= len(data.returns) / len(orders) <= 0.14


def test_promotions_and_weekly_seasonality(data: DemoData) -> None:
    orders = data.orders
    assert set(orders["promotion"].dropna()) == {"618", "双11", "双12", "年货节"}
    daily = orders.groupby(orders["ordered_at"].dt.date).size()
    assert daily[dt.date(2024, 11, 11)] > 3 * daily.median()
    assert orders.loc[orders["promotion"] == "双11", "ordered_at"].dt.month.isin([10, 11]).all()
    by_weekday = orders.groupby(orders["ordered_at"].dt.dayofweek).size()
    assert by_weekday[[5, 6]].mean() > 1.08 * by_weekday[[1, 2]].mean()


def test_same_seed_and_end_give_identical_files(tmp_path: Path) -> None:
    small = {"n_customers": 300, "months": 7}
    first = write_demo(generate(3, END, **small), tmp_path / "a")
    second = write_demo(generate(3, END, **small), tmp_path / "b")
    assert sorted(p.name for p in first.values()) == sorted(p.name for p in second.values())
    for key, path in first.items():
        assert path.read_bytes() == second[key].read_bytes(), path.name
    other = write_demo(generate(4, END, **small), tmp_path / "c")
    assert other["orders"].read_bytes() != first["orders"].read_bytes()


def test_planted_region_spike(data: DemoData) -> None:
    spike = data.truths["region_spike"]
    orders, returned = data.orders, data.orders["order_id"].isin(data.returns["order_id"])
    start, end = pd.Timestamp(spike["start"]), pd.Timestamp(spike["end"]) + pd.Timedelta(days=1)
    assert 21 <= (end - start).days <= 28 and spike["region"] == SPIKE_REGION
    window = (orders["ordered_at"] >= start) & (orders["ordered_at"] < end)
    region = orders["region"] == SPIKE_REGION
    mature = orders["ordered_at"] < pd.Timestamp(END - dt.timedelta(days=30))
    ratio = _rate(region & window, returned) / _rate(region & ~window & mature, returned)
    assert ratio >= 1.8
    assert _rate(~region & window, returned) / _rate(~region & ~window & mature, returned) < 1.4
    in_window = data.returns[data.returns["order_id"].isin(orders.loc[region & window, "order_id"])]
    logistics = in_window["reason_code"].isin(["damaged_in_transit", "logistics_delay"]).mean()
    elsewhere = data.returns[data.returns["region"] != SPIKE_REGION]
    assert logistics > 2 * elsewhere["reason_code"].isin(["damaged_in_transit", "logistics_delay"]).mean()
    assert spike["observed_ratio"] == pytest.approx(
        spike["return_rate_in_window"] / spike["return_rate_region_baseline"], rel=0.01
    )


def test_planted_sku_improvement_and_placebo(data: DemoData) -> None:
    imp = data.truths["sku_improvement"]
    assert imp["title"] == "说明书改版" and imp["sku"] == IMPROVED_SKU and imp["placebo"]["sku"] == PLACEBO_SKU
    orders = data.orders
    hard = orders["order_id"].isin(data.returns.loc[data.returns["reason_code"] == "hard_to_use", "order_id"])
    cut = pd.Timestamp(imp["start_date"])
    mature = orders["ordered_at"] < pd.Timestamp(END - dt.timedelta(days=30))

    def before_after(sku: str) -> tuple[float, float]:
        sel = orders["sku"] == sku
        return _rate(sel & (orders["ordered_at"] < cut), hard), _rate(
            sel & (orders["ordered_at"] >= cut) & mature, hard
        )

    before, after = before_after(IMPROVED_SKU)
    assert before >= 0.03 and after < 0.4 * before
    assert (before, after) == pytest.approx((imp["hard_to_use_rate_before"], imp["hard_to_use_rate_after"]), abs=1e-3)
    p_before, p_after = before_after(PLACEBO_SKU)
    assert p_before >= 0.03 and 0.7 <= p_after / p_before <= 1.4


def test_planted_falling_frequency_group(data: DemoData) -> None:
    fall = data.truths["falling_frequency"]
    group = pd.DataFrame(fall["incidents"])
    assert len(group) == fall["size"] == round(N * 0.03) and group["customer_id"].is_unique
    orders = data.orders.merge(group[["customer_id", "incident_date"]], on="customer_id")
    end = pd.Timestamp(END) + pd.Timedelta(days=1)
    n_before = n_after = days_before = days_after = 0
    for _, own in orders.groupby("customer_id"):
        cut = pd.Timestamp(own["incident_date"].iloc[0])
        n_before += int((own["ordered_at"] <= cut).sum())
        n_after += int((own["ordered_at"] > cut).sum())
        days_before += (cut - own["ordered_at"].min()).days + 1
        days_after += (end - cut).days
    assert n_before >= 3 * len(group)
    assert n_after / days_after < 0.35 * n_before / days_before
    assert fall["control_orders_per_30d_after"] > 0.7 * fall["control_orders_per_30d_before"]
    incidents = data.returns[data.returns["return_id"].isin(group["return_id"])]
    assert len(incidents) == len(group)
    assert incidents["status"].isin(["rejected", "closed"]).all() and (incidents["refund_amount"] == 0).all()
    truth = data.interactions_truth.merge(data.interactions[["interaction_id", "return_id"]], on="interaction_id")
    theirs = truth[truth["return_id"].isin(group["return_id"]) & (truth["author"] == "customer")]
    assert theirs.groupby("return_id")["stage"].apply(lambda s: "formal_complaint" in set(s)).mean() > 0.9
    assert theirs["reasons"].str.contains("service_attitude").groupby(theirs["return_id"]).any().mean() > 0.9
    csat = data.surveys[(data.surveys["kind"] == "csat") & data.surveys["order_id"].isin(group["order_id"])]
    assert len(csat) > 0.8 * len(group) and (csat["score"] <= 2).all()


def test_reason_mix_depends_on_category(data: DemoData) -> None:
    mix = data.returns.merge(data.orders[["order_id", "category"]], on="order_id")
    top = mix.groupby("category")["reason_code"].agg(lambda s: s.value_counts().index[0])
    assert top["服装"] == "size_fit" and top["鞋靴"] == "size_fit"
    appliances = mix.loc[mix["category"] == "小家电", "reason_code"].value_counts(normalize=True)
    assert appliances.get("quality_defect", 0) + appliances.get("hard_to_use", 0) > 0.45
    assert appliances.get("size_fit", 0) == 0
    assert set(data.returns["reason_code"]) <= set(vocab.Reason.codes())
    assert set(data.returns["type"]) == {"return", "exchange", "refund_only"}
    exchanges = data.returns[data.returns["reason_code"] == "size_fit"]["type"].value_counts(normalize=True)
    assert exchanges["exchange"] > 0.5


def test_messages_are_varied_multilingual_and_noisy(data: DemoData) -> None:
    msgs = data.interactions
    customer = msgs[msgs["author"] == "customer"]["text"]
    assert customer.nunique() / len(customer) >= 0.6 and msgs["text"].nunique() / len(msgs) >= 0.6
    assert set(msgs["channel"]) == {"chat", "phone", "email", "social", "review", "ticket", "return_form"}
    assert (msgs["author"] == "agent").mean() > 0.25
    english = (msgs["language"] == "en").mean()
    assert 0.05 <= english <= 0.16 and (msgs["language"] == "mixed").sum() > 20
    written_in_english = customer[msgs["language"] == "en"]
    assert (~written_in_english.str.contains("[\u4e00-\u9fff]")).mean() > 0.95
    assert written_in_english.str.count(r"\b[A-Za-z]{2,}\b").ge(3).all()
    assert customer.str.contains("[這們麼說貨還買問題]").sum() > 20
    assert customer.str.contains("[\U0001f300-\U0001faff]").sum() > 100
    assert customer.str.contains(r"\[(?:怒|白眼|流泪|赞|微笑|抱拳)\]").sum() > 20
    for threat in ("12315", "消协", "黑猫投诉", "曝光", "起诉", "差评"):
        assert customer.str.contains(threat).sum() >= 5, threat
    assert customer.str.contains(r"[！？!?]{2,}|。。。|……").sum() > 50
    assert customer.str.contains("以经|应为|受到|神马|木有|酱紫|不造").sum() > 10
    assert data.returns["reason_text"].str.len().gt(0).all()


def test_interaction_truth_is_complete_and_consistent(data: DemoData) -> None:
    truth = data.interactions_truth.merge(data.interactions[["interaction_id", "text"]], on="interaction_id")
    assert (
        (
            data.interactions_truth[["channel", "author", "language"]]
            == data.interactions[["channel", "author", "language"]]
        )
        .all()
        .all()
    )
    assert len(truth) == len(data.interactions) and truth["interaction_id"].is_unique
    assert set(truth["emotion"]) == set(vocab.Emotion.codes())
    assert set(truth["stage"]) == set(vocab.Stage.codes())
    assert set(truth["intensity"]) == {1, 2, 3}
    reasons = {r for cell in truth["reasons"] if cell for r in cell.split(";")}
    assert reasons <= set(vocab.Reason.codes()) and len(reasons) >= 11
    expected = {str(e): str(p) for e, p in vocab.EMOTION_POLARITY.items()}
    assert (truth["emotion"].map(expected) == truth["polarity"]).all()
    assert (truth.loc[truth["author"] == "agent", "stage"] == "none").all()
    formal = truth[(truth["stage"] == "formal_complaint") & (truth["language"] != "en")]["text"]
    assert formal.str.contains("12315|消协|黑猫|平台|差评|微博|律师|监管|电视台|起诉").mean() > 0.95
    positive = truth[truth["kind"] == "case_thanks"]
    assert len(positive) > 50 and (positive["polarity"] == "positive").all()


def test_surveys_follow_how_the_case_went(data: DemoData) -> None:
    surveys = data.surveys.merge(data.returns[["order_id", "status"]], on="order_id", how="left")
    csat = surveys[surveys["kind"] == "csat"]
    assert csat["score"].between(1, 5).all()
    assert surveys.loc[surveys["kind"] == "nps", "score"].between(0, 10).all()
    no_case = csat[csat["status"].isna()]["score"].mean()
    rejected = csat[csat["status"] == "rejected"]["score"].mean()
    assert no_case > 4.0 and rejected < 2.5


def test_frames_fit_the_ingest_schema(data: DemoData) -> None:
    for entity, frame in data.frames().items():
        spec = SPECS[entity]
        assert set(frame.columns) <= set(spec.names), entity
        for column in spec.columns:
            if column.required:
                assert frame[column.name].notna().all(), (entity, column.name)
            if column.codes and column.name in frame:
                assert set(frame[column.name].dropna()) <= set(column.codes), (entity, column.name)
        assert frame[spec.key].is_unique, entity


def test_everything_is_labelled_synthetic(data: DemoData, tmp_path: Path) -> None:
    names = data.customers["name"]
    assert names.str.endswith("（演示）").sum() + names.str.endswith("(demo)").sum() == len(names)
    assert data.customers["email"].str.endswith("@demo.example.com").all()
    assert data.customers["phone"].str.contains(r"^\d{3}\*{4}\d{4}$").all()
    kb = pd.DataFrame(data.kb_articles)
    assert len(kb) >= 25 and set(kb["language"]) == {"zh", "en"}
    assert kb["tags"].str.contains("demo").all() and kb["body"].str.contains("演示|demonstration").all()
    paths = write_demo(data, tmp_path)
    assert "SYNTHETIC" in paths["readme"].read_text(encoding="utf-8")
    truths = json.loads(paths["truths"].read_text(encoding="utf-8"))
    assert truths["synthetic"] is True and "SYNTHETIC" in truths["note"]
    assert re.search("customer_id,name,tier", paths["customers"].read_text(encoding="utf-8").splitlines()[0])


def test_sizes_below_the_minimum_are_refused() -> None:
    with pytest.raises(ValueError, match="n_customers"):
        generate(1, END, n_customers=50)
    with pytest.raises(ValueError, match="months"):
        generate(1, END, months=3)
