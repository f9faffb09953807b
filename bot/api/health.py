"""What /healthz asks besides Rasa: every action server, the databases and the lock store's
Redis, each with a short timeout (a monitor must get its answer in seconds, even when one of
them hangs); and the supervisor's report (var_dir/supervisor.json) in models and words."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import httpx
from pydantic import ValidationError
from sqlalchemy import Engine, create_engine, make_url
from sqlalchemy import text as sql

from bot.api.models import ActionServer, ServiceHealth, Supervision
from bot.service_state import is_stale, read_state, ready_probe_request, ready_probe_says_ready
from bot.settings import Settings
from bot.storage import engine

log = logging.getLogger("vagvisaren.gateway")

# Seconds each check of /healthz may take: a stopped server refuses at once, a hung one must
# not hold the answer for longer.
CHECK_TIMEOUT_S = 2.0


async def action_servers(client: httpx.AsyncClient, urls: list[str]) -> list[ActionServer]:
    """Each action server's readiness probe (up, with its matcher loaded), asked at once."""
    found = await asyncio.gather(*(_action_ready(client, url) for url in urls))
    return [ActionServer(url=url, ok=ok) for url, ok in zip(urls, found, strict=True)]


async def _action_ready(client: httpx.AsyncClient, url: str) -> bool:
    try:
        reply = await client.post(f"{url}/webhook", json=ready_probe_request(),
                                  timeout=CHECK_TIMEOUT_S)
        return reply.status_code == 200 and ready_probe_says_ready(reply.json())
    except (httpx.HTTPError, ValueError):
        return False


async def database_ok() -> bool:
    """The app database answers `SELECT 1` (through the app's own engine)."""
    return await _within(_select_one_app, "Database")


async def tracker_store_ok(settings: Settings, database: bool) -> bool | None:
    """Rasa's tracker-store database answers `SELECT 1` (asked directly, not through Rasa).
    None when Rasa keeps it in its own SQLite file; the app database's answer when it is the
    same database (the scaled stack)."""
    url = settings.tracker_url
    if not url or make_url(url).get_backend_name() == "sqlite":
        return None
    if url == settings.app_db_url():
        return database
    return await _within(lambda: _select_one(_tracker_engine(url)), "Tracker store")


async def lock_store_ok(settings: Settings) -> bool | None:
    """The Redis of Rasa's lock store answers PING; None for the in-memory lock store."""
    if settings.lock_store != "redis":
        return None
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            reader, writer = await asyncio.open_connection(settings.redis_host,
                                                           settings.redis_port)
            try:
                writer.write(b"PING\r\n")
                await writer.drain()
                return (await reader.readline()).startswith(b"+PONG")
            finally:
                writer.close()
    except (OSError, TimeoutError) as err:
        log.error("Lock store check failed (Redis %s:%s): %r", settings.redis_host,
                  settings.redis_port, err)
        return False


# The database checks' own threads: a hung database holds one until its connect timeout, and
# must not hold the threads that serve requests (anyio's) or resolve names (asyncio's default).
_checks = ThreadPoolExecutor(max_workers=4, thread_name_prefix="healthz")


async def _within(check: Callable[[], bool], what: str) -> bool:
    """`check()` in a thread, given up on (not waited for) after CHECK_TIMEOUT_S."""
    try:
        future = asyncio.get_running_loop().run_in_executor(_checks, check)
        return await asyncio.wait_for(future, CHECK_TIMEOUT_S)
    except TimeoutError:
        log.error("%s check failed: no answer within %.0f s", what, CHECK_TIMEOUT_S)
    except Exception as err:  # noqa: BLE001 - any failure means "not healthy"
        log.error("%s check failed: %r", what, err)
    return False


def _select_one_app() -> bool:
    return _select_one(engine())


def _select_one(db: Engine) -> bool:
    with db.connect() as connection:
        return connection.execute(sql("SELECT 1")).scalar() == 1


@lru_cache(maxsize=4)
def _tracker_engine(url: str) -> Engine:
    """A small pool for the check alone; pre-pinged, so a database restart leaves no dead
    connection behind, and a connection attempt gives up within the check's timeout."""
    backend = make_url(url).get_backend_name()
    connect = {"connect_timeout": int(CHECK_TIMEOUT_S)} if backend == "postgresql" else {}
    return create_engine(url, pool_pre_ping=True, pool_size=1, max_overflow=1,
                         connect_args=connect)


def supervision_report(var_dir: Path, now: dt.datetime | None = None) -> Supervision | None:
    """The services' state, or None when no supervisor has written a report here."""
    state = read_state(var_dir)
    if state is None:
        return None
    now = now or dt.datetime.now(dt.UTC)
    services = []
    for raw in state.get("services") or []:
        try:
            service = ServiceHealth.model_validate(raw)
        except ValidationError:
            continue
        up_since = raw.get("up_since")
        if up_since and service.status == "up":
            service.up_seconds = round(
                (now - dt.datetime.fromisoformat(up_since)).total_seconds(), 1)
        services.append(service)
    checked = state.get("checked_at")
    return Supervision(running=not is_stale(state, now.timestamp()),
                       checked_at=dt.datetime.fromisoformat(checked) if checked else None,
                       services=services)


def supervision_problems(supervision: Supervision | None) -> list[str]:
    """Plain sentences for an operator: a stale supervisor, services that keep failing."""
    if supervision is None:
        return []
    problems = []
    if not supervision.running:
        problems.append("the supervisor has stopped checking the services: nothing will be "
                        "restarted; see the service log (journalctl -u vagvisaren)")
    for service in supervision.services:
        if service.flapping:
            problems.append(f"{service.name} keeps failing ({service.restarts} restarts; last: "
                            f"{service.last_restart_reason}); see var/{service.name}.log")
        elif service.status != "up":
            problems.append(f"{service.name} is {service.status}")
    return problems
