"""Writes synthetic conversations as Rasa does with its SQL tracker store and its SQL event
broker: each event a row of the tracker store's `events` table (SQLite, Rasa 3.6's columns)
and a row of the broker's `events` table (a database of its own: id, sender_id, data)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The columns of Rasa's SQLTrackerStore.SQLEvent (rasa/core/tracker_store.py).
EVENTS_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER NOT NULL PRIMARY KEY,
    sender_id VARCHAR(255) NOT NULL,
    type_name VARCHAR(255) NOT NULL,
    timestamp FLOAT,
    intent_name VARCHAR(255),
    action_name VARCHAR(255),
    data TEXT
);
CREATE INDEX IF NOT EXISTS ix_events_sender_id ON events (sender_id);
"""
# The table of Rasa's SQLEventBroker.SQLBrokerEvent (rasa/core/brokers/sql.py).
BROKER_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER NOT NULL,
    sender_id VARCHAR(255),
    data TEXT,
    PRIMARY KEY (id)
);
"""


def event(type_name: str, ts: float, **data: Any) -> dict[str, Any]:
    """A Rasa event dict, as `Event.as_dict()` makes it."""
    return {"event": type_name, "timestamp": ts, **data}


@dataclass
class Tracker:
    """Writes Rasa-shaped events into the tracker store at `path` and the event broker at
    `broker` (default: events.db beside it), both SQLite. `broker=False`: the tracker store
    alone, as before the event broker (the upgrade's tests)."""

    path: Path
    broker: Path | None | bool = None
    rows: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.broker is None or self.broker is True:
            self.broker = self.path.with_name("events.db")
        with sqlite3.connect(self.path) as db:
            db.executescript(EVENTS_SCHEMA)
        if self.broker:
            with sqlite3.connect(self.broker) as db:
                db.executescript(BROKER_SCHEMA)

    def add(self, sender: str, type_name: str, ts: float, data: dict[str, Any],
            intent: str | None = None, action: str | None = None) -> None:
        del intent, action  # Rasa derives both from the event itself
        self.rows.append((sender, event(type_name, ts, **data)))

    def user(self, sender: str, ts: float, text: str, intent: str,
             metadata: dict[str, Any] | None = None) -> None:
        self.add(sender, "user", ts, {"text": text, "parse_data": {"intent": {"name": intent}},
                                      "metadata": metadata or {}})

    def bot(self, sender: str, ts: float, text: str | None = None, utter: str | None = None,
            custom: dict[str, Any] | None = None) -> None:
        self.add(sender, "bot", ts, {"text": text, "data": {"custom": custom},
                                     "metadata": {"utter_action": utter} if utter else {}})

    def slot(self, sender: str, ts: float, name: str, value: Any) -> None:
        self.add(sender, "slot", ts, {"name": name, "value": value})

    def action(self, sender: str, ts: float, name: str) -> None:
        self.add(sender, "action", ts, {"name": name})

    def flush(self) -> None:
        """As `SQLTrackerStore.save`: to the broker (one row per event), then the tracker."""
        if self.broker:
            with sqlite3.connect(self.broker) as db:
                db.executemany("INSERT INTO events (sender_id, data) VALUES (?, ?)",
                               [(sender, json.dumps({"sender_id": sender, **data}))
                                for sender, data in self.rows])
        with sqlite3.connect(self.path) as db:
            db.executemany(
                "INSERT INTO events (sender_id, type_name, timestamp, intent_name, action_name, "
                "data) VALUES (?, ?, ?, ?, ?, ?)",
                [(sender, data["event"], data["timestamp"],
                  ((data.get("parse_data") or {}).get("intent") or {}).get("name"),
                  data.get("name"), json.dumps(data)) for sender, data in self.rows])
        self.rows.clear()

    def tracker_count(self, sender: str | None = None) -> int:
        return _count(self.path, sender)

    def broker_count(self, sender: str | None = None) -> int:
        """Rows of one conversation, or all rows with a sender (not an emptied one)."""
        return _count(self.broker, sender) if isinstance(self.broker, Path) else 0

    def count(self, sender: str | None = None) -> int:
        """The broker's rows, which the summaries read; the tracker store must hold as many
        (what one holds and the other lost would be a purge that missed a database)."""
        counted = self.broker_count(sender)
        if isinstance(self.broker, Path) and sender is not None:
            assert counted == self.tracker_count(sender), (sender, counted,
                                                           self.tracker_count(sender))
        return counted


def _count(path: Path, sender: str | None) -> int:
    with sqlite3.connect(path) as db:
        if sender is None:
            return db.execute("SELECT COUNT(*) FROM events WHERE sender_id IS NOT NULL"
                              ).fetchone()[0]
        return db.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?",
                          (sender,)).fetchone()[0]


def conversation(tracker: Tracker, sender: str, start: float, school: str = "demo-skolan",
                 language: str = "sv", handover: str | None = None,
                 signup: str | None = None) -> None:
    """A typical conversation: greeting, interest, suggestions, optional handover/sign-up."""
    tracker.action(sender, start, "action_session_start")
    tracker.user(sender, start + 1, "hej", "greet", {"school": school})
    tracker.slot(sender, start + 1.1, "school", school)
    tracker.slot(sender, start + 1.2, "language", language)
    tracker.bot(sender, start + 2, "Hej! Jag är ett datorprogram.", "utter_greet")
    tracker.user(sender, start + 10, "jag gillar att skruva på mopeder", "tell_interest")
    tracker.slot(sender, start + 10.1, "location", "goteborg")
    tracker.action(sender, start + 11, "action_match_interests")
    tracker.bot(sender, start + 11.5, custom={"type": "suggestions", "language": language,
                                              "items": [
        {"kind": "programme", "id": "se_ft", "title": "Fordon", "fields": ["vehicles"]},
        {"kind": "company", "id": "volvo", "title": "Volvo", "fields": ["vehicles"]},
    ]})
    tracker.user(sender, start + 20, "asdfgh", "nlu_fallback")
    tracker.action(sender, start + 20.5, "utter_default")
    tracker.bot(sender, start + 21, "Jag förstod inte.", "utter_default")
    if signup:
        tracker.user(sender, start + 30, "/request_visit", "request_visit")
        tracker.slot(sender, start + 30.1, "visit_id", signup)
        tracker.action(sender, start + 31, "action_request_visit")
        tracker.bot(sender, start + 31.5, "Klart!", "utter_signup_confirmed")
        tracker.slot(sender, start + 31.6, "visit_id", None)
    if handover:
        tracker.user(sender, start + 40, handover, "ask_counsellor")
        tracker.action(sender, start + 41, "action_request_handover")
        tracker.bot(sender, start + 41.5, "En vägledare hör av sig.", "utter_handover_created")


