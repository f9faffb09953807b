"""The one module that touches the private table `events` of Rasa's SQL tracker store.

The summaries and transcripts read Rasa's SQL event broker (bot/summaries/broker.py), a
supported interface. Deleting is another matter: Rasa 3.6 Open Source cannot delete a
conversation from its tracker store. `TrackerStore` has `save`, `retrieve`, `keys` and no
delete; the HTTP API's `PUT /conversations/<id>/tracker/events` "replaces" the events, but
`SQLTrackerStore.save` only appends the events beyond those it already holds, so every old row
stays. Retention (90 days) and erasure on request (`forget`) must still remove a conversation
from it. So the purge deletes its rows with SQL here, and nowhere else.

It does so only on the table Rasa 3.6.21's `SQLTrackerStore.SQLEvent` makes (COLUMNS): on any
other columns it refuses with `TrackerSchemaError` rather than guess what a later Rasa keeps
where. Besides deleting, it reads the table once per installation: on the upgrade to the event
broker, the conversations stored before it are copied over (bot/summaries/upgrade.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Row, create_engine, inspect, text
from sqlalchemy.engine import make_url

from bot.settings import get_settings

# rasa/core/tracker_store.py, SQLTrackerStore.SQLEvent (Rasa 3.6.21)
COLUMNS = {"id", "sender_id", "type_name", "timestamp", "intent_name", "action_name", "data"}
CHUNK = 500


class TrackerSchemaError(RuntimeError):
    """Rasa's tracker-store table is not the one this code knows how to delete from."""


def tracker_url(url: str | None = None) -> str:
    return url or get_settings().tracker_store_url()


@lru_cache
def tracker_engine(url: str) -> Engine:
    return create_engine(url, connect_args={"timeout": 15} if url.startswith("sqlite") else {})


def check_schema(engine: Engine) -> None:
    columns = {column["name"] for column in inspect(engine).get_columns("events")}
    if columns != COLUMNS:
        raise TrackerSchemaError(
            f"Rasa's tracker store table `events` has the columns {sorted(columns)}, not "
            f"{sorted(COLUMNS)} of Rasa 3.6.21's SQLTrackerStore: refusing to delete from it. "
            "Check bot/summaries/rasa_tracker.py against the Rasa version in use.")


def tracker_ready(url: str) -> bool:
    """False before Rasa has made its table (and never create the SQLite file); raises
    TrackerSchemaError when the table is not Rasa 3.6.21's."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").exists():
        return False
    engine = tracker_engine(url)
    if not inspect(engine).has_table("events"):
        return False
    check_schema(engine)
    return True


def rows_after(url: str, after: int, limit: int) -> list[Row[Any]]:
    """Rows (id, sender_id, data) with an id above `after`, in id order (the upgrade's copy)."""
    with tracker_engine(url).connect() as connection:
        return list(connection.execute(
            text("SELECT id, sender_id, data FROM events WHERE id > :after ORDER BY id "
                 "LIMIT :limit"), {"after": after, "limit": limit}).all())


def old_senders(url: str, cutoff: float) -> list[str]:
    """Conversations whose last event is older than `cutoff` (seconds since the epoch)."""
    if not tracker_ready(url):
        return []
    with tracker_engine(url).connect() as connection:
        return list(connection.execute(
            text("SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :c"),
            {"c": cutoff}).scalars())


def delete_conversations(url: str, senders: Sequence[str]) -> int:
    """Delete every row of these conversations; the number of rows."""
    if not senders or not tracker_ready(url):
        return 0
    deleted = 0
    with tracker_engine(url).begin() as connection:
        if url.startswith("sqlite"):
            connection.execute(text("PRAGMA secure_delete=ON"))
        for start in range(0, len(senders), CHUNK):
            chunk = senders[start:start + CHUNK]
            marks = ", ".join(f":s{i}" for i in range(len(chunk)))
            deleted += connection.execute(
                text(f"DELETE FROM events WHERE sender_id IN ({marks})"),  # noqa: S608
                {f"s{i}": sender for i, sender in enumerate(chunk)}).rowcount
    return deleted
