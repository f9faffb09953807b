"""Summaries: built from Rasa's SQL event broker, incrementally via a cursor in the app DB."""

from __future__ import annotations

import re
import time

from counsellor_events import Tracker, conversation
from sqlalchemy import select

from bot import storage
from bot.privacy import PHONE_MASK
from bot.summaries import fold as summary_fold
from bot.summaries import get_summary, readable, refresh

DAY = 86400.0


def test_one_conversation_summary(tracker: Tracker) -> None:
    start = time.time() - DAY
    conversation(tracker, "c1", start, handover="Kan jag prata med någon? Ring 070-123 45 67",
                 signup="industrinatten_goteborg")
    tracker.flush()
    assert refresh() == tracker.count()
    summary = get_summary("c1")
    assert summary is not None
    assert summary.school == "demo-skolan"
    assert summary.language == "sv"
    assert summary.user_turns == 5
    assert summary.fields and summary.fields[0] == "vehicles"
    assert summary.place == "Göteborg"
    assert summary.suggested["programme"] == ["se_ft"]
    assert summary.suggested["company"] == ["volvo"]
    assert summary.signups == ["industrinatten_goteborg"]
    assert summary.handover is True
    assert PHONE_MASK in (summary.handover_question or "")
    assert "070" not in (summary.handover_question or "")
    assert summary.fallback_count == 1  # nlu_fallback + its utter_default count once
    assert summary.started_at == start and summary.ended_at > start
    for language, word in (("sv", "fordon"), ("fi", "ajoneuvot"), ("da", "køretøjer")):
        text = readable(summary, language)
        assert word in text.lower()
        assert 2 <= len(re.findall(r"[.!?](?:\s|$)", text)) <= 3


def test_incremental_over_1000_conversations(tracker: Tracker, monkeypatch) -> None:
    start = time.time() - 10 * DAY
    for i in range(1000):
        conversation(tracker, f"conv-{i:04d}", start + i * 60,
                     school="demo-skolan" if i % 2 else "annan-skola",
                     language=("sv", "fi", "da")[i % 3],
                     handover="Kan jag prata med en vägledare?" if i % 10 == 0 else None)
    tracker.flush()
    first = tracker.count()
    assert refresh() == first
    with storage.session() as current:
        cursor = current.get(storage.SummaryCursor, "broker")
        assert (cursor.last_event_id, cursor.pending) == (first, "[]")
        assert current.get(storage.SummaryCursor, "tracker") is None
        assert len(current.scalars(select(storage.ConversationSummary)).all()) == 1000

    # Record which events the next refresh reads: only the new ones.
    seen: list[int] = []
    original = summary_fold.apply

    def spy(state, *args):  # type: ignore[no-untyped-def]
        seen.append(state.user_turns)
        return original(state, *args)

    monkeypatch.setattr(summary_fold, "apply", spy)
    assert refresh() == 0 and seen == []

    later = time.time()
    tracker.user("conv-0001", later, "kan jag prata med någon", "ask_counsellor")
    tracker.action("conv-0001", later + 1, "action_request_handover")
    conversation(tracker, "conv-new", later)
    tracker.flush()
    added = tracker.count() - first
    assert refresh() == added
    assert len(seen) == added
    updated = get_summary("conv-0001")
    assert updated is not None and updated.handover and updated.user_turns == 4
    assert get_summary("conv-new") is not None
    untouched = get_summary("conv-0003")
    assert untouched is not None and untouched.handover is False


def test_refresh_without_tracker_db(var_dir) -> None:
    assert refresh() == 0
    assert not (var_dir / "tracker.db").exists() and not (var_dir / "events.db").exists()


def test_the_place_is_a_name_never_raw_text() -> None:
    """A place id becomes its name; text that is no place ("Jag") is never shown as one."""
    from bot.summaries.state import State, _slot

    state = State(conversation_id="c9")
    _slot(state, "location", "kankaanpaa")
    assert state.place == "Kankaanpää"
    _slot(state, "location", "Jag")
    assert state.place == "Kankaanpää"
    _slot(state, "location", "stockholm")
    assert state.place == "Stockholm"
