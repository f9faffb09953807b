"""The upgrade of an installation whose summaries were folded from the tracker store (cursor
`tracker` on tracker ids, app database at migration 0002) to summaries from the event broker
(bot/summaries/upgrade.py): nothing folded twice, nothing lost, old transcripts kept."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from counsellor_events import Tracker, conversation
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bot import storage
from bot.storage import migrate
from bot.storage.db import new_engine
from bot.summaries import get_summary, refresh, transcript
from bot.summaries.fold import fold
from bot.summaries.rasa_tracker import TrackerSchemaError
from bot.summaries.upgrade import OFFSET

DAY = 86400.0


def _old_release(var_dir: Path, tracker: Tracker, folded: list[str]) -> int:
    """The app database as the previous release left it: at migration 0002, the summaries of
    the tracker rows up to its cursor `tracker`, which stops after the conversations in
    `folded`. Returns the cursor."""
    with sqlite3.connect(tracker.path) as db:
        rows = db.execute("SELECT id, sender_id, data FROM events ORDER BY id").fetchall()
    cursor = max(row_id for row_id, sender, _ in rows if sender in folded)
    engine = new_engine(f"sqlite:///{var_dir / 'app.db'}")
    migrate.upgrade(engine, "0002")
    with Session(engine) as current, current.begin():
        fold(current, [(sender, json.loads(data)) for row_id, sender, data in rows
                       if row_id <= cursor])
        current.execute(text("INSERT INTO summary_cursor (name, last_event_id) "
                             "VALUES ('tracker', :c)"), {"c": cursor})
    engine.dispose()
    storage.engine.cache_clear()
    return cursor


def test_the_first_refresh_copies_the_tracker_store_and_folds_what_was_left(
        var_dir: Path) -> None:
    t0 = time.time() - DAY
    before = Tracker(var_dir / "tracker.db", broker=False)  # Rasa before the broker
    conversation(before, "folded", t0, handover="Kan jag prata med någon?")
    conversation(before, "not-yet", t0 + 600, language="fi")
    before.flush()
    saved_before = before.tracker_count()
    cursor = _old_release(var_dir, before, folded=["folded"])
    old = get_summary("folded")
    assert old is not None and old.user_turns == 4 and get_summary("not-yet") is None

    after = Tracker(var_dir / "tracker.db")  # Rasa restarted with its event broker
    after.user("folded", t0 + 3600, "tack, hej då", "goodbye")
    conversation(after, "new", t0 + 7200, language="da")
    after.flush()

    refresh()

    with storage.session() as current:
        names = [row.name for row in current.scalars(select(storage.SummaryCursor))]
    assert names == ["broker"]  # `tracker` and `backfill` are gone
    folded, not_yet, new = (get_summary(c) for c in ("folded", "not-yet", "new"))
    assert folded is not None and folded.user_turns == 5 and folded.handover  # not twice
    assert not_yet is not None and not_yet.language == "fi" and not_yet.user_turns == 3
    assert new is not None and new.language == "da" and new.user_turns == 3
    # Each conversation has its events once in the broker: copies (ids <= 0) for what was
    # saved before the broker, Rasa's own rows after (count() checks both stores agree).
    for sender in ("folded", "not-yet", "new"):
        assert after.count(sender) == after.tracker_count(sender)
    with sqlite3.connect(after.broker) as db:  # type: ignore[arg-type]
        copied = db.execute("SELECT MIN(id), MAX(id) FROM events WHERE id <= 0 "
                            "AND sender_id IS NOT NULL").fetchone()
    assert copied == (1 - OFFSET, saved_before - OFFSET)
    lines = transcript("folded")
    assert lines[0].text == "hej" and lines[-1].text == "tack, hej då"  # in order
    assert [line.at for line in lines] == sorted(line.at for line in lines)
    assert cursor < saved_before

    assert refresh() == 0  # done once
    after.user("new", t0 + 7300, "en sak till", "greet")
    after.flush()
    assert refresh() == 1
    assert get_summary("new").user_turns == 4  # type: ignore[union-attr]


def test_a_fresh_installation_starts_the_broker_cursor_at_once(tracker: Tracker) -> None:
    conversation(tracker, "c1", time.time() - 60)
    tracker.flush()
    assert refresh() == tracker.broker_count()
    with storage.session() as current:
        assert current.get(storage.SummaryCursor, "backfill") is None
    with sqlite3.connect(tracker.broker) as db:  # type: ignore[arg-type]
        assert db.execute("SELECT COUNT(*) FROM events WHERE id <= 0").fetchone()[0] == 0


def test_the_copy_goes_in_batches_and_survives_an_interruption(var_dir: Path,
                                                                monkeypatch) -> None:
    """A refresh that stops half-way (a process killed) leaves `backfill`; the next one goes
    on from there, and rows already copied are not copied twice."""
    from bot.summaries import upgrade

    before = Tracker(var_dir / "tracker.db", broker=False)
    for i in range(5):
        conversation(before, f"c{i}", time.time() - DAY + i * 60)
    before.flush()
    _old_release(var_dir, before, folded=["c0"])
    Tracker(var_dir / "tracker.db")  # Rasa made the broker's table
    calls = 0
    original = upgrade.step

    def dies_after_two_batches(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(upgrade, "step", dies_after_two_batches)
    with pytest.raises(KeyboardInterrupt):
        refresh(batch=10)
    with storage.session() as current:
        progress = current.get(storage.SummaryCursor, "backfill")
        assert progress is not None and progress.last_event_id == 20
    monkeypatch.setattr(upgrade, "step", original)
    refresh(batch=10)
    for i in range(5):
        summary = get_summary(f"c{i}")
        assert summary is not None and summary.user_turns == 3, i
    with sqlite3.connect(var_dir / "events.db") as db:
        assert db.execute("SELECT COUNT(*) FROM events WHERE sender_id IS NOT NULL"
                          ).fetchone()[0] == before.tracker_count()


def test_a_tracker_store_of_another_schema_stops_an_upgrade_not_a_fresh_start(
        var_dir: Path) -> None:
    tracker = Tracker(var_dir / "tracker.db")
    conversation(tracker, "c1", time.time() - 60)
    tracker.flush()
    with sqlite3.connect(tracker.path) as db:
        db.execute("ALTER TABLE events ADD COLUMN model_id VARCHAR(255)")
    with storage.session() as current:  # an old release's summaries: the copy must refuse
        current.add(storage.SummaryCursor(name="tracker", last_event_id=0))
    with pytest.raises(TrackerSchemaError):
        refresh()
    with storage.session() as current:
        current.execute(storage.SummaryCursor.__table__.delete())
    assert refresh() == tracker.broker_count()  # a fresh installation: the broker alone
    assert get_summary("c1") is not None
