"""The app's own data works the same on SQLite and on PostgreSQL (VAGVISAREN_DATABASE_URL):
schools, accounts, logins, the audit log, handovers, sign-ups, and the gateway's view of it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from bot import storage
from bot.api import ratelimit
from bot.api.app import app
from bot.auth import accounts, audit, schools, sessions
from bot.stack import free_port

PASSWORD = "correct horse battery"


def test_accounts_logins_and_the_audit_log(settings_db: str) -> None:
    schools.add_school("demo-skolan", "Demoskolan")
    account = accounts.add_counsellor("anna", "demo-skolan", PASSWORD, role="admin")
    with pytest.raises(accounts.AccountError, match="already exists"):
        accounts.add_counsellor("anna", "demo-skolan", PASSWORD)
    assert accounts.authenticate("anna", PASSWORD) == account
    assert accounts.authenticate("anna", "wrong password!") is None

    token, lifetime = sessions.open_session(account)
    assert lifetime > 0 and sessions.session_account(token) == account
    audit.record(account, "c1")
    audit.record(account, audit.EXPORT, "export")
    assert [(e.conversation_id, e.action) for e in audit.entries("demo-skolan")] == [
        ("*", "export"), ("c1", "transcript")]
    assert audit.entries("annan-skola") == []

    sessions.close_session(token)
    assert sessions.session_account(token) is None
    with pytest.raises(schools.SchoolError, match="account"):
        schools.remove_school("demo-skolan")
    assert accounts.remove_counsellor("anna") and schools.remove_school("demo-skolan")


def test_requests_reach_their_school_or_the_no_school_queue(settings_db: str) -> None:
    schools.add_school("demo-skolan", "Demoskolan")
    handover = storage.add_handover("c1", "Ring mig på 070-123 45 67", "demo-skolan", "sv")
    assert handover.school == "demo-skolan" and "070" not in handover.question
    storage.add_signup("c2", "industrinatten_goteborg", "Sam", "okand-skola", "fi")
    storage.add_handover("c3", "Hej?", None, "da")
    queue = schools.no_school_queue()
    assert sorted((item.kind, item.conversation_id) for item in queue) == [
        ("handover", "c3"), ("signup", "c2")]
    assert all(item.created_at.tzinfo is not None for item in queue)


def test_the_gateway_logs_in_and_reports_the_database(settings_db: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAGVISAREN_RASA_URL", f"http://127.0.0.1:{free_port()}")
    ratelimit.reset()
    schools.add_school("demo-skolan", "Demoskolan")
    accounts.add_counsellor("anna", "demo-skolan", PASSWORD)
    client = TestClient(app)
    assert client.get("/healthz").json()["database"] is True
    login = client.post("/api/counsellor/login", json={"username": "anna",
                                                       "password": PASSWORD})
    assert login.status_code == 200, login.text
    assert client.get("/api/counsellor/me").json()["username"] == "anna"
    ratelimit.reset()
