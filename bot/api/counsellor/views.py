"""What the counsellor endpoints show: a stored summary as the API's Conversation, with every
knowledge-base id named in the counsellor's language, and the school-scoped summary query."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy import Select, select

from bot import storage
from bot.api.counsellor.models import Conversation, Named, Suggested
from bot.auth.accounts import Account
from bot.knowledge.loader import load_knowledge
from bot.privacy import scrub
from bot.summaries import Summary, readable
from bot.summaries.text import name_of

WEB = Path(__file__).resolve().parent.parent.parent / "web" / "counsellor"


def utc(value: dt.datetime) -> dt.datetime:
    """A stored datetime as UTC (SQLite gives them back without a zone)."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def ts(value: float) -> dt.datetime:
    """A Unix timestamp as a UTC datetime."""
    return dt.datetime.fromtimestamp(value, dt.UTC)


def _named(kind: str, ids: list[str], language: str) -> list[Named]:
    return [Named(id=i, name=name_of(kind, i, language)) for i in ids]


def as_conversation(summary: Summary, language: str) -> Conversation:
    """The summary with names in the counsellor's language; quotes scrubbed once more, as
    the scrubber may have learnt more since the summary was stored."""
    suggested = summary.suggested
    return Conversation(
        id=summary.conversation_id, language=summary.language,
        plain_language=summary.plain_language, started_at=ts(summary.started_at),
        ended_at=ts(summary.ended_at), user_turns=summary.user_turns, fields=summary.fields,
        place=summary.place, suggested=summary.suggested, signups=summary.signups,
        handover=summary.handover, handover_question=scrub(summary.handover_question) or None,
        fallback_count=summary.fallback_count, summary=readable(summary, language),
        field_labels=[name_of("field", f, language) for f in summary.fields],
        interests=[scrub(i) for i in summary.interests],
        suggested_names=Suggested(
            programmes=_named("programme", suggested.get("programme", []), language),
            schools=_named("school", summary.schools, language),
            professions=_named("profession", suggested.get("profession", []), language),
            companies=_named("company", suggested.get("company", []), language),
            visits=_named("visit", suggested.get("visit", []), language)),
        signup_names=_named("visit", summary.signups, language),
        unanswered=[scrub(q) for q in summary.unanswered],
    )


def filtered(account: Account, start: dt.date | None, end: dt.date | None, field: str | None,
             handover: bool | None) -> Select[storage.ConversationSummary]:
    """The account's school's summaries, filtered; never another school's."""
    model = storage.ConversationSummary
    query = select(model).where(model.school == account.school)
    if start:
        query = query.where(model.started_at >= dt.datetime.combine(
            start, dt.time(), dt.UTC).timestamp())
    if end:
        query = query.where(model.started_at < dt.datetime.combine(
            end + dt.timedelta(days=1), dt.time(), dt.UTC).timestamp())
    if field:
        query = query.where(model.fields.contains(f"|{field}|", autoescape=True))
    if handover is not None:
        query = query.where(model.handover == handover)
    return query


def label(dimension: str, key: str, language: str) -> str:
    """A statistics key (a field id, a language code, a week) as the counsellor reads it."""
    if dimension == "field":
        field = load_knowledge().field(key)
        return field.label.get(language) if field else key
    if dimension == "language":
        return strings().get(language, {}).get(f"lang_{key}", key)
    return key


@lru_cache(maxsize=1)
def strings() -> dict[str, dict[str, str]]:
    """The counsellor page's texts per language (bot/web/counsellor/strings.yml)."""
    loaded: dict[str, dict[str, str]] = yaml.safe_load(
        (WEB / "strings.yml").read_text(encoding="utf-8"))
    return loaded
