"""The summaries' cursor over the event broker keeps the ids folded above its watermark.

Rows of Rasa's SQL event broker can become visible out of id order (several Rasa replicas on
PostgreSQL), so the cursor is a watermark plus the intervals folded above it, as JSON
(bot/summaries/cursor.py). The old cursor `tracker` keeps its row: the first refresh copies the
tracker store's conversations into the broker and then drops it (bot/summaries/upgrade.py).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("summary_cursor") as table:
        table.add_column(sa.Column("pending", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("summary_cursor") as table:
        table.drop_column("pending")
