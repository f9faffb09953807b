"""The application's own tables, via SQLAlchemy: visit sign-ups, handover requests, and for
the counsellor view the registry of schools, accounts, sessions, the audit log, conversation
summaries, the summary cursor, anonymous aggregate counts and scheduled jobs.

Separate from Rasa's tracker store: these are requests a counsellor acts on, so they must
survive restarts and be queryable without replaying conversations. SQLite (var/app.db) by
default, any SQLAlchemy URL with VAGVISAREN_DATABASE_URL (PostgreSQL when scaled). The models
are in models.py, engines and transactions in db.py, schema upgrades (Alembic) in migrate.py.
"""

from sqlalchemy.orm import Session

from bot.storage.db import add_handover, add_signup, affected, engine, registered_school, session
from bot.storage.models import (
    ROLES,
    AggregateCount,
    AuditEntry,
    Base,
    ConversationSummary,
    Counsellor,
    CounsellorSession,
    HandoverRequest,
    JobRun,
    School,
    SignupRequest,
    SummaryCursor,
)

__all__ = [
    "ROLES", "AggregateCount", "AuditEntry", "Base", "ConversationSummary", "Counsellor",
    "CounsellorSession", "HandoverRequest", "JobRun", "School", "Session", "SignupRequest",
    "SummaryCursor", "add_handover", "add_signup", "affected", "engine", "registered_school",
    "session",
]
