"""Incremental refresh of the summaries from Rasa's tracker store, and transcript reads.

A cursor (the last `events.id` folded in) lives in the app DB; each refresh reads only newer
events and rewrites only the summaries they touch. The cursor moves in the same transaction
as the summaries, with a compare-and-set, so two processes never fold an event twice.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel
from sqlalchemy import Engine, create_engine, inspect, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from bot import storage
from bot.privacy import scrub
from bot.settings import get_settings
from bot.summaries.state import State, Summary, apply, finish

CURSOR = "tracker"
BATCH = 5000
_LOCK = threading.Lock()


class _Conflict(Exception):
    """Another process moved the cursor first; our transaction is rolled back."""


class TranscriptLine(BaseModel):
    at: dt.datetime
    speaker: str  # "pupil" | "bot"
    text: str


def tracker_url(url: str | None = None) -> str:
    return url or get_settings().tracker_store_url()


@lru_cache
def tracker_engine(url: str) -> Engine:
    return create_engine(url, connect_args={"timeout": 15} if url.startswith("sqlite") else {})


def tracker_ready(url: str) -> bool:
    """False before Rasa has created its `events` table (and never create the file here)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").exists():
        return False
    return inspect(tracker_engine(url)).has_table("events")


def week_of(timestamp: float) -> str:
    year, week, _ = dt.datetime.fromtimestamp(timestamp, dt.UTC).isocalendar()
    return f"{year}-W{week:02d}"


def load_state(row: storage.ConversationSummary | None, conversation_id: str) -> State:
    return State.model_validate_json(row.state) if row else State(conversation_id=conversation_id)


def _save(current: storage.Session, row: storage.ConversationSummary | None, state: State) -> None:
    finish(state)
    values = {
        "school": state.school, "language": state.language, "started_at": state.started_at,
        "ended_at": state.ended_at, "fields": "|" + "".join(f"{f}|" for f in state.fields),
        "handover": state.handover, "data": state.summary().model_dump_json(),
        "state": state.model_dump_json(),
    }
    if row is None:
        current.add(storage.ConversationSummary(conversation_id=state.conversation_id, **values))
    else:
        for key, value in values.items():
            setattr(row, key, value)


def _refresh_batch(events_url: str, app_url: str | None, batch: int) -> int:
    with storage.session(app_url) as current:
        cursor = current.get(storage.SummaryCursor, CURSOR)
        if cursor is None:
            cursor = storage.SummaryCursor(name=CURSOR, last_event_id=0)
            current.add(cursor)
            current.flush()
        start = cursor.last_event_id
        with tracker_engine(events_url).connect() as tracker:
            rows = tracker.execute(
                text("SELECT id, sender_id, type_name, timestamp, intent_name, action_name, data "
                     "FROM events WHERE id > :start ORDER BY id LIMIT :batch"),
                {"start": start, "batch": batch},
            ).all()
        if not rows:
            return 0
        by_sender: dict[str, list] = defaultdict(list)
        for row in rows:
            by_sender[row.sender_id].append(row)
        for sender, events in by_sender.items():
            existing = current.get(storage.ConversationSummary, sender)
            state = load_state(existing, sender)
            for row in events:
                apply(state, row.type_name, row.timestamp, row.intent_name, row.action_name,
                      row.data)
            _save(current, existing, state)
        moved = current.execute(
            update(storage.SummaryCursor)
            .where(storage.SummaryCursor.name == CURSOR,
                   storage.SummaryCursor.last_event_id == start)
            .values(last_event_id=rows[-1].id)
        )
        if storage.affected(moved) != 1:
            raise _Conflict
        return len(rows)


def refresh(events_url: str | None = None, app_url: str | None = None,
            batch: int = BATCH) -> int:
    """Fold the tracker events newer than the cursor into the summaries; returns how many."""
    events_url = tracker_url(events_url)
    if not tracker_ready(events_url):
        return 0
    total = 0
    with _LOCK:
        while True:
            try:
                done = _refresh_batch(events_url, app_url, batch)
            except (_Conflict, IntegrityError):
                return total  # another process is refreshing; its result is as good
            total += done
            if done < batch:
                return total


def get_summary(conversation_id: str, app_url: str | None = None) -> Summary | None:
    with storage.session(app_url) as current:
        row = current.get(storage.ConversationSummary, conversation_id)
        return Summary.model_validate_json(row.data) if row else None


def transcript(conversation_id: str, events_url: str | None = None) -> list[TranscriptLine]:
    """The pupil's and the bot's messages, PII scrubbed; suggestion cards become their titles."""
    events_url = tracker_url(events_url)
    if not tracker_ready(events_url):
        return []
    with tracker_engine(events_url).connect() as tracker:
        rows = tracker.execute(
            text("SELECT type_name, timestamp, data FROM events WHERE sender_id = :sender "
                 "AND type_name IN ('user', 'bot') ORDER BY id"),
            {"sender": conversation_id},
        ).all()
    lines = []
    for row in rows:
        data = json.loads(row.data or "{}")
        said = data.get("text") or ""
        custom = (data.get("data") or {}).get("custom") if row.type_name == "bot" else None
        if not said and isinstance(custom, dict):
            said = " · ".join(str(i.get("title", "")) for i in custom.get("items") or [])
        if said:
            lines.append(TranscriptLine(
                at=dt.datetime.fromtimestamp(row.timestamp or 0, dt.UTC),
                speaker="pupil" if row.type_name == "user" else "bot", text=scrub(said)))
    return lines
