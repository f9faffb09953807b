"""Writes synthetic conversations into a SQLite file with Rasa's tracker-store `events` schema."""

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


@dataclass
class Tracker:
    """Writes Rasa-shaped events into a SQLite file."""

    path: Path
    rows: list[tuple[Any, ...]] = field(default_factory=list)

    def __post_init__(self) -> None:
        with sqlite3.connect(self.path) as db:
            db.executescript(EVENTS_SCHEMA)

    def add(self, sender: str, type_name: str, ts: float, data: dict[str, Any],
            intent: str | None = None, action: str | None = None) -> None:
        self.rows.append((sender, type_name, ts, intent, action,
                          json.dumps({"event": type_name, "timestamp": ts, **data})))

    def user(self, sender: str, ts: float, text: str, intent: str,
             metadata: dict[str, Any] | None = None) -> None:
        self.add(sender, "user", ts, {"text": text, "parse_data": {"intent": {"name": intent}},
                                      "metadata": metadata or {}}, intent=intent)

    def bot(self, sender: str, ts: float, text: str | None = None, utter: str | None = None,
            custom: dict[str, Any] | None = None) -> None:
        self.add(sender, "bot", ts, {"text": text, "data": {"custom": custom},
                                     "metadata": {"utter_action": utter} if utter else {}})

    def slot(self, sender: str, ts: float, name: str, value: Any) -> None:
        self.add(sender, "slot", ts, {"name": name, "value": value})

    def action(self, sender: str, ts: float, name: str) -> None:
        self.add(sender, "action", ts, {"name": name}, action=name)

    def flush(self) -> None:
        with sqlite3.connect(self.path) as db:
            db.executemany("INSERT INTO events (sender_id, type_name, timestamp, intent_name, "
                           "action_name, data) VALUES (?, ?, ?, ?, ?, ?)", self.rows)
        self.rows.clear()

    def count(self, sender: str | None = None) -> int:
        with sqlite3.connect(self.path) as db:
            if sender is None:
                return db.execute("SELECT COUNT(*) FROM events").fetchone()[0]
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


