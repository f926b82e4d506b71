"""partial index of negative analyses for negative_share (issue #5)

`analyses (interaction_id, polarity) WHERE polarity = 'negative'`: `negative_share` asks, for each customer message
of the window, whether any of its analyses is negative. Through the unique `(interaction_id, model_version)` index
that took the index entry plus the analysis row (for its polarity); this index answers it from one index probe
(polarity is in it because SQLite otherwise reads the row to check the condition the index already implies). Only
negative analyses are in it, so the analyses written with another polarity cost no extra index write. SQLite's
planner prefers the unique index while its statistics do not know this one, so analyses is analysed here.
Measured in docs/benchmarks.md (benchmarks/analytics.py).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from aftersales.storage import db

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEGATIVE = sa.text("polarity = 'negative'")


def upgrade() -> None:
    op.create_index(
        "ix_analyses_negative",
        "analyses",
        ["interaction_id", "polarity"],
        sqlite_where=NEGATIVE,
        postgresql_where=NEGATIVE,
    )
    db.analyze(op.get_bind(), ["analyses"])


def downgrade() -> None:
    op.drop_index("ix_analyses_negative", table_name="analyses")
