"""The counsellor API's request and response models (its OpenAPI schema)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from bot.labels import LANGUAGES

# A `lang` query parameter: one of our languages.
LANGUAGE_PATTERN = f"^({'|'.join(LANGUAGES)})$"


def _iso_date(value: object) -> object:
    """Only YYYY-MM-DD: pydantic alone would read "0" as 1970-01-01 (a Unix timestamp)."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("use a date like 2026-11-25")
    return value


# A filter date from the query string, written as the schema says: YYYY-MM-DD.
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


class LoginRequest(BaseModel):
    model_config = ConfigDict(strict=True)
    username: str = Field(max_length=64)
    password: str = Field(max_length=256)


class Me(BaseModel):
    username: str
    school: str
    language: str
    role: str = Field(description="counsellor, or admin (also reads the audit log)")


class Named(BaseModel):
    """A knowledge-base record by id and by its name in the counsellor's language."""

    id: str
    name: str


class Suggested(BaseModel):
    """What the bot suggested, by name; `schools` are those on the programme cards."""

    programmes: list[Named] = Field(default_factory=list)
    schools: list[Named] = Field(default_factory=list)
    professions: list[Named] = Field(default_factory=list)
    companies: list[Named] = Field(default_factory=list)
    visits: list[Named] = Field(default_factory=list)


class Conversation(BaseModel):
    id: str
    language: str | None
    plain_language: bool
    started_at: dt.datetime
    ended_at: dt.datetime
    user_turns: int
    fields: list[str]
    place: str | None
    suggested: dict[str, list[str]]
    signups: list[str]
    handover: bool
    handover_question: str | None
    fallback_count: int
    summary: str
    field_labels: list[str] = Field(default_factory=list,
                                    description="`fields` by label, in the same order")
    interests: list[str] = Field(default_factory=list,
                                 description="The pupil's own words, scrubbed")
    suggested_names: Suggested = Field(default_factory=Suggested)
    signup_names: list[Named] = Field(default_factory=list)
    unanswered: list[str] = Field(
        default_factory=list, description="Questions answered by a fallback, scrubbed")


class TranscriptLine(BaseModel):
    at: dt.datetime
    speaker: str
    text: str


class ConversationDetail(Conversation):
    transcript: list[TranscriptLine] | None = None


class ConversationPage(BaseModel):
    items: list[Conversation]
    total: int
    page: int
    page_size: int


class Count(BaseModel):
    key: str
    label: str
    count: int


class Stats(BaseModel):
    conversations: int
    by_field: list[Count]
    by_language: list[Count]
    by_week: list[Count]


class Handover(BaseModel):
    id: int
    conversation_id: str
    question: str
    language: str
    created_at: dt.datetime


class Signup(BaseModel):
    id: int
    conversation_id: str
    visit_id: str
    visit_title: str
    nickname: str | None
    language: str
    created_at: dt.datetime


class Ok(BaseModel):
    ok: bool = True


class AuditRow(BaseModel):
    at: dt.datetime
    username: str
    action: str = Field(description="transcript, export_csv or audit_export")
    conversation_id: str = Field(description='"*" for an export of all the school\'s data')
