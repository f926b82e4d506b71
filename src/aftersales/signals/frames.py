"""The five input frames of the behaviour layer, with their columns, and one place that tidies them.

Callers (services, the demo, notebooks) hand over whatever pandas frames they have; `Frames.of` adds missing optional
columns, parses times to naive UTC `datetime64[ns]`, reads a missing message author as "customer" and fills a
return's customer from its order, so the feature code can rely on one shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": ("customer_id", "tier", "joined_at"),
    "messages": (
        "interaction_id", "customer_id", "created_at", "channel", "author", "order_id", "case_id",
        "polarity", "polarity_score", "emotion", "stage",
    ),
    "orders": ("order_id", "customer_id", "ordered_at", "amount"),
    "returns": ("return_id", "order_id", "customer_id", "requested_at"),
    "cases": ("case_id", "customer_id", "order_id", "status", "opened_at", "resolved_at", "reopen_count"),
}  # fmt: skip
TIME_COLUMNS: dict[str, tuple[str, ...]] = {
    "customers": ("joined_at",),
    "messages": ("created_at",),
    "orders": ("ordered_at",),
    "returns": ("requested_at",),
    "cases": ("opened_at", "resolved_at"),
}
# Identifier columns are compared across frames (order_id in messages vs. orders), so they must share one dtype.
ID_COLUMNS = ("customer_id", "order_id", "case_id", "interaction_id", "return_id")
CLOSED_STATUSES = frozenset({"resolved", "closed"})


def empty_frame(name: str) -> pd.DataFrame:
    """A frame with the columns of `name` and no rows (what callers pass when they have no such data)."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS[name]})


def _to_naive_utc(values: pd.Series) -> pd.Series:
    """Parse to naive-UTC datetime64[ns]: aware values are converted to UTC, naive ones are UTC by convention."""
    # utc=True also accepts a column mixing offsets (or aware and naive values), which utc=False turns into NaT.
    parsed = pd.to_datetime(values, errors="coerce", utc=True)
    # Strings are parsed with one format inferred from the first, so e.g. an isoformat() without microseconds next to
    # one with them would silently become NaT; parse those leftovers one by one.
    failed = parsed.isna() & values.notna()
    if failed.any():
        parsed[failed] = pd.to_datetime(values[failed], errors="coerce", utc=True, format="mixed")
    return parsed.dt.tz_localize(None).astype("datetime64[ns]")


def _ids(values: pd.Series) -> pd.Series:
    """Identifiers as Python strings with None for missing, so "O1" from a CSV equals "O1" from the database."""
    arr = values.to_numpy(dtype=object, copy=True)
    known = pd.notna(arr)
    if pd.api.types.infer_dtype(arr, skipna=True) not in ("string", "empty"):
        arr[known] = arr[known].astype(str)
    arr[~known] = None
    return pd.Series(arr, index=values.index, dtype=object)


def _tidy(name: str, frame: pd.DataFrame | None) -> pd.DataFrame:
    """Select the known columns (adding missing ones as empty), coerce ids, times and numbers."""
    if frame is None:
        frame = empty_frame(name)
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for col in COLUMNS[name]:
        out[col] = frame[col].to_numpy() if col in frame.columns else np.full(len(frame), None, dtype=object)
    for col in ID_COLUMNS:
        if col in out.columns:
            out[col] = _ids(out[col])
    for col in TIME_COLUMNS[name]:
        out[col] = _to_naive_utc(out[col])
    for col in ("polarity_score", "amount", "reopen_count"):
        if col in out.columns:
            out[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
    return out


@dataclass(frozen=True)
class Frames:
    """The behaviour layer's inputs, tidied: customers, messages, orders, returns and cases."""

    customers: pd.DataFrame
    messages: pd.DataFrame
    orders: pd.DataFrame
    returns: pd.DataFrame
    cases: pd.DataFrame

    @classmethod
    def of(
        cls,
        customers: pd.DataFrame | None = None,
        messages: pd.DataFrame | None = None,
        orders: pd.DataFrame | None = None,
        returns: pd.DataFrame | None = None,
        cases: pd.DataFrame | None = None,
    ) -> Frames:
        """Tidy raw frames once so every feature reads the same columns and dtypes (None = no such data)."""
        cust = _tidy("customers", customers)
        msgs = _tidy("messages", messages)
        ords = _tidy("orders", orders)
        rets = _tidy("returns", returns)
        cas = _tidy("cases", cases)
        # Only customer-written messages count as contacts; exports often leave the author empty for those.
        msgs["author"] = msgs["author"].where(msgs["author"].notna(), "customer")
        # Returns may come without customer_id (it is optional in DESIGN §4): take it from the order.
        if len(rets) and rets["customer_id"].isna().any():
            owner = pd.Series(ords["customer_id"].to_numpy(), index=ords["order_id"].to_numpy())
            # Missing order ids are dropped: map() would match a return without order_id to an order without one.
            owner = owner[owner.index.notna() & ~owner.index.duplicated()]
            rets["customer_id"] = rets["customer_id"].where(rets["customer_id"].notna(), rets["order_id"].map(owner))
        cas["reopen_count"] = cas["reopen_count"].fillna(0.0)
        ords = ords[ords["customer_id"].notna() & ords["ordered_at"].notna()]
        rets = rets[rets["customer_id"].notna() & rets["requested_at"].notna()]
        msgs = msgs[msgs["customer_id"].notna() & msgs["created_at"].notna()]
        cas = cas[cas["customer_id"].notna() & cas["opened_at"].notna()]
        return cls(
            cust,
            msgs.reset_index(drop=True),
            ords.reset_index(drop=True),
            rets.reset_index(drop=True),
            cas.reset_index(drop=True),
        )

    def for_customers(self, customer_ids: list[str]) -> Frames:
        """Only these customers' rows (the frames are already tidy, so no second pass is needed)."""
        ids = set(customer_ids)
        return Frames(
            *(f[f["customer_id"].isin(ids)].reset_index(drop=True) for f in self.as_tuple()),
        )

    def as_tuple(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """The frames in declaration order."""
        return self.customers, self.messages, self.orders, self.returns, self.cases

    def all_customer_ids(self) -> list[str]:
        """Every customer seen in any frame, sorted, so features cover customers missing from the customers table."""
        ids: set[str] = set()
        for frame in self.as_tuple():
            ids.update(frame["customer_id"].dropna().tolist())
        return sorted(ids)

    def data_end(self) -> pd.Timestamp | None:
        """The latest event time in the data: the natural `as_of_end` for training when none is given."""
        stamps = [
            self.orders["ordered_at"].max(),
            self.returns["requested_at"].max(),
            self.messages["created_at"].max(),
            self.cases["opened_at"].max(),
        ]
        known = [pd.Timestamp(s) for s in stamps if pd.notna(s)]
        return max(known) if known else None
