"""The pupils' side of the gateway: chat page, `POST /api/chat` proxied to Rasa, health."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

import httpx
from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from bot.api.models import BotMessage, ChatRequest, ChatResponse, ErrorResponse, Health
from bot.settings import get_settings

log = logging.getLogger("vagvisaren.gateway")
WEB = Path(__file__).resolve().parent.parent / "web"

# Shown when Rasa is down or too slow: friendly, in the user's language, never a stack trace.
UNAVAILABLE = {
    "sv": "Jag kan inte svara just nu. Försök igen om en liten stund.",
    "fi": "En pysty vastaamaan juuri nyt. Yritä hetken päästä uudelleen.",
    "da": "Jeg kan ikke svare lige nu. Prøv igen om lidt.",
}

router = APIRouter()


@router.get("/", include_in_schema=False)
def index() -> FileResponse:
    return FileResponse(WEB / "index.html")


@router.post(
    "/api/chat",
    response_model=ChatResponse,
    responses={422: {"model": ErrorResponse}},
)
async def chat(request: ChatRequest) -> ChatResponse:
    """Forward one message to Rasa with its metadata and return the bot's messages."""
    settings = get_settings()
    text = request.message.strip()
    if not text:
        raise HTTPException(422, "The message is empty.")
    if len(text) > settings.max_message_chars:
        raise HTTPException(
            422, f"The message is longer than {settings.max_message_chars} characters."
        )
    session_id = request.session_id or secrets.token_urlsafe(16)
    metadata = {
        key: value
        for key, value in (
            ("language", request.language),
            ("plain_language", request.plain_language),
            ("school", request.school),
        )
        if value is not None
    }
    payload = {"sender": session_id, "message": text, "metadata": metadata}
    try:
        async with httpx.AsyncClient(timeout=settings.rasa_timeout_s) as client:
            reply = await client.post(
                f"{settings.rasa_url}/webhooks/rest/webhook", json=payload
            )
            reply.raise_for_status()
            raw = reply.json()
    except (httpx.HTTPError, ValueError) as err:
        log.error("Rasa did not answer for session %s: %r", session_id, err)
        language = request.language or settings.default_language
        return ChatResponse(
            session_id=session_id,
            messages=[BotMessage(text=UNAVAILABLE.get(language, UNAVAILABLE["sv"]))],
            degraded=True,
        )
    messages = [
        BotMessage(text=m.get("text"), buttons=m.get("buttons") or [], custom=m.get("custom"))
        for m in raw
        if isinstance(m, dict)
    ]
    return ChatResponse(session_id=session_id, messages=messages)


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """Whether Rasa (with its model) and the action server answer."""
    settings = get_settings()
    async with httpx.AsyncClient(timeout=2.0) as client:
        rasa = await _ok(client, f"{settings.rasa_url}/status?token={settings.rasa_token}")
        actions = await _ok(client, f"{settings.action_server_url}/health")
    return Health(status="ok" if rasa and actions else "degraded", rasa=rasa, action_server=actions)


async def _ok(client: httpx.AsyncClient, url: str) -> bool:
    try:
        return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False
