"""`action_suggest_matches`: programmes, professions and companies for what the user likes."""

from __future__ import annotations

import os
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.safety import apologise_on_error, language_of
from bot.knowledge.queries import find_place
from bot.matching import get_matcher, match_interests
from bot.suggestions import country_for, interest_text, match_items, match_summary, payload


class ActionSuggestMatches(Action):
    """2–3 of each, in the user's language, with the reason, plus cards for the widget."""

    def name(self) -> str:
        return "action_suggest_matches"

    @apologise_on_error
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        language = language_of(tracker)
        interests = tracker.get_slot("interests") or []
        place = find_place(tracker.get_slot("location") or "")
        result = match_interests(
            interest_text(tracker.events, interests), interests, lang=language,
            country=country_for(place, language), place=place.id if place else None,
        )
        if not result.fields:
            dispatcher.utter_message(response="utter_ask_interests")
            return []
        dispatcher.utter_message(response="utter_matches", **match_summary(result, language))
        dispatcher.utter_message(json_message=payload(match_items(result), language))
        return []



# Load the matcher when the action server's worker starts, not on a pupil's first message
# (~8 s). Only in Sanic's worker process: in the main process, loading torch fixes the
# multiprocessing start method, and Sanic then refuses to start its workers.
if os.environ.get("SANIC_WORKER_NAME"):
    get_matcher()
