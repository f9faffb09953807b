"""Retention: `python -m bot.admin purge` deletes old data and keeps anonymous counts only."""

from __future__ import annotations

import datetime as dt
import sqlite3
import time

from counsellor_events import Tracker, conversation
from sqlalchemy import select, update
from typer.testing import CliRunner

from bot import storage
from bot.admin.__main__ import cli, parse_age
from bot.auth import schools
from bot.summaries import get_summary, refresh

DAY = 86400.0


def test_parse_age() -> None:
    assert parse_age("90d") == 90 and parse_age("12w") == 84 and parse_age("30") == 30


def test_purge_keeps_only_aggregates(tracker: Tracker, var_dir) -> None:
    now = time.time()
    old = now - 120 * DAY
    conversation(tracker, "old-1", old, handover="Ring mig", signup="industrinatten_goteborg")
    conversation(tracker, "old-2", old + 60, language="fi")
    conversation(tracker, "new-1", now - 5 * DAY)
    tracker.flush()
    refresh()
    schools.add_school("demo-skolan", "Demoskolan")
    storage.add_handover("old-1", "Ring mig", "demo-skolan", "sv")
    storage.add_signup("old-1", "industrinatten_goteborg", "Sam", "demo-skolan", "sv")
    storage.add_handover("new-1", "Hej", "demo-skolan", "sv")
    old_time = dt.datetime.fromtimestamp(old, dt.UTC)
    with storage.session() as current:
        for model in (storage.HandoverRequest, storage.SignupRequest):
            current.execute(update(model).where(model.conversation_id == "old-1")
                            .values(created_at=old_time))

    result = CliRunner().invoke(cli, ["purge", "--older-than", "90d"])
    assert result.exit_code == 0, result.output
    assert "2 conversations" in result.output

    assert tracker.count("old-1") == 0 and tracker.count("old-2") == 0
    assert tracker.count("new-1") > 0
    assert get_summary("old-1") is None and get_summary("new-1") is not None
    with storage.session() as current:
        assert [h.conversation_id for h in current.scalars(select(storage.HandoverRequest))] == [
            "new-1"]
        assert current.scalars(select(storage.SignupRequest)).all() == []
        aggregates = {(a.dimension, a.key): a.count
                      for a in current.scalars(select(storage.AggregateCount))}
    assert aggregates == {("total", "conversations"): 2, ("language", "sv"): 1,
                          ("language", "fi"): 1, ("field", "vehicles"): 2}
    # No trace of the purged ids or texts anywhere in the app DB file.
    with sqlite3.connect(var_dir / "app.db") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert b"old-1" not in (var_dir / "app.db").read_bytes()

    # The stats still count the purged conversations, anonymously.
    from fastapi.testclient import TestClient

    from bot.api.app import app
    from bot.auth import accounts

    accounts.add_counsellor("anna", "demo-skolan", "correct horse battery")
    client = TestClient(app)
    client.post("/api/counsellor/login",
                json={"username": "anna", "password": "correct horse battery"})
    stats = client.get("/api/counsellor/stats").json()
    assert stats["conversations"] == 3
    assert {c["key"]: c["count"] for c in stats["by_language"]} == {"sv": 2, "fi": 1}


def test_forget_erases_one_conversation_and_nothing_else(tracker: Tracker, var_dir) -> None:
    now = time.time()
    conversation(tracker, "erase-me", now - DAY, handover="Ring mig")
    conversation(tracker, "keep-me", now - DAY)
    tracker.flush()
    refresh()
    schools.add_school("demo-skolan", "Demoskolan")
    storage.add_handover("erase-me", "Ring mig", "demo-skolan", "sv")
    storage.add_signup("erase-me", "industrinatten_goteborg", "Sam", "demo-skolan", "sv")

    result = CliRunner().invoke(cli, ["forget", "erase-me"])
    assert result.exit_code == 0, result.output
    assert "Erased conversation erase-me" in result.output
    assert tracker.count("erase-me") == 0 and tracker.count("keep-me") > 0
    assert get_summary("erase-me") is None and get_summary("keep-me") is not None
    with storage.session() as current:
        assert current.scalars(select(storage.HandoverRequest)).all() == []
        assert current.scalars(select(storage.SignupRequest)).all() == []
        assert current.scalars(select(storage.AggregateCount)).all() == []

    again = CliRunner().invoke(cli, ["forget", "erase-me"])
    assert again.exit_code == 1 and "No data" in again.output
