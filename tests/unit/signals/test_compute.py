"""compute_signals: repeat contacts about the focus order, order value, churn method choice, JSON output."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

from aftersales.signals import CustomerSignals, Frames, compute_signals, signals_for_points, signals_from_frames
from tests.unit.signals.builders import AS_OF, ago, case, frame, msg, order

MESSAGES = [
    msg(40, order_id="O1"),  # older than 30 days: counts only while a case on O1 is open
    msg(20, order_id="O1"),
    msg(3, order_id="O1", channel="phone"),
    msg(1, order_id=None, case_id="K-O1"),  # about O1 through its case, when that case is on O1
    msg(2, order_id="O2"),  # another order
    msg(1.5, order_id="O1", author="agent"),  # agent replies are not contacts
    msg(0, order_id="O1", interaction_id="NOW"),  # the message being handled (not earlier than as_of)
]


@pytest.mark.parametrize(
    ("cases", "focus_case", "want", "want_7d"),
    [
        ([], None, 2, 1),
        ([case(50, case_id="K-O1", order_id="O1")], None, 4, 2),  # the open case keeps the 40-day message in scope
        # Closed a month ago: the old message drops out, the case's recent message still concerns O1.
        ([case(50, case_id="K-O1", order_id="O1", status="closed", resolved_at=ago(30))], None, 3, 2),
        ([case(50, case_id="K-O1", order_id="O9")], "K-O1", 1, 1),  # focus on the case: its own message only
    ],
)
def test_repeat_contacts_about_the_focus_order(
    cases: list[dict[str, Any]], focus_case: str | None, want: int, want_7d: int
) -> None:
    got = compute_signals(
        "C1",
        AS_OF,
        messages=frame("messages", MESSAGES),
        cases=frame("cases", cases),
        focus_order_id=None if focus_case else "O1",
        focus_case_id=focus_case,
    )
    assert (got.repeat_contacts_same_order, got.extra["repeat_contacts_7d"]) == (want, want_7d)


def test_the_current_message_is_excluded_by_id_even_if_stamped_earlier() -> None:
    rows = [msg(2, order_id="O1"), msg(0.5, order_id="O1", interaction_id="NOW")]
    got = compute_signals(
        "C1", AS_OF, messages=frame("messages", rows), focus_order_id="O1", current_interaction_id="NOW"
    )
    assert got.repeat_contacts_same_order == 1


def test_order_value_churn_fallback_and_json() -> None:
    orders = frame("orders", [order(300, order_id="A", amount=50.0), order(200, order_id="B", amount=899.5)])
    got = compute_signals("C1", AS_OF, orders=orders, focus_order_id="B", horizon_days=90)
    assert isinstance(got, CustomerSignals)
    assert got.order_value == 899.5 and got.orders_total == 2
    assert got.churn.method == "rules"
    assert got.churn.factors[0].feature == "days_since_last_order"  # 200 days ≥ the 90-day horizon
    assert got.days_since_last_order == pytest.approx(200.0)
    data = json.loads(json.dumps(got.to_dict()))
    assert data["churn"]["method"] == "rules" and data["channel_path"] == []
    assert compute_signals("C1", AS_OF, orders=orders, focus_order_id="nope").order_value is None


def test_unknown_customer_gets_empty_signals() -> None:
    got = compute_signals("C404", AS_OF)
    assert (got.contacts_30d, got.orders_total, got.behaviour_stage) == (0, 0, "none")
    assert got.purchase_frequency_ratio is None and got.tier == "regular"
    assert got.as_of == AS_OF.isoformat()


def test_bulk_points_match_one_at_a_time() -> None:
    messages = frame(
        "messages", [*MESSAGES, msg(2, customer="C2", order_id="O5"), msg(1, customer="C2", order_id="O5")]
    )
    cases = frame("cases", [case(50, case_id="K-O1", order_id="O1"), case(3, customer="C2", order_id="O5")])
    orders = frame("orders", [order(60, order_id="O1", amount=10.0), order(5, customer="C2", order_id="O5")])
    frames = Frames.of(None, messages, orders, None, cases)
    points = pd.DataFrame(
        [
            {"customer_id": "C1", "as_of": AS_OF, "focus_order_id": "O1", "interaction_id": "NOW"},
            {"customer_id": "C1", "as_of": ago(2.5), "focus_order_id": "O1", "interaction_id": None},
            {"customer_id": "C1", "as_of": AS_OF, "focus_case_id": "K-O1"},
            {"customer_id": "C2", "as_of": AS_OF, "focus_order_id": "O5"},
            {"customer_id": "C2", "as_of": AS_OF},
            {"customer_id": "C3", "as_of": AS_OF, "focus_order_id": "O1"},  # another customer's order: not theirs
        ]
    )
    bulk = signals_for_points(frames, points)
    single = [
        signals_from_frames(
            frames,
            p["customer_id"],
            p["as_of"],
            focus_order_id=p.get("focus_order_id"),
            focus_case_id=p.get("focus_case_id"),
            current_interaction_id=p.get("interaction_id"),
        )
        for p in points.where(points.notna(), None).to_dict("records")
    ]
    assert bulk == single
    assert [s.repeat_contacts_same_order for s in bulk] == [4, 3, 4, 2, 0, 0]
    assert [s.order_value for s in bulk] == [10.0, 10.0, None, 100.0, None, None]
