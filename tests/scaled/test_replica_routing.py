"""The gateway over several Rasa replicas, with stand-in replicas (real HTTP servers on
loopback ports, no Rasa): a conversation stays on one replica, conversations spread over all,
and a replica that fails is left at once for the next one, within the same message."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from standin_http import JsonHandler, serve_in_thread, stop, url_of

from bot.api import ratelimit, replicas
from bot.api.app import app
from bot.settings import get_settings
from bot.stack import free_port


@dataclass
class StandIn:
    """One stand-in Rasa replica. mode: serve | error (HTTP 500) | hang | drop (closes the
    connection without answering) | slow (answers after 1 s, as behind a dead replica's lock)."""

    name: str
    mode: str = "serve"
    seen: list[tuple[str, str]] = field(default_factory=list)  # (sender, message)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return url_of(self.server)

    def start(self, port: int = 0) -> StandIn:
        replica = self

        class Handler(JsonHandler):
            def do_GET(self) -> None:  # noqa: N802 - /status, as Rasa's with its model
                self.reply({"model_file": "stand-in"}, 200 if replica.mode == "serve" else 500)

            def do_POST(self) -> None:  # noqa: N802 - the REST channel's webhook
                body = self.read_json()
                replica.seen.append((body["sender"], body["message"]))
                if replica.mode in ("hang", "slow"):
                    time.sleep(1.5 if replica.mode == "hang" else 1.0)
                if replica.mode == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                if replica.mode == "error":
                    return self.reply({"error": "stand-in failure"}, 500)
                self.reply([{"recipient_id": body["sender"],
                             "text": f"{replica.name}: {body['message']}"}])

        self.server = serve_in_thread(Handler, port)
        return self

    def stop(self) -> None:
        """Gone: its port refuses connections."""
        if self.server is not None:
            stop(self.server)

    def senders(self) -> set[str]:
        return {sender for sender, _ in self.seen}


Gateway = Callable[..., tuple[TestClient, list[StandIn]]]


@pytest.fixture
def gateway(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Gateway]:
    """`gateway(3)`: the real gateway app in front of three stand-in replicas."""
    started: list[StandIn] = []

    def _make(count: int, down_s: float = 30.0, timeout_s: float = 5.0,
              retry_timeout_s: float | None = None) -> tuple[TestClient, list[StandIn]]:
        stand_ins = [StandIn(f"replica-{i}").start() for i in range(count)]
        started.extend(stand_ins)
        monkeypatch.setenv("VAGVISAREN_RASA_URLS", ",".join(s.url for s in stand_ins))
        monkeypatch.setenv("VAGVISAREN_RASA_REPLICA_DOWN_S", str(down_s))
        monkeypatch.setenv("VAGVISAREN_RASA_TIMEOUT_S", str(timeout_s))
        if retry_timeout_s is None:
            monkeypatch.delenv("VAGVISAREN_RASA_RETRY_TIMEOUT_S", raising=False)
        else:
            monkeypatch.setenv("VAGVISAREN_RASA_RETRY_TIMEOUT_S", str(retry_timeout_s))
        monkeypatch.setenv("VAGVISAREN_RASA_TOKEN", "stand-in-token")
        monkeypatch.setenv("VAGVISAREN_ACTION_SERVER_URL", f"http://127.0.0.1:{free_port()}")
        monkeypatch.setenv("VAGVISAREN_VAR_DIR", str(tmp_path / "var"))
        monkeypatch.setenv("VAGVISAREN_RATE_LIMIT_PER_IP", "100000")
        monkeypatch.setenv("VAGVISAREN_RATE_LIMIT_PER_SESSION", "100000")
        get_settings.cache_clear()
        ratelimit.reset()
        return TestClient(app), stand_ins

    yield _make
    for stand_in in started:
        stand_in.stop()
    get_settings.cache_clear()
    ratelimit.reset()


def say(client: TestClient, session: str, message: str) -> dict:
    reply = client.post("/api/chat", json={"message": message, "session_id": session})
    assert reply.status_code == 200, reply.text
    return reply.json()


def test_one_conversation_stays_on_one_replica(gateway: Gateway) -> None:
    client, stand_ins = gateway(3)
    for session in ("session-stay-0001", "session-stay-0002", "session-stay-0003"):
        for turn in range(6):
            say(client, session, f"turn {turn}")
        holders = [s.name for s in stand_ins if session in s.senders()]
        assert len(holders) == 1, f"{session} went to {holders}"


def test_conversations_spread_over_every_replica(gateway: Gateway) -> None:
    client, stand_ins = gateway(3)
    for i in range(90):
        say(client, f"session-spread-{i:04d}", "hej")
    counts = [len(s.senders()) for s in stand_ins]
    assert sum(counts) == 90
    # An even spread gives 30 each; fewer than 15 on one would be a lopsided hash.
    assert min(counts) >= 15, counts


@pytest.mark.parametrize("failure", ["gone", "error", "drop", "hang"])
def test_a_failing_replica_is_left_within_the_same_message(gateway: Gateway,
                                                           failure: str) -> None:
    client, stand_ins = gateway(2, timeout_s=0.5)
    first, second = stand_ins
    session = next(f"session-fail-{i:04d}" for i in range(1000)
                   if replicas.Replicas([first.url, second.url]).choose(f"session-fail-{i:04d}")
                   == first.url)
    assert say(client, session, "one")["messages"][0]["text"] == "replica-0: one"
    if failure == "gone":
        first.stop()
    else:
        first.mode = failure
    answer = say(client, session, "two")
    assert answer["degraded"] is False
    assert answer["messages"][0]["text"] == "replica-1: two"  # the same message, moved
    tried = len(first.seen)
    assert say(client, session, "three")["messages"][0]["text"] == "replica-1: three"
    assert len(first.seen) == tried, "a replica that failed was asked again at once"
    assert [m for s, m in second.seen if s == session] == ["two", "three"]


@pytest.mark.parametrize(("retry_timeout_s", "degraded"), [(None, True), (3.0, False)])
def test_the_retry_may_wait_longer_than_the_first_try(gateway: Gateway,
                                                      retry_timeout_s: float | None,
                                                      degraded: bool) -> None:
    """A replica dies mid-turn; the next one answers only after a while (it waits for the
    lock the dead one left): the retry's own timeout decides whether the pupil gets it."""
    client, (first, second) = gateway(2, timeout_s=0.5, retry_timeout_s=retry_timeout_s)
    session = next(f"session-slow-{i:04d}" for i in range(1000)
                   if replicas.Replicas([first.url, second.url]).choose(f"session-slow-{i:04d}")
                   == first.url)
    first.mode, second.mode = "drop", "slow"
    answer = say(client, session, "one")
    assert answer["degraded"] is degraded
    if not degraded:
        assert answer["messages"][0]["text"] == "replica-1: one"


@pytest.mark.parametrize(("failure", "waits"), [("drop", True), ("gone", False)])
def test_a_retry_after_a_death_mid_turn_waits_out_rasas_lock_poll(gateway: Gateway,
                                                                 failure: str,
                                                                 waits: bool) -> None:
    """Dropped mid-turn, the dead replica holds the conversation's lock: the retry is sent
    just over one of Rasa's lock polls later. Refused outright, it holds nothing: at once."""
    client, (first, second) = gateway(2, retry_timeout_s=5.0)
    session = next(f"session-poll-{i:04d}" for i in range(1000)
                   if replicas.Replicas([first.url, second.url]).choose(f"session-poll-{i:04d}")
                   == first.url)
    if failure == "gone":
        first.stop()
    else:
        first.mode = failure
    started = time.monotonic()
    assert say(client, session, "one")["messages"][0]["text"] == "replica-1: one"
    elapsed = time.monotonic() - started
    assert (elapsed >= replicas.LOCK_POLL_S) is waits, elapsed


def test_a_replica_that_is_back_gets_its_conversations_back(gateway: Gateway) -> None:
    client, stand_ins = gateway(2, down_s=0.3)
    first, second = stand_ins
    session = next(f"session-back-{i:04d}" for i in range(1000)
                   if replicas.Replicas([first.url, second.url]).choose(f"session-back-{i:04d}")
                   == first.url)
    first.mode = "error"
    assert say(client, session, "one")["messages"][0]["text"] == "replica-1: one"
    first.mode = "serve"
    time.sleep(0.4)
    assert say(client, session, "two")["messages"][0]["text"] == "replica-0: two"


def test_no_replica_answers_gives_the_friendly_degraded_reply(gateway: Gateway) -> None:
    client, stand_ins = gateway(2)
    for stand_in in stand_ins:
        stand_in.mode = "error"
    answer = say(client, "session-none-0001", "hej")
    assert answer["degraded"] is True
    assert sum(len(s.seen) for s in stand_ins) == 2  # each asked once, no more


def test_healthz_reports_each_replica(gateway: Gateway) -> None:
    client, stand_ins = gateway(2)
    stand_ins[1].stop()
    health = client.get("/healthz").json()
    assert [(r["url"], r["ok"]) for r in health["rasa_replicas"]] == \
        [(stand_ins[0].url, True), (stand_ins[1].url, False)]
    assert health["rasa"] is True
    assert f"rasa replica {stand_ins[1].url} does not answer" in health["problems"]
    assert health["rasa_replicas"][1]["left_out_s"] > 0


def test_only_the_failed_replicas_conversations_move() -> None:
    urls = ["http://a:1", "http://b:1", "http://c:1"]
    pool = replicas.Replicas(urls)
    before = {f"s{i}": pool.choose(f"s{i}") for i in range(300)}
    pool.mark_down("http://b:1")
    after = {s: pool.choose(s) for s in before}
    moved = {s for s in before if before[s] != after[s]}
    assert moved == {s for s, url in before.items() if url == "http://b:1"}
    assert "http://b:1" not in after.values()


def test_without_rasa_urls_the_one_rasa_url_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VAGVISAREN_RASA_URLS", raising=False)
    monkeypatch.setenv("VAGVISAREN_RASA_URL", "http://127.0.0.1:5999/")
    get_settings.cache_clear()
    try:
        assert get_settings().rasa_url_list() == ["http://127.0.0.1:5999"]
    finally:
        get_settings.cache_clear()
