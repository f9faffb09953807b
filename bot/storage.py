"""The application's own tables in SQLite via SQLAlchemy: visit sign-ups, handover requests,
and for the counsellor view accounts, sessions, the audit log, conversation summaries, the
summary cursor and anonymous aggregate counts.

Separate from Rasa's tracker store: these are requests a counsellor acts on, so they must
survive restarts and be queryable without replaying conversations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import (
    Boolean,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from bot.privacy import scrub
from bot.settings import get_settings


class Base(DeclarativeBase):
    pass


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class CounsellorSession(Base):
    """A login: only the SHA-256 of the random cookie token is stored, with an expiry."""

    __tablename__ = "counsellor_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    counsellor_id: Mapped[int] = mapped_column(ForeignKey("counsellors.id", ondelete="CASCADE"))
    expires_at: Mapped[float] = mapped_column(Float, index=True)


class AuditEntry(Base):
    """Who read which conversation's transcript, and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    school: Mapped[str] = mapped_column(String(64))
    conversation_id: Mapped[str] = mapped_column(String(255), index=True)
    action: Mapped[str] = mapped_column(String(32))
    at: Mapped[float] = mapped_column(Float, index=True)


class ConversationSummary(Base):
    """One conversation, summarised from the tracker events seen so far.

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
    """The last tracker `events.id` folded into the summaries."""

    __tablename__ = "summary_cursor"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(Integer, default=0)


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


def engine(url: str | None = None) -> Engine:
    """One engine per database URL (default: var_dir/app.db); tables are created on first use."""
    settings = get_settings()
    if url is None:
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        url = settings.app_db_url()
    return _engine(url)


@lru_cache
def _engine(url: str) -> Engine:
    created = create_engine(url, connect_args={"timeout": 15})

    @event.listens_for(created, "connect")
    def _wal(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # WAL lets the gateway read while the action server writes; secure_delete overwrites
        # purged rows instead of leaving them in free pages.
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA secure_delete=ON")

    Base.metadata.create_all(created)
    return created


# Tests reset engines with `storage.engine.cache_clear()`, as when `engine` itself was cached.
engine.cache_clear = _engine.cache_clear  # type: ignore[attr-defined]


@contextmanager
def session(url: str | None = None) -> Iterator[Session]:
    """A transaction: committed on success, rolled back on error."""
    with sessionmaker(engine(url), expire_on_commit=False).begin() as current:
        yield current


def add_signup(conversation_id: str, visit_id: str, nickname: str | None, school: str | None,
               language: str, url: str | None = None) -> SignupRequest:
    request = SignupRequest(conversation_id=conversation_id, visit_id=visit_id,
                            nickname=nickname, school=school, language=language)
    with session(url) as current:
        current.add(request)
    return request


def add_handover(conversation_id: str, question: str, school: str | None, language: str,
                 url: str | None = None) -> HandoverRequest:
    request = HandoverRequest(conversation_id=conversation_id, question=scrub(question),
                              school=school, language=language)
    with session(url) as current:
        current.add(request)
    return request
