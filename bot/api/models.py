"""Request and response models of the gateway, so the OpenAPI schema is complete."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Language = Literal["sv", "fi", "da"]


class ChatRequest(BaseModel):
    """One user message. The session id is pseudonymous: the gateway issues it."""

    session_id: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_-]{8,64}$",
        description="Pseudonymous id from an earlier reply; omit to start a new conversation.",
    )
    message: str = Field(description="What the user wrote, plain text.")
    language: Language | None = Field(default=None, description="Explicit UI language.")
    plain_language: bool | None = Field(default=None, description="Plain-language mode.")
    school: str | None = Field(
        default=None, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$",
        description="School id from the widget's data-school attribute.",
    )


class BotMessage(BaseModel):
    """One bot message: plain text, quick-reply buttons and/or a machine-readable payload."""

    text: str | None = None
    buttons: list[dict[str, Any]] = Field(default_factory=list)
    custom: dict[str, Any] | None = None


class ChatResponse(BaseModel):
    session_id: str
    messages: list[BotMessage]
    degraded: bool = Field(
        default=False, description="True when Rasa could not answer and this is a fallback."
    )


class ErrorResponse(BaseModel):
    detail: str


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    rasa: bool
    action_server: bool
