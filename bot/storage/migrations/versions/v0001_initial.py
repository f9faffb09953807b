"""The schema as `create_all` made it before Alembic; also adopts such a database.

A database from before this migration has the tables of its release and no `alembic_version`
table. This migration creates the tables that are missing, adds the columns and indexes that
are missing (older releases lacked `counsellors.role` and the school registry), registers the
schools of existing accounts, and keeps every row. A new database gets the whole schema.

The tables are copied here as they were, not imported from bot/storage/models.py: a migration
describes one moment of the schema, and the models move on.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

log = logging.getLogger("vagvisaren.storage")
metadata = sa.MetaData()

sa.Table(
    "schools", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Table(
    "signup_requests", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("conversation_id", sa.String(128), nullable=False, index=True),
    sa.Column("visit_id", sa.String(128), nullable=False),
    sa.Column("nickname", sa.String(40), nullable=True),
    sa.Column("school", sa.String(64), nullable=True, index=True),
    sa.Column("language", sa.String(2), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Table(
    "handover_requests", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("conversation_id", sa.String(128), nullable=False, index=True),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("school", sa.String(64), nullable=True, index=True),
    sa.Column("language", sa.String(2), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Table(
    "counsellors", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("school", sa.String(64), nullable=False, index=True),
    sa.Column("language", sa.String(2), nullable=False),
    sa.Column("role", sa.String(16), nullable=False, server_default="counsellor"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)
sa.Table(
    "counsellor_sessions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("counsellor_id", sa.Integer, sa.ForeignKey("counsellors.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False, index=True),
)
sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(64), nullable=False),
    sa.Column("school", sa.String(64), nullable=False),
    sa.Column("conversation_id", sa.String(255), nullable=False, index=True),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("at", sa.Float, nullable=False, index=True),
)
sa.Table(
    "conversation_summaries", metadata,
    sa.Column("conversation_id", sa.String(255), primary_key=True),
    sa.Column("school", sa.String(64), nullable=True, index=True),
    sa.Column("language", sa.String(2), nullable=True),
    sa.Column("started_at", sa.Float, nullable=False, index=True),
    sa.Column("ended_at", sa.Float, nullable=False, index=True),
    sa.Column("fields", sa.String(512), nullable=False),
    sa.Column("handover", sa.Boolean, nullable=False, index=True),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
)
sa.Table(
    "summary_cursor", metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("last_event_id", sa.Integer, nullable=False),
)
sa.Table(
    "aggregate_counts", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("school", sa.String(64), nullable=False, index=True),
    sa.Column("week", sa.String(8), nullable=False),
    sa.Column("dimension", sa.String(16), nullable=False),
    sa.Column("key", sa.String(64), nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
    sa.UniqueConstraint("school", "week", "dimension", "key"),
)
sa.Table(
    "job_runs", metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("started_at", sa.Float, nullable=True),
    sa.Column("finished_at", sa.Float, nullable=True),
    sa.Column("report", sa.Text, nullable=True),
)


def upgrade() -> None:
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    metadata.create_all(bind, checkfirst=True)
    for table in metadata.sorted_tables:
        if table.name in existing:
            _complete(bind, table)
    if "schools" not in existing and "counsellors" in existing:
        _register_schools_with_accounts(bind)


def _complete(bind: sa.Connection, table: sa.Table) -> None:
    """Columns (each added since has a server default) and indexes an older release lacked."""
    have = {column["name"] for column in sa.inspect(bind).get_columns(table.name)}
    for column in table.columns:
        if column.name not in have:
            default = column.server_default
            text = default.arg if isinstance(default, sa.DefaultClause) else None
            op.add_column(table.name, sa.Column(
                column.name, column.type, nullable=column.nullable,
                server_default=text if isinstance(text, str) else None))
    indexes = {index["name"] for index in sa.inspect(bind).get_indexes(table.name)}
    for index in table.indexes:
        if index.name not in indexes:
            index.create(bind)


def _register_schools_with_accounts(bind: sa.Connection) -> None:
    """Upgrading to the registry: schools that already have counsellors keep their queues."""
    schools, counsellors = metadata.tables["schools"], metadata.tables["counsellors"]
    found = bind.execute(sa.select(counsellors.c.school).distinct()).scalars().all()
    for school in found:
        bind.execute(schools.insert().values(id=school, name=school,
                                             created_at=dt.datetime.now(dt.UTC)))
    if found:
        log.warning("Registered the schools of existing accounts: %s", ", ".join(found))


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
