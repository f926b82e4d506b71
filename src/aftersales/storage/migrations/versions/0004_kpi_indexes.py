"""indexes for the KPI engine (issue #5)

`cases.resolved_at` (resolution KPIs take cases resolved in the window; without it every query scans all cases),
`orders (ordered_at, customer_id)` (churn_rate groups a window of orders by customer without reading the rows) and
`orders (customer_id, ordered_at)` (repurchase_rate looks up each returner's later orders without reading the rows).
Measured in docs/benchmarks.md (benchmarks/analytics.py).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 21:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_cases_resolved_at": ("cases", ["resolved_at"]),
    "ix_orders_ordered_at_customer": ("orders", ["ordered_at", "customer_id"]),
    "ix_orders_customer_ordered_at": ("orders", ["customer_id", "ordered_at"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, (table, _columns) in INDEXES.items():
        op.drop_index(name, table_name=table)
