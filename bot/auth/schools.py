"""The registry of schools, and the "no school" queue that only an administrator reads.

Only a registered school's counsellors receive handovers and sign-ups. The widget is public,
so a request naming an unknown school id is still answered, but stored with no school
(bot.storage.registered_school): it shows in no school's view, only in `python -m bot.admin
no-school`, run on the server.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from bot import storage
from bot.privacy import school_id, scrub

MAX_NAME = 128


class SchoolError(ValueError):
    """A bad id or name, a duplicate, or a school that still has accounts."""


@dataclass(frozen=True)
class School:
    id: str
    name: str


@dataclass(frozen=True)
class Unassigned:
    """One request in the no-school queue: a handover (question) or a sign-up (visit)."""

    kind: str  # "handover" | "signup"
    id: int
    conversation_id: str
    created_at: dt.datetime
    text: str  # the scrubbed question, or the visit id and nickname
    language: str


def add_school(school: str, name: str, url: str | None = None) -> School:
    if school_id(school) is None:
        raise SchoolError("id: 1-64 letters, digits or . _ - (the widget's data-school)")
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise SchoolError(f"name: 1-{MAX_NAME} characters")
    with storage.session(url) as current:
        if current.get(storage.School, school) is not None:
            raise SchoolError(f"school {school!r} is already registered")
        current.add(storage.School(id=school, name=name))
    return School(school, name)


def list_schools(url: str | None = None) -> list[School]:
    with storage.session(url) as current:
        return [School(r.id, r.name) for r in current.scalars(
            select(storage.School).order_by(storage.School.id))]


def is_registered(school: str, url: str | None = None) -> bool:
    with storage.session(url) as current:
        return current.get(storage.School, school) is not None


def remove_school(school: str, url: str | None = None) -> bool:
    """Unregister; refused while accounts of the school exist (remove those first)."""
    with storage.session(url) as current:
        row = current.get(storage.School, school)
        if row is None:
            return False
        accounts = current.scalar(select(func.count()).select_from(storage.Counsellor).where(
            storage.Counsellor.school == school)) or 0
        if accounts:
            raise SchoolError(f"school {school!r} still has {accounts} account(s)")
        current.delete(row)
        return True


def no_school_queue(url: str | None = None) -> list[Unassigned]:
    """Handovers and sign-ups without a registered school, newest first."""
    items: list[Unassigned] = []
    with storage.session(url) as current:
        for h in current.scalars(select(storage.HandoverRequest).where(
                storage.HandoverRequest.school.is_(None))):
            items.append(Unassigned("handover", h.id, h.conversation_id, _utc(h.created_at),
                                    scrub(h.question), h.language))
        for s in current.scalars(select(storage.SignupRequest).where(
                storage.SignupRequest.school.is_(None))):
            items.append(Unassigned("signup", s.id, s.conversation_id, _utc(s.created_at),
                                    f"{s.visit_id} ({s.nickname or '-'})", s.language))
    return sorted(items, key=lambda item: item.created_at, reverse=True)


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
