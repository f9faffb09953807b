"""The abuse suite can fail: with the action server killed, its verdict rejects the replies.

On the session's stack, whose action server is stopped and then started again (as in
tests/test_faults.py): a stack of its own cost make test over a minute to start.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml
from abuse_checks import check_reply

from bot.stack import Stack

pytestmark = pytest.mark.e2e
CORPUS = yaml.safe_load((Path(__file__).with_name("corpus.yml")).read_text(encoding="utf-8"))
# The first three inputs of each category. Some are answered from the domain alone (an
# out-of-scope reply, a greeting: default variations, issue 16), so they pass even without the
# action server; the rest need it, and those must fail the verdict.
SAMPLE = [item["text"] if isinstance(item, dict) else item
          for items in CORPUS.values() for item in items[:3]]
GREETING = "hej"


def test_check_fails_once_the_action_server_is_dead(stack: Stack) -> None:
    try:
        _check_fails_without_actions(stack)
    finally:
        stack.start(["actions"])
        stack.wait_ready(["actions"], timeout=120)


def _check_fails_without_actions(doomed: Stack) -> None:
    with httpx.Client(base_url=doomed.gateway_url, timeout=60) as client:
        def send(text: str) -> httpx.Response:
            return client.post("/api/chat", json={"message": text})

        for text in [GREETING, *SAMPLE]:  # the same inputs pass while the stack is whole
            check_reply(send(text))
        doomed.stop(["actions"])
        check_reply(send(GREETING))  # a first turn still gets an answer
        rejected = []
        for text in SAMPLE:
            reply = send(text)
            try:
                check_reply(reply)
            except AssertionError as verdict:
                # The only way to fail here is the gateway's friendly "cannot answer now".
                assert reply.status_code == 200 and reply.json()["degraded"] is True, reply.text
                assert "degraded reply" in str(verdict)
                rejected.append(text)
        # The suite fails on the broken stack: most inputs need the action server.
        assert len(rejected) >= len(SAMPLE) // 2, f"only {rejected} of {SAMPLE} were rejected"
