"""How the interest form asks: the first question, a re-ask with examples, then concrete
activities to tap. Never the same question twice in a row, word for word."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.safety import apologise_on_error
from bot.dialogue import intent_of, interest_prompt, location_prompt
from bot.knowledge.queries import find_place


def close_place(said: str) -> tuple[str, str] | None:
    """A known place close to what the user wrote ("skelleftå"): its name and id."""
    place = find_place(said)
    return (place.name, place.id) if place else None


class ActionAskInterests(Action):
    def name(self) -> str:
        return "action_ask_interests"

    @apologise_on_error
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        misses = tracker.get_slot("form_misses") or 0
        message = tracker.latest_message or {}
        dispatcher.utter_message(
            response=interest_prompt(misses, intent_of(message), message.get("text") or ""))
        return []


class ActionAskLocation(Action):
    def name(self) -> str:
        return "action_ask_location"

    @apologise_on_error
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        misses = tracker.get_slot("form_misses") or 0
        text = (tracker.latest_message or {}).get("text") or ""
        response, values = location_prompt(misses, "" if text.startswith("/") else text,
                                           close_place)
        dispatcher.utter_message(response=response, **values)
        return []


class ActionAskNickname(Action):
    """The name question, and after an answer that was no name, the rule in other words."""

    def name(self) -> str:
        return "action_ask_nickname"

    @apologise_on_error
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        misses = tracker.get_slot("form_misses") or 0
        dispatcher.utter_message(
            response="utter_nickname_invalid" if misses else "utter_ask_nickname")
        return []
