"""The application's own tables (visit sign-ups, handover requests) in SQLite via SQLAlchemy.

Separate from Rasa's tracker store: these are requests a counsellor acts on, so they must
survive restarts and be queryable without replaying conversations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import DateTime, Engine, Integer, String, Text, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

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


@lru_cache
def engine(url: str | None = None) -> Engine:
    """One engine per database URL; tables are created on first use."""
    settings = get_settings()
    if url is None:
        settings.var_dir.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{settings.var_dir / 'app.db'}"
    created = create_engine(url, connect_args={"timeout": 15})

    @event.listens_for(created, "connect")
    def _wal(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # WAL lets the gateway read while the action server writes.
        dbapi_connection.execute("PRAGMA journal_mode=WAL")

    Base.metadata.create_all(created)
    return created


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
    request = HandoverRequest(conversation_id=conversation_id, question=question,
                              school=school, language=language)
    with session(url) as current:
        current.add(request)
    return request
