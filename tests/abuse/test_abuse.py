"""At least 200 hostile or odd inputs through the gateway: a real answer or a clean 4xx.

Never a 5xx, never a stack trace, always JSON, and never the degraded "cannot answer right
now" (abuse_checks.py; test_abuse_can_fail.py shows that verdict fails on a broken stack).
Markup in a reply is data, never HTML: the widget renders text with textContent (tests/web
checks one injection in a real browser).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from abuse_checks import check_reply

from bot.stack import Stack

pytestmark = pytest.mark.e2e
CORPUS = yaml.safe_load((Path(__file__).with_name("corpus.yml")).read_text(encoding="utf-8"))


def _generated_messages() -> Iterator[tuple[str, object]]:
    """Sizes, floods and control characters, built here rather than kept as bytes."""
    yield "empty", ""
    for n, ws in enumerate([" ", "   ", "\t", "\n", "\r\n", "\u00a0", "\u200b", " \n\t "]):
        yield f"whitespace-{n}", ws
    for size in (999, 1000, 1001, 5000, 10 * 1024):
        yield f"size-{size}", "a" * size
    yield "10kB-words", ("jag gillar mopeder " * 600)[: 10 * 1024]
    for n, emoji in enumerate(["😀", "🚗", "👍🏽", "🏳️‍🌈", "🤖", "⚡", "🔧", "🇸🇪", "🇫🇮", "🇩🇰"]):
        yield f"emoji-flood-{n}", emoji * 200
    yield "emoji-only", "😀"
    yield "emoji-1001", "😀" * 1001
    for n, ch in enumerate(["\x00", "\x07", "\x08", "\x1b[31mröd\x1b[0m", "\x7f", "\ufeff",
                            "\u202e", "\u2066", "\ud7ff", "\uffff", "\x0b\x0c", "a\x00b",
                            "\u0000" * 10, "hej\x00<script>", "\u2028\u2029"]):
        yield f"control-{n}", ch
    for n, value in enumerate([42, 3.14, True, None, ["hej"], {"text": "hej"}, [], {}]):
        yield f"non-text-{n}", value
    yield "zalgo", "h\u0336\u0335e\u0334\u0337j\u0338" * 20
    yield "combining-only", "\u0301" * 50
    yield "multibyte-1000", "å" * 1000
    yield "multibyte-1001", "å" * 1001
    yield "newlines-1000", "\n" * 1000
    yield "repeated-greeting", "hej " * 240
    yield "rtl-override-injection", "\u202e<script>alert(1)</script>"
    yield "bidi-isolates", "\u2067مرحبا\u2069 jag bor i Umeå"


def _messages() -> Iterator[tuple[str, object]]:
    """The corpus but its identifiers, which test_identifiers_stored.py sends and checks."""
    for category, items in CORPUS.items():
        if category == "identifiers":
            continue
        for n, text in enumerate(items):
            yield f"{category}-{n}", text
    yield from _generated_messages()


MESSAGES = list(_messages())
BAD_BODIES = [
    ("invalid-json", b'{"message": "hej"', "application/json"),
    ("json-array", b'["hej"]', "application/json"),
    ("json-string", b'"hej"', "application/json"),
    ("json-null", b"null", "application/json"),
    ("trailing-garbage", b'{"message": "hej"} x', "application/json"),
    ("not-utf8", b'{"message": "\xff\xfe"}', "application/json"),
    ("form-encoded", b"message=hej", "application/x-www-form-urlencoded"),
    ("text-plain", b"hej", "text/plain"),
    ("xml", b"<message>hej</message>", "application/xml"),
    ("multipart", b"--x\r\n\r\nhej\r\n--x--", "multipart/form-data; boundary=x"),
    ("empty-body", b"", "application/json"),
    ("huge-body", b'{"message": "' + b"a" * 200_000 + b'"}', "application/json"),
]
# Valid JSON with awkward content: a sane reply or a clean 4xx, never a crash.
ODD_BODIES = [
    ("lone-surrogate", b'{"message": "hej \\ud800 d\\u00e5"}'),
    ("escaped-nul", b'{"message": "hej\\u0000"}'),
    ("duplicate-keys", b'{"message": "hej", "message": "moi"}'),
    ("deep-nesting", b'{"message": "hej", "x": ' + b"[" * 500 + b"]" * 500 + b"}"),
    ("extra-fields", b'{"message": "hej", "admin": true, "sender": "someone-else"}'),
    ("unknown-language", b'{"message": "hej", "language": "en"}'),
    ("language-injection", b'{"message": "hej", "language": "<script>"}'),
    ("plain-not-bool", b'{"message": "hej", "plain_language": "yes please"}'),
    ("school-traversal", b'{"message": "hej", "school": "../../etc"}'),
]
BAD_SESSIONS = [
    "../../etc/passwd", "..%2F..%2Fetc", "a/b", "x" * 10_000, "x" * 65, "", " ", "<script>",
    "'; DROP TABLE events;--", "\x00", "null", "😀" * 10, "a" * 7, "C:\\x", "%00",
]


def test_corpus_is_big_enough() -> None:
    assert len(MESSAGES) + len(BAD_BODIES) + len(ODD_BODIES) + len(BAD_SESSIONS) >= 200


@pytest.fixture(scope="module")
def gateway(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.gateway_url, timeout=60) as client:
        yield client


@pytest.mark.parametrize(("case", "message"), MESSAGES, ids=[c for c, _ in MESSAGES])
def test_message(gateway: httpx.Client, case: str, message: object) -> None:
    check_reply(gateway.post("/api/chat", json={"message": message}))


@pytest.mark.parametrize(("case", "body", "content_type"), BAD_BODIES,
                         ids=[c for c, _, _ in BAD_BODIES])
def test_bad_body(gateway: httpx.Client, case: str, body: bytes, content_type: str) -> None:
    reply = gateway.post("/api/chat", content=body, headers={"content-type": content_type})
    assert 400 <= reply.status_code < 500
    check_reply(reply)


@pytest.mark.parametrize(("case", "body"), ODD_BODIES, ids=[c for c, _ in ODD_BODIES])
def test_odd_body(gateway: httpx.Client, case: str, body: bytes) -> None:
    check_reply(gateway.post("/api/chat", content=body,
                             headers={"content-type": "application/json"}))


@pytest.mark.parametrize("session_id", BAD_SESSIONS, ids=range(len(BAD_SESSIONS)))
def test_bad_session_id(gateway: httpx.Client, session_id: str) -> None:
    reply = gateway.post("/api/chat", json={"message": "hej", "session_id": session_id})
    assert reply.status_code == 422
    check_reply(reply)


def test_tracker_store_survives_the_corpus(stack: Stack, gateway: httpx.Client) -> None:
    """After the SQL-looking input, conversations still load and the tables still exist."""
    reply = gateway.post("/api/chat", json={"message": "'; DROP TABLE events; --"})
    session = reply.json()["session_id"]
    tracker = httpx.get(f"{stack.rasa_url}/conversations/{session}/tracker",
                        params={"token": stack.token}, timeout=10).json()
    texts = [e.get("text") for e in tracker["events"] if e["event"] == "user"]
    assert "'; DROP TABLE events; --" in texts
    json.dumps(tracker)  # serialisable, nothing half-written
