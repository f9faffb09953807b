"""Which Rasa replica answers a conversation, and moving to another when one fails.

Rasa's replicas are stateless: the SQL tracker store holds each conversation and the Redis
lock store serialises its messages, so any replica may answer any message. A conversation
still goes to one replica while that replica is healthy (its tracker stays in that process's
cache, and a pupil's messages are not spread over replicas for nothing): rendezvous hashing
of the session id over the healthy replicas picks it. When a replica goes, only its own
conversations move, each to its next choice; when it comes back, they return.

When the chosen replica does not answer (no connection, a dropped connection, a timeout or a
5xx), the same message goes at once to the next replica, once, and the failed one is left out
for `down_s` seconds. A replica killed during a turn leaves the conversation's lock in Redis
until it expires, and the next replica waits for it: the retry may be given longer
(VAGVISAREN_RASA_RETRY_TIMEOUT_S). A retry after a timeout may let Rasa see the message twice
(the first replica may still finish it); the lock store runs the two one after the other,
never interleaved, so the conversation stays whole.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

log = logging.getLogger("vagvisaren.gateway")

WEBHOOK = "/webhooks/rest/webhook"


def _score(session_id: str, url: str) -> int:
    """The rendezvous weight of one replica for one conversation (stable across processes)."""
    digest = hashlib.blake2b(f"{url}\n{session_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


# Rasa's lock store looks at a waiting ticket once a second and drops expired tickets. A
# waiting ticket that expires in the same look as a dead replica's is never served (with no
# ticket left, rasa/core/lock.py's `now_serving` is 0), so a retry after a replica died
# during a turn is sent just over one look later: the dead ticket expires alone.
LOCK_POLL_S = 1.1


class ReplicaFailed(Exception):
    """A replica did not answer usefully: the message may go to another. `mid_turn`: the
    connection dropped after the message was sent (the replica died while handling it)."""

    def __init__(self, url: str, reason: str, mid_turn: bool = False) -> None:
        super().__init__(f"{url}: {reason}")
        self.url, self.reason, self.mid_turn = url, reason, mid_turn


@dataclass
class Replicas:
    """The Rasa replicas' base URLs and, per replica, until when it is left out."""

    urls: Sequence[str]
    down_s: float = 10.0
    clock: Callable[[], float] = time.monotonic
    _down_until: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.urls = tuple(dict.fromkeys(url.rstrip("/") for url in self.urls if url.strip()))
        if not self.urls:
            raise ValueError("at least one Rasa URL is needed")

    def healthy(self, url: str) -> bool:
        return self._down_until.get(url, 0.0) <= self.clock()

    def down_for_s(self, url: str) -> float:
        """Seconds until a replica marked down is tried first again (0: it is healthy)."""
        return max(0.0, self._down_until.get(url, 0.0) - self.clock())

    def mark_down(self, url: str) -> None:
        self._down_until[url] = self.clock() + self.down_s

    def mark_up(self, url: str) -> None:
        self._down_until.pop(url, None)

    def order(self, session_id: str) -> list[str]:
        """Every replica, best first for this conversation: the healthy ones by rendezvous
        weight, then those marked down (tried only when no healthy one is left)."""
        ranked = sorted(self.urls, key=lambda url: _score(session_id, url), reverse=True)
        return [url for url in ranked if self.healthy(url)] + \
            [url for url in ranked if not self.healthy(url)]

    def choose(self, session_id: str) -> str:
        return self.order(session_id)[0]


async def _post_once(client: httpx.AsyncClient, url: str, payload: dict[str, Any],
                     timeout_s: float) -> Any:
    try:
        reply = await client.post(f"{url}{WEBHOOK}", json=payload, timeout=timeout_s)
    except httpx.TransportError as err:  # connect, read, write, pool, protocol and timeouts
        dropped = isinstance(err, httpx.RemoteProtocolError | httpx.ReadError)
        raise ReplicaFailed(url, type(err).__name__, mid_turn=dropped) from err
    if reply.status_code >= 500:
        raise ReplicaFailed(url, f"HTTP {reply.status_code}")
    reply.raise_for_status()  # a 4xx is our request's fault: another replica would agree
    return reply.json()


async def send(client: httpx.AsyncClient, replicas: Replicas, session_id: str,
               payload: dict[str, Any], timeout_s: float, retry_timeout_s: float | None = None,
               attempts: int = 2) -> Any:
    """Rasa's JSON answer to one message, from the conversation's replica or, when that one
    fails, from the next one (given `retry_timeout_s`, default `timeout_s`; set, the retry
    after a replica died mid-turn waits out its lock, see LOCK_POLL_S). Raises the last
    `ReplicaFailed` when none answers, or the `httpx.HTTPStatusError` of a 4xx."""
    failure: ReplicaFailed | None = None
    for attempt, url in enumerate(replicas.order(session_id)[:attempts]):
        limit = timeout_s if attempt == 0 else (retry_timeout_s or timeout_s)
        if failure is not None and failure.mid_turn and retry_timeout_s:
            await asyncio.sleep(LOCK_POLL_S)
        try:
            answer = await _post_once(client, url, payload, limit)
        except ReplicaFailed as err:
            replicas.mark_down(url)
            log.warning("Rasa replica %s failed (%s): left out for %.0f s", url, err.reason,
                        replicas.down_s)
            failure = err
            continue
        replicas.mark_up(url)
        return answer
    assert failure is not None  # the loop ran at least once: there is always one URL
    raise failure


_shared: dict[tuple[tuple[str, ...], float], Replicas] = {}


def shared(urls: Sequence[str], down_s: float) -> Replicas:
    """One `Replicas` per gateway process and configuration: its marks outlive a request."""
    key = (tuple(urls), down_s)
    if key not in _shared:
        _shared[key] = Replicas(urls, down_s=down_s)
    return _shared[key]
