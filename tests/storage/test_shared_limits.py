"""The gateway's rate limits in Redis (VAGVISAREN_REDIS_URL): several workers count together,
and while Redis is down each counts in its own memory, with a warning, instead of failing."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import servers
from fastapi.testclient import TestClient

from bot.api import ratelimit
from bot.api.app import app
from bot.api.ratelimit import ChatLimiter, LoginThrottle, Store
from bot.settings import get_settings
from bot.stack import free_port


def _id() -> str:
    return uuid.uuid4().hex  # the Redis server lives for the whole session: fresh keys


def test_two_workers_count_together_in_redis(redis_url: str) -> None:
    first, second = (ChatLimiter(3, 100, 60, Store(redis_url)) for _ in range(2))
    session, ip = _id(), _id()
    assert [first.check(session, ip), second.check(session, ip), first.check(session, ip)] == [
        0, 0, 0]
    assert 59 <= second.check(session, ip) <= 60  # the fourth, on another worker: refused
    assert first.check(_id(), ip) == 0  # another session from that address


def test_without_redis_each_worker_counts_alone() -> None:
    """What the shared store is for: the same four messages, all allowed."""
    first, second = ChatLimiter(3, 100, 60), ChatLimiter(3, 100, 60)
    session, ip = _id(), _id()
    assert [w.check(session, ip) for w in (first, second, first, second)] == [0, 0, 0, 0]


def test_login_failures_and_successes_are_shared(redis_url: str) -> None:
    first, second = (LoginThrottle(2, 3, 900, Store(redis_url)) for _ in range(2))
    ip = _id()
    assert first.attempt("anna", ip)[0] == 0
    assert second.attempt("anna", ip)[0] == 0
    assert 899 <= first.attempt("anna", ip)[0] <= 900  # the account, counted on both
    _, ticket = second.attempt("bo", ip)
    second.succeeded("bo", ip, ticket)
    assert first.attempt("cecilia", ip)[0] == 0  # bo's success gave the address its count back
    assert first.attempt("david", ip)[0] > 0  # ... and only that one


def test_redis_down_limits_per_process_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    limiter = ChatLimiter(2, 100, 60, Store(closed))
    session = _id()
    with caplog.at_level(logging.WARNING, logger="vagvisaren.gateway"):
        started = time.monotonic()
        answers = [limiter.check(session, "10.0.0.1") for _ in range(3)]
        elapsed = time.monotonic() - started
    assert answers[:2] == [0, 0] and 59 <= answers[2] <= 60  # still limited
    assert elapsed < 2 * ratelimit.REDIS_TIMEOUT_S
    warnings = [r.message for r in caplog.records if "Rate limits: Redis failed" in r.message]
    assert len(warnings) == 1  # once per outage, not once per message


def test_redis_is_tried_again_after_the_pause(monkeypatch: pytest.MonkeyPatch,
                                              caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(ratelimit, "RETRY_S", 0.0)
    limiter = ChatLimiter(2, 100, 60, Store(f"redis://127.0.0.1:{free_port()}/0"))
    with caplog.at_level(logging.WARNING, logger="vagvisaren.gateway"):
        limiter.check(_id(), None)
        limiter.check(_id(), None)
    assert sum("Redis failed" in r.message for r in caplog.records) == 2


def test_redis_back_after_an_outage_is_used_again(caplog: pytest.LogCaptureFixture) -> None:
    """Redis stops and starts again on the same port: the limits go back to it."""
    if servers.shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: apt-get install redis-server")
    with servers.redis() as url:
        store = Store(url)
    limiter = ChatLimiter(2, 100, 60, store)
    session = _id()
    with caplog.at_level(logging.WARNING, logger="vagvisaren.gateway"):
        assert limiter.check(session, None) == 0  # Redis is gone: counted in memory
        store._retry_at = 0.0  # the pause is over
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        with servers.redis(port) as again:
            assert again == url
            assert limiter.check(session, None) == 0
            assert limiter.check(session, None) == 0  # the memory count is not carried over
            assert limiter.check(session, None) > 0
    assert any("Redis answers again" in r.message for r in caplog.records)


# ---- through the gateway -----------------------------------------------------------------

@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[TestClient]:
    monkeypatch.setenv("VAGVISAREN_RASA_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("VAGVISAREN_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("VAGVISAREN_RATE_LIMIT_PER_SESSION", "2")
    monkeypatch.delenv("VAGVISAREN_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    ratelimit.reset()
    yield TestClient(app)
    get_settings.cache_clear()
    ratelimit.reset()


def _statuses(client: TestClient, session: str, count: int) -> list[int]:
    body = {"message": "hej", "session_id": session}
    return [client.post("/api/chat", json=body).status_code for _ in range(count)]


def test_the_gateway_counts_in_redis_across_restarts(gateway: TestClient, redis_url: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAGVISAREN_REDIS_URL", redis_url)
    get_settings.cache_clear()
    session = f"session-{_id()}"
    assert _statuses(gateway, session, 2) == [200, 200]
    ratelimit.reset()  # another worker, or this one restarted: the counts are in Redis
    refused = gateway.post("/api/chat", json={"message": "hej", "session_id": session})
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.json()["detail"].startswith("Too many messages. Try again in ")


def test_the_gateway_with_redis_down_still_answers_and_limits(
        gateway: TestClient, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("VAGVISAREN_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    get_settings.cache_clear()
    with caplog.at_level(logging.WARNING, logger="vagvisaren.gateway"):
        assert _statuses(gateway, f"session-{_id()}", 3) == [200, 200, 429]
    assert any("Rate limits: Redis failed" in r.message for r in caplog.records)


def test_keys_whose_hits_expired_are_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    """A flood of new session ids must not grow the gateway's memory for ever."""
    now = [1000.0]
    monkeypatch.setattr(time, "time", lambda: now[0])
    limiter = ChatLimiter(30, 1000, 60)
    for number in range(200):
        limiter.check(f"flood-{number}", "10.0.0.1")
    now[0] += 30
    limiter.check("recent", "10.0.0.2")
    assert limiter.store.prune() == 0  # all still inside their window
    now[0] += 31
    assert limiter.store.prune() == 201  # the flood's ids and their address
    assert set(limiter.store.memory_storage.events) == {
        "vagvisaren/chat-session/recent", "vagvisaren/chat-ip/10.0.0.2"}
    assert limiter.check("flood-1", "10.0.0.1") == 0
