"""Generate the whole synthetic data set in memory and measure the planted truths on what was generated."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from aftersales.demo import catalog, commerce, contacts, kb, returns
from aftersales.demo.commerce import MATURITY_DAYS, Plan

CANONICAL: dict[str, list[str]] = {
    "customers": ["customer_id", "name", "tier", "region", "joined_at", "phone", "email"],
    "orders": [
        "order_id", "customer_id", "ordered_at", "sku", "product_name", "category", "region", "channel",
            "quantity",
        "amount", "delivered_at", "promotion",
    ],
    "returns": [
        "return_id", "order_id", "requested_at", "customer_id", "type", "reason_code", "reason_text",
            "status",
        "resolved_at", "refund_amount", "sku", "region",
    ],
    "interactions": [
        "interaction_id", "customer_id", "text", "created_at", "order_id", "return_id", "channel", "author",
            "language",
    ],
    "surveys": ["survey_id", "customer_id", "kind", "score", "answered_at", "order_id", "comment"],
}  # fmt: skip
IMPROVEMENT_ACTION_ID = "DEMO-ACT-001"
IMPROVEMENT_TITLE = "说明书改版"


@dataclass
class DemoData:
    """The generated frames (canonical columns only), knowledge base, ground truth and planted truths."""

    customers: pd.DataFrame
    orders: pd.DataFrame
    returns: pd.DataFrame
    interactions: pd.DataFrame
    surveys: pd.DataFrame
    kb_articles: list[dict[str, str]]
    interactions_truth: pd.DataFrame
    truths: dict[str, Any]
    plan: Plan

    def frames(self) -> dict[str, pd.DataFrame]:
        """The five tabular entities by name, in ingest order."""
        return {
            "customers": self.customers,
            "orders": self.orders,
            "returns": self.returns,
            "interactions": self.interactions,
            "surveys": self.surveys,
        }


def default_end(timezone: str = "Asia/Shanghai") -> dt.date:
    """Yesterday in the merchant's timezone: the last full day of data."""
    return dt.datetime.now(ZoneInfo(timezone)).date() - dt.timedelta(days=1)


def generate(
    seed: int = 42,
    end: dt.date | None = None,
    *,
    n_customers: int = 5000,
    months: int = 18,
    group_size: int | None = None,
) -> DemoData:
    """Build the demo data set; the same seed and end date always give identical frames."""
    if n_customers < 200:
        raise ValueError("n_customers must be at least 200 for the planted truths to be visible")
    if months < 6:
        raise ValueError("months must be at least 6 for the planted truths to be visible")
    end = end or default_end()
    rng = np.random.default_rng(seed)
    plan = commerce.make_plan(end, months, n_customers, group_size)
    weights, promo = commerce.day_weights(plan)
    customers = commerce.make_customers(rng, n_customers, plan, weights)
    orders = commerce.make_orders(rng, customers, plan, weights, promo)
    orders, group = commerce.plant_falling_frequency(rng, orders, customers, plan)
    rets = returns.make_returns(rng, orders, customers, plan, group)
    end_dt = pd.Timestamp(plan.end_ts).to_pydatetime()
    msgs, truth, surveys, texts = contacts.write_threads(rng, customers, orders, rets, end_dt)
    rets["reason_text"] = texts
    truths = measure_truths(plan, seed, customers, orders, rets, group)
    return DemoData(
        customers=customers[CANONICAL["customers"]],
        orders=orders[CANONICAL["orders"]],
        returns=rets[CANONICAL["returns"]],
        interactions=msgs[CANONICAL["interactions"]],
        surveys=surveys[CANONICAL["surveys"]],
        kb_articles=kb.kb_articles(),
        interactions_truth=truth,
        truths=truths,
        plan=plan,
    )


def _rate(n: int, d: int) -> float:
    return round(n / d, 4) if d else 0.0


def measure_truths(
    plan: Plan,
    seed: int,
    customers: pd.DataFrame,
    orders: pd.DataFrame,
    rets: pd.DataFrame,
    group: pd.DataFrame,
) -> dict[str, Any]:
    """Describe each planted truth with its dates, ids and sizes, and the effect as measured in the data."""
    mature = pd.Timestamp(plan.end - dt.timedelta(days=MATURITY_DAYS))
    ordered = orders["ordered_at"]
    returned = orders["order_id"].isin(rets["order_id"])
    spike_first = pd.Timestamp(plan.spike_start)
    spike_last = pd.Timestamp(plan.spike_end + dt.timedelta(days=1))
    in_window = (ordered >= spike_first) & (ordered < spike_last)
    region = orders["region"] == catalog.SPIKE_REGION
    base = region & ~in_window & (ordered < mature)
    others = ~region & in_window
    weekly = []
    for w in range(4):
        lo = spike_first + pd.Timedelta(days=7 * w)
        sel = region & (ordered >= lo) & (ordered < lo + pd.Timedelta(days=7))
        weekly.append({"week_start": lo.date().isoformat(), "orders": int(sel.sum()),
                       "return_rate": _rate(int((sel & returned).sum()), int(sel.sum()))})  # fmt: skip
    spike_rets = rets[rets["order_id"].isin(orders.loc[region & in_window, "order_id"])]
    spike: dict[str, Any] = {
        "kind": "region_return_spike",
        "region": catalog.SPIKE_REGION,
        "start": plan.spike_start.isoformat(),
        "end": plan.spike_end.isoformat(),
        "weeks": 4,
        "designed_factor": returns.SPIKE_FACTOR,
        "cause": f"物流合作方「{catalog.SPIKE_PARTNER}」分拣事故与运力不足（虚构）",
        "reasons": ["damaged_in_transit", "logistics_delay"],
        "definition": "return rate = returned orders / orders, by order date (ordered_at) and order region",
        "orders_in_window": int((region & in_window).sum()),
        "returns_in_window": len(spike_rets),
        "return_rate_in_window": _rate(int((region & in_window & returned).sum()), int((region & in_window).sum())),
        "return_rate_region_baseline": _rate(int((base & returned).sum()), int(base.sum())),
        "return_rate_other_regions_same_weeks": _rate(int((others & returned).sum()), int(others.sum())),
        "reason_counts_in_window": {
            str(k): int(v) for k, v in spike_rets["reason_code"].value_counts().sort_index().items()
        },
        "weekly": weekly,
    }
    rate_in, rate_base = float(spike["return_rate_in_window"]), float(spike["return_rate_region_baseline"])
    spike["observed_ratio"] = round(rate_in / max(rate_base, 1e-9), 3)

    improve_at = pd.Timestamp(plan.improvement_date)
    hard = orders["order_id"].isin(rets.loc[rets["reason_code"] == "hard_to_use", "order_id"])

    def before_after(sku: str) -> dict[str, Any]:
        sel = orders["sku"] == sku
        pre = sel & (ordered < improve_at)
        post = sel & (ordered >= improve_at) & (ordered < mature)
        return {
            "sku": sku,
            "product_name": catalog.SKU_BY_ID[sku].name,
            "orders_before": int(pre.sum()),
            "orders_after": int(post.sum()),
            "hard_to_use_rate_before": _rate(int((pre & hard).sum()), int(pre.sum())),
            "hard_to_use_rate_after": _rate(int((post & hard).sum()), int(post.sum())),
        }

    improved = before_after(catalog.IMPROVED_SKU)
    improvement = {
        "kind": "improvement_action_effect",
        "action_id": IMPROVEMENT_ACTION_ID,
        "title": IMPROVEMENT_TITLE,
        "start_date": plan.improvement_date.isoformat(),
        "reason": "hard_to_use",
        "designed_factor": 0.2,
        "definition": "hard_to_use return rate = orders returned for hard_to_use / orders, by ordered_at; "
        f"'after' ends {MATURITY_DAYS} days before the end date",
        **improved,
        "placebo": {
            **before_after(catalog.PLACEBO_SKU),
            "note": "comparable SKU with no action: no change expected",
        },
    }

    falling = _falling_frequency(plan, customers, orders, rets, group)
    return {
        "synthetic": True,
        "note": catalog.SYNTHETIC_NOTE,
        "merchant": catalog.MERCHANT_ZH,
        "seed": seed,
        "start": plan.start.isoformat(),
        "end": plan.end.isoformat(),
        "n_customers": len(customers),
        "timezone": "Asia/Shanghai (all timestamps are naive local time)",
        "region_spike": spike,
        "sku_improvement": improvement,
        "falling_frequency": falling,
    }


def _falling_frequency(
    plan: Plan, customers: pd.DataFrame, orders: pd.DataFrame, rets: pd.DataFrame, group: pd.DataFrame
) -> dict[str, Any]:
    """Orders per 30 days before and after the incident, for the group and for the other active customers."""
    end = pd.Timestamp(plan.end_ts)
    by_order = rets.set_index("order_id")["return_id"]
    first_day = pd.Timestamp(plan.start) + pd.to_timedelta(customers["_first_day"].to_numpy(), unit="D")
    first = pd.Series(first_day.to_numpy(), index=customers["customer_id"].to_numpy())
    counts = orders.groupby("customer_id")["ordered_at"]

    def rates(cust_ids: pd.Series, cut: pd.Series) -> tuple[float, float]:
        sub = orders[orders["customer_id"].isin(cust_ids)]
        cut_of = sub["customer_id"].map(pd.Series(cut.to_numpy(), index=cust_ids.to_numpy()))
        n_before = int((sub["ordered_at"] <= cut_of).sum())
        n_after = int((sub["ordered_at"] > cut_of).sum())
        days_before = float(
            (cut.to_numpy() - first.loc[cust_ids].to_numpy()).astype("timedelta64[s]").astype(float).sum()
        )
        days_after = float((end - cut).dt.total_seconds().sum())
        return (
            round(n_before / max(days_before / 86400, 1) * 30, 4),
            round(n_after / max(days_after / 86400, 1) * 30, 4),
        )

    incident = pd.to_datetime(group["incident_at"])
    g_before, g_after = rates(group["customer_id"], incident)
    active = customers[
        (customers["_last_day"] == plan.n_days - 1) & ~customers["customer_id"].isin(group["customer_id"])
    ]
    active = active[active["customer_id"].isin(counts.size()[counts.size() >= 5].index)]
    pseudo = pd.Series([incident.median()] * len(active), index=active.index)
    c_before, c_after = rates(active["customer_id"].reset_index(drop=True), pseudo.reset_index(drop=True))
    return {
        "kind": "falling_purchase_frequency",
        "size": len(group),
        "cause": ("angry, unresolved after-sales case (rejected or closed without refund), formal complaint, CSAT ≤ 2"),
        "designed_keep_share_after": 0.15,
        "definition": "orders per 30 days from a customer's first active day to the incident, and after it",
        "group_orders_per_30d_before": g_before,
        "group_orders_per_30d_after": g_after,
        "control": "active customers with ≥ 5 orders, split at the group's median incident date",
        "control_orders_per_30d_before": c_before,
        "control_orders_per_30d_after": c_after,
        "customer_ids": group["customer_id"].tolist(),
        "incidents": [
            {
                "customer_id": c,
                "order_id": o,
                "return_id": str(by_order.get(o, "")),
                "incident_date": t.isoformat(sep=" "),
            }
            for c, o, t in zip(group["customer_id"], group["order_id"], incident, strict=True)
        ],
    }
