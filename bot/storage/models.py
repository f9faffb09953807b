"""The application's tables, as SQLAlchemy models: visit sign-ups, handover requests, and for
the counsellor view the registry of schools, accounts, sessions, the audit log, conversation
summaries, the summary cursor, anonymous aggregate counts and scheduled jobs.

A change here needs a migration too (bot/storage/migrations/versions): the database is built
and upgraded by those, never from these classes; tests/test_migrations.py checks that the two
agree.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROLES = ("counsellor", "admin")


class Base(DeclarativeBase):
    pass


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class School(Base):
    """A school that may receive handovers and sign-ups; `id` is its widget's `data-school`.

    The widget is public, so any client can claim any id: requests naming an id not in this
    registry go to the "no school" queue (school NULL), which only an administrator reads.
    """

    __tablename__ = "schools"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class SignupRequest(Base):
    """A pupil's wish to join a study visit: pseudonymous id, visit, optional first name."""

    __tablename__ = "signup_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    visit_id: Mapped[str] = mapped_column(String(128))
    nickname: Mapped[str | None] = mapped_column(String(40))
    school: Mapped[str | None] = mapped_column(String(64), index=True)
    language: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class HandoverRequest(Base):
    """A request to talk to a human counsellor, with the pupil's own question."""

    __tablename__ = "handover_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    question: Mapped[str] = mapped_column(Text)
    school: Mapped[str | None] = mapped_column(String(64), index=True)
    language: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class Counsellor(Base):
    """A study/career counsellor's account: one school, a password hash, a UI language."""

    __tablename__ = "counsellors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    school: Mapped[str] = mapped_column(String(64), index=True)
    language: Mapped[str] = mapped_column(String(2), default="sv")
    # "admin" also reads the school's audit log; server_default so older databases upgrade.
    role: Mapped[str] = mapped_column(String(16), default="counsellor",
                                      server_default="counsellor")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class CounsellorSession(Base):
    """A login: only the SHA-256 of the random cookie token is stored, with an expiry."""

    __tablename__ = "counsellor_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    counsellor_id: Mapped[int] = mapped_column(ForeignKey("counsellors.id", ondelete="CASCADE"))
    expires_at: Mapped[float] = mapped_column(Float, index=True)


class AuditEntry(Base):
    """Who read which conversation's transcript or exported the school's data, and when.

    An export covers many conversations: its `conversation_id` is "*".
    """

    __tablename__ = "audit_log"
    # An admin reads their school's log newest first (bot/auth/audit.py): migration 0002.
    __table_args__ = (Index("ix_audit_log_school_at", "school", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    school: Mapped[str] = mapped_column(String(64))
    conversation_id: Mapped[str] = mapped_column(String(255), index=True)
    action: Mapped[str] = mapped_column(String(32))
    at: Mapped[float] = mapped_column(Float, index=True)


class ConversationSummary(Base):
    """One conversation, summarised from the Rasa events seen so far (its event broker).

    Filterable columns are real columns; `data` is the full structured summary (JSON) and
    `state` the builder's running state, so new events update it without a rescan.
    """

    __tablename__ = "conversation_summaries"

    conversation_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    school: Mapped[str | None] = mapped_column(String(64), index=True)
    language: Mapped[str | None] = mapped_column(String(2))
    started_at: Mapped[float] = mapped_column(Float, index=True)
    ended_at: Mapped[float] = mapped_column(Float, index=True)
    # "|vehicles|it|": a LIKE filter finds one field without a join table.
    fields: Mapped[str] = mapped_column(String(512), default="|")
    handover: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    data: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text)


class SummaryCursor(Base):
    """How far the summaries were folded (bot/summaries/store.py): `broker` over the event
    broker's ids (a watermark, and in `pending` the intervals folded above it); `tracker` and
    `backfill`, over the tracker store's ids, only until the upgrade's copy is done."""

    __tablename__ = "summary_cursor"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(Integer, default=0)
    pending: Mapped[str | None] = mapped_column(Text)


class AggregateCount(Base):
    """Anonymous counts kept after a purge: per school, ISO week, dimension and key; no ids."""

    __tablename__ = "aggregate_counts"
    __table_args__ = (UniqueConstraint("school", "week", "dimension", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school: Mapped[str] = mapped_column(String(64), index=True)
    week: Mapped[str] = mapped_column(String(8))  # "2026-W07"
    dimension: Mapped[str] = mapped_column(String(16))  # field | language | total
    key: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(Integer, default=0)


class JobRun(Base):
    """When a scheduled job (the daily purge) last started and finished, and its counts."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    started_at: Mapped[float | None] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float)
    report: Mapped[str | None] = mapped_column(Text)
