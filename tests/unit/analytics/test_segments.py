"""Segments (KMeans, k by silhouette, profiles and names) and the at-risk ranking, on hand-made customers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aftersales.analytics.segments import (
    AT_RISK_P,
    FEATURES,
    _name,
    at_risk_ranking,
    explain_risk,
    segment_customers,
)

AS_OF = pd.Timestamp("2025-12-31")
DAY = pd.Timedelta(days=1)


def orders_every(customer: str, first: str, days: float, until: str) -> list[dict[str, object]]:
    stamps = pd.date_range(first, until, freq=pd.Timedelta(days=days))
    return [{"customer_id": customer, "ordered_at": t} for t in stamps]


# customer → (orders, bad events): each row one case of the table below.
CUSTOMERS = {
    # a monthly buyer who stopped after an angry message in March: the clearest drop
    "stopped": (orders_every("stopped", "2024-01-01", 30, "2025-03-01"), [("2025-03-10", "anger")]),
    # the same buyer who kept buying after the incident: no drop
    "stayed": (orders_every("stayed", "2024-01-01", 30, "2025-12-20"), [("2025-03-10", "anger")]),
    # a buyer who slowed to a third of the rate after a low survey score
    "slowed": (
        orders_every("slowed", "2024-01-01", 10, "2025-02-01") + orders_every("slowed", "2025-02-10", 30, "2025-12-01"),
        [("2025-02-05", "low_survey")],
    ),
    # only one order before the incident: no baseline rate to compare with
    "one_order": (orders_every("one_order", "2025-01-01", 400, "2025-01-02"), [("2025-02-01", "complaint")]),
    # incident ten days ago: too early to tell
    "recent": (orders_every("recent", "2024-01-01", 30, "2025-12-01"), [("2025-12-21", "anger")]),
}
EXPECTED = {  # customer → (listed, testable)
    "stopped": (True, True),
    "stayed": (False, True),
    "slowed": (True, True),
    "one_order": (False, False),
    "recent": (False, False),
}


@pytest.fixture(scope="module")
def ranking() -> pd.DataFrame:
    orders = pd.DataFrame([o for rows, _ in CUSTOMERS.values() for o in rows])
    events = pd.DataFrame(
        [
            {"customer_id": c, "at": pd.Timestamp(at), "kind": kind}
            for c, (_, ev) in CUSTOMERS.items()
            for at, kind in ev
        ]
    )
    return at_risk_ranking(orders, events, AS_OF, negative_reviews=pd.Series({"stopped": 2}))


@pytest.mark.parametrize("customer", list(EXPECTED))
def test_listed_only_after_a_significant_drop_against_the_own_baseline(ranking: pd.DataFrame, customer: str) -> None:
    listed, testable = EXPECTED[customer]
    row = ranking.loc[customer]
    assert bool(row["listed"]) is listed
    assert pd.notna(row["p_value"]) is testable
    if listed:
        assert row["p_value"] <= AT_RISK_P and row["orders_after"] < row["expected_after"]


def test_baseline_counts_the_orders_after_the_first_one(ranking: pd.DataFrame) -> None:
    row = ranking.loc["stopped"]  # orders on 2024-01-01 + every 30 days up to 2025-03-01: 15, the first is the origin
    assert row["orders_before"] == 15 and row["orders_after"] == 0
    baseline_days = (pd.Timestamp("2025-03-10") - pd.Timestamp("2024-01-01")) / DAY
    assert row["baseline_per_30d"] == pytest.approx(14 / baseline_days * 30, abs=1e-3)
    assert row["expected_after"] == pytest.approx(
        14 / baseline_days * (AS_OF - pd.Timestamp("2025-03-10")) / DAY, abs=0.01
    )


def test_ranking_puts_the_listed_customers_first_and_weighs_severity(ranking: pd.DataFrame) -> None:
    assert set(ranking.index[:2]) == {"stopped", "slowed"}
    row = ranking.loc["stopped"]  # risk = min(−log10 p, 6) / 6 × (1 + severity) / 2
    assert row["risk"] == pytest.approx(min(-np.log10(row["p_value"]), 6) / 6 * (1 + 0.5) / 2, abs=1e-4)
    assert ranking.loc["stopped", "negative_review"] and ranking.loc["stopped", "anger"]
    assert ranking.loc["stopped", "severity"] == 0.5  # anger + negative review of the four flags
    assert ranking["risk"].min() >= 0 and ranking["risk"].max() <= 1


@pytest.mark.parametrize(
    ("locale", "fragments"),
    [("zh-CN", ["2025-03-10（愤怒）之后", "仅下单 0 次", "愤怒", "公开差评"]),
     ("en", ["0 orders in the 296 days since 2025-03-10 (angry message)", "negative public review"])],
)  # fmt: skip
def test_explanations_name_the_drop_and_each_flag(ranking: pd.DataFrame, locale: str, fragments: list[str]) -> None:
    text = " | ".join(explain_risk(ranking.loc["stopped"].to_dict(), locale))
    for fragment in fragments:
        assert fragment in text


def test_no_bad_experiences_give_an_empty_ranking() -> None:
    empty = pd.DataFrame(columns=["customer_id", "at", "kind"])
    orders = pd.DataFrame(orders_every("x", "2025-01-01", 30, "2025-06-01"))
    assert at_risk_ranking(orders, empty.astype({"at": "datetime64[ns]"}), AS_OF).empty


def blobs(seed: int = 0) -> pd.DataFrame:
    """Three planted groups: loyal big spenders, angry returners, one-off buyers gone quiet."""
    rng = np.random.default_rng(seed)
    groups = {
        "loyal": dict(recency_days=10, orders=20, monetary=8000, returns=1, contacts=2, negative_share=0.1,
                      mean_polarity=0.5, anger_share=0.0),
        "angry": dict(recency_days=60, orders=5, monetary=900, returns=4, contacts=8, negative_share=0.9,
                      mean_polarity=-0.7, anger_share=0.6),
        "quiet": dict(recency_days=300, orders=1, monetary=150, returns=0, contacts=0, negative_share=0.0,
                      mean_polarity=0.0, anger_share=0.0),
    }  # fmt: skip
    rows = []
    for name, centre in groups.items():
        for i in range(120):
            row = {k: max(v * rng.lognormal(0, 0.15), 0) if k not in ("mean_polarity",) else v + rng.normal(0, 0.05)
                   for k, v in centre.items()}  # fmt: skip
            row["return_rate"] = row["returns"] / max(row["orders"], 1)
            rows.append({"customer_id": f"{name}{i}", "group": name, **row})
    return pd.DataFrame(rows).set_index("customer_id")


def test_segments_recover_planted_groups_choose_k_by_silhouette_and_are_named_from_traits() -> None:
    data = blobs()
    at_risk = pd.Series(data["group"] == "angry", index=data.index)
    seg = segment_customers(data[list(FEATURES)], at_risk=at_risk)
    assert seg.k == 3 and seg.chosen_by == "silhouette"
    assert seg.silhouette[3] == max(seg.silhouette.values())
    # Each segment is one planted group.
    purity = pd.crosstab(seg.labels, data["group"]).max(axis=1).sum() / len(data)
    assert purity == 1.0
    by_group = {data.loc[seg.labels[seg.labels == p.segment].index[0], "group"]: p for p in seg.profiles}
    assert "高价值" in by_group["loyal"].name_zh and "high value" in by_group["loyal"].name_en
    assert "易愤怒" in by_group["angry"].name_zh or "负面情绪多" in by_group["angry"].name_zh
    assert "久未购买" in by_group["quiet"].name_zh
    assert by_group["angry"].at_risk_share == 1.0 and by_group["loyal"].at_risk_share == 0.0
    assert len({p.name_zh for p in seg.profiles}) == 3
    assert [p.size for p in seg.profiles] == sorted((p.size for p in seg.profiles), reverse=True)
    assert by_group["loyal"].means["orders"] > seg.overall["orders"] > by_group["quiet"].means["orders"]


def test_given_k_is_used_and_the_result_is_reproducible() -> None:
    data = blobs(1)[list(FEATURES)]
    first, again = segment_customers(data, 4), segment_customers(data, 4)
    assert first.k == 4 and first.chosen_by == "given"
    assert first.labels.equals(again.labels)


def test_too_few_customers_is_an_error_naming_the_minimum() -> None:
    with pytest.raises(ValueError, match="at least 6"):
        segment_customers(blobs().head(4)[list(FEATURES)])


@pytest.mark.parametrize(
    ("traits", "used", "expected"),
    [
        ([], set(), ("普通客户", "typical")),
        ([("monetary", True, "高价值", "high value"), ("return_rate", True, "高退货", "high returns")], set(),
         ("高价值·高退货", "high value, high returns")),
        ([("monetary", True, "高价值", "high value"), ("orders", True, "高频", "frequent"),
          ("contacts", False, "少联系客服", "few contacts")], {"高价值·高频"},
         ("高价值·高频·少联系客服", "high value, frequent, few contacts")),
        ([("monetary", True, "高价值", "high value")], {"高价值"}, ("高价值（7）", "high value (7)")),
    ],
)  # fmt: skip
def test_names_are_the_strongest_traits_and_unique(
    traits: list[tuple[str, bool, str, str]], used: set[str], expected: tuple[str, str]
) -> None:
    assert _name(traits, set(used), 7) == expected
