"""The tracker store fails closed, and recovers by itself, when its database goes away.

Rasa 3.6 wraps every tracker store in `FailSafeTrackerStore`. When the database does not
answer, its `retrieve` logs an error and returns None, so Rasa starts the conversation anew,
and its `save` keeps the turn in a per-process `InMemoryTrackerStore` that nothing reads
back. Measured on the scaled stack with PostgreSQL stopped: a pupil in the middle of a
conversation got the greeting of a new one, not marked degraded, and what they said meanwhile
was never stored. So:

- `fail_closed`: `retrieve`, `retrieve_full_tracker` and `save` log the error and raise
  `TrackerStoreUnavailable` instead. The turn fails; the REST channel answers an empty list
  and the gateway shows its friendly "try again in a moment" (degraded). The conversation in
  the database is left untouched and goes on where it was once the database is back. The
  driver's own exception is not passed on: Rasa's structured log prints a failed turn's
  traceback with every frame's local variables, and the driver's frames hold the database
  password (seen in the Rasa log before this was done).
- `recover`: the SQL tracker store's engine checks a pooled connection before using it
  (`pool_pre_ping`), so the first turn after a database restart gets a new connection instead
  of a dead one; and a connection attempt gives up after CONNECT_TIMEOUT_S instead of
  blocking Rasa's event loop (the SQL tracker store is synchronous) for as long as the
  operating system tries.

Both wrap what Rasa calls by name (`FailSafeTrackerStore`'s methods,
`rasa.core.tracker_store.create_engine_kwargs`); tests/test_rasa_tracker_faults.py runs them
in Rasa's environment, and tests/scaled/test_scaled_e2e.py restarts PostgreSQL under the
real stack.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import rasa.core.tracker_store as tracker_store
from rasa.core.tracker_store import FailSafeTrackerStore

MARK = "_vagvisaren_fail_closed"
# Seconds a new PostgreSQL connection may take (libpq's connect_timeout); loopback or a LAN.
CONNECT_TIMEOUT_S = 5
log = logging.getLogger(__name__)


class TrackerStoreUnavailable(RuntimeError):
    """The tracker store's database failed; the message names the driver's error only."""


def _raising(name: str, original: Any) -> Any:
    @functools.wraps(original)
    async def method(self: FailSafeTrackerStore, *args: Any) -> Any:
        try:
            return await getattr(self._tracker_store, name)(*args)
        except Exception as err:  # noqa: BLE001 - any failure of the store fails the turn
            first_line = (str(err).strip().splitlines() or [""])[0]
            failure = f"{type(err).__name__}: {first_line}"
        log.error("The tracker store (%s) failed in %s: %s. The turn fails (no in-memory "
                  "fallback); the conversation stays as it is in the database.",
                  type(self._tracker_store).__name__, name, failure)
        # Raised outside the handler: no __context__, so no driver frames in Rasa's log.
        raise TrackerStoreUnavailable(f"the tracker store failed in {name}: {failure}")

    setattr(method, MARK, True)
    return method


def fail_closed() -> None:
    """Make FailSafeTrackerStore re-raise instead of falling back; a second call is a no-op."""
    for name in ("retrieve", "retrieve_full_tracker", "save"):
        original = getattr(FailSafeTrackerStore, name)
        if not getattr(original, MARK, False):
            setattr(FailSafeTrackerStore, name, _raising(name, original))


def recover() -> None:
    """pool_pre_ping and a connect timeout for the SQL tracker store on PostgreSQL."""
    original = tracker_store.create_engine_kwargs
    if getattr(original, MARK, False):
        return

    @functools.wraps(original)
    def create_engine_kwargs(url: Any) -> dict[str, Any]:
        kwargs = dict(original(url))
        if tracker_store.is_postgresql_url(url):
            kwargs["pool_pre_ping"] = True
            connect = dict(kwargs.get("connect_args") or {})
            connect.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
            kwargs["connect_args"] = connect
        return kwargs

    setattr(create_engine_kwargs, MARK, True)
    tracker_store.create_engine_kwargs = create_engine_kwargs


def apply() -> None:
    fail_closed()
    recover()
