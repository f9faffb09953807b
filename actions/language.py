"""`action_set_language`: keeps `language`, `plain_language` and `school` right on every turn.

It is the custom slot mapping of these slots, so Rasa's `action_extract_slots` runs it after
every user message, inside forms too, without a rule per intent.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.language import choose_language, normalise, plain_language_requested
from bot.privacy import school_id
from bot.settings import get_settings
from bot.text import without_places


class ActionSetLanguage(Action):
    """Sets `language` from widget metadata or a confident detection; never flips on "ok"."""

    def name(self) -> str:
        return "action_set_language"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        message = tracker.latest_message or {}
        metadata = message.get("metadata") or {}
        text = without_places(message.get("text") or "", message.get("entities") or [])
        current = tracker.get_slot("language")
        widget_language = normalise(metadata.get("language"))
        decision = choose_language(text, current, widget_language, get_settings().default_language,
                                   previous_explicit=tracker.get_slot("widget_language"))
        events: list[EventType] = []
        # Only a change is an event: a SlotSet on every turn would make Rasa call
        # action_validate_slot_mappings on every turn too (see docs/benchmarks.md). The slot
        # has no initial value, so the first turn always records the language it chose.
        if decision.language != current:
            events.append(SlotSet("language", decision.language))
        if widget_language and widget_language != tracker.get_slot("widget_language"):
            events.append(SlotSet("widget_language", widget_language))
        widget_plain = metadata.get("plain_language")
        intent = (message.get("intent") or {}).get("name")
        plain = plain_language_requested(widget_plain, intent, text,
                                         previous_explicit=tracker.get_slot("widget_plain"))
        if plain is not None and plain != bool(tracker.get_slot("plain_language")):
            events.append(SlotSet("plain_language", plain))
        if isinstance(widget_plain, bool) and widget_plain != tracker.get_slot("widget_plain"):
            events.append(SlotSet("widget_plain", widget_plain))
        school = school_id(metadata.get("school"))
        if school and school != tracker.get_slot("school"):
            events.append(SlotSet("school", school))
        # A change is reported to the widget by action_validate_slot_mappings (actions/forms.py):
        # Rasa drops messages of custom slot-mapping actions, but not of that one.
        return events
