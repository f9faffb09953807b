"""The summaries read Rasa's SQL event broker on PostgreSQL, as several Rasa replicas write it:
a row whose transaction commits after a row with a larger id is still folded, once; the
purge deletes from it. The app database is SQLite or PostgreSQL."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import servers
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, text

from bot.summaries import broker, get_summary, refresh
from bot.summaries.purge import forget

DAY = 86400.0


def _rasa_broker_table(url: str) -> None:
    """The table of Rasa 3.6's SQLEventBroker.SQLBrokerEvent (rasa/core/brokers/sql.py)."""
    metadata = MetaData()
    Table("events", metadata, Column("id", Integer, primary_key=True),
          Column("sender_id", String(255)), Column("data", Text))
    engine = create_engine(url)
    metadata.create_all(engine)
    engine.dispose()


def _row(sender: str, ts: float, text_: str) -> dict:
    data = {"sender_id": sender, "event": "user", "timestamp": ts, "text": text_,
            "parse_data": {"intent": {"name": "greet"}}}
    return {"sender": sender, "data": json.dumps(data)}


@pytest.fixture
def broker_url(pg_cluster: str) -> Iterator[str]:
    url = servers.new_database(pg_cluster)
    _rasa_broker_table(url)
    yield url
    broker.broker_engine.cache_clear()


def test_a_row_committed_late_is_folded_once(db_url: str, broker_url: str,
                                             tmp_path: Path) -> None:
    no_tracker = f"sqlite:///{tmp_path / 'no-tracker.db'}"
    t0 = time.time() - 600
    insert = text("INSERT INTO events (sender_id, data) VALUES (:sender, :data) RETURNING id")
    slow, fast = create_engine(broker_url), create_engine(broker_url)
    assert refresh(broker_url, db_url, tracker=no_tracker) == 0  # the cursor and the index
    with slow.connect() as first:
        transaction = first.begin()  # replica 1: its id is drawn, its commit comes later
        late_id = first.execute(insert, _row("pupil", t0, "första")).scalar()
        with fast.begin() as second:  # replica 2 commits a larger id first
            early_id = second.execute(insert, _row("pupil", t0 + 1, "andra")).scalar()
        assert early_id > late_id
        assert refresh(broker_url, db_url, tracker=no_tracker) == 1
        assert get_summary("pupil", db_url).user_turns == 1  # type: ignore[union-attr]
        transaction.commit()
    assert refresh(broker_url, db_url, tracker=no_tracker) == 1
    assert refresh(broker_url, db_url, tracker=no_tracker) == 0
    summary = get_summary("pupil", db_url)
    assert summary is not None and summary.user_turns == 2 and summary.started_at == t0
    slow.dispose()
    fast.dispose()

    report = forget("pupil", broker_url, db_url, tracker_url=no_tracker)
    assert report.events == 2 and get_summary("pupil", db_url) is None
    assert broker.count(broker_url) == 0
