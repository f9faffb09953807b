"""In-process sliding-window rate limits: chat messages, and failed counsellor logins.

Simple on purpose: one gateway process, no Redis. Each key (a session id, an account or a
client IP) keeps the timestamps of its recent hits; a request is allowed while fewer than
`limit` fall inside the window. Running several gateway workers multiplies the effective limit.
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

    def clear(self, key: str) -> None:
        self._hits.pop(key, None)

    def discard(self, key: str, at: float) -> None:
        """Take back the hit added at `at` (a login that turned out to be right)."""
        hits = self._hits.get(key)
        if hits is not None and at in hits:
            hits.remove(at)

    def add(self, key: str, now: float) -> None:
        self._hits.setdefault(key, deque()).append(now)
        if len(self._hits) > MAX_KEYS:
            for stale in [k for k, v in self._hits.items() if v[-1] <= now - self.window_s]:
                del self._hits[stale]


class _PairLimiter:
    """Two sliding windows over two kinds of key (e.g. session and IP), behind one lock."""

    def __init__(self, first: int, second: int, window_s: float,
                 clock: Callable[[], float] = time.monotonic):
        self.config = (first, second, window_s)
        self.first = SlidingWindow(first, window_s)
        self.second = SlidingWindow(second, window_s)
        self.clock = clock
        self._lock = threading.Lock()

    def _check(self, first: str | None, second: str | None) -> tuple[int, float]:
        """(0, now) when allowed, and then counted; else (seconds to wait, now), not counted.

        Checking and counting under one lock: parallel requests cannot all slip in before
        the first is counted.
        """
        keys = [(w, k) for w, k in ((self.first, first), (self.second, second)) if k]
        with self._lock:
            now = self.clock()
            wait = max((window.wait(key, now) for window, key in keys), default=0.0)
            if wait > 0:
                return max(1, math.ceil(wait)), now
            for window, key in keys:
                window.add(key, now)
            return 0, now


class ChatLimiter(_PairLimiter):
    """The two limits of `POST /api/chat`: per session id and per client IP."""

    def __init__(self, per_session: int, per_ip: int, window_s: float,
                 clock: Callable[[], float] = time.monotonic):
        super().__init__(per_session, per_ip, window_s, clock)

    def check(self, session_id: str | None, ip: str | None) -> int:
        """0 when allowed (and counted), else whole seconds for the Retry-After header.

        A refused message is not counted, so a client that waits as told gets through.
        """
        return self._check(session_id, ip)[0]


class LoginThrottle(_PairLimiter):
    """Failed counsellor logins per account name and per client IP.

    Each attempt counts as a failure from the moment it arrives (a password check takes a
    while, and parallel guesses must not all pass the check before one has failed); a success
    takes its own count back and clears the account's failures. The IP's other failures stay,
    so one valid account cannot reset guessing at others from the same address.
    """

    def __init__(self, per_account: int, per_ip: int, window_s: float,
                 clock: Callable[[], float] = time.monotonic):
        super().__init__(per_account, per_ip, window_s, clock)

    def attempt(self, username: str, ip: str | None) -> tuple[int, float]:
        """(0, ticket) when a login may be tried now, else (seconds for Retry-After, _)."""
        return self._check(username, ip)

    def succeeded(self, username: str, ip: str | None, ticket: float) -> None:
        with self._lock:
            self.first.clear(username)
            if ip:
                self.second.discard(ip, ticket)


_limiter: ChatLimiter | None = None
_login: LoginThrottle | None = None


def reset() -> None:
    """Forget all counts (tests; a restart does the same)."""
    global _limiter, _login
    _limiter = None
    _login = None


def limiter(per_session: int, per_ip: int, window_s: float) -> ChatLimiter:
    """The process-wide limiter; rebuilt when the settings change (tests change them)."""
    global _limiter
    if _limiter is None or _limiter.config != (per_session, per_ip, window_s):
        _limiter = ChatLimiter(per_session, per_ip, window_s)
    return _limiter


def login_throttle(per_account: int, per_ip: int, window_s: float) -> LoginThrottle:
    """The process-wide login throttle; rebuilt when the settings change (tests change them)."""
    global _login
    if _login is None or _login.config != (per_account, per_ip, window_s):
        _login = LoginThrottle(per_account, per_ip, window_s)
    return _login
