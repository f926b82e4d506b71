"""Returns, exchanges and refund-only requests as competing per-reason hazards; planted truths 1 and 2."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from aftersales.demo import catalog
from aftersales.demo.commerce import MATURITY_DAYS, REASON_INDEX, SECONDS_PER_DAY, Plan
from aftersales.vocab import Reason

R = Reason
# Days from delivery to the request: (minimum, exponential mean, cap). Damage shows at once, defects later.
_REQUEST_DELAY: dict[Reason, tuple[float, float, float]] = {
    R.DAMAGED_IN_TRANSIT: (0.05, 0.6, 3),
    R.WRONG_ITEM: (0.05, 0.8, 5),
    R.MISSING_PARTS: (0.1, 1.0, 7),
    R.SIZE_FIT: (0.3, 1.8, 7),
    R.CHANGED_MIND: (0.2, 2.5, 7),
    R.NOT_AS_DESCRIBED: (0.2, 2.0, 10),
    R.QUALITY_DEFECT: (1.0, 9.0, 60),
    R.HARD_TO_USE: (0.5, 4.0, 20),
    R.COUNTERFEIT: (0.3, 3.0, 20),
    R.PRICE: (0.5, 4.0, 15),
    R.SERVICE_ATTITUDE: (0.5, 3.0, 15),
    R.OTHER: (0.3, 3.0, 15),
}
# P(return, exchange, refund_only) by reason.
_TYPE_MIX: dict[Reason, tuple[float, float, float]] = {
    R.SIZE_FIT: (0.35, 0.65, 0.0),
    R.QUALITY_DEFECT: (0.55, 0.30, 0.15),
    R.DAMAGED_IN_TRANSIT: (0.45, 0.20, 0.35),
    R.WRONG_ITEM: (0.40, 0.50, 0.10),
    R.MISSING_PARTS: (0.25, 0.15, 0.60),
    R.NOT_AS_DESCRIBED: (0.75, 0.10, 0.15),
    R.LOGISTICS_DELAY: (0.70, 0.0, 0.30),
    R.HARD_TO_USE: (0.85, 0.10, 0.05),
    R.CHANGED_MIND: (0.95, 0.05, 0.0),
    R.PRICE: (0.50, 0.0, 0.50),
    R.COUNTERFEIT: (0.80, 0.0, 0.20),
    R.SERVICE_ATTITUDE: (0.70, 0.10, 0.20),
    R.OTHER: (0.70, 0.10, 0.20),
}
_INCIDENT_REASONS = (
    R.QUALITY_DEFECT,
    R.DAMAGED_IN_TRANSIT,
    R.NOT_AS_DESCRIBED,
    R.MISSING_PARTS,
    R.WRONG_ITEM,
)
SPIKE_FACTOR = 2.5
TYPES = np.array(["return", "exchange", "refund_only"])


def hazards(orders: pd.DataFrame, customers: pd.DataFrame, plan: Plan) -> np.ndarray:
    """Per-order, per-reason return probabilities (rows × `catalog.REASONS`), planted truths included."""
    mix = np.array([catalog.reason_mix(s) for s in catalog.SKUS])
    base = np.array([catalog.CATEGORY_RETURN_RATE[s.category] * s.return_factor for s in catalog.SKUS])
    sku = orders["_sku"].to_numpy()
    p: np.ndarray = base[sku][:, None] * mix[sku]
    promo = orders["promotion"].notna().to_numpy()
    col = REASON_INDEX
    p[promo, col[R.CHANGED_MIND]] *= 2.0
    p[promo, col[R.SIZE_FIT]] *= 1.2
    p[promo, col[R.PRICE]] *= 1.5
    p[customers["_vip"].to_numpy()[orders["_cust"].to_numpy()]] *= 0.9
    remote = np.isin(orders["_region"].to_numpy(), [catalog.REGIONS.index("西北"), catalog.REGIONS.index("东北")])
    p[remote, col[R.DAMAGED_IN_TRANSIT]] *= 1.3
    p[remote, col[R.LOGISTICS_DELAY]] *= 1.5
    # Planted truth 2: after the manual redesign, far fewer buyers of the SKU give up on using it.
    improved = (orders["sku"].to_numpy() == catalog.IMPROVED_SKU) & (
        orders["ordered_at"].to_numpy() >= np.datetime64(plan.improvement_date, "s")
    )
    p[improved, col[R.HARD_TO_USE]] *= 0.2
    # Planted truth 1: the failing courier lifts the region's return rate to SPIKE_FACTOR × its usual average,
    # the extra returns being transit damage and delays.
    spike = orders["_spike"].to_numpy()
    in_region = orders["region"].to_numpy() == catalog.SPIKE_REGION
    usual = p[in_region & ~spike].sum(axis=1).mean() if (in_region & ~spike).any() else 0.08
    own = p[spike].sum(axis=1)
    extra = own * max(SPIKE_FACTOR * usual / max(own.mean(), 1e-9) - 1.0, 0.0) if spike.any() else own
    p[spike, col[R.DAMAGED_IN_TRANSIT]] += 0.6 * extra
    p[spike, col[R.LOGISTICS_DELAY]] += 0.4 * extra
    return p


def _categorical(rng: np.random.Generator, p: np.ndarray) -> np.ndarray:
    """One column index per row, drawn with probability proportional to the row's weights."""
    if len(p) == 0:
        return np.zeros(0, dtype=np.int64)
    cum = np.cumsum(p, axis=1)
    u = rng.random(len(p)) * cum[:, -1]
    picked: np.ndarray = np.minimum((u[:, None] >= cum).sum(axis=1), p.shape[1] - 1)
    return picked


def _choose(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """k positions drawn without replacement, probability proportional to weight (Efraimidis–Spirakis)."""
    keys = np.log(rng.random(len(weights))) / np.maximum(weights, 1e-12)
    return np.argsort(-keys, kind="stable")[:k]


def _strata(orders: pd.DataFrame, plan: Plan) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Order groups whose planted effect must not drown in noise: spike weeks, planted SKU periods."""
    ordered = orders["ordered_at"].to_numpy()
    improve = np.datetime64(plan.improvement_date, "s")
    mature = np.datetime64(plan.end - dt.timedelta(days=MATURITY_DAYS), "s")
    periods = [ordered < improve, (ordered >= improve) & (ordered < mature), ordered >= mature]
    sku = orders["sku"].to_numpy()
    spike = orders["_spike"].to_numpy()
    planted = [(sku == s) & period & ~spike for s in (catalog.IMPROVED_SKU, catalog.PLACEBO_SKU) for period in periods]
    return [spike], planted


def _draw(
    rng: np.random.Generator, p: np.ndarray, strata: tuple[list[np.ndarray], list[np.ndarray]]
) -> tuple[np.ndarray, np.ndarray]:
    """Which orders return and the reason index of every order.

    Orders return independently, except inside the planted strata: there the number of returns (spike
    weeks) or of hard_to_use returns (planted SKU periods) is its expected value, so the data shows the
    designed effect.
    """
    total = p.sum(axis=1)
    returned = rng.random(len(p)) < total
    reason = _categorical(rng, p)
    exact_total, exact_hard = strata
    for mask in exact_total:
        idx = np.flatnonzero(mask)
        chosen = idx[_choose(rng, total[idx], round(float(total[idx].sum())))]
        returned[idx] = False
        returned[chosen] = True
    hard = REASON_INDEX[R.HARD_TO_USE]
    for mask in exact_hard:
        idx = np.flatnonzero(mask)
        other = p[idx].copy()
        other[:, hard] = 0.0
        by_other = rng.random(len(idx)) < other.sum(axis=1)
        reason[idx] = _categorical(rng, other + 1e-12)
        free = idx[~by_other]
        chosen = free[_choose(rng, p[free, hard], round(float(p[idx, hard].sum())))]
        returned[idx] = by_other
        returned[chosen] = True
        reason[chosen] = hard
    return returned, reason


def make_returns(
    rng: np.random.Generator,
    orders: pd.DataFrame,
    customers: pd.DataFrame,
    plan: Plan,
    group: pd.DataFrame,
) -> pd.DataFrame:
    """Draw which orders come back, why, as what type, when, and how each case ends."""
    p = hazards(orders, customers, plan)
    returned, reason_all = _draw(rng, p, _strata(orders, plan))
    incident = orders["order_id"].isin(group["order_id"]).to_numpy()
    forced = np.zeros_like(p[incident])
    for r in _INCIDENT_REASONS:
        forced[:, REASON_INDEX[r]] = p[incident, REASON_INDEX[r]] + 1e-6
    returned |= incident
    reason_all[incident] = _categorical(rng, forced)
    idx = np.flatnonzero(returned)
    reasons = np.asarray(catalog.REASONS, dtype=object)[reason_all[idx]]
    o = orders.iloc[idx].reset_index(drop=True)
    m = len(o)
    inc = incident[idx]

    delay_days = np.zeros(m)
    u = rng.random(m)
    for r, (lo, mean, cap) in _REQUEST_DELAY.items():
        sel = reasons == r
        delay_days[sel] = np.minimum(lo - mean * np.log1p(-u[sel]), cap)
    delivered = o["delivered_at"].to_numpy()
    ordered = o["ordered_at"].to_numpy()
    requested = delivered + (delay_days * SECONDS_PER_DAY).astype("timedelta64[s]")
    late = reasons == R.LOGISTICS_DELAY
    waited = (rng.uniform(3.0, 7.5, size=m) * SECONDS_PER_DAY).astype("timedelta64[s]")
    requested = np.where(late, ordered + waited, requested)
    by_cust = group.set_index("order_id")
    if inc.any():
        requested[inc] = by_cust.loc[o.loc[inc, "order_id"], "requested_at"].to_numpy()

    type_u = rng.random(m)
    type_i = np.zeros(m, dtype=np.int64)
    for r, (ret, exch, _ref) in _TYPE_MIX.items():
        sel = reasons == r
        type_i[sel] = np.where(type_u[sel] < ret, 0, np.where(type_u[sel] < ret + exch, 1, 2))
    rtype = TYPES[type_i]

    vip = customers["_vip"].to_numpy()[o["_cust"].to_numpy()]
    spike = o["_spike"].to_numpy()
    tier_u = rng.random(m)
    p_bad = 0.04 + 0.05 * spike
    p_bumpy = 0.20 + 0.30 * spike - 0.05 * vip
    tier = np.where(tier_u < p_bad, "bad", np.where(tier_u < p_bad + p_bumpy, "bumpy", "smooth"))
    tier = np.where(inc, "bad", tier)

    base_days = np.select(
        [rtype == "refund_only", rtype == "return"],
        [rng.gamma(2.0, 0.8, size=m), 3.0 + rng.gamma(3.0, 1.2, size=m)],
        4.0 + rng.gamma(3.0, 1.6, size=m),
    )
    duration = np.select([tier == "bumpy", tier == "bad"], [base_days * 1.8 + 2.0, base_days * 2.5 + 4.0], base_days)
    resolved = requested + (duration * SECONDS_PER_DAY).astype("timedelta64[s]")
    if inc.any():
        resolved[inc] = by_cust.loc[o.loc[inc, "order_id"], "incident_at"].to_numpy()

    overdue_mind = (reasons == R.CHANGED_MIND) & (delay_days > 6.5)
    rejected = (
        overdue_mind
        | ((tier == "bad") & (rng.random(m) < 0.4))
        | (rng.random(m) < 0.015)
        | (inc & (rng.random(m) < 0.6))
    )
    closed_unpaid = inc & ~rejected
    open_ = (resolved > plan.end_ts) & ~inc
    progress = (plan.end_ts - requested).astype(np.float64) / np.maximum((resolved - requested).astype(np.float64), 1.0)
    open_status = np.where(
        progress < 0.2,
        "requested",
        np.where((progress < 0.6) | (rtype == "refund_only"), "approved", "received"),
    )
    done_status = np.where(rtype == "exchange", "exchanged", "refunded")
    done_status = np.where(rng.random(m) < 0.1, "closed", done_status)
    status = np.where(
        open_,
        open_status,
        np.where(rejected | closed_unpaid, np.where(rejected, "rejected", "closed"), done_status),
    )

    amount = o["amount"].to_numpy()
    refund = np.select(
        [rtype == "exchange", (reasons == R.PRICE) & (rtype == "refund_only"), rtype == "refund_only"],
        [np.zeros(m), amount * rng.uniform(0.05, 0.2, size=m), amount * rng.uniform(0.3, 1.0, size=m)],
        np.where(reasons == R.CHANGED_MIND, np.maximum(amount - 10.0, 0.0), amount),
    )
    refund = np.where(rejected | closed_unpaid, 0.0, np.round(refund, 2))
    refund = np.where(open_, np.nan, refund)

    frame = pd.DataFrame(
        {
            "order_id": o["order_id"].to_numpy(),
            "requested_at": pd.to_datetime(requested).floor("s"),
            "customer_id": o["customer_id"].to_numpy(),
            "type": rtype,
            "reason_code": [str(r) for r in reasons],
            "reason_text": "",
            "status": status,
            "resolved_at": pd.to_datetime(np.where(open_, np.datetime64("NaT"), resolved)).floor("s"),
            "refund_amount": refund,
            "sku": o["sku"].to_numpy(),
            "region": o["region"].to_numpy(),
            "_tier": tier,
            "_incident": inc,
            "_spike": spike,
            "_cust": o["_cust"].to_numpy(),
            "_sku": o["_sku"].to_numpy(),
            "_delivered_at": o["delivered_at"].to_numpy(),
            "_ordered_at": ordered,
            "_amount": amount,
        }
    )
    frame = frame[frame["requested_at"] <= pd.Timestamp(plan.end_ts)]
    frame = frame.sort_values(["requested_at", "order_id"], kind="stable").reset_index(drop=True)
    frame.insert(0, "return_id", [f"R{i:06d}" for i in range(1, len(frame) + 1)])
    return frame
