"""bot.rasa_ext.atomic_locks: two replicas' Redis lock stores, interleaved on a real Redis.

Runs in Rasa's environment (.venv-rasa) against a throwaway redis-server (bot/local_services.py
on a free port). Two `RedisLockStore`s with their own connections stand for two Rasa replicas.
The other replica's step is made to happen exactly between one replica's read of the lock and
its write (a hook in Rasa's own `TicketLock`, which both the shipped and the patched steps
call there), once as Rasa ships it and once patched:

- Issue: both replicas are given ticket 0 as shipped (so both turns run at once: the race a
  fresh-clone `make test` met in tests/scaled/); patched, they get 0 and 1.
- Cleanup: as shipped, the finishing replica deletes the ticket the other was just given (its
  turn then fails with a LockError); patched, that ticket stays and is served next.
- Patched, Rasa's own `lock()` on the two stores lets one turn in at a time, in ticket order,
  and leaves no key behind.

Skipped with a reason when redis-server is not installed, except under CI.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.local_services import Redis
from bot.stack import free_port
from tests.rasa_script import rasa_script_json

if not Redis.installed() and os.environ.get("CI") != "true":
    pytest.skip("redis-server not installed (`make stores` installs it)", allow_module_level=True)

SCRIPT = r"""
import asyncio, json, logging, sys
from pathlib import Path
logging.disable(logging.CRITICAL)
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LockError, RedisLockStore
from bot.local_services import Redis
from bot.rasa_ext import atomic_locks

redis = Redis(Path(sys.argv[1]), port=int(sys.argv[2]))

def replicas():
    return [RedisLockStore(host="127.0.0.1", port=redis.port, db=1, key_prefix="vagvisaren",
                           socket_timeout=2) for _ in range(2)]

def between(method, other_step):
    # Run `other_step` once, inside the first call of TicketLock.`method`: after this replica
    # read the lock and before it writes it back.
    original = getattr(TicketLock, method)
    pending = [other_step]
    def hooked(self, *args):
        if pending:
            pending.pop()()
        return original(self, *args)
    setattr(TicketLock, method, hooked)
    return lambda: setattr(TicketLock, method, original)

def issue(conversation):
    one, two = replicas()
    got = {}
    undo = between("issue_ticket", lambda: got.setdefault("two", two.issue_ticket(conversation)))
    try:
        got["one"] = one.issue_ticket(conversation)
    finally:
        undo()
    stored = sorted(t.number for t in one.get_lock(conversation).tickets)
    return {"tickets": got, "stored": stored}

def cleanup(conversation):
    one, two = replicas()
    first = one.issue_ticket(conversation)
    got = {}
    undo = between("remove_ticket_for",
                   lambda: got.setdefault("two", two.issue_ticket(conversation)))
    try:
        one.cleanup(conversation, first)
    finally:
        undo()
    lock = two.get_lock(conversation)
    left = None if lock is None else [t.number for t in lock.tickets]
    try:
        served = asyncio.run(asyncio.wait_for(
            two._acquire_lock(conversation, got["two"], 0.05), 5)).now_serving
    except LockError:
        served = "LockError"
    return {"left": left, "served": served}

async def turns(conversation):
    one, two = replicas()
    order = []
    async def turn(store, name):
        async with store.lock(conversation, wait_time_in_seconds=0.05):
            order.append(f"{name} in")
            await asyncio.sleep(0.3)
            order.append(f"{name} out")
    first = asyncio.create_task(turn(one, "one"))
    await asyncio.sleep(0.05)
    await asyncio.gather(first, turn(two, "two"))
    return {"order": order, "key_left": one.red.exists(one.key_prefix + conversation)}

redis.start()
try:
    plain = {"issue": issue("pupil-1"), "cleanup": cleanup("pupil-2")}
    atomic_locks.apply()
    atomic_locks.apply()  # a second call changes nothing
    patched = {"issue": issue("pupil-3"), "cleanup": cleanup("pupil-4"),
               "turns": asyncio.run(turns("pupil-5"))}
finally:
    redis.stop()
print(json.dumps({"plain": plain, "patched": patched}))
"""


@pytest.fixture(scope="module")
def seen() -> Iterator[dict]:
    var_dir = Path(tempfile.mkdtemp(prefix="vagvisaren-atomic-locks-"))
    try:
        yield rasa_script_json(SCRIPT, str(var_dir), str(free_port()), timeout=120)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


def test_rasa_as_shipped_gives_two_replicas_the_same_ticket(seen: dict) -> None:
    assert seen["plain"]["issue"] == {"tickets": {"one": 0, "two": 0}, "stored": [0]}


def test_rasa_as_shipped_deletes_a_ticket_issued_during_cleanup(seen: dict) -> None:
    assert seen["plain"]["cleanup"] == {"left": None, "served": "LockError"}


def test_patched_two_replicas_get_their_own_tickets(seen: dict) -> None:
    assert seen["patched"]["issue"] == {"tickets": {"one": 1, "two": 0}, "stored": [0, 1]}


def test_patched_cleanup_keeps_the_ticket_issued_meanwhile(seen: dict) -> None:
    assert seen["patched"]["cleanup"] == {"left": [1], "served": 1}


def test_patched_replicas_take_turns_and_leave_no_lock(seen: dict) -> None:
    assert seen["patched"]["turns"] == {
        "order": ["one in", "one out", "two in", "two out"], "key_left": 0}
