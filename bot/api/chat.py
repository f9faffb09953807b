"""The pupils' side of the gateway: `POST /api/chat` proxied to Rasa, health, widget files."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from typing import Any

import httpx
from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from bot.api import health, replicas, web
from bot.api.edge import EdgeRoute, preflight
from bot.api.health import supervision_problems, supervision_report
from bot.api.models import (
    BotMessage,
    ChatRequest,
    ChatResponse,
    ErrorResponse,
    Health,
    RasaReplica,
)
from bot.api.ratelimit import limiter
from bot.language import STATE, SUPPORTED
from bot.privacy import scrub
from bot.rasa_token import rasa_token
from bot.settings import get_settings
from bot.summaries.schedule import last_run

log = logging.getLogger("vagvisaren.gateway")

# Shown when Rasa is down or too slow: friendly, in the user's language, never a stack trace.
UNAVAILABLE = {
    "sv": "Jag kan inte svara just nu. Försök igen om en liten stund.",
    "fi": "En pysty vastaamaan juuri nyt. Yritä hetken päästä uudelleen.",
    "da": "Jeg kan ikke svare lige nu. Prøv igen om lidt.",
}

router = APIRouter(route_class=EdgeRoute)
router.include_router(web.router)

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "The body is not valid JSON."},
    415: {"model": ErrorResponse, "description": "The body is not sent as application/json."},
    422: {"model": ErrorResponse, "description": "Empty, too long or non-text message, or a "
          "malformed field."},
    429: {
        "model": ErrorResponse,
        "description": "Too many messages from this session or IP address.",
        "headers": {"Retry-After": {"description": "Seconds to wait.",
                                    "schema": {"type": "integer"}}},
    },
}


@router.post("/api/chat", response_model=ChatResponse, responses=ERRORS)
async def chat(body: ChatRequest, request: Request) -> ChatResponse:
    """Forward one message, identifiers scrubbed, to Rasa with its metadata and return the
    bot's messages."""
    settings = get_settings()
    text = _well_formed(body.message).strip()
    if not text:
        raise HTTPException(422, "message: the message is empty.")
    if _RASA_COMMANDS.match(text):
        raise HTTPException(422, "message: Rasa's own commands (/restart, /session_start, /back) "
                                 "are not accepted.")
    if len(text) > settings.max_message_chars:
        raise HTTPException(
            422, f"message: the message is longer than {settings.max_message_chars} characters."
        )
    ip = request.client.host if request.client else None
    wait = limiter(
        settings.rate_limit_per_session, settings.rate_limit_per_ip, settings.rate_limit_window_s
    ).check(body.session_id, ip)
    if wait:
        log.warning("Rate limit: refused a message (session %s), retry in %ss", body.session_id,
                    wait)
        raise HTTPException(
            429, f"Too many messages. Try again in {wait} seconds.",
            headers={"Retry-After": str(wait)},
        )
    session_id = body.session_id or secrets.token_urlsafe(16)
    metadata = {
        key: value
        for key, value in (
            ("language", body.language),
            ("plain_language", body.plain_language),
            ("school", body.school),
        )
        if value is not None
    }
    # Identifiers never reach Rasa's tracker store, the actions or the app tables: the text is
    # scrubbed here, off the event loop (a long run of digits costs the matcher ~0.1 s).
    text = await run_in_threadpool(scrub, text)
    payload = {"sender": session_id, "message": text, "metadata": metadata}
    try:
        # The conversation's Rasa replica, or the next one when it fails (bot/api/replicas.py).
        raw = await replicas.send(rasa_client(), rasa_replicas(), session_id, payload,
                                  settings.rasa_timeout_s, settings.rasa_retry_timeout_s)
        if not isinstance(raw, list):
            raise ValueError(f"Rasa answered {type(raw).__name__}, not a list")
    except (replicas.ReplicaFailed, httpx.HTTPError, ValueError) as err:
        # The error's type only: some errors quote the request, that is the message.
        log.error("Rasa did not answer for session %s: %s", session_id, type(err).__name__)
        return _unavailable(session_id, body.language or settings.default_language)
    state = _state(raw)
    messages = _messages([m for m in raw if not _is_state(m)])
    if not messages:
        # Every turn of ours answers something; silence means a custom action failed (the
        # action server is down or timed out) and Rasa dropped its reply, or the turn failed
        # in Rasa's tracker store or lock store (PostgreSQL, Redis), which fail closed.
        log.error("Rasa answered nothing for session %s: an action server, the tracker store "
                  "or the lock store failed (see /healthz)", session_id)
        return _unavailable(session_id, body.language or settings.default_language)
    return ChatResponse(session_id=session_id, messages=messages, **state)


# Rasa's built-in conversation commands reset or rewind the tracker and answer nothing, which
# reads as a broken stack; the widget never sends them, so a typed one is refused.
_RASA_COMMANDS = re.compile(r"^/(?:restart|session_start|back)(?![\w])")


def _well_formed(text: str) -> str:
    """The text with lone surrogates (half an emoji, e.g. cut by a client) as U+FFFD: they
    cannot be encoded as UTF-8, so Rasa could not be sent the message at all."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _is_state(item: Any) -> bool:
    return isinstance(item, dict) and isinstance(item.get("custom"), dict) and \
        item["custom"].get("type") == STATE


def _state(raw: list[Any]) -> dict[str, Any]:
    """The bot's language and plain-language state from its last state message, if any."""
    found: dict[str, Any] = {}
    for item in raw:
        if _is_state(item):
            custom = item["custom"]
            if custom.get("language") in SUPPORTED:
                found["language"] = custom["language"]
            if isinstance(custom.get("plain_language"), bool):
                found["plain_language"] = custom["plain_language"]
    return found


def _unavailable(session_id: str, language: str) -> ChatResponse:
    """The friendly 'cannot answer right now' in the user's language, marked degraded."""
    return ChatResponse(
        session_id=session_id,
        messages=[BotMessage(text=UNAVAILABLE.get(language, UNAVAILABLE["sv"]))],
        degraded=True,
    )


def _messages(raw: list[Any]) -> list[BotMessage]:
    """Rasa's messages as models; one that does not fit is logged and left out, not a 500."""
    messages = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        try:
            messages.append(BotMessage(
                text=item.get("text"), buttons=item.get("buttons") or [],
                custom=item.get("custom"),
            ))
        except ValidationError as err:
            log.error("Left out a bot message the widget cannot show: %s", err)
    return messages


@router.options("/api/chat", include_in_schema=False)
def chat_preflight(request: Request) -> Response:
    return preflight(request)


@router.get("/livez", include_in_schema=True, responses={200: {"description": "Alive."}})
async def livez() -> dict[str, str]:
    """The gateway process answers: the supervisor's liveness check. Says nothing of Rasa."""
    return {"status": "alive"}


@router.get("/healthz", response_model=Health,
            responses={503: {"model": Health, "description": "A pupil cannot get an answer now."}})
async def healthz(response: Response) -> Health:
    """Whether Rasa (with its model), every action server, the app database, Rasa's tracker
    store and lock store answer, the supervised services' uptimes and restarts, and when the
    retention purge last ran."""
    settings = get_settings()
    client = rasa_client()
    replica_health, action_health, database, lock = await asyncio.gather(
        _replicas_ok(client), health.action_servers(client, settings.action_server_url_list()),
        health.database_ok(), health.lock_store_ok(settings))
    tracker = await health.tracker_store_ok(settings, database)
    rasa = any(replica.ok for replica in replica_health)
    actions = all(server.ok for server in action_health)
    purged = await run_in_threadpool(last_run) if database else None
    supervision = supervision_report(settings.var_dir)
    problems = [] if rasa else ["rasa does not answer"]
    problems += [f"action server{'' if len(action_health) == 1 else ' ' + a.url} does not answer"
                 for a in action_health if not a.ok]
    problems += [f"{name} does not answer" for name, ok in (
        ("database", database), ("tracker store", tracker), ("lock store (Redis)", lock))
        if ok is False]
    if rasa:
        problems += [f"rasa replica {r.url} does not answer" for r in replica_health if not r.ok]
    problems += supervision_problems(supervision)
    healthy = rasa and actions and database and tracker is not False and lock is not False
    if not healthy:
        response.status_code = 503
    return Health(status="ok" if healthy else "degraded", rasa=rasa, action_server=actions,
                  rasa_replicas=replica_health, action_servers=action_health,
                  database=database, tracker_store=tracker, lock_store=lock,
                  purge_last_run=purged, supervisor=supervision, problems=problems)


def rasa_replicas() -> replicas.Replicas:
    settings = get_settings()
    return replicas.shared(settings.rasa_url_list(), settings.rasa_replica_down_s)


async def _replicas_ok(client: httpx.AsyncClient) -> list[RasaReplica]:
    """Each replica's /status with Rasa's token (an unreadable token file: none can be asked);
    what is found updates which replicas conversations are sent to."""
    pool = rasa_replicas()
    try:
        token = rasa_token()
    except (OSError, RuntimeError) as err:
        log.error("Cannot read the Rasa token: %r", err)
        token = None
    found = await asyncio.gather(*(_ok(client, f"{url}/status", {"token": token})
                                   for url in pool.urls)) if token else [False] * len(pool.urls)
    for url, ok in zip(pool.urls, found, strict=True):
        if ok:
            pool.mark_up(url)
        elif token:
            pool.mark_down(url)
    return [RasaReplica(url=url, ok=ok, left_out_s=round(pool.down_for_s(url), 1))
            for url, ok in zip(pool.urls, found, strict=True)]


_clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}


def rasa_client() -> httpx.AsyncClient:
    """One pooled client per event loop, for Rasa and the action server on loopback.

    A client per request cost most of the gateway's CPU under load (py-spy: building an SSL
    context each time, see docs/benchmarks.md); a pooled one also keeps connections alive.
    """
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None or client.is_closed:
        for stale in [other for other in _clients if other.is_closed()]:
            del _clients[stale]
        client = _clients[loop] = httpx.AsyncClient(timeout=2.0)
    return client


async def close_clients() -> None:
    """Close the pooled clients (at gateway shutdown)."""
    for client in list(_clients.values()):
        await client.aclose()
    _clients.clear()


async def _ok(client: httpx.AsyncClient, url: str, params: dict[str, str] | None = None) -> bool:
    try:
        return (await client.get(url, params=params)).status_code == 200
    except httpx.HTTPError:
        return False
