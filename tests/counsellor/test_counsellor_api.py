"""Counsellor API: login cookie, school scoping (404 for other schools), audit, stats, CSV."""

from __future__ import annotations

import time

import pytest
from counsellor_events import Tracker, conversation
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot import storage
from bot.api.app import app
from bot.auth import accounts, schools

PASSWORD = "correct horse battery"


@pytest.fixture
def client(tracker: Tracker) -> TestClient:
    now = time.time() - 3600
    conversation(tracker, "ours-1", now, school="demo-skolan",
                 handover="Kan jag prata med någon? sam@example.se")
    conversation(tracker, "ours-2", now + 100, school="demo-skolan", language="fi")
    conversation(tracker, "theirs-1", now + 200, school="annan-skola")
    tracker.flush()
    schools.add_school("demo-skolan", "Demoskolan")
    schools.add_school("annan-skola", "Annan skola")
    storage.add_handover("ours-1", "Kan jag prata med någon? sam@example.se", "demo-skolan", "sv")
    storage.add_handover("theirs-1", "Hjälp", "annan-skola", "sv")
    storage.add_signup("ours-2", "industrinatten_goteborg", "Sam", "demo-skolan", "fi")
    storage.add_signup("theirs-1", "industrinatten_goteborg", "Kim", "annan-skola", "sv")
    accounts.add_counsellor("anna", "demo-skolan", PASSWORD, "sv")
    return TestClient(app)


def login(client: TestClient, username: str = "anna", password: str = PASSWORD):  # noqa: ANN201
    return client.post("/api/counsellor/login", json={"username": username, "password": password})


def test_no_default_credentials_and_login_required(client: TestClient) -> None:
    assert client.get("/api/counsellor/conversations").status_code == 401
    for username, password in (("admin", "admin"), ("anna", "wrong password!"),
                               ("counsellor", "counsellor")):
        assert login(client, username, password).status_code == 401


def test_login_cookie_and_logout(client: TestClient) -> None:
    reply = login(client)
    assert reply.status_code == 200
    assert reply.json() == {"username": "anna", "school": "demo-skolan", "language": "sv",
                            "role": "counsellor"}
    cookie = reply.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    token = reply.cookies["vv_counsellor"]
    with storage.session() as current:
        stored = current.scalars(select(storage.CounsellorSession.token_hash)).all()
    assert token not in stored and len(stored) == 1  # only a hash is stored
    assert client.get("/api/counsellor/me").status_code == 200
    client.post("/api/counsellor/logout")
    client.cookies.set("vv_counsellor", token)  # the old token no longer works
    assert client.get("/api/counsellor/me").status_code == 401


@pytest.mark.parametrize("query", ["to=0", "from=1700000000", "from=2026-13-01",
                                   "page=31075935227274713890816", "page=0"])
def test_bad_filters_are_a_422_not_a_500(client: TestClient, query: str) -> None:
    # Found by schemathesis: "0" was read as 1970-01-01 and a huge page overflowed SQLite.
    login(client)
    assert client.get(f"/api/counsellor/conversations?{query}").status_code == 422


def test_login_with_an_undecodable_body_is_a_documented_400(client: TestClient) -> None:
    reply = client.post("/api/counsellor/login", content=b"\xff",
                        headers={"content-type": "application/json"})
    assert reply.status_code == 400


def test_school_scoping(client: TestClient) -> None:
    login(client)
    page = client.get("/api/counsellor/conversations").json()
    assert {item["id"] for item in page["items"]} == {"ours-1", "ours-2"}
    assert page["total"] == 2
    assert client.get("/api/counsellor/conversations/theirs-1").status_code == 404
    assert client.get("/api/counsellor/conversations/theirs-1?transcript=true").status_code == 404
    assert client.get("/api/counsellor/conversations/nope").status_code == 404
    assert [h["conversation_id"] for h in client.get("/api/counsellor/handovers").json()] == [
        "ours-1"]
    signups = client.get("/api/counsellor/signups").json()
    assert [(s["conversation_id"], s["nickname"]) for s in signups] == [("ours-2", "Sam")]
    assert "theirs-1" not in client.get("/api/counsellor/export.csv").text


def test_filters_and_pagination(client: TestClient) -> None:
    login(client)
    get = client.get
    assert [i["id"] for i in get("/api/counsellor/conversations?handover=true").json()["items"]] \
        == ["ours-1"]
    assert get("/api/counsellor/conversations?field=vehicles").json()["total"] == 2
    assert get("/api/counsellor/conversations?field=it").json()["total"] == 0
    assert get("/api/counsellor/conversations?from=2000-01-01&to=2000-01-02").json()["total"] == 0
    one = get("/api/counsellor/conversations?page=2&page_size=1").json()
    assert one["total"] == 2 and len(one["items"]) == 1 and one["page"] == 2


def test_transcript_is_scrubbed_and_audited(client: TestClient) -> None:
    login(client)
    plain = client.get("/api/counsellor/conversations/ours-1").json()
    assert plain["transcript"] is None and plain["handover"] is True
    assert "sam@example.se" not in plain["handover_question"]
    assert plain["summary"]
    with storage.session() as current:
        assert current.scalars(select(storage.AuditEntry)).all() == []
    detail = client.get("/api/counsellor/conversations/ours-1?transcript=true").json()
    texts = [line["text"] for line in detail["transcript"]]
    assert "jag gillar att skruva på mopeder" in texts
    assert all("sam@example.se" not in text for text in texts)
    with storage.session() as current:
        entries = current.scalars(select(storage.AuditEntry)).all()
    assert [(e.username, e.conversation_id, e.action) for e in entries] == [
        ("anna", "ours-1", "transcript")]


def test_stats_and_csv(client: TestClient) -> None:
    login(client)
    stats = client.get("/api/counsellor/stats").json()
    assert stats["conversations"] == 2
    assert {c["key"]: c["count"] for c in stats["by_language"]} == {"sv": 1, "fi": 1}
    assert stats["by_field"][0]["key"] == "vehicles"
    assert sum(c["count"] for c in stats["by_week"]) == 2
    csv_reply = client.get("/api/counsellor/export.csv")
    assert csv_reply.headers["content-type"].startswith("text/csv")
    lines = csv_reply.text.strip().splitlines()
    assert lines[0].startswith("conversation_id,week") and len(lines) == 3


def test_openapi_has_models(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    for name in ("ConversationPage", "ConversationDetail", "Stats", "Handover", "Signup", "Me"):
        assert name in schema["components"]["schemas"]
    assert "/api/counsellor/conversations/{conversation_id}" in schema["paths"]


def test_page_is_served_with_csp(client: TestClient) -> None:
    page = client.get("/counsellor")
    assert page.status_code == 200 and "login-form" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    script = client.get("/counsellor/static/app.js").text
    assert ".innerHTML" not in script and "insertAdjacentHTML" not in script
    assert client.get("/counsellor/strings.json").json()["fi"]["login"] == "Kirjaudu"
