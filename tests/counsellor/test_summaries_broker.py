"""Summaries and transcripts come from Rasa's SQL event broker: the fold of its rows, a cursor
that never skips a row that appears late nor folds one twice, deletion that keeps SQLite from
handing out old ids again, and the tracker store touched only through its one checked module."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from counsellor_events import Tracker, conversation, event
from typer.testing import CliRunner

from bot import storage
from bot.admin.__main__ import cli
from bot.summaries import broker, get_summary, refresh, transcript
from bot.summaries.cursor import SETTLE_S, Cursor
from bot.summaries.purge import forget, purge
from bot.summaries.rasa_tracker import TrackerSchemaError

DAY = 86400.0


def _insert(path: Path, rows: list[tuple[int | None, str, dict]]) -> None:
    """Broker rows with chosen ids (None: the next one), as Rasa's broker writes them."""
    with sqlite3.connect(path) as db:
        for row_id, sender, data in rows:
            db.execute("INSERT INTO events (id, sender_id, data) VALUES (?, ?, ?)",
                       (row_id, sender, json.dumps({"sender_id": sender, **data})))


def _user(ts: float, text: str = "hej") -> dict:
    return event("user", ts, text=text, parse_data={"intent": {"name": "greet"}})


def _cursor() -> Cursor:
    with storage.session() as current:
        row = current.get(storage.SummaryCursor, "broker")
        assert row is not None
        return Cursor.load(row.last_event_id, row.pending)


def test_the_cursor_reads_holes_and_moves_over_what_joins_it() -> None:
    cursor = Cursor()
    cursor.add([1, 2, 4, 5, 9], now=100.0)
    assert cursor.holes() == [(2, 4), (5, 9), (9, None)]
    assert cursor.advance(now=100.0) == 0
    assert cursor.watermark == 2 and cursor.holes() == [(2, 4), (5, 9), (9, None)]
    cursor.add([3], now=110.0)  # the late row: folded, and the watermark moves over 4-5
    assert cursor.advance(now=110.0) == 0
    assert cursor.watermark == 5 and cursor.folded == [[9, 9, 100.0]]
    assert cursor.advance(now=100.0 + SETTLE_S) == 3  # 6, 7, 8 never came: given up
    assert (cursor.watermark, cursor.folded) == (9, [])
    assert Cursor.load(cursor.watermark, cursor.dump()) == cursor


def test_a_row_that_appears_late_is_folded_once(tracker: Tracker, var_dir: Path) -> None:
    """Several Rasa replicas on PostgreSQL: id 3 is drawn before id 4 but committed after
    it. The refresh that sees 4 does not skip 3 for good, and no row is folded twice."""
    t0 = time.time() - 600
    events = var_dir / "events.db"
    _insert(events, [(1, "late", _user(t0)), (2, "late", _user(t0 + 1)),
                     (4, "late", _user(t0 + 3))])
    assert refresh(now=t0 + 10) == 3
    assert _cursor().watermark == 2 and get_summary("late").user_turns == 3
    assert refresh(now=t0 + 11) == 0
    _insert(events, [(3, "late", _user(t0 + 2, "sent before the last one"))])
    assert refresh(now=t0 + 12) == 1
    assert _cursor() == Cursor(4, [])
    assert refresh(now=t0 + 13) == 0
    summary = get_summary("late")
    assert summary is not None and summary.user_turns == 4
    _insert(events, [(None, "late", _user(t0 + 4))])
    assert refresh(now=t0 + 14) == 1 and get_summary("late").user_turns == 5


def test_a_hole_that_never_fills_is_given_up_without_delaying_the_summaries(
        tracker: Tracker, var_dir: Path) -> None:
    t0 = time.time() - 600
    _insert(var_dir / "events.db", [(1, "gap", _user(t0)), (3, "gap", _user(t0 + 1))])
    assert refresh(now=t0) == 2
    assert get_summary("gap").user_turns == 2  # no waiting for the hole
    assert _cursor().watermark == 1
    assert refresh(now=t0 + SETTLE_S - 1) == 0 and _cursor().watermark == 1
    assert refresh(now=t0 + SETTLE_S) == 0 and _cursor() == Cursor(3, [])


def test_the_summary_and_the_transcript_come_from_the_broker(tracker: Tracker,
                                                             var_dir: Path) -> None:
    conversation(tracker, "c1", time.time() - DAY, handover="Ring mig på 070-123 45 67")
    tracker.flush()
    (var_dir / "tracker.db").unlink()  # the tracker store is not read
    assert refresh() == tracker.broker_count()
    summary = get_summary("c1")
    assert summary is not None and summary.handover and summary.fields == ["vehicles"]
    lines = transcript("c1")
    assert [line.speaker for line in lines] == ["pupil", "bot", "pupil", "bot", "pupil", "bot",
                                                "pupil", "bot"]
    assert lines[0].text == "hej" and lines[3].text == "Fordon · Volvo"
    assert lines[-2].text == "Ring mig på [telefon]"
    assert transcript("nobody") == []


def test_deleting_the_newest_rows_on_sqlite_never_reuses_their_ids(tracker: Tracker,
                                                                   var_dir: Path) -> None:
    """SQLite gives a new row the largest id + 1: the newest row is emptied, not deleted, so
    Rasa's next row gets an id above the cursor and is folded."""
    now = time.time()
    conversation(tracker, "keep", now - 3600)
    conversation(tracker, "newest", now - 60)
    tracker.flush()
    refresh()
    largest, rows = _cursor().watermark, tracker.count("newest")
    report = forget("newest")
    assert report.events == report.tracker_events == rows
    assert tracker.count("newest") == 0 and tracker.count("keep") > 0
    with sqlite3.connect(var_dir / "events.db") as db:
        assert db.execute("SELECT sender_id, data FROM events WHERE id = ?",
                          (largest,)).fetchone() == (None, "{}")
    tracker.user("keep", now, "en fråga till", "greet")
    tracker.flush()
    assert refresh() == 1 and get_summary("keep").user_turns == 4
    assert get_summary("newest") is None
    forget("keep")  # the emptied row is no longer the newest: it goes
    with sqlite3.connect(var_dir / "events.db") as db:
        assert db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 1


def test_purge_and_forget_leave_no_row_in_either_database(tracker: Tracker,
                                                          var_dir: Path) -> None:
    now = time.time()
    conversation(tracker, "old", now - 120 * DAY)
    conversation(tracker, "new", now - DAY)
    tracker.flush()
    rows = tracker.count("old")
    report = purge()
    assert (report.conversations, report.summaries) == (1, 1)
    assert report.events == report.tracker_events == rows
    assert tracker.count("old") == 0 and tracker.count("new") > 0
    result = CliRunner().invoke(cli, ["forget", "new"])
    assert result.exit_code == 0, result.output
    assert "events from the event broker" in result.output
    assert tracker.broker_count() == 0 and tracker.tracker_count() == 0


def test_a_tracker_store_of_another_schema_is_refused_loudly(tracker: Tracker,
                                                             var_dir: Path) -> None:
    """Not Rasa 3.6.21's table: nothing is deleted from it, everything else is, and the
    purge fails (the scheduler logs it and tries again in an hour)."""
    now = time.time()
    conversation(tracker, "old", now - 120 * DAY)
    tracker.flush()
    refresh()
    with sqlite3.connect(var_dir / "tracker.db") as db:
        db.execute("ALTER TABLE events ADD COLUMN model_id VARCHAR(255)")
    from bot.summaries import rasa_tracker

    rasa_tracker.tracker_engine.cache_clear()
    with pytest.raises(TrackerSchemaError, match="3.6.21"):
        purge()
    assert get_summary("old") is None and tracker.broker_count("old") == 0
    assert tracker.tracker_count("old") > 0
    with pytest.raises(TrackerSchemaError):
        forget("old")


def test_a_broker_database_that_is_the_tracker_stores_is_refused(var_dir: Path) -> None:
    tracker = Tracker(var_dir / "tracker.db", broker=False)
    conversation(tracker, "c", time.time())
    tracker.flush()
    url = f"sqlite:///{var_dir / 'tracker.db'}"
    with pytest.raises(broker.BrokerSchemaError, match="VAGVISAREN_BROKER_URL"):
        refresh(url)
