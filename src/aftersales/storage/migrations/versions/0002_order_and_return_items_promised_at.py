"""order and return items, promised_at

Adds the line tables `order_items` and `return_items` (natural keys f"{order_id}:{line_no}" and
f"{return_id}:{line_no}") and a nullable `orders.promised_at` (promised / estimated delivery time).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 15:36:28.180326
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _stamps() -> list[sa.Column[Any]]:
    return [
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "order_items",
        sa.Column("item_id", sa.String(length=128), nullable=False),
        sa.Column("order_id", sa.String(length=128), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=128), nullable=True),
        sa.Column("product_name", sa.String(length=500), nullable=True),
        sa.Column("category", sa.String(length=128), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("unit_price", sa.Float(), nullable=True),
        sa.Column("amount", sa.Float(), nullable=True),
        *_stamps(),
        sa.ForeignKeyConstraint(["order_id"], ["orders.order_id"], name=op.f("fk_order_items_order_id_orders")),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_order_items")),
    )
    with op.batch_alter_table("order_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_items_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_items_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_items_sku"), ["sku"], unique=False)

    op.create_table(
        "return_items",
        sa.Column("item_id", sa.String(length=128), nullable=False),
        sa.Column("return_id", sa.String(length=128), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=128), nullable=True),
        sa.Column("product_name", sa.String(length=500), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("amount", sa.Float(), nullable=True),
        *_stamps(),
        sa.ForeignKeyConstraint(["return_id"], ["returns.return_id"], name=op.f("fk_return_items_return_id_returns")),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_return_items")),
    )
    with op.batch_alter_table("return_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_return_items_return_id"), ["return_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_return_items_sku"), ["sku"], unique=False)

    # A plain nullable column: SQLite adds it in place (no table copy), PostgreSQL without a rewrite.
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("promised_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("return_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_items_sku"))
        batch_op.drop_index(batch_op.f("ix_return_items_return_id"))
    op.drop_table("return_items")

    with op.batch_alter_table("order_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_items_sku"))
        batch_op.drop_index(batch_op.f("ix_order_items_order_id"))
        batch_op.drop_index(batch_op.f("ix_order_items_category"))
    op.drop_table("order_items")

    if op.get_bind().dialect.name == "sqlite":
        # Native DROP COLUMN (SQLite >= 3.35): a batch copy would drop and recreate `orders`, which
        # fails with foreign_keys=ON as soon as returns reference orders.
        op.execute("ALTER TABLE orders DROP COLUMN promised_at")
    else:
        op.drop_column("orders", "promised_at")
