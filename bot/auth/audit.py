"""The audit log: who read which transcript and who exported a school's data. Only that
school's admin reads it (bot/api/counsellor)."""

from __future__ import annotations

import time

from sqlalchemy import select

from bot import storage
from bot.auth.accounts import Account

EXPORT = "*"  # the audit entry's conversation id for an export of all the school's data


def record(account: Account, conversation_id: str, action: str = "transcript",
           url: str | None = None) -> None:
    """Write one entry: `account` read `conversation_id` (or exported, EXPORT)."""
    with storage.session(url) as current:
        current.add(storage.AuditEntry(username=account.username, school=account.school,
                                       conversation_id=conversation_id, action=action,
                                       at=time.time()))


def entries(school: str, limit: int = 10_000,
            url: str | None = None) -> list[storage.AuditEntry]:
    """One school's audit log, newest first; never another school's entries."""
    with storage.session(url) as current:
        return list(current.scalars(
            select(storage.AuditEntry).where(storage.AuditEntry.school == school)
            .order_by(storage.AuditEntry.at.desc(), storage.AuditEntry.id.desc())
            .limit(limit)))
