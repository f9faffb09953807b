"""The abuse suite's verdict on one gateway reply, shared by the suite and by the test that
shows the verdict fails on a broken stack (test_abuse_can_fail.py)."""

from __future__ import annotations

import httpx


def check_reply(reply: httpx.Response) -> None:
    """A real answer or a clean 4xx; AssertionError otherwise.

    A `degraded` reply is the gateway's "cannot answer right now" when Rasa or the action server
    failed. It is friendly, but it is a failure: accepting it let the whole corpus pass against
    a broken stack.
    """
    assert reply.status_code < 500, reply.text[:300]
    assert reply.status_code != 429, "the stack fixture disables rate limits"
    assert reply.headers["content-type"].startswith("application/json")
    body = reply.json()
    if reply.status_code == 200:
        assert isinstance(body["messages"], list) and body["session_id"]
        assert body.get("degraded") is not True, f"degraded reply: {body['messages']}"
        assert body["messages"], "no messages"
        for message in body["messages"]:
            assert message.get("text") or message.get("custom") or message.get("buttons")
    else:
        assert 400 <= reply.status_code < 500 and isinstance(body.get("detail"), (str, list))
        assert "Traceback" not in reply.text
