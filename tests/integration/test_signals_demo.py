"""The signals layer finds the demo's planted truth: 150 customers whose purchase frequency falls after bad service.

The planted ids come from truths.json and are used only to grade the ranking, never as an input. The demo's messages
carry no analysis, so the shipped analyzer labels them first (as the real pipeline does before signals run).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from aftersales.demo import DemoData, generate
from aftersales.nlp.analyzer import Analyzer
from aftersales.signals import ChurnModel, Frames, build_training_set, features_for_customers, rule_churn

END = dt.date(2025, 6, 30)


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return generate(seed=42, end=END)


@pytest.fixture(scope="module")
def analysed_frames(demo: DemoData) -> Frames:
    messages = demo.interactions
    customer = messages[messages["author"] == "customer"]
    labels = Analyzer.default().analyze_frame(customer)[["interaction_id", "polarity", "polarity_score", "stage"]]
    return Frames.of(demo.customers, messages.merge(labels, on="interaction_id", how="left"), demo.orders, demo.returns)


def as_of(demo: DemoData) -> pd.Timestamp:
    return pd.Timestamp(demo.plan.end_ts)


def planted(demo: DemoData, index: pd.Index) -> np.ndarray:
    ids = set(demo.truths["falling_frequency"]["customer_ids"])
    assert len(ids) == 150
    return np.asarray(index.isin(ids))


def auc(positive: np.ndarray, score: np.ndarray) -> float:
    """Probability that a planted customer outranks another one (ties count half): the Mann-Whitney AUC."""
    ranks = pd.Series(score).rank().to_numpy()
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def top_decile_precision(positive: np.ndarray, score: np.ndarray) -> float:
    top = np.argsort(-score, kind="stable")[: len(score) // 10]
    return float(positive[top].mean())


def test_purchase_frequency_falls_for_the_planted_customers(demo: DemoData) -> None:
    frames = Frames.of(demo.customers, demo.interactions, demo.orders, demo.returns)
    features = features_for_customers(frames, as_of(demo))
    assert len(features) == 5000
    group = planted(demo, features.index)
    ratio, z = features["purchase_frequency_ratio"], features["purchase_frequency_z"]
    known = ratio.notna().to_numpy()
    assert known[group].all()  # every planted customer has a long enough history to compare against
    # Planted customers buy at about a quarter of their old rate; the rest at close to theirs.
    assert ratio[group].mean() < 0.4 < 0.7 < ratio[~group & known].mean()
    # Poisson z separates a real drop from the noise of rare buyers better than the raw ratio does.
    assert auc(group[known], -z[known].to_numpy()) > auc(group[known], -ratio[known].to_numpy()) > 0.65
    assert auc(group[known], -z[known].to_numpy()) > 0.7


def test_rule_churn_ranks_planted_customers_far_above_the_base_rate(demo: DemoData, analysed_frames: Frames) -> None:
    features = features_for_customers(analysed_frames, as_of(demo))
    group = planted(demo, features.index)
    scores = np.array([rule_churn(row, 90).score for row in features.to_dict("records")])
    assert scores[group].mean() > scores[~group].mean() + 0.15
    assert auc(group, scores) > 0.8
    assert top_decile_precision(group, scores) > 4 * group.mean()  # base rate 3 %


def test_churn_model_trains_on_demo_returns(analysed_frames: Frames) -> None:
    training = build_training_set(analysed_frames, 90)
    assert training.source == "returns" and len(training.churned) > 1500
    model = ChurnModel.fit(training)
    assert model.metrics["auc"] > 0.65
    assert model.metrics["brier"] < model.metrics["brier_base_rate"]
    again = ChurnModel.from_dict(model.to_dict())
    assert np.array_equal(again.predict_proba(training.features), model.predict_proba(training.features))
