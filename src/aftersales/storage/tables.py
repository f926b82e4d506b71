"""SQLAlchemy 2 table definitions for every entity (DESIGN.md §4) and the workflow/analysis records.

Timestamps are stored as naive UTC; the configured timezone applies on the way in (naive input) and out (display).
Entity tables are keyed by the source systems' natural IDs so that re-ingesting upserts instead of duplicating.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

ID = String(128)
CODE = String(32)


def _stamps() -> list[Column[Any]]:
    """Bookkeeping columns every entity row carries."""
    return [
        Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
        Column("updated_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    ]


customers = Table(
    "customers",
    metadata,
    Column("customer_id", ID, primary_key=True),
    Column("name", String(200)),
    Column("tier", CODE),
    Column("region", String(64), index=True),
    Column("joined_at", DateTime),
    Column("phone", String(64)),
    Column("email", String(320)),
    # True while the customer is known only from a reference in another file (see docs/data.md).
    Column("pending", Boolean, nullable=False, server_default="0"),
    *_stamps(),
)

orders = Table(
    "orders",
    metadata,
    Column("order_id", ID, primary_key=True),
    # customer_id, ordered_at and region are indexed through the composite indexes below (leading columns).
    Column("customer_id", ID, ForeignKey("customers.customer_id"), nullable=False),
    Column("ordered_at", DateTime, nullable=False),
    Column("sku", String(128), index=True),
    Column("product_name", String(500)),
    Column("category", String(128), index=True),
    Column("region", String(64)),
    Column("channel", String(64)),
    Column("quantity", Integer),
    Column("amount", Float),
    Column("delivered_at", DateTime),
    Column("promotion", String(128)),
    # Promised / estimated delivery time, for late-delivery KPIs (added in migration 0002).
    Column("promised_at", DateTime),
    *_stamps(),
)

# Order lines: item_id is the natural key f"{order_id}:{line_no}" so re-imports upsert line by line.
order_items = Table(
    "order_items",
    metadata,
    Column("item_id", ID, primary_key=True),
    Column("order_id", ID, ForeignKey("orders.order_id"), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("sku", String(128), index=True),
    Column("product_name", String(500)),
    Column("category", String(128), index=True),
    Column("quantity", Integer),
    Column("unit_price", Float),
    Column("amount", Float),
    *_stamps(),
)

returns = Table(
    "returns",
    metadata,
    Column("return_id", ID, primary_key=True),
    Column("order_id", ID, ForeignKey("orders.order_id"), nullable=False, index=True),
    Column("requested_at", DateTime, nullable=False, index=True),
    Column("customer_id", ID, ForeignKey("customers.customer_id"), index=True),
    Column("type", CODE),
    Column("reason_code", CODE, index=True),
    Column("reason_text", Text),
    Column("status", CODE),
    Column("resolved_at", DateTime),
    Column("refund_amount", Float),
    Column("sku", String(128), index=True),
    Column("region", String(64)),
    *_stamps(),
)

# Return lines: item_id is the natural key f"{return_id}:{line_no}".
return_items = Table(
    "return_items",
    metadata,
    Column("item_id", ID, primary_key=True),
    Column("return_id", ID, ForeignKey("returns.return_id"), nullable=False, index=True),
    Column("line_no", Integer, nullable=False),
    Column("sku", String(128), index=True),
    Column("product_name", String(500)),
    Column("quantity", Integer),
    Column("amount", Float),
    *_stamps(),
)

interactions = Table(
    "interactions",
    metadata,
    Column("interaction_id", ID, primary_key=True),
    # Indexed through ix_interactions_customer_created (customer_id first); a second index would slow ingest.
    Column("customer_id", ID, ForeignKey("customers.customer_id"), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", DateTime, nullable=False, index=True),
    # Soft references: chats may cite orders/returns/cases from systems not (yet) ingested.
    Column("order_id", ID, index=True),
    Column("return_id", ID),
    Column("case_id", ID),  # indexed through ix_interactions_case_author (case_id first)
    Column("channel", CODE),
    Column("author", CODE),
    Column("language", CODE),
    Column("ingested_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Column("updated_at", DateTime, nullable=False, server_default=func.current_timestamp()),
)

surveys = Table(
    "surveys",
    metadata,
    Column("survey_id", ID, primary_key=True),
    Column("customer_id", ID, ForeignKey("customers.customer_id"), nullable=False, index=True),
    Column("kind", CODE, nullable=False),
    Column("score", Integer, nullable=False),
    Column("answered_at", DateTime, nullable=False, index=True),
    Column("case_id", ID, index=True),
    Column("order_id", ID, index=True),
    Column("comment", Text),
    *_stamps(),
)

kb_articles = Table(
    "kb_articles",
    metadata,
    Column("article_id", ID, primary_key=True),
    Column("title", String(500), nullable=False),
    Column("body", Text, nullable=False),
    Column("tags", String(1000)),
    Column("language", CODE),
    *_stamps(),
)

cases = Table(
    "cases",
    metadata,
    Column("case_id", ID, primary_key=True),
    Column("customer_id", ID, ForeignKey("customers.customer_id"), nullable=False, index=True),
    Column("order_id", ID, index=True),
    Column("return_id", ID),
    Column("status", CODE, nullable=False, index=True),
    Column("priority", CODE, index=True),
    Column("queue", String(64), index=True),
    Column("problem_type", CODE),
    Column("stage", CODE),
    Column("primary_reason", CODE),
    Column("channel", CODE),
    Column("subject", String(500)),
    Column("assignee", String(128), index=True),
    Column("opened_at", DateTime, nullable=False, index=True),
    Column("first_response_due", DateTime),
    Column("resolution_due", DateTime, index=True),
    Column("first_response_at", DateTime),
    Column("resolved_at", DateTime),
    Column("closed_at", DateTime),
    Column("reopen_count", Integer, nullable=False, server_default="0"),
    Column("emotion_open", CODE),
    Column("emotion_close", CODE),
    # Added in migration 0003: polarity scores at open/close (emotion recovery) and when each SLA clock broke.
    Column("polarity_open", Float),
    Column("polarity_close", Float),
    Column("first_response_breached_at", DateTime),
    Column("resolution_breached_at", DateTime),
    *_stamps(),
)

case_events = Table(
    "case_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", ID, ForeignKey("cases.case_id", ondelete="CASCADE"), nullable=False, index=True),
    Column("at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Column("actor", String(128), nullable=False),
    Column("kind", CODE, nullable=False),
    Column("from_status", CODE),
    Column("to_status", CODE),
    Column("payload", JSON),
)

analyses = Table(
    "analyses",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("interaction_id", ID, ForeignKey("interactions.interaction_id", ondelete="CASCADE"), nullable=False),
    Column("model_version", String(64), nullable=False),
    Column("polarity", CODE, nullable=False),
    Column("polarity_score", Float, nullable=False),
    Column("emotion", CODE, nullable=False, index=True),
    Column("emotion_scores", JSON, nullable=False),
    Column("intensity", Integer, nullable=False),
    Column("stage", CODE, nullable=False, index=True),
    Column("reasons", JSON, nullable=False),
    Column("reason_scores", JSON, nullable=False),
    Column("primary_reason", CODE, nullable=False, index=True),
    Column("problem_type", CODE, nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("language", CODE, nullable=False),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    UniqueConstraint("interaction_id", "model_version", name="uq_analyses_interaction_model"),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", ID, ForeignKey("cases.case_id", ondelete="CASCADE"), nullable=False, index=True),
    Column("interaction_id", ID, ForeignKey("interactions.interaction_id", ondelete="SET NULL")),
    Column("policy_version", String(64), nullable=False),
    Column("priority", CODE, nullable=False),
    Column("queue", String(64), nullable=False),
    Column("strategy", JSON, nullable=False),
    Column("sla_first_response_minutes", Integer),
    Column("sla_resolution_minutes", Integer),
    Column("reply_template", String(128)),
    Column("auto_reply", Boolean, nullable=False, server_default="0"),
    Column("rules_fired", JSON, nullable=False),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    # Added in migration 0003: the agent's compensation ceiling, notification events, and the exact TriageContext
    # the policy saw, so `policy simulate` replays decisions without recomputing history.
    Column("compensation_limit", Float),
    Column("notify", JSON),
    Column("context", JSON),
)

notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", ID, ForeignKey("cases.case_id", ondelete="SET NULL"), index=True),
    Column("channel", CODE, nullable=False),
    Column("recipient", String(500), nullable=False),
    Column("subject", String(500)),
    Column("body", Text, nullable=False),
    Column("payload", JSON),
    Column("status", CODE, nullable=False, server_default="pending", index=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime, index=True),
    Column("last_error", Text),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Column("sent_at", DateTime),
)

improvement_actions = Table(
    "improvement_actions",
    metadata,
    Column("action_id", ID, primary_key=True),
    Column("title", String(500), nullable=False),
    Column("description", Text),
    Column("scope", JSON, nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date),
    Column("target_kpi", String(64), nullable=False),
    Column("owner", String(128)),
    Column("status", CODE, nullable=False, server_default="active"),
    *_stamps(),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(128), nullable=False, unique=True),
    Column("display_name", String(200)),
    Column("role", CODE, nullable=False),
    Column("password_hash", String(256)),
    Column("queues", JSON),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("prefix", String(16), nullable=False, index=True),
    Column("key_hash", String(256), nullable=False),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Column("last_used_at", DateTime),
    Column("revoked_at", DateTime),
)

label_corrections = Table(
    "label_corrections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("interaction_id", ID, ForeignKey("interactions.interaction_id", ondelete="CASCADE"), index=True),
    Column("text_hash", String(64)),
    Column("task", CODE, nullable=False),
    Column("old_value", JSON),
    Column("new_value", JSON, nullable=False),
    Column("corrected_by", String(128), nullable=False),
    Column("created_at", DateTime, nullable=False, server_default=func.current_timestamp()),
    Column("used_in_model", String(64)),
)

ingest_runs = Table(
    "ingest_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entity", CODE, nullable=False),
    Column("source", Text, nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("status", CODE, nullable=False),
    Column("accepted", Integer, nullable=False, server_default="0"),
    Column("updated", Integer, nullable=False, server_default="0"),
    Column("unchanged", Integer, nullable=False, server_default="0"),
    Column("rejected", Integer, nullable=False, server_default="0"),
    Column("rejects_file", Text),
)

Index("ix_orders_sku_ordered_at", orders.c.sku, orders.c.ordered_at)
# Added in migration 0004 for the KPI engine (docs/kpis.md): resolution cohorts, churn and repurchase lookups.
Index("ix_cases_resolved_at", cases.c.resolved_at)
Index("ix_orders_ordered_at_customer", orders.c.ordered_at, orders.c.customer_id)
Index("ix_orders_customer_ordered_at", orders.c.customer_id, orders.c.ordered_at)
Index("ix_interactions_customer_created", interactions.c.customer_id, interactions.c.created_at)
# Added in migration 0005 (covering indexes for the KPI engine, docs/benchmarks.md): customer dimensions joined from
# the index alone; a case's customer messages counted from the index alone (replaces the single-column case_id
# index); a month's orders counted by region from the index (replaces orders (region)); a return's order read from
# the index (the single-column orders (customer_id) and orders (ordered_at) went: prefixes of the 0004 indexes).
Index("ix_orders_region_ordered_at", orders.c.region, orders.c.ordered_at)
Index("ix_orders_order_customer_region", orders.c.order_id, orders.c.customer_id, orders.c.region)
Index("ix_customers_customer_region_tier", customers.c.customer_id, customers.c.region, customers.c.tier)
Index("ix_interactions_case_author", interactions.c.case_id, interactions.c.author)
# Added in migration 0006: the negative analyses only (partial), so that negative_share tells whether a message has a
# negative analysis from the index alone (polarity is in it because SQLite otherwise reads the row to check the
# condition the index implies); the other analyses are not in it and cost no extra write.
Index(
    "ix_analyses_negative",
    analyses.c.interaction_id,
    analyses.c.polarity,
    sqlite_where=analyses.c.polarity == "negative",
    postgresql_where=analyses.c.polarity == "negative",
)

ENTITY_TABLES: dict[str, Table] = {
    "customers": customers,
    "orders": orders,
    "order_items": order_items,
    "returns": returns,
    "return_items": return_items,
    "interactions": interactions,
    "surveys": surveys,
    "kb_articles": kb_articles,
}
