"""Request and response models of the gateway, so the OpenAPI schema is complete."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.cards import Suggestions
from bot.settings import get_settings

Language = Literal["sv", "fi", "da"]


def _message_limits(schema: dict[str, Any]) -> None:
    """Publish the checks chat() makes, so the OpenAPI schema promises what is accepted."""
    schema.update(minLength=1, maxLength=get_settings().max_message_chars, pattern=r"\S")


class ChatRequest(BaseModel):
    """One user message. The session id is pseudonymous: the gateway issues it."""

    # Strict: 0 is not false and 123 is not a message; the schema says which type each field has.
    model_config = ConfigDict(strict=True)
    session_id: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_-]{8,64}$",
        description="Pseudonymous id from an earlier reply; omit to start a new conversation.",
    )
    message: str = Field(
        description="What the user wrote, plain text (1 to 1,000 characters after trimming; "
        "the limit is VAGVISAREN_MAX_MESSAGE_CHARS). A quick-reply button sends its payload.",
        json_schema_extra=_message_limits,
    )
    language: Language | None = Field(default=None, description="Explicit UI language.")
    plain_language: bool | None = Field(default=None, description="Plain-language mode.")
    school: str | None = Field(
        default=None, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$",
        description="School id from the widget's data-school attribute.",
    )


class Button(BaseModel):
    """A quick reply: show `title`, send `payload` as the next message when clicked."""

    model_config = ConfigDict(extra="allow")
    title: str
    payload: str


# The cards' schema lives in bot/cards.py, shared with the actions that build them.


class BotMessage(BaseModel):
    """One bot message: plain text, quick-reply buttons and/or a machine-readable payload.

    `custom` is a `Suggestions` payload; any other payload type passes through unchanged.
    """

    text: str | None = None
    buttons: list[Button] = Field(default_factory=list)
    custom: Suggestions | dict[str, Any] | None = None


class ChatResponse(BaseModel):
    session_id: str
    messages: list[BotMessage]
    degraded: bool = Field(
        default=False, description="True when Rasa could not answer and this is a fallback."
    )
    language: Literal["sv", "fi", "da"] | None = Field(
        default=None, description="The language the bot now answers in, when it differs from "
        "the request's or has just changed: the widget's language switch follows it.")
    plain_language: bool | None = Field(
        default=None, description="Whether the bot now writes plain language, sent with "
        "`language`: the widget's checkbox follows it.")


class ErrorResponse(BaseModel):
    """Every 4xx answer: one readable sentence saying what was wrong."""

    detail: str = Field(examples=["message: the message is empty."])


class ServiceHealth(BaseModel):
    """One supervised service, as `python -m bot.stack run` last saw it."""

    name: str = Field(pattern=r"^(actions|rasa|gateway)(-\d+)?$", description="`rasa-2`: "
                      "the second Rasa replica of the scaled stack.")
    status: Literal["starting", "up", "backoff", "stopped"] = Field(
        description="`backoff`: it failed and waits to be started again.")
    pid: int | None = None
    started_at: dt.datetime | None = None
    up_seconds: float | None = Field(
        default=None, description="How long it has been healthy since its last start.")
    restarts: int = Field(description="Restarts since the stack started.")
    last_restart_reason: str | None = None
    last_restart_at: dt.datetime | None = None
    flapping: bool = Field(
        default=False, description="Restarted too often lately: retried at the slowest backoff.")


class Supervision(BaseModel):
    running: bool = Field(description="False when the supervisor's report is stale: it has "
                          "stopped checking.")
    checked_at: dt.datetime | None = None
    services: list[ServiceHealth]


class RasaReplica(BaseModel):
    """One Rasa server the gateway sends conversations to."""

    url: str
    ok: bool = Field(description="It answered /status (its model loaded) just now.")
    left_out_s: float = Field(
        default=0.0, description="Seconds it is still left out after failing; its "
        "conversations go to the next replica meanwhile.")


class ActionServer(BaseModel):
    """One action server a Rasa replica calls."""

    url: str
    ok: bool = Field(description="It answered its readiness probe (matcher loaded) just now.")


class Health(BaseModel):
    """200 with status `ok` only when a pupil can get an answer; otherwise 503, `degraded`."""

    status: Literal["ok", "degraded"]
    rasa: bool = Field(description="At least one Rasa replica answers.")
    action_server: bool = Field(description="Every action server is ready (each Rasa replica "
                                "calls one of them).")
    rasa_replicas: list[RasaReplica] = Field(default_factory=list)
    action_servers: list[ActionServer] = Field(default_factory=list)
    database: bool = Field(description="The app's database (SQLite, or VAGVISAREN_DATABASE_URL) "
                                       "answers `SELECT 1`.")
    tracker_store: bool | None = Field(
        default=None, description="Rasa's tracker-store database (VAGVISAREN_TRACKER_URL) "
        "answers `SELECT 1`; null when it is Rasa's own SQLite file (`make run`).")
    lock_store: bool | None = Field(
        default=None, description="The Redis of Rasa's lock store (VAGVISAREN_REDIS_HOST, "
        "_PORT) answers PING; null with the in-memory lock store (`make run`).")
    purge_last_run: dt.datetime | None = Field(
        default=None, description="When the daily retention purge last finished (UTC); null "
        "if it has not run yet.")
    supervisor: Supervision | None = Field(
        default=None, description="The services' uptimes and restarts; null when they are not "
        "run by `python -m bot.stack run`.")
    problems: list[str] = Field(
        default_factory=list, description="What an operator should look at, in plain words.")
