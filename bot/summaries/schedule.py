"""The retention purge, run daily by the gateway itself, so deletion does not rely on cron.

When it last ran is kept in the app DB (`job_runs`), not in memory: a gateway that restarts
every night still purges once a day, `/healthz` can show the time, and of several gateway
workers only the one that claims the run (a compare-and-set on `started_at`) purges.
The clock is injected, so tests move time instead of waiting a day.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot import storage
from bot.summaries.purge import PurgeReport, purge

log = logging.getLogger("vagvisaren.retention")
JOB = "purge"
DAY_S = 86400.0
CHECK_EVERY_S = 300.0


@dataclass
class RetentionJob:
    """Purges at most once per `interval_s`; a run that failed is retried after `retry_s`."""

    interval_s: float = DAY_S
    retry_s: float = 3600.0
    clock: Callable[[], float] = time.time
    app_url: str | None = None
    events_url: str | None = None  # the event broker's database
    tracker_url: str | None = None
    purge: Callable[..., PurgeReport] = field(default=purge)

    def due(self, row: storage.JobRun, now: float) -> bool:
        if row.finished_at is not None and now - row.finished_at < self.interval_s:
            return False
        started = row.started_at
        running_or_failed = started is not None and started > (row.finished_at or 0)
        return not (running_or_failed and started is not None and now - started < self.retry_s)

    def _claim(self, now: float) -> bool:
        """Mark the run as started, unless it is not due or another process got there first."""
        model = storage.JobRun
        try:
            with storage.session(self.app_url) as current:
                row = current.get(model, JOB)
                if row is None:
                    row = model(name=JOB)
                    current.add(row)
                    current.flush()
                if not self.due(row, now):
                    return False
                same = (model.started_at.is_(None) if row.started_at is None
                        else model.started_at == row.started_at)
                return storage.affected(current.execute(
                    update(model).where(model.name == JOB, same).values(started_at=now))) == 1
        except IntegrityError:
            return False  # another worker inserted the row at the same moment

    def run_if_due(self) -> PurgeReport | None:
        """Purge when due and return what was removed; None when it was not this one's turn."""
        now = self.clock()
        if not self._claim(now):
            return None
        report = self.purge(now=now, events_url=self.events_url, app_url=self.app_url,
                            tracker_url=self.tracker_url)
        with storage.session(self.app_url) as current:
            row = current.get(storage.JobRun, JOB)
            if row is None:  # _claim made it; only a concurrent `forget` of the table could not
                raise RuntimeError(f"job row {JOB!r} vanished during the purge")
            row.finished_at = now
            row.report = json.dumps(dataclasses.asdict(report))
        log.info("Retention purge removed %d conversations (%d events from the event broker, "
                 "%d from the tracker store, %d summaries), %d sign-ups, %d handovers, "
                 "%d audit entries; anonymous counts kept", report.conversations, report.events,
                 report.tracker_events, report.summaries, report.signups,
                 report.handovers, report.audit_entries)
        return report

    async def serve(self, check_every_s: float = CHECK_EVERY_S) -> None:
        """Check every few minutes until cancelled (the gateway's lifespan starts this)."""
        while True:
            try:
                await asyncio.to_thread(self.run_if_due)
            except Exception:  # noqa: BLE001 - a failed purge must not stop the next one
                log.exception("Retention purge failed; retrying later")
            await asyncio.sleep(check_every_s)


def last_run(app_url: str | None = None) -> dt.datetime | None:
    """When the purge last finished; None if never, or if the database cannot say."""
    try:
        with storage.session(app_url) as current:
            row = current.get(storage.JobRun, JOB)
    except (SQLAlchemyError, OSError) as err:
        log.error("Cannot read when the purge last ran: %r", err)
        return None
    if row is None or row.finished_at is None:
        return None
    return dt.datetime.fromtimestamp(row.finished_at, dt.UTC)
