"""covering indexes for the KPI engine, and fresh planner statistics (issue #5)

Indexes: `customers (customer_id, region, tier)`: every KPI broken down or filtered by a customer dimension joins
customers on its key for the region or tier; with this index the join reads one index entry instead of the key index
plus the row (SQLite: about 3x cheaper per joined row). `interactions (case_id, author)` replaces `interactions
(case_id)`: `first_contact_resolution` counts a case's customer messages from the index alone, and every lookup by
case still uses its leading column (same number of indexes on the busiest table, so no extra write cost). On orders,
`(region, ordered_at)` replaces `(region)`: the KPIs count a window's orders by region from it without reading the
rows (SQLite's skip-scan); `(order_id, customer_id, region)` gives a return's order without reading the row; and the
single-column `(customer_id)` and `(ordered_at)` go, as prefixes of the 0004 composites (one index fewer to maintain
per order written). These only help once the planner has statistics (SQLite has none until ANALYZE), so the tables
the KPIs read are analysed here (`db.analyze`; ingest does the same after large loads). Measured in
docs/benchmarks.md (benchmarks/analytics.py).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 22:00:00
"""

from collections.abc import Sequence

from alembic import op

from aftersales.storage import db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ANALYSED = ("customers", "orders", "returns", "cases", "interactions", "analyses", "surveys")


CREATED = {
    "ix_customers_customer_region_tier": ("customers", ["customer_id", "region", "tier"]),
    "ix_interactions_case_author": ("interactions", ["case_id", "author"]),
    "ix_orders_region_ordered_at": ("orders", ["region", "ordered_at"]),
    "ix_orders_order_customer_region": ("orders", ["order_id", "customer_id", "region"]),
}
DROPPED = {
    "ix_interactions_case_id": ("interactions", ["case_id"]),
    "ix_orders_region": ("orders", ["region"]),
    "ix_orders_customer_id": ("orders", ["customer_id"]),  # a prefix of ix_orders_customer_ordered_at (0004)
    "ix_orders_ordered_at": ("orders", ["ordered_at"]),  # a prefix of ix_orders_ordered_at_customer (0004)
}


def upgrade() -> None:
    for name, (table, _columns) in DROPPED.items():
        op.drop_index(name, table_name=table)
    for name, (table, columns) in CREATED.items():
        op.create_index(name, table, columns)
    db.analyze(op.get_bind(), ANALYSED)


def downgrade() -> None:
    for name, (table, _columns) in CREATED.items():
        op.drop_index(name, table_name=table)
    for name, (table, columns) in DROPPED.items():
        op.create_index(name, table, columns)
