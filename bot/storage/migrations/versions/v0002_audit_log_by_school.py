"""An index for a school's audit log, newest first (bot/auth/audit.py `entries`).

The log is kept a year (`audit_retention_days`) and shared by every school on the server;
without this index each read of one school's log scans the whole table.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_log_school_at", "audit_log", ["school", "at"], if_not_exists=True)


def downgrade() -> None:
    op.drop_index("ix_audit_log_school_at", table_name="audit_log", if_exists=True)
