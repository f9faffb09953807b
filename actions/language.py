"""`action_set_language`: keeps `language`, `plain_language` and `school` right on every turn.

It is the custom slot mapping of these slots, so Rasa's `action_extract_slots` runs it after
every user message, inside forms too, without a rule per intent.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.language import choose_language, plain_language_requested
from bot.privacy import school_id


class ActionSetLanguage(Action):
    """Sets `language` from widget metadata or a confident detection; never flips on "ok"."""

    def name(self) -> str:
        return "action_set_language"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        message = tracker.latest_message or {}
        metadata = message.get("metadata") or {}
        current = tracker.get_slot("language")
        decision = choose_language(message.get("text") or "", current, metadata.get("language"))
        events: list[EventType] = []
        # Only a change is an event: a SlotSet on every turn would make Rasa call
        # action_validate_slot_mappings on every turn too (see docs/benchmarks.md). The slot
        # has no initial value, so the first turn always records the language it chose.
        if decision.language != current:
            events.append(SlotSet("language", decision.language))
        intent = (message.get("intent") or {}).get("name")
        plain = plain_language_requested(metadata.get("plain_language"), intent,
                                         message.get("text") or "")
        if plain is not None and plain != tracker.get_slot("plain_language"):
            events.append(SlotSet("plain_language", plain))
        school = school_id(metadata.get("school"))
        if school and school != tracker.get_slot("school"):
            events.append(SlotSet("school", school))
        return events
