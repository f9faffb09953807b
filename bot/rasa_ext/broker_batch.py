"""Rasa's SQL event broker at the cost of one query and one transaction per turn.

As Rasa 3.6 ships it, every save of a conversation (`SQLTrackerStore.save`) first streams the
new events to the broker (`TrackerStore.stream_events`): it reads the whole conversation back
from the tracker store and replays it into a tracker, only to find which events are new, and
`SQLEventBroker.publish` then commits each of them (about 12 a turn) in a transaction of its
own. Measured on SQLite (bench/bench_broker.py): +19 to +27 ms of Rasa's CPU per turn, a
quarter to a third of all of it. So:

- `SQLTrackerStore.stream_events` takes the new events the way its own `save` does next
  (`_additional_events`: the tracker's events past the number stored for this session, one
  COUNT query), so the broker gets exactly the events the tracker store adds;
- to a `SQLEventBroker` they go in one transaction; any other broker gets them one by one, as
  Rasa sends them.

Events reach the broker in the same order and with the same bodies as before
(tests/test_rasa_broker_batch.py compares both ways in Rasa's environment).

Also: replicas that start at once all create the broker's table, and PostgreSQL fails all but
one with a duplicate key ("pg_type_typname_nsp_index": seen in a fresh-clone `make test`, where
a Rasa replica exited at start). Rasa's SQL tracker store catches that race; its broker does
not. `create_tables_once` tries again, and then finds the table made.

And: the broker makes its engine with plain `create_engine`, so after a PostgreSQL restart
its pooled connection is dead, the turn's save fails after the pupil was answered, and the
turn is lost (tests/scaled/test_scaled_e2e.py, PostgreSQL restarted). `reconnecting_engine`
gives it the tracker store's engine options (`pool_pre_ping` and the connect timeout of
bot/rasa_ext/tracker_faults.py).
"""

from __future__ import annotations

import json
import time
from typing import Any

import sqlalchemy.exc
import sqlalchemy.orm
from rasa.core import tracker_store
from rasa.core.brokers.broker import EventBroker
from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

MARK = "_vagvisaren_batched"
CREATE_TRIES = 5


def publish_all(broker: EventBroker, events: list[Event], sender_id: str) -> None:
    """Rasa's event bodies ({"sender_id": …} plus the event's dict), in one transaction on SQL."""
    bodies = [{"sender_id": sender_id, **event.as_dict()} for event in events]
    if not bodies:
        return
    if isinstance(broker, SQLEventBroker):
        with broker.session_scope() as session:
            session.add_all([broker.SQLBrokerEvent(sender_id=sender_id, data=json.dumps(body))
                             for body in bodies])
            session.commit()
        return
    for body in bodies:
        broker.publish(body)


async def stream_events(self: SQLTrackerStore, tracker: DialogueStateTracker) -> None:
    if self.event_broker is None:
        return
    with self.session_scope() as session:
        new_events: list[Any] = list(self._additional_events(session, tracker))
    publish_all(self.event_broker, new_events, tracker.sender_id)


setattr(stream_events, MARK, True)


def create_tables_once() -> None:
    """The broker's `create_all`, tried again when another replica creates the table too."""
    metadata = SQLEventBroker.Base.metadata
    original = metadata.create_all
    if getattr(original, MARK, False):
        return

    def create_all(*args: Any, **kwargs: Any) -> None:
        for attempt in range(CREATE_TRIES):
            try:
                return original(*args, **kwargs)
            except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError):
                if attempt == CREATE_TRIES - 1:
                    raise
                time.sleep(0.2 * (attempt + 1))  # the other replica's CREATE TABLE commits

    setattr(create_all, MARK, True)
    metadata.create_all = create_all  # type: ignore[method-assign]


def reconnecting_engine() -> None:
    """After SQLEventBroker's own __init__, its engine again with the tracker store's options."""
    original = SQLEventBroker.__init__
    if getattr(original, MARK, False):
        return

    def __init__(self: SQLEventBroker, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        url = self.engine.url
        options = tracker_store.create_engine_kwargs(url)
        if options:
            self.engine.dispose()
            self.engine = sqlalchemy.create_engine(url, **options)
            self.sessionmaker = sqlalchemy.orm.sessionmaker(bind=self.engine)

    setattr(__init__, MARK, True)
    SQLEventBroker.__init__ = __init__  # type: ignore[method-assign]


def apply() -> None:
    """Replace SQLTrackerStore.stream_events and guard the broker's engine; idempotent."""
    if not getattr(SQLTrackerStore.stream_events, MARK, False):
        SQLTrackerStore.stream_events = stream_events  # type: ignore[method-assign]
    create_tables_once()
    reconnecting_engine()
