"""The registry of schools: an unknown `school` never reaches a known school's queues; its
handovers and sign-ups wait in the no-school queue, which the admin reads on the server."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from bot import storage
from bot.admin.__main__ import cli
from bot.api.app import app
from bot.auth import accounts, schools

PASSWORD = "correct horse battery"


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_school_commands(var_dir: Path) -> None:
    assert _cli("add-school", "demo-skolan", "Demoskolan i Borås") == (
        0, "Registered demo-skolan (Demoskolan i Borås).\n")
    code, output = _cli("add-school", "demo-skolan", "Again")
    assert code == 1 and "already registered" in output
    code, output = _cli("add-school", "../etc", "Bad")
    assert code == 1
    assert _cli("list-schools") == (0, "demo-skolan\tDemoskolan i Borås\n")
    accounts.add_counsellor("anna", "demo-skolan", PASSWORD)
    code, output = _cli("remove-school", "demo-skolan")
    assert code == 1 and "account" in output  # never orphan an account
    accounts.remove_counsellor("anna")
    assert _cli("remove-school", "demo-skolan")[0] == 0
    assert _cli("list-schools") == (0, "")


def test_accounts_only_for_registered_schools(var_dir: Path) -> None:
    with pytest.raises(accounts.AccountError, match="not registered"):
        accounts.add_counsellor("anna", "okand-skola", PASSWORD)
    schools.add_school("okand-skola", "Nu känd")
    assert accounts.add_counsellor("anna", "okand-skola", PASSWORD).school == "okand-skola"


def test_unknown_schools_requests_go_to_the_no_school_queue(var_dir: Path) -> None:
    schools.add_school("demo-skolan", "Demoskolan")
    schools.add_school("annan-skola", "Annan skola")
    accounts.add_counsellor("anna", "demo-skolan", PASSWORD)
    accounts.add_counsellor("kim.annan", "annan-skola", PASSWORD)
    # What the actions store (actions/visits.py): one known school, one made-up id, and none.
    storage.add_handover("known-1", "Kan jag prata med någon?", "demo-skolan", "sv")
    storage.add_handover("stray-1", "Ring mig på 070-123 45 67", "okand-skola", "sv")
    storage.add_signup("stray-1", "industrinatten_goteborg", "Sam", "okand-skola", "sv")
    storage.add_handover("bare-1", "Hej?", None, "fi")

    for username, expected in (("anna", {"known-1"}), ("kim.annan", set())):
        client = TestClient(app)
        assert client.post("/api/counsellor/login", json={
            "username": username, "password": PASSWORD}).status_code == 200
        handovers = {h["conversation_id"] for h in client.get("/api/counsellor/handovers").json()}
        signups = {s["conversation_id"] for s in client.get("/api/counsellor/signups").json()}
        assert handovers == expected, username
        assert signups == set(), username

    queue = schools.no_school_queue()
    assert {(i.kind, i.conversation_id) for i in queue} == {
        ("handover", "stray-1"), ("signup", "stray-1"), ("handover", "bare-1")}
    assert all("070-123" not in i.text for i in queue)  # the admin sees it scrubbed too
    code, output = _cli("no-school")
    assert code == 0 and "stray-1" in output and "bare-1" in output and "known-1" not in output

    # Registering the id later does not move what was queued into that school's view.
    schools.add_school("okand-skola", "Okänd skola")
    accounts.add_counsellor("nyanna", "okand-skola", PASSWORD)
    client = TestClient(app)
    client.post("/api/counsellor/login", json={"username": "nyanna", "password": PASSWORD})
    assert client.get("/api/counsellor/handovers").json() == []
    assert client.get("/api/counsellor/signups").json() == []
    with storage.session() as current:
        assert current.scalars(select(storage.HandoverRequest.school).where(
            storage.HandoverRequest.conversation_id == "stray-1")).all() == [None]


def test_an_older_database_is_upgraded(tmp_path: Path) -> None:
    """A database from before the registry: the role column is added, and the schools that
    already have accounts are registered, so their queues keep working."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE counsellors (id INTEGER PRIMARY KEY, username VARCHAR(64) "
                   "UNIQUE, password_hash VARCHAR(255), school VARCHAR(64), language VARCHAR(2),"
                   " created_at DATETIME)")
        db.execute("INSERT INTO counsellors (username, password_hash, school, language) "
                   "VALUES ('anna', 'x', 'demo-skolan', 'sv')")
    url = f"sqlite:///{path}"
    assert [a.role for a in accounts.list_counsellors(url)] == ["counsellor"]
    assert [s.id for s in schools.list_schools(url)] == ["demo-skolan"]
    assert storage.add_handover("c1", "Hej", "demo-skolan", "sv", url).school == "demo-skolan"
