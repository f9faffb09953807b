"""/healthz asks every part a pupil's answer needs, each within a short timeout: every Rasa
replica, every action server (Rasa replica i calls action server i mod M), the app database,
Rasa's tracker-store database and the Redis of Rasa's lock store.

Stand-ins answer for Rasa and the action servers (tests/standin_http.py); a closed port is a
stopped server, and a port that accepts but never answers is a hung one.
"""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from standin_http import JsonHandler, serve_in_thread, stop, url_of

from bot.api import health, ratelimit
from bot.api.app import app
from bot.settings import get_settings
from bot.stack import free_port


class _Rasa(JsonHandler):
    def do_GET(self) -> None:  # noqa: N802 - /status with its model
        self.reply({"model_file": "stand-in"})


class _Actions(JsonHandler):
    def do_POST(self) -> None:  # noqa: N802 - the readiness probe
        self.read_json()
        self.reply({"events": [], "responses": [{"custom": {"ready": True}}]})


class _Pong(socketserver.StreamRequestHandler):
    def handle(self) -> None:  # a Redis that answers PING
        if self.rfile.readline().startswith(b"PING"):
            self.wfile.write(b"+PONG\r\n")


@pytest.fixture
def servers() -> Iterator[list]:
    """Started servers of any kind, closed at the end."""
    started: list = []
    yield started
    for server in started:
        if isinstance(server, ThreadingHTTPServer):
            stop(server)
        elif isinstance(server, socket.socket):
            server.close()
        else:
            server.shutdown()
            server.server_close()


def _hung_port(servers: list) -> int:
    """A port that accepts connections (the kernel's backlog) and never answers a byte."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    servers.append(listener)
    return int(listener.getsockname()[1])


def _pong_port(servers: list) -> int:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Pong)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                     daemon=True).start()
    servers.append(server)
    return int(server.server_address[1])


Health = Callable[..., tuple[int, dict, float]]


@pytest.fixture
def healthz(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, servers: list) -> Iterator[Health]:
    """`healthz(actions=2, down=1, **env)`: GET /healthz of the real gateway app in front of a
    ready Rasa, `actions` ready action servers and then `down` stopped ones, with
    VAGVISAREN_<NAME> = value for each of `env`; (status code, body, seconds it took)."""

    def _get(actions: int = 1, down: int = 0, **env: str) -> tuple[int, dict, float]:
        rasa = serve_in_thread(_Rasa)
        action_servers = [serve_in_thread(_Actions) for _ in range(actions)]
        servers.extend([rasa, *action_servers])
        action_urls = [url_of(s) for s in action_servers] + \
            [f"http://127.0.0.1:{free_port()}" for _ in range(down)]
        settings = {"RASA_URLS": url_of(rasa), "RASA_TOKEN": "stand-in-token",
                    "ACTION_SERVER_URLS": ",".join(action_urls),
                    "VAR_DIR": str(tmp_path / "var"), "LOCK_STORE": "in_memory", **env}
        for name in ("TRACKER_URL", "DATABASE_URL"):
            monkeypatch.delenv(f"VAGVISAREN_{name}", raising=False)
        for name, value in settings.items():
            monkeypatch.setenv(f"VAGVISAREN_{name}", value)
        get_settings.cache_clear()
        ratelimit.reset()
        started = time.monotonic()
        reply = TestClient(app).get("/healthz")
        return reply.status_code, reply.json(), time.monotonic() - started

    yield _get
    get_settings.cache_clear()
    ratelimit.reset()


def test_all_parts_answer(healthz: Health) -> None:
    status, body, _ = healthz(actions=2)
    assert status == 200 and body["status"] == "ok" and body["problems"] == []
    assert body["action_server"] is True and [a["ok"] for a in body["action_servers"]] == \
        [True, True]
    assert (body["tracker_store"], body["lock_store"]) == (None, None)  # make run's stores


def test_every_action_server_is_asked(healthz: Health) -> None:
    """The second of two action servers is down: the Rasa replicas that call it cannot answer
    their pupils, so the stack is not healthy, and /healthz names that one."""
    status, body, _ = healthz(actions=1, down=1)
    assert status == 503 and body["action_server"] is False
    ready, down = body["action_servers"]
    assert (ready["ok"], down["ok"]) == (True, False)
    assert body["problems"] == [f"action server {down['url']} does not answer"]


def test_one_action_server_unset_urls_is_the_action_server_url(
        healthz: Health, monkeypatch: pytest.MonkeyPatch) -> None:
    stopped = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("VAGVISAREN_ACTION_SERVER_URL", stopped)
    status, body, _ = healthz(actions=0, ACTION_SERVER_URLS="")
    assert status == 503 and body["action_servers"] == [{"url": stopped, "ok": False}]
    assert body["problems"] == ["action server does not answer"]


def test_the_lock_stores_redis_is_asked(healthz: Health, servers: list) -> None:
    status, body, _ = healthz(LOCK_STORE="redis", REDIS_PORT=str(_pong_port(servers)))
    assert status == 200 and body["lock_store"] is True
    status, body, _ = healthz(LOCK_STORE="redis", REDIS_PORT=str(free_port()))  # stopped
    assert status == 503 and body["lock_store"] is False
    assert body["problems"] == ["lock store (Redis) does not answer"]


def test_a_hung_redis_or_database_answers_within_the_checks_timeout(healthz: Health,
                                                                    servers: list) -> None:
    status, body, took = healthz(LOCK_STORE="redis", REDIS_PORT=str(_hung_port(servers)))
    assert status == 503 and body["lock_store"] is False
    assert took < health.CHECK_TIMEOUT_S + 1.5, took
    hung_db = f"postgresql+psycopg2://u:p@127.0.0.1:{_hung_port(servers)}/vagvisaren"
    status, body, took = healthz(TRACKER_URL=hung_db)
    assert status == 503 and body["tracker_store"] is False
    assert "tracker store does not answer" in body["problems"]
    assert took < health.CHECK_TIMEOUT_S + 1.5, took


def test_the_tracker_store_is_asked_directly(healthz: Health) -> None:
    stopped = f"postgresql+psycopg2://u:p@127.0.0.1:{free_port()}/vagvisaren"
    status, body, _ = healthz(TRACKER_URL=stopped)
    assert status == 503 and (body["database"], body["tracker_store"]) == (True, False)
    assert body["problems"] == ["tracker store does not answer"]
    # Rasa's own SQLite file (make run) is Rasa's to open: not asked.
    status, body, _ = healthz(TRACKER_URL="sqlite:////nonexistent/tracker.db")
    assert status == 200 and body["tracker_store"] is None
