"""Counsellor accounts (argon2 hashes via pwdlib), login sessions and the audit log.

There are no default credentials: accounts exist only after `python -m bot.admin
add-counsellor`, and only for a registered school (bot/admin/schools.py). Session tokens are
random; only their SHA-256 is stored. A school's "admin" also reads its audit log.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache

from pwdlib import PasswordHash
from sqlalchemy import delete, select

from bot import storage
from bot.labels import LANGUAGES
from bot.privacy import school_id
from bot.settings import get_settings
from bot.storage import ROLES

EXPORT = "*"  # the audit entry's conversation id for an export of all the school's data
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")
MIN_PASSWORD = 12


class AccountError(ValueError):
    """A bad username, school, language or password, or a duplicate account."""


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    school: str
    language: str
    role: str = "counsellor"

    @property
    def admin(self) -> bool:
        return self.role == "admin"


@lru_cache(maxsize=1)
def hasher() -> PasswordHash:
    return PasswordHash.recommended()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hasher().hash(secrets.token_urlsafe(16))


def _account(row: storage.Counsellor) -> Account:
    return Account(row.id, row.username, row.school, row.language, row.role)


def add_counsellor(username: str, school: str, password: str, language: str = "sv",
                   url: str | None = None, role: str = "counsellor") -> Account:
    if not _USERNAME.match(username):
        raise AccountError("username: 3-64 letters, digits or . _ @ -")
    if school_id(school) is None:
        raise AccountError("school: a plain id such as demo-skolan")
    if language not in LANGUAGES:
        raise AccountError(f"language: one of {', '.join(LANGUAGES)}")
    if role not in ROLES:
        raise AccountError(f"role: one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password: at least {MIN_PASSWORD} characters")
    with storage.session(url) as current:
        if current.get(storage.School, school) is None:
            raise AccountError(f"school {school!r} is not registered: first run "
                               f"python -m bot.admin add-school {school} \"Name\"")
        if current.scalar(select(storage.Counsellor).where(
                storage.Counsellor.username == username)):
            raise AccountError(f"username {username!r} already exists")
        row = storage.Counsellor(username=username, school=school, language=language,
                                 role=role, password_hash=hasher().hash(password))
        current.add(row)
        current.flush()
        return _account(row)


def remove_counsellor(username: str, url: str | None = None) -> bool:
    with storage.session(url) as current:
        row = current.scalar(select(storage.Counsellor).where(
            storage.Counsellor.username == username))
        if row is None:
            return False
        current.execute(delete(storage.CounsellorSession).where(
            storage.CounsellorSession.counsellor_id == row.id))
        current.delete(row)
        return True


def list_counsellors(url: str | None = None) -> list[Account]:
    with storage.session(url) as current:
        return [_account(r) for r in current.scalars(
            select(storage.Counsellor).order_by(storage.Counsellor.username))]


def authenticate(username: str, password: str, url: str | None = None) -> Account | None:
    """The account when the password matches; the same work is done for unknown users."""
    with storage.session(url) as current:
        row = current.scalar(select(storage.Counsellor).where(
            storage.Counsellor.username == username))
        if row is None:
            hasher().verify(password, _dummy_hash())
            return None
        return _account(row) if hasher().verify(password, row.password_hash) else None


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
        return _account(found) if found else None


def close_session(token: str | None, url: str | None = None) -> None:
    if token:
        with storage.session(url) as current:
            current.execute(delete(storage.CounsellorSession).where(
                storage.CounsellorSession.token_hash == _token_hash(token)))


def audit(account: Account, conversation_id: str, action: str = "transcript",
          url: str | None = None) -> None:
    with storage.session(url) as current:
        current.add(storage.AuditEntry(username=account.username, school=account.school,
                                       conversation_id=conversation_id, action=action,
                                       at=time.time()))


def audit_entries(school: str, limit: int = 10_000,
                  url: str | None = None) -> list[storage.AuditEntry]:
    """One school's audit log, newest first; never another school's entries."""
    with storage.session(url) as current:
        return list(current.scalars(
            select(storage.AuditEntry).where(storage.AuditEntry.school == school)
            .order_by(storage.AuditEntry.at.desc(), storage.AuditEntry.id.desc())
            .limit(limit)))
