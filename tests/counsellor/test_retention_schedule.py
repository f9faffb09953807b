"""The purge runs by itself: daily, remembered across restarts, shown by /healthz. The clock is
moved, not waited for."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from counsellor_events import Tracker, conversation
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot import storage
from bot.api.app import app
from bot.auth import schools
from bot.settings import get_settings
from bot.stack import free_port
from bot.summaries import get_summary
from bot.summaries.purge import PurgeReport
from bot.summaries.schedule import RetentionJob, last_run

DAY = 86400.0
HOUR = 3600.0


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _aggregate_total() -> int:
    with storage.session() as current:
        return current.scalar(select(func.sum(storage.AggregateCount.count)).where(
            storage.AggregateCount.dimension == "total")) or 0


def _at(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC)


def test_purges_daily_as_the_clock_moves(tracker: Tracker, var_dir: Path,
                                         caplog: pytest.LogCaptureFixture) -> None:
    t0 = time.time()
    conversation(tracker, "old-1", t0 - 120 * DAY, handover="Ring mig")
    conversation(tracker, "recent-1", t0 - 5 * DAY)
    conversation(tracker, "today-1", t0 - 60)
    tracker.flush()
    schools.add_school("demo-skolan", "Demoskolan")
    storage.add_handover("old-1", "Ring mig", "demo-skolan", "sv")
    with storage.session() as current:
        current.execute(storage.HandoverRequest.__table__.update().values(
            created_at=_at(t0 - 120 * DAY)))
    clock = Clock(t0)
    job = RetentionJob(clock=clock)
    assert last_run() is None

    caplog.set_level("INFO", logger="vagvisaren.retention")
    first = job.run_if_due()
    assert first is not None and (first.conversations, first.handovers) == (1, 1)
    assert last_run() == _at(t0)
    assert "removed 1 conversations" in caplog.text and "Ring mig" not in caplog.text
    assert get_summary("old-1") is None and tracker.count("old-1") == 0
    assert get_summary("today-1") is not None  # today's conversation stays
    assert _aggregate_total() == 1  # ... and the purged one is still counted, anonymously

    clock.now = t0 + 23 * HOUR
    assert job.run_if_due() is None  # not a day yet
    assert RetentionJob(clock=clock).run_if_due() is None  # a restarted gateway remembers

    clock.now = t0 + 86 * DAY  # "recent-1" is now 91 days old, "today-1" 86
    second = RetentionJob(clock=clock).run_if_due()
    assert second is not None and second.conversations == 1
    assert get_summary("recent-1") is None and get_summary("today-1") is not None
    assert _aggregate_total() == 2
    assert last_run() == _at(t0 + 86 * DAY)


def test_a_failed_purge_is_retried_after_an_hour(var_dir: Path) -> None:
    calls: list[float] = []

    def flaky(now: float, **_: object) -> PurgeReport:
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("database is locked")
        return PurgeReport()

    clock = Clock(1_800_000_000.0)
    job = RetentionJob(clock=clock, purge=flaky)
    with pytest.raises(RuntimeError):
        job.run_if_due()
    assert last_run() is None
    clock.now += 10 * 60
    assert job.run_if_due() is None and len(calls) == 1  # not hammering a broken database
    clock.now += HOUR
    assert job.run_if_due() is not None and len(calls) == 2
    assert last_run() == _at(clock.now)


def test_the_gateway_runs_the_purge_by_itself(var_dir: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAGVISAREN_RASA_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("VAGVISAREN_ACTION_SERVER_URL", f"http://127.0.0.1:{free_port()}")
    get_settings.cache_clear()
    assert TestClient(app).get("/healthz").json()["purge_last_run"] is None
    with TestClient(app) as client:  # runs the lifespan, as uvicorn does
        deadline = time.monotonic() + 20
        while (ran := client.get("/healthz").json()["purge_last_run"]) is None:
            assert time.monotonic() < deadline, "the gateway did not purge at start-up"
            time.sleep(0.2)
    assert abs(dt.datetime.fromisoformat(ran).timestamp() - time.time()) < 60


def test_the_scheduler_can_be_switched_off(var_dir: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAGVISAREN_PURGE_INTERVAL_HOURS", "0")
    monkeypatch.setenv("VAGVISAREN_RASA_URL", f"http://127.0.0.1:{free_port()}")
    get_settings.cache_clear()
    with TestClient(app) as client:
        time.sleep(1.0)
        assert client.get("/healthz").json()["purge_last_run"] is None
