"""End to end, on the real Rasa server, action server and gateway: Rasa publishes each event to
its SQL event broker (var/events.db), a counsellor's summary and transcript are built from
that database alone, and `forget` and the retention purge leave no row of the conversation in
the event broker nor in the tracker store."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from bot import storage
from bot.stack import Stack
from bot.summaries import get_summary, refresh, transcript
from bot.summaries.purge import forget, purge

pytestmark = pytest.mark.e2e
SCHOOL = "e2e-skolan"  # registered by tests/conftest.py
DAY = 86400.0


def _rows(path: Path, sender: str) -> list[dict]:
    with sqlite3.connect(path) as db:
        return [json.loads(data) for (data,) in db.execute(
            "SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,))]


def _chat(client: httpx.Client, messages: list[str]) -> str:
    session = None
    for message in messages:
        body = {"message": message, "language": "sv", "school": SCHOOL}
        reply = client.post("/api/chat", json=body | ({"session_id": session} if session else {}))
        assert reply.status_code == 200 and not reply.json()["degraded"], reply.text
        session = reply.json()["session_id"]
    assert session is not None
    return session


def test_summaries_come_from_the_event_broker_and_leave_nothing_behind(stack: Stack) -> None:
    app_url = f"sqlite:///{stack.var_dir / 'app.db'}"
    broker_url = f"sqlite:///{stack.broker_db}"
    tracker_url = f"sqlite:///{stack.tracker_db}"
    with httpx.Client(base_url=stack.gateway_url, timeout=60) as client:
        erased = _chat(client, ["jag gillar att skruva på mopeder",
                                "jag vill prata med en studievägledare, ring 070-123 45 67"])
        purged = _chat(client, ["jag gillar att koda spel"])
    # Rasa published every event it saved: the broker holds what the tracker store holds.
    for session in (erased, purged):
        published, saved = _rows(stack.broker_db, session), _rows(stack.tracker_db, session)
        assert [{k: v for k, v in e.items() if k != "sender_id"} for e in published] == saved
        assert all(e["sender_id"] == session for e in published)

    # Built from the broker's database alone: the tracker store's URL leads nowhere.
    refresh(broker_url, app_url, tracker=f"sqlite:///{stack.var_dir / 'nowhere.db'}")
    summary = get_summary(erased, app_url)
    assert summary is not None and summary.school == SCHOOL and summary.user_turns == 2
    assert "vehicles" in summary.fields and summary.handover
    assert "070-123" not in (summary.handover_question or "")
    lines = transcript(erased, broker_url)
    assert [line.speaker for line in lines][:2] == ["pupil", "bot"]
    assert lines[0].text == "jag gillar att skruva på mopeder"
    assert any("[telefon]" in line.text for line in lines if line.speaker == "pupil")

    report = forget(erased, broker_url, app_url, tracker_url=tracker_url)
    assert report.events > 0 and report.tracker_events == report.events
    assert _rows(stack.broker_db, erased) == [] and _rows(stack.tracker_db, erased) == []
    assert get_summary(erased, app_url) is None and transcript(erased, broker_url) == []

    # The purge: this conversation's last message made 100 days old, in its summary.
    assert get_summary(purged, app_url) is not None
    with storage.session(app_url) as current:
        current.execute(update(storage.ConversationSummary).where(
            storage.ConversationSummary.conversation_id == purged).values(
                ended_at=time.time() - 100 * DAY))
    report = purge(events_url=broker_url, app_url=app_url, tracker_url=tracker_url)
    assert report.events > 0 and report.tracker_events == report.events
    assert _rows(stack.broker_db, purged) == [] and _rows(stack.tracker_db, purged) == []
    assert get_summary(purged, app_url) is None
