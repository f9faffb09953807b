"""Gateway input rules, rate limits, health and graceful failure, without Rasa running."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.api import ratelimit
from bot.api.app import app
from bot.api.chat import UNAVAILABLE
from bot.settings import get_settings
from bot.stack import free_port


def _fresh() -> None:
    get_settings.cache_clear()  # bot.storage.engine() follows the settings' var_dir
    ratelimit.reset()


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[TestClient]:
    # Point the gateway at closed loopback ports: Rasa and the action server are "down".
    monkeypatch.setenv("VAGVISAREN_RASA_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("VAGVISAREN_ACTION_SERVER_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("VAGVISAREN_VAR_DIR", str(tmp_path / "var"))
    _fresh()
    yield TestClient(app)
    _fresh()


# ---- input limits: always a 4xx with one readable sentence in "detail" ----------------------

@pytest.mark.parametrize("message", ["", "   ", "x" * 1001])
def test_rejects_empty_and_oversized_messages(client: TestClient, message: str) -> None:
    reply = client.post("/api/chat", json={"message": message})
    assert reply.status_code == 422
    detail = reply.json()["detail"]
    assert isinstance(detail, str) and detail.startswith("message")
    assert ("1000" in detail) == (len(message) > 1000)


def test_accepts_exactly_the_limit(client: TestClient) -> None:
    assert client.post("/api/chat", json={"message": "x" * 1000}).status_code == 200


@pytest.mark.parametrize("body", [{"message": 42}, {"message": ["a"]}, {"message": None},
                                  {}, {"text": "hej"}])
def test_rejects_non_text_messages(client: TestClient, body: dict) -> None:
    reply = client.post("/api/chat", json=body)
    assert reply.status_code == 422
    assert reply.json()["detail"].startswith("message")


@pytest.mark.parametrize("body", [[1, 2], "hej", 42])
def test_rejects_a_body_that_is_not_an_object(client: TestClient, body: object) -> None:
    reply = client.post("/api/chat", json=body)
    assert reply.status_code == 422
    assert reply.json() == {"detail": 'The request body must be a JSON object such as '
                                      '{"message": "hej"}.'}


def test_schema_publishes_the_message_limits(client: TestClient) -> None:
    message = client.get("/openapi.json").json()["components"]["schemas"]["ChatRequest"][
        "properties"]["message"]
    assert (message["minLength"], message["maxLength"], message["pattern"]) == (1, 1000, r"\S")


@pytest.mark.parametrize("raw", ['{"message": "hej"', "message=hej", "\xff"])
def test_invalid_json_is_a_400(client: TestClient, raw: str) -> None:
    reply = client.post("/api/chat", content=raw.encode("latin-1"),
                        headers={"Content-Type": "application/json"})
    assert reply.status_code == 400
    assert reply.json() == {"detail": "The request body is not valid JSON."}


def test_empty_body_says_what_is_expected(client: TestClient) -> None:
    reply = client.post("/api/chat", content=b"", headers={"Content-Type": "application/json"})
    assert reply.status_code == 422
    assert '{"message": "hej"}' in reply.json()["detail"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", None])
def test_wrong_content_type_is_a_415(client: TestClient, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    reply = client.post("/api/chat", content=b'{"message": "hej"}', headers=headers)
    assert reply.status_code == 415
    assert "application/json" in reply.json()["detail"]


def test_json_with_charset_is_fine(client: TestClient) -> None:
    reply = client.post("/api/chat", content=b'{"message": "hej"}',
                        headers={"Content-Type": "application/json; charset=utf-8"})
    assert reply.status_code == 200


@pytest.mark.parametrize(("field", "value"), [
    ("session_id", "../../etc/passwd"), ("session_id", "x" * 500), ("session_id", "a b"),
    ("language", "en"), ("school", "<script>"), ("plain_language", "kanske"),
    # Found by schemathesis: lax parsing took 0 and "true" for booleans, 12345678 for an id.
    ("plain_language", 0), ("plain_language", "true"), ("session_id", 12345678),
])
def test_rejects_odd_fields_with_a_reason(client: TestClient, field: str, value: object) -> None:
    reply = client.post("/api/chat", json={"message": "hej", field: value})
    assert reply.status_code == 422
    assert reply.json()["detail"].startswith(field)


def test_new_sessions_get_random_pseudonymous_ids(client: TestClient) -> None:
    ids = {client.post("/api/chat", json={"message": "hej"}).json()["session_id"]
           for _ in range(3)}
    assert len(ids) == 3 and all(len(i) >= 16 for i in ids)


# ---- rate limits -------------------------------------------------------------------------

def test_rate_limit_per_session(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAGVISAREN_RATE_LIMIT_PER_SESSION", "3")
    get_settings.cache_clear()
    body = {"message": "hej", "session_id": "session-aaaa"}
    assert [client.post("/api/chat", json=body).status_code for _ in range(3)] == [200] * 3
    refused = client.post("/api/chat", json=body)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "Try again" in refused.json()["detail"]
    # Another session from the same address still gets through (the IP limit is 30).
    other = client.post("/api/chat", json=body | {"session_id": "session-bbbb"})
    assert other.status_code == 200


def test_rate_limit_per_ip(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAGVISAREN_RATE_LIMIT_PER_IP", "2")
    get_settings.cache_clear()
    statuses = [client.post("/api/chat", json={"message": "hej"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_default_limits_are_30_a_minute() -> None:
    settings = get_settings()
    assert (settings.rate_limit_per_session, settings.rate_limit_per_ip,
            settings.rate_limit_window_s) == (30, 30, 60.0)


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """A clock the test moves by hand (the `limits` library reads time.time)."""
    current = [1000.0]
    monkeypatch.setattr(time, "time", lambda: current[0])
    return current


def test_sliding_window_frees_up_and_refusals_do_not_count(now: list[float]) -> None:
    limiter = ratelimit.ChatLimiter(per_session=2, per_ip=100, window_s=60)
    assert limiter.check("s", "ip") == 0
    now[0] += 10
    assert limiter.check("s", "ip") == 0
    assert limiter.check("s", "ip") == 50  # the first hit leaves the window in 50 s
    now[0] += 49
    assert limiter.check("s", "ip") == 1
    now[0] += 1.5
    assert limiter.check("s", "ip") == 0  # refused tries were not counted
    assert limiter.check(None, "ip") == 0  # no session id: only the IP counts


# ---- graceful failure --------------------------------------------------------------------

@pytest.mark.parametrize("language", ["sv", "fi", "da"])
def test_friendly_reply_when_rasa_is_down(client: TestClient, language: str,
                                          caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="vagvisaren.gateway"):
        reply = client.post("/api/chat", json={"message": "hej hej", "language": language})
    assert reply.status_code == 200
    body = reply.json()
    assert body["degraded"] is True
    assert body["messages"] == [{"text": UNAVAILABLE[language], "buttons": [], "custom": None}]
    assert any("Rasa did not answer" in r.message for r in caplog.records)


def test_friendly_reply_when_rasa_is_too_slow(client: TestClient,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    # A socket that accepts connections but never answers: Rasa hangs.
    with socket.socket() as hanging:
        hanging.bind(("127.0.0.1", 0))
        hanging.listen()
        monkeypatch.setenv("VAGVISAREN_RASA_URL", f"http://127.0.0.1:{hanging.getsockname()[1]}")
        monkeypatch.setenv("VAGVISAREN_RASA_TIMEOUT_S", "0.5")
        get_settings.cache_clear()
        reply = client.post("/api/chat", json={"message": "moi", "language": "fi"})
    assert reply.status_code == 200
    assert reply.json()["degraded"] is True
    assert reply.json()["messages"][0]["text"] == UNAVAILABLE["fi"]


# ---- health ------------------------------------------------------------------------------

def test_health_reports_down_services_and_the_database(client: TestClient) -> None:
    reply = client.get("/healthz")
    assert reply.status_code == 503  # a pupil cannot be answered: a balancer must not send one
    health = reply.json()
    replicas = health.pop("rasa_replicas")
    assert health.pop("action_servers") == [{"url": get_settings().action_server_url,
                                             "ok": False}]
    assert health == {
        "status": "degraded", "rasa": False, "action_server": False, "database": True,
        "tracker_store": None, "lock_store": None,  # make run's: Rasa's SQLite, in-memory locks
        "purge_last_run": None, "supervisor": None,
        "problems": ["rasa does not answer", "action server does not answer"],
    }
    # The one Rasa (VAGVISAREN_RASA_URL) is the one replica, and it is left out for a while.
    assert [(r["url"], r["ok"]) for r in replicas] == [(get_settings().rasa_url, False)]
    assert 0 < replicas[0]["left_out_s"] <= get_settings().rasa_replica_down_s


def test_liveness_is_the_gateway_alone(client: TestClient) -> None:
    assert client.get("/livez").json() == {"status": "alive"}  # though Rasa is down here


def test_health_reports_a_broken_database(client: TestClient, monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("x")
    monkeypatch.setenv("VAGVISAREN_VAR_DIR", str(blocked))
    _fresh()
    assert client.get("/healthz").json()["database"] is False


# ---- browser edge: CORS, static files, OpenAPI ---------------------------------------------

def test_cors_for_school_pages(client: TestClient) -> None:
    origin = {"Origin": "https://skola.example"}
    preflight = client.options("/api/chat", headers=origin | {
        "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type",
    })
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "content-type" in preflight.headers["access-control-allow-headers"].lower()
    reply = client.post("/api/chat", json={"message": "hej"}, headers=origin)
    assert reply.headers["access-control-allow-origin"] == "*"
    error = client.post("/api/chat", json={"message": ""}, headers=origin)
    assert error.headers["access-control-allow-origin"] == "*"


def test_cors_can_be_restricted(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAGVISAREN_ALLOWED_ORIGINS", "https://a.example, https://b.example")
    get_settings.cache_clear()
    allowed = client.post("/api/chat", json={"message": "hej"},
                          headers={"Origin": "https://b.example"})
    assert allowed.headers["access-control-allow-origin"] == "https://b.example"
    other = client.post("/api/chat", json={"message": "hej"},
                        headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_serves_the_widget_and_the_demo_page(client: TestClient) -> None:
    js = client.get("/widget.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert "innerHTML" not in js.text.replace("never innerHTML", "")
    css = client.get("/widget.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    page = client.get("/")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<script src="/widget.js" data-language="sv" data-school="demo-skolan">' in page.text


def test_openapi_documents_every_status(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    responses = schema["paths"]["/api/chat"]["post"]["responses"]
    assert {"200", "400", "415", "422", "429"} <= set(responses)
    for status in ("400", "415", "422", "429"):
        ref = responses[status]["content"]["application/json"]["schema"]["$ref"]
        assert ref.endswith("/ErrorResponse")
    assert "Retry-After" in responses["429"]["headers"]
    health = schema["components"]["schemas"]["Health"]["properties"]
    assert {"rasa", "action_server", "database"} <= set(health)
    assert "Suggestions" in schema["components"]["schemas"]
