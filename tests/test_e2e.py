"""End to end: the real Rasa server, action server and gateway, over HTTP on loopback."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from bot.language import detect
from bot.stack import Stack

pytestmark = pytest.mark.e2e

CONVERSATIONS = {
    "sv": ["Hej! Vad kan du hjälpa mig med?", "tack så mycket", "hej då"],
    "fi": ["Moi! Mitä sä osaat?", "kiitos paljon", "moikka"],
    "da": ["Hej, hvad kan du hjælpe mig med?", "tusind tak", "farvel"],
}


def _texts_by_language(domain: dict) -> dict[str, set[str]]:
    texts: dict[str, set[str]] = {"sv": set(), "fi": set(), "da": set()}
    for variations in domain["responses"].values():
        for variation in variations:
            condition = {c["name"]: c["value"] for c in variation.get("condition", [])}
            if "text" in variation and condition.get("language") in texts:
                texts[condition["language"]].add(variation["text"])
    return texts


def _rest(stack: Stack, sender: str, message: str, metadata: dict | None = None) -> list[dict]:
    """The bot's texts (the language state for the widget, a `custom` message, left out)."""
    body = {"sender": sender, "message": message, "metadata": metadata or {}}
    reply = httpx.post(f"{stack.rasa_url}/webhooks/rest/webhook", json=body, timeout=30)
    reply.raise_for_status()
    return [r for r in reply.json() if r.get("text")]


def _tracker(stack: Stack, sender: str) -> dict:
    url = f"{stack.rasa_url}/conversations/{sender}/tracker"
    reply = httpx.get(url, params={"token": stack.token}, timeout=10)
    reply.raise_for_status()
    return reply.json()


def test_rasa_token_is_required_and_on_no_command_line(stack: Stack) -> None:
    """Every local user can read /proc/<pid>/cmdline: the token travels in the environment."""
    for name, proc in stack.procs.items():
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().decode(errors="replace")
        assert stack.token not in cmdline, name
    assert httpx.get(f"{stack.rasa_url}/status", timeout=10).status_code == 401
    assert httpx.get(f"{stack.rasa_url}/status", params={"token": "vagvisaren-local"},
                     timeout=10).status_code == 401
    assert httpx.get(f"{stack.rasa_url}/status", params={"token": stack.token},
                     timeout=10).status_code == 200
    assert httpx.get(f"{stack.gateway_url}/healthz", timeout=10).json()["rasa"] is True


@pytest.mark.parametrize("language", ["sv", "fi", "da"])
def test_short_conversation_in_each_language(stack: Stack, domain: dict, language: str) -> None:
    texts = _texts_by_language(domain)
    others = set().union(*(texts[lang] for lang in texts if lang != language))
    sender = f"e2e-{language}-{uuid.uuid4().hex[:8]}"
    for message in CONVERSATIONS[language]:
        replies = _rest(stack, sender, message)
        assert replies, f"no reply to {message!r}"
        for reply in replies:
            assert reply["text"] in texts[language], f"{reply['text']!r} is not a {language} text"
            assert reply["text"] not in others
            assert detect(reply["text"])[0] == language
    tracker = _tracker(stack, sender)
    assert tracker["slots"]["language"] == language
    # Only action_set_language sets the slot: the action server took part in the conversation.
    language_events = [
        e for e in tracker["events"] if e["event"] == "slot" and e["name"] == "language"
    ]
    assert language_events and language_events[-1]["value"] == language


def test_language_stays_on_short_message(stack: Stack, domain: dict) -> None:
    sender = f"e2e-keep-{uuid.uuid4().hex[:8]}"
    _rest(stack, sender, "Moi! Mitä sä osaat?")
    replies = _rest(stack, sender, "ok")
    assert _tracker(stack, sender)["slots"]["language"] == "fi"
    assert all(r["text"] in _texts_by_language(domain)["fi"] for r in replies)


def test_widget_metadata_sets_language_and_plain_mode(stack: Stack, domain: dict) -> None:
    sender = f"e2e-meta-{uuid.uuid4().hex[:8]}"
    replies = _rest(stack, sender, "hej", {"language": "da", "plain_language": True})
    assert replies
    plain_da = {
        v["text"]
        for variations in domain["responses"].values()
        for v in variations
        if {"type": "slot", "name": "language", "value": "da"} in v.get("condition", [])
        and {"type": "slot", "name": "plain_language", "value": True} in v.get("condition", [])
    }
    assert replies and all(r["text"] in plain_da for r in replies)


def test_gateway_chat_and_health(stack: Stack, domain: dict) -> None:
    with httpx.Client(base_url=stack.gateway_url, timeout=30) as client:
        health = client.get("/healthz").json()
        last_purge = health.pop("purge_last_run")
        assert health == {"status": "ok", "rasa": True, "action_server": True, "database": True,
                          "tracker_store": None, "lock_store": None,  # SQLite, in-memory locks
                          "supervisor": None, "problems": [],  # the test stack: unsupervised
                          "rasa_replicas": [{"url": stack.rasa_url, "ok": True,
                                             "left_out_s": 0.0}],
                          "action_servers": [{"url": stack.action_url, "ok": True}]}
        assert last_purge is None or last_purge.startswith("20")  # the daily purge ran at start
        first = client.post("/api/chat", json={"message": "Hej, hvad kan du hjælpe mig med?"})
        assert first.status_code == 200
        body = first.json()
        assert len(body["session_id"]) >= 16 and not body["degraded"]
        assert body["messages"][0]["text"] in _texts_by_language(domain)["da"]
        second = client.post(
            "/api/chat", json={"session_id": body["session_id"], "message": "tusind tak"}
        )
        assert second.json()["session_id"] == body["session_id"]
        assert client.get("/").status_code == 200


def test_conversation_survives_a_rasa_restart(stack: Stack) -> None:
    """The SQL tracker store (SQLite under var/) keeps history and slots across restarts."""
    sender = f"e2e-restart-{uuid.uuid4().hex[:8]}"
    _rest(stack, sender, "Moi! Mitä sä osaat?")
    before = _tracker(stack, sender)
    assert stack.tracker_db.exists()
    stack.restart("rasa")
    after = _tracker(stack, sender)
    assert after["slots"]["language"] == "fi"
    assert len(after["events"]) >= len(before["events"])
    user_texts = [e.get("text") for e in after["events"] if e["event"] == "user"]
    assert "Moi! Mitä sä osaat?" in user_texts


@pytest.mark.parametrize(("language", "message"), [("sv", "123"), ("fi", "0"), ("da", "4711")])
def test_a_bare_number_is_out_of_scope(stack: Stack, domain: dict, language: str,
                                       message: str) -> None:
    # Some requirement questions hold numbers ("jag har 200 poäng"); a bare number is not one.
    expected = {v["text"] for v in domain["responses"]["utter_out_of_scope"]
                if {c["name"]: c["value"] for c in v.get("condition", [])}.get("language")
                == language}
    replies = _rest(stack, f"e2e-number-{uuid.uuid4().hex[:8]}", message, {"language": language})
    assert replies and replies[0]["text"] in expected


def test_the_bot_reports_a_language_it_switched_to(stack: Stack) -> None:
    """A Finnish message on a Swedish page: the answer is Finnish and says so to the widget."""
    with httpx.Client(base_url=stack.gateway_url, timeout=30) as client:
        body = client.post("/api/chat", json={"message": "moikka! mä tykkään koodata",
                                              "language": "sv", "plain_language": False}).json()
        assert body["language"] == "fi" and body["plain_language"] is False
        assert all(m.get("text") or (m.get("custom") or {}).get("type") == "suggestions"
                   for m in body["messages"])  # the state itself is not a message
        plain = client.post("/api/chat", json={
            "session_id": body["session_id"], "message": "voitko kirjoittaa selkokieltä?",
            "language": "fi", "plain_language": False}).json()
        assert plain["plain_language"] is True
        later = client.post("/api/chat", json={
            "session_id": body["session_id"], "message": "asun Porissa",
            "language": "fi", "plain_language": True}).json()
        assert "plain_language" not in later or later["plain_language"] in (None, True)
