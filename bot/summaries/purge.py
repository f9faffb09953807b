"""Retention: after N days transcripts, summaries, sign-ups and handovers go; counts stay.

What stays is anonymous: per school, ISO week, and field or language, a number. No
conversation id, no text. Deleted rows are overwritten (SQLite secure_delete).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import delete, select, text

from bot import storage
from bot.settings import get_settings
from bot.summaries.state import Summary
from bot.summaries.store import refresh, tracker_engine, tracker_ready, tracker_url, week_of

CHUNK = 500


@dataclass
class PurgeReport:
    conversations: int = 0
    events: int = 0
    summaries: int = 0
    signups: int = 0
    handovers: int = 0
    audit_entries: int = 0


def aggregate_keys(summary: Summary) -> list[tuple[str, str, str]]:
    """(week, dimension, key) counted once for this conversation."""
    week = week_of(summary.started_at)
    keys = [(week, "total", "conversations"), (week, "language", summary.language or "unknown")]
    keys += [(week, "field", field_id) for field_id in summary.fields]
    return keys


def _add_aggregates(current: storage.Session, counts: Counter) -> None:
    for (school, week, dimension, key), count in counts.items():
        row = current.scalar(select(storage.AggregateCount).where(
            storage.AggregateCount.school == school, storage.AggregateCount.week == week,
            storage.AggregateCount.dimension == dimension, storage.AggregateCount.key == key))
        if row is None:
            current.add(storage.AggregateCount(school=school, week=week, dimension=dimension,
                                               key=key, count=count))
        else:
            row.count += count


def _old_senders(events_url: str, cutoff: float) -> list[str]:
    if not tracker_ready(events_url):
        return []
    with tracker_engine(events_url).connect() as tracker:
        return list(tracker.execute(
            text("SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :c"),
            {"c": cutoff}).scalars())


def _delete_events(events_url: str, senders: list[str]) -> int:
    deleted = 0
    with tracker_engine(events_url).begin() as tracker:
        if events_url.startswith("sqlite"):
            tracker.execute(text("PRAGMA secure_delete=ON"))
        for start in range(0, len(senders), CHUNK):
            chunk = senders[start:start + CHUNK]
            marks = ", ".join(f":s{i}" for i in range(len(chunk)))
            deleted += tracker.execute(
                text(f"DELETE FROM events WHERE sender_id IN ({marks})"),  # noqa: S608
                {f"s{i}": sender for i, sender in enumerate(chunk)}).rowcount
    return deleted


def purge(days: int | None = None, now: float | None = None, events_url: str | None = None,
          app_url: str | None = None) -> PurgeReport:
    """Delete everything older than `days` (default: settings.retention_days)."""
    settings = get_settings()
    days = settings.retention_days if days is None else days
    now = time.time() if now is None else now
    cutoff = now - days * 86400
    cutoff_dt = dt.datetime.fromtimestamp(cutoff, dt.UTC)
    events_url = tracker_url(events_url)
    refresh(events_url, app_url)  # fold the last events in before counting
    report = PurgeReport()
    senders = _old_senders(events_url, cutoff)
    with storage.session(app_url) as current:
        old = set(senders) | set(current.scalars(select(
            storage.ConversationSummary.conversation_id).where(
                storage.ConversationSummary.ended_at < cutoff)))
        counts: Counter = Counter()
        for row in current.scalars(select(storage.ConversationSummary).where(
                storage.ConversationSummary.conversation_id.in_(old))):
            summary = Summary.model_validate_json(row.data)
            for key in aggregate_keys(summary):
                counts[(summary.school or "", *key)] += 1
            current.delete(row)
            report.summaries += 1
        _add_aggregates(current, counts)
        report.signups = storage.affected(current.execute(delete(storage.SignupRequest).where(
            storage.SignupRequest.created_at < cutoff_dt)))
        report.handovers = storage.affected(current.execute(delete(storage.HandoverRequest).where(
            storage.HandoverRequest.created_at < cutoff_dt)))
        audit_cutoff = now - settings.audit_retention_days * 86400
        report.audit_entries = storage.affected(current.execute(delete(storage.AuditEntry).where(
            storage.AuditEntry.at < audit_cutoff)))
        current.execute(delete(storage.CounsellorSession).where(
            storage.CounsellorSession.expires_at < now))
        report.conversations = len(old)
    if senders:
        report.events = _delete_events(events_url, senders)
    return report


def forget(conversation_id: str, events_url: str | None = None,
           app_url: str | None = None) -> PurgeReport:
    """Erase one conversation now (a pupil's or parent's request for erasure, GDPR Art. 17):
    its tracker events, summary, sign-ups and handovers. No count is kept for it."""
    events_url = tracker_url(events_url)
    report = PurgeReport()
    with storage.session(app_url) as current:
        report.summaries = storage.affected(current.execute(
            delete(storage.ConversationSummary).where(
                storage.ConversationSummary.conversation_id == conversation_id)))
        report.signups = storage.affected(current.execute(delete(storage.SignupRequest).where(
            storage.SignupRequest.conversation_id == conversation_id)))
        report.handovers = storage.affected(current.execute(delete(storage.HandoverRequest).where(
            storage.HandoverRequest.conversation_id == conversation_id)))
    if tracker_ready(events_url):
        report.events = _delete_events(events_url, [conversation_id])
    report.conversations = int(bool(report.events or report.summaries or report.signups
                                    or report.handovers))
    return report
