"""Counsellor accounts, with argon2 password hashes (pwdlib).

There are no default credentials: accounts exist only after `python -m bot.admin
add-counsellor`, and only for a registered school (bot/auth/schools.py). A school's "admin"
also reads its audit log (bot/auth/audit.py); logins open sessions (bot/auth/sessions.py).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from functools import lru_cache

from pwdlib import PasswordHash
from sqlalchemy import delete, select

from bot import storage
from bot.labels import LANGUAGES
from bot.privacy import school_id
from bot.settings import get_settings
from bot.storage import ROLES

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


def account_of(row: storage.Counsellor) -> Account:
    """The account of a stored counsellor row."""
    return Account(row.id, row.username, row.school, row.language, row.role)


def add_counsellor(username: str, school: str, password: str, language: str | None = None,
                   url: str | None = None, role: str = "counsellor") -> Account:
    """A new account; the counsellor view's language is the default language unless given."""
    language = language or get_settings().default_language
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
        return account_of(row)


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
        return [account_of(r) for r in current.scalars(
            select(storage.Counsellor).order_by(storage.Counsellor.username))]


def authenticate(username: str, password: str, url: str | None = None) -> Account | None:
    """The account when the password matches; the same work is done for unknown users."""
    with storage.session(url) as current:
        row = current.scalar(select(storage.Counsellor).where(
            storage.Counsellor.username == username))
        if row is None:
            hasher().verify(password, _dummy_hash())
            return None
        return account_of(row) if hasher().verify(password, row.password_hash) else None
