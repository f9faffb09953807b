"""Gateway input rules and its graceful failure, without Rasa running."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bot.api.app import app
from bot.api.chat import UNAVAILABLE
from bot.stack import free_port


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> TestClient:
    # Point the gateway at a closed loopback port: Rasa is "down".
    from bot.settings import get_settings

    get_settings.cache_clear()
    monkeypatch.setenv("VAGVISAREN_RASA_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("VAGVISAREN_ACTION_SERVER_URL", f"http://127.0.0.1:{free_port()}")
    yield TestClient(app)
    get_settings.cache_clear()


@pytest.mark.parametrize("message", ["", "   ", "x" * 1001])
def test_rejects_empty_and_oversized_messages(client: TestClient, message: str) -> None:
    reply = client.post("/api/chat", json={"message": message})
    assert reply.status_code == 422
    assert "detail" in reply.json()


@pytest.mark.parametrize("body", [{"message": 42}, {"message": ["a"]}, {}, {"text": "hej"}])
def test_rejects_non_text_messages(client: TestClient, body: dict) -> None:
    assert client.post("/api/chat", json=body).status_code == 422


def test_rejects_odd_session_ids(client: TestClient) -> None:
    for session_id in ["../../etc/passwd", "x" * 500, "a b"]:
        reply = client.post("/api/chat", json={"message": "hej", "session_id": session_id})
        assert reply.status_code == 422


@pytest.mark.parametrize("language", ["sv", "fi", "da"])
def test_friendly_reply_when_rasa_is_down(client: TestClient, language: str) -> None:
    reply = client.post("/api/chat", json={"message": "hej hej", "language": language})
    assert reply.status_code == 200
    body = reply.json()
    assert body["degraded"] is True
    assert body["messages"] == [{"text": UNAVAILABLE[language], "buttons": [], "custom": None}]


def test_health_reports_down_services(client: TestClient) -> None:
    assert client.get("/healthz").json() == {
        "status": "degraded", "rasa": False, "action_server": False,
    }
