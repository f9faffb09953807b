"""The gateway's rate limits, with the `limits` library: chat messages, and failed counsellor
logins.

Moving windows: each key (a session id, an account or a client IP) keeps the times of its
recent hits, and a request is allowed while fewer than `limit` fall inside the window (whole
seconds, rounded up). The counts live in this process's memory by default. With
VAGVISAREN_REDIS_URL they live in Redis, so that several gateway workers or replicas count
together instead of each allowing the limit.

Redis down: the limits fall back to this process's memory, with a warning in the log, and
Redis is tried again after RETRY_S seconds. So a pupil still gets an answer and logins are
still throttled, per process as without Redis, rather than the gateway failing closed (no
chat at all) or open (no limit at all). A Redis call waits at most REDIS_TIMEOUT_S.

Across processes a check and its count are two Redis calls: a message refused in a race with
another worker may still have counted against its other key (stricter, never looser).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from limits import RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from bot.settings import get_settings

log = logging.getLogger("vagvisaren.gateway")
RETRY_S = 30.0
REDIS_TIMEOUT_S = 0.5
# How many successful logins from one address the login throttle remembers in its window.
MAX_CREDITS = 10_000
# limits' memory storage keeps a key after its hits expired: every this many checks, such
# keys are dropped, so a flood of new session ids cannot grow the gateway's memory for ever.
PRUNE_EVERY = 10_000
T = TypeVar("T")


class Window(RateLimitItemPerSecond):
    """`amount` hits per `multiples` seconds, stored under the namespace and the key alone (not
    the amount), so one window can be checked against a limit that changes."""

    def key_for(self, *identifiers: bytes | str | int | float) -> str:
        return "/".join([self.namespace, *(str(part) for part in identifiers)])


def window(name: str, limit: int, window_s: float) -> Window:
    return Window(limit, max(1, math.ceil(window_s)), namespace=f"vagvisaren/{name}")


class Store:
    """limits' moving-window strategy on Redis (when a URL is set), else on memory; while Redis
    fails, on memory."""

    def __init__(self, url: str | None):
        self.memory_storage = MemoryStorage()
        self.memory = MovingWindowRateLimiter(self.memory_storage)
        self._calls = 0
        self.shared = MovingWindowRateLimiter(storage_from_string(
            url, wrap_exceptions=True, key_prefix="vagvisaren",
            socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S,
        )) if url else None
        self._retry_at = 0.0
        self._failing = False

    def run(self, action: Callable[[MovingWindowRateLimiter], T]) -> T:
        if self.shared is not None and time.monotonic() >= self._retry_at:
            try:
                result = action(self.shared)
            except StorageError as err:
                self._retry_at = time.monotonic() + RETRY_S
                self._failing = True
                log.warning("Rate limits: Redis failed (%s); counting in this process, "
                            "Redis is tried again in %.0f s", type(err.storage_error).__name__,
                            RETRY_S)
            else:
                if self._failing:
                    self._failing = False
                    log.warning("Rate limits: Redis answers again; counting there")
                return result
        self._calls += 1
        if self._calls % PRUNE_EVERY == 0:
            self.prune()
        return action(self.memory)

    def prune(self) -> int:
        """Drop the in-memory keys whose hits have all left their window; how many."""
        events, now, dropped = self.memory_storage.events, time.time(), 0
        for key in list(events):
            with self.memory_storage.locks[key]:
                hits = events.get(key)
                if not hits or hits[0].expiry <= now:  # the newest hit first
                    events.pop(key, None)
                    dropped += 1
        return dropped


def _wait(limiter: MovingWindowRateLimiter, item: Window, key: str) -> float:
    """Seconds until `key` may hit `item` again (0 when it may now)."""
    if limiter.test(item, key):
        return 0.0
    return max(limiter.get_window_stats(item, key).reset_time - time.time(), 0.001)


class _PairLimiter:
    """Two windows over two kinds of key (e.g. session and IP), checked and counted together."""

    def __init__(self, names: tuple[str, str], first: int, second: int, window_s: float,
                 store: Store | None = None):
        self.config = (first, second, window_s)
        self.names = names
        self.first = window(names[0], first, window_s)
        self.second = window(names[1], second, window_s)
        self.store = store or Store(None)
        self._lock = threading.Lock()

    def _check(self, first: str | None, second: str | None, extra: int = 0) -> int:
        """0 when allowed, and then counted; else whole seconds to wait, and not counted.

        Checking and counting under one lock: parallel requests of this process cannot all
        slip in before the first is counted. `extra` raises the second window's limit.
        """
        second_item = window(self.names[1], self.config[1] + extra, self.config[2]) if extra \
            else self.second
        keys = [(item, key) for item, key in ((self.first, first), (second_item, second)) if key]

        def check(limiter: MovingWindowRateLimiter) -> float:
            wait = max((_wait(limiter, item, key) for item, key in keys), default=0.0)
            if wait == 0:
                for item, key in keys:
                    if not limiter.hit(item, key):  # another worker took the last place
                        return max(_wait(limiter, item, key), 0.001)
            return wait

        with self._lock:
            wait = self.store.run(check)
        return 0 if wait == 0 else max(1, math.ceil(wait))


class ChatLimiter(_PairLimiter):
    """The two limits of `POST /api/chat`: per session id and per client IP."""

    def __init__(self, per_session: int, per_ip: int, window_s: float,
                 store: Store | None = None):
        super().__init__(("chat-session", "chat-ip"), per_session, per_ip, window_s, store)

    def check(self, session_id: str | None, ip: str | None) -> int:
        """0 when allowed (and counted), else whole seconds for the Retry-After header.

        A refused message is not counted, so a client that waits as told gets through.
        """
        return self._check(session_id, ip)


class LoginThrottle(_PairLimiter):
    """Failed counsellor logins per account name and per client IP.

    Each attempt counts as a failure from the moment it arrives (a password check takes a
    while, and parallel guesses must not all pass the check before one has failed); a success
    clears the account's failures and takes its own count back from the IP: a third window
    counts the IP's successes, and the IP's limit is raised by that many. The IP's other
    failures stay, so one valid account cannot reset guessing at others from the same address.
    """

    def __init__(self, per_account: int, per_ip: int, window_s: float,
                 store: Store | None = None):
        super().__init__(("login-account", "login-ip"), per_account, per_ip, window_s, store)
        self.successes = window("login-ip-ok", MAX_CREDITS, window_s)

    def attempt(self, username: str, ip: str | None) -> tuple[int, float]:
        """(0, ticket) when a login may be tried now, else (seconds for Retry-After, _)."""
        credits = self.store.run(self._credits(ip)) if ip else 0
        return self._check(username, ip, extra=credits), time.time()

    def _credits(self, ip: str) -> Callable[[MovingWindowRateLimiter], int]:
        def count(limiter: MovingWindowRateLimiter) -> int:
            return MAX_CREDITS - limiter.get_window_stats(self.successes, ip).remaining
        return count

    def succeeded(self, username: str, ip: str | None, ticket: float) -> None:
        """The attempt of `ticket` was right: the account's failures go, and the IP gets its
        count back (as a success counted from now, in the same window)."""

        def forget(limiter: MovingWindowRateLimiter) -> None:
            limiter.clear(self.first, username)
            if ip:
                limiter.hit(self.successes, ip)

        with self._lock:
            self.store.run(forget)


_stores: dict[str | None, Store] = {}
_limiter: ChatLimiter | None = None
_login: LoginThrottle | None = None


def reset() -> None:
    """Forget all counts kept in this process (tests; a restart does the same)."""
    global _limiter, _login
    _stores.clear()
    _limiter = None
    _login = None


def store() -> Store:
    """The process's store for the settings' VAGVISAREN_REDIS_URL (memory when unset)."""
    url = get_settings().redis_url
    if url not in _stores:
        _stores[url] = Store(url)
    return _stores[url]


def limiter(per_session: int, per_ip: int, window_s: float) -> ChatLimiter:
    """The process-wide limiter; rebuilt when the settings change (tests change them)."""
    global _limiter
    shared = store()
    if (_limiter is None or _limiter.config != (per_session, per_ip, window_s)
            or _limiter.store is not shared):
        _limiter = ChatLimiter(per_session, per_ip, window_s, shared)
    return _limiter


def login_throttle(per_account: int, per_ip: int, window_s: float) -> LoginThrottle:
    """The process-wide login throttle; rebuilt when the settings change (tests change them)."""
    global _login
    shared = store()
    if _login is None or _login.config != (per_account, per_ip, window_s) or (
            _login.store is not shared):
        _login = LoginThrottle(per_account, per_ip, window_s, shared)
    return _login
