"""CustomerSignals for message moments: each point is a customer contacting us at `as_of` about an order or case.

`signals_for_points` does thousands of moments at once (batch replays): bulk features from the engine, repeat contacts
about the focus problem, the behaviour stage and churn. One moment at a time (`features.compute_signals`) goes through
`signals.scalar`, which mirrors this module row by row and shares `assemble_signals`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from aftersales.signals.churn import ChurnModel, rule_churn
from aftersales.signals.engine import DAY, count_per_point, features_at, numbered_points, open_case_mask
from aftersales.signals.frames import Frames
from aftersales.signals.stage import StageInputs, behaviour_stage
from aftersales.signals.types import ChurnRisk, CustomerSignals

REPEAT_WINDOW_DAYS = 30  # earlier contacts outside an open case count as "the same problem" for this long
POINT_COLUMNS = ("customer_id", "as_of", "focus_order_id", "focus_case_id", "interaction_id")


def _optional_ids(points: pd.DataFrame, column: str) -> np.ndarray:
    """An optional id column of `points` as str/None (absent column → all None)."""
    if column not in points.columns:
        return np.full(len(points), None, dtype=object)
    values = points[column].to_numpy(dtype=object)
    return np.array([None if pd.isna(v) else str(v) for v in values], dtype=object)


def _pair_in(points: pd.Series, ids: pd.Series, ref_points: pd.Series, ref_ids: pd.Series) -> np.ndarray:
    """Whether each (point, id) pair occurs among the reference pairs; missing ids never match."""
    keep = ref_ids.notna().to_numpy()
    reference = pd.MultiIndex.from_arrays([ref_points.to_numpy()[keep], ref_ids.to_numpy()[keep]])
    probe = pd.MultiIndex.from_arrays([points.to_numpy(), ids.to_numpy()])
    found: np.ndarray = np.asarray(probe.isin(reference)) & ids.notna().to_numpy()
    return found


def repeat_contacts_at(points: pd.DataFrame, frames: Frames) -> tuple[np.ndarray, np.ndarray]:
    """Per point: earlier customer messages about its focus problem that are still in scope, and those within 7 days.

    About the problem: on the focus order, or on a case that is the focus case or concerns the focus order (or on that
    case's order). In scope: the message belongs to a case, or an order with a case, that is open at as_of, or it was
    sent in the last 30 days. Earlier: strictly before as_of and not the point's own interaction_id.
    """
    pts = numbered_points(points)
    n = len(pts)
    pts["focus_order_id"] = _optional_ids(points, "focus_order_id")
    pts["focus_case_id"] = _optional_ids(points, "focus_case_id")
    pts["current_id"] = _optional_ids(points, "interaction_id")
    focused = pts[pts["focus_order_id"].notna() | pts["focus_case_id"].notna()]
    if focused.empty:
        return np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    cases = frames.cases.merge(focused, on="customer_id", how="inner")
    on_focus = cases[(cases["case_id"] == cases["focus_case_id"]) | (cases["order_id"] == cases["focus_order_id"])]
    open_now = cases[open_case_mask(cases, cases["as_of"])]
    msgs = frames.messages[frames.messages["author"] == "customer"].merge(focused, on="customer_id", how="inner")
    msgs = msgs[(msgs["created_at"] < msgs["as_of"]) & (msgs["interaction_id"] != msgs["current_id"])]
    point, order, case = msgs["point"], msgs["order_id"], msgs["case_id"]
    about = (
        ((order == msgs["focus_order_id"]) & order.notna()).to_numpy()
        | _pair_in(point, case, on_focus["point"], on_focus["case_id"])
        | _pair_in(point, order, on_focus["point"], on_focus["order_id"])
    )
    in_scope = (
        _pair_in(point, case, open_now["point"], open_now["case_id"])
        | _pair_in(point, order, open_now["point"], open_now["order_id"])
        | (msgs["created_at"] > msgs["as_of"] - REPEAT_WINDOW_DAYS * DAY).to_numpy()
    )
    relevant = msgs[about & in_scope]
    week = relevant["created_at"] > relevant["as_of"] - 7 * DAY
    return count_per_point(relevant, None, n), count_per_point(relevant, week, n)


def _optional(value: Any) -> float | None:
    """NaN → None so the dataclass carries JSON-friendly values (feature values are floats, never pd.NA)."""
    return None if value is None or value != value else float(value)


def assemble_signals(
    row: Mapping[str, Any], repeat: int, repeat_7d: int, churn: ChurnRisk, value: float | None
) -> CustomerSignals:
    """One CustomerSignals from a feature row (`features_at` record or `scalar.features_of`) and the focus numbers."""
    stage, stage_factors = behaviour_stage(
        StageInputs(
            repeat_contacts=repeat,
            repeat_contacts_7d=repeat_7d,
            open_cases=int(row["open_cases"]),
            open_reopened_cases=int(row["open_reopened_cases"]),
            escalated_to=int(row["escalated_to"]),
            negative_public_while_open=int(row["negative_public_while_open"]),
        )
    )
    return CustomerSignals(
        customer_id=str(row["customer_id"]),
        # The scalar path hands over the ISO string it already has; the engine a Timestamp.
        as_of=row["as_of"] if isinstance(row["as_of"], str) else pd.Timestamp(row["as_of"]).isoformat(),
        tier=str(row["tier"]),
        contacts_7d=int(row["contacts_7d"]),
        contacts_30d=int(row["contacts_30d"]),
        repeat_contacts_same_order=repeat,
        open_cases=int(row["open_cases"]),
        oldest_unresolved_case_age_hours=_optional(row["oldest_unresolved_case_age_hours"]),
        reopen_count=int(row["reopen_count"]),
        negative_reviews=int(row["negative_reviews"]),
        channel_path=tuple(row["channel_path"]),
        channel_escalation=bool(row["channel_escalation"]),
        emotion_trend=_optional(row["emotion_trend"]),
        recent_negative_share=_optional(row["recent_negative_share"]),
        purchase_frequency_ratio=_optional(row["purchase_frequency_ratio"]),
        orders_total=int(row["orders_total"]),
        returns_total=int(row["returns_total"]),
        return_frequency=float(row["return_frequency"]),
        order_value=value,
        churn=churn,
        behaviour_stage=stage,
        stage_factors=stage_factors,
        extra={
            "repeat_contacts_7d": repeat_7d,
            "open_reopened_cases": int(row["open_reopened_cases"]),
            "negative_public_while_open": int(row["negative_public_while_open"]),
            "escalated_to": int(row["escalated_to"]),
            "orders_90d": int(row["orders_90d"]),
            "purchase_frequency_z": _optional(row["purchase_frequency_z"]),
        },
        days_since_last_order=_optional(row["days_since_last_order"]),
        tenure_days=_optional(row["tenure_days"]),
    )


def signals_for_points(
    frames: Frames,
    points: pd.DataFrame,
    *,
    churn_model: ChurnModel | None = None,
    horizon_days: int = 90,
) -> list[CustomerSignals]:
    """CustomerSignals per row of points (customer_id, as_of, optional focus_order_id / focus_case_id /
    interaction_id = the message being handled), in order; churn from the model when usable, else the rules."""
    points = points.reset_index(drop=True)
    feats = features_at(points, frames)
    repeat, repeat_7d = repeat_contacts_at(points, frames)
    records = feats.to_dict("records")
    if churn_model is not None and churn_model.usable_with(feats.columns):
        risks = churn_model.score_frame(feats)
    else:
        risks = [rule_churn(r, horizon_days) for r in records]
    # The focus order's amount, looked up among the customer's own orders (a foreign order id gives no value). Orders
    # without an id are dropped first: merge matches a missing key with a missing key, which would give a point
    # without a focus order the amount of some id-less order.
    priced = frames.orders.dropna(subset=["amount", "order_id"]).drop_duplicates(["customer_id", "order_id"])
    keys = pd.DataFrame(
        {"customer_id": feats["customer_id"].to_numpy(), "order_id": _optional_ids(points, "focus_order_id")}
    )
    values = keys.merge(priced[["customer_id", "order_id", "amount"]], how="left", on=["customer_id", "order_id"])
    values = values["amount"].to_numpy()
    return [
        assemble_signals(r, int(repeat[i]), int(repeat_7d[i]), risks[i], _optional(values[i]))
        for i, r in enumerate(records)
    ]
