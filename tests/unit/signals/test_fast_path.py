"""The scalar online path (`signals_from_rows`, `compute_signals`, `signals_from_frames`) gives the same CustomerSignals
as the pandas engine (`signals_for_points`) on random small histories, field by field; plus the engine bugs it found."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aftersales.signals import (
    FEATURES,
    ChurnModel,
    Frames,
    TrainingSet,
    compute_signals,
    signals_for_points,
    signals_from_frames,
    signals_from_rows,
)
from aftersales.signals.frames import COLUMNS
from tests.unit.signals.builders import AS_OF, ago, case, frame, msg, order

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
# Days before as_of that sit on a rule's edge (7/30/90-day windows, a 90-day baseline, as_of itself, just after it);
# drawing times from them also makes ties, which test the stable ordering of channel paths and trends.
EDGES = (0.0, 7.0, 30.0, 45.0, 90.0, 180.0, 1.0, -1.0, 0.5, 270.0)
ORDER_IDS = ("O1", "O2", "O3", None)
CASE_IDS = ("K1", "K2", "K3", None)
NAN = float("nan")

RECENT = st.integers(-86_400 * 10**6, 10 * 86_400 * 10**6).map(lambda us: dt.timedelta(microseconds=us))
TIMES = st.one_of(
    st.none(),
    st.sampled_from(EDGES).map(lambda d: dt.timedelta(days=d)),
    RECENT,
    st.integers(-10 * 86_400 * 10**6, 400 * 86_400 * 10**6).map(lambda us: dt.timedelta(microseconds=us)),
)
MISSING = st.sampled_from([None, NAN])


def _stamp(before: dt.timedelta | None, style: str) -> Any:
    """The moment `before` as_of, written in one of the ways callers hand times over."""
    if before is None:
        return None
    naive = AS_OF - before
    if style == "timestamp":
        return pd.Timestamp(naive)
    if style == "aware":
        return naive.replace(tzinfo=dt.UTC).astimezone(SHANGHAI)
    if style == "iso":  # isoformat() drops zero microseconds: one column mixes two formats
        return naive.isoformat()
    return naive


@st.composite
def histories(draw: st.DrawFn) -> dict[str, Any]:
    """Random rows for target customer C1 (or 17) and a neighbour, a moment and a focus, in random encodings."""
    numeric = draw(st.booleans())
    people = [17, "17", 18, None] if numeric else ["C1", "C1", "C2", None]
    # A busy history: many recent messages of the target, so repeat contacts, trends and escalations get exercised.
    busy = draw(st.booleans())
    who = st.sampled_from(people[:2] * 3 + people[2:] if busy else people)
    style = draw(st.sampled_from(["datetime", "timestamp", "aware", "iso"]))
    when = TIMES.map(lambda before: _stamp(before, style))
    sent = (st.one_of(RECENT, RECENT, TIMES) if busy else TIMES).map(lambda before: _stamp(before, style))
    message_ids = [f"M{i}" for i in range(draw(st.integers(6, 14) if busy else st.integers(0, 8)))]
    messages = [
        {
            "interaction_id": draw(st.sampled_from([mid, mid, None])),
            "customer_id": draw(who),
            "created_at": draw(sent),
            "channel": draw(
                st.sampled_from(["chat", "email", "phone", "phone", "review", "social", "survey", "sms", None])
            ),
            "author": draw(st.sampled_from(["customer", "customer", "agent", "system", None, NAN])),
            "order_id": draw(st.sampled_from(("O1", "O1", *ORDER_IDS) if busy else ORDER_IDS)),
            "case_id": draw(st.sampled_from(CASE_IDS)),
            "polarity": draw(st.sampled_from(["negative", "negative", "positive", "neutral", None])),
            "polarity_score": draw(
                st.one_of(MISSING, st.floats(-1, 1), st.floats(-1, 1), st.sampled_from(["-0.25", "x"]))
            ),
        }
        for mid in message_ids
    ]
    orders = [
        {
            "order_id": draw(st.sampled_from(ORDER_IDS)),
            "customer_id": draw(who),
            "ordered_at": draw(when),
            "amount": draw(st.one_of(MISSING, st.floats(0, 1000), st.decimals(0, 1000, places=2))),
        }
        for _ in range(draw(st.integers(0, 8)))
    ]
    returns = [
        {
            "return_id": f"R{i}",
            "order_id": draw(st.sampled_from(ORDER_IDS)),
            "customer_id": draw(st.sampled_from([*people, None, None])),  # often missing: taken from the order
            "requested_at": draw(when),
        }
        for i in range(draw(st.integers(0, 4)))
    ]
    cases = [
        {
            "case_id": draw(st.sampled_from(CASE_IDS)),
            "customer_id": draw(who),
            "order_id": draw(st.sampled_from(ORDER_IDS)),
            "status": draw(st.sampled_from(["new", "in_progress", "resolved", "closed", None])),
            "opened_at": draw(when),
            "resolved_at": draw(st.one_of(st.none(), when)),
            "reopen_count": draw(st.sampled_from([0, 1, 2, 0.0, None, NAN, "1"])),
        }
        for _ in range(draw(st.integers(0, 4)))
    ]
    customers = [
        {
            "customer_id": draw(who),
            "tier": draw(st.sampled_from(["regular", "vip", "gold", None])),
            "joined_at": draw(when),
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    as_of_style = draw(st.sampled_from(["datetime", "timestamp", "aware", "iso"]))
    return {
        "customer_id": 17 if numeric else "C1",
        "as_of": _stamp(dt.timedelta(0), as_of_style),
        "tables": {"customers": customers, "messages": messages, "orders": orders, "returns": returns, "cases": cases},
        "focus_order_id": draw(st.sampled_from(["O1", "O1", None, "O2", "O9"] if busy else [None, "O1", "O2", "O9"])),
        "focus_case_id": draw(st.sampled_from([None, None, "K1", "K2"])),
        "current_interaction_id": draw(st.sampled_from([None, "NOW", *message_ids[:3]])),
        "horizon_days": draw(st.sampled_from([30, 90, 180])),
        "object_frames": draw(st.booleans()),  # keep the values as given (else pandas infers dtypes)
        "row_kind": draw(st.sampled_from(["dicts", "sparse dicts", "tuples"])),
    }


@pytest.fixture(scope="module")
def model() -> ChurnModel:
    """A model fitted on random features where churn depends on several of them, so every coefficient is non-zero."""
    rng = np.random.default_rng(7)
    n = 600
    feats = pd.DataFrame({name: rng.gamma(1.5, 3.0, n) for name in FEATURES})
    feats["emotion_trend"] = rng.normal(0, 0.3, n)
    feats["recent_negative_share"] = rng.random(n)
    feats["channel_escalation"] = rng.random(n) < 0.2
    for name in ("purchase_frequency_z", "oldest_unresolved_case_age_hours", "emotion_trend"):
        feats.loc[rng.random(n) < 0.3, name] = np.nan  # gaps, filled with the training median when scoring
    feats.insert(0, "as_of", pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n), unit="D"))
    logit = feats["recent_negative_share"] * 2 - feats["orders_total"] * 0.2 + feats["days_since_last_order"] * 0.1
    churned = rng.random(n) < 1 / (1 + np.exp(-(logit.to_numpy() - 1)))
    return ChurnModel.fit(TrainingSet(feats, churned, "cases", 90, None))


def _frames(tables: dict[str, list[dict[str, Any]]], as_objects: bool) -> dict[str, pd.DataFrame]:
    """The tables as DataFrames, either holding the exact values given or with the dtypes pandas infers."""
    dtype = object if as_objects else None
    return {name: pd.DataFrame(rows, columns=list(COLUMNS[name]), dtype=dtype) for name, rows in tables.items()}


def _rows(tables: dict[str, list[dict[str, Any]]], kind: str) -> dict[str, list[Any]]:
    """The tables as plain rows: dicts, dicts that leave out empty cells, or tuples in column order."""
    if kind == "tuples":
        return {name: [tuple(r.get(c) for c in COLUMNS[name]) for r in rows] for name, rows in tables.items()}
    if kind == "sparse dicts":
        return {name: [{k: v for k, v in r.items() if v is not None} for r in rows] for name, rows in tables.items()}
    return tables


def assert_same(fast: Any, slow: Any, path: str = "signals") -> None:
    """Equal field by field; floats within 1e-12 (relative), None only where the other side is None."""
    if dataclasses.is_dataclass(slow) and not isinstance(slow, type):
        assert type(fast) is type(slow), path
        for f in dataclasses.fields(slow):
            assert_same(getattr(fast, f.name), getattr(slow, f.name), f"{path}.{f.name}")
    elif isinstance(slow, dict):
        assert isinstance(fast, dict) and fast.keys() == slow.keys(), path
        for key in slow:
            assert_same(fast[key], slow[key], f"{path}[{key!r}]")
    elif isinstance(slow, tuple):
        assert isinstance(fast, tuple) and len(fast) == len(slow), f"{path}: {fast!r} != {slow!r}"
        for i, (a, b) in enumerate(zip(fast, slow, strict=True)):
            assert_same(a, b, f"{path}[{i}]")
    elif isinstance(slow, float) and not isinstance(fast, bool):
        assert isinstance(fast, float | int), f"{path}: {fast!r} != {slow!r}"
        assert math.isclose(fast, slow, rel_tol=1e-12, abs_tol=1e-12), f"{path}: {fast!r} != {slow!r}"
    else:
        assert type(fast) is type(slow) and fast == slow, f"{path}: {fast!r} != {slow!r}"


def check(case: dict[str, Any], churn_model: ChurnModel | None) -> None:
    """Every fast entry point against the engine on the same input."""
    tables = _frames(case["tables"], case["object_frames"])
    options = {k: case[k] for k in ("focus_order_id", "focus_case_id", "current_interaction_id", "horizon_days")}
    options["churn_model"] = churn_model
    frames = Frames.of(**tables)
    point = {"customer_id": case["customer_id"], "as_of": case["as_of"], "interaction_id": None}
    point |= {k: case[k] for k in ("focus_order_id", "focus_case_id")}
    point["interaction_id"] = case["current_interaction_id"]
    slow = signals_for_points(
        frames, pd.DataFrame([point]), churn_model=churn_model, horizon_days=case["horizon_days"]
    )[0]
    assert_same(compute_signals(case["customer_id"], case["as_of"], **tables, **options), slow, "compute_signals")
    assert_same(signals_from_frames(frames, case["customer_id"], case["as_of"], **options), slow, "from_frames")
    if case["object_frames"]:  # the rows hold exactly the values of the frames
        rows = _rows(case["tables"], case["row_kind"])
        people = rows.pop("customers")
        customer = people[0] if len(people) == 1 and case["row_kind"] != "tuples" else people
        got = signals_from_rows(case["customer_id"], case["as_of"], customer=customer, **rows, **options)
        assert_same(got, slow, "from_rows")


FAST_PATH_SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST_PATH_SETTINGS
@given(case=histories())
def test_fast_path_equals_the_engine_with_rule_churn(case: dict[str, Any]) -> None:
    check(case, None)


@FAST_PATH_SETTINGS
@given(case=histories())
def test_fast_path_equals_the_engine_with_a_fitted_model(case: dict[str, Any], model: ChurnModel) -> None:
    check(case, model)


def test_big_inputs_take_the_tidy_then_narrow_route_with_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    from aftersales.signals import features

    messages = frame("messages", [msg(3, order_id="O1", channel="phone"), msg(1, order_id="O1"), msg(2, customer="C2")])
    orders = frame("orders", [order(200, order_id="O1", amount=9.5), order(5, customer="C2")])
    cases = frame("cases", [case(4, case_id="K1", order_id="O1", reopen_count=1)])
    want = compute_signals("C1", AS_OF, None, messages, orders, None, cases, focus_order_id="O1")
    monkeypatch.setattr(features, "SCALAR_MAX_ROWS", 0)
    monkeypatch.setattr(features, "NARROW_ABOVE", 0)
    assert compute_signals("C1", AS_OF, None, messages, orders, None, cases, focus_order_id="O1") == want
    assert (want.repeat_contacts_same_order, want.order_value, want.behaviour_stage) == (2, 9.5, "intent_to_complain")


def test_rows_may_be_sqlalchemy_style_mappings_and_a_missing_as_of_is_refused() -> None:
    got = signals_from_rows(
        "C1",
        AS_OF,
        customer={"customer_id": "C1", "tier": "vip"},
        messages=[{"customer_id": "C1", "created_at": ago(1), "channel": "chat"}],  # no author: the customer
        orders=[("O1", "C1", ago(10), Decimal("19.90"))],  # tuples in frames.COLUMNS order
        focus_order_id="O1",
    )
    assert (got.tier, got.contacts_7d, got.orders_total, got.order_value) == ("vip", 1, 1, 19.9)
    with pytest.raises(ValueError, match="as_of"):
        signals_from_rows("C1", None)


# Bugs of the engine the property test turned up (fixed there, so both paths agree on the sensible answer).


def test_an_order_without_id_is_not_the_focus_order_of_a_contact_without_one() -> None:
    orders = frame("orders", [{"order_id": None, "customer_id": "C1", "ordered_at": ago(3), "amount": 12.0}])
    point = pd.DataFrame([{"customer_id": "C1", "as_of": AS_OF, "focus_order_id": None}])
    assert signals_for_points(Frames.of(orders=orders), point)[0].order_value is None


def test_a_return_without_customer_and_order_is_nobodys() -> None:
    orders = frame("orders", [{"order_id": None, "customer_id": "C1", "ordered_at": ago(3)}])
    returns = frame("returns", [{"return_id": "R1", "order_id": None, "customer_id": None, "requested_at": ago(1)}])
    assert Frames.of(orders=orders, returns=returns).returns.empty


def test_times_in_mixed_formats_and_offsets_are_all_read() -> None:
    created = ["2025-06-29T12:00:00", "2025-06-29T12:00:00.500000", "2025-06-29T20:00:00+08:00", None]
    messages = pd.DataFrame({"customer_id": "C1", "created_at": created})
    tidy = Frames.of(messages=messages).messages
    assert tidy["created_at"].tolist() == [ago(1), ago(1) + dt.timedelta(microseconds=500_000), ago(1)]
