"""The feature engine: behaviour features for many (customer, moment) pairs at once, with merges and group-bys.

One engine, `features_at`, serves every caller: all customers at one `as_of` (`features.customer_features`), message
moments in bulk or one at a time (`compute`), and one row per case or return at its own moment (churn training).
Sharing the code path is what keeps the model's training features identical to the ones it scores. Each point sees only
rows at or before its own as_of. Definitions: docs/signals.md.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from aftersales.signals.frames import CLOSED_STATUSES, Frames

DAY = pd.Timedelta(days=1)
HOUR = pd.Timedelta(hours=1)
RECENT_ORDER_DAYS = 90  # purchase-frequency window; the baseline is everything before it
CHANNEL_WINDOW_DAYS = 30  # channel path and escalation look at this many days
LAST_ANALYSED = 5  # emotion trend and negative share use the customer's last ≤ 5 analysed messages
PUBLIC_CHANNELS = frozenset({"review", "social"})
# The escalation ladder: private written channels, then the phone, then public channels (the seeds' 投诉 path).
CHANNEL_LEVEL: dict[str, int] = {
    "chat": 1, "email": 1, "ticket": 1, "return_form": 1, "survey": 1,
    "phone": 2,
    "social": 3, "review": 3,
}  # fmt: skip

# Numeric features in a fixed order: the churn model's inputs and the columns every caller can rely on.
FEATURES: tuple[str, ...] = (
    "contacts_7d",
    "contacts_30d",
    "open_cases",
    "oldest_unresolved_case_age_hours",
    "reopen_count",
    "open_reopened_cases",
    "negative_reviews",
    "negative_public_while_open",
    "channel_escalation",
    "escalated_to",
    "emotion_trend",
    "recent_negative_share",
    "purchase_frequency_ratio",
    "purchase_frequency_z",
    "orders_90d",
    "orders_total",
    "returns_total",
    "return_frequency",
    "days_since_last_order",
    "tenure_days",
)
# The churn model's inputs: FEATURES minus near-duplicates (orders_90d ~ the ratio, escalated_to ~ the flag ...), whose
# shared credit would otherwise give explanations with baffling signs ("more recent orders raise churn risk").
MODEL_FEATURES: tuple[str, ...] = (
    "contacts_7d",
    "contacts_30d",
    "open_cases",
    "oldest_unresolved_case_age_hours",
    "reopen_count",
    "negative_reviews",
    "channel_escalation",
    "emotion_trend",
    "recent_negative_share",
    "purchase_frequency_z",
    "orders_total",
    "return_frequency",
    "days_since_last_order",
    "tenure_days",
)
COUNT_FEATURES = frozenset(
    {
        "contacts_7d", "contacts_30d", "open_cases", "reopen_count", "open_reopened_cases", "negative_reviews",
        "negative_public_while_open", "escalated_to", "orders_90d", "orders_total", "returns_total",
    }
)  # fmt: skip


def as_timestamp(value: dt.datetime | pd.Timestamp | str) -> pd.Timestamp:
    """A naive-UTC Timestamp, so an aware datetime from a caller compares correctly with the naive-UTC data."""
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts


def attach(frame: pd.DataFrame, time_col: str, points: pd.DataFrame) -> pd.DataFrame:
    """Rows of `frame` joined to every point of their customer, keeping only rows at or before that point's as_of."""
    ev = frame.merge(points, on="customer_id", how="inner", sort=False)
    return ev[ev[time_col] <= ev["as_of"]]


def count_per_point(ev: pd.DataFrame, mask: pd.Series | None, n: int) -> np.ndarray:
    """Rows per point (0 where none), optionally only where `mask` holds."""
    sel = ev if mask is None else ev[mask]
    return np.bincount(sel["point"].to_numpy(dtype=np.int64), minlength=n)


def dense(values: pd.Series, n: int, fill: float = np.nan) -> np.ndarray:
    """A point-indexed Series as a dense float array of length n."""
    out = np.full(n, fill, dtype="float64")
    out[values.index.to_numpy(dtype=np.int64)] = values.to_numpy(dtype="float64")
    return out


def _first_time(ev: pd.DataFrame, col: str, n: int, *, latest: bool = False) -> np.ndarray:
    """Earliest (or latest) time per point as a datetime64 array, NaT where the point has no rows."""
    grouped = ev.groupby("point")[col]
    found = grouped.max() if latest else grouped.min()
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    out[found.index.to_numpy(dtype=np.int64)] = found.to_numpy(dtype="datetime64[ns]")
    return out


def open_case_mask(cases: pd.DataFrame, as_of: pd.Series | pd.Timestamp) -> pd.Series:
    """Cases still unresolved at as_of: opened by then and not resolved by then (see docs/signals.md for reopens)."""
    resolved_later = cases["resolved_at"].notna() & (cases["resolved_at"] > as_of)
    # Without a resolution time after as_of, trust the current status (a reopened case keeps its old resolved_at).
    still_open = ~cases["status"].isin(CLOSED_STATUSES)
    return (cases["opened_at"] <= as_of) & (resolved_later | still_open)


def _message_features(msgs: pd.DataFrame, n: int, open_since: np.ndarray) -> dict[str, np.ndarray]:
    """Contact counts, negative public messages, channel path/escalation, emotion trend and negative share."""
    out: dict[str, np.ndarray] = {}
    age = msgs["as_of"] - msgs["created_at"]
    out["contacts_7d"] = count_per_point(msgs, age < 7 * DAY, n)
    out["contacts_30d"] = count_per_point(msgs, age < 30 * DAY, n)
    negative_public = (msgs["polarity"] == "negative") & msgs["channel"].isin(PUBLIC_CHANNELS)
    out["negative_reviews"] = count_per_point(msgs, negative_public, n)
    since = open_since[msgs["point"].to_numpy(dtype=np.int64)]
    out["negative_public_while_open"] = count_per_point(msgs, negative_public & (msgs["created_at"] >= since), n)

    recent = msgs[(age < CHANNEL_WINDOW_DAYS * DAY) & msgs["channel"].notna()]
    recent = recent.sort_values(["point", "created_at"], kind="stable")
    first_use = recent.drop_duplicates(["point", "channel"])
    paths = first_use.groupby("point", sort=False)["channel"].agg(tuple)
    path_col = np.empty(n, dtype=object)
    path_col[:] = [()] * n
    path_col[paths.index.to_numpy(dtype=np.int64)] = paths.to_list()
    out["channel_path"] = path_col
    # A move up the ladder = a message on a higher level than every earlier message in the window.
    laddered = recent.assign(level=recent["channel"].map(CHANNEL_LEVEL)).dropna(subset=["level"])
    lowest_before = laddered.groupby("point", sort=False)["level"].cummin().groupby(laddered["point"]).shift()
    up = laddered["level"] > lowest_before
    escalated_to = laddered[up].groupby("point")["level"].max()
    out["escalated_to"] = np.nan_to_num(dense(escalated_to, n), nan=0.0).astype(np.int64)
    out["channel_escalation"] = out["escalated_to"] > 0

    analysed = msgs[msgs["polarity_score"].notna()].sort_values(["point", "created_at"], kind="stable")
    last = analysed.groupby("point", sort=False).tail(LAST_ANALYSED)
    x = last.groupby("point", sort=False).cumcount().astype("float64")
    y = last["polarity_score"]
    sums = (
        pd.DataFrame(
            {
                "point": last["point"],
                "n": 1.0,
                "x": x,
                "y": y,
                "xy": x * y,
                "xx": x * x,
                "neg": (last["polarity"] == "negative").astype("float64"),
            }
        )
        .groupby("point")
        .sum()
    )
    k = sums["n"]
    denominator = k * sums["xx"] - sums["x"] ** 2
    # Least-squares slope per message index; needs two points (denominator 0 otherwise).
    slope = (k * sums["xy"] - sums["x"] * sums["y"]) / denominator.where(k >= 2)
    out["emotion_trend"] = dense(slope, n)
    out["recent_negative_share"] = dense(sums["neg"] / k, n)
    return out


def _order_features(orders: pd.DataFrame, points: pd.DataFrame) -> dict[str, np.ndarray]:
    """Order counts, recency, and recent vs. own-baseline purchase frequency."""
    n = len(points)
    as_of = points["as_of"]
    window_start = as_of - RECENT_ORDER_DAYS * DAY
    in_window = orders["ordered_at"] > orders["as_of"] - RECENT_ORDER_DAYS * DAY
    total = count_per_point(orders, None, n)
    recent = count_per_point(orders, in_window, n)
    first = _first_time(orders, "ordered_at", n)
    last = _first_time(orders, "ordered_at", n, latest=True)
    baseline_days = ((window_start.to_numpy() - first) / DAY).astype("float64")
    baseline_orders = total - recent
    usable = (baseline_days >= RECENT_ORDER_DAYS) & (baseline_orders > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = baseline_orders / baseline_days * RECENT_ORDER_DAYS
        ratio = recent / expected
        # The ratio cannot tell "0 of 0.8 expected orders" (noise) from "0 of 6" (a real drop); the Poisson z-score can.
        z = (recent - expected) / np.sqrt(expected)
    return {
        "orders_total": total,
        "orders_90d": recent,
        "purchase_frequency_ratio": np.where(usable, ratio, np.nan),
        "purchase_frequency_z": np.where(usable, z, np.nan),
        "days_since_last_order": ((as_of.to_numpy() - last) / DAY).astype("float64"),
        "_first_order": first,
    }


def _case_features(cases: pd.DataFrame, n: int) -> dict[str, np.ndarray]:
    """Open cases, their age, reopens, and when the oldest open case began (for 'while a case is open' rules)."""
    is_open = open_case_mask(cases, cases["as_of"])
    open_rows = cases[is_open]
    open_since = _first_time(open_rows, "opened_at", n)
    age = (open_rows["as_of"] - open_rows["opened_at"]) / HOUR
    reopens = cases.groupby("point")["reopen_count"].sum()
    return {
        "open_cases": count_per_point(cases, is_open, n),
        "oldest_unresolved_case_age_hours": dense(age.groupby(open_rows["point"]).max(), n),
        "reopen_count": dense(reopens, n, 0.0).astype(np.int64),
        "open_reopened_cases": count_per_point(cases, is_open & (cases["reopen_count"] > 0), n),
        "_open_since": open_since,
    }


def numbered_points(points: pd.DataFrame) -> pd.DataFrame:
    """points as (point 0..n-1, customer_id as str, as_of as naive UTC datetime64[ns]): the join keys of the engine."""
    as_of = pd.to_datetime(points["as_of"])
    if isinstance(as_of.dtype, pd.DatetimeTZDtype):
        as_of = as_of.dt.tz_convert("UTC").dt.tz_localize(None)
    return pd.DataFrame(
        {
            "point": np.arange(len(points), dtype=np.int64),
            "customer_id": points["customer_id"].astype(str).to_numpy(dtype=object),
            "as_of": as_of.astype("datetime64[ns]").to_numpy(),
        }
    )


def features_at(points: pd.DataFrame, frames: Frames) -> pd.DataFrame:
    """Features for each row of `points` (customer_id, as_of) from the tidy frames, in the order of `points`."""
    pts = numbered_points(points)
    n = len(pts)
    customers, messages, orders, returns, cases = frames.as_tuple()
    case_f = _case_features(attach(cases, "opened_at", pts), n)
    msgs = attach(messages[messages["author"] == "customer"], "created_at", pts)
    msg_f = _message_features(msgs, n, case_f.pop("_open_since"))
    order_f = _order_features(attach(orders, "ordered_at", pts), pts)
    returns_total = count_per_point(attach(returns, "requested_at", pts), None, n)

    people = customers.drop_duplicates("customer_id", keep="last").set_index("customer_id")
    tier = pts["customer_id"].map(people["tier"]).where(lambda t: t.isin(("regular", "vip")), "regular")
    joined = pts["customer_id"].map(people["joined_at"]).astype("datetime64[ns]")
    # Tenure starts at the earliest sign of the relationship: joining, a first order or a first message.
    first_seen = pd.DataFrame(
        {
            "joined": joined.where(joined <= pts["as_of"]).to_numpy(),
            "order": order_f.pop("_first_order"),
            "message": _first_time(msgs, "created_at", n),
        }
    ).min(axis=1)
    orders_total = order_f["orders_total"]
    with np.errstate(divide="ignore", invalid="ignore"):
        return_frequency = np.where(orders_total > 0, returns_total / np.maximum(orders_total, 1), 0.0)
    out = pd.DataFrame(
        {
            "customer_id": pts["customer_id"].to_numpy(),
            "as_of": pts["as_of"].to_numpy(),
            "tier": tier.to_numpy(),
            **msg_f,
            **case_f,
            **order_f,
            "returns_total": returns_total,
            "return_frequency": return_frequency,
            "tenure_days": ((pts["as_of"] - first_seen) / DAY).to_numpy(dtype="float64"),
        },
        index=points.index,
    )
    return out[["customer_id", "as_of", "tier", "channel_path", *FEATURES]]
