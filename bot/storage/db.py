"""Engines and transactions for the app database, and the two writes the action server makes.

One engine per SQLAlchemy URL: `Settings.app_db_url()` by default (VAGVISAREN_DATABASE_URL,
else SQLite in var/app.db). The first use of a URL in a process upgrades its schema to the
newest migration (bot/storage/migrate.py), as `create_all` did before.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import CursorResult, Engine, Result, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.privacy import school_id, scrub
from bot.settings import get_settings
from bot.storage.migrate import upgrade
from bot.storage.models import HandoverRequest, School, SignupRequest

log = logging.getLogger("vagvisaren.storage")


def engine(url: str | None = None) -> Engine:
    """One engine per database URL (default: the settings'); its schema is upgraded on first
    use. A failure (a database that is down) is not cached: the next call tries again."""
    settings = get_settings()
    if url is None:
        url = settings.app_db_url()
        if make_url(url).get_backend_name() == "sqlite":
            settings.var_dir.mkdir(parents=True, exist_ok=True)
    return _engine(url)


def new_engine(url: str) -> Engine:
    """An engine without the upgrade: SQLite in WAL mode, or a pooled server connection."""
    backend = make_url(url).get_backend_name()
    if backend != "sqlite":
        # pre_ping: after a database restart, a dead pooled connection is replaced, not used;
        # a server that does not answer fails the request (and /healthz) in seconds.
        connect = {"connect_timeout": 10} if backend == "postgresql" else {}
        return create_engine(url, pool_pre_ping=True, connect_args=connect)
    created = create_engine(url, connect_args={"timeout": 15})

    @event.listens_for(created, "connect")
    def _wal(dbapi_connection: Any, _record: object) -> None:  # a sqlite3.Connection
        # WAL lets the gateway read while the action server writes; secure_delete overwrites
        # purged rows instead of leaving them in free pages.
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA secure_delete=ON")

    return created


@lru_cache
def _engine(url: str) -> Engine:
    created = new_engine(url)
    try:
        upgrade(created)
    except BaseException:
        created.dispose()
        raise
    return created


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
