"""Faults: a dead action server, a broken knowledge base, two requests for one session."""

from __future__ import annotations

import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from bot.api.chat import UNAVAILABLE
from bot.settings import ROOT
from bot.stack import Ports, Stack

pytestmark = pytest.mark.e2e


def _say(stack: Stack, sender: str, message: str) -> list[dict]:
    body = {"sender": sender, "message": message}
    reply = httpx.post(f"{stack.rasa_url}/webhooks/rest/webhook", json=body, timeout=30)
    reply.raise_for_status()
    return reply.json()


def _slots(stack: Stack, sender: str) -> dict:
    url = f"{stack.rasa_url}/conversations/{sender}/tracker"
    return httpx.get(url, params={"token": stack.token}, timeout=10).json()["slots"]


@pytest.mark.parametrize(
    ("damage", "named"),
    [
        (lambda d: (d / "companies.yml").write_text("- id: [unclosed\n"), "companies.yml"),
        (lambda d: (d / "visits.yml").unlink(), "visits.yml"),
        (lambda d: (d / "places.yml").write_text(
            (d / "places.yml").read_text().replace("lat:", "latitude:", 1)), "places.yml"),
    ],
    ids=["corrupt-yaml", "missing-file", "bad-record"],
)
def test_action_server_refuses_a_broken_knowledge_base(tmp_path: Path, damage, named: str) -> None:
    knowledge = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    damage(knowledge)
    broken = Stack(Ports.free(), tmp_path / "var",
                   extra_env={"VAGVISAREN_KNOWLEDGE_DIR": str(knowledge)})
    broken.start(["actions"])
    try:
        with pytest.raises(RuntimeError, match="actions exited"):
            broken.wait_ready(["actions"], timeout=90)
    finally:
        broken.stop()
    log = broken.log("actions").read_text(errors="replace")
    assert named in log


def test_dead_action_server_then_recovery_keeps_slots(stack: Stack) -> None:
    sender = f"fault{uuid.uuid4().hex[:12]}"
    _say(stack, sender, "jag gillar att skruva på mopeder")
    assert _slots(stack, sender)["interests"]
    stack.stop(["actions"])
    try:
        # The place needs the form's validation action: with the action server gone Rasa
        # drops that turn's reply, and the gateway answers with its friendly message.
        reply = httpx.post(f"{stack.gateway_url}/api/chat", timeout=30, json={
            "session_id": sender, "message": "jag bor i Umeå", "language": "sv"})
        assert reply.status_code == 200
        body = reply.json()
        assert body["degraded"] is True
        assert body["messages"] == [{"text": UNAVAILABLE["sv"], "buttons": [], "custom": None}]
    finally:
        stack.start(["actions"])
        stack.wait_ready(["actions"], timeout=120)
    slots = _slots(stack, sender)
    assert slots["interests"] and slots["language"] == "sv"
    replies = _say(stack, sender, "jag bor i Umeå")
    assert any((r.get("custom") or {}).get("type") == "suggestions" for r in replies)


def test_two_requests_for_one_session_at_once(stack: Stack) -> None:
    sender = f"race-{uuid.uuid4().hex[:8]}"
    messages = ["hej", "vad kan du hjälpa mig med?"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        replies = list(pool.map(lambda m: _say(stack, sender, m), messages))
    assert all(replies)
    url = f"{stack.rasa_url}/conversations/{sender}/tracker"
    events = httpx.get(url, params={"token": stack.token}, timeout=10).json()["events"]
    user_texts = [e["text"] for e in events if e["event"] == "user"]
    assert sorted(user_texts) == sorted(messages)  # none lost, none duplicated
