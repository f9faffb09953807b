"""Reading and deleting the rows of Rasa's SQL event broker, the summaries' only source.

Rasa 3.6's `SQLEventBroker` (endpoints.yml `event_broker: type: SQL`) writes every event a
Rasa server saves into a table `events (id, sender_id, data)` of a database of its own, one
row and one transaction per event, `data` being the event as JSON with the `sender_id` added.
That database is ours: we read it, delete from it and index it.

- An index on `sender_id` (the broker makes none): transcripts and deletions read one
  conversation, not the whole table.
- SQLite gives a new row the largest id + 1, so deleting the newest rows would hand their ids
  out again, below the summaries' cursor. A deletion therefore never removes the row with the
  largest id: it empties it instead (no sender, data `{}`), and the next deletion removes it.
- Rows copied from the tracker store on an upgrade have negative ids (bot/summaries/upgrade.py).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Row, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.settings import get_settings
from bot.storage.db import new_engine

log = logging.getLogger("vagvisaren.summaries")
COLUMNS = {"id", "sender_id", "data"}  # rasa/core/brokers/sql.py, SQLBrokerEvent
INDEX = "ix_vagvisaren_events_sender_id"
CHUNK = 500
EMPTY = "{}"


class BrokerSchemaError(RuntimeError):
    """The broker's `events` table is not the one Rasa 3.6's SQLEventBroker makes."""


def broker_url(url: str | None = None) -> str:
    return url or get_settings().event_broker_url()


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


@lru_cache
def broker_engine(url: str) -> Engine:
    """The app database's engine options (bot/storage/db.py): WAL and secure_delete on SQLite,
    pre_ping and a connect timeout on PostgreSQL; no migrations (the table is Rasa's)."""
    return new_engine(url)


@lru_cache
def _checked(url: str) -> bool:
    """The table's columns are the broker's; the sender index exists. Once per process."""
    engine = broker_engine(url)
    inspector = inspect(engine)
    columns = {column["name"] for column in inspector.get_columns("events")}
    if columns != COLUMNS:
        raise BrokerSchemaError(
            f"the event broker's table `events` has the columns {sorted(columns)}, not Rasa "
            f"3.6's SQLEventBroker's {sorted(COLUMNS)}: is VAGVISAREN_BROKER_URL the tracker "
            "store's database?")
    if any(index["name"] == INDEX for index in inspector.get_indexes("events")):
        return True  # made once: CREATE INDEX would wait for Rasa's open inserts
    try:
        with engine.begin() as connection:
            connection.execute(text(f"CREATE INDEX IF NOT EXISTS {INDEX} ON events (sender_id)"))
    except SQLAlchemyError as err:  # two processes at once on PostgreSQL: one of them made it
        log.warning("Could not index the event broker's table by conversation: %r", err)
    return True


def broker_ready(url: str) -> bool:
    """False before Rasa has made its `events` table (and never create the SQLite file)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").exists():
        return False
    if not inspect(broker_engine(url)).has_table("events"):
        return False
    return _checked(url)


def parse(data: str | None) -> dict[str, Any]:
    """A row's event; `{}` for an emptied row or one that is no JSON object."""
    try:
        parsed = json.loads(data or EMPTY)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def rows_between(url: str, ranges: Sequence[tuple[int, int | None]],
                 limit: int) -> list[Row[Any]]:
    """Rows whose id lies in one of the open intervals (after, before), in id order; `before`
    None: no upper bound."""
    where, params = [], {}
    for i, (after, before) in enumerate(ranges):
        params[f"a{i}"] = after
        if before is None:
            where.append(f"id > :a{i}")
        else:
            params[f"b{i}"] = before
            where.append(f"(id > :a{i} AND id < :b{i})")
    with broker_engine(url).connect() as connection:
        return list(connection.execute(
            text(f"SELECT id, sender_id, data FROM events WHERE {' OR '.join(where)} "  # noqa: S608
                 "ORDER BY id LIMIT :limit"), {**params, "limit": limit}).all())


def conversation_rows(url: str, senders: Iterable[str]) -> list[Row[Any]]:
    """Every row of these conversations, in id order."""
    senders = list(senders)
    found: list[Row[Any]] = []
    with broker_engine(url).connect() as connection:
        for start in range(0, len(senders), CHUNK):
            chunk = senders[start:start + CHUNK]
            marks = ", ".join(f":s{i}" for i in range(len(chunk)))
            found += connection.execute(
                text(f"SELECT id, sender_id, data FROM events WHERE sender_id IN ({marks}) "  # noqa: S608
                     "ORDER BY id"), {f"s{i}": sender for i, sender in enumerate(chunk)}).all()
    return sorted(found, key=lambda row: int(row.id))


def delete_conversations(url: str, senders: Sequence[str]) -> int:
    """Delete these conversations' rows (one short transaction per chunk, so Rasa's writes
    wait little); on SQLite the row with the largest id is emptied instead (module docstring)."""
    if not senders or not broker_ready(url):
        return 0
    deleted = 0
    engine = broker_engine(url)
    for start in range(0, len(senders), CHUNK):
        chunk = list(senders[start:start + CHUNK])
        marks = ", ".join(f":s{i}" for i in range(len(chunk)))
        params: dict[str, Any] = {f"s{i}": sender for i, sender in enumerate(chunk)}
        with engine.begin() as connection:
            keep = None
            if is_sqlite(url):
                keep = connection.execute(text("SELECT MAX(id) FROM events")).scalar()
                if keep is not None:
                    deleted += connection.execute(text(
                        f"UPDATE events SET sender_id = NULL, data = :empty "  # noqa: S608
                        f"WHERE id = :keep AND sender_id IN ({marks})"),
                        {**params, "keep": keep, "empty": EMPTY}).rowcount
                    # emptied rows that are no longer the newest can go now
                    connection.execute(text(
                        "DELETE FROM events WHERE sender_id IS NULL AND id < :keep"),
                        {"keep": keep})
            deleted += connection.execute(text(
                f"DELETE FROM events WHERE sender_id IN ({marks})"  # noqa: S608
                + (" AND id <> :keep" if keep is not None else "")),
                {**params, **({"keep": keep} if keep is not None else {})}).rowcount
    return deleted


def ensure_positive_ids(connection: Any) -> None:
    """SQLite gives a new row the largest id + 1: with only negative (copied) rows, Rasa's next
    row would get a negative id, below the cursor. An empty row with id 0 prevents that."""
    largest = connection.execute(text("SELECT MAX(id) FROM events")).scalar()
    if largest is None or largest < 0:
        connection.execute(text("INSERT INTO events (id, sender_id, data) VALUES (0, NULL, :e)"),
                           {"e": EMPTY})


def count(url: str, sender: str | None = None) -> int:
    """Rows of one conversation, or all rows (tests, reports)."""
    if not broker_ready(url):
        return 0
    with broker_engine(url).connect() as connection:
        if sender is None:
            return int(connection.execute(text(
                "SELECT COUNT(*) FROM events WHERE sender_id IS NOT NULL")).scalar() or 0)
        return int(connection.execute(text("SELECT COUNT(*) FROM events WHERE sender_id = :s"),
                                      {"s": sender}).scalar() or 0)
