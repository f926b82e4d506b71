"""Public entry points: features for every customer at one moment, and one customer's signals as a contact arrives.

Features for many customers go through the engine (`signals.engine.features_at`), like bulk replays and churn
training; one customer's signals go through `signals.scalar`, which computes the same numbers without pandas overhead
(a property test holds the two equal). So a number shown on a dashboard, used by triage and learnt by the churn model
is always the same. Definitions: docs/signals.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from aftersales.signals.churn import ChurnModel
from aftersales.signals.engine import FEATURES, MODEL_FEATURES, as_timestamp, features_at
from aftersales.signals.frames import Frames
from aftersales.signals.scalar import History, signals_from_history, signals_from_rows
from aftersales.signals.types import CustomerSignals

__all__ = [
    "FEATURES",
    "MODEL_FEATURES",
    "compute_signals",
    "customer_features",
    "features_at",
    "features_for_customers",
    "signals_from_frames",
    "signals_from_rows",
]
# Up to this many input rows compute_signals reads them in plain Python (about 1 µs a row, and the rows of other
# customers are skipped); beyond it one vectorised tidying pass is cheaper. Both give the same result.
SCALAR_MAX_ROWS = 5_000
NARROW_ABOVE = 200  # signals_from_frames narrows frames longer than this to the customer with pandas first


def customer_features(
    as_of: dt.datetime | pd.Timestamp,
    customers: pd.DataFrame | None = None,
    messages: pd.DataFrame | None = None,
    orders: pd.DataFrame | None = None,
    returns: pd.DataFrame | None = None,
    cases: pd.DataFrame | None = None,
    *,
    customer_ids: list[str] | None = None,
) -> pd.DataFrame:
    """Features of every customer (or the given ones) at `as_of`, one row per customer, for dashboards and scoring."""
    frames = Frames.of(customers, messages, orders, returns, cases)
    return features_for_customers(frames, as_of, customer_ids)


def features_for_customers(
    frames: Frames, as_of: dt.datetime | pd.Timestamp, customer_ids: list[str] | None = None
) -> pd.DataFrame:
    """`customer_features` on already tidy frames (saves re-tidying when scoring several moments)."""
    ids = frames.all_customer_ids() if customer_ids is None else [str(c) for c in customer_ids]
    points = pd.DataFrame({"customer_id": pd.Series(ids, dtype=object), "as_of": as_timestamp(as_of)})
    return features_at(points, frames).set_index("customer_id")


def signals_from_frames(
    frames: Frames,
    customer_id: str,
    as_of: dt.datetime | pd.Timestamp,
    *,
    focus_order_id: str | None = None,
    focus_case_id: str | None = None,
    current_interaction_id: str | None = None,
    churn_model: ChurnModel | None = None,
    horizon_days: int = 90,
) -> CustomerSignals:
    """`compute_signals` on already tidy frames (they may hold other customers; only this one's rows are used)."""
    cid = str(customer_id)
    # The frames are tidy, so the scalar path's row-by-row tidying leaves them as they are; pandas only narrows big
    # frames to the customer first, which is cheaper than reading every row in Python.
    mine = [f if len(f) <= NARROW_ABOVE else f[f["customer_id"].to_numpy() == cid] for f in frames.as_tuple()]
    history = History.of(cid, *mine)
    return signals_from_history(
        history,
        as_of,
        focus_order_id=focus_order_id,
        focus_case_id=focus_case_id,
        current_interaction_id=current_interaction_id,
        churn_model=churn_model,
        horizon_days=horizon_days,
    )


def compute_signals(
    customer_id: str,
    as_of: dt.datetime | pd.Timestamp,
    customers: pd.DataFrame | None = None,
    messages: pd.DataFrame | None = None,
    orders: pd.DataFrame | None = None,
    returns: pd.DataFrame | None = None,
    cases: pd.DataFrame | None = None,
    *,
    focus_order_id: str | None = None,
    focus_case_id: str | None = None,
    current_interaction_id: str | None = None,
    churn_model: ChurnModel | None = None,
    horizon_days: int = 90,
) -> CustomerSignals:
    """Signals for one customer as a contact about `focus_order_id` arrives at `as_of` (same numbers as bulk)."""
    tables = (customers, messages, orders, returns, cases)
    options: dict[str, Any] = {
        "focus_order_id": focus_order_id,
        "focus_case_id": focus_case_id,
        "current_interaction_id": current_interaction_id,
        "churn_model": churn_model,
        "horizon_days": horizon_days,
    }
    if sum(0 if t is None else len(t) for t in tables) <= SCALAR_MAX_ROWS:
        # The online path (one customer's history): plain Python, no pandas tidying or merges.
        return signals_from_history(History.of(str(customer_id), *tables), as_of, **options)
    return signals_from_frames(Frames.of(*tables), customer_id, as_of, **options)
