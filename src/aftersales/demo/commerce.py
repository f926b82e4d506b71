"""Customers and orders of the demo merchant, vectorised with numpy, with the planted truths built in.

Internal helper columns start with an underscore; the writer keeps only the canonical columns of DESIGN.md §4.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from aftersales.demo import catalog, people

SECONDS_PER_DAY = 86_400
# Returns of the last weeks are still arriving; rates leave them out so the tail does not look improved.
MATURITY_DAYS = 30
REASON_INDEX = {r: i for i, r in enumerate(catalog.REASONS)}


@dataclass(frozen=True)
class Plan:
    """The calendar of one generated data set: window, planted-truth dates and sizes."""

    start: dt.date
    end: dt.date
    n_days: int
    spike_start: dt.date
    spike_end: dt.date  # inclusive
    improvement_date: dt.date
    group_size: int

    @property
    def end_ts(self) -> np.datetime64:
        """Last second of the window (end date 23:59:59, local time)."""
        return np.datetime64(self.end, "s") + np.timedelta64(SECONDS_PER_DAY - 1, "s")


def _months_back(end: dt.date, months: int) -> dt.date:
    """The day after `end` minus `months` calendar months (so the window holds exactly that many months)."""
    year, month = divmod(end.year * 12 + end.month - 1 - months, 12)
    day = min(end.day, [31, 29 if _leap(year) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month])
    return dt.date(year, month + 1, day) + dt.timedelta(days=1)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _next_monday(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(7 - day.weekday()) % 7)


def _busy_days(start: dt.date, end: dt.date) -> set[dt.date]:
    """Promotion and Spring Festival days, which a clean planted spike should not overlap."""
    busy: set[dt.date] = set()
    for year in range(start.year, end.year + 2):
        sf = catalog.spring_festival(year)
        busy.update(sf + dt.timedelta(days=k) for k in range(-3, 7))
        for _name, first, last, _mult, _peak in catalog.promotion_windows(year):
            busy.update(first + dt.timedelta(days=k) for k in range((last - first).days + 1))
    return busy


def _quiet_monday(start: dt.date, n_days: int) -> dt.date:
    """The first Monday from ~62% of the window whose four weeks avoid promotions and the Spring Festival."""
    busy = _busy_days(start, start + dt.timedelta(days=n_days))
    first = _next_monday(start + dt.timedelta(days=int(n_days * 0.62)))
    latest = start + dt.timedelta(days=int(n_days * 0.85))
    monday = first
    while monday <= latest:
        if not any(monday + dt.timedelta(days=k) in busy for k in range(28)):
            return monday
        monday += dt.timedelta(days=7)
    return _next_monday(start + dt.timedelta(days=int(n_days * 0.70)))


def make_plan(end: dt.date, months: int, n_customers: int, group_size: int | None = None) -> Plan:
    """Place the planted truths at fixed fractions of the window so every size and end date shows them."""
    start = _months_back(end, months)
    n_days = (end - start).days + 1
    spike_start = _quiet_monday(start, n_days)
    improvement = _next_monday(start + dt.timedelta(days=int(n_days * 0.52)))
    size = group_size if group_size is not None else max(10, round(n_customers * 0.03))
    return Plan(start, end, n_days, spike_start, spike_start + dt.timedelta(days=27), improvement, size)


def day_weights(plan: Plan) -> tuple[np.ndarray, np.ndarray]:
    """Relative demand per day (weekdays, growth, promotions, Spring Festival lull) and the promotion name."""
    dates = pd.date_range(plan.start, plan.end, freq="D")
    weights = np.asarray(catalog.WEEKDAY_FACTOR)[dates.dayofweek.to_numpy()]
    weights = weights * (1.0 + 0.18 * np.arange(plan.n_days) / plan.n_days)
    promo = np.full(plan.n_days, "", dtype=object)
    day_index = (dates - pd.Timestamp(plan.start)).days.to_numpy()
    for year in range(plan.start.year, plan.end.year + 2):
        sf = catalog.spring_festival(year)
        lull = (dates >= pd.Timestamp(sf - dt.timedelta(days=3))) & (dates <= pd.Timestamp(sf + dt.timedelta(days=6)))
        weights[lull] *= 0.45
        for name, first, last, mult, peak in catalog.promotion_windows(year):
            inside = (dates >= pd.Timestamp(first)) & (dates <= pd.Timestamp(last))
            if not inside.any():
                continue
            weights[inside] *= mult
            promo[inside] = name
            peak_days = 1 if name == "双12" else 2
            tail = day_index[inside][-peak_days:] if (dates[inside][-1].date() == last) else []
            for d in tail:
                weights[d] *= peak / mult
    return weights, promo


def make_customers(rng: np.random.Generator, n: int, plan: Plan, weights: np.ndarray) -> pd.DataFrame:
    """Customers with region, tier, writing language, activity rate, join day and (for some) a lapse day."""
    ids = [f"C{i:06d}" for i in range(1, n + 1)]
    region = rng.choice(len(catalog.REGIONS), size=n, p=np.asarray(catalog.REGION_WEIGHTS))
    vip = rng.random(n) < 0.08
    u = rng.random(n)
    lang = np.where(u < 0.09, "en", np.where(u < 0.14, "mixed", np.where(u < 0.17, "trad", "zh")))
    names = people.chinese_names(rng, n)
    en_names = people.english_names(rng, n)
    names = [e if lg == "en" else z for z, e, lg in zip(names, en_names, lang.tolist(), strict=True)]
    before = rng.random(n) < 0.55
    cdf = np.cumsum(weights[: max(plan.n_days - 20, 1)])
    during = np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right")
    join_day = np.where(before, -rng.integers(1, 1100, size=n), during)
    join_seconds = rng.integers(0, 300, size=n)
    joined_at = (
        np.datetime64(plan.start, "s")
        + join_day.astype("timedelta64[D]").astype("timedelta64[s]")
        + join_seconds.astype("timedelta64[s]")
    )
    rate = rng.gamma(1.6, 3.0, size=n) * np.where(vip, 2.6, 1.0)
    lapses = rng.random(n) < 0.12
    last_day = np.where(lapses, rng.integers(30, plan.n_days, size=n), plan.n_days - 1)
    return pd.DataFrame(
        {
            "customer_id": ids,
            "name": names,
            "tier": np.where(vip, "vip", "regular"),
            "region": np.asarray(catalog.REGIONS)[region],
            "joined_at": joined_at,
            "phone": people.masked_phones(rng, n),
            "email": people.demo_emails(ids),
            "_region": region,
            "_vip": vip,
            "_lang": lang,
            "_rate": rate,
            "_first_day": np.clip(join_day, 0, None),
            "_last_day": last_day,
            "_new": ~before,
        }
    )


def make_orders(
    rng: np.random.Generator, customers: pd.DataFrame, plan: Plan, weights: np.ndarray, promo: np.ndarray
) -> pd.DataFrame:
    """Orders drawn per customer from the daily demand curve between their first and last active day."""
    c0 = np.concatenate([[0.0], np.cumsum(weights)])
    first = customers["_first_day"].to_numpy()
    last = customers["_last_day"].to_numpy()
    last = np.maximum(last, first)
    mass = c0[last + 1] - c0[first]
    expected = customers["_rate"].to_numpy() * mass / (weights.mean() * 365.0)
    counts = rng.poisson(expected)
    counts = np.where(customers["_new"].to_numpy(), np.maximum(counts, 1), counts)
    cust = np.repeat(np.arange(len(customers)), counts)
    n = len(cust)
    u = c0[first[cust]] + rng.random(n) * mass[cust]
    day = np.clip(np.searchsorted(c0, u, side="right") - 1, first[cust], last[cust])
    hour_p = np.asarray(catalog.HOUR_WEIGHTS) / sum(catalog.HOUR_WEIGHTS)
    hour = rng.choice(24, size=n, p=hour_p)
    day_promo = promo[day]
    dates = np.datetime64(plan.start, "D") + day.astype("timedelta64[D]")
    md = pd.DatetimeIndex(dates)
    midnight_rush = (md.month == 11) & (md.day == 11) & (rng.random(n) < 0.35)
    hour = np.where(midnight_rush, 0, hour)
    secs = hour * 3600 + rng.integers(0, 3600, size=n)
    ordered_at = dates.astype("datetime64[s]") + secs.astype("timedelta64[s]")

    sku_p = np.array(
        [
            catalog.CATEGORY_WEIGHTS[catalog.CATEGORIES.index(s.category)]
            * s.popularity
            / sum(x.popularity for x in catalog.SKUS if x.category == s.category)
            for s in catalog.SKUS
        ]
    )
    sku_idx = rng.choice(len(catalog.SKUS), size=n, p=sku_p / sku_p.sum())
    price = np.array([s.price for s in catalog.SKUS])[sku_idx]
    bulk = np.isin(np.array([s.sku for s in catalog.SKUS])[sku_idx], ["BA-701", "BA-705", "AP-301", "MA-202"])
    qty = np.where(
        bulk,
        rng.choice([1, 2, 3, 4], size=n, p=[0.55, 0.28, 0.12, 0.05]),
        rng.choice([1, 2, 3], size=n, p=[0.87, 0.1, 0.03]),
    )
    in_promo = day_promo != ""
    full_price = rng.random(n) < 0.55
    discount = np.where(
        in_promo, rng.uniform(0.72, 0.92, size=n), np.where(full_price, 1.0, rng.uniform(0.9, 1.0, size=n))
    )
    amount = np.round(price * qty * discount, 2)

    region = customers["_region"].to_numpy()[cust]
    big_sale = np.isin(day_promo, ["618", "双11"])
    processing = 0.3 + rng.gamma(2.0, 0.35, size=n) + np.where(big_sale, rng.uniform(0.8, 3.0, size=n), 0.0)
    transit = np.asarray(catalog.REGION_TRANSIT_DAYS)[region] * rng.gamma(4.0, 0.25, size=n)
    spike = spike_mask(plan, region, day)
    transit = transit + np.where(spike, rng.uniform(3.0, 7.0, size=n), 0.0)
    deliver_day = np.maximum(np.floor(day + hour / 24.0 + processing + transit).astype(np.int64), day + 1)
    deliver_secs = rng.integers(9 * 3600, 20 * 3600, size=n)
    delivered_at = (
        np.datetime64(plan.start, "s")
        + deliver_day.astype("timedelta64[D]").astype("timedelta64[s]")
        + deliver_secs.astype("timedelta64[s]")
    )
    delivered_at = np.where(delivered_at > plan.end_ts, np.datetime64("NaT"), delivered_at)

    skus = catalog.SKUS
    frame = pd.DataFrame(
        {
            "customer_id": customers["customer_id"].to_numpy()[cust],
            "ordered_at": ordered_at,
            "sku": [skus[i].sku for i in sku_idx.tolist()],
            "product_name": [skus[i].name for i in sku_idx.tolist()],
            "category": [skus[i].category for i in sku_idx.tolist()],
            "region": np.asarray(catalog.REGIONS)[region],
            "channel": rng.choice(
                np.asarray(catalog.ORDER_CHANNELS), size=n, p=np.asarray(catalog.ORDER_CHANNEL_WEIGHTS)
            ),
            "quantity": qty,
            "amount": amount,
            "delivered_at": pd.to_datetime(delivered_at),
            "promotion": np.where(in_promo, day_promo, None),
            "_cust": cust,
            "_sku": sku_idx,
            "_region": region,
            "_day": day,
            "_spike": spike,
        }
    )
    frame = frame.sort_values(["ordered_at", "customer_id"], kind="stable").reset_index(drop=True)
    frame.insert(0, "order_id", [f"O{i:07d}" for i in range(1, len(frame) + 1)])
    return frame


def spike_mask(plan: Plan, region: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Orders placed in the spike region during the spike weeks (planted truth 1)."""
    first = (plan.spike_start - plan.start).days
    last = (plan.spike_end - plan.start).days
    spike_region = catalog.REGIONS.index(catalog.SPIKE_REGION)
    return np.asarray((region == spike_region) & (day >= first) & (day <= last))


def plant_falling_frequency(
    rng: np.random.Generator, orders: pd.DataFrame, customers: pd.DataFrame, plan: Plan
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pick customers with a bad-service incident mid-window and thin their later orders (planted truth 3)."""
    o = orders
    k = o.groupby("_cust").cumcount().to_numpy()
    n_per = o.groupby("_cust")["_cust"].transform("size").to_numpy()
    lapsed = customers["_last_day"].to_numpy() < plan.n_days - 1
    day = o["_day"].to_numpy()
    eligible = (
        (k >= 2)
        & (n_per - k - 1 >= 2)
        & (day >= int(plan.n_days * 0.28))
        & (day <= int(plan.n_days * 0.60))
        & ~lapsed[o["_cust"].to_numpy()]
        & o["delivered_at"].notna().to_numpy()
        & ~o["_spike"].to_numpy()
    )
    cand = o.loc[eligible, ["order_id", "customer_id", "_cust", "delivered_at"]].copy()
    cand["_key"] = rng.random(len(cand))
    cand = cand.sort_values("_key", kind="stable").drop_duplicates("_cust").sort_values("customer_id")
    chosen_idx = np.sort(rng.permutation(len(cand))[: plan.group_size])
    group = cand.iloc[chosen_idx].drop(columns="_key").reset_index(drop=True)
    m = len(group)
    requested = group["delivered_at"] + pd.to_timedelta(rng.uniform(0.6, 3.0, size=m) * SECONDS_PER_DAY, unit="s")
    resolved = requested + pd.to_timedelta(rng.uniform(5.0, 9.0, size=m) * SECONDS_PER_DAY, unit="s")
    group["requested_at"] = requested.dt.floor("s")
    group["incident_at"] = resolved.dt.floor("s")
    incident_by_cust = pd.Series(group["incident_at"].to_numpy(), index=group["_cust"].to_numpy())
    cutoff = o["_cust"].map(incident_by_cust)
    after = cutoff.notna() & (o["ordered_at"] > cutoff)
    drop = after.to_numpy() & (rng.random(len(o)) < 0.85)
    kept = o.loc[~drop].reset_index(drop=True)
    kept["order_id"] = [f"O{i:07d}" for i in range(1, len(kept) + 1)]
    # Order ids are renumbered after thinning, so re-find the incident orders through the old ids.
    key = o.loc[~drop, "order_id"].reset_index(drop=True)
    remap = dict(zip(key.tolist(), kept["order_id"].tolist(), strict=True))
    group["order_id"] = group["order_id"].map(remap)
    return kept, group.drop(columns=["delivered_at"])
