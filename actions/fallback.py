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

from actions.safety import apologise_on_error, language_of
from bot.dialogue import INTEREST_FORM, has_words
from bot.matching import names_an_interest
from bot.text import without_places

MAX_INTEREST_CHARS = 200


class ActionUnderstandFallback(Action):
    def name(self) -> str:
        return "action_understand_fallback"

    @apologise_on_error
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        message = tracker.latest_message or {}
        text = (message.get("text") or "").strip()
        said = without_places(text, message.get("entities") or []).strip()
        if has_words(said) and not text.startswith("/") and \
                names_an_interest(said, language_of(tracker)):
            return [SlotSet("interests", [said[:MAX_INTEREST_CHARS]]),
                    FollowupAction(INTEREST_FORM)]
        dispatcher.utter_message(response="utter_default")
        return []
