"""Retention: after N days transcripts, summaries, sign-ups and handovers go; counts stay.

What stays is anonymous: per school, ISO week, and field or language, a number. No
conversation id, no text. A conversation goes from the app database (its summary, sign-ups,
handovers), from Rasa's event broker (our own database: bot/summaries/broker.py) and from
Rasa's tracker store (bot/summaries/rasa_tracker.py, the one module that touches its private
table, since Rasa 3.6 has no way to delete a conversation). The tracker store goes last: if it
refuses (not Rasa 3.6.21's table), everything else is gone already and the error is raised.
Deleted rows are overwritten (SQLite secure_delete).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import delete, select

from bot import storage
from bot.settings import get_settings
from bot.summaries import broker, rasa_tracker
from bot.summaries.state import Summary
from bot.summaries.store import refresh, week_of


@dataclass
class PurgeReport:
    conversations: int = 0
    events: int = 0  # rows of the event broker
    tracker_events: int = 0  # rows of Rasa's tracker store
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


def _delete_conversations(report: PurgeReport, senders: list[str], events_url: str | None,
                          tracker_url: str | None) -> None:
    """From the event broker, then from the tracker store (which may refuse: raised last)."""
    report.events = broker.delete_conversations(broker.broker_url(events_url), senders)
    report.tracker_events = rasa_tracker.delete_conversations(
        rasa_tracker.tracker_url(tracker_url), senders)


def purge(days: int | None = None, now: float | None = None, events_url: str | None = None,
          app_url: str | None = None, tracker_url: str | None = None) -> PurgeReport:
    """Delete everything older than `days` (default: settings.retention_days).
    `events_url`: the event broker's database, `tracker_url`: the tracker store's (defaults:
    the settings)."""
    settings = get_settings()
    days = settings.retention_days if days is None else days
    now = time.time() if now is None else now
    cutoff = now - days * 86400
    cutoff_dt = dt.datetime.fromtimestamp(cutoff, dt.UTC)
    refresh(events_url, app_url, tracker=tracker_url)  # fold the last events in first
    report = PurgeReport()
    refused: rasa_tracker.TrackerSchemaError | None = None
    try:  # a conversation that only the tracker store still holds goes too
        senders = rasa_tracker.old_senders(rasa_tracker.tracker_url(tracker_url), cutoff)
    except rasa_tracker.TrackerSchemaError as err:
        senders, refused = [], err
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
    try:
        _delete_conversations(report, sorted(old), events_url, tracker_url)
    except rasa_tracker.TrackerSchemaError as err:
        refused = err
    if refused is not None:
        raise refused
    return report


def forget(conversation_id: str, events_url: str | None = None,
           app_url: str | None = None, tracker_url: str | None = None) -> PurgeReport:
    """Erase one conversation now (a pupil's or parent's request for erasure, GDPR Art. 17):
    its events in the event broker and the tracker store, summary, sign-ups and handovers.
    No count is kept for it."""
    report = PurgeReport()
    with storage.session(app_url) as current:
        report.summaries = storage.affected(current.execute(
            delete(storage.ConversationSummary).where(
                storage.ConversationSummary.conversation_id == conversation_id)))
        report.signups = storage.affected(current.execute(delete(storage.SignupRequest).where(
            storage.SignupRequest.conversation_id == conversation_id)))
        report.handovers = storage.affected(current.execute(delete(storage.HandoverRequest).where(
            storage.HandoverRequest.conversation_id == conversation_id)))
    _delete_conversations(report, [conversation_id], events_url, tracker_url)
    report.conversations = int(bool(report.events or report.tracker_events or report.summaries
                                    or report.signups or report.handovers))
    return report
