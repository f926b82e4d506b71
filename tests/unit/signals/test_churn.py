"""Churn: training examples and labels, the model on a history where churn follows a feature, refusals, JSON round
trip, and the rule fallback with its explanations."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from aftersales.signals import ChurnModel, Frames, build_training_set, compute_signals, rule_churn, try_fit
from aftersales.signals.churn import MIN_EXAMPLES
from tests.unit.signals.builders import AS_OF, ago, case, frame, order

START = pd.Timestamp("2024-01-01")


def history(n: int, seed: int = 0, churn_if_bad: float = 0.85, churn_if_good: float = 0.15) -> Frames:
    """n customers ordering every 15 days; each opens one case, bad ones after two negative messages; then
    bad customers mostly stop ordering. Churn depends on recent_negative_share and nothing else."""
    rng = np.random.default_rng(seed)
    orders: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    cases: list[dict[str, Any]] = []
    for i in range(n):
        cid = f"C{i:04d}"
        bad = rng.random() < 0.5
        opened = START + pd.Timedelta(days=185 + rng.uniform(0, 100))
        churns = rng.random() < (churn_if_bad if bad else churn_if_good)
        first = rng.uniform(0, 15)
        days = [first + 15 * k for k in range(13)]
        if not churns:
            days += [(opened - START).days + 7 + 15 * k for k in range(15)]
        orders += [
            {"order_id": f"{cid}-{k}", "customer_id": cid, "ordered_at": START + pd.Timedelta(days=d), "amount": 80.0}
            for k, d in enumerate(days)
            if d <= 500
        ]
        polarity, score = ("negative", -0.8) if bad else ("positive", 0.5)
        for h in (24, 12):
            messages.append(
                {
                    "interaction_id": f"{cid}-m{h}",
                    "customer_id": cid,
                    "channel": "chat",
                    "created_at": opened - pd.Timedelta(hours=h),
                    "author": "customer",
                    "polarity": polarity,
                    "polarity_score": score,
                }
            )
        cases.append(
            {
                "case_id": f"K{cid}",
                "customer_id": cid,
                "status": "resolved",
                "opened_at": opened,
                "resolved_at": opened + pd.Timedelta(days=3),
                "reopen_count": 0,
            }
        )
    return Frames.of(None, frame("messages", messages), frame("orders", orders), None, frame("cases", cases))


@pytest.fixture(scope="module")
def model() -> ChurnModel:
    return ChurnModel.fit(build_training_set(history(800), 90, START + pd.Timedelta(days=500)))


def test_model_learns_the_feature_churn_depends_on(model: ChurnModel) -> None:
    m = model.metrics
    assert m["source"] == "cases" and m["examples"] == 800 and m["holdout_examples"] == 160
    assert m["auc"] >= 0.75
    assert m["brier"] < m["brier_base_rate"]  # better than always predicting the churn rate
    assert 0.35 <= m["base_rate"] <= 0.65
    weights = dict(zip(model.features, model.coef, strict=True))
    assert max(weights, key=lambda f: weights[f]) == "recent_negative_share"


def test_score_explains_with_the_top_three_signed_contributions(model: ChurnModel) -> None:
    training = build_training_set(history(60, seed=3), 90, START + pd.Timedelta(days=500))
    features = training.features[training.features["recent_negative_share"] == 1.0].iloc[0]
    risk = model.score(features)
    assert risk.method == "model" and risk.level in {"low", "medium", "high"}
    assert 1 <= len(risk.factors) <= 3 and risk.factors[0].feature == "recent_negative_share"
    assert risk.factors[0].contribution > 0 and "raises" in risk.factors[0].note
    magnitudes = [abs(f.contribution) for f in risk.factors]
    assert magnitudes == sorted(magnitudes, reverse=True)
    calm = model.score(features.to_dict() | {"recent_negative_share": 0.0})
    assert calm.score < risk.score


def test_round_trip_through_json_scores_identically(model: ChurnModel) -> None:
    again = ChurnModel.from_dict(json.loads(json.dumps(model.to_dict())))
    frames = history(60, seed=3)
    training = build_training_set(frames, 90, START + pd.Timedelta(days=500))
    assert np.array_equal(model.predict_proba(training.features), again.predict_proba(training.features))
    row = training.features.iloc[5]
    assert model.score(row) == again.score(row)
    assert again.metrics == model.metrics


def test_from_dict_rejects_foreign_or_broken_data(model: ChurnModel) -> None:
    with pytest.raises(ValueError, match="not a churn model"):
        ChurnModel.from_dict({"format": "pickle"})
    broken = model.to_dict() | {"coef": [1.0]}
    with pytest.raises(ValueError, match="do not match"):
        ChurnModel.from_dict(broken)


@pytest.mark.parametrize(
    ("n", "bad", "good", "reason"),
    [
        (MIN_EXAMPLES - 20, 0.85, 0.15, "examples"),
        (400, 0.02, 0.02, "churned"),  # almost nobody churns: fewer than 20 positives
    ],
)
def test_too_little_history_is_refused(n: int, bad: float, good: float, reason: str) -> None:
    training = build_training_set(history(n, churn_if_bad=bad, churn_if_good=good), 90, START + pd.Timedelta(days=500))
    with pytest.raises(ValueError, match="too little history"):
        ChurnModel.fit(training)
    assert try_fit(training) is None


def test_signals_use_the_model_when_given(model: ChurnModel) -> None:
    orders = frame("orders", [order(d) for d in (300, 200, 100, 20)])
    with_model = compute_signals("C1", AS_OF, orders=orders, churn_model=model)
    assert with_model.churn.method == "model"
    assert compute_signals("C1", AS_OF, orders=orders).churn.method == "rules"


def test_training_examples_and_labels_by_hand() -> None:
    t0 = AS_OF - pd.Timedelta(days=200)
    at = lambda days: t0 + pd.Timedelta(days=days)  # noqa: E731
    orders = [
        {"order_id": "A0", "customer_id": "A", "ordered_at": at(-10)},
        {"order_id": "A1", "customer_id": "A", "ordered_at": at(30)},  # back within the horizon
        {"order_id": "B1", "customer_id": "B", "ordered_at": at(100)},  # only after the horizon: churned
        {"order_id": "C1", "customer_id": "C", "ordered_at": at(90)},  # exactly at the horizon: stayed
        {"order_id": "D0", "customer_id": "D", "ordered_at": at(0)},  # at the case moment itself: not "again"
    ]
    cases = [
        case(0, customer="D", opened_at=at(0)),
        case(0, customer="A", opened_at=at(0)),
        case(0, customer="B", opened_at=at(1)),
        case(0, customer="C", opened_at=at(0)),
        case(0, customer="E", opened_at=at(50)),  # horizon ends after the data: left out
    ]
    frames = Frames.of(orders=frame("orders", orders), cases=frame("cases", cases))
    training = build_training_set(frames, 90, at(120))
    assert training.source == "cases" and training.horizon_days == 90
    labels = dict(zip(training.features["customer_id"], training.churned, strict=True))
    assert labels == {"A": False, "B": True, "C": False, "D": True}
    assert list(training.features["as_of"]) == sorted(training.features["as_of"])  # time order for the holdout
    assert training.features.set_index("customer_id").loc["A", "open_cases"] == 1  # features as of the case

    returns = [{"return_id": "R1", "order_id": "A0", "customer_id": "A", "requested_at": at(0)}]
    fallback = build_training_set(Frames.of(orders=frame("orders", orders), returns=frame("returns", returns)), 90)
    assert fallback.source == "returns" and list(fallback.churned) == [False]
    assert fallback.as_of_end == at(100)  # the last event in the data
    empty = build_training_set(Frames.of(), 90)
    assert empty.source == "none" and len(empty.churned) == 0


RULE_CASES: list[tuple[dict[str, Any], float, list[str]]] = [
    ({}, 0.05, []),
    ({"days_since_last_order": 100.0}, 0.35, ["days_since_last_order"]),
    ({"days_since_last_order": 50.0}, 0.20, ["days_since_last_order"]),
    ({"days_since_last_order": 40.0}, 0.05, []),
    ({"purchase_frequency_ratio": 0.4}, 0.30, ["purchase_frequency_ratio"]),
    ({"purchase_frequency_ratio": 0.5}, 0.05, []),
    ({"recent_negative_share": 0.6}, 0.20, ["recent_negative_share"]),
    ({"recent_negative_share": 0.4}, 0.05, []),
    ({"reopen_count": 1}, 0.15, ["reopen_count"]),
    ({"return_frequency": 0.3}, 0.15, ["return_frequency"]),
    ({"return_frequency": 0.2}, 0.05, []),
    ({"open_cases": 2}, 0.10, ["open_cases"]),
    ({"purchase_frequency_ratio": math.nan, "days_since_last_order": None}, 0.05, []),
    (
        {
            "days_since_last_order": 120.0,
            "purchase_frequency_ratio": 0.0,
            "recent_negative_share": 1.0,
            "reopen_count": 2,
            "return_frequency": 0.5,
            "open_cases": 1,
        },
        1.0,
        [
            "days_since_last_order",
            "purchase_frequency_ratio",
            "recent_negative_share",
            "reopen_count",
            "return_frequency",
            "open_cases",
        ],
    ),
]


@pytest.mark.parametrize(("features", "score", "order_of_factors"), RULE_CASES)
def test_rule_fallback_points_and_explanations(
    features: dict[str, Any], score: float, order_of_factors: list[str]
) -> None:
    risk = rule_churn(features, horizon_days=90)
    assert risk.method == "rules"
    assert risk.score == pytest.approx(score)
    assert [f.feature for f in risk.factors] == order_of_factors
    assert risk.level == ("high" if score >= 0.6 else "medium" if score >= 0.3 else "low")
    assert all(f.note and f.contribution > 0 for f in risk.factors)


def test_rule_notes_name_the_values() -> None:
    risk = rule_churn({"days_since_last_order": 130.0, "purchase_frequency_ratio": 0.25}, horizon_days=90)
    notes = [f.note for f in risk.factors]
    assert notes == ["no order for 130 days (≥ the 90-day horizon)", "buys at 25% of their usual rate"]
    assert rule_churn(pd.Series({"days_since_last_order": 130.0}), horizon_days=180).score == pytest.approx(0.2)


def test_features_as_of_the_case_do_not_see_the_future() -> None:
    frames = history(5, seed=1)
    training = build_training_set(frames, 90, START + pd.Timedelta(days=500))
    first_case = frames.cases.sort_values("opened_at").iloc[0]
    row = training.features.iloc[0]
    assert row["customer_id"] == first_case["customer_id"]
    orders_before = frames.orders[
        (frames.orders["customer_id"] == row["customer_id"]) & (frames.orders["ordered_at"] <= first_case["opened_at"])
    ]
    assert row["orders_total"] == len(orders_before)
    assert row["recent_negative_share"] in (0.0, 1.0)


def test_case_rows_with_missing_reopen_count_and_customers() -> None:
    cases = frame("cases", [case(3, reopen_count=None), {"case_id": "X", "opened_at": ago(1)}])
    got = compute_signals("C1", AS_OF, cases=cases)
    assert (got.open_cases, got.reopen_count) == (1, 0)


def test_batch_scoring_matches_one_by_one(model: ChurnModel) -> None:
    training = build_training_set(history(40, seed=5), 90, START + pd.Timedelta(days=500))
    rows = [training.features.iloc[i] for i in range(len(training.features))]
    assert model.score_frame(training.features) == [model.score(r) for r in rows]
