"""One customer at one moment in plain Python: the online path's `signals_from_rows`, equal to the pandas engine.

Every API request that submits a message needs one customer's signals; through `features_at` that costs 30–60 ms of
fixed pandas overhead on a history of a few dozen rows. Here the same definitions run as loops over row tuples
(well under a millisecond). Each step mirrors its vectorised twin (`Frames.of`, `engine.features_at`,
`compute.repeat_contacts_at`) down to the float operations, so both give identical `CustomerSignals`;
tests/unit/signals/test_fast_path.py checks that on random histories. Definitions: docs/signals.md.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, TypeAlias, cast

import pandas as pd

from aftersales.signals.churn import ChurnModel, rule_churn
from aftersales.signals.compute import REPEAT_WINDOW_DAYS, assemble_signals
from aftersales.signals.engine import (
    CHANNEL_LEVEL,
    CHANNEL_WINDOW_DAYS,
    LAST_ANALYSED,
    PUBLIC_CHANNELS,
    RECENT_ORDER_DAYS,
)
from aftersales.signals.frames import CLOSED_STATUSES, COLUMNS
from aftersales.signals.types import CustomerSignals

# Rows of one table: a DataFrame, mappings (dicts, SQLAlchemy RowMapping) or tuples in `frames.COLUMNS` order.
Rows: TypeAlias = pd.DataFrame | Sequence[Mapping[str, Any]] | Sequence[Sequence[Any]] | None
NS_DAY = 86_400 * 10**9
NS_HOUR = 3_600 * 10**9
# Durations are divided as floats of whole nanoseconds, exactly as numpy divides timedelta64[ns] by a Timedelta.
DAY_F, HOUR_F = float(NS_DAY), float(NS_HOUR)
NAN = math.nan
EPOCH = dt.datetime(1970, 1, 1)
# datetime64[ns] covers these instants only; the tidy step turns anything outside into NaT, so we drop it too.
NS_MIN, NS_MAX = pd.Timestamp.min.value, pd.Timestamp.max.value

# (created_ns, interaction_id, channel, order_id, case_id, polarity, polarity_score or NaN); customer-written only.
Message: TypeAlias = tuple[int, str | None, Any, str | None, str | None, Any, float]
Order: TypeAlias = tuple[int, str | None, float]  # (ordered_ns, order_id, amount or NaN)
# (opened_ns, case_id, order_id, status is resolved/closed, resolved_ns or None, reopen_count with NaN as 0)
Case: TypeAlias = tuple[int, str | None, str | None, bool, int | None, float]


def _missing(value: Any) -> bool:
    """pandas' notion of missing (None, NaN, NaT, pd.NA) with the common types decided without calling pandas."""
    if value is None:
        return True
    kind = type(value)
    if kind is str or kind is int or kind is dt.datetime:
        return False
    if kind is float:
        return math.isnan(value)
    return bool(pd.isna(value))


def _id(value: Any) -> str | None:
    """An identifier as `frames._ids` makes it: the string form, None when missing."""
    if type(value) is str:
        return value
    return None if _missing(value) else str(value)


def _ns(value: Any) -> int | None:
    """A time as naive-UTC nanoseconds since 1970 (aware values converted), None where the tidy step gives NaT."""
    if isinstance(value, pd.Timestamp):
        ns = value.value  # already UTC for aware stamps
    elif isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        delta = value - EPOCH
        ns = (delta.days * 86_400 + delta.seconds) * 10**9 + delta.microseconds * 1_000
    elif _missing(value):
        return None
    else:  # dates, strings, numpy datetimes: let pandas parse the rare odd value
        try:
            stamp = pd.Timestamp(pd.to_datetime(value, errors="coerce"))
        except (TypeError, ValueError, OverflowError):
            return None
        if _missing(stamp):
            return None
        ns = stamp.value
    return ns if NS_MIN <= ns <= NS_MAX else None


def _num(value: Any) -> float:
    """A number as `pd.to_numeric(errors="coerce")` reads it, NaN when missing or not a number."""
    if type(value) is float:
        return value
    if _missing(value):
        return NAN
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return NAN


def _tuples(name: str, rows: Rows) -> Iterable[Sequence[Any]]:
    """Rows of table `name` as tuples in `COLUMNS[name]` order (absent columns / keys read as None)."""
    if rows is None or len(rows) == 0:
        return ()
    columns = COLUMNS[name]
    if isinstance(rows, pd.DataFrame):
        n = len(rows)
        # Column lists beat to_dict("records") by ~8x on small frames; datetime64 columns come back as Timestamps.
        return list(zip(*(rows[c].tolist() if c in rows.columns else [None] * n for c in columns), strict=True))
    if isinstance(rows[0], Mapping):
        try:
            get = itemgetter(*columns)
            return [get(r) for r in rows]
        except KeyError:
            return [tuple(r.get(c) for c in columns) for r in rows]  # type: ignore[union-attr]
    return cast("Sequence[Sequence[Any]]", rows)  # tuples (or SQLAlchemy Rows) already in column order


def as_of_ns(value: Any) -> int:
    """as_of as naive-UTC nanoseconds (like `engine.as_timestamp`); ValueError when it is missing or unparseable."""
    ns = _ns(value)
    if ns is None:
        raise ValueError(f"as_of is not a time: {value!r}")
    return ns


def iso(ns: int) -> str:
    """The ISO form `pd.Timestamp(ns).isoformat()` gives, without building a Timestamp for whole microseconds."""
    if ns % 1_000:
        return str(pd.Timestamp(ns).isoformat())
    return (EPOCH + dt.timedelta(microseconds=ns // 1_000)).isoformat()


@dataclass(frozen=True, slots=True)
class History:
    """One customer's tidy rows (the `Frames.of` rules applied row by row), times in nanoseconds."""

    customer_id: str
    tier: Any
    joined: int | None
    messages: list[Message]  # customer-written, in input order
    orders: list[Order]
    returns: list[int]  # requested_ns
    cases: list[Case]

    @classmethod
    def of(cls, customer_id: str, customers: Rows, messages: Rows, orders: Rows, returns: Rows, cases: Rows) -> History:
        """Keep this customer's rows with a time, normalised like `Frames.of` (other customers' rows are skipped)."""
        cid = customer_id
        tier: Any = None
        joined: int | None = None
        for cust, tier_value, joined_at in _tuples("customers", customers):
            if _id(cust) == cid:  # the last row wins, like drop_duplicates(keep="last")
                tier, joined = tier_value, _ns(joined_at)
        msgs: list[Message] = []
        for iid, cust, created, channel, author, order_id, case_id, polarity, score, _, _ in _tuples(
            "messages", messages
        ):
            # A missing author is the customer (exports leave it empty); only customer messages are ever read.
            if _id(cust) != cid or not (_missing(author) or author == "customer"):
                continue
            t = _ns(created)
            if t is not None:
                msgs.append((t, _id(iid), channel, _id(order_id), _id(case_id), polarity, _num(score)))
        owner: dict[str, str | None] = {}  # order → customer of its first row, for returns without customer_id
        ords: list[Order] = []
        for order_id, cust, ordered_at, amount in _tuples("orders", orders):
            oid, owner_id = _id(order_id), _id(cust)
            if oid is not None and oid not in owner:
                owner[oid] = owner_id
            if owner_id == cid and (t := _ns(ordered_at)) is not None:
                ords.append((t, oid, _num(amount)))
        rets: list[int] = []
        for _, order_id, cust, requested_at in _tuples("returns", returns):
            who = _id(cust)
            if who is None:
                oid = _id(order_id)
                who = None if oid is None else owner.get(oid)
            if who == cid and (t := _ns(requested_at)) is not None:
                rets.append(t)
        cas: list[Case] = []
        for case_id, cust, order_id, status, opened_at, resolved_at, reopen_count in _tuples("cases", cases):
            if _id(cust) == cid and (t := _ns(opened_at)) is not None:
                reopens = _num(reopen_count)
                closed = status in CLOSED_STATUSES
                cas.append(
                    (t, _id(case_id), _id(order_id), closed, _ns(resolved_at), 0.0 if reopens != reopens else reopens)
                )
        return cls(cid, tier, joined, msgs, ords, rets, cas)


def _kahan(values: Iterable[float]) -> float:
    """Compensated sum in the order given: what pandas' groupby sum computes, so slopes agree to the last bit."""
    total = compensation = 0.0
    for value in values:
        y = value - compensation
        t = total + y
        compensation = t - total - y
        if not math.isfinite(compensation):  # pandas resets it when an infinity makes it NaN
            compensation = 0.0
        total = t
    return total


def _is_open(case: Case, at: int) -> bool:
    """`engine.open_case_mask` for one case."""
    opened, _, _, closed, resolved, _ = case
    return opened <= at and ((resolved is not None and resolved > at) or not closed)


def _case_features(cases: list[Case], at: int) -> tuple[dict[str, Any], int | None]:
    """Open cases, their age, reopens; and when the oldest open case began."""
    n_open = open_reopened = 0
    oldest: int | None = None
    reopens: list[float] = []
    for case in cases:
        if case[0] > at:
            continue
        reopens.append(case[5])
        if _is_open(case, at):
            n_open += 1
            open_reopened += case[5] > 0
            oldest = case[0] if oldest is None else min(oldest, case[0])
    return {
        "open_cases": n_open,
        "oldest_unresolved_case_age_hours": None if oldest is None else float(at - oldest) / HOUR_F,
        "reopen_count": int(_kahan(reopens)),  # astype(int64) truncates toward zero, like int()
        "open_reopened_cases": open_reopened,
    }, oldest


def _message_features(msgs: list[Message], at: int, open_since: int | None) -> dict[str, Any]:
    """Contacts, negative public messages, channel path and escalation, emotion trend and negative share."""
    # Stable by time, ties in input order: the order the engine's stable sort gives paths and trends.
    seen = sorted((m for m in msgs if m[0] <= at), key=itemgetter(0))
    week, month = at - 7 * NS_DAY, at - 30 * NS_DAY
    contacts_7d = contacts_30d = negative = negative_open = 0
    path: dict[Any, None] = {}
    lowest: int | None = None
    escalated_to = 0
    for created, _, channel, _, _, polarity, _ in seen:
        contacts_7d += created > week
        contacts_30d += created > month
        if polarity == "negative" and channel in PUBLIC_CHANNELS:
            negative += 1
            negative_open += open_since is not None and created >= open_since
        if created > at - CHANNEL_WINDOW_DAYS * NS_DAY and not _missing(channel):
            path.setdefault(channel, None)
            level = CHANNEL_LEVEL.get(channel)
            if level is not None:
                # Up = above the lowest rung used earlier in the window (the engine's cummin/shift comparison).
                if lowest is not None and level > lowest:
                    escalated_to = max(escalated_to, level)
                lowest = level if lowest is None else min(lowest, level)
    last = [m for m in seen if m[6] == m[6]][-LAST_ANALYSED:]
    k = float(len(last))
    trend = share = None
    if last:
        xs = [float(i) for i in range(len(last))]
        sx, sxx = sum(xs), sum(x * x for x in xs)  # small whole numbers: exact in any order
        sy = _kahan(m[6] for m in last)
        sxy = _kahan(x * m[6] for x, m in zip(xs, last, strict=True))
        share = float(sum(m[5] == "negative" for m in last)) / k
        if len(last) >= 2:
            trend = (k * sxy - sx * sy) / (k * sxx - sx * sx)
    return {
        "contacts_7d": contacts_7d,
        "contacts_30d": contacts_30d,
        "negative_reviews": negative,
        "negative_public_while_open": negative_open,
        "channel_path": tuple(path),
        "escalated_to": escalated_to,
        "channel_escalation": escalated_to > 0,
        "emotion_trend": trend,
        "recent_negative_share": share,
    }


def _order_features(orders: list[Order], at: int) -> tuple[dict[str, Any], int | None]:
    """Order counts, recency, recent vs. own-baseline purchase frequency; and the first order's time."""
    window_start = at - RECENT_ORDER_DAYS * NS_DAY
    times = [o[0] for o in orders if o[0] <= at]
    total, recent = len(times), sum(t > window_start for t in times)
    ratio = z = since = None
    first = min(times) if times else None
    if first is not None:
        since = float(at - max(times)) / DAY_F
        baseline_days = float(window_start - first) / DAY_F
        baseline_orders = total - recent
        if baseline_days >= RECENT_ORDER_DAYS and baseline_orders > 0:
            expected = baseline_orders / baseline_days * RECENT_ORDER_DAYS
            ratio = recent / expected
            z = (recent - expected) / math.sqrt(expected)
    return {
        "orders_total": total,
        "orders_90d": recent,
        "purchase_frequency_ratio": ratio,
        "purchase_frequency_z": z,
        "days_since_last_order": since,
    }, first


def features_of(history: History, at: int) -> dict[str, Any]:
    """One row of `engine.features_at` (same keys; None where it has NaN) for this customer at `at` (ns)."""
    case_f, open_since = _case_features(history.cases, at)
    msg_f = _message_features(history.messages, at, open_since)
    order_f, first_order = _order_features(history.orders, at)
    returns_total = sum(t <= at for t in history.returns)
    orders_total = order_f["orders_total"]
    tier = history.tier if history.tier in ("regular", "vip") else "regular"
    # Tenure starts at the earliest sign of the relationship: joining (when not after at), a first order or message.
    starts = [t for t in (history.joined, first_order) if t is not None and t <= at]
    starts += [m[0] for m in history.messages if m[0] <= at]
    return {
        "customer_id": history.customer_id,
        "as_of": iso(at),
        "tier": tier,
        **msg_f,
        **case_f,
        **order_f,
        "returns_total": returns_total,
        "return_frequency": returns_total / orders_total if orders_total > 0 else 0.0,
        "tenure_days": float(at - min(starts)) / DAY_F if starts else None,
    }


def repeat_contacts(
    history: History, at: int, focus_order: str | None, focus_case: str | None, current: str | None
) -> tuple[int, int]:
    """`compute.repeat_contacts_at` for one point: earlier contacts about the focus problem in scope, and in 7 days."""
    if focus_order is None and focus_case is None:
        return 0, 0
    focus_cases: set[str] = set()
    focus_orders: set[str] = set()
    open_cases: set[str] = set()
    open_orders: set[str] = set()
    for case in history.cases:  # every case of the customer, also those opened after `at` (as the engine does)
        _, case_id, order_id, _, _, _ = case
        if (case_id is not None and case_id == focus_case) or (order_id is not None and order_id == focus_order):
            focus_cases.update(() if case_id is None else (case_id,))
            focus_orders.update(() if order_id is None else (order_id,))
        if _is_open(case, at):
            open_cases.update(() if case_id is None else (case_id,))
            open_orders.update(() if order_id is None else (order_id,))
    week, window = at - 7 * NS_DAY, at - REPEAT_WINDOW_DAYS * NS_DAY
    count = count_7d = 0
    for created, iid, _, order_id, case_id, _, _ in history.messages:
        if created >= at or (iid is not None and iid == current):
            continue
        about = (order_id is not None and order_id == focus_order) or case_id in focus_cases or order_id in focus_orders
        if about and (case_id in open_cases or order_id in open_orders or created > window):
            count += 1
            count_7d += created > week
    return count, count_7d


def order_value(history: History, focus_order: str | None) -> float | None:
    """The focus order's amount: its first row with an amount among the customer's own orders."""
    if focus_order is None:
        return None
    for _, order_id, amount in history.orders:
        if order_id == focus_order and amount == amount:
            return amount
    return None


def signals_from_history(
    history: History,
    as_of: Any,
    *,
    focus_order_id: Any = None,
    focus_case_id: Any = None,
    current_interaction_id: Any = None,
    churn_model: ChurnModel | None = None,
    horizon_days: int = 90,
) -> CustomerSignals:
    """CustomerSignals from an already loaded `History` (several moments of one customer reuse one load)."""
    at = as_of_ns(as_of)
    feats = features_of(history, at)
    focus = _id(focus_order_id)
    repeat, repeat_7d = repeat_contacts(history, at, focus, _id(focus_case_id), _id(current_interaction_id))
    if churn_model is not None and churn_model.usable_with(feats):
        churn = churn_model.score(feats)
    else:
        churn = rule_churn(feats, horizon_days)
    return assemble_signals(feats, repeat, repeat_7d, churn, order_value(history, focus))


def signals_from_rows(
    customer_id: Any,
    as_of: Any,
    *,
    customer: Mapping[str, Any] | Rows = None,
    messages: Rows = None,
    orders: Rows = None,
    returns: Rows = None,
    cases: Rows = None,
    focus_order_id: Any = None,
    focus_case_id: Any = None,
    current_interaction_id: Any = None,
    churn_model: ChurnModel | None = None,
    horizon_days: int = 90,
) -> CustomerSignals:
    """`compute_signals` without pandas: rows as dicts, tuples (`frames.COLUMNS` order) or frames; same result."""
    customers = [customer] if isinstance(customer, Mapping) else customer
    history = History.of(str(customer_id), customers, messages, orders, returns, cases)
    return signals_from_history(
        history,
        as_of,
        focus_order_id=focus_order_id,
        focus_case_id=focus_case_id,
        current_interaction_id=current_interaction_id,
        churn_model=churn_model,
        horizon_days=horizon_days,
    )
