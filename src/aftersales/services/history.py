"""Loads one customer's history (messages with analyses, orders, returns, cases) as the frames `signals` reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import BindParameter, Connection, and_, bindparam, select

from aftersales.storage.tables import analyses, cases, customers, interactions, orders, returns
from aftersales.workflow.routing import CaseRef

MESSAGE_COLUMNS = [
    "interaction_id",
    "customer_id",
    "created_at",
    "channel",
    "author",
    "order_id",
    "case_id",
    "polarity",
    "polarity_score",
    "emotion",
    "stage",
]
ORDER_COLUMNS = ["order_id", "customer_id", "ordered_at", "amount"]
RETURN_COLUMNS = ["return_id", "order_id", "customer_id", "requested_at"]
CASE_COLUMNS = ["case_id", "customer_id", "order_id", "status", "opened_at", "resolved_at", "reopen_count"]
CUSTOMER_COLUMNS = ["customer_id", "tier", "joined_at"]


@dataclass
class CustomerHistory:
    """Everything the triage of one message needs to know about its customer, as of now.

    Plain row dicts (signals' fast path reads them directly; DataFrames would cost ~10 ms per request on tiny data).
    """

    customer: dict[str, Any]
    exists: bool  # False when the customer is not stored yet (the pipeline then creates a pending row)
    rows: dict[str, list[dict[str, Any]]]  # customers, messages, orders, returns, cases (signals' input columns)
    case_rows: dict[str, dict[str, Any]]  # case_id → full cases row
    stored: dict[str, Any] = field(default_factory=dict)  # the customers row as stored (before message overrides)

    @property
    def case_refs(self) -> list[CaseRef]:
        """The customer's cases in the shape routing reads."""
        return [
            CaseRef(
                case_id=r["case_id"],
                order_id=r["order_id"],
                status=r["status"],
                opened_at=r["opened_at"],
                resolved_at=r["resolved_at"],
                closed_at=r["closed_at"],
            )
            for r in self.case_rows.values()
        ]


# Built once with bound parameters: SQLAlchemy memoises a statement's cache key, so the per-request cost is only
# binding and running it (constructing five statements per request cost more than the queries themselves).
_CID: BindParameter[str] = bindparam("cid")
_Q_CUSTOMER = select(customers).where(customers.c.customer_id == _CID)
_MESSAGE_FIELDS = (
    *[interactions.c[c] for c in MESSAGE_COLUMNS[:7]],
    *[analyses.c[c] for c in MESSAGE_COLUMNS[7:]],
)
_Q_MESSAGES = (
    select(*_MESSAGE_FIELDS)
    .outerjoin(
        analyses,
        and_(
            analyses.c.interaction_id == interactions.c.interaction_id,
            analyses.c.model_version == bindparam("model_version"),
        ),
    )
    .where(interactions.c.customer_id == _CID)
    .order_by(interactions.c.created_at)
)
_Q_ORDERS = select(*[orders.c[c] for c in ORDER_COLUMNS]).where(orders.c.customer_id == _CID)
_Q_RETURNS = select(*[returns.c[c] for c in RETURN_COLUMNS]).where(returns.c.customer_id == _CID)
_Q_CASES = select(cases).where(cases.c.customer_id == _CID)


def load_customer_history(conn: Connection, customer_id: str, model_version: str) -> CustomerHistory:
    """Five small indexed queries for one customer (the online path; batch replays load every customer at once)."""
    params = {"cid": customer_id}
    cust = conn.execute(_Q_CUSTOMER, params).mappings().first()
    customer = dict(cust) if cust is not None else {"customer_id": customer_id, "tier": None, "joined_at": None}
    messages = [dict(r) for r in conn.execute(_Q_MESSAGES, {**params, "model_version": model_version}).mappings()]
    case_rows = {r["case_id"]: dict(r) for r in conn.execute(_Q_CASES, params).mappings()}
    rows = {
        "customers": [{c: customer.get(c) for c in CUSTOMER_COLUMNS}],
        "messages": messages,
        "orders": [dict(r) for r in conn.execute(_Q_ORDERS, params).mappings()],
        "returns": [dict(r) for r in conn.execute(_Q_RETURNS, params).mappings()],
        "cases": [{c: r.get(c) for c in CASE_COLUMNS} for r in case_rows.values()],
    }
    return CustomerHistory(
        customer=customer, exists=cust is not None, rows=rows, case_rows=case_rows, stored=dict(customer)
    )


def load_all_frames(conn: Connection, model_version: str) -> dict[str, pd.DataFrame]:
    """The same frames for every customer (batch replays, churn training, the at-risk list)."""
    msg_query = select(*_MESSAGE_FIELDS).outerjoin(
        analyses,
        and_(analyses.c.interaction_id == interactions.c.interaction_id, analyses.c.model_version == model_version),
    )

    def read(query: Any, columns: list[str]) -> pd.DataFrame:
        result = conn.execute(query)
        return pd.DataFrame(result.fetchall(), columns=columns)

    return {
        "customers": read(select(*[customers.c[c] for c in CUSTOMER_COLUMNS]), CUSTOMER_COLUMNS),
        "messages": read(msg_query, MESSAGE_COLUMNS),
        "orders": read(select(*[orders.c[c] for c in ORDER_COLUMNS]), ORDER_COLUMNS),
        "returns": read(select(*[returns.c[c] for c in RETURN_COLUMNS]), RETURN_COLUMNS),
        "cases": read(select(*[cases.c[c] for c in CASE_COLUMNS]), CASE_COLUMNS),
    }
