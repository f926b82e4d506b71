"""Each behaviour feature against a hand calculation on a few rows, the as_of cut-off and input tidying."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd
import pytest

from aftersales.signals import FEATURES, compute_signals, customer_features
from aftersales.signals.frames import Frames
from tests.unit.signals.builders import AS_OF, ago, case, frame, msg, order


def features(
    messages: list[dict[str, Any]] | None = None,
    orders: list[dict[str, Any]] | None = None,
    cases: list[dict[str, Any]] | None = None,
    returns: list[dict[str, Any]] | None = None,
    customers: list[dict[str, Any]] | None = None,
    as_of: dt.datetime = AS_OF,
) -> pd.Series:
    """Features of customer C1 from the given rows."""
    out = customer_features(
        as_of,
        frame("customers", customers or [{"customer_id": "C1", "tier": "regular", "joined_at": ago(400)}]),
        frame("messages", messages or []),
        frame("orders", orders or []),
        frame("returns", returns or []),
        frame("cases", cases or []),
    )
    return out.loc["C1"]


def same(got: Any, want: float | None) -> bool:
    """Equality that treats None/NaN alike and floats approximately."""
    if want is None or (isinstance(want, float) and math.isnan(want)):
        return got is None or (isinstance(got, float) and math.isnan(got))
    return got == pytest.approx(want, abs=1e-9)


def test_contacts_count_customer_messages_in_the_last_7_and_30_days() -> None:
    rows = [
        msg(0.5),
        msg(6.9, channel="email"),
        msg(7.0),  # exactly 7 days: outside (as_of − 7 d, as_of]
        msg(12, author=None),  # a missing author is the customer
        msg(29.9),
        msg(30.5),
        msg(2, author="agent"),  # agents' replies are not contacts
        msg(-1),  # after as_of
    ]
    got = features(rows)
    assert (got["contacts_7d"], got["contacts_30d"]) == (2, 5)


@pytest.mark.parametrize(
    ("cases", "want"),
    [
        ([], (0, None, 0, 0)),
        ([case(2)], (1, 48.0, 0, 0)),
        (
            [
                case(2),
                case(10, status="resolved", resolved_at=ago(5), reopen_count=1),
                case(20, status="closed", resolved_at=ago(-2)),  # resolved only after as_of: open at as_of
                case(-1, reopen_count=5),  # opened after as_of: ignored entirely
            ],
            (2, 480.0, 1, 0),
        ),
        ([case(3, reopen_count=2), case(1, status="closed")], (1, 72.0, 2, 1)),
        # Reopened: current status in_progress although an earlier resolution is recorded.
        ([case(6, resolved_at=ago(4), reopen_count=1)], (1, 144.0, 1, 1)),
    ],
)
def test_case_features(cases: list[dict[str, Any]], want: tuple[int, float | None, int, int]) -> None:
    got = features(cases=cases)
    assert got["open_cases"] == want[0]
    assert same(got["oldest_unresolved_case_age_hours"], want[1])
    assert (got["reopen_count"], got["open_reopened_cases"]) == (want[2], want[3])


def test_negative_reviews_are_negative_customer_messages_on_public_channels() -> None:
    rows = [
        msg(100, channel="review", polarity="negative"),  # any age counts
        msg(3, channel="social", polarity="negative"),
        msg(3, channel="chat", polarity="negative"),
        msg(4, channel="review", polarity="positive"),
        msg(5, channel="review", polarity="negative", author="agent"),
        msg(-2, channel="review", polarity="negative"),
    ]
    assert features(rows)["negative_reviews"] == 2


def test_negative_public_while_open_counts_only_since_the_oldest_open_case() -> None:
    rows = [msg(9, channel="review", polarity="negative"), msg(2, channel="social", polarity="negative")]
    assert features(rows, cases=[case(5)])["negative_public_while_open"] == 1
    assert features(rows)["negative_public_while_open"] == 0


@pytest.mark.parametrize(
    ("path", "escalation", "level", "channel_path"),
    [
        ([], False, 0, ()),
        ([(5, "chat"), (2, "phone")], True, 2, ("chat", "phone")),
        ([(5, "phone"), (2, "chat")], False, 0, ("phone", "chat")),
        ([(5, "chat"), (4, "chat"), (2, "review")], True, 3, ("chat", "review")),
        ([(5, "review"), (2, "chat")], False, 0, ("review", "chat")),
        ([(9, "email"), (6, "phone"), (3, "social")], True, 3, ("email", "phone", "social")),
        ([(5, "email"), (2, "survey")], False, 0, ("email", "survey")),  # same rung
        ([(40, "chat"), (2, "phone")], False, 0, ("phone",)),  # the chat is outside the 30-day window
    ],
)
def test_channel_path_and_escalation(
    path: list[tuple[float, str]], escalation: bool, level: int, channel_path: tuple[str, ...]
) -> None:
    got = features([msg(days, channel=ch) for days, ch in path])
    assert bool(got["channel_escalation"]) is escalation
    assert got["escalated_to"] == level
    assert tuple(got["channel_path"]) == channel_path


@pytest.mark.parametrize(
    ("scores", "polarities", "trend", "share"),
    [
        ([], [], None, None),
        ([0.4], ["positive"], None, 0.0),
        ([0.5, 0.0, -0.5], ["positive", "neutral", "negative"], -0.5, 1 / 3),
        # Six analysed messages: only the last five count (x = 0..4, y = 0, .1, .2, .3, .4 → slope 0.1).
        ([9.0, 0.0, 0.1, 0.2, 0.3, 0.4], ["negative"] * 3 + ["positive"] * 3, 0.1, 2 / 5),
        ([-0.2, -0.2], ["negative", "negative"], 0.0, 1.0),
    ],
)
def test_emotion_trend_and_recent_negative_share(
    scores: list[float], polarities: list[str], trend: float | None, share: float | None
) -> None:
    rows = [msg(50 - i, polarity=p, polarity_score=s) for i, (s, p) in enumerate(zip(scores, polarities, strict=True))]
    rows.append(msg(0.1))  # not analysed: ignored
    got = features(rows)
    assert same(got["emotion_trend"], trend)
    assert same(got["recent_negative_share"], share)


@pytest.mark.parametrize(
    ("order_days", "ratio", "z"),
    [
        # First order 300 days ago → baseline 210 days with 7 orders (1 per 30 days); 1 recent order in 90 days
        # against 3 expected → ratio (1/90)/(7/210) = 1/3, z = (1 − 3)/√3.
        ([300, 270, 240, 210, 180, 150, 120, 30], 1 / 3, (1 - 3) / math.sqrt(3)),
        ([300, 270, 240, 210, 180, 150, 120, 60, 30, 10], 1.0, 0.0),
        ([300, 200, 100], 0.0, -math.sqrt(3 * 90 / 210)),
        ([150, 120, 30], None, None),  # baseline window 60 days < 90
        ([80, 30], None, None),  # everything inside the recent window
        ([], None, None),
    ],
)
def test_purchase_frequency_ratio(order_days: list[float], ratio: float | None, z: float | None) -> None:
    got = features(orders=[order(d) for d in order_days])
    assert same(got["purchase_frequency_ratio"], ratio)
    assert same(got["purchase_frequency_z"], z)


def test_order_return_and_tenure_features() -> None:
    orders = [order(200, order_id="A"), order(50, order_id="B"), order(10.5, order_id="C"), order(-3, order_id="D")]
    returns = [
        {"return_id": "R1", "order_id": "A", "customer_id": "C1", "requested_at": ago(190)},
        {"return_id": "R2", "order_id": "C", "customer_id": None, "requested_at": ago(5)},  # customer from order C
        {"return_id": "R3", "order_id": "D", "customer_id": "C1", "requested_at": ago(-4)},
    ]
    got = features(orders=orders, returns=returns)
    assert (got["orders_total"], got["orders_90d"], got["returns_total"]) == (3, 2, 2)
    assert got["return_frequency"] == pytest.approx(2 / 3)
    assert got["days_since_last_order"] == pytest.approx(10.5)
    assert got["tenure_days"] == pytest.approx(400.0)  # joined 400 days ago, before the first order


@pytest.mark.parametrize(
    ("joined_days", "want"),
    [(400, 400.0), (None, 200.0), (-10, 200.0)],  # unknown or future join date: tenure from the first order
)
def test_tenure_starts_at_the_earliest_sign_of_the_customer(joined_days: float | None, want: float) -> None:
    joined = None if joined_days is None else ago(joined_days)
    customers = [{"customer_id": "C1", "tier": "vip", "joined_at": joined}]
    got = features(orders=[order(200)], customers=customers)
    assert got["tenure_days"] == pytest.approx(want)
    assert got["tier"] == "vip"


def test_as_of_cuts_off_everything_later() -> None:
    messages = [msg(40), msg(20), msg(3)]
    orders = [order(d) for d in (300, 200, 100, 5)]
    early = features(messages, orders, as_of=ago(10))
    late = features(messages, orders)
    # Seen from 10 days earlier the messages lie 30, 10 and −7 days back, and the order of 5 days ago is in the future.
    assert (early["contacts_30d"], early["orders_total"]) == (1, 3)
    assert early["days_since_last_order"] == pytest.approx(90.0)
    assert (late["contacts_30d"], late["orders_total"]) == (2, 4)
    assert late["days_since_last_order"] == pytest.approx(5.0)


def test_customers_without_any_activity_get_neutral_features() -> None:
    out = customer_features(AS_OF, frame("customers", [{"customer_id": "C9"}]))
    row = out.loc["C9"]
    assert row["tier"] == "regular"
    assert (row["contacts_30d"], row["orders_total"], row["return_frequency"]) == (0, 0, 0.0)
    assert same(row["days_since_last_order"], None) and same(row["tenure_days"], None)
    assert list(out.columns) == ["as_of", "tier", "channel_path", *FEATURES]


def test_customers_seen_only_in_activity_frames_are_included_and_frames_may_lack_optional_columns() -> None:
    # Demo / raw exports: interactions without analysis columns, orders without amount, no customers table at all.
    messages = pd.DataFrame({"interaction_id": ["M1"], "customer_id": ["C2"], "created_at": [ago(1)]})
    orders = pd.DataFrame({"order_id": ["O1"], "customer_id": ["C3"], "ordered_at": [ago(2).isoformat()]})
    out = customer_features(AS_OF, messages=messages, orders=orders)
    assert list(out.index) == ["C2", "C3"]
    assert out.loc["C2", "contacts_7d"] == 1 and out.loc["C3", "orders_total"] == 1


def test_aware_times_are_compared_in_utc() -> None:
    shanghai = dt.timezone(dt.timedelta(hours=8))
    aware_as_of = (AS_OF + dt.timedelta(hours=8)).replace(tzinfo=shanghai)  # the same instant as AS_OF
    orders = pd.DataFrame({"order_id": ["O1"], "customer_id": ["C1"], "ordered_at": [pd.Timestamp(ago(1), tz="UTC")]})
    got = customer_features(aware_as_of, orders=orders).loc["C1"]
    assert got["days_since_last_order"] == pytest.approx(1.0)


def test_numeric_ids_match_across_frames() -> None:
    frames = Frames.of(
        orders=pd.DataFrame({"order_id": [17], "customer_id": [12345], "ordered_at": [ago(5)]}),
        returns=pd.DataFrame({"return_id": ["R"], "order_id": ["17"], "requested_at": [ago(1)]}),
    )
    assert frames.returns["customer_id"].tolist() == ["12345"]


def test_bulk_features_and_one_customer_signals_agree() -> None:
    messages = frame(
        "messages", [msg(3, polarity="negative", polarity_score=-0.6), msg(1, channel="phone"), msg(2, customer="C2")]
    )
    orders = frame("orders", [order(d) for d in (300, 200, 100, 15)] + [order(5, customer="C2")])
    cases = frame("cases", [case(2, reopen_count=1)])
    bulk = customer_features(AS_OF, None, messages, orders, None, cases).loc["C1"]
    one = compute_signals("C1", AS_OF, None, messages, orders, None, cases)
    for name in ("contacts_7d", "contacts_30d", "open_cases", "reopen_count", "negative_reviews", "orders_total",
                 "returns_total", "return_frequency", "purchase_frequency_ratio", "channel_escalation",
                 "oldest_unresolved_case_age_hours", "emotion_trend", "recent_negative_share"):  # fmt: skip
        assert same(getattr(one, name), bulk[name]), name
    assert one.channel_path == tuple(bulk["channel_path"]) == ("chat", "phone")
    assert same(one.days_since_last_order, bulk["days_since_last_order"])
