"""Counsellor side, hardened: login throttling, the Secure cookie, audited exports and the
school admin's audit log."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator

import pytest
from counsellor_events import Tracker, conversation
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot import storage
from bot.api import ratelimit
from bot.api.app import app
from bot.api.ratelimit import LoginThrottle
from bot.auth import accounts, schools
from bot.settings import get_settings

PASSWORD = "correct horse battery"


@pytest.fixture
def client(tracker: Tracker, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("VAGVISAREN_LOGIN_FAILURES_PER_ACCOUNT", "3")
    monkeypatch.setenv("VAGVISAREN_LOGIN_FAILURES_PER_IP", "5")
    get_settings.cache_clear()
    ratelimit.reset()
    now = time.time() - 3600
    conversation(tracker, "ours-1", now, school="demo-skolan")
    conversation(tracker, "theirs-1", now + 100, school="annan-skola")
    tracker.flush()
    schools.add_school("demo-skolan", "Demoskolan")
    schools.add_school("annan-skola", "Annan skola")
    accounts.add_counsellor("anna", "demo-skolan", PASSWORD)
    accounts.add_counsellor("bosse", "demo-skolan", PASSWORD)
    accounts.add_counsellor("rektor", "demo-skolan", PASSWORD, role="admin")
    accounts.add_counsellor("annan-rektor", "annan-skola", PASSWORD, role="admin")
    yield TestClient(app)
    ratelimit.reset()


def login(client: TestClient, username: str, password: str = PASSWORD, **kwargs: object):  # noqa: ANN201
    return client.post("/api/counsellor/login",
                       json={"username": username, "password": password}, **kwargs)


# ---- login throttling ------------------------------------------------------------------------

def test_failed_logins_are_throttled_per_account(client: TestClient) -> None:
    for _ in range(3):
        assert login(client, "anna", "wrong password!").status_code == 401
    refused = login(client, "anna")  # even the right password waits now
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 900
    assert "Too many failed logins" in refused.json()["detail"]
    assert client.get("/api/counsellor/me").status_code == 401  # no session was opened
    assert login(client, "bosse").status_code == 200  # another account is not locked


def test_failed_logins_are_throttled_per_ip(client: TestClient) -> None:
    for name in ("x1", "x2", "x3", "x4", "x5"):  # five different names, one address
        assert login(client, name, "guess guess guess").status_code == 401
    reply = login(client, "bosse")
    assert reply.status_code == 429 and int(reply.headers["Retry-After"]) > 0


def test_a_success_clears_the_accounts_failures(client: TestClient) -> None:
    for _ in range(2):
        login(client, "anna", "wrong password!")
    assert login(client, "anna").status_code == 200
    for _ in range(2):
        assert login(client, "anna", "wrong password!").status_code == 401
    assert login(client, "anna").status_code == 200


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """A clock the test moves by hand (the `limits` library reads time.time)."""
    current = [1000.0]
    monkeypatch.setattr(time, "time", lambda: current[0])
    return current


def test_the_throttle_forgets_failures_after_the_window(now: list[float]) -> None:
    throttle = LoginThrottle(per_account=2, per_ip=10, window_s=900)
    assert throttle.attempt("anna", "10.0.0.1")[0] == 0
    assert throttle.attempt("anna", "10.0.0.2")[0] == 0
    assert throttle.attempt("anna", "10.0.0.3")[0] == 900
    assert throttle.attempt("bosse", "10.0.0.1")[0] == 0
    now[0] += 600
    assert throttle.attempt("anna", "10.0.0.3")[0] == 300
    now[0] += 300.001  # `limits` counts a hit exactly one window old as still inside it
    assert throttle.attempt("anna", "10.0.0.3")[0] == 0


def test_parallel_guesses_are_counted_before_any_password_is_checked(now: list[float]) -> None:
    throttle = LoginThrottle(per_account=3, per_ip=100, window_s=900)
    answers = [throttle.attempt("anna", "10.0.0.1")[0] for _ in range(10)]  # none finished
    assert answers.count(0) == 3


def test_a_success_takes_back_only_its_own_count(now: list[float]) -> None:
    throttle = LoginThrottle(per_account=3, per_ip=3, window_s=900)
    for name in ("x1", "x2"):
        now[0] += 1
        throttle.attempt(name, "10.0.0.1")
    now[0] += 1
    wait, ticket = throttle.attempt("anna", "10.0.0.1")
    throttle.succeeded("anna", "10.0.0.1", ticket)
    now[0] += 1
    assert throttle.attempt("x3", "10.0.0.1")[0] == 0  # the success did not use up the IP
    assert throttle.attempt("x4", "10.0.0.1")[0] > 0  # ... nor reset its two failures


def test_the_login_documents_429_with_retry_after(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/counsellor/login"]["post"]
    assert "Retry-After" in operation["responses"]["429"]["headers"]


# ---- the Secure cookie -----------------------------------------------------------------------

def _cookie_flags(reply) -> set[str]:  # noqa: ANN001
    assert reply.status_code == 200, reply.text
    return {part.strip().lower() for part in reply.headers["set-cookie"].split(";")}


def test_cookie_is_not_secure_over_plain_http(client: TestClient) -> None:
    flags = _cookie_flags(login(client, "anna"))
    assert "secure" not in flags and "httponly" in flags


def test_cookie_is_secure_over_https(tracker: Tracker, client: TestClient) -> None:
    https = TestClient(app, base_url="https://testserver")
    assert "secure" in _cookie_flags(login(https, "anna"))
    assert https.get("/api/counsellor/me").status_code == 200  # and is sent back over https


def test_cookie_is_secure_behind_a_tls_proxy(client: TestClient) -> None:
    reply = login(client, "anna", headers={"X-Forwarded-Proto": "https"})
    assert "secure" in _cookie_flags(reply)


def test_cookie_is_always_secure_when_configured(client: TestClient,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VAGVISAREN_COOKIE_SECURE", "true")
    get_settings.cache_clear()
    assert "secure" in _cookie_flags(login(client, "anna"))


# ---- audit -----------------------------------------------------------------------------------

def _audit() -> list[tuple[str, str, str, str]]:
    with storage.session() as current:
        return [(e.username, e.school, e.conversation_id, e.action)
                for e in current.scalars(select(storage.AuditEntry).order_by(
                    storage.AuditEntry.id))]


def test_csv_export_is_written_to_the_audit_log(client: TestClient) -> None:
    assert _audit() == []
    login(client, "anna")
    assert client.get("/api/counsellor/export.csv").status_code == 200
    assert _audit() == [("anna", "demo-skolan", "*", "export_csv")]


def test_only_the_schools_admin_reads_its_own_audit_log(client: TestClient) -> None:
    login(client, "anna")
    client.get("/api/counsellor/conversations/ours-1?transcript=true")
    client.get("/api/counsellor/export.csv")
    assert client.get("/api/counsellor/audit").status_code == 403  # a counsellor, not admin
    assert client.get("/api/counsellor/audit.csv").status_code == 403
    other = TestClient(app)
    login(other, "annan-rektor")
    other.get("/api/counsellor/conversations/theirs-1?transcript=true")
    other.get("/api/counsellor/export.csv")

    admin = TestClient(app)
    assert login(admin, "rektor").json()["role"] == "admin"
    rows = admin.get("/api/counsellor/audit").json()
    assert [(r["username"], r["action"], r["conversation_id"]) for r in rows] == [
        ("anna", "export_csv", "*"), ("anna", "transcript", "ours-1")]
    reply = admin.get("/api/counsellor/audit.csv")
    assert reply.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(reply.text)))
    assert {(r["username"], r["action"]) for r in table} == {("anna", "export_csv"),
                                                             ("anna", "transcript")}
    assert "annan-rektor" not in reply.text and "theirs-1" not in reply.text
    # Reading the audit log is itself audited, and only in this school's log.
    assert _audit()[-1] == ("rektor", "demo-skolan", "*", "audit_export")
    assert "rektor" not in {r["username"] for r in other.get("/api/counsellor/audit").json()}
