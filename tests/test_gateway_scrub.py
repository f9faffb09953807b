"""The gateway forwards scrubbed text to Rasa, and only text Rasa can take and answer.

A small recording HTTP server stands in for Rasa's REST channel, so the test sees exactly what
would be stored in the tracker store.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from standin_http import JsonHandler, serve_in_thread, stop, url_of

from bot.api import ratelimit
from bot.api.app import app
from bot.privacy import CPR_MASK, EMAIL_MASK, HETU_MASK, PERSONNUMMER_MASK, PHONE_MASK
from bot.settings import get_settings
from bot.stack import free_port


class _Rasa(JsonHandler):
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        _Rasa.received.append(self.read_json())
        self.reply([{"recipient_id": "x", "text": "ok"}])


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[TestClient]:
    server = serve_in_thread(_Rasa)
    _Rasa.received = []
    monkeypatch.setenv("VAGVISAREN_RASA_URL", url_of(server))
    monkeypatch.setenv("VAGVISAREN_ACTION_SERVER_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("VAGVISAREN_VAR_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    ratelimit.reset()
    yield TestClient(app)
    stop(server)
    get_settings.cache_clear()
    ratelimit.reset()


def test_rasa_receives_the_message_scrubbed(client: TestClient,
                                            caplog: pytest.LogCaptureFixture) -> None:
    raw = ("pnr 20100512-1239, hetu 131052-308T, cpr 120510-1234, ring 070-123 45 67, "
           "mejla anna@example.se")
    with caplog.at_level(logging.DEBUG):
        reply = client.post("/api/chat", json={"message": raw, "language": "sv"})
    assert reply.status_code == 200 and reply.json()["messages"][0]["text"] == "ok"
    [sent] = _Rasa.received
    assert sent["message"] == (f"pnr {PERSONNUMMER_MASK}, hetu {HETU_MASK}, cpr {CPR_MASK}, "
                               f"ring {PHONE_MASK}, mejla {EMAIL_MASK}")
    assert "070-123" not in caplog.text and "anna@" not in caplog.text


def test_half_an_emoji_is_forwarded_as_a_replacement_character(client: TestClient) -> None:
    """A lone surrogate cannot be sent as UTF-8: it used to end in 'cannot answer now'."""
    reply = client.post("/api/chat", content=b'{"message": "hej \\ud83d d\\u00e5"}',
                        headers={"Content-Type": "application/json"})
    assert reply.status_code == 200 and reply.json()["degraded"] is False
    assert _Rasa.received[0]["message"] == "hej \ufffd då"


@pytest.mark.parametrize("command", ["/restart", "/session_start", "/back", " /restart "])
def test_rasa_commands_are_refused(client: TestClient, command: str) -> None:
    """They reset the conversation and answer nothing, which reads as a broken stack."""
    reply = client.post("/api/chat", json={"message": command})
    assert reply.status_code == 422 and reply.json()["detail"].startswith("message")
    assert _Rasa.received == []


@pytest.mark.parametrize("payload", ["/affirm", '/request_visit{"visit_id": "visit_x_20270210"}',
                                     "/restarts", "restart"])
def test_other_payloads_pass(client: TestClient, payload: str) -> None:
    assert client.post("/api/chat", json={"message": payload}).status_code == 200
    assert _Rasa.received[0]["message"] == payload
