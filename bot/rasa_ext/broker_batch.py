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
"""

from __future__ import annotations

import json
from typing import Any

from rasa.core.brokers.broker import EventBroker
from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

MARK = "_vagvisaren_batched"


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


def apply() -> None:
    """Replace SQLTrackerStore.stream_events; a second call changes nothing."""
    if not getattr(SQLTrackerStore.stream_events, MARK, False):
        SQLTrackerStore.stream_events = stream_events  # type: ignore[method-assign]
