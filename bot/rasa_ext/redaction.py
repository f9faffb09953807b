"""A first name given for a visit sign-up is kept in the sign-up record only.

The action server stores it with the sign-up (bot/storage.py) in the same turn as the user
gives it, and then clears the slot. Before Rasa saves that turn, this patch replaces the
user's message that filled `nickname` and every value set for the slot with NAME_MASK, so the
tracker store, whatever its backend, never holds the name. Rasa saves a turn's new events once,
at the end of the turn (`MessageProcessor.save_tracker`), after the actions have run.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import Event, SlotSet, UserUttered

from bot.privacy import NAME_MASK, SKIPPED

SLOT = "nickname"
MARK = "_vagvisaren_redacted"


def redact_signup_names(events: Iterable[Event]) -> int:
    """Mask, in place, each accepted first name and the message that gave it; the count."""
    masked, last_user = 0, None
    for event in events:
        if isinstance(event, UserUttered):
            last_user = event
        elif isinstance(event, SlotSet) and event.key == SLOT and \
                event.value not in (None, SKIPPED, NAME_MASK):
            event.value = NAME_MASK
            masked += 1
            if last_user is not None and last_user.text not in (None, NAME_MASK):
                last_user.text = NAME_MASK
                last_user.entities = []
                last_user.parse_data["text"] = NAME_MASK
                last_user.parse_data["entities"] = []
    return masked


def apply() -> None:
    """Wrap `MessageProcessor.save_tracker` once; a second call changes nothing."""
    original = MessageProcessor.save_tracker
    if getattr(original, MARK, False):
        return

    @functools.wraps(original)
    async def save_tracker(self: MessageProcessor, tracker: Any) -> None:
        redact_signup_names(tracker.events)
        await original(self, tracker)

    setattr(save_tracker, MARK, True)
    MessageProcessor.save_tracker = save_tracker  # type: ignore[method-assign]
