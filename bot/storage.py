"""The application's own tables in SQLite via SQLAlchemy: visit sign-ups, handover requests,
and for the counsellor view the registry of schools, accounts, sessions, the audit log,
conversation summaries, the summary cursor, anonymous aggregate counts and scheduled jobs.

Separate from Rasa's tracker store: these are requests a counsellor acts on, so they must
survive restarts and be queryable without replaying conversations.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    CursorResult,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Integer,
    Result,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.schema import CreateColumn

from bot.privacy import school_id, scrub
from bot.settings import get_settings

log = logging.getLogger("vagvisaren.storage")
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


class JobRun(Base):
    """When a scheduled job (the daily purge) last started and finished, and its counts."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    started_at: Mapped[float | None] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float)
    report: Mapped[str | None] = mapped_column(Text)


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
    def _wal(dbapi_connection: Any, _record: object) -> None:  # a sqlite3.Connection
        # WAL lets the gateway read while the action server writes; secure_delete overwrites
        # purged rows instead of leaving them in free pages.
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA secure_delete=ON")

    with created.begin() as connection:
        existing = set(inspect(connection).get_table_names())
        Base.metadata.create_all(connection)
        _add_new_columns(connection, existing)
        if "schools" not in existing and "counsellors" in existing:
            _register_schools_with_accounts(connection)
    return created


def _add_new_columns(connection: Connection, existing: set[str]) -> None:
    """Columns added since a database was made (each has a server default): ADD COLUMN."""
    for table in Base.metadata.sorted_tables:
        if table.name not in existing:
            continue
        have = {column["name"] for column in inspect(connection).get_columns(table.name)}
        for column in table.columns:
            if column.name not in have:
                ddl = CreateColumn(column).compile(dialect=connection.dialect)
                try:  # a failed statement leaves an SQLite transaction usable
                    connection.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {ddl}"))
                except OperationalError as err:
                    if "duplicate column" not in str(err):
                        raise  # else: another process starting at once added it first


def _register_schools_with_accounts(connection: Connection) -> None:
    """Upgrading to the registry: schools that already have counsellors keep their queues."""
    schools = connection.execute(select(Counsellor.school).distinct()).scalars().all()
    for school in schools:
        # OR IGNORE: the action server and the gateway may upgrade at the same moment.
        connection.execute(insert(School).prefix_with("OR IGNORE").values(
            id=school, name=school, created_at=_now()))
    if schools:
        log.warning("Registered the schools of existing accounts: %s", ", ".join(schools))


# Tests reset engines with `storage.engine.cache_clear()`, as when `engine` itself was cached.
engine.cache_clear = _engine.cache_clear  # type: ignore[attr-defined]


def affected(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE run through a Session changed (its `rowcount`)."""
    if not isinstance(result, CursorResult):
        raise TypeError(f"not the result of an UPDATE or DELETE: {type(result).__name__}")
    return result.rowcount


@contextmanager
def session(url: str | None = None) -> Iterator[Session]:
    """A transaction: committed on success, rolled back on error."""
    with sessionmaker(engine(url), expire_on_commit=False).begin() as current:
        yield current


def registered_school(current: Session, school: str | None) -> str | None:
    """`school` when it is in the registry; None (the "no school" queue) for any other id."""
    school = school_id(school)
    if school is None:
        return None
    if current.get(School, school) is None:
        log.warning("School %r is not registered: its request goes to the no-school queue",
                    school)
        return None
    return school


def add_signup(conversation_id: str, visit_id: str, nickname: str | None, school: str | None,
               language: str, url: str | None = None) -> SignupRequest:
    with session(url) as current:
        request = SignupRequest(conversation_id=conversation_id, visit_id=visit_id,
                                nickname=nickname, school=registered_school(current, school),
                                language=language)
        current.add(request)
    return request


def add_handover(conversation_id: str, question: str, school: str | None, language: str,
                 url: str | None = None) -> HandoverRequest:
    with session(url) as current:
        request = HandoverRequest(conversation_id=conversation_id, question=scrub(question),
                                  school=registered_school(current, school), language=language)
        current.add(request)
    return request
