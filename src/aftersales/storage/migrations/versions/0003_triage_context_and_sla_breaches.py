"""triage context on decisions, SLA breach times and polarity on cases

Adds `decisions.compensation_limit`, `decisions.notify`, `decisions.context` (the TriageContext the policy saw)
and `cases.polarity_open`, `cases.polarity_close`, `cases.first_response_breached_at`, `cases.resolution_breached_at`.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 18:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("compensation_limit", sa.Float(), nullable=True))
        batch.add_column(sa.Column("notify", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("context", sa.JSON(), nullable=True))
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("polarity_open", sa.Float(), nullable=True))
        batch.add_column(sa.Column("polarity_close", sa.Float(), nullable=True))
        batch.add_column(sa.Column("first_response_breached_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("resolution_breached_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        for name in ("resolution_breached_at", "first_response_breached_at", "polarity_close", "polarity_open"):
            batch.drop_column(name)
    with op.batch_alter_table("decisions") as batch:
        for name in ("context", "notify", "compensation_limit"):
            batch.drop_column(name)
