"""Counsellor login sessions: a random token in the cookie, only its SHA-256 in the database.

A session lasts `counsellor_session_hours` (bot/settings.py); logging out deletes it.
"""

from __future__ import annotations

import hashlib
import secrets
import time

from sqlalchemy import delete, select

from bot import storage
from bot.auth.accounts import Account, account_of
from bot.settings import get_settings


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(account: Account, url: str | None = None) -> tuple[str, int]:
    """A new random token (for the cookie) and its lifetime in seconds."""
    token = secrets.token_urlsafe(32)
    lifetime = get_settings().counsellor_session_hours * 3600
    with storage.session(url) as current:
        current.add(storage.CounsellorSession(token_hash=_token_hash(token),
                                              counsellor_id=account.id,
                                              expires_at=time.time() + lifetime))
    return token, lifetime


def session_account(token: str | None, url: str | None = None) -> Account | None:
    if not token:
        return None
    with storage.session(url) as current:
        found = current.execute(
            select(storage.Counsellor).join(
                storage.CounsellorSession,
                storage.CounsellorSession.counsellor_id == storage.Counsellor.id)
            .where(storage.CounsellorSession.token_hash == _token_hash(token),
                   storage.CounsellorSession.expires_at > time.time())
        ).scalar()
        return account_of(found) if found else None


def close_session(token: str | None, url: str | None = None) -> None:
    if token:
        with storage.session(url) as current:
            current.execute(delete(storage.CounsellorSession).where(
                storage.CounsellorSession.token_hash == _token_hash(token)))
