"""Rasa's Redis lock store, made atomic across replicas.

Rasa 3.6's `RedisLockStore` keeps a conversation's ticket lock as one JSON value and changes
it by reading it, changing it in Python and writing it back (`LockStore.issue_ticket`,
`finish_serving`, `update_lock`, `cleanup`). One Rasa process runs these without awaiting, so
they never interleave there; two replicas can. Seen in a fresh-clone `make test`: two messages
of one conversation reached two replicas at the same moment, both read "no lock", both were
given ticket 0, both turns ran at once, and the SQL tracker store (which appends the events
beyond the count already stored) dropped the second pupil message. Rasa's reviewers called
the ticket issue "far from atomic" when it was written (RasaHQ/rasa#3933); the concurrent
Redis lock store that fixed it is in Rasa Pro only (RasaHQ/rasa#11256).

Here each of those read-change-write steps runs in a Redis transaction that watches the
lock's key (WATCH … MULTI … EXEC, redis-py's `Redis.transaction`): when another replica
writes the key in between, the step is done again on the new value. `cleanup` removes the
ticket and deletes the lock in the same step, so it can no longer delete a ticket another
replica issued in between. The stored value and Rasa's ticket logic (`TicketLock`) are as
Rasa ships them, so patched and unpatched replicas read each other's locks.

tests/test_rasa_atomic_locks.py interleaves two replicas' lock stores on a real Redis, as
shipped (the race happens) and patched (it does not).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore

MARK = "_vagvisaren_atomic"
log = logging.getLogger(__name__)
T = TypeVar("T")
# What a change returns for the lock when the stored value must stay as it is.
UNCHANGED: Any = object()


def _atomically(store: RedisLockStore, conversation_id: str,
                change: Callable[[TicketLock | None], tuple[TicketLock | None, T]]) -> T:
    """Run `change` on the stored lock and store what it returns (None deletes the lock;
    UNCHANGED writes nothing), as one step: redone when another replica wrote the key."""
    key = store.key_prefix + conversation_id

    def attempt(pipe: Any) -> T:
        raw = pipe.get(key)  # after WATCH, the pipeline runs commands at once
        lock, result = change(TicketLock.from_dict(json.loads(raw)) if raw else None)
        pipe.multi()
        if lock is None:
            pipe.delete(key)
        elif lock is not UNCHANGED:
            pipe.set(key, lock.dumps())
        return result

    result: T = store.red.transaction(attempt, key, value_from_callable=True)
    return result


def issue_ticket(self: RedisLockStore, conversation_id: str,
                 lock_lifetime: float = LOCK_LIFETIME) -> int:
    """As LockStore.issue_ticket: a new ticket, creating the lock if there is none."""
    def change(lock: TicketLock | None) -> tuple[TicketLock, int]:
        lock = lock or self.create_lock(conversation_id)
        return lock, lock.issue_ticket(lock_lifetime)

    log.debug("Issuing ticket for conversation '%s'.", conversation_id)
    try:
        return _atomically(self, conversation_id, change)
    except Exception as err:  # noqa: BLE001 - Rasa's contract: any failure is a LockError
        raise LockError(f"Error while acquiring lock. Error:\n{err}") from None


def update_lock(self: RedisLockStore, conversation_id: str) -> None:
    """As LockStore.update_lock: drop the expired tickets."""
    def change(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
        if lock is None:
            return UNCHANGED, None
        lock.remove_expired_tickets()
        return lock, None

    _atomically(self, conversation_id, change)


def finish_serving(self: RedisLockStore, conversation_id: str, ticket_number: int) -> None:
    """As LockStore.finish_serving: remove one ticket."""
    def change(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
        if lock is None:
            return UNCHANGED, None
        lock.remove_ticket_for(ticket_number)
        return lock, None

    _atomically(self, conversation_id, change)


def cleanup(self: RedisLockStore, conversation_id: str, ticket_number: int) -> None:
    """As LockStore.cleanup: remove one ticket, and the lock once nobody is waiting, in one
    step (Rasa's two steps could delete a ticket issued in between)."""
    def change(lock: TicketLock | None) -> tuple[TicketLock | None, bool]:
        if lock is None:
            return UNCHANGED, False
        lock.remove_ticket_for(ticket_number)
        return (lock, False) if lock.is_someone_waiting() else (None, True)

    if _atomically(self, conversation_id, change):
        self._log_deletion(conversation_id, deletion_successful=True)


REPLACEMENTS: dict[str, Callable[..., Any]] = {
    "issue_ticket": issue_ticket, "update_lock": update_lock,
    "finish_serving": finish_serving, "cleanup": cleanup}


def apply() -> None:
    """Replace RedisLockStore's read-change-write steps; a second call changes nothing."""
    for name, method in REPLACEMENTS.items():
        if not getattr(getattr(RedisLockStore, name), MARK, False):
            setattr(method, MARK, True)
            setattr(RedisLockStore, name, method)
