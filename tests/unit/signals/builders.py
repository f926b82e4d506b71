"""Tiny frame builders for the signals tests: rows relative to one `AS_OF`, every other column defaulted."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from aftersales.signals.frames import COLUMNS

AS_OF = dt.datetime(2025, 6, 30, 12, 0, 0)


def ago(days: float = 0.0, hours: float = 0.0) -> dt.datetime:
    """A moment `days` (+ `hours`) before AS_OF; negative values lie after it."""
    return AS_OF - dt.timedelta(days=days, hours=hours)


def frame(name: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A frame with the canonical columns of `name`; unspecified cells are None."""
    return pd.DataFrame([{c: r.get(c) for c in COLUMNS[name]} for r in rows], columns=list(COLUMNS[name]))


def msg(days: float, customer: str = "C1", **kw: Any) -> dict[str, Any]:
    """A customer chat message `days` before AS_OF (override channel, author, order_id, polarity ... via kw)."""
    row = {"customer_id": customer, "created_at": ago(days), "channel": "chat", "author": "customer"}
    row["interaction_id"] = kw.pop("interaction_id", f"M{customer}-{days}-{kw.get('channel', 'chat')}")
    return row | kw


def order(days: float, customer: str = "C1", order_id: str | None = None, amount: float = 100.0) -> dict[str, Any]:
    """An order placed `days` before AS_OF."""
    return {
        "order_id": order_id or f"O{customer}-{days}",
        "customer_id": customer,
        "ordered_at": ago(days),
        "amount": amount,
    }


def case(days: float, customer: str = "C1", **kw: Any) -> dict[str, Any]:
    """A case opened `days` before AS_OF, still in progress unless kw says otherwise."""
    row = {
        "case_id": f"K{customer}-{days}",
        "customer_id": customer,
        "status": "in_progress",
        "opened_at": ago(days),
        "resolved_at": None,
        "reopen_count": 0,
    }
    return row | kw
