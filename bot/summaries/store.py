"""Incremental refresh of the summaries from Rasa's SQL event broker, and transcript reads.

Rasa publishes every event it saves to its SQL event broker (endpoints.yml `event_broker`), a
table `events (id, sender_id, data)` in a database of its own (bot/summaries/broker.py). A
cursor in the app DB (bot/summaries/cursor.py: a watermark and the ids folded above it) says
which rows were folded; each refresh reads only the others and rewrites only the summaries
they touch. A row that becomes visible after rows with larger ids (several Rasa replicas on
PostgreSQL) is still folded, once. The cursor moves in the same transaction as the summaries,
with a compare-and-set, so two processes never fold an event twice.

The first refresh of an installation that folded its summaries from the tracker store copies
that store's conversations into the broker's table first (bot/summaries/upgrade.py).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

from pydantic import BaseModel
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from bot import storage
from bot.privacy import scrub
from bot.summaries import broker, upgrade
from bot.summaries.cursor import SETTLE_S, Cursor
from bot.summaries.fold import fold
from bot.summaries.rasa_tracker import tracker_url
from bot.summaries.state import Summary

CURSOR = upgrade.CURSOR
BATCH = 5000
_LOCK = threading.Lock()
log = logging.getLogger("vagvisaren.summaries")


class TranscriptLine(BaseModel):
    at: dt.datetime
    speaker: str  # "pupil" | "bot"
    text: str


def week_of(timestamp: float) -> str:
    year, week, _ = dt.datetime.fromtimestamp(timestamp, dt.UTC).isocalendar()
    return f"{year}-W{week:02d}"


def _fold_broker(current: storage.Session, row: storage.SummaryCursor, url: str, batch: int,
                 now: float, settle_s: float) -> int:
    """Fold one batch of the broker's rows not folded yet; the number of rows read."""
    cursor = Cursor.load(row.last_event_id, row.pending)
    old = (cursor.watermark, row.pending)
    rows = broker.rows_between(url, cursor.holes(), batch)
    fold(current, [(r.sender_id, broker.parse(r.data)) for r in rows])
    cursor.add((int(r.id) for r in rows), now)
    given_up = cursor.advance(now, settle_s)
    if given_up:
        log.info("Summaries: %d event ids never appeared in the event broker within %.0f s "
                 "(deleted, or never written); not waiting for them", given_up, settle_s)
    pending = cursor.dump()
    if (cursor.watermark, pending) == old:
        return len(rows)
    model = storage.SummaryCursor
    same = model.pending.is_(None) if old[1] is None else model.pending == old[1]
    moved = current.execute(update(model).where(
        model.name == CURSOR, model.last_event_id == old[0], same)
        .values(last_event_id=cursor.watermark, pending=pending))
    if storage.affected(moved) != 1:
        raise upgrade.Conflict
    return len(rows)


def _refresh_batch(url: str, tracker: str, app_url: str | None, batch: int, now: float,
                   settle_s: float) -> tuple[int, bool]:
    """(events folded, whether to go on) for one batch, in one app-database transaction."""
    with storage.session(app_url) as current:
        row = current.get(storage.SummaryCursor, CURSOR)
        if row is None:  # the upgrade's copy, or a fresh installation: then the broker's rows
            return upgrade.step(current, url, tracker, batch, fold), True
        read = _fold_broker(current, row, url, batch, now, settle_s)
        return read, read >= batch


def refresh(events_url: str | None = None, app_url: str | None = None, batch: int = BATCH,
            tracker: str | None = None, now: float | None = None,
            settle_s: float = SETTLE_S) -> int:
    """Fold the event broker's rows not folded yet into the summaries; returns how many.
    `events_url`: the broker's database (default: settings); `tracker`: the tracker store's,
    read only by the one-time upgrade."""
    url = broker.broker_url(events_url)
    if not broker.broker_ready(url):
        return 0  # Rasa has not started with its broker yet
    total = 0
    with _LOCK:
        while True:
            try:
                done, more = _refresh_batch(url, tracker_url(tracker), app_url, batch,
                                            time.time() if now is None else now, settle_s)
            except (upgrade.Conflict, IntegrityError):
                return total  # another process is refreshing; its result is as good
            total += done
            if not more:
                return total


def get_summary(conversation_id: str, app_url: str | None = None) -> Summary | None:
    with storage.session(app_url) as current:
        row = current.get(storage.ConversationSummary, conversation_id)
        return Summary.model_validate_json(row.data) if row else None


def transcript(conversation_id: str, events_url: str | None = None) -> list[TranscriptLine]:
    """The pupil's and the bot's messages, PII scrubbed; suggestion cards become their titles."""
    url = broker.broker_url(events_url)
    if not broker.broker_ready(url):
        return []
    lines = []
    for row in broker.conversation_rows(url, [conversation_id]):
        event = broker.parse(row.data)
        kind = event.get("event")
        if kind not in ("user", "bot"):
            continue
        said = str(event.get("text") or "")
        custom = (event.get("data") or {}).get("custom") if kind == "bot" else None
        if not said and isinstance(custom, dict):
            said = " · ".join(str(i.get("title", "")) for i in custom.get("items") or [])
        if said:
            stamp = event.get("timestamp")
            lines.append(TranscriptLine(
                at=dt.datetime.fromtimestamp(stamp if isinstance(stamp, int | float) else 0,
                                             dt.UTC),
                speaker="pupil" if kind == "user" else "bot", text=scrub(said)))
    return lines
