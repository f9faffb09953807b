"""The upgrade from summaries read out of Rasa's tracker store to summaries read from its SQL
event broker: done once, by the first refresh that finds no broker cursor.

Before, the summaries were folded from the tracker store's `events` table, with a cursor
`tracker` (the last tracker id folded) in the app database. On the upgrade the event broker's
database is new: it holds what Rasa saved since it was restarted with the broker, and nothing
from before. Left like that, the conversations from before would keep their summaries but lose
their transcripts, and the events saved after the last refresh of the old release would never
reach a summary. So the first refresh of this release copies the tracker store's rows into the
broker's table, in batches (cursor `backfill`, the last tracker id copied), then starts the
broker's cursor (`broker`) at 0 and drops `tracker` and `backfill`:

- A copy gets the id `tracker id - OFFSET` (negative, in the tracker's order): every copy comes
  before every row Rasa publishes (ids from 1), so a conversation's transcript stays in order,
  and no copy is ever read by the broker's cursor.
- Copies of rows above the old cursor (saved after the old release's last refresh) are folded
  into the summaries as they are copied; those at or below it were folded already.
- Rows Rasa also published to the broker (saved after the restart) are not copied: a tracker
  row is skipped when the broker holds the same event of the same conversation. Rasa publishes
  an event to the broker before it writes it to the tracker store (`SQLTrackerStore.save`), and
  the tracker rows are read before the broker's, so no such row is missed.
- A fresh installation goes the same way with nothing to copy.

Upgrade every Rasa server at once: an old one still running after the copy writes to the
tracker store only, and what it saves reaches no summary.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, text, update

from bot import storage
from bot.summaries import broker, rasa_tracker

LEGACY = "tracker"
BACKFILL = "backfill"
CURSOR = "broker"
# Copies take ids at and below 0 (tracker ids fit in 32 bits, as the broker's id column).
OFFSET = 2**31 - 1
log = logging.getLogger("vagvisaren.summaries")


class Conflict(Exception):
    """Another process moved a cursor first; our transaction is rolled back."""


def _key(sender: str, event: dict[str, Any]) -> tuple[str, str]:
    return sender, json.dumps({k: v for k, v in event.items() if k != "sender_id"},
                              sort_keys=True)


def _finish(current: storage.Session) -> None:
    """Start the broker's cursor: every copy (id <= 0) is folded, or was before the upgrade."""
    current.execute(delete(storage.SummaryCursor).where(
        storage.SummaryCursor.name.in_([LEGACY, BACKFILL])))
    current.add(storage.SummaryCursor(name=CURSOR, last_event_id=0, pending="[]"))
    current.flush()  # IntegrityError: another process finished first


def _copy(broker_url: str, rows: list[Any]) -> list[tuple[int, str, dict[str, Any]]]:
    """Copy into the broker the tracker rows it does not hold; (tracker id, sender, event) of
    every row that is not one Rasa published itself."""
    senders = {row.sender_id for row in rows}
    published = Counter(_key(row.sender_id, broker.parse(row.data))
                        for row in broker.conversation_rows(broker_url, senders) if row.id > 0)
    copies = []
    for row in rows:
        event = broker.parse(row.data)
        key = _key(row.sender_id, event)
        if published[key] > 0:
            published[key] -= 1
            continue
        copies.append((int(row.id), str(row.sender_id), event))
    if not copies:
        return copies
    ids = [tracker_id - OFFSET for tracker_id, _, _ in copies]
    with broker.broker_engine(broker_url).begin() as connection:
        there = set(connection.execute(text("SELECT id FROM events WHERE id BETWEEN :a AND :b"),
                                       {"a": min(ids), "b": max(ids)}).scalars())
        new = [{"id": new_id, "sender": sender, "data": json.dumps({"sender_id": sender, **event})}
               for new_id, (_, sender, event) in zip(ids, copies, strict=True)
               if new_id not in there]
        if new:
            connection.execute(text("INSERT INTO events (id, sender_id, data) "
                                    "VALUES (:id, :sender, :data)"), new)
        if broker.is_sqlite(broker_url):
            broker.ensure_positive_ids(connection)
    return copies


def _tracker_readable(url: str, upgrading: bool) -> bool:
    """Whether to copy from the tracker store. A table that is not Rasa 3.6.21's stops an
    upgrade (TrackerSchemaError); without summaries of the old release (a fresh installation)
    there is nothing to carry over, and the summaries start from the broker alone."""
    try:
        return rasa_tracker.tracker_ready(url)
    except rasa_tracker.TrackerSchemaError:
        if upgrading:
            raise
        log.warning("Not copying Rasa's tracker store into the event broker: its table is not "
                    "Rasa 3.6.21's; the summaries start from the event broker")
        return False


def step(current: storage.Session, broker_url: str, tracker_url: str, batch: int,
         fold: Callable[[storage.Session, list[tuple[str, dict[str, Any]]]], int]) -> int:
    """One batch of the copy, in the caller's app-database transaction; the number of events
    folded. Finishes (starts the broker's cursor) when nothing is left to copy."""
    legacy = current.get(storage.SummaryCursor, LEGACY)
    progress = current.get(storage.SummaryCursor, BACKFILL)
    folded_to = legacy.last_event_id if legacy else 0
    copied_to = progress.last_event_id if progress else 0
    rows = (rasa_tracker.rows_after(tracker_url, copied_to, batch)
            if _tracker_readable(tracker_url, legacy is not None) else [])
    if not rows:
        _finish(current)
        return 0
    copies = _copy(broker_url, rows)
    done = fold(current, [(sender, event) for tracker_id, sender, event in copies
                          if tracker_id > folded_to])
    last = int(rows[-1].id)
    if progress is None:
        current.add(storage.SummaryCursor(name=BACKFILL, last_event_id=last))
        current.flush()  # IntegrityError: another process started the copy too
    elif storage.affected(current.execute(
            update(storage.SummaryCursor).where(storage.SummaryCursor.name == BACKFILL,
                                                storage.SummaryCursor.last_event_id == copied_to)
            .values(last_event_id=last))) != 1:
        raise Conflict
    return done
