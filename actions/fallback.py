"""`action_understand_fallback`: a message the classifier could not read ("Jag vill laga
maskiner i en fabrik", "I Polen jeg satte stikkontakter op") is still about what the user
likes when the matcher finds a named interest in it: the interest form takes it from there.
Only a message with nothing we know in it gets "I did not understand".
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.forms import free_interest
from actions.safety import apologise_on_error
from bot.dialogue import INTEREST_FORM


class ActionUnderstandFallback(Action):
    def name(self) -> str:
        return "action_understand_fallback"

    @apologise_on_error
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        text = ((tracker.latest_message or {}).get("text") or "").strip()
        interests = [] if text.startswith("/") else free_interest(tracker)
        if interests:
            return [SlotSet("interests", interests), FollowupAction(INTEREST_FORM)]
        dispatcher.utter_message(response="utter_default")
        return []
