"""The abuse suite can fail: with the action server killed, its verdict rejects the replies.

Its own stack on free ports, so the shared session stack keeps its action server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from abuse_checks import check_reply

from bot.stack import MODEL, Ports, Stack

pytestmark = pytest.mark.e2e
CORPUS = yaml.safe_load((Path(__file__).with_name("corpus.yml")).read_text(encoding="utf-8"))
# One input of each hand-written category: each one's answer needs the action server.
SAMPLE = [items[0] for name, items in CORPUS.items() if name != "identifiers"]
# A greeting is answered from the domain alone (its default variation), so it still gets a
# real reply without the action server (issue 16: no first turn without an answer).
GREETING = "hej"


@pytest.fixture(scope="module")
def doomed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not MODEL.exists():
        pytest.fail(f"No trained model at {MODEL}: `make test` trains it before pytest.")
    running = Stack(Ports.free(), tmp_path_factory.mktemp("doomed-var"))
    running.start()
    try:
        running.wait_ready(timeout=240)
        yield running
    finally:
        running.stop()


def test_check_fails_once_the_action_server_is_dead(doomed: Stack) -> None:
    with httpx.Client(base_url=doomed.gateway_url, timeout=60) as client:
        def send(text: str) -> httpx.Response:
            return client.post("/api/chat", json={"message": text})

        for text in [GREETING, *SAMPLE]:  # the same inputs pass while the stack is whole
            check_reply(send(text))
        doomed.stop(["actions"])
        check_reply(send(GREETING))
        for text in SAMPLE:
            reply = send(text)
            assert reply.status_code == 200 and reply.json()["degraded"] is True, reply.text
            with pytest.raises(AssertionError, match="degraded reply"):
                check_reply(reply)
