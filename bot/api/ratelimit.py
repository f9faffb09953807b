"""In-process sliding-window rate limiter for the chat endpoint.

Simple on purpose: one gateway process, no Redis. Each key (a session id or a client IP) keeps
the timestamps of its recent messages; a message is allowed while fewer than `limit` fall
inside the window. Running several gateway workers multiplies the effective limit.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

# Beyond this many keys, idle ones are dropped, so a flood of new ids cannot grow memory forever.
MAX_KEYS = 50_000


class SlidingWindow:
    """At most `limit` hits per `window_s` seconds per key. Not thread-safe on its own."""

    def __init__(self, limit: int, window_s: float):
        self.limit = limit
        self.window_s = window_s
        self._hits: dict[str, deque[float]] = {}

    def wait(self, key: str, now: float) -> float:
        """Seconds until `key` may send again; 0 when it may send now."""
        hits = self._hits.get(key)
        if hits is None:
            return 0.0
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        if len(hits) < self.limit:
            return 0.0
        return max(hits[0] + self.window_s - now, 0.001)

    def add(self, key: str, now: float) -> None:
        self._hits.setdefault(key, deque()).append(now)
        if len(self._hits) > MAX_KEYS:
            for stale in [k for k, v in self._hits.items() if v[-1] <= now - self.window_s]:
                del self._hits[stale]


class ChatLimiter:
    """The two limits of `POST /api/chat`: per session id and per client IP."""

    def __init__(self, per_session: int, per_ip: int, window_s: float,
                 clock: Callable[[], float] = time.monotonic):
        self.config = (per_session, per_ip, window_s)
        self.sessions = SlidingWindow(per_session, window_s)
        self.ips = SlidingWindow(per_ip, window_s)
        self.clock = clock
        self._lock = threading.Lock()

    def check(self, session_id: str | None, ip: str | None) -> int:
        """0 when allowed (and counted), else whole seconds for the Retry-After header.

        A refused message is not counted, so a client that waits as told gets through.
        """
        keys = [(w, k) for w, k in ((self.sessions, session_id), (self.ips, ip)) if k]
        with self._lock:
            now = self.clock()
            wait = max((window.wait(key, now) for window, key in keys), default=0.0)
            if wait > 0:
                return max(1, math.ceil(wait))
            for window, key in keys:
                window.add(key, now)
            return 0


_limiter: ChatLimiter | None = None


def reset() -> None:
    """Forget all counts (tests; a restart does the same)."""
    global _limiter
    _limiter = None


def limiter(per_session: int, per_ip: int, window_s: float) -> ChatLimiter:
    """The process-wide limiter; rebuilt when the settings change (tests change them)."""
    global _limiter
    if _limiter is None or _limiter.config != (per_session, per_ip, window_s):
        _limiter = ChatLimiter(per_session, per_ip, window_s)
    return _limiter
